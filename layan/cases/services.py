"""The request engine: the one way a request is created, moved, claimed or flagged.

Every change happens inside a transaction on a row locked with ``select_for_update``, bumps the
request's ``version`` and appends an event; the rules come from the SOP version the request
started on. Callers pass the version they acted on, so of two officers acting at once exactly one
wins and the other gets a conflict instead of a surprise.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layan.cases import sla
from layan.cases.codes import new_code
from layan.cases.models import (
    ACTIVE,
    Case,
    CaseAccess,
    CaseEvent,
    CaseFlag,
    RequirementCheck,
    Status,
    SubmitterKind,
)
from layan.core.errors import Conflict, Forbidden, Invalid, NotFound
from layan.offices.fields import clean_values, fields_of, incomplete
from layan.offices.models import Office, Role, Service, StaffRole
from layan.registry.nik import NikError, parse_nik
from layan.sop.definition import END, Action, SopDefinition, Step, resolve_target
from layan.sop.models import SopStep

logger = logging.getLogger(__name__)

FLAG_STEP_OVERDUE = "step_overdue"
FLAG_OVERDUE = "overdue"
MAX_NOTE = 2000
MAX_REASON = 300
FORWARD_KINDS = ("complete", "approve")


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in officer, the applicant (through a channel) or the system."""

    kind: str
    user: Any = None
    name: str = ""

    @classmethod
    def staff(cls, user) -> Actor:
        return cls(CaseEvent.ActorKind.STAFF, user, user.get_username())

    @classmethod
    def applicant(cls, name: str = "") -> Actor:
        return cls(CaseEvent.ActorKind.APPLICANT, None, name)

    @classmethod
    def system(cls, name: str = "layan") -> Actor:
        return cls(CaseEvent.ActorKind.SYSTEM, None, name)


