"""Where Layan keeps its files: the ``STORAGES["default"]`` entry for an S3-compatible bucket.

Read by the settings (``LAYAN_S3_*``) and by the tests, so both use the same options. The
objects are private (``default_acl="private"``), any URL the storage makes is a signed, expiring
one (``querystring_auth``), and a name already taken gets a new one instead of overwriting the
older file (``file_overwrite=False``). Layan hands out no storage URL: every file is read with
``open("rb")`` by a view that checks the office and writes the access log.
"""

from __future__ import annotations

S3_BACKEND = "storages.backends.s3.S3Storage"


def s3_storage(
    *,
    bucket: str,
    endpoint_url: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    region: str = "us-east-1",
    prefix: str = "",
    acl: str = "private",
) -> dict:
    """The ``STORAGES`` entry of django-storages' S3 backend for ``bucket``. ``acl=""`` sends no
    ACL with uploads: a bucket with ACLs disabled (AWS's "bucket owner enforced", the default
    for new buckets) refuses any other than ``bucket-owner-full-control``; its objects are
    private through the bucket policy and Block Public Access instead."""
    return {
        "BACKEND": S3_BACKEND,
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "region_name": region or "us-east-1",
            "location": (prefix or "").strip("/"),
            "default_acl": acl or None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
