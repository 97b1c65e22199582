"""Retention of WhatsApp traffic (the office's ``RetentionPolicy.message_months``).

Messages are blanked, not deleted: the console's chat panel and the reports (signed PDFs
delivered, counted from the outbox) need the fact that a message was sent, received and
delivered, not what it said. So, past the policy:

- an incoming message loses its text, its reply reference and its parsed payload
  (``{"redacted": true}``), and the raw webhook body it came in loses everything;
- an outgoing message (once final: never one still queued) keeps only its type
  (``{"type": …, "redacted": true}``), its template parameters and last error go;
- the file a resident sent is deleted from storage and its media row goes, unless an attachment
  of a request still names the same stored file (the request's own retention deletes it then).

Identities and conversations stay (a request's contacts point at them); what the bot remembers
of a conversation is ``bot.retention``'s. Called by ``bot.retention``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Min, Q

from layan.cases.models import Attachment
from layan.offices.models import Office
from layan.offices.retention import Purged, delete_with_files, in_batches, would_purge
from layan.whatsapp.models import InboundEvent, InboundMessage, MediaFile, OutboxMessage

logger = logging.getLogger(__name__)

REDACTED = "redacted"


def media_uses_file(name: str) -> bool:
    """Whether a media row still names the stored file ``name`` (an attachment's file may be
    the very file a resident sent)."""
    return MediaFile.objects.filter(file=name).exists()


def _office_messages(office: Office):
    return InboundMessage.objects.filter(conversation__channel__office=office)


def expired_inbound(office: Office, before: datetime):
    pending = _office_messages(office).filter(received_at__lt=before)
    return pending.exclude(payload__has_key=REDACTED)


def expired_outbound(office: Office, before: datetime):
    return (
        OutboxMessage.objects.filter(channel__office=office, created_at__lt=before)
        .exclude(status=OutboxMessage.Status.QUEUED)
        .exclude(content__has_key=REDACTED)
    )


def expired_events(office: Office, before: datetime):
    return InboundEvent.objects.filter(
        channel__office=office, received_at__lt=before, processed_at__isnull=False
    ).exclude(body="")


def expired_media(office: Office, before: datetime):
    return MediaFile.objects.filter(
        message__conversation__channel__office=office, message__received_at__lt=before
    )


def purge_messages(office: Office, before: datetime, *, dry_run: bool = False) -> Purged:
    """Blank what the office's WhatsApp messages sent or received before ``before`` said."""
    inbound = expired_inbound(office, before)
    outbound = expired_outbound(office, before)
    events = expired_events(office, before)
    if dry_run:
        purged = would_purge(inbound)
        purged.removed += outbound.count()
    else:

        def blank_inbound(ids: list[int]) -> int:
            with transaction.atomic():
                InboundMessage.objects.filter(pk__in=ids).update(
                    text="", reply_id="", payload={REDACTED: True}
                )
            return 0

        def blank_outbound(ids: list) -> int:
            with transaction.atomic():
                rows = OutboxMessage.objects.select_for_update().filter(pk__in=ids)
                for row in rows:
                    kind = row.content.get("type", "") if isinstance(row.content, dict) else ""
                    OutboxMessage.objects.filter(pk=row.pk).update(
                        content={"type": kind, REDACTED: True}, template_params=[], last_error=""
                    )
            return 0

        def blank_events(ids: list[int]) -> int:
            with transaction.atomic():
                InboundEvent.objects.filter(pk__in=ids).update(body="")
            return 0

        purged = in_batches(inbound, blank_inbound)
        sent = in_batches(outbound, blank_outbound)
        raw = in_batches(events, blank_events)
        purged.removed += sent.removed
        purged.finished = purged.finished and sent.finished and raw.finished
    oldest = [
        _office_messages(office)
        .exclude(payload__has_key=REDACTED)
        .exclude(pk__in=inbound.values("pk"))
        .aggregate(at=Min("received_at"))["at"],
        OutboxMessage.objects.filter(channel__office=office)
        .exclude(content__has_key=REDACTED)
        .exclude(pk__in=outbound.values("pk"))
        .aggregate(at=Min("created_at"))["at"],
    ]
    purged.oldest_kept = min((at for at in oldest if at is not None), default=None)
    if purged.removed and not dry_run:
        logger.info("retention %s: %s WhatsApp messages blanked", office.code, purged.removed)
    return purged


def purge_media(office: Office, before: datetime, *, dry_run: bool = False) -> Purged:
    """Delete the files residents sent before ``before`` and their media rows."""
    pending = expired_media(office, before)
    if dry_run:
        purged = would_purge(pending, files=pending.exclude(file=""))
    else:

        def shared(media: MediaFile, name: str) -> bool:
            return (
                Attachment.objects.filter(file=name).exists()
                or MediaFile.objects.filter(file=name).exclude(pk=media.pk).exists()
            )

        def handle(ids: list[int]) -> int:
            return delete_with_files(MediaFile, ids, shared=shared)

        purged = in_batches(pending, handle)
    kept = MediaFile.objects.filter(
        Q(message__conversation__channel__office=office) & ~Q(pk__in=pending.values("pk"))
    )
    purged.oldest_kept = kept.aggregate(at=Min("message__received_at"))["at"]
    if purged.removed and not dry_run:
        logger.info("retention %s: %s media files removed", office.code, purged.removed)
    return purged
