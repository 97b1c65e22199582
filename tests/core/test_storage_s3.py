"""Files on an S3-compatible bucket (django-storages against moto's S3 server on loopback): an
attachment uploaded through the API lands in the bucket as a private object, comes back through
Layan's own download views (logged, per office), and an anonymous GET of the object is refused."""

from __future__ import annotations

import http.client
import io
import json
import os
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from layan.api.models import ApiToken
from tests import s3server

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not s3server.available(), reason="moto's S3 server is not installed"),
]


@pytest.fixture(scope="session")
def s3_endpoint():
    """The S3 server of this session: started once (bounded), stopped at the end."""
    yield s3server.endpoint()
    s3server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    """The default storage on a fresh private bucket, under the prefix ``media``."""
    name = s3server.new_bucket()
    settings.STORAGES = {**settings.STORAGES, "default": s3server.storage(name, "media")}
    return name


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(out, "JPEG")
    return out.getvalue()


def anonymous_get(path: str) -> int:
    """The status of a GET of ``path`` on the S3 server without any credentials."""
    url = urlsplit(s3server.endpoint())
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def bearer(username: str) -> str:
    user = get_user_model().objects.get(username=username)
    return "Bearer " + ApiToken.issue(user, "storage")[1]


def test_the_settings_build_a_private_s3_storage_from_the_environment(monkeypatch):
    import importlib

    import layan.settings

    environment = {
        "LAYAN_S3_BUCKET": "layan-media",
        "LAYAN_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "LAYAN_S3_ACCESS_KEY_ID": "key",
        "LAYAN_S3_SECRET_ACCESS_KEY": "secret",
        "LAYAN_S3_PREFIX": "/waykanan/",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    try:
        configured = importlib.reload(layan.settings).STORAGES["default"]
    finally:
        for name in environment:
            monkeypatch.delenv(name)
        plain = importlib.reload(layan.settings).STORAGES["default"]
    assert configured["BACKEND"] == "storages.backends.s3.S3Storage"
    options = configured["OPTIONS"]
    assert options["bucket_name"] == "layan-media"
    assert options["endpoint_url"] == "http://127.0.0.1:9000"
    assert (options["access_key"], options["secret_key"]) == ("key", "secret")
    assert options["region_name"] == "us-east-1" and options["location"] == "waykanan"
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is True and options["file_overwrite"] is False
    assert plain["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    from layan.core.storage import s3_storage

    assert s3_storage(bucket="b", acl="")["OPTIONS"]["default_acl"] is None


def test_an_uploaded_attachment_is_a_private_object_served_only_by_layan(client, presets, bucket):
    owner = bearer("waykanan.operator_siak")
    created = client.post(
        "/api/v1/cases",
        json.dumps({"office": "waykanan", "service": "kk-baru", "applicant_name": "Ani"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=owner,
    )
    assert created.status_code == 201, created.content
    code = created.json()["code"]
    from layan.cases.models import Case

    case = Case.objects.get(code=code)
    requirement = next(
        r.code for r in case.service.requirements.all() if r.kind in ("photo", "document")
    )
    content = jpeg()
    upload = client.post(
        f"/api/v1/cases/{code}/attachments",
        {"requirement": requirement, "file": io.BytesIO(content)},
        HTTP_AUTHORIZATION=owner,
    )
    assert upload.status_code == 201, upload.content
    attachment = case.attachments.get(pk=upload.json()["id"])

    # The object is in the bucket, under the prefix, with the uploaded bytes.
    s3 = s3server.client()
    key = f"media/{attachment.file.name}"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [key]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == content
    grants = s3.get_object_acl(Bucket=bucket, Key=key)["Grants"]
    assert not [g for g in grants if "AllUsers" in g["Grantee"].get("URI", "")]

    # Not publicly readable: an anonymous GET is refused, while a public object next to it
    # would be served (so the refusal is the object's, not the server's).
    assert anonymous_get(f"/{bucket}/{key}") == 403
    s3.put_object(Bucket=bucket, Key="probe/public.txt", Body=b"open", ACL="public-read")
    assert anonymous_get(f"/{bucket}/probe/public.txt") == 200
    assert "X-Amz-Signature=" in attachment.file.url or "Signature=" in attachment.file.url

    # Layan's views serve it: the API (token, office) and the console (session), each logged.
    api = client.get(f"/api/v1/cases/{code}/attachments/{attachment.pk}", HTTP_AUTHORIZATION=owner)
    assert api.status_code == 200 and b"".join(api.streaming_content) == content
    stranger = bearer("balangan.operator_siak")
    refused = client.get(
        f"/api/v1/cases/{code}/attachments/{attachment.pk}", HTTP_AUTHORIZATION=stranger
    )
    assert refused.status_code == 404
    client.force_login(get_user_model().objects.get(username="waykanan.operator_siak"))
    console = client.get(reverse("console:attachment", args=[code, attachment.pk]))
    assert console.status_code == 200, console.status_code
    assert b"".join(console.streaming_content) == content
    assert case.accesses.filter(kind="file").count() == 2

    # A file gone from the bucket is a clear 404, not a 500.
    s3.delete_object(Bucket=bucket, Key=key)
    gone = client.get(f"/api/v1/cases/{code}/attachments/{attachment.pk}", HTTP_AUTHORIZATION=owner)
    assert gone.status_code == 404 and gone.json()["code"] == "file_missing"


def test_a_taken_name_gets_a_new_one_instead_of_overwriting(bucket):
    first = default_storage.save("documents/2026/same.pdf", ContentFile(b"first"))
    second = default_storage.save("documents/2026/same.pdf", ContentFile(b"second"))
    assert first == "documents/2026/same.pdf" and second != first
    with default_storage.open(first, "rb") as handle:
        assert handle.read() == b"first"
    directories, files = default_storage.listdir("documents/2026")
    assert sorted(files) == sorted([first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]])


def test_a_signed_pdf_is_stored_in_the_bucket_and_served_by_the_console_and_the_api(client, bucket):
    from layan.demo.loader import create_demo_staff, create_demo_teams, load_presets
    from layan.offices.models import Office
    from tests.documents.conftest import new_case, walk_to
    from tests.signing import keys_for_signers

    load_presets()
    create_demo_staff("demo-pass-123")
    create_demo_teams("demo-pass-123")
    keys_for_signers(Office.objects.get(code="waykanan"))
    case = walk_to(new_case("waykanan", "kk-baru"), "handover")  # signed on the way
    document = case.documents.get(status="active")
    key = f"media/{document.file.name}"
    s3 = s3server.client()
    stored = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert stored.startswith(b"%PDF") and len(stored) == document.size
    assert anonymous_get(f"/{bucket}/{key}") == 403

    client.force_login(get_user_model().objects.get(username="waykanan.semua"))
    console = reverse("console:issued", args=[case.code, document.public_id])
    assert client.get(console).content == stored
    api = f"/api/v1/cases/{case.code}/documents/{document.public_id}"
    auth = bearer("waykanan.semua")
    assert client.get(api, HTTP_AUTHORIZATION=auth).content == stored

    s3.delete_object(Bucket=bucket, Key=key)  # gone from the bucket: 404, not a 500
    assert client.get(console).status_code == 404
    assert client.get(api, HTTP_AUTHORIZATION=auth).json()["code"] == "file_missing"


@pytest.mark.skipif(
    os.environ.get("LAYAN_TEST_STORAGE") != "s3", reason="the suite runs on the local disk"
)
def test_with_layan_test_storage_s3_the_suites_files_go_to_its_bucket():
    options = django_settings.STORAGES["default"]["OPTIONS"]
    assert django_settings.STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["endpoint_url"] == s3server.endpoint()
    name = default_storage.save("probe/suite.txt", ContentFile(b"on s3"))
    body = s3server.client().get_object(Bucket=options["bucket_name"], Key=f"media/{name}")["Body"]
    assert body.read() == b"on s3"
    default_storage.delete(name)
