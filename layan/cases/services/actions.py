"""Moving a request: the current step's actions, and the applicant's answer to a request for
documents."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layan.cases import events, sla, work
from layan.cases.models import Case, EventKind, RequirementCheck, Status
from layan.cases.services.transitions import (
    Actor,
    Change,
    allowed_actions,
    close,
    enter,
    lock,
    lock_open,
    pause_clocks,
    resume_clocks,
    role_label,
    user_role_codes,
)
from layan.core.errors import Conflict, Forbidden, Invalid
from layan.offices.fields import clean_values, fields_of, incomplete
from layan.offices.models import Role
from layan.sop.definition import END, FORWARD_KINDS, ActionKind, Step, resolve_target

MAX_NOTE = 2000


def perform_action(
    case: Case | str,
    *,
    actor: Actor,
    action: str,
    note: str = "",
    data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Take ``action`` (an action id of the current step) on a request.

    Locks the request (:func:`lock_open`). Raises :class:`Conflict` when the request moved on
    since ``expected_version`` or the action is not one of the current step's, :class:`Forbidden`
    when the actor lacks the step's role and :class:`Invalid` for a missing note, bad data, or a
    step not ready to go forward. Announces ``request_rejected``, ``documents_requested``,
    ``request_completed`` or ``step_entered`` (for every step entered), after saving.
    """
    now = now or timezone.now()
    note = (note or "").strip()
    if data is not None and not isinstance(data, Mapping):
        raise Invalid(_("Data must be an object."), "data_invalid")
    if len(note) > MAX_NOTE:
        raise Invalid(
            _("The note is too long (at most 2000 characters)."), "note_long", field="note"
        )
    with transaction.atomic():
        case = lock_open(case, expected_version)
        definition = case.sop_version.parsed
        step = definition.step(case.current_step.key)
        chosen = step.action(action)
        if chosen is None:
            raise Conflict(
                _("Action “%(action)s” is not possible at step %(step)s.")
                % {"action": action, "step": step.key},
                "action_not_allowed",
            )
        if chosen not in allowed_actions(case, actor):
            raise Forbidden(
                _("Only the %(role)s may act at step %(step)s.")
                % {"role": role_label(definition, step), "step": step.key},
                "role_required",
            )
        if chosen.note_required and not note:
            raise Invalid(_("A note is required for this action."), "note_required", field="note")
        if chosen.kind in FORWARD_KINDS:
            _check_ready(case, step, data)

        cal = sla.calendar_for(case.office)
        if case.status == Status.WAITING_APPLICANT:
            resume_clocks(case, definition, cal, now)
        if chosen.kind == ActionKind.REQUEST_DOCUMENTS:
            data = {"items": _requested_items(case, (data or {}).get("items"))}
        elif data:
            data = _merge_data(case, step, data)
        role = (definition.acting_role(step) or "") if actor.is_staff else ""
        target = resolve_target(definition, step, chosen)
        change = Change(case, actor, now)

        def record(to_step: str):
            return change.append(chosen.id, chosen.kind, step.key, to_step, note, data, role)

        if chosen.kind == ActionKind.REJECT:
            close(case, Status.REJECTED, now)
            change.announce(events.request_rejected, record(""))
        elif chosen.kind == ActionKind.REQUEST_DOCUMENTS:
            pause_clocks(case, definition, cal, now)
            case.status = Status.WAITING_APPLICANT
            change.announce(events.documents_requested, record(step.key), items=data["items"])
        elif target == END:
            close(case, Status.COMPLETED, now)
            change.announce(events.request_completed, record(END))
        else:
            if case.status == Status.SUBMITTED:
                case.status = Status.IN_PROGRESS
            enter(change, definition, definition.step(target), cal, lambda: record(target))
        change.save()
    return case


