"""What happens to a request, announced by the engine once the change is final.

The engine (:mod:`layan.cases.services`) sends each event inside its transaction, after the
request row holds its new state: a receiver that reads the request from the database sees the new
step, status and due times. Every event provides ``case`` (the saved
:class:`~layan.cases.models.Case`), ``event`` (the :class:`~layan.cases.models.CaseEvent` that
records it) and ``actor`` (the :class:`~layan.cases.services.Actor` who caused it); the sender is
the ``Case`` class. How a receiver runs (part of the transaction, isolated, after commit) is its
own choice: see :mod:`layan.core.events`. Each is sent exactly once per change.
"""

from __future__ import annotations

from layan.core.events import DomainEvent

request_submitted = DomainEvent(
    "request_submitted",
    ("case", "event", "actor"),
    """A request was created (any channel). Sent before the ``step_entered`` of its first steps.""",
)

step_entered = DomainEvent(
    "step_entered",
    ("case", "event", "actor", "step"),
    """The request entered ``step`` (a :class:`~layan.sop.definition.Step` of its SOP version)
    through ``event``: a forward action, a return, an escalation, an intake or an automatic step.
    Sent for every step entered, also for intake and automatic steps passed straight through, in
    order; ``case.current_step`` is where the request rests after the whole change.""",
)

documents_requested = DomainEvent(
    "documents_requested",
    ("case", "event", "actor", "items"),
    """An officer asked the applicant for documents: ``items`` are the requirement codes asked
    for (empty: see the event's note). The request now waits, its clocks stopped.""",
)

documents_received = DomainEvent(
    "documents_received",
    ("case", "event", "actor"),
    """The applicant answered a request for documents (on WhatsApp or at the counter): the
    request is back at the step that asked, its clocks running again.""",
)

request_completed = DomainEvent(
    "request_completed",
    ("case", "event", "actor"),
    """The request went past its last step: status completed, closed.""",
)

request_rejected = DomainEvent(
    "request_rejected",
    ("case", "event", "actor"),
    """An officer rejected the request; the reason is the event's note.""",
)

request_flagged = DomainEvent(
    "request_flagged",
    ("case", "event", "actor", "flag", "note"),
    """A flag (:class:`~layan.cases.flags.Flag`) was put on the request, with ``note``.""",
)

request_changed = DomainEvent(
    "request_changed",
    ("case", "actor", "events"),
    """Sent once at the end of every change to a request through the engine, after the change's
    own events above: ``events`` are the lines of history it appended, in order (a move, a flag,
    a claim, data saved, a file added). For what depends on the request as a whole rather than
    on one kind of change: the reports' step passages and their stale days.""",
)

visit_scheduled = DomainEvent(
    "visit_scheduled",
    ("case", "event", "actor", "visit"),
    """An officer scheduled an outreach visit (``visit``, a :class:`~layan.cases.models.Visit`)
    at the request's visit step.""",
)

visit_recorded = DomainEvent(
    "visit_recorded",
    ("case", "event", "actor", "visit"),
    """The outcome of an outreach visit was recorded (recorded, already recorded, resident not
    found, needs another visit, cancelled).""",
)
