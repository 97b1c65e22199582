"""The WhatsApp channel end to end: signed webhook in, bot, outbox, stand-in, statuses back."""

from __future__ import annotations

import hashlib
import io
import json
import random
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from layan.bot import engine
from layan.cases.models import CaseFlag
from layan.cases.services import Actor, submit_case
from layan.core.models import Alert
from layan.offices.models import Channel, Service
from layan.standin import services as standin
from layan.standin.models import SentMessage
from layan.whatsapp import inbox, outbox
from layan.whatsapp.models import (
    Conversation,
    Identity,
    InboundEvent,
    InboundMessage,
    MediaFile,
    MessageStatus,
    OutboxMessage,
)
from tests.whatsapp import harness
from tests.whatsapp.conftest import RESIDENT, WAYKANAN_KK

pytestmark = pytest.mark.django_db(transaction=True)


def sent_to(wa_id: str):
    return SentMessage.objects.filter(recipient=wa_id).order_by("created_at")


def body_text(sent: SentMessage) -> str:
    payload = sent.payload
    if payload["type"] == "text":
        return payload["text"]["body"]
    if payload["type"] == "interactive":
        return payload["interactive"]["body"]["text"]
    return json.dumps(payload)


# --------------------------------------------------------------------------- handshake


def test_handshake_answers_the_bare_challenge_for_the_right_token(client):
    ok = client.get(
        "/webhooks/whatsapp",
        {"hub.mode": "subscribe", "hub.verify_token": "test-verify-token", "hub.challenge": "42"},
    )
    assert ok.status_code == 200 and ok.content == b"42"
    assert ok["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "42"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "test-verify-token", "hub.challenge": "1"},
        {"hub.challenge": "42"},
    ],
)
def test_handshake_refuses_anything_else(client, params):
    response = client.get("/webhooks/whatsapp", params)
    assert response.status_code == 403 and b"42" not in response.content


# --------------------------------------------------------------------------- signatures


@pytest.mark.parametrize(
    "how",
    ["missing", "wrong", "other_secret", "tampered", "no_prefix"],
)
def test_bad_signature_is_403_and_nothing_is_stored(client, how):
    payload = harness.text(WAYKANAN_KK, RESIDENT, "halo")
    body = json.dumps(payload).encode()
    kwargs = {}
    if how == "missing":
        kwargs["signature"] = False
    elif how == "wrong":
        kwargs["signature"] = "sha256=" + "0" * 64
    elif how == "other_secret":
        kwargs["secret"] = "not-the-app-secret"
    elif how == "tampered":
        kwargs["signature"] = harness.sign(body, harness.SECRET)
        kwargs["raw"] = body.replace(b"halo", b"hal0")
    elif how == "no_prefix":
        kwargs["signature"] = harness.sign(body, harness.SECRET).removeprefix("sha256=")
        kwargs["raw"] = body
    response = harness.post(client, payload, **kwargs)
    assert response.status_code == 403
    assert InboundEvent.objects.count() == 0 and InboundMessage.objects.count() == 0


@pytest.mark.parametrize(
    "raw", [b"{not json", b"\xff\xfe", b"[1, 2]", b'"text"', '{"a": 1}'.encode("utf-16")]
)
def test_malformed_json_is_400_never_5xx(client, raw):
    response = harness.post(client, None, raw=raw)
    assert response.status_code == 400
    assert InboundEvent.objects.count() == 0


def test_unknown_number_is_stored_logged_and_acknowledged(channel_world, client, caplog):
    response = harness.post(client, harness.text("620000000000", RESIDENT, "halo"))
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.phone_number_id == "620000000000"
    assert event.processed_at is not None
    assert InboundMessage.objects.get().conversation is None
    assert OutboxMessage.objects.count() == 0
    assert "unknown number" in caplog.text


# --------------------------------------------------------------------------- the loop


