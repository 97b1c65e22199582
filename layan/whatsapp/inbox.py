"""The durable inbox: store the webhook first, work on it after.

:func:`store` runs in the webhook request and only writes the raw body. :func:`process` runs in
the background: it records statuses and messages under Meta's ids (so a replay finds them and
does nothing twice), downloads media, and hands each new message exactly once to the message
handler the bot registers at start-up (:func:`set_message_handler`: the transport never imports
the bot). A crash anywhere leaves the event unprocessed, and the periodic sweep picks it up
again.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from layan.core.workers import enqueue_debounced
from layan.offices.models import Channel
from layan.whatsapp import media as media_service
from layan.whatsapp import outbox
from layan.whatsapp.graph import GraphClient, client_for
from layan.whatsapp.models import (
    Conversation,
    Identity,
    InboundEvent,
    InboundMessage,
    MessageStatus,
)
from layan.whatsapp.parsing import Message, StatusUpdate, parse_webhook, phone_number_ids

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
LEASE = timedelta(minutes=2)
DOWNLOAD_KINDS = ("image", "document")

# Called once per new message, inside the transaction that marks it handled, with the message
# and the time ("now", for tests). Registered by the bot (``layan.bot.apps``).
MessageHandler = Callable[[InboundMessage, datetime | None], None]
_handler: MessageHandler | None = None


def set_message_handler(handler: MessageHandler) -> None:
    """Make ``handler`` the one that answers residents' messages (set once, at start-up)."""
    global _handler
    _handler = handler


def _handle(message: InboundMessage, now: datetime | None) -> None:
    if _handler is None:
        # Not handled, so not lost: the event is retried once a handler is registered.
        raise ImproperlyConfigured("no inbound message handler is registered")
    _handler(message, now)


def store(body: bytes, payload: dict) -> InboundEvent:
    """Keep the raw event (its signature already checked); the caller acknowledges after this."""
    ids = phone_number_ids(payload)
    event = InboundEvent.objects.create(
        body=body.decode("utf-8"), phone_number_id=ids[0] if ids else ""
    )
    transaction.on_commit(_schedule_drain)
    return event


@task()
def drain_pending() -> int:
    """Process the stored webhook events that are waiting (scheduled by the webhook)."""
    return drain()


def _schedule_drain() -> None:
    """Under load one drain works through many events, so the webhook does not add a task row
    for every event it stores (a lone event is drained at once)."""
    try:
        enqueue_debounced(drain_pending, window=settings.WHATSAPP_DRAIN_DEBOUNCE)
    except Exception:  # the periodic sweep drains it anyway
        logger.exception("could not schedule the inbox drain")


