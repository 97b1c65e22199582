"""The retention policy: per kind, what is past the office's policy goes and what is within it
stays; open requests, registers, request history and signed documents never go; files leave the
storage; a second run finds nothing; every run is logged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from layan.bot import retention
from layan.cases import services
from layan.cases.models import Attachment, Case, CaseEvent, Status
from layan.cases.services import Actor
from layan.documents.models import Document, RegisterEntry
from layan.offices.models import RetentionPolicy, RetentionRun, Service
from layan.offices.retention import months_before
from layan.whatsapp.models import (
    Conversation,
    Identity,
    InboundEvent,
    InboundMessage,
    MediaFile,
    OutboxMessage,
)

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def months_ago(months: int, days: int = 0) -> datetime:
    return months_before(NOW, months) - timedelta(days=days)


def make_case(office, *, closed_at=None, status=Status.COMPLETED):
    case = services.submit_case(
        service=Service.objects.get(office=office),
        actor=Actor.applicant("Siti"),
        applicant_name="Siti Aminah",
        now=(closed_at or NOW) - timedelta(days=3),
    )
    if closed_at is not None:
        Case.objects.filter(pk=case.pk).update(
            status=status, closed_at=closed_at, current_step=None
        )
    return Case.objects.get(pk=case.pk)


def attach(case, name="ktp.jpg", *, file_name=None, at=None) -> Attachment:
    stored = file_name or default_storage.save(f"cases/{case.code}/{name}", ContentFile(b"img"))
    return Attachment.objects.create(
        case=case,
        requirement="ktp",
        file=stored,
        original_name=name,
        content_type="image/jpeg",
        size=3,
        sha256="0" * 64,
        uploaded_at=at or case.created_at,
    )


@pytest.fixture
def conversation(channel):
    identity = Identity.objects.create(key="6281234567890", wa_id="6281234567890", name="Siti")
    return Conversation.objects.create(channel=channel, identity=identity)


def inbound(conversation, text, at, *, media: bytes | None = None) -> InboundMessage:
    event = InboundEvent.objects.create(
        body=json.dumps({"text": text}),
        phone_number_id=conversation.channel.phone_number_id,
        channel=conversation.channel,
        processed_at=at,
    )
    InboundEvent.objects.filter(pk=event.pk).update(received_at=at)
    message = InboundMessage.objects.create(
        message_id=f"wamid.{InboundMessage.objects.count()}",
        event=event,
        conversation=conversation,
        identity=conversation.identity,
        kind="image" if media else "text",
        text=text,
        payload={"text": {"body": text}},
        sent_at=at,
    )
    InboundMessage.objects.filter(pk=message.pk).update(received_at=at)
    if media is not None:
        MediaFile.objects.create(
            message=message,
            media_id=f"media-{message.pk}",
            status=MediaFile.Status.ACCEPTED,
            file=default_storage.save("whatsapp/2025/01/photo.jpg", ContentFile(media)),
            mime_type="image/jpeg",
            size=len(media),
        )
    return InboundMessage.objects.get(pk=message.pk)


def outbound(conversation, text, at, *, status=OutboxMessage.Status.DELIVERED) -> OutboxMessage:
    row = OutboxMessage.objects.create(
        idempotency_key=f"k{OutboxMessage.objects.count()}",
        channel=conversation.channel,
        conversation=conversation,
        to=conversation.identity.wa_id,
        content={"type": "text", "text": {"body": text}},
        template_params=["Siti"],
        status=status,
        next_attempt_at=at,
    )
    OutboxMessage.objects.filter(pk=row.pk).update(created_at=at)
    return OutboxMessage.objects.get(pk=row.pk)


def run(office, **kw):
    return {o.kind: o.purged for o in retention.run_policy(office, now=NOW, **kw)}


def test_attachments_of_requests_closed_past_the_policy_go(office):
    old = make_case(office, closed_at=months_ago(24, days=1))
    recent = make_case(office, closed_at=months_ago(24, days=-1))
    still_open = make_case(office)
    Case.objects.filter(pk=still_open.pk).update(created_at=months_ago(30))
    gone, kept, open_file = attach(old), attach(recent), attach(still_open)
    events_before = CaseEvent.objects.filter(case=old).count()

    result = run(office)["attachments"]

    assert (result.removed, result.files) == (1, 1)
    assert not Attachment.objects.filter(pk=gone.pk).exists()
    assert not default_storage.exists(gone.file.name)  # the file left the storage
    for row in (kept, open_file):
        assert Attachment.objects.filter(pk=row.pk).exists()
        assert default_storage.exists(row.file.name)
    # the request and its history stay
    assert Case.objects.filter(pk=old.pk).exists()
    assert CaseEvent.objects.filter(case=old).count() == events_before


def test_rejected_and_cancelled_requests_are_closed_too(office):
    for status in (Status.REJECTED, Status.CANCELLED):
        attach(make_case(office, closed_at=months_ago(25), status=status), f"{status}.jpg")
    assert run(office)["attachments"].removed == 2


def test_signed_documents_and_register_books_never_go(office):
    case = make_case(office, closed_at=months_ago(60))
    attach(case)
    pdf = default_storage.save("documents/signed.pdf", ContentFile(b"%PDF-1.7 signed"))
    document = Document.objects.create(
        case=case,
        office=office,
        kind="kk",
        title="Kartu Keluarga",
        number="KK/1/2021",
        file=pdf,
        sha256="1" * 64,
        size=15,
        issued_at=months_ago(60),
    )
    entry = RegisterEntry.objects.create(
        office=office,
        service=case.service,
        year=2021,
        number=1,
        case=case,
        document=document,
        entered_at=months_ago(60),
        applicant_name="Siti Aminah",
        output="Kartu Keluarga",
        delivery="pdf",
    )

    run(office)

    assert not Attachment.objects.filter(case=case).exists()
    assert Document.objects.filter(pk=document.pk).exists() and default_storage.exists(pdf)
    assert RegisterEntry.objects.filter(pk=entry.pk).exists()


def test_the_offices_own_policy_applies(office, make_office):
    other = make_office("other")
    RetentionPolicy.objects.create(office=office, attachment_months=6)
    mine = attach(make_case(office, closed_at=months_ago(7)))
    theirs = attach(make_case(other, closed_at=months_ago(7)))

    run(office)
    run(other)

    assert not Attachment.objects.filter(pk=mine.pk).exists()
    assert Attachment.objects.filter(pk=theirs.pk).exists()  # the default: 24 months


def test_messages_past_the_policy_are_blanked_not_deleted(office, conversation):
    old_in = inbound(conversation, "NIK saya 1808011234560001", months_ago(12, days=1))
    new_in = inbound(conversation, "terima kasih", months_ago(11))
    old_out = outbound(conversation, "Halo Siti", months_ago(13))
    queued = outbound(conversation, "menunggu", months_ago(13), status=OutboxMessage.Status.QUEUED)
    new_out = outbound(conversation, "Permohonan diterima", months_ago(1))

    result = run(office)["messages"]

    assert result.removed == 2
    old_in.refresh_from_db()
    assert (old_in.text, old_in.payload, old_in.kind) == ("", {"redacted": True}, "text")
    assert old_in.event.body == ""  # the raw webhook too
    old_out.refresh_from_db()
    assert old_out.content == {"type": "text", "redacted": True}
    assert old_out.template_params == [] and old_out.status == "delivered"
    new_in.refresh_from_db()
    assert new_in.text == "terima kasih" and new_in.event.body
    for row in (queued, new_out):
        row.refresh_from_db()
        assert "redacted" not in row.content
    assert result.oldest_kept == months_ago(13)  # the message still queued


def test_media_past_the_policy_leave_the_storage(office, conversation):
    old = inbound(conversation, "", months_ago(13), media=b"old photo")
    new = inbound(conversation, "", months_ago(2), media=b"new photo")
    old_name, new_name = old.media.file.name, new.media.file.name

    result = run(office)["media"]

    assert (result.removed, result.files) == (1, 1)
    assert not MediaFile.objects.filter(message=old).exists()
    assert not default_storage.exists(old_name)
    assert MediaFile.objects.filter(message=new).exists() and default_storage.exists(new_name)


def test_a_file_shared_by_media_and_a_kept_attachment_stays(office, conversation):
    message = inbound(conversation, "", months_ago(13), media=b"ktp photo")
    name = message.media.file.name
    case = make_case(office, closed_at=months_ago(1))  # a request still within its policy
    attachment = attach(case, file_name=name)

    result = run(office)

    assert result["media"].removed == 1 and result["media"].files == 0
    assert default_storage.exists(name)
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    # once the request is past its policy, its retention deletes the file
    Case.objects.filter(pk=case.pk).update(closed_at=months_ago(25))
    assert run(office)["attachments"].files == 1
    assert not default_storage.exists(name)


def test_quiet_conversations_forget_their_state(office, conversation, channel):
    quiet = conversation
    busy = Conversation.objects.create(
        channel=channel, identity=Identity.objects.create(key="6281111", wa_id="6281111")
    )
    state = {"flow": "apply", "data": {"nik": "1808011234560001"}, "lang": "en", "sent": [1]}
    Conversation.objects.filter(pk=quiet.pk).update(state=state, updated_at=NOW - timedelta(40))
    Conversation.objects.filter(pk=busy.pk).update(state=state, updated_at=NOW - timedelta(10))

    result = run(office)["state"]

    assert result.removed == 1
    quiet.refresh_from_db()
    busy.refresh_from_db()
    assert quiet.state == {"lang": "en"}
    assert quiet.updated_at == NOW - timedelta(40)  # forgetting is not activity
    assert busy.state == state
    assert result.oldest_kept == NOW - timedelta(10)


def test_a_second_run_finds_nothing_and_every_run_is_logged(office, conversation):
    attach(make_case(office, closed_at=months_ago(30)))
    inbound(conversation, "lama", months_ago(13), media=b"photo")
    outbound(conversation, "lama", months_ago(13))
    Conversation.objects.filter(pk=conversation.pk).update(
        state={"flow": "apply"}, updated_at=NOW - timedelta(60)
    )

    first = run(office)
    second = run(office)

    assert {k: p.removed for k, p in first.items()} == {
        "attachments": 1,
        "media": 1,
        "messages": 2,
        "state": 1,
    }
    assert all(p.removed == 0 and p.files == 0 for p in second.values())
    log = RetentionRun.objects.filter(office=office)
    assert log.count() == 8  # four kinds, two runs
    attachments = log.filter(kind="attachments").order_by("pk").first()
    assert (attachments.removed, attachments.files, attachments.finished) == (1, 1, True)
    assert attachments.ran_at == NOW and attachments.cutoff == months_ago(24)


def test_a_dry_run_counts_and_changes_nothing(office, conversation):
    row = attach(make_case(office, closed_at=months_ago(30)))
    message = inbound(conversation, "lama", months_ago(13))

    result = run(office, dry_run=True)

    assert result["attachments"].removed == 1 and result["messages"].removed == 1
    assert Attachment.objects.filter(pk=row.pk).exists() and default_storage.exists(row.file.name)
    message.refresh_from_db()
    assert message.text == "lama"
    assert not RetentionRun.objects.exists()


def test_batches_are_bounded_and_the_next_run_goes_on(office, settings):
    settings.LAYAN_RETENTION_BATCH = 1
    settings.LAYAN_RETENTION_MAX_ROWS = 2
    case = make_case(office, closed_at=months_ago(30))
    for index in range(3):
        attach(case, f"f{index}.jpg")

    first = run(office)["attachments"]
    second = run(office)["attachments"]

    assert (first.removed, first.finished) == (2, False)
    assert (second.removed, second.finished) == (1, True)
    assert not Attachment.objects.filter(case=case).exists()


def test_the_command_and_the_periodic_task(office, make_office, settings):
    make_office("second")
    row = attach(make_case(office, closed_at=months_ago(30)))
    out = StringIO()
    call_command("retention", "--dry-run", "--office", "pdp", stdout=out)
    assert "attachments: 1 would go" in out.getvalue()
    assert "second" not in out.getvalue()
    assert Attachment.objects.filter(pk=row.pk).exists()

    assert "layan.bot.retention.apply_retention" in settings.LAYAN_PERIODIC_SECONDS
    removed = retention.apply_retention.call()
    assert removed == {"pdp": 1, "second": 0}
    assert not Attachment.objects.filter(pk=row.pk).exists()
    assert RetentionRun.objects.filter(office__code="second").count() == 4
