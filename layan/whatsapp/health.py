"""How far behind the transport is: the inbox's oldest unprocessed event and each number's
outbox queue. ``/readyz`` judges them against ``LAYAN_READY_INBOX_SECONDS`` and
``LAYAN_READY_OUTBOX_SECONDS``; ``/metrics`` exports them (read at scrape time).

Every query runs on a partial index: ``inbound_pending_idx`` (unprocessed events) and
``outbox_due_idx`` (queued messages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from layan.core import metrics, readiness
from layan.offices.models import Channel
from layan.whatsapp.inbox import MAX_ATTEMPTS
from layan.whatsapp.models import InboundEvent, OutboxMessage


@dataclass(frozen=True)
class InboxLag:
    pending: int  # events still to be processed (attempts left)
    abandoned: int  # events that used up their attempts (need a person)
    oldest_seconds: float  # age of the oldest pending event; 0 when none


@dataclass(frozen=True)
class OutboxQueue:
    number: str
    queued: int
    oldest_seconds: float
    paused: bool


def _age(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then else 0.0


def inbox_lag(now: datetime | None = None) -> InboxLag:
    now = now or timezone.now()
    unprocessed = InboundEvent.objects.filter(processed_at__isnull=True)
    pending = unprocessed.filter(attempts__lt=MAX_ATTEMPTS)
    oldest = pending.order_by("pk").values_list("received_at", flat=True).first()
    return InboxLag(
        pending=pending.count(),
        abandoned=unprocessed.filter(attempts__gte=MAX_ATTEMPTS).count(),
        oldest_seconds=_age(now, oldest),
    )


def outbox_queues(now: datetime | None = None) -> list[OutboxQueue]:
    """Every number with its queue (numbers with nothing queued too, so a graph drops to 0)."""
    now = now or timezone.now()
    queued = {
        row["channel_id"]: row
        for row in OutboxMessage.objects.filter(status=OutboxMessage.Status.QUEUED)
        .values("channel_id")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
        .order_by()
    }
    queues = []
    for channel in Channel.objects.only("pk", "phone", "sending_paused_at").order_by("phone"):
        row = queued.get(channel.pk, {})
        queues.append(
            OutboxQueue(
                number=channel.phone,
                queued=row.get("count", 0),
                oldest_seconds=_age(now, row.get("oldest")),
                paused=channel.sending_paused_at is not None,
            )
        )
    return queues


# --------------------------------------------------------------------------- readiness


def inbox_ready() -> readiness.Check:
    lag = inbox_lag()
    limit = getattr(settings, "LAYAN_READY_INBOX_SECONDS", 120)
    state = readiness.OK if lag.oldest_seconds <= limit else readiness.FAIL
    detail = {
        "pending": lag.pending,
        "oldest_seconds": round(lag.oldest_seconds, 1),
        "limit_seconds": limit,
    }
    if lag.abandoned:
        detail["abandoned"] = lag.abandoned
    return readiness.Check(state, detail)


def outbox_ready() -> readiness.Check:
    """Not ready when a number that is sending has a message waiting longer than the limit;
    a paused number (its token refused) is *degraded*: an administrator must replace the
    token, and no other instance would send it sooner."""
    limit = getattr(settings, "LAYAN_READY_OUTBOX_SECONDS", 600)
    late, paused = [], []
    oldest = 0.0
    for queue in outbox_queues():
        if queue.paused:
            paused.append(queue.number)
            continue
        oldest = max(oldest, queue.oldest_seconds)
        if queue.oldest_seconds > limit:
            late.append(queue.number)
    state = readiness.FAIL if late else readiness.DEGRADED if paused else readiness.OK
    detail = {"oldest_seconds": round(oldest, 1), "limit_seconds": limit}
    if late:
        detail["late_numbers"] = late
    if paused:
        detail["paused_numbers"] = paused
    return readiness.Check(state, detail)


# --------------------------------------------------------------------------- metrics


def collect():
    lag = inbox_lag()
    yield metrics.GaugeMetricFamily(
        "layan_inbox_pending_events", "Webhook events waiting to be processed.", value=lag.pending
    )
    yield metrics.GaugeMetricFamily(
        "layan_inbox_abandoned_events",
        "Webhook events that used up their attempts.",
        value=lag.abandoned,
    )
    yield metrics.GaugeMetricFamily(
        "layan_inbox_oldest_pending_seconds",
        "Age of the oldest webhook event waiting to be processed (0 when none).",
        value=lag.oldest_seconds,
    )
    queued = metrics.GaugeMetricFamily(
        "layan_outbox_queued_messages", "Messages queued per number.", labels=["number"]
    )
    oldest = metrics.GaugeMetricFamily(
        "layan_outbox_oldest_queued_seconds",
        "Age of the oldest queued message per number (0 when none).",
        labels=["number"],
    )
    paused = metrics.GaugeMetricFamily(
        "layan_outbox_sending_paused",
        "1 when sending from the number is paused (its token was refused).",
        labels=["number"],
    )
    for queue in outbox_queues():
        queued.add_metric([queue.number], queue.queued)
        oldest.add_metric([queue.number], queue.oldest_seconds)
        paused.add_metric([queue.number], 1 if queue.paused else 0)
    yield from (queued, oldest, paused)


def register() -> None:
    readiness.register("inbox", inbox_ready)
    readiness.register("outbox", outbox_ready)
    metrics.register_source("whatsapp", collect)
