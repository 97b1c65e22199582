"""What the documents app announces (reports and delivery listen; the engine does not know).

The sender is the model class of the row concerned; like the engine's events, each is sent
inside the transaction, once the rows hold their new state.
"""

from __future__ import annotations

from layan.core.events import DomainEvent

document_issued = DomainEvent(
    "document_issued",
    ("document", "case", "event"),
    """The head of office signed ``document`` (a :class:`~layan.documents.models.Document`, now
    the request's active one; an earlier one of its kind is superseded). ``event`` is the sign
    line of the request's history; the request has gone forward already.""",
)

document_revoked = DomainEvent(
    "document_revoked",
    ("document", "user"),
    """``user`` (a supervisor or the office administrator) revoked ``document``; the
    verification page shows it revoked with its reason.""",
)

handover_recorded = DomainEvent(
    "handover_recorded",
    ("case", "handover", "event"),
    """Who received the document or card, and what the office took back, was recorded
    (``handover``, a :class:`~layan.documents.models.Handover`) at the request's hand-over
    step.""",
)
