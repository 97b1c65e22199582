"""The WSGI fast path answers webhook POSTs exactly like the Django view, without middleware."""

from __future__ import annotations

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest

from layan.whatsapp.models import InboundEvent
from layan.wsgi import application
from tests.whatsapp import harness
from tests.whatsapp.conftest import RESIDENT, WAYKANAN_KK

pytestmark = pytest.mark.django_db(transaction=True)


def call(body: bytes, signature: str | None, method="POST", path="/webhooks/whatsapp", length=None):
    environ = {}
    setup_testing_defaults(environ)
    environ.update(
        REQUEST_METHOD=method,
        PATH_INFO=path,
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH=str(len(body) if length is None else length),
        SERVER_NAME="localhost",
        HTTP_HOST="localhost",
        **{"wsgi.input": io.BytesIO(body)},
    )
    if signature:
        environ["HTTP_X_HUB_SIGNATURE_256"] = signature
    captured = {}

    def start_response(status, headers):
        captured["status"] = int(status.split()[0])
        captured["headers"] = dict(headers)

    chunks = application(environ, start_response)
    content = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return captured["status"], content


def test_signed_event_is_stored_and_acknowledged(monkeypatch):
    from layan.whatsapp import inbox

    monkeypatch.setattr(inbox, "_schedule_drain", lambda: None)
    body = json.dumps(harness.text(WAYKANAN_KK, RESIDENT, "halo")).encode()
    status, content = call(body, harness.sign(body, harness.SECRET))
    assert status == 200 and json.loads(content) == {"status": "ok"}
    assert InboundEvent.objects.get().body == body.decode()


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64])
def test_bad_signature_is_403_and_nothing_is_stored(signature):
    body = json.dumps(harness.text(WAYKANAN_KK, RESIDENT, "halo")).encode()
    status, _ = call(body, signature)
    assert status == 403 and InboundEvent.objects.count() == 0


def test_malformed_json_is_400():
    body = b"{oops"
    status, _ = call(body, harness.sign(body, harness.SECRET))
    assert status == 400 and InboundEvent.objects.count() == 0


def test_oversized_body_is_refused_before_reading(settings):
    body = b"x" * 10
    status, _ = call(body, None, length=settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    assert status == 413
    status, _ = call(body, None, length="nonsense")
    assert status == 400
    assert InboundEvent.objects.count() == 0


def test_other_requests_go_through_django(client):
    status, content = call(b"", None, method="GET", path="/healthz")
    assert status == 200 and json.loads(content)["status"] == "ok"
    status, content = call(
        b"", None, method="GET", path="/webhooks/whatsapp"
    )  # handshake without a token: Django's view refuses it
    assert status == 403
