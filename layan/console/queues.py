"""Work queues as data: each queue is a named filter over the office's requests.

A queue names what it shows (the role whose steps they are, the statuses, flags, overdue, who
holds it); the console only renders them. Adding a queue is adding a line here, not a view.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.utils.translation import gettext_lazy as _

from layan.cases.models import ACTIVE, OPEN, Status
from layan.cases.models import TERMINAL as CLOSED
from layan.cases.selectors import CaseFilter


@dataclass(frozen=True)
class Queue:
    slug: str
    label: str
    filter: CaseFilter
    for_role: bool = True  # narrowed to the officer's chosen role
    mine: bool = False  # narrowed to what the officer holds
    others: bool = False  # narrowed to what colleagues hold
    help: str = ""


QUEUES = (
    Queue(
        "todo",
        _("To do"),
        CaseFilter(statuses=ACTIVE, unassigned=True),
        help=_("Waiting for your role, not taken by anyone yet, most urgent first."),
    ),
    Queue(
        "mine",
        _("In my hands"),
        CaseFilter(statuses=OPEN),
        for_role=False,
        mine=True,
        help=_("Requests you claimed."),
    ),
    Queue(
        "taken",
        _("Taken by others"),
        CaseFilter(statuses=ACTIVE, unassigned=False),
        others=True,
        help=_("At your role's steps, being worked on by a colleague."),
    ),
    Queue(
        "waiting",
        _("Waiting for the applicant"),
        CaseFilter(statuses=(Status.WAITING_APPLICANT,)),
        help=_("Asked for documents or for the applicant's visit; the clock is stopped."),
    ),
    Queue(
        "overdue",
        _("Overdue"),
        CaseFilter(statuses=ACTIVE, overdue=True),
        help=_("Past the step's standard time or the request's deadline."),
    ),
    Queue(
        "flagged",
        _("Flagged"),
        CaseFilter(statuses=OPEN, flagged=True),
        help=_("Marked for attention (unknown NIK region, undeliverable message, …)."),
    ),
    Queue(
        "all",
        _("All open requests"),
        CaseFilter(statuses=OPEN),
        for_role=False,
        help=_("Every open request of the office, whatever its step."),
    ),
    Queue(
        "closed",
        _("Closed"),
        CaseFilter(statuses=CLOSED),
        for_role=False,
        help=_("Completed, rejected or cancelled requests."),
    ),
)
BY_SLUG = {queue.slug: queue for queue in QUEUES}


def queue_filter(queue: Queue, *, role: str | None, user_id: int) -> CaseFilter:
    """The queue's filter for one officer at one role (applied to their office's requests)."""
    narrowed = queue.filter
    if queue.for_role:
        narrowed = replace(narrowed, role=role or "-")
    if queue.mine:
        narrowed = replace(narrowed, assigned_to_id=user_id)
    if queue.others:
        narrowed = replace(narrowed, not_assigned_to_id=user_id)
    return narrowed
