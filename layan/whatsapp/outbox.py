"""The durable outbox: every message to a resident is a row first, sent by a worker after.

Callers add rows inside their own transaction (:func:`queue`, :func:`notify`), so a message exists
exactly when the change that caused it was committed. :func:`dispatch` takes a per-number lease,
sends what is due at below Meta's per-number rate and classifies failures: retry with backoff and
jitter, resend as the approved template when the 24-hour window closed, mark undeliverable (and
announce it: the bot flags the request), or pause the number and alert when the token is refused.
"""

from __future__ import annotations

import logging
import mimetypes
import random
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Case as DbCase
from django.db.models import F, Min, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from layan.core import metrics
from layan.core.models import Alert
from layan.core.workers import enqueue_debounced
from layan.offices.models import Channel
from layan.whatsapp import builders, events
from layan.whatsapp.graph import GraphClient, GraphError, client_for
from layan.whatsapp.models import Conversation, MessageTemplate, OutboxMessage

logger = logging.getLogger(__name__)

# Retryable failures (network, Meta's 5xx, rate limits) back off up to 15 minutes; eighteen
# attempts span more than an hour (about two on average), so an outage of Meta's API loses nothing.
MAX_ATTEMPTS = 18
BACKOFF_BASE = 2.0  # seconds
BACKOFF_CAP = 15 * 60.0
LEASE = timedelta(seconds=60)
# A message is claimed for this long before it is handed to Meta: if the sender dies before the
# answer is recorded, Meta's status webhook (carrying the row's id) settles it meanwhile and it is
# not sent twice; only without one is it sent again after this time.
IN_FLIGHT = timedelta(seconds=120)


def backoff_seconds(attempt: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random, capped.

    Attempt 1 waits 1–2 s, attempt 2 2–4 s, … up to 7.5–15 min, so a burst of failures does not
    come back as a burst.
    """
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
    return ceiling / 2 + (rng or random).random() * ceiling / 2


# --------------------------------------------------------------------------- queueing


def queue(
    *,
    conversation: Conversation,
    content: dict,
    key: str,
    case=None,
    template_key: str = "",
    template_params: Sequence[str] = (),
    upload: str = "",
    now: datetime | None = None,
) -> OutboxMessage:
    """Add one message for the resident of ``conversation``; the same ``key`` is added once.

    ``upload`` names a stored file that is uploaded to WhatsApp when the message is sent; its
    media id then fills the content's media part."""
    now = now or timezone.now()
    identity = conversation.identity
    row, created = OutboxMessage.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "channel": conversation.channel,
            "conversation": conversation,
            "case": case,
            "to": identity.wa_id,
            "to_user_id": "" if identity.wa_id else identity.user_id,
            "content": content,
            "template_key": template_key,
            "template_params": [str(p) for p in template_params],
            "upload": upload,
            "next_attempt_at": now,
        },
    )
    if created:
        channel_id = conversation.channel_id
        transaction.on_commit(lambda: _kick(channel_id))
    return row


def queue_many(
    *, conversation: Conversation, contents: Sequence[dict], key: str, case=None, now=None
) -> list[OutboxMessage]:
    """Several messages of one reply (a long text in parts, a text then a menu)."""
    return [
        queue(conversation=conversation, content=content, key=f"{key}:{i}", case=case, now=now)
        for i, content in enumerate(contents)
    ]


def notify(
    *,
    conversation: Conversation,
    key: str,
    text: str = "",
    template_key: str,
    template_params: Sequence[str],
    contents: Sequence[dict] | None = None,
    case=None,
    now: datetime | None = None,
) -> list[OutboxMessage]:
    """A notice: free text (or the given ``contents``, e.g. buttons) while the 24-hour window is
    open, else the office's template.

    The template is kept on the (first) row either way, so a message that finds the window
    closed when it is finally sent (error 131047) goes again as the template.
    """
    now = now or timezone.now()
    if not conversation.window_open(now):
        content = template_content(conversation.channel.office_id, template_key, template_params)
        row = queue(
            conversation=conversation,
            content=content,
            key=key,
            case=case,
            template_key=template_key,
            template_params=template_params,
            now=now,
        )
        if not row.as_template:
            OutboxMessage.objects.filter(pk=row.pk).update(as_template=True)
            row.as_template = True
        return [row]
    rows = []
    for index, content in enumerate(contents or builders.text(text)):
        first = index == 0
        rows.append(
            queue(
                conversation=conversation,
                content=content,
                key=key if first else f"{key}:{index}",
                case=case,
                template_key=template_key if first else "",
                template_params=template_params if first else (),
                now=now,
            )
        )
    return rows


