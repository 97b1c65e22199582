"""The phone simulator: signed webhooks in through the real intake, the bot's answers read back."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re

import httpx
import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from layan.offices.models import Channel, Service
from layan.standin import delivery, phone
from layan.standin.models import FailureRule, Media, PhoneMessage, SentMessage
from layan.whatsapp import outbox
from layan.whatsapp.models import InboundMessage, MediaFile, OutboxMessage
from tests.standin.adapter import simulator_in_process

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "test-app-secret"
WAYKANAN_KK = "628117961500"
RESIDENT = "6281234567890"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


@pytest.fixture
def world(presets, settings, tmp_path, monkeypatch):
    """The seed offices; the simulator's webhook POSTs, the Graph client and the stand-in's status
    webhooks all served in-process. Yields the (body, headers) the simulator posted."""
    with simulator_in_process(settings, tmp_path, monkeypatch) as posted:
        yield posted


def send(client, message, *, channel=WAYKANAN_KK, wa_id=RESIDENT, name="Siti Aminah"):
    return client.post(
        "/dev/phone/api/send",
        data=json.dumps({"channel": channel, "wa_id": wa_id, "name": name, "message": message}),
        content_type="application/json",
    )


def messages(client, after="", channel=WAYKANAN_KK, wa_id=RESIDENT):
    response = client.get(
        "/dev/phone/api/messages", {"channel": channel, "wa_id": wa_id, "after": after}
    )
    assert response.status_code == 200, response.content
    return response.json()


def office_items(data):
    return [item for item in data["items"] if item["from"] == "office"]


def png(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(client, content, name, content_type, channel=WAYKANAN_KK):
    file = io.BytesIO(content)
    file.name = name
    # The test client takes the part's type from the file name; a named file object is enough.
    return client.post("/dev/phone/api/upload", {"file": file, "channel": channel})


def posted_message(posted, index=-1) -> dict:
    body, _headers = posted[index]
    return json.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]


# ---------------------------------------------------------------------------------- the page


def test_page_lists_the_active_numbers_and_has_no_inline_code(client, world):
    response = client.get("/dev/phone/")
    assert response.status_code == 200
    html = response.content.decode()
    channel = Channel.objects.get(phone_number_id=WAYKANAN_KK)
    assert f'value="{WAYKANAN_KK}"' in html
    assert channel.phone in html and channel.label.replace("&", "&amp;") in html
    assert "Way Kanan" in html
    assert RESIDENT in html
    # Every script is either a file or JSON data: a strict CSP needs no 'unsafe-inline'.
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    assert "standin/phone.js" in html and "standin/phone.css" in html
    config = json.loads(re.search(r'id="phone-config"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert config["urls"]["send"] == "/dev/phone/api/send"
    assert config["strings"]["sending"]
    assert "csrftoken" in response.cookies
    inactive = Channel.objects.exclude(phone_number_id=WAYKANAN_KK).first()
    Channel.objects.filter(pk=inactive.pk).update(is_active=False)
    assert f'value="{inactive.phone_number_id}"' not in client.get("/dev/phone/").content.decode()


def test_static_files_are_served(client, world):
    for name in ("phone.js", "phone.css"):
        response = client.get(f"/static/standin/{name}")
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 1000


def test_the_api_wants_the_csrf_token(world):
    browser = Client(enforce_csrf_checks=True)
    browser.get("/dev/phone/")
    token = browser.cookies["csrftoken"].value
    body = json.dumps({"channel": WAYKANAN_KK, "wa_id": RESIDENT, "message": {"type": "text"}})
    refused = browser.post("/dev/phone/api/send", data=body, content_type="application/json")
    assert refused.status_code == 403
    allowed = browser.post(
        "/dev/phone/api/send",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert allowed.status_code == 400  # past CSRF; the text is missing
    assert allowed.json()["error"]


# ---------------------------------------------------------------------------------- the loop


def test_text_goes_out_as_a_signed_webhook_and_the_reply_comes_back(client, world):
    response = send(client, {"type": "text", "text": "halo"})
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["ok"] is True and answer["webhook_status"] == 200

    (body, headers), *_ = world
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == expected
    payload = json.loads(body)
    assert payload["object"] == "whatsapp_business_account"
    change = payload["entry"][0]["changes"][0]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {
        "display_phone_number": "628117961500",
        "phone_number_id": WAYKANAN_KK,
    }
    assert value["contacts"] == [{"profile": {"name": "Siti Aminah"}, "wa_id": RESIDENT}]
    (message,) = value["messages"]
    assert message["from"] == RESIDENT and message["type"] == "text"
    assert message["text"] == {"body": "halo"}
    assert message["id"].startswith("wamid.SIM") and message["timestamp"].isdigit()

    row = PhoneMessage.objects.get()
    assert (row.message_id, row.type, row.webhook_status) == (message["id"], "text", 200)
    assert row.payload == message
    assert InboundMessage.objects.get().message_id == message["id"]  # the real intake took it

    data = messages(client)
    mine, reply = data["items"]
    assert (mine["from"], mine["kind"], mine["text"]) == ("me", "text", "halo")
    assert mine["webhook_status"] == 200 and mine["key"] == answer["item"]["key"]
    assert reply["from"] == "office" and reply["kind"] == "list"
    assert "Way Kanan" in reply["text"]
    rows = [row for section in reply["sections"] for row in section["rows"]]
    assert "svc:kk-baru" in {row["id"] for row in rows}
    assert reply["button"]
    assert reply["wamid"] == SentMessage.objects.get().wamid
    (sent,) = data["outbox"]
    assert sent["status"] == "read" and sent["attempts"] == 1 and sent["type"] == "interactive"
    assert data["failures"] == []

    # The cursor moves on; the last seconds are listed again (the page dedups by key).
    again = messages(client, after=data["cursor"])
    assert again["cursor"] == data["cursor"]
    assert {item["key"] for item in again["items"]} <= {item["key"] for item in data["items"]}
    # Another resident's chat is empty.
    assert messages(client, wa_id="6289999999999")["items"] == []


def test_choosing_a_service_from_the_list_shows_its_requirements(client, world):
    send(client, {"type": "text", "text": "halo"})
    menu = office_items(messages(client))[-1]
    row = next(
        row for section in menu["sections"] for row in section["rows"] if row["id"] == "svc:kk-baru"
    )
    response = send(
        client,
        {
            "type": "list_reply",
            "id": row["id"],
            "title": row["title"],
            "description": row.get("description", ""),
            "context": menu["wamid"],
        },
    )
    assert response.status_code == 200 and response.json()["ok"]
    message = posted_message(world)
    assert message["type"] == "interactive"
    assert message["interactive"]["type"] == "list_reply"
    assert message["interactive"]["list_reply"]["id"] == "svc:kk-baru"
    assert message["context"] == {"from": "628117961500", "id": menu["wamid"]}

    data = messages(client)
    mine = [item for item in data["items"] if item["from"] == "me"][-1]
    assert mine["text"] == row["title"] and mine["reply_to"] == menu["wamid"]
    reply = office_items(data)[-1]
    service = Service.objects.get(office__code="waykanan", code="kk-baru")
    assert reply["kind"] == "buttons"
    assert service.name in reply["text"]
    assert service.requirements.first().label in reply["text"]
    assert [b["id"] for b in reply["buttons"]] == ["apply:kk-baru", "menu:main"]


def test_reply_button_and_template_button_have_metas_shapes(client, world):
    send(client, {"type": "button_reply", "id": "yes", "title": "Ya", "context": "wamid.X"})
    message = posted_message(world)
    assert message["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "yes", "title": "Ya"},
    }
    send(client, {"type": "button", "payload": "survey:start", "text": "Isi survei"})
    assert posted_message(world)["button"] == {"payload": "survey:start", "text": "Isi survei"}
    send(client, {"type": "button", "text": "Baca pesan"})
    assert posted_message(world)["button"] == {"payload": "Baca pesan", "text": "Baca pesan"}
    types = list(PhoneMessage.objects.values_list("type", flat=True))
    assert types == ["button_reply", "button", "button"]


def test_a_photo_is_uploaded_sent_and_accepted(client, world):
    content = png()
    response = upload(client, content, "ktp.png", "image/png")
    assert response.status_code == 201, response.content
    media = response.json()
    assert media["mime_type"] == "image/png" and media["type"] == "image"
    assert media["sha256"] == hashlib.sha256(content).hexdigest()
    assert Media.objects.get(pk=media["id"]).phone_number_id == WAYKANAN_KK

    response = send(client, {"type": "image", "media_id": media["id"], "caption": "KTP saya"})
    assert response.status_code == 200 and response.json()["ok"]
    message = posted_message(world)
    assert message["type"] == "image"
    assert message["image"] == {
        "id": media["id"],
        "mime_type": "image/png",
        "sha256": media["sha256"],
        "caption": "KTP saya",
    }
    stored = MediaFile.objects.get()
    assert stored.status == "accepted" and stored.sha256 == media["sha256"]

    data = messages(client)
    mine = data["items"][0]
    assert mine["kind"] == "image" and mine["caption"] == "KTP saya"
    picture = client.get(mine["url"])
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    assert b"".join(picture.streaming_content) == content
    assert office_items(data)[-1]["kind"] == "text"  # "thank you, we received your file"


def test_a_pdf_goes_as_a_document_with_its_file_name(client, world):
    media = upload(client, PDF, "surat-pindah.pdf", "application/pdf").json()
    assert media["type"] == "document"
    send(client, {"type": "document", "media_id": media["id"]})
    message = posted_message(world)
    assert message["document"]["filename"] == "surat-pindah.pdf"
    assert message["document"]["mime_type"] == "application/pdf"
    assert MediaFile.objects.get().status == "accepted"
    mine = messages(client)["items"][0]
    assert mine["kind"] == "document" and mine["filename"] == "surat-pindah.pdf"


def test_office_documents_images_and_templates_are_drawn(client, world):
    channel = Channel.objects.select_related("office").get(phone_number_id=WAYKANAN_KK)
    media = Media.objects.create(mime_type="application/pdf", sha256="0" * 64, size=3)
    base = {"messaging_product": "whatsapp", "to": RESIDENT}
    rows = [
        {
            "type": "document",
            "document": {"id": media.pk, "filename": "kk.pdf", "caption": "KK Anda"},
        },
        {"type": "document", "document": {"link": "https://example.org/a.pdf", "filename": "a"}},
        {"type": "image", "image": {"link": "javascript:alert(1)"}},
        {
            "type": "template",
            "template": {
                "name": "layan_status_update",
                "language": {"code": "id"},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": "KK-7X3K9M"},
                            {"type": "text", "text": "Berkas sudah diverifikasi."},
                        ],
                    }
                ],
            },
        },
        {
            "type": "template",
            "template": {
                "name": "layan_unknown",
                "language": {"code": "id"},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": "X-1"}]},
                    {
                        "type": "button",
                        "sub_type": "quick_reply",
                        "index": "0",
                        "parameters": [{"type": "payload", "payload": "open:1"}],
                    },
                ],
            },
        },
        {"type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": "👍"}},
    ]
    for index, content in enumerate(rows):
        SentMessage.objects.create(
            phone_number_id=channel.phone_number_id,
            recipient=RESIDENT,
            type=content["type"],
            payload={**base, **content},
            wamid=f"wamid.T{index}",
        )
    doc, link, image, template, unknown, reaction = messages(client)["items"]
    assert doc["kind"] == "document" and doc["url"] == f"/dev/phone/media/{media.pk}"
    assert doc["filename"] == "kk.pdf" and doc["caption"] == "KK Anda"
    assert link["url"] == "https://example.org/a.pdf"
    assert image["kind"] == "image" and image["url"] == ""  # only http(s) links are drawn
    assert template["kind"] == "template"
    assert "KK-7X3K9M" in template["text"] and "Berkas sudah diverifikasi." in template["text"]
    assert "{{" not in template["text"]
    assert unknown["text"] == "" and unknown["name"] == "layan_unknown"
    assert unknown["params"] == ["X-1"]
    assert unknown["buttons"] == [{"payload": "open:1", "text": "open:1"}]
    assert reaction["kind"] == "unsupported"


# ---------------------------------------------------------------------------------- failures


def test_the_failure_control_adds_and_clears_rules(client, world):
    response = client.post(
        "/dev/phone/api/fail",
        data=json.dumps({"kind": "error", "code": 131000, "count": 2}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    rule = FailureRule.objects.get()
    assert (rule.scope, rule.kind, rule.code, rule.remaining) == ("messages", "error", 131000, 2)
    assert response.json()["failures"][0]["remaining"] == 2
    assert messages(client)["failures"][0]["code"] == 131000
    response = client.post(
        "/dev/phone/api/fail",
        data=json.dumps({"kind": "http_500"}),
        content_type="application/json",
    )
    assert response.status_code == 201 and FailureRule.objects.count() == 2
    cleared = client.post("/dev/phone/api/fail/clear", data="{}", content_type="application/json")
    assert cleared.status_code == 200 and cleared.json()["deleted"] == 2
    assert not FailureRule.objects.exists()


def test_a_forced_failure_shows_as_retried_then_delivered(client, world):
    client.post(
        "/dev/phone/api/fail",
        data=json.dumps({"kind": "http_500", "count": 1}),
        content_type="application/json",
    )
    send(client, {"type": "text", "text": "halo"})
    data = messages(client)
    (row,) = data["outbox"]
    assert row["status"] == "queued" and row["attempts"] == 1
    assert row["last_error"] and "server" in row["last_error"]
    assert office_items(data) == []

    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    outbox.dispatch(Channel.objects.get(phone_number_id=WAYKANAN_KK).pk)
    data = messages(client)
    (row,) = data["outbox"]
    assert row["status"] == "read" and row["attempts"] == 2 and row["last_error"] == ""
    assert "Way Kanan" in office_items(data)[-1]["text"]


def test_an_unreachable_webhook_is_a_json_error(client, world, monkeypatch):
    def down(body, headers):
        raise httpx.ConnectError("connection refused")

    monkeypatch.setattr(phone, "post_webhook", down)
    response = send(client, {"type": "text", "text": "halo"})
    assert response.status_code == 502
    answer = response.json()
    assert answer["ok"] is False and "connection refused" in answer["error"]
    assert answer["webhook_status"] == 0 and answer["item"]["webhook_status"] == 0
    assert PhoneMessage.objects.get().webhook_status == 0


def test_a_refused_webhook_is_reported(client, world, monkeypatch):
    monkeypatch.setattr(phone, "post_webhook", lambda body, headers: 403)
    response = send(client, {"type": "text", "text": "halo"})
    assert response.status_code == 200
    assert response.json()["ok"] is False and response.json()["webhook_status"] == 403


def test_the_default_poster_uses_httpx_with_a_timeout(settings, monkeypatch):
    seen = {}

    def fake_post(url, **kwargs):
        seen.update(url=url, **kwargs)
        return httpx.Response(200)

    monkeypatch.setattr(delivery.httpx, "post", fake_post)
    settings.LAYAN_STANDIN_WEBHOOK_URL = "http://127.0.0.1:9/webhooks/whatsapp"
    assert phone.post_webhook(b"{}", {"X-Hub-Signature-256": "sha256=00"}) == 200
    assert seen["url"] == "http://127.0.0.1:9/webhooks/whatsapp"
    assert seen["content"] == b"{}" and seen["timeout"] == 10.0


# ---------------------------------------------------------------------------------- bad input

GOOD = {"channel": WAYKANAN_KK, "wa_id": RESIDENT, "message": {"type": "text", "text": "halo"}}


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        json.dumps({**GOOD, "channel": None}),
        json.dumps({**GOOD, "channel": "12345"}),
        json.dumps({**GOOD, "channel": "../etc"}),
        json.dumps({**GOOD, "wa_id": "+62 812"}),
        json.dumps({**GOOD, "wa_id": 6281234567890}),
        json.dumps({**GOOD, "name": ["x"]}),
        json.dumps({**GOOD, "message": "halo"}),
        json.dumps({**GOOD, "message": {"type": "sticker"}}),
        json.dumps({**GOOD, "message": {"type": "text", "text": "   "}}),
        json.dumps({**GOOD, "message": {"type": "text", "text": "x" * 4097}}),
        json.dumps({**GOOD, "message": {"type": "text", "text": "\ud800"}}),
        json.dumps({**GOOD, "message": {"type": "text", "text": "a\u0000b"}}),
        json.dumps({**GOOD, "message": {"type": "button_reply", "id": "a"}}),
        json.dumps({**GOOD, "message": {"type": "image", "media_id": "404"}}),
        json.dumps({**GOOD, "message": {"type": "document", "media_id": 7}}),
    ],
)
def test_bad_send_is_400_json(client, world, body):
    response = client.post("/dev/phone/api/send", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]
    assert world == [] and not PhoneMessage.objects.exists()


def test_send_wants_json_and_post(client, world):
    form = client.post("/dev/phone/api/send", {"channel": WAYKANAN_KK})
    assert form.status_code == 400 and form.json()["error"]
    get = client.get("/dev/phone/api/send")
    assert get.status_code == 405 and get.json()["error"] and get["Allow"] == "POST"


@pytest.mark.parametrize(
    "params",
    [
        {"channel": "", "wa_id": RESIDENT},
        {"channel": "abc", "wa_id": RESIDENT},
        {"channel": WAYKANAN_KK, "wa_id": "abc"},
        {"channel": WAYKANAN_KK, "wa_id": RESIDENT, "after": "yesterday"},
        {"channel": WAYKANAN_KK, "wa_id": RESIDENT, "after": "1.2.3"},
    ],
)
def test_bad_messages_query_is_400_json(client, world, params):
    response = client.get("/dev/phone/api/messages", params)
    assert response.status_code == 400 and response.json()["error"]


def test_bad_uploads_are_400_json(client, world, monkeypatch):
    missing = client.post("/dev/phone/api/upload", {"channel": WAYKANAN_KK})
    assert missing.status_code == 400 and missing.json()["error"]
    zipped = upload(client, b"PK\x03\x04", "a.zip", "application/zip")
    assert zipped.status_code == 400 and zipped.json()["error"]
    empty = upload(client, b"", "empty.pdf", "application/pdf")
    assert empty.status_code == 400 and empty.json()["error"]
    unknown = upload(client, PDF, "a.pdf", "application/pdf", channel="999")
    assert unknown.status_code == 400
    monkeypatch.setattr(phone, "MAX_UPLOAD_BYTES", 10)
    large = upload(client, PDF, "big.pdf", "application/pdf")
    assert large.status_code == 400 and "MB" in large.json()["error"]
    assert not Media.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "nope"},
        {"kind": "error"},
        {"kind": "error", "code": "abc"},
        {"kind": "http_500", "count": 0},
        {"kind": "http_500", "count": "many"},
        {"kind": "timeout", "seconds": 1000},
        {"kind": "http_500", "channel": "../x"},
        {"kind": "http_500", "count": 10**12},
        {"kind": "error", "code": 10**12},
        {"kind": "timeout", "seconds": "nan"},
    ],
)
def test_bad_failure_requests_are_400_json(client, world, body):
    response = client.post(
        "/dev/phone/api/fail", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["error"]
    assert not FailureRule.objects.exists()


@pytest.mark.parametrize("raw", ['{"kind": "http_500", "count": 1e400}', "[]", "nope"])
def test_odd_json_for_failures_is_400_json(client, world, raw):
    response = client.post("/dev/phone/api/fail", data=raw, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]
    assert not FailureRule.objects.exists()


def test_unknown_media_is_404(client, world):
    assert client.get("/dev/phone/media/123").status_code == 404