def test_text_reaches_the_bot_and_the_reply_is_sent_and_read(channel_world, client):
    response = harness.post(client, harness.text(WAYKANAN_KK, RESIDENT, "halo"))
    assert response.status_code == 200
    replies = list(sent_to(RESIDENT))
    assert len(replies) == 1
    reply = replies[0]
    assert "Way Kanan" in body_text(reply)
    # The bot's menu offers the services of this number (KK and SKPWNI).
    assert "kk-baru" in json.dumps(reply.payload)
    row = OutboxMessage.objects.get()
    assert row.wamid == reply.wamid
    assert reply.callback_data == str(row.pk)
    # The stand-in posted sent → delivered → read back through the signed webhook.
    assert row.status == "read" and row.delivered_at and row.read_at
    assert set(MessageStatus.objects.values_list("status", flat=True)) == {
        "sent",
        "delivered",
        "read",
    }
    conversation = Conversation.objects.get()
    assert conversation.window_open(timezone.now())
    assert conversation.identity.key == RESIDENT and conversation.identity.name == "Siti Aminah"


def test_same_message_delivered_five_times_has_one_effect(channel_world, client):
    payload = harness.text(WAYKANAN_KK, RESIDENT, "halo", message_id="wamid.REPEATED")
    for _ in range(5):
        assert harness.post(client, payload).status_code == 200
    assert InboundEvent.objects.filter(body__contains="wamid.REPEATED").count() == 5
    assert InboundMessage.objects.count() == 1
    assert OutboxMessage.objects.count() == 1
    assert sent_to(RESIDENT).count() == 1


def test_choosing_a_service_from_the_list_explains_its_requirements(channel_world, client):
    payload = harness.message(
        WAYKANAN_KK,
        RESIDENT,
        "interactive",
        {"type": "list_reply", "list_reply": {"id": "svc:kk-baru", "title": "Kartu Keluarga"}},
    )
    harness.post(client, payload)
    text = body_text(sent_to(RESIDENT).last())
    service = Service.objects.get(office__code="waykanan", code="kk-baru")
    assert service.name in text
    assert service.requirements.first().label in text


@pytest.mark.parametrize("kind", ["sticker", "reaction", "unsupported", "order", "system"])
def test_unsupported_kinds_get_a_polite_answer(channel_world, client, kind):
    bodies = {
        "sticker": {"id": "123", "mime_type": "image/webp", "animated": False},
        "reaction": {"message_id": "wamid.X", "emoji": "👍"},
        "unsupported": {},
        "order": {"catalog_id": "1", "product_items": []},
        "system": {"body": "changed number", "type": "user_changed_number"},
    }
    response = harness.post(client, harness.message(WAYKANAN_KK, RESIDENT, kind, bodies[kind]))
    assert response.status_code == 200
    assert InboundMessage.objects.get().kind in (kind, "unsupported")
    assert sent_to(RESIDENT).count() == 1


def test_voice_note_gets_guidance(channel_world, client):
    voice = {"id": "1", "mime_type": "audio/ogg; codecs=opus", "voice": True}
    harness.post(client, harness.message(WAYKANAN_KK, RESIDENT, "audio", voice))
    assert "voice" in body_text(sent_to(RESIDENT).get()).lower() or "suara" in body_text(
        sent_to(RESIDENT).get()
    )


# --------------------------------------------------------------------------- statuses


def test_statuses_out_of_order_only_move_forward(channel_world, manual_dispatch, client):
    conversation = _conversation()
    row = outbox.queue(
        conversation=conversation, content={"type": "text", "text": {"body": "x"}}, key="k1"
    )
    OutboxMessage.objects.filter(pk=row.pk).update(status="accepted", wamid="wamid.OUT1")
    for state in ("read", "sent", "delivered", "sent"):
        harness.post(client, harness.status(WAYKANAN_KK, "wamid.OUT1", state, recipient=RESIDENT))
    row.refresh_from_db()
    assert row.status == "read"
    # A failure after "read" changes nothing either; replays are recorded once.
    harness.post(client, harness.status(WAYKANAN_KK, "wamid.OUT1", "read", recipient=RESIDENT))
    assert MessageStatus.objects.filter(message_id="wamid.OUT1", status="read").count() == 1