def template_content(office_id: int, key: str, params: Sequence[str]) -> dict:
    template = MessageTemplate.objects.filter(office_id=office_id, key=key).first()
    if template is None:
        raise LookupError(f"office {office_id} has no template {key!r}")
    return builders.template(template.name, template.language, [str(p) for p in params])


@task()
def dispatch_channel(channel_id: int) -> int:
    """Send the due messages of one number (enqueued when a message is added)."""
    return dispatch(channel_id)


def _kick(channel_id: int) -> None:
    """One dispatch sends every due message of its number: under load a number gets one task per
    debounce window, not one per message (as the inbox drain)."""
    try:
        enqueue_debounced(dispatch_channel, channel_id, window=settings.WHATSAPP_DRAIN_DEBOUNCE)
    except Exception:  # the periodic sweep sends it anyway
        logger.exception("could not enqueue dispatch for channel %s", channel_id)


# --------------------------------------------------------------------------- sending


def _take_lease(channel_id: int, now: datetime) -> bool:
    """One sender per number: an atomic UPDATE, so no transaction stays open while sending."""
    return bool(
        Channel.objects.filter(pk=channel_id)
        .filter(Q(send_lease_until__isnull=True) | Q(send_lease_until__lt=now))
        .update(send_lease_until=now + LEASE)
    )


def _release_lease(channel_id: int) -> None:
    Channel.objects.filter(pk=channel_id).update(send_lease_until=None)


def dispatch(
    channel_id: int,
    *,
    client: GraphClient | None = None,
    clock: Callable[[], datetime] = timezone.now,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    limit: int = 500,
) -> int:
    """Send the due messages of one number, paced below ``WHATSAPP_SEND_RATE`` per second.

    Returns how many were handed to WhatsApp. Safe to call from several workers at once: only the
    holder of the number's lease sends.
    """
    if not _take_lease(channel_id, clock()):
        return 0
    sent = 0
    try:
        channel = Channel.objects.select_related("office").get(pk=channel_id)
        if channel.sending_paused_at is not None:
            return 0
        client = client or client_for(channel)
        spacing = 1.0 / max(settings.WHATSAPP_SEND_RATE, 0.1)
        last = None
        while sent < limit:
            row = (
                OutboxMessage.objects.filter(
                    channel_id=channel_id,
                    status=OutboxMessage.Status.QUEUED,
                    next_attempt_at__lte=clock(),
                )
                .order_by("next_attempt_at", "created_at")
                .first()
            )
            if row is None:
                break
            if last is not None:
                wait = spacing - (time.monotonic() - last)
                if wait > 0:
                    sleep(wait)
            last = time.monotonic()
            if _send_one(row, channel, client, clock(), rng):
                sent += 1
                if sent == 1:
                    _resume_backoffs(channel_id, clock())
            elif Channel.objects.filter(pk=channel_id, sending_paused_at__isnull=False).exists():
                break
    finally:
        _release_lease(channel_id)
    return sent


def _resume_backoffs(channel_id: int, now: datetime) -> int:
    """WhatsApp answers again: messages of this number waiting out a backoff go now (at the
    number's rate), instead of each waiting up to fifteen minutes for its next try."""
    return OutboxMessage.objects.filter(
        channel_id=channel_id,
        status=OutboxMessage.Status.QUEUED,
        next_attempt_at__gt=now,
        attempts__gt=0,
    ).update(next_attempt_at=now)


def _envelope(row: OutboxMessage) -> dict:
    if row.to:
        return builders.envelope(row.content, to=row.to, callback_data=str(row.pk))
    return builders.envelope(row.content, recipient=row.to_user_id, callback_data=str(row.pk))