def _claim(now: datetime, limit: int) -> list[int]:
    """Lease a batch of pending events (fresh ones, or failed ones whose backoff has passed)."""
    with transaction.atomic():
        pending = (
            InboundEvent.objects.filter(processed_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .order_by("pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            pending = pending.select_for_update(skip_locked=True)
        ids = list(pending.values_list("pk", flat=True)[:limit])
        if ids:
            InboundEvent.objects.filter(pk__in=ids).update(locked_until=now + LEASE)
    return ids


def drain(now: datetime | None = None, limit: int = 1000, batch: int = 10) -> int:
    """Process pending events in arrival order until none is left (or ``limit`` is reached).

    Run after each webhook (debounced) and periodically as the sweep that recovers what a crash
    left behind: an unprocessed event is never lost, only delayed until its lease runs out.
    Small batches keep that delay to a few events when a worker is killed, and let several
    workers share a burst instead of one of them leasing a hundred events at once.
    """
    done = 0
    while done < limit:
        ids = _claim(now or timezone.now(), min(batch, limit - done))
        if not ids:
            break
        for event_id in ids:
            process(event_id)
        done += len(ids)
    return done


def without_nul(value):
    """The payload without NUL characters: JSON may carry "\\u0000", PostgreSQL text and jsonb
    cannot store it, and a message that cannot be stored would be retried forever."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


def process(event_id: int, *, client: GraphClient | None = None, now: datetime | None = None):
    """Work through one stored event; idempotent, and retried with backoff when it fails."""
    event = InboundEvent.objects.filter(pk=event_id, processed_at__isnull=True).first()
    if event is None:
        return
    try:
        parsed = parse_webhook(without_nul(json.loads(event.body)))
        for problem in parsed.problems:
            logger.info("event %s: %s", event.pk, problem)
        for status in parsed.statuses:
            _record_status(event, status)
        channels: dict[str, Channel | None] = {}
        for message in parsed.messages:
            if message.phone_number_id not in channels:
                channels[message.phone_number_id] = (
                    Channel.objects.select_related("office")
                    .filter(phone_number_id=message.phone_number_id, is_active=True)
                    .first()
                )
            channel = channels[message.phone_number_id]
            if channel is None:
                logger.warning(
                    "message %s for unknown number %s kept, not answered",
                    message.message_id,
                    message.phone_number_id,
                )
            _record_message(event, message, channel, client, now)
        known = next((c for c in channels.values() if c is not None), None)
        InboundEvent.objects.filter(pk=event.pk).update(
            processed_at=timezone.now(), channel=known, last_error="", locked_until=None
        )
    except Exception as exc:
        attempts = event.attempts + 1
        delay = min(3600.0, 5 * 2**attempts) * (0.5 + random.random() / 2)  # noqa: S311
        InboundEvent.objects.filter(pk=event.pk).update(
            attempts=attempts,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            locked_until=None,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        logger.exception("inbound event %s failed (attempt %s)", event.pk, attempts)


def _record_status(event: InboundEvent, status: StatusUpdate) -> None:
    errors = [
        {"code": e.code, "title": e.title, "message": e.message, "details": e.details}
        for e in status.errors
    ]
    try:
        with transaction.atomic():
            MessageStatus.objects.create(
                message_id=status.message_id,
                status=status.status,
                event=event,
                at=status.timestamp,
                errors=errors,
            )
            first = status.errors[0] if status.errors else None
            outbox.apply_status(
                wamid=status.message_id,
                status=status.status,
                callback_data=status.callback_data,
                error_code=first.code if first else None,
                note=f"{first.code}: {first.title} {first.message}".strip() if first else "",
                at=status.timestamp,
            )
    except IntegrityError:
        pass  # this (message, status) was recorded before: a replay has no second effect


def _identity(message: Message) -> Identity:
    ident = message.identity
    identity, created = Identity.objects.get_or_create(
        key=ident.key,
        defaults={
            "wa_id": ident.wa_id or "",
            "user_id": ident.user_id or "",
            "phone": ident.phone or "",
            "name": (ident.name or "")[:200],
        },
    )
    if not created:
        changes = {
            field: value
            for field, value in (
                ("wa_id", ident.wa_id),
                ("user_id", ident.user_id),
                ("phone", ident.phone),
                ("name", (ident.name or "")[:200]),
            )
            if value and getattr(identity, field) != value
        }
        if changes:
            Identity.objects.filter(pk=identity.pk).update(**changes)
            for field, value in changes.items():
                setattr(identity, field, value)
    return identity


def _record_message(
    event: InboundEvent,
    message: Message,
    channel: Channel | None,
    client: GraphClient | None,
    now: datetime | None,
) -> None:
    identity = _identity(message)
    conversation = None
    if channel is not None:
        conversation, _ = Conversation.objects.get_or_create(channel=channel, identity=identity)
    sent_at = message.timestamp or timezone.now()
    try:
        with transaction.atomic():
            inbound = InboundMessage.objects.create(
                message_id=message.message_id,
                event=event,
                conversation=conversation,
                identity=identity,
                kind=message.kind,
                type=message.type[:40],
                text=message.text or "",
                reply_id=(message.reply_id or "")[:256],
                sent_at=message.timestamp,
                payload=message.raw,
                handled_at=None if conversation else timezone.now(),
            )
    except IntegrityError:
        inbound = InboundMessage.objects.get(message_id=message.message_id)
    if conversation is None or inbound.handled_at is not None:
        return
    # The window runs from the resident's latest message; replays never move it back.
    Conversation.objects.filter(pk=conversation.pk).exclude(last_inbound_at__gte=sent_at).update(
        last_inbound_at=sent_at
    )
    if message.kind in DOWNLOAD_KINDS and message.media is not None:
        media_service.fetch(inbound, message.media, client or client_for(channel))
    with transaction.atomic():
        inbound = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
        if inbound.handled_at is not None:
            return
        _handle(inbound, now)
        inbound.handled_at = timezone.now()
        inbound.save(update_fields=["handled_at"])
