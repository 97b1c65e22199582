"""A real S3-protocol server on loopback for the tests (moto's ``ThreadedMotoServer``).

One server per test process, started on first use within a bounded time and stopped when the
process exits (or earlier by :func:`stop`). Each caller takes a fresh bucket of its own, so tests
never see each other's objects. With ``LAYAN_TEST_STORAGE=s3`` the test settings point the default
storage at such a bucket (:func:`suite_storage`), and the chosen part of the suite runs on S3.
"""

from __future__ import annotations

import atexit
import logging
import threading
import uuid

ACCESS_KEY = "layan-test-key"
SECRET_KEY = "layan-test-secret"
REGION = "us-east-1"
START_SECONDS = 30

_lock = threading.Lock()
_server = None
_endpoint = ""


def available() -> bool:
    """Whether moto's server (and boto3) can be imported here."""
    try:
        import boto3  # noqa: F401
        from moto.server import ThreadedMotoServer  # noqa: F401
    except ImportError:
        return False
    return True


def endpoint() -> str:
    """The base URL of this process's server, started on first use (at most START_SECONDS)."""
    global _server, _endpoint
    with _lock:
        if _server is None:
            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            starter = threading.Thread(target=server.start, daemon=True)
            starter.start()
            starter.join(START_SECONDS)
            if starter.is_alive():
                raise RuntimeError(f"the S3 test server did not start in {START_SECONDS} s")
            host, port = server.get_host_and_port()
            _server, _endpoint = server, f"http://{host}:{port}"
            atexit.register(stop)
        return _endpoint


def stop() -> None:
    """Stop this process's server (nothing if none runs)."""
    global _server, _endpoint
    with _lock:
        server, _server, _endpoint = _server, None, ""
    if server is not None:
        server.stop()


def client():
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint(),
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )


def new_bucket(prefix: str = "layan-test") -> str:
    """A fresh, empty, private bucket on the server; its name."""
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    client().create_bucket(Bucket=name)
    return name


def storage(bucket: str, location: str = "") -> dict:
    """A ``STORAGES`` entry for ``bucket`` on the server, with the options Layan's settings use
    for ``LAYAN_S3_BUCKET`` (private objects, signed URLs only, no overwriting)."""
    from layan.core.storage import s3_storage

    return s3_storage(
        bucket=bucket,
        endpoint_url=endpoint(),
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
        prefix=location,
    )


def suite_storage() -> dict:
    """The default storage of a suite run with ``LAYAN_TEST_STORAGE=s3``: a fresh bucket."""
    return storage(new_bucket("layan-suite"), location="media")