def _upload(row: OutboxMessage, channel: Channel, client: GraphClient) -> None:
    """Upload the row's file and put the media id into its content (kept for retries)."""
    kind = row.content.get("type", "")
    part = row.content.get(kind)
    if not row.upload or not isinstance(part, dict) or part.get("id") or part.get("link"):
        return
    with default_storage.open(row.upload, "rb") as handle:
        data = handle.read()
    mime = mimetypes.guess_type(row.upload)[0] or "application/octet-stream"
    filename = part.get("filename") or row.upload.rsplit("/", 1)[-1]
    media_id = client.upload_media(channel.phone_number_id, data, mime_type=mime, filename=filename)
    row.content = {**row.content, kind: {**part, "id": media_id}}
    OutboxMessage.objects.filter(pk=row.pk).update(content=row.content)


def _send_one(
    row: OutboxMessage, channel: Channel, client: GraphClient, now: datetime, rng
) -> bool:
    # Claimed first (see IN_FLIGHT): a sender killed after Meta took the message sends it again
    # only if no status webhook settled it meanwhile.
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=now + IN_FLIGHT)
    try:
        try:
            _upload(row, channel, client)
        except OSError as exc:  # the stored file is gone: report, never retry forever
            raise GraphError("media", f"cannot read {row.upload}: {exc}") from exc
        wamid = client.send_message(channel.phone_number_id, _envelope(row))
    except GraphError as error:
        _failed(row, channel, error, now, rng)
        return False
    # Meta's status webhooks may arrive before this answer is handled: they may already have
    # moved the row on (found by its callback data), so only a queued row becomes "accepted".
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=DbCase(
            When(status=OutboxMessage.Status.QUEUED, then=Value(OutboxMessage.Status.ACCEPTED)),
            default=F("status"),
        ),
        wamid=wamid,
        accepted_at=now,
        attempts=row.attempts + 1,
        last_error="",
        error_code=None,
    )
    metrics.send("sent")
    return True


# How a failed send ends, for the metrics (the others: retry while attempts are left, or failed).
_RESULTS = {"auth": "paused", "window_closed": "template", "undeliverable": "undeliverable"}


def _failed(row: OutboxMessage, channel: Channel, error: GraphError, now: datetime, rng) -> None:
    attempts = row.attempts + 1
    base = OutboxMessage.objects.filter(pk=row.pk)
    note = f"{error.kind}: {error.code or error.http_status}: {error.message}"[:2000]
    logger.warning("send of %s failed (%s)", row.pk, note)
    retry = error.retryable and attempts < MAX_ATTEMPTS
    metrics.send(_RESULTS.get(error.kind, "retry" if retry else "failed"))
    if error.kind == "auth":
        # The token is refused: stop this number, keep the message queued, tell an admin.
        Channel.objects.filter(pk=channel.pk).update(
            sending_paused_at=now, paused_reason=note[:300]
        )
        Alert.objects.create(
            office=channel.office,
            kind="whatsapp_token",
            message=_(
                "WhatsApp refused the access token of %(phone)s; sending is paused until the "
                "token is replaced."
            )
            % {"phone": channel.phone},
        )
        base.update(last_error=note, error_code=error.code, next_attempt_at=now)  # due on resume
        return
    if error.kind == "window_closed":
        _resend_as_template(row, note, error.code, now)
        return
    if error.kind == "undeliverable":
        mark_undeliverable(row, note, error.code, now)
        return
    if error.retryable and attempts < MAX_ATTEMPTS:
        base.update(
            attempts=attempts,
            next_attempt_at=now + timedelta(seconds=backoff_seconds(attempts, rng)),
            last_error=note,
            error_code=error.code,
        )
        return
    base.update(
        status=OutboxMessage.Status.FAILED,
        attempts=attempts,
        failed_at=now,
        last_error=note,
        error_code=error.code,
    )


def _resend_as_template(row: OutboxMessage, note: str, code, now: datetime) -> None:
    base = OutboxMessage.objects.filter(pk=row.pk)
    if row.as_template or not row.template_key:
        base.update(
            status=OutboxMessage.Status.FAILED, failed_at=now, last_error=note, error_code=code
        )
        return
    content = template_content(row.channel.office_id, row.template_key, row.template_params)
    base.update(
        status=OutboxMessage.Status.QUEUED,
        content=content,
        as_template=True,
        wamid=None,
        attempts=row.attempts + 1,
        next_attempt_at=now,
        last_error=note,
        error_code=code,
    )