def user_role_codes(user, office: Office) -> set[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    return set(
        StaffRole.objects.filter(
            user=user, role__office=office, role__kind=Role.Kind.STAFF
        ).values_list("role__code", flat=True)
    )


def acting_role(definition: SopDefinition, step: Step) -> str:
    """The staff role that acts at ``step``: its performer, or who records an applicant step."""
    if definition.role(step.role).kind == "staff":
        return step.role
    return step.assisted_by or step.role


def allowed_actions(case: Case, actor: Actor) -> list[Action]:
    """The actions ``actor`` may take on ``case`` right now (for buttons and the API)."""
    if not case.is_open:
        return []
    definition = case.sop_version.parsed
    step = definition.step(case.current_step.key)
    if actor.kind == CaseEvent.ActorKind.SYSTEM:
        return list(step.actions)
    if actor.kind == CaseEvent.ActorKind.APPLICANT:
        if definition.role(step.role).kind == "applicant":
            return [a for a in step.actions if a.kind in ("complete", "approve")]
        return []
    if acting_role(definition, step) in user_role_codes(actor.user, case.office):
        return list(step.actions)
    return []


# --------------------------------------------------------------------------- submission


def submit_case(
    *,
    service: Service,
    actor: Actor,
    applicant_name: str,
    applicant_nik: str = "",
    applicant_phone: str = "",
    submitter_kind: str = SubmitterKind.APPLICANT,
    submitter_name: str = "",
    submitter_phone: str = "",
    form_data: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Case:
    """Create a request at the start of its service's current SOP version.

    The intake steps (the applicant sending the files, the information bot, the field officer's
    visit) are completed by the submission itself; the request then waits at the first step the
    office works on.
    """
    now = now or timezone.now()
    office = service.office
    name = " ".join((applicant_name or "").split())
    if not name:
        raise Invalid(_("The applicant's name is required."), "name_required")
    if len(name) > 120:
        raise Invalid(_("The applicant's name is too long (at most 120 characters)."), "name_long")
    nik = ""
    if applicant_nik:
        try:
            nik = parse_nik(applicant_nik).value
        except NikError as exc:
            raise Invalid(exc.message, exc.code) from exc
    if submitter_kind not in SubmitterKind.values:
        raise Invalid(_("Unknown kind of submitter."), "submitter_kind")
    if form_data is not None and not isinstance(form_data, Mapping):
        raise Invalid(_("Form data must be an object."), "form_data")
    if not service.is_active or not office.is_active:
        raise Invalid(_("This service is not open for applications."), "service_inactive")
    if actor.kind == CaseEvent.ActorKind.STAFF and not user_role_codes(actor.user, office):
        raise Forbidden(_("You hold no role in this office."), "office_role_required")
    version = service.sop.versions.order_by("-number").first()
    if version is None:
        raise Invalid(_("This service has no SOP loaded yet."), "sop_missing")
    definition = version.parsed
    cal = sla.calendar_for(office)

    first = definition.first_step
    with transaction.atomic():
        case = None
        for _attempt in range(8):
            code = new_code(service.prefix)
            try:
                with transaction.atomic():  # a savepoint: a code collision is retried
                    case = Case.objects.create(
                        office=office,
                        service=service,
                        sop_version=version,
                        code=code,
                        status=Status.SUBMITTED,
                        current_step=_step_row(version, first.key),
                        applicant_name=name,
                        applicant_nik=nik,
                        applicant_phone=applicant_phone,
                        submitter_kind=submitter_kind,
                        submitter_name=submitter_name,
                        submitter_phone=submitter_phone,
                        submitted_by=actor.user if actor.kind == "staff" else None,
                        form_data=dict(form_data or {}),
                        created_at=now,
                        due_at=sla.case_due(cal, definition, now),
                    )
                break
            except IntegrityError:
                if not Case.objects.filter(code=code).exists():
                    raise
        if case is None:  # pragma: no cover - eight collisions in a row
            raise Conflict(_("Could not assign a tracking code; please try again."), "code_busy")

        def record() -> None:
            _append(
                case, actor, "submit", "submit", "", first.key, now, data={"service": service.code}
            )

        _enter(case, definition, first, actor, now, cal, record)
        case.save()
    return case


def _step_row(version, key: str) -> SopStep:
    return SopStep.objects.get(version=version, key=key)


# --------------------------------------------------------------------------- actions


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

    Raises :class:`Conflict` when the request moved on since ``expected_version`` or the action is
    not one of the current step's, :class:`Forbidden` when the actor lacks the step's role and
    :class:`Invalid` for a missing note or bad data.
    """
    now = now or timezone.now()
    note = (note or "").strip()
    if data is not None and not isinstance(data, Mapping):
        raise Invalid(_("Data must be an object."), "data_invalid")
    if len(note) > MAX_NOTE:
        raise Invalid(_("The note is too long (at most 2000 characters)."), "note_long")
    with transaction.atomic():
        case = _lock_open(case, expected_version)
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
                % {"role": definition.role(acting_role(definition, step)).label, "step": step.key},
                "role_required",
            )
        if chosen.note_required and not note:
            raise Invalid(_("A note is required for this action."), "note_required")
        if chosen.kind in FORWARD_KINDS:
            _check_ready(case, step, data)

        cal = sla.calendar_for(case.office)
        if case.status == Status.WAITING_APPLICANT:
            _resume_clocks(case, definition, cal, now)
        if chosen.kind == "request_documents":
            data = {"items": _requested_items(case, (data or {}).get("items"))}
        elif data:
            data = _merge_data(case, step, data)
        role = acting_role(definition, step) if actor.kind == "staff" else ""
        target = resolve_target(definition, step, chosen)

        def record(to_step: str) -> None:
            _append(case, actor, chosen.id, chosen.kind, step.key, to_step, now, note, data, role)

        if chosen.kind == "reject":
            _close(case, Status.REJECTED, now)
            record("")
        elif chosen.kind == "request_documents":
            _pause_clocks(case, definition, cal, now)
            case.status = Status.WAITING_APPLICANT
            record(step.key)
        elif target == END:
            _close(case, Status.COMPLETED, now)
            record(END)
        else:
            if case.status == Status.SUBMITTED:
                case.status = Status.IN_PROGRESS
            _enter(
                case, definition, definition.step(target), actor, now, cal, lambda: record(target)
            )
        case.version += 1
        case.save()
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
    card serial recorded, hand-over recorded)."""
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
    if step.document:
        from layan.documents.selectors import step_work_missing

        problem = step_work_missing(case, step)
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
    """The applicant answered a request for documents: back to the step that asked, clocks on."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock(case)
        if case.status != Status.WAITING_APPLICANT:
            raise Conflict(_("This request is not waiting for documents."), "not_waiting")
        definition = case.sop_version.parsed
        step = definition.step(case.current_step.key)
        if definition.role(step.role).kind != "staff":
            raise Conflict(_("This step waits for the applicant's own action."), "not_waiting")
        if actor.kind == "staff" and acting_role(definition, step) not in user_role_codes(
            actor.user, case.office
        ):
            raise Forbidden(_("You do not hold the role of this step."), "role_required")
        _resume_clocks(case, definition, sla.calendar_for(case.office), now)
        case.status = Status.IN_PROGRESS
        _reopen_requested_checks(case)
        if data:
            data = _merge_data(case, step, data)
        _append(case, actor, "documents_received", "resume", step.key, step.key, now, note, data)
        case.version += 1
        case.save()
    return case


def _reopen_requested_checks(case: Case) -> None:
    """New files came for what was asked: their rejected verdicts no longer hold, so the items
    are to be checked again (all rejected items when the request named none)."""
    asked = (
        case.events.filter(kind="request_documents").order_by("-seq").values_list("data", flat=True)
    ).first() or {}
    rejected = case.checks.filter(verdict=RequirementCheck.Verdict.REJECTED)
    if asked.get("items"):
        rejected = rejected.filter(requirement__in=asked["items"])
    rejected.delete()


def _lock_open(case: Case | str, expected_version: int | None) -> Case:
    """Lock an open request that has not changed since ``expected_version`` (when given)."""
    case = _lock(case)
    if expected_version is not None and case.version != expected_version:
        raise Conflict(
            _("This request was changed by someone else; reload it and try again."),
            "stale",
            version=case.version,
        )
    if not case.is_open:
        raise Conflict(_("This request is already closed."), "case_closed")
    return case


def _lock(case: Case | str) -> Case:
    qs = Case.objects.select_for_update(of=("self",)).select_related(
        "office", "service", "sop_version", "current_step"
    )
    try:
        if isinstance(case, Case):
            return qs.get(pk=case.pk)
        return qs.get(code=case)
    except Case.DoesNotExist:
        raise NotFound(_("Request not found."), "case_not_found") from None


def _enter(
    case: Case,
    definition: SopDefinition,
    step: Step,
    actor: Actor,
    now: datetime,
    cal,
    record,
) -> None:
    """Make ``step`` current and run what happens on entering it (intake, auto, waiting).

    ``record`` appends the event that led here; it runs once the new step's clocks are set, so
    the event carries the due times it caused, and before any automatic step's own event.
    """
    while True:
        case.current_step = _step_row(case.sop_version, step.key)
        case.step_entered_at = now
        case.step_due_at = sla.step_due(cal, step, now) or case.due_at
        case.assigned_to = None
        case.claimed_at = None
        CaseFlag.objects.filter(case=case, code=FLAG_STEP_OVERDUE).delete()

        kind = definition.role(step.role).kind
        if not (step.intake or step.auto):
            if kind == "applicant":
                _pause_clocks(case, definition, cal, now)
                case.status = Status.WAITING_APPLICANT
            elif case.status == Status.WAITING_APPLICANT:
                case.status = Status.IN_PROGRESS
            record()
            return
        record()
        # Intake steps are done by the submitter; auto steps by the system on arrival.
        by = actor if step.intake else Actor.system()
        forward = next(a for a in step.actions if a.kind in ("complete", "approve"))
        target = resolve_target(definition, step, forward)
        how = "intake" if step.intake else "auto"
        from_key = step.key
        if target == END:
            _close(case, Status.COMPLETED, now)
            _append(case, by, forward.id, how, from_key, END, now)
            return
        step = definition.step(target)

        def record(by=by, forward=forward, how=how, from_key=from_key, target=target) -> None:
            _append(case, by, forward.id, how, from_key, target, now)


def _close(case: Case, status: str, now: datetime) -> None:
    case.status = status
    case.current_step = None
    case.closed_at = now
    case.assigned_to = None
    case.claimed_at = None
    case.step_due_at = None
    case.step_entered_at = None
    case.paused_at = None
    case.step_remaining = None
    case.due_remaining = None
    CaseFlag.objects.filter(case=case, code__in=[FLAG_STEP_OVERDUE, FLAG_OVERDUE]).delete()


def _pause_clocks(case: Case, definition: SopDefinition, cal, now: datetime) -> None:
    if case.paused_at is not None:
        return
    case.paused_at = now
    case.step_remaining = sla.step_remaining(cal, case.step_due_at, now)
    case.due_remaining = sla.case_remaining(cal, definition, case.due_at, now)


def _resume_clocks(case: Case, definition: SopDefinition, cal, now: datetime) -> None:
    if case.paused_at is None:
        return
    case.due_at = sla.resume_case(cal, definition, case.due_remaining, now)
    step = definition.step(case.current_step.key)
    if step.minutes is None:
        case.step_due_at = case.due_at
    else:
        case.step_due_at = sla.resume_step(cal, case.step_remaining, now)
    case.paused_at = None
    case.step_remaining = None
    case.due_remaining = None


def _append(
    case: Case,
    actor: Actor,
    action: str,
    kind: str,
    from_step: str,
    to_step: str,
    now: datetime,
    note: str = "",
    data: Mapping[str, Any] | None = None,
    role: str = "",
) -> CaseEvent:
    last = case.events.order_by("-seq").values_list("seq", flat=True).first() or 0
    return CaseEvent.objects.create(
        case=case,
        seq=last + 1,
        at=now,
        actor=actor.user if actor.kind == "staff" else None,
        actor_kind=actor.kind,
        actor_name=actor.name,
        role=role,
        action=action,
        kind=kind,
        from_step=from_step,
        to_step=to_step,
        status=case.status,
        note=note,
        data=dict(data or {}),
        step_due_at=case.step_due_at,
        due_at=case.due_at,
    )


# --------------------------------------------------------------------------- working a step


def _lock_for_step(case: Case | str, actor: Actor, expected_version: int | None) -> Case:
    """Lock an open request for the officer who may act at its current step."""
    case = _lock_open(case, expected_version)
    if not allowed_actions(case, actor):
        definition = case.sop_version.parsed
        raise Forbidden(
            _("Only the %(role)s may work on step %(step)s.")
            % {
                "role": definition.role(acting_role(definition, case.step)).label,
                "step": case.current_step.key,
            },
            "role_required",
        )
    return case


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
    reason the applicant will read."""
    now = now or timezone.now()
    reason = " ".join((reason or "").split())
    if verdict not in RequirementCheck.Verdict.values:
        raise Invalid(_("Choose accept or reject."), "verdict_invalid")
    if verdict == RequirementCheck.Verdict.REJECTED and not reason:
        raise Invalid(_("Give the reason for rejecting this requirement."), "reason_required")
    if len(reason) > MAX_REASON:
        raise Invalid(_("The reason is too long (at most 300 characters)."), "reason_long")
    with transaction.atomic():
        case = _lock_for_step(case, actor, expected_version)
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
        role = acting_role(case.sop_version.parsed, case.step)
        _append(
            case, actor, "check", "check", key, key, now, reason,
            {"requirement": requirement, "verdict": verdict}, role,
        )  # fmt: skip
        case.version += 1
        case.save()
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
    The step cannot be completed while any error remains (see :func:`perform_action`).
    """
    now = now or timezone.now()
    if not isinstance(values, Mapping):
        raise Invalid(_("Form data must be an object."), "form_data")
    with transaction.atomic():
        case = _lock_for_step(case, actor, expected_version)
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
            keep = {code: cleaned[code] for code in changed}
            case.form_data = {**case.form_data, **keep}
            key = case.current_step.key
            role = acting_role(case.sop_version.parsed, case.step)
            _append(case, actor, "data", "data", key, key, now, "", {"fields": changed}, role)
            case.version += 1
            case.save()
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


# --------------------------------------------------------------------------- queues


def _check_holds(user, office: Office, role_code: str) -> None:
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
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock(case)
        if expected_version is not None and case.version != expected_version:
            raise Conflict(_("This request was changed by someone else."), "stale")
        if not case.is_open:
            raise Conflict(_("This request is already closed."), "case_closed")
        definition = case.sop_version.parsed
        _check_holds(user, case.office, acting_role(definition, case.step))
        if case.assigned_to_id not in (None, user.pk):
            raise Conflict(
                _("This request is already being handled by %(user)s.")
                % {"user": case.assigned_to.get_username()},
                "already_claimed",
            )
        _assign(case, user, now)
    return case


def release(case: Case | str, *, user, now=None) -> Case:
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock(case)
        if case.assigned_to_id != user.pk:
            raise Conflict(_("You have not claimed this request."), "not_claimed")
        case.assigned_to = None
        case.claimed_at = None
        _append(case, Actor.staff(user), "release", "release", case.step.key, case.step.key, now)
        case.version += 1
        case.save()
    return case


def _assign(case: Case, user, now: datetime) -> None:
    case.assigned_to = user
    case.claimed_at = now
    if case.status == Status.SUBMITTED:
        case.status = Status.IN_PROGRESS
    key = case.current_step.key
    _append(case, Actor.staff(user), "claim", "claim", key, key, now)
    case.version += 1
    case.save()


# --------------------------------------------------------------------------- flags


def flag_case(case: Case | int, code: str, note: str, *, now: datetime | None = None) -> bool:
    """Put a flag on an open request for staff (once) and record it in the history."""
    now = now or timezone.now()
    with transaction.atomic():
        pk = case.pk if isinstance(case, Case) else case
        case = (
            Case.objects.select_for_update(of=("self",)).select_related("current_step").get(pk=pk)
        )
        _flag, created = CaseFlag.objects.get_or_create(
            case=case, code=code, defaults={"note": str(note)[:300], "created_at": now}
        )
        if created:
            key = case.current_step.key if case.current_step_id else ""
            _append(case, Actor.system(), "flag", "flag", key, key, now, str(note), {"flag": code})
    return created


# --------------------------------------------------------------------------- SLA sweep


def sweep_overdue(now: datetime | None = None) -> int:
    """Flag requests whose step or overall deadline has passed and record an alert event.

    Requests waiting on the applicant are not flagged: their clocks are stopped.
    """
    now = now or timezone.now()
    flagged = 0
    candidates = (
        Case.objects.filter(status__in=ACTIVE)
        .filter(
            Q(step_due_at__lt=now) & ~Q(flags__code=FLAG_STEP_OVERDUE)
            | Q(due_at__lt=now) & ~Q(flags__code=FLAG_OVERDUE)
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    for pk in list(candidates):
        with transaction.atomic():
            case = (
                Case.objects.select_for_update(of=("self",))
                .select_related("current_step")
                .get(pk=pk)
            )
            if case.status not in ACTIVE:
                continue
            have = set(case.flags.values_list("code", flat=True))
            key = case.current_step.key
            clocks = (
                (
                    FLAG_STEP_OVERDUE,
                    case.step_due_at,
                    _("Step %(step)s is past its standard time.") % {"step": key},
                ),
                (FLAG_OVERDUE, case.due_at, _("The request is past its overall deadline.")),
            )
            for flag, due, note in clocks:
                if due is None or due >= now or flag in have:
                    continue
                CaseFlag.objects.create(case=case, code=flag, note=str(note), created_at=now)
                _append(
                    case, Actor.system(), "alert", "alert", key, key, now, str(note), {"flag": flag}
                )
                flagged += 1
    if flagged:
        logger.info("flagged %d overdue request clock(s)", flagged)
    return flagged
