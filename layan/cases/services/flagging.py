"""Flags for staff: put by any app through :func:`flag_case`, and by the SLA sweep on requests
past a deadline."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layan.cases import flags
from layan.cases.models import ACTIVE, Case, CaseFlag, EventKind
from layan.cases.services.transitions import Actor, Change, put_flag

logger = logging.getLogger(__name__)


def _locked(pk: int) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("current_step").get(pk=pk)


def flag_case(
    case: Case | int, flag: flags.Flag | str, note: str, *, now: datetime | None = None
) -> bool:
    """Put a registered flag on a request for staff (once) and record it in the history.

    Locks the request; announces ``request_flagged`` when the flag is new. A code no app
    registered (:mod:`layan.cases.flags`) is refused with ``LookupError``.
    """
    now = now or timezone.now()
    flag = flag if isinstance(flag, flags.Flag) else flags.get(flag)
    with transaction.atomic():
        case = _locked(case.pk if isinstance(case, Case) else case)
        change = Change(case, Actor.system(), now)
        created = put_flag(change, flag, note)
        change.save(bump=False, fields=[])
    return created


def unflag_case(case: Case | int, code: str, note: str, *, now: datetime | None = None) -> bool:
    """Take a flag off a request (when what it pointed at is settled) and record it.

    Locks the request; True when the flag was there."""
    now = now or timezone.now()
    flag = flags.get(code)
    with transaction.atomic():
        case = _locked(case.pk if isinstance(case, Case) else case)
        deleted, _rows = CaseFlag.objects.filter(case=case, code=flag.code).delete()
        if deleted:
            change = Change(case, Actor.system(), now)
            key = case.current_step.key if case.current_step_id else ""
            change.append(
                EventKind.FLAG, EventKind.FLAG, key, key, str(note)[:300],
                {"flag": flag.code, "removed": True},
            )  # fmt: skip
            change.save(bump=False, fields=[])
    return bool(deleted)


def sweep_overdue(now: datetime | None = None) -> int:
    """Flag requests whose step or overall deadline has passed and record an alert event.

    Requests waiting on the applicant are not flagged: their clocks are stopped.
    """
    now = now or timezone.now()
    flagged = 0
    candidates = (
        Case.objects.filter(status__in=ACTIVE)
        .filter(
            Q(step_due_at__lt=now) & ~Q(flags__code=flags.STEP_OVERDUE.code)
            | Q(due_at__lt=now) & ~Q(flags__code=flags.OVERDUE.code)
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    for pk in list(candidates):
        with transaction.atomic():
            case = _locked(pk)
            if case.status not in ACTIVE:
                continue
            key = case.current_step.key
            clocks = (
                (
                    flags.STEP_OVERDUE,
                    case.step_due_at,
                    _("Step %(step)s is past its standard time.") % {"step": key},
                ),
                (flags.OVERDUE, case.due_at, _("The request is past its overall deadline.")),
            )
            change = Change(case, Actor.system(), now)
            for flag, due, note in clocks:
                if due is not None and due < now and put_flag(change, flag, note, EventKind.ALERT):
                    flagged += 1
            change.save(bump=False, fields=[])
    if flagged:
        logger.info("flagged %d overdue request clock(s)", flagged)
    return flagged