def mark_undeliverable(row: OutboxMessage, note: str, code, now: datetime) -> None:
    """WhatsApp cannot deliver ``row`` (error 131026): it is not retried, and the apps above are
    told in the same transaction (the bot flags its request)."""
    changes = {
        "status": OutboxMessage.Status.UNDELIVERABLE,
        "failed_at": now,
        "last_error": note,
        "error_code": code,
    }
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=row.pk).update(**changes)
        for field, value in changes.items():
            setattr(row, field, value)
        events.message_undeliverable.announce(sender=OutboxMessage, message=row, at=now)


# --------------------------------------------------------------------------- statuses


def apply_status(
    *,
    wamid: str,
    status: str,
    callback_data: str | None,
    error_code: int | None,
    note: str,
    at: datetime | None,
) -> OutboxMessage | None:
    """Move a message forward on a status webhook (never backward; failed ends it)."""
    rows = OutboxMessage.objects.select_for_update()
    row = None
    try:
        ours = uuid.UUID(callback_data) if callback_data else None
    except (ValueError, TypeError, AttributeError):  # another system's callback data
        ours = None
    if ours is not None:
        row = rows.filter(pk=ours).first()
    if row is None:
        row = rows.filter(wamid=wamid).first()
    if row is None or (row.wamid and row.wamid != wamid):
        return None  # an older attempt's status, or not ours
    now = at or timezone.now()
    if row.status in (OutboxMessage.Status.FAILED, OutboxMessage.Status.UNDELIVERABLE):
        return row
    if status == "failed":
        if error_code == 131047:
            _resend_as_template(row, note, error_code, now)
        elif error_code == 131026:
            mark_undeliverable(row, note, error_code, now)
        else:
            OutboxMessage.objects.filter(pk=row.pk).update(
                status=OutboxMessage.Status.FAILED,
                failed_at=now,
                last_error=note,
                error_code=error_code,
            )
        return row
    rank = OutboxMessage.RANK.get(status)
    if rank is None or rank <= OutboxMessage.RANK.get(row.status, 0):
        return row
    changes = {"status": status}
    if not row.wamid:  # its sender died before recording Meta's answer: the status tells
        changes["wamid"] = wamid
    if status == "delivered":
        changes["delivered_at"] = now
    if status == "read":
        changes["read_at"] = now
        if row.delivered_at is None:
            changes["delivered_at"] = now
    OutboxMessage.objects.filter(pk=row.pk).update(**changes)
    return row


# --------------------------------------------------------------------------- backlog alert


def check_backlog(now: datetime | None = None) -> dict[str, int]:
    """Alert an office's administrators once when a number's oldest queued message has waited
    longer than ``WHATSAPP_BACKLOG_ALERT_SECONDS`` (WhatsApp down, or a number paused), and close
    the alert when the queue has drained. Run by the periodic sweep."""
    now = now or timezone.now()
    threshold = now - timedelta(seconds=settings.WHATSAPP_BACKLOG_ALERT_SECONDS)
    oldest = dict(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.QUEUED)
        .values("channel_id")
        .annotate(oldest=Min("created_at"))
        .values_list("channel_id", "oldest")
    )
    late = {pk for pk, at in oldest.items() if at <= threshold}
    raised = 0
    channels = Channel.objects.select_related("office").filter(pk__in=late)
    for channel in channels:
        open_alert = Alert.objects.filter(
            office=channel.office, kind="whatsapp_backlog", resolved_at__isnull=True
        ).exists()
        if open_alert:
            continue
        waiting = OutboxMessage.objects.filter(
            channel=channel, status=OutboxMessage.Status.QUEUED
        ).count()
        logger.warning("outbox of %s: %s messages waiting", channel.phone, waiting)
        Alert.objects.create(
            office=channel.office,
            kind="whatsapp_backlog",
            message=_(
                "Messages to residents on %(phone)s are waiting to be sent (%(count)s, the oldest "
                "since %(since)s): WhatsApp is not taking them. They are kept and sent when it "
                "answers again."
            )
            % {
                "phone": channel.phone,
                "count": waiting,
                "since": timezone.localtime(oldest[channel.pk]).strftime("%H:%M"),
            },
        )
        raised += 1
    late_offices = {c.office_id for c in channels}
    resolved = (
        Alert.objects.filter(kind="whatsapp_backlog", resolved_at__isnull=True)
        .exclude(office_id__in=late_offices)
        .update(resolved_at=now)
    )
    return {"raised": raised, "resolved": resolved}
