"""The Graph API stand-in: Meta's protocol as Layan's client and webhook intake see it."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.core import signing
from django.test import Client

from layan.standin import delivery, services
from layan.standin.models import FailureRule, Media, SentMessage

PNID = "106540352242922"
AUTH = {"Authorization": "Bearer test-access-token"}
SECRET = "test-app-secret"
MESSAGES = f"/graph/v23.0/{PNID}/messages"


def text(body="Halo", **extra):
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "text",
        "text": {"body": body},
        **extra,
    }


@pytest.fixture(autouse=True)
def webhooks(db, settings, tmp_path):
    """Status webhooks as (raw body, headers), in the order the stand-in posted them."""
    settings.MEDIA_ROOT = tmp_path
    collected: list[tuple[bytes, dict]] = []
    previous = delivery.set_deliverer(
        lambda body, headers: collected.append((body, headers)) or 200
    )
    yield collected
    delivery.set_deliverer(previous)


@pytest.fixture
def http():
    return Client()


def send(http, payload, headers=AUTH, path=MESSAGES):
    return http.post(
        path, data=json.dumps(payload), content_type="application/json", headers=headers
    )


# ------------------------------------------------------------------------- status webhooks


def test_statuses_sent_delivered_read_signed_with_callback_data(
    http, webhooks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(http, text(biz_opaque_callback_data="outbox:42"))

    assert response.status_code == 200
    answer = response.json()
    wamid = answer["messages"][0]["id"]
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": "6281234567890", "wa_id": "6281234567890"}]

    statuses = []
    for body, headers in webhooks:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Hub-Signature-256"] == expected
        assert headers["Content-Type"] == "application/json"
        payload = json.loads(body)
        assert payload["object"] == "whatsapp_business_account"
        value = payload["entry"][0]["changes"][0]["value"]
        assert payload["entry"][0]["changes"][0]["field"] == "messages"
        assert value["messaging_product"] == "whatsapp"
        assert value["metadata"]["phone_number_id"] == PNID
        assert value["metadata"]["display_phone_number"]
        (status,) = value["statuses"]
        assert status["id"] == wamid
        assert status["recipient_id"] == "6281234567890"
        assert status["biz_opaque_callback_data"] == "outbox:42"
        assert status["timestamp"].isdigit()
        statuses.append(status["status"])
    assert statuses == ["sent", "delivered", "read"]


def test_statuses_go_out_only_after_commit(http, webhooks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send(http, text())
    assert webhooks == []
    assert len(callbacks) == 1


def test_no_callback_data_no_field(http, webhooks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(http, text())
    statuses = [
        json.loads(b)["entry"][0]["changes"][0]["value"]["statuses"][0] for b, _ in webhooks
    ]
    assert len(statuses) == 3
    assert all("biz_opaque_callback_data" not in s for s in statuses)


def test_statuses_are_accepted_by_layans_own_webhook(http, django_capture_on_commit_callbacks):
    from django.db.migrations.loader import MigrationLoader

    if not any(app == "whatsapp" for app, _ in MigrationLoader(None).disk_migrations):
        pytest.skip("layan.whatsapp has no migrations yet")
    answers = []

    def to_webhook(body, headers):
        response = Client().post(
            "/webhooks/whatsapp",
            data=body,
            content_type=headers["Content-Type"],
            headers={"X-Hub-Signature-256": headers["X-Hub-Signature-256"]},
        )
        answers.append(response.status_code)
        return response.status_code

    delivery.set_deliverer(to_webhook)
    with django_capture_on_commit_callbacks(execute=True):
        send(http, text())
    assert answers == [200, 200, 200]


def test_an_unreachable_webhook_stops_the_sequence_but_not_the_send(http):
    calls = []

    def down(body, headers):
        calls.append(body)
        raise ConnectionRefusedError("webhook down")

    delivery.set_deliverer(down)
    message = services.record_sent(PNID, text())
    assert services.emit_statuses(message.wamid) == []
    assert len(calls) == 1


def test_build_status_webhook_for_a_failure():
    body = services.build_status_webhook(
        phone_number_id=PNID,
        wamid="wamid.X",
        status="failed",
        recipient_id="62812",
        timestamp=1700000000,
        errors=[{"code": 131026, "title": "Message undeliverable"}],
        display_phone_number="6281100000000",
    )
    status = body["entry"][0]["changes"][0]["value"]["statuses"][0]
    assert status == {
        "id": "wamid.X",
        "status": "failed",
        "timestamp": "1700000000",
        "recipient_id": "62812",
        "errors": [{"code": 131026, "title": "Message undeliverable"}],
    }
    raw = json.dumps(body).encode()
    assert (
        services.sign(raw) == "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    )


# ------------------------------------------------------------------------- auth


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic dGVzdDp0ZXN0"}]
)
def test_bearer_token_required(http, headers):
    response = send(http, text(), headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == 190
    assert response.json()["error"]["type"] == "OAuthException"
    assert not SentMessage.objects.exists()


def test_expired_token_is_metas_190(http):
    response = send(http, text(), headers={"Authorization": "Bearer expired"})
    assert response.status_code == 401
    error = response.json()["error"]
    assert (error["code"], error["error_subcode"]) == (190, 463)
    assert error["fbtrace_id"]
    assert "invalid_token" in response["WWW-Authenticate"]


def test_any_other_token_is_accepted(http):
    assert send(http, text(), headers={"Authorization": "Bearer anything"}).status_code == 200


def test_media_download_needs_the_bearer_too(http):
    media = services.store_media(b"%PDF-1.4 test", mime_type="application/pdf", filename="a.pdf")
    info = http.get(f"/graph/v23.0/{media.pk}", headers=AUTH).json()
    assert http.get(info["url"]).status_code == 401
    assert http.get(info["url"], headers=AUTH).status_code == 200


# ------------------------------------------------------------------------- validation


def test_invalid_request_is_metas_error_object(http):
    response = send(http, text(body="x" * 4097))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100
    assert error["type"] == "OAuthException"
    assert error["message"] == "(#100) Invalid parameter"
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert "4096" in error["error_data"]["details"]
    assert error["fbtrace_id"]


def test_malformed_json_and_wrong_method(http):
    response = http.post(MESSAGES, data=b"{nope", content_type="application/json", headers=AUTH)
    assert (response.status_code, response.json()["error"]["code"]) == (400, 100)
    response = http.get(MESSAGES, headers=AUTH)
    assert (response.status_code, response.json()["error"]["code"]) == (400, 100)


def test_list_limits(http):
    def listing(rows, title="Layanan"):
        return {
            "messaging_product": "whatsapp",
            "to": "62812",
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": "Pilih"},
                "action": {"button": "Pilih", "sections": [{"title": "A", "rows": rows}]},
            },
        }

    ok = [{"id": str(i), "title": f"Layanan {i}"} for i in range(10)]
    assert send(http, listing(ok)).status_code == 200
    assert send(http, listing(ok + [{"id": "x", "title": "x"}])).status_code == 400
    assert send(http, listing([{"id": "1", "title": "t" * 25}])).status_code == 400
    assert (
        send(http, listing([{"id": "1", "title": "t", "description": "d" * 73}])).status_code == 400
    )


# ------------------------------------------------------------------------- failure rules


def test_failure_rule_consumed_exactly_count_times(http):
    rule = services.add_failure(scope="messages", code=130429, count=2)

    answers = [send(http, text()) for _ in range(3)]

    assert [a.status_code for a in answers] == [400, 400, 200]
    assert [a.json()["error"]["code"] for a in answers[:2]] == [130429, 130429]
    rule.refresh_from_db()
    assert rule.remaining == 0
    assert SentMessage.objects.count() == 1


def test_failure_rules_in_order_and_by_number(http):
    services.add_failure(scope="messages", code=131047, phone_number_id="999")
    services.add_failure(scope="any", kind="http_500")
    services.add_failure(scope="messages", code=131026)

    assert (
        send(http, text()).status_code == 500
    )  # the "any" rule: the 999 one is for another number
    assert send(http, text()).json()["error"]["code"] == 131026
    assert send(http, text()).status_code == 200
    response = send(http, text(), path="/graph/v23.0/999/messages")
    assert response.json()["error"]["code"] == 131047
    assert not FailureRule.objects.filter(remaining__gt=0).exists()


def test_timeout_rule_answers_504_after_the_delay(http):
    services.add_failure(scope="messages", kind="timeout", seconds=0.01)
    response = send(http, text())
    assert response.status_code == 504
    assert response["Content-Type"].startswith("text/plain")


def test_add_failure_checks_its_arguments():
    with pytest.raises(ValueError):
        services.add_failure(kind="error")  # no code
    with pytest.raises(ValueError):
        services.add_failure(kind="explode")
    with pytest.raises(ValueError):
        services.add_failure(scope="calls", kind="http_500")
    with pytest.raises(ValueError):
        services.add_failure(kind="http_500", count=0)


def test_control_endpoint(http):
    url = "/graph/_control/failures"
    response = http.post(
        url,
        data=json.dumps({"scope": "messages", "kind": "error", "code": 131056, "count": 1}),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["remaining"] == 1
    assert [r["code"] for r in http.get(url).json()["data"]] == [131056]

    assert send(http, text()).json()["error"]["code"] == 131056
    assert http.get(url).json()["data"] == []

    http.post(
        url, data=json.dumps({"kind": "http_500", "count": 5}), content_type="application/json"
    )
    assert http.delete(url).json() == {"deleted": 2}
    assert send(http, text()).status_code == 200

    assert http.post(url, data={"kind": "http_500"}).status_code == 415
    bad = http.post(url, data=json.dumps({"kind": "nope"}), content_type="application/json")
    assert bad.status_code == 400
    assert http.put(url).status_code == 405


# ------------------------------------------------------------------------- media


def test_media_upload_info_download(http):
    content = b"%PDF-1.4\n% test document\n"
    response = http.post(
        f"/graph/v23.0/{PNID}/media",
        data={
            "messaging_product": "whatsapp",
            "type": "application/pdf",
            "file": _upload("surat.pdf", content, "application/pdf"),
        },
        headers=AUTH,
    )
    assert response.status_code == 200
    media_id = response.json()["id"]
    assert media_id.isdigit()
    media = Media.objects.get(pk=media_id)
    assert (media.filename, media.size, media.phone_number_id) == ("surat.pdf", len(content), PNID)

    info = http.get(f"/graph/v23.0/{media_id}", headers=AUTH).json()
    assert info["url"].startswith(f"http://testserver/graph/media/{media_id}/download?")
    assert info["sha256"] == hashlib.sha256(content).hexdigest()
    assert (info["file_size"], info["mime_type"], info["id"]) == (
        len(content),
        "application/pdf",
        media_id,
    )
    assert info["messaging_product"] == "whatsapp"

    download = http.get(info["url"], headers=AUTH)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == content


def test_upload_needs_file_and_product(http):
    path = f"/graph/v23.0/{PNID}/media"
    assert http.post(path, data={"messaging_product": "whatsapp"}, headers=AUTH).status_code == 400
    response = http.post(
        path, data={"file": _upload("a.pdf", b"%PDF", "application/pdf")}, headers=AUTH
    )
    assert response.status_code == 400


def test_unknown_media_is_404_with_code_100(http):
    response = http.get("/graph/v23.0/123456", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == 100


def test_media_of_another_number(http):
    media = services.store_media(b"%PDF", mime_type="application/pdf", phone_number_id=PNID)
    response = http.get(f"/graph/v23.0/{media.pk}?phone_number_id=999", headers=AUTH)
    assert response.status_code == 400


def test_download_urls_expire_and_cannot_be_forged(http, monkeypatch):
    media = services.store_media(b"%PDF", mime_type="application/pdf")
    url = http.get(f"/graph/v23.0/{media.pk}", headers=AUTH).json()["url"]
    other = services.store_media(b"%PDF-2", mime_type="application/pdf")
    forged = url.replace(media.pk, other.pk)
    assert http.get(forged, headers=AUTH).status_code == 404

    later = signing.time.time() + services.DOWNLOAD_URL_SECONDS + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert http.get(url, headers=AUTH).status_code == 404


def _upload(name, content, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)
