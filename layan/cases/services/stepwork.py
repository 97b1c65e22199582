"""Working on the current step without moving the request: the requirement checklist, the
data-entry fields, and the access log of who opened a request's personal data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layan.cases.models import Case, CaseAccess, EventKind, RequirementCheck
from layan.cases.services.transitions import Actor, Change, lock_for_step
from layan.core.errors import Conflict, Invalid
from layan.offices.fields import clean_values, fields_of

MAX_REASON = 300


def check_requirement(
    case: Case | str,
    *,
    actor: Actor,
    requirement: str,
    verdict: str,
    reason: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Accept or reject one requirement of the request (the checklist); a rejection needs the
    reason the applicant will read. Locks the request for the step's officer."""
    now = now or timezone.now()
    reason = " ".join((reason or "").split())
    if verdict not in RequirementCheck.Verdict.values:
        raise Invalid(_("Choose accept or reject."), "verdict_invalid")
    if verdict == RequirementCheck.Verdict.REJECTED and not reason:
        raise Invalid(_("Give the reason for rejecting this requirement."), "reason_required")
    if len(reason) > MAX_REASON:
        raise Invalid(_("The reason is too long (at most 300 characters)."), "reason_long")
    with transaction.atomic():
        case = lock_for_step(case, actor, expected_version)
        if not case.service.requirements.filter(code=requirement).exists():
            raise Invalid(_("This service has no such requirement."), "requirement_unknown")
        RequirementCheck.objects.update_or_create(
            case=case,
            requirement=requirement,
            defaults={
                "verdict": verdict,
                "reason": reason if verdict == RequirementCheck.Verdict.REJECTED else "",
                "checked_by": actor.user,
                "checked_at": now,
            },
        )
        key = case.current_step.key
        role = case.sop_version.parsed.acting_role(case.step) or ""
        change = Change(case, actor, now)
        change.append(
            EventKind.CHECK, EventKind.CHECK, key, key, reason,
            {"requirement": requirement, "verdict": verdict}, role,
        )  # fmt: skip
        change.save()
    return case


def save_form_data(
    case: Case | str,
    *,
    actor: Actor,
    values: Mapping[str, Any],
    expected_version: int | None = None,
    now: datetime | None = None,
) -> tuple[Case, dict[str, str]]:
    """Store the data-entry fields typed at a data-entry step.

    Every value is checked; valid ones are stored even when others are not, so an officer never
    loses what was typed, and the errors (by field code) come back to show next to the fields.
    The step cannot be completed while any error remains (see ``perform_action``). Locks the
    request for the step's officer.
    """
    now = now or timezone.now()
    if not isinstance(values, Mapping):
        raise Invalid(_("Form data must be an object."), "form_data")
    with transaction.atomic():
        case = lock_for_step(case, actor, expected_version)
        if not case.step.data_entry:
            raise Conflict(
                _("Data is entered at the data-entry step, not at step %(step)s.")
                % {"step": case.current_step.key},
                "not_data_entry",
            )
        specs = fields_of(case.service)
        cleaned, errors = clean_values(specs, values)
        changed = [
            spec.code
            for spec in specs
            if spec.code not in errors and case.form_data.get(spec.code) != cleaned[spec.code]
        ]
        if changed:
            case.form_data = {**case.form_data, **{code: cleaned[code] for code in changed}}
            key = case.current_step.key
            role = case.sop_version.parsed.acting_role(case.step) or ""
            change = Change(case, actor, now)
            change.append(EventKind.DATA, EventKind.DATA, key, key, "", {"fields": changed}, role)
            change.save()
    return case, errors


def record_access(case: Case, *, user, kind: str, detail: str = "", ip: str | None = None) -> None:
    """Log that ``user`` opened the personal data of ``case`` (page, file or API)."""
    CaseAccess.objects.create(
        case=case,
        office_id=case.office_id,
        user=user,
        at=timezone.now(),
        kind=kind,
        detail=detail[:200],
        ip_address=ip or None,
    )