def test_status_with_foreign_callback_data_is_matched_by_message_id(
    channel_world, client, manual_dispatch
):
    conversation = _conversation()
    row = outbox.queue(
        conversation=conversation, content={"type": "text", "text": {"body": "x"}}, key="k2"
    )
    OutboxMessage.objects.filter(pk=row.pk).update(status="accepted", wamid="wamid.OUT2")
    payload = harness.status(
        WAYKANAN_KK, "wamid.OUT2", "delivered", recipient=RESIDENT, callback="not-a-uuid"
    )
    assert harness.post(client, payload).status_code == 200
    row.refresh_from_db()
    assert row.status == "delivered"
    event = InboundEvent.objects.get(body__contains="not-a-uuid")
    assert event.processed_at is not None and event.attempts == 0


def _conversation(channel_id=WAYKANAN_KK, wa_id=RESIDENT, last_inbound=None) -> Conversation:
    identity, _ = Identity.objects.get_or_create(key=wa_id, defaults={"wa_id": wa_id})
    conversation, _ = Conversation.objects.get_or_create(
        channel=Channel.objects.get(phone_number_id=channel_id), identity=identity
    )
    conversation.last_inbound_at = last_inbound
    conversation.save()
    return conversation


# --------------------------------------------------------------------------- media


def png(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def send_media(client, content: bytes, mime: str, kind: str = "image", sha=None):
    media = standin.store_media(content, mime_type=mime, filename="berkas")
    if sha is not None:
        type(media).objects.filter(pk=media.pk).update(sha256=sha)
    body = {"id": media.pk, "mime_type": mime, "sha256": hashlib.sha256(content).hexdigest()}
    if kind == "document":
        body["filename"] = "berkas.pdf"
    return harness.post(client, harness.message(WAYKANAN_KK, RESIDENT, kind, body))


def test_photo_is_downloaded_checked_and_stored(channel_world, client):
    content = png()
    assert send_media(client, content, "image/png").status_code == 200
    media = MediaFile.objects.get()
    assert media.status == "accepted" and media.mime_type == "image/png"
    assert media.sha256 == hashlib.sha256(content).hexdigest()
    with media.file.open("rb") as stored:
        assert stored.read() == content


def test_pdf_document_is_accepted(channel_world, client):
    send_media(
        client,
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
        "application/pdf",
        kind="document",
    )
    assert MediaFile.objects.get().status == "accepted"


@pytest.mark.parametrize(
    ("reason", "content", "mime", "kind", "phrase"),
    [
        ("type_not_allowed", b"just text", "text/plain", "document", "PDF"),
        ("image_invalid", b"\x89PNG\r\n\x1a\nbroken", "image/png", "image", "foto"),
        ("pdf_invalid", b"not a pdf at all", "application/pdf", "document", "PDF"),
    ],
)
def test_each_media_rejection_gets_a_clear_reply(
    channel_world, client, reason, content, mime, kind, phrase
):
    send_media(client, content, mime, kind)
    media = MediaFile.objects.get()
    assert (media.status, media.reason) == ("rejected", reason)
    assert phrase.lower() in body_text(sent_to(RESIDENT).get()).lower()


def test_too_large_photo_is_rejected(channel_world, client, settings):
    settings.WHATSAPP_MEDIA_MAX_BYTES = {"image": 100, "document": 1000}
    send_media(client, png((200, 200)), "image/png")
    assert MediaFile.objects.get().reason == "too_large"
    assert "5 MB" in body_text(sent_to(RESIDENT).get())


def test_checksum_mismatch_is_rejected(channel_world, client):
    send_media(client, png(), "image/png", sha="ab" * 32)
    assert MediaFile.objects.get().reason == "checksum_mismatch"


def test_decompression_bomb_is_rejected_without_decoding(channel_world, client):
    buffer = io.BytesIO()
    Image.new("1", (12000, 12000)).save(buffer, format="PNG")  # 144 MP, a few KB
    send_media(client, buffer.getvalue(), "image/png")
    assert MediaFile.objects.get().reason == "image_too_big"


# --------------------------------------------------------------------------- outbox failures


@pytest.fixture
def manual_dispatch(monkeypatch):
    """Queued messages wait for the test to call dispatch (no sending on commit)."""
    monkeypatch.setattr(outbox, "_kick", lambda channel_id: None)


def _queued_row(key="k"):
    conversation = _conversation(last_inbound=timezone.now())
    return outbox.queue(
        conversation=conversation,
        content={"type": "text", "text": {"body": "Permohonan Anda diproses."}},
        key=key,
        template_key="status_update",
        template_params=["KK-ABC123", "diproses"],
    )


def test_retry_schedule_backs_off_with_jitter_on_a_fake_clock(channel_world, manual_dispatch):
    standin.add_failure(scope="messages", kind="http_500", count=2)
    row = _queued_row()
    channel_id = row.channel_id
    t0 = timezone.now()
    rng = random.Random(7)
    clock = [t0]
    run = lambda: outbox.dispatch(channel_id, clock=lambda: clock[0], rng=rng)  # noqa: E731
    assert run() == 0
    row.refresh_from_db()
    first_wait = (row.next_attempt_at - t0).total_seconds()
    assert row.attempts == 1 and 1 <= first_wait <= 2 and row.status == "queued"
    assert run() == 0  # not due yet: nothing is sent, nothing is consumed
    row.refresh_from_db()
    assert row.attempts == 1
    clock[0] = row.next_attempt_at
    assert run() == 0
    row.refresh_from_db()
    second_wait = (row.next_attempt_at - clock[0]).total_seconds()
    assert row.attempts == 2 and 2 <= second_wait <= 4
    clock[0] = row.next_attempt_at
    assert run() == 1
    row.refresh_from_db()
    assert row.status in ("accepted", "sent", "delivered", "read") and row.wamid


def test_backoff_grows_exponentially_and_is_capped():
    rng = random.Random(1)
    for attempt in range(1, 30):
        wait = outbox.backoff_seconds(attempt, rng)
        ceiling = min(outbox.BACKOFF_CAP, outbox.BACKOFF_BASE * 2 ** (attempt - 1))
        assert ceiling / 2 <= wait <= ceiling


@pytest.mark.parametrize("code", [130429, 131056])
def test_rate_limit_errors_are_retried(channel_world, manual_dispatch, code):
    standin.add_failure(scope="messages", kind="error", code=code, count=1)
    row = _queued_row()
    outbox.dispatch(row.channel_id)
    row.refresh_from_db()
    assert row.status == "queued" and row.attempts == 1 and row.error_code == code


def test_window_closed_error_resends_as_the_approved_template(channel_world, manual_dispatch):
    standin.add_failure(scope="messages", kind="error", code=131047, count=1)
    row = _queued_row()
    outbox.dispatch(row.channel_id)
    row.refresh_from_db()
    assert row.as_template and row.content["type"] == "template"
    assert row.content["template"]["name"] == "layan_status_update"
    outbox.dispatch(row.channel_id)
    row.refresh_from_db()
    assert row.wamid and row.status != "failed"
    assert SentMessage.objects.get(wamid=row.wamid).payload["type"] == "template"


def test_undeliverable_marks_the_message_and_flags_the_request(channel_world, manual_dispatch):
    standin.add_failure(scope="messages", kind="error", code=131026, count=1)
    service = Service.objects.get(office__code="waykanan", code="kk-baru")
    case = submit_case(service=service, actor=Actor.applicant(), applicant_name="Siti")
    conversation = _conversation(last_inbound=timezone.now())
    row = outbox.queue(
        conversation=conversation,
        content={"type": "text", "text": {"body": "x"}},
        key="u",
        case=case,
    )
    outbox.dispatch(row.channel_id)
    row.refresh_from_db()
    assert row.status == "undeliverable"
    assert CaseFlag.objects.filter(case=case, code="undeliverable").exists()
    assert case.events.filter(kind="flag").exists()


def test_expired_token_pauses_the_number_alerts_and_loses_nothing(channel_world, manual_dispatch):
    standin.add_failure(scope="messages", kind="error", code=190, count=1)
    row = _queued_row()
    assert outbox.dispatch(row.channel_id) == 0
    channel = Channel.objects.get(pk=row.channel_id)
    assert channel.sending_paused_at is not None
    assert Alert.objects.filter(kind="whatsapp_token", office=channel.office).exists()
    row.refresh_from_db()
    assert row.status == "queued"
    assert outbox.dispatch(row.channel_id) == 0  # paused: nothing goes out
    Channel.objects.filter(pk=channel.pk).update(sending_paused_at=None)
    assert outbox.dispatch(row.channel_id) == 1


def test_sends_are_paced_below_the_per_number_rate(channel_world, manual_dispatch, settings):
    settings.WHATSAPP_SEND_RATE = 50
    conversation = _conversation(last_inbound=timezone.now())
    for i in range(5):
        outbox.queue(
            conversation=conversation, content={"type": "text", "text": {"body": "x"}}, key=f"p{i}"
        )
    started = time.monotonic()
    sent = outbox.dispatch(conversation.channel_id)
    elapsed = time.monotonic() - started
    assert sent == 5
    # Five sends need four gaps of at least 1/50 s each, however fast the stand-in answers.
    assert elapsed >= 4 / 50


# --------------------------------------------------------------------------- window


def test_notice_inside_the_window_is_free_text(channel_world):
    conversation = _conversation(last_inbound=timezone.now() - timedelta(hours=23))
    rows = outbox.notify(
        conversation=conversation,
        key="n1",
        text="Permohonan KK-ABC123 sedang diverifikasi.",
        template_key="status_update",
        template_params=["KK-ABC123", "sedang diverifikasi"],
    )
    assert rows[0].content["type"] == "text" and not rows[0].as_template


def test_notice_outside_the_window_goes_as_template(channel_world, manual_dispatch):
    conversation = _conversation(last_inbound=timezone.now() - timedelta(hours=25))
    rows = outbox.notify(
        conversation=conversation,
        key="n2",
        text="Permohonan KK-ABC123 sedang diverifikasi.",
        template_key="status_update",
        template_params=["KK-ABC123", "sedang diverifikasi"],
    )
    content = rows[0].content
    assert rows[0].as_template and content["type"] == "template"
    assert content["template"]["language"]["code"] == "id"
    outbox.dispatch(conversation.channel_id)
    rows[0].refresh_from_db()
    assert SentMessage.objects.get(wamid=rows[0].wamid).payload["type"] == "template"


# --------------------------------------------------------------------------- crash & sweep


def test_a_crash_between_storing_and_processing_loses_nothing(channel_world, monkeypatch):
    monkeypatch.setattr(inbox, "_schedule_drain", lambda: None)  # the worker "crashed"
    response = harness.post(Client(), harness.text(WAYKANAN_KK, RESIDENT, "halo"))
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.processed_at is None and sent_to(RESIDENT).count() == 0
    # The periodic sweep drains what nobody processed (then the reply's three statuses).
    assert inbox.drain() == 4
    event.refresh_from_db()
    assert event.processed_at is not None
    assert sent_to(RESIDENT).count() == 1


def test_an_event_leased_by_a_crashed_worker_is_taken_over_when_the_lease_ends(
    channel_world, monkeypatch
):
    monkeypatch.setattr(inbox, "_schedule_drain", lambda: None)
    harness.post(Client(), harness.text(WAYKANAN_KK, RESIDENT, "halo"))
    now = timezone.now()
    InboundEvent.objects.update(locked_until=now + timedelta(minutes=2))  # a worker died here
    assert inbox.drain(now=now) == 0
    assert inbox.drain(now=now + timedelta(minutes=3)) >= 1
    assert sent_to(RESIDENT).count() == 1


def test_a_failing_event_is_retried_later(channel_world):
    calls = []

    def broken(message, now=None):
        calls.append(message)
        raise RuntimeError("bot down")

    inbox.set_message_handler(broken)  # the handler the bot registered, failing
    try:
        harness.post(Client(), harness.text(WAYKANAN_KK, RESIDENT, "halo"))
    finally:
        inbox.set_message_handler(engine.handle)
    event = InboundEvent.objects.get()
    assert event.processed_at is None and event.attempts == 1 and "bot down" in event.last_error
    assert inbox.drain(now=event.next_attempt_at - timedelta(seconds=1)) == 0  # backing off
    inbox.drain(now=event.next_attempt_at + timedelta(seconds=1))
    event.refresh_from_db()
    assert event.processed_at is not None and sent_to(RESIDENT).count() == 1


# --------------------------------------------------------------------------- outages


def test_an_outage_of_meta_exhausts_no_message_within_an_hour():
    rng = random.Random(3)
    waited = sum(outbox.backoff_seconds(a, rng) for a in range(1, outbox.MAX_ATTEMPTS))
    assert waited > 3600


def test_messages_waiting_out_a_backoff_go_as_soon_as_whatsapp_answers_again(
    channel_world, manual_dispatch
):
    standin.add_failure(scope="messages", kind="http_500", count=2)
    first, second = _queued_row("a"), _queued_row("b")
    assert outbox.dispatch(first.channel_id) == 0  # both fail and back off
    for row in (first, second):
        row.refresh_from_db()
        assert row.attempts == 1 and row.next_attempt_at > timezone.now()
    third = _queued_row("c")  # a new message: WhatsApp takes it, the waiting ones follow
    assert outbox.dispatch(third.channel_id) == 3
    assert not OutboxMessage.objects.filter(status="queued").exists()


def test_a_message_whose_sender_died_is_settled_by_its_status_and_not_sent_again(
    channel_world, manual_dispatch, client
):
    row = _queued_row()
    # The sender claimed it and died after Meta took it (the answer was never recorded).
    OutboxMessage.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() + outbox.IN_FLIGHT
    )
    assert outbox.dispatch(row.channel_id) == 0  # in flight: not sent again at once
    harness.post(
        client,
        harness.status(
            WAYKANAN_KK, "wamid.LOST1", "sent", recipient=RESIDENT, callback=str(row.pk)
        ),
    )
    row.refresh_from_db()
    assert row.status == "sent" and row.wamid == "wamid.LOST1"
    later = timezone.now() + outbox.IN_FLIGHT + timedelta(seconds=1)
    assert outbox.dispatch(row.channel_id, clock=lambda: later) == 0
    assert SentMessage.objects.count() == 0


