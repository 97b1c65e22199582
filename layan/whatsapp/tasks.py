"""Periodic work of the WhatsApp channel (run by ``layan worker`` or inline in tests).

The tasks enqueued by a webhook or a new message are defined beside the work they run:
:func:`layan.whatsapp.inbox.drain_pending` and :func:`layan.whatsapp.outbox.dispatch_channel`.
"""

from django.utils import timezone
from django_tasks import task

from layan.whatsapp import inbox, outbox
from layan.whatsapp.models import OutboxMessage


@task()
def sweep() -> dict:
    """Periodic: events a crash left unprocessed, and numbers with messages due."""
    events = inbox.drain()
    channels = (
        OutboxMessage.objects.filter(
            status=OutboxMessage.Status.QUEUED,
            next_attempt_at__lte=timezone.now(),
            channel__sending_paused_at__isnull=True,
        )
        .values_list("channel_id", flat=True)
        .distinct()
    )
    sent = sum(outbox.dispatch(channel_id) for channel_id in channels)
    backlog = outbox.check_backlog()
    return {"events": events, "sent": sent, **backlog}
