"""Who holds a request: claiming the next one of a role's queue, claiming one, putting it back."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layan.cases.models import ACTIVE, Case, EventKind, Status
from layan.cases.services.transitions import Actor, Change, lock, user_role_codes
from layan.core.errors import Conflict, Forbidden
from layan.offices.models import Office


def _check_holds(user, office: Office, role_code: str | None) -> None:
    if role_code not in user_role_codes(user, office):
        raise Forbidden(_("You do not hold this role in this office."), "role_required")


def claim_next(*, office: Office, role: str, user, now: datetime | None = None) -> Case | None:
    """Give ``user`` the most urgent unclaimed request waiting for ``role``.

    On PostgreSQL ``SKIP LOCKED`` lets two officers claim at the same moment without waiting on
    or taking the same row; SQLite serialises writers, which gives the same guarantee.
    """
    now = now or timezone.now()
    _check_holds(user, office, role)
    with transaction.atomic():
        qs = Case.objects.filter(
            office=office,
            status__in=ACTIVE,
            assigned_to__isnull=True,
            current_step__acting_role__code=role,
        ).order_by(F("step_due_at").asc(nulls_last=True), "created_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        case = qs.first()
        if case is None:
            return None
        _assign(case, user, now)
    return case


def claim(case: Case | str, *, user, expected_version: int | None = None, now=None) -> Case:
    """Take a request of one of ``user``'s roles into their hands (locks it)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = lock(case)
        if expected_version is not None and case.version != expected_version:
            raise Conflict(_("This request was changed by someone else."), "stale")
        if not case.is_open:
            raise Conflict(_("This request is already closed."), "case_closed")
        _check_holds(user, case.office, case.sop_version.parsed.acting_role(case.step))
        if case.assigned_to_id not in (None, user.pk):
            raise Conflict(
                _("This request is already being handled by %(user)s.")
                % {"user": case.assigned_to.get_username()},
                "already_claimed",
            )
        _assign(case, user, now)
    return case


def release(case: Case | str, *, user, now=None) -> Case:
    """Put a request the user holds back in its queue (locks it)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = lock(case)
        if case.assigned_to_id != user.pk:
            raise Conflict(_("You have not claimed this request."), "not_claimed")
        case.assigned_to = None
        case.claimed_at = None
        change = Change(case, Actor.staff(user), now)
        key = case.step.key
        change.append(EventKind.RELEASE, EventKind.RELEASE, key, key)
        change.save()
    return case


def _assign(case: Case, user, now: datetime) -> None:
    case.assigned_to = user
    case.claimed_at = now
    if case.status == Status.SUBMITTED:
        case.status = Status.IN_PROGRESS
    key = case.current_step.key
    change = Change(case, Actor.staff(user), now)
    change.append(EventKind.CLAIM, EventKind.CLAIM, key, key)
    change.save()
