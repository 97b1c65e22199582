"""What the WhatsApp channel announces to the apps above it (it imports none of them).

The sender is the model class of the row concerned.
"""

from __future__ import annotations

from layan.core.events import DomainEvent

message_undeliverable = DomainEvent(
    "message_undeliverable",
    ("message", "at"),
    """WhatsApp could not deliver ``message`` (an :class:`~layan.whatsapp.models.OutboxMessage`,
    already marked undeliverable) at ``at``. Sent inside the outbox's transaction: a receiver that
    is part of it (flagging the message's request) commits or fails with the mark.""",
)
