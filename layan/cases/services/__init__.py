"""The request engine: the one way a request is created, moved, claimed or flagged.

Every change happens inside a transaction on a row locked with ``select_for_update``, bumps the
request's ``version`` and appends an event; the rules come from the SOP version the request
started on. Callers pass the version they acted on, so of two officers acting at once exactly one
wins and the other gets a conflict instead of a surprise. Once the request row holds its new
state, the engine announces what happened (:mod:`layan.cases.events`); notices, the register book
and reports listen there.

This package is the engine's public face; its modules:

- ``transitions``: who acts, locking, the event log, steps and clocks, announcing;
- ``submission``: creating a request (the same rules for every channel);
- ``actions``: the current step's actions and the applicant's answer to a request for documents;
- ``stepwork``: the checklist, data entry, added files and the access log (work that does not
  move a request);
- ``queues``: claiming and releasing;
- ``flagging``: flags and the SLA sweep;
- ``visits``: outreach visits ("jemput bola") at a visit step.
"""

from layan.cases.services.actions import MAX_NOTE, documents_received, perform_action
from layan.cases.services.flagging import flag_case, sweep_overdue, unflag_case
from layan.cases.services.queues import claim, claim_next, release
from layan.cases.services.stepwork import (
    MAX_REASON,
    add_attachment,
    check_requirement,
    record_access,
    record_consent,
    record_registry_note,
    save_form_data,
)
from layan.cases.services.submission import channel_for, submit_case, submitter_kind_for
from layan.cases.services.transitions import (
    Actor,
    allowed_actions,
    lock_for_step,
    lock_open,
    record_step_work,
    user_role_codes,
)
from layan.cases.services.visits import record_visit, schedule_visit

__all__ = [
    "MAX_NOTE",
    "MAX_REASON",
    "Actor",
    "add_attachment",
    "allowed_actions",
    "channel_for",
    "check_requirement",
    "claim",
    "claim_next",
    "documents_received",
    "flag_case",
    "unflag_case",
    "lock_for_step",
    "lock_open",
    "perform_action",
    "record_access",
    "record_consent",
    "record_registry_note",
    "record_step_work",
    "release",
    "record_visit",
    "save_form_data",
    "schedule_visit",
    "submit_case",
    "submitter_kind_for",
    "sweep_overdue",
    "user_role_codes",
]