def _merge_data(case: Case, step: Step, data: Mapping[str, Any]) -> dict[str, Any]:
    """Store data sent with an action. The service's data-entry fields are checked and may be
    set only at its data-entry step (a later officer returns the request instead of editing
    what was checked); other keys (an integration's own) are kept as sent."""
    specs = {spec.code: spec for spec in fields_of(case.service)}
    typed = {code: value for code, value in data.items() if code in specs}
    if typed and not step.data_entry:
        raise Invalid(
            _("Data is entered at the data-entry step, not at step %(step)s.") % {"step": step.key},
            "not_data_entry",
        )
    cleaned, errors = clean_values([specs[code] for code in typed], typed)
    if errors:
        raise Invalid(
            _("The data is not valid: %(fields)s.")
            % {"fields": "; ".join(f"{specs[c].label}: {e}" for c, e in errors.items())},
            "data_invalid",
            fields=errors,
        )
    merged = {**data, **cleaned}
    case.form_data = {**case.form_data, **merged}
    return merged


def _check_ready(case: Case, step: Step, data: Mapping[str, Any] | None) -> None:
    """A request goes forward only with no rejected requirement; from a data-entry step, with
    every data-entry field valid; from a document step, with its document work done (signed,
    card serial recorded, hand-over recorded: checked by the app that does the work)."""
    rejected = list(
        case.checks.filter(verdict=RequirementCheck.Verdict.REJECTED).values_list(
            "requirement", flat=True
        )
    )
    if rejected:
        labels = dict(case.service.requirements.values_list("code", "label"))
        raise Invalid(
            _(
                "These requirements were rejected: %(items)s. Ask the applicant for them again"
                " or accept them first."
            )
            % {"items": "; ".join(labels.get(code, code) for code in rejected)},
            "requirements_rejected",
        )
    if step.data_entry:
        missing = incomplete(fields_of(case.service), {**case.form_data, **(data or {})})
        if missing:
            raise Invalid(
                _("The data is not complete yet: %(fields)s.") % {"fields": ", ".join(missing)},
                "data_incomplete",
            )
    problem = work.missing(case, step)
    if problem:
        raise Invalid(problem[1], problem[0])


def _requested_items(case: Case, items: Any) -> list[str]:
    """The requirement codes an officer asks the applicant for (empty: see the note)."""
    if items is None:
        return []
    known = set(case.service.requirements.values_list("code", flat=True))
    if not isinstance(items, list) or not all(isinstance(i, str) and i in known for i in items):
        raise Invalid(
            _("Ask only for requirements of this service: %(codes)s.")
            % {"codes": ", ".join(sorted(known))},
            "items_invalid",
        )
    return list(dict.fromkeys(items))


def documents_received(
    case: Case | str,
    *,
    actor: Actor,
    note: str = "",
    data: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Case:
    """The applicant answered a request for documents: back to the step that asked, clocks on.

    Locks the request; announces ``documents_received`` after saving.
    """
    now = now or timezone.now()
    with transaction.atomic():
        case = lock(case)
        if case.status != Status.WAITING_APPLICANT:
            raise Conflict(_("This request is not waiting for documents."), "not_waiting")
        definition = case.sop_version.parsed
        step = definition.step(case.current_step.key)
        if definition.role(step.role).kind != Role.Kind.STAFF:
            raise Conflict(_("This step waits for the applicant's own action."), "not_waiting")
        if actor.is_staff and definition.acting_role(step) not in user_role_codes(
            actor.user, case.office
        ):
            raise Forbidden(_("You do not hold the role of this step."), "role_required")
        resume_clocks(case, definition, sla.calendar_for(case.office), now)
        case.status = Status.IN_PROGRESS
        _reopen_requested_checks(case)
        if data:
            data = _merge_data(case, step, data)
        change = Change(case, actor, now)
        received = change.append(
            "documents_received", EventKind.RESUME, step.key, step.key, note, data
        )
        change.announce(events.documents_received, received)
        change.save()
    return case


def _reopen_requested_checks(case: Case) -> None:
    """New files came for what was asked: their rejected verdicts no longer hold, so the items
    are to be checked again (all rejected items when the request named none)."""
    asked = (
        case.events.filter(kind=EventKind.REQUEST_DOCUMENTS)
        .order_by("-seq")
        .values_list("data", flat=True)
    ).first() or {}
    rejected = case.checks.filter(verdict=RequirementCheck.Verdict.REJECTED)
    if asked.get("items"):
        rejected = rejected.filter(requirement__in=asked["items"])
    rejected.delete()