def test_a_message_whose_sender_died_without_a_status_is_sent_after_the_in_flight_time(
    channel_world, manual_dispatch
):
    row = _queued_row()
    OutboxMessage.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() + outbox.IN_FLIGHT
    )
    assert outbox.dispatch(row.channel_id) == 0
    later = timezone.now() + outbox.IN_FLIGHT + timedelta(seconds=1)
    assert outbox.dispatch(row.channel_id, clock=lambda: later) == 1


def test_a_backlog_alerts_the_office_once_and_the_alert_closes_when_it_drains(
    channel_world, manual_dispatch, settings
):
    settings.WHATSAPP_BACKLOG_ALERT_SECONDS = 60
    row = _queued_row()
    now = timezone.now()
    assert outbox.check_backlog(now) == {"raised": 0, "resolved": 0}
    assert outbox.check_backlog(now + timedelta(seconds=61)) == {"raised": 1, "resolved": 0}
    assert outbox.check_backlog(now + timedelta(seconds=90)) == {"raised": 0, "resolved": 0}
    alert = Alert.objects.get(kind="whatsapp_backlog")
    assert alert.office.code == "waykanan" and alert.resolved_at is None
    assert outbox.dispatch(row.channel_id) == 1
    assert outbox.check_backlog(now + timedelta(seconds=120)) == {"raised": 0, "resolved": 1}
    alert.refresh_from_db()
    assert alert.resolved_at is not None
