"""The machinery of one change to a request: who acts, locking, the event log, the clocks, and
the domain events announced once the request row holds its new state.

Other apps use the public part of this module through :mod:`layan.cases.services`
(:class:`Actor`, :func:`lock_open`, :func:`lock_for_step`, :func:`record_step_work`); the rest
is the engine's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from layan.cases import events, flags, sla
from layan.cases.models import ActorKind, Case, CaseEvent, CaseFlag, EventKind, Status
from layan.core.errors import Conflict, Forbidden, NotFound
from layan.core.events import DomainEvent
from layan.offices.models import Office, Role, StaffRole
from layan.sop.definition import END, FORWARD_KINDS, Action, SopDefinition, Step, resolve_target
from layan.sop.models import SopStep


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in officer, the applicant (through a channel) or the system."""

    kind: str
    user: Any = None
    name: str = ""

    @classmethod
    def staff(cls, user) -> Actor:
        return cls(ActorKind.STAFF, user, user.get_username())

    @classmethod
    def applicant(cls, name: str = "") -> Actor:
        return cls(ActorKind.APPLICANT, None, name)

    @classmethod
    def system(cls, name: str = "layan") -> Actor:
        return cls(ActorKind.SYSTEM, None, name)

    @property
    def is_staff(self) -> bool:
        return self.kind == ActorKind.STAFF


# --------------------------------------------------------------------------- who may act


def user_role_codes(user, office: Office) -> set[str]:
    """The staff roles ``user`` holds in ``office`` (none for an inactive or anonymous user)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    return set(
        StaffRole.objects.filter(
            user=user, role__office=office, role__kind=Role.Kind.STAFF
        ).values_list("role__code", flat=True)
    )


def role_label(definition: SopDefinition, step: Step) -> str:
    """The name of the role that acts at ``step``, for messages."""
    return definition.role(definition.acting_role(step) or step.role).label


def allowed_actions(case: Case, actor: Actor) -> list[Action]:
    """The actions ``actor`` may take on ``case`` right now (for buttons and the API)."""
    if not case.is_open:
        return []
    definition = case.sop_version.parsed
    step = definition.step(case.current_step.key)
    if actor.kind == ActorKind.SYSTEM:
        return list(step.actions)
    if actor.kind == ActorKind.APPLICANT:
        if definition.role(step.role).kind == Role.Kind.APPLICANT:
            return [a for a in step.actions if a.kind in FORWARD_KINDS]
        return []
    if definition.acting_role(step) in user_role_codes(actor.user, case.office):
        return list(step.actions)
    return []


# --------------------------------------------------------------------------- locking


def lock(case: Case | str) -> Case:
    """The request row, locked for this transaction (``select_for_update``)."""
    qs = Case.objects.select_for_update(of=("self",)).select_related(
        "office", "service", "sop_version", "current_step"
    )
    try:
        if isinstance(case, Case):
            return qs.get(pk=case.pk)
        return qs.get(code=case)
    except Case.DoesNotExist:
        raise NotFound(_("Request not found."), "case_not_found") from None


def lock_open(case: Case | str, expected_version: int | None) -> Case:
    """Lock an open request that has not changed since ``expected_version`` (when given).

    Call inside a transaction. Raises :class:`Conflict` (``stale`` with the current version, or
    ``case_closed``) and :class:`NotFound`.
    """
    case = lock(case)
    if expected_version is not None and case.version != expected_version:
        raise Conflict(
            _("This request was changed by someone else; reload it and try again."),
            "stale",
            version=case.version,
        )
    if not case.is_open:
        raise Conflict(_("This request is already closed."), "case_closed")
    return case


def lock_for_step(case: Case | str, actor: Actor, expected_version: int | None) -> Case:
    """Lock an open, unchanged request for the officer who may act at its current step.

    Call inside a transaction. Raises what :func:`lock_open` raises, and :class:`Forbidden`
    (``role_required``) when ``actor`` does not hold the step's role.
    """
    case = lock_open(case, expected_version)
    if not allowed_actions(case, actor):
        definition = case.sop_version.parsed
        raise Forbidden(
            _("Only the %(role)s may work on step %(step)s.")
            % {"role": role_label(definition, case.step), "step": case.current_step.key},
            "role_required",
        )
    return case


# --------------------------------------------------------------------------- one change


class Change:
    """One change to a locked request: the events it appends, and the domain events it
    announces once :meth:`save` has stored the request's new state."""

    def __init__(self, case: Case, actor: Actor, now: datetime):
        self.case = case
        self.actor = actor
        self.now = now
        self._pending: list[tuple[DomainEvent, dict[str, Any]]] = []
        self._records: list[CaseEvent] = []

    def append(
        self,
        action: str,
        kind: str,
        from_step: str,
        to_step: str,
        note: str = "",
        data: Mapping[str, Any] | None = None,
        role: str = "",
        *,
        by: Actor | None = None,
    ) -> CaseEvent:
        """Append one line to the request's history, with its status and due times as they are
        now (call it after setting them)."""
        case, actor = self.case, by or self.actor
        last = case.events.order_by("-seq").values_list("seq", flat=True).first() or 0
        record = CaseEvent.objects.create(
            case=case,
            seq=last + 1,
            at=self.now,
            actor=actor.user if actor.is_staff else None,
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
        self._records.append(record)
        return record

    def announce(self, event: DomainEvent, record: CaseEvent, *, by: Actor | None = None, **kw):
        """Queue ``event`` to be sent by :meth:`save`, once the request row is stored."""
        self._pending.append(
            (event, {"case": self.case, "event": record, "actor": by or self.actor, **kw})
        )

    def save(self, *, bump: bool = True, fields: list[str] | None = None) -> None:
        """Store the request (its version bumped), then send the queued domain events and, once
        for the whole change, ``request_changed`` with the history lines it appended."""
        if bump:
            self.case.version += 1
        self.case.save(update_fields=fields)
        pending, self._pending = self._pending, []
        for event, kwargs in pending:
            event.announce(sender=Case, **kwargs)
        records, self._records = self._records, []
        if records:
            events.request_changed.announce(
                sender=Case, case=self.case, actor=self.actor, events=records
            )


def put_flag(change: Change, flag: flags.Flag, note: str, kind: str = EventKind.FLAG) -> bool:
    """Put ``flag`` on the request once, record it (by the system, as ``kind``: a flag, or the
    clocks' alert) and announce it. No version bump: a flag is a note for staff, not a change an
    officer could act on stale."""
    case, system = change.case, Actor.system()
    _row, created = CaseFlag.objects.get_or_create(
        case=case, code=flag.code, defaults={"note": str(note)[:300], "created_at": change.now}
    )
    if created:
        key = case.current_step.key if case.current_step_id else ""
        record = change.append(kind, kind, key, key, str(note), {"flag": flag.code}, by=system)
        change.announce(events.request_flagged, record, by=system, flag=flag, note=str(note))
    return created


def record_step_work(
    case: Case, *, actor: Actor, action: str, data: Mapping[str, Any], now: datetime
) -> CaseEvent:
    """Record work done at the current step that does not move the request (signing, a card
    serial, a hand-over) in its history, and bump its version.

    ``case`` must be locked by :func:`lock_for_step` in the caller's transaction. The event has
    kind ``document`` and the acting role of the step; nothing is announced (the caller announces
    its own domain event).
    """
    change = Change(case, actor, now)
    key = case.current_step.key
    role = case.sop_version.parsed.acting_role(case.step) or ""
    record = change.append(action, EventKind.DOCUMENT, key, key, "", data, role)
    change.save(fields=["version", "updated_at"])
    return record


# --------------------------------------------------------------------------- steps and clocks


def step_row(version, key: str) -> SopStep:
    return SopStep.objects.get(version=version, key=key)


def enter(
    change: Change,
    definition: SopDefinition,
    step: Step,
    cal,
    record: Callable[[], CaseEvent],
) -> None:
    """Make ``step`` current and run what happens on entering it (intake, auto, waiting).

    ``record`` appends the event that led here; it runs once the new step's clocks are set, so
    the event carries the due times it caused, and before any automatic step's own event. Every
    step entered is announced (``step_entered``); going past the last one, the completion.
    """
    case, now, by = change.case, change.now, change.actor
    while True:
        case.current_step = step_row(case.sop_version, step.key)
        case.step_entered_at = now
        case.step_due_at = sla.step_due(cal, step, now) or case.due_at
        case.assigned_to = None
        case.claimed_at = None
        CaseFlag.objects.filter(case=case, code__in=flags.codes(step=True)).delete()

        kind = definition.role(step.role).kind
        if not (step.intake or step.auto):
            if kind == Role.Kind.APPLICANT:
                pause_clocks(case, definition, cal, now)
                case.status = Status.WAITING_APPLICANT
            elif case.status == Status.WAITING_APPLICANT:
                case.status = Status.IN_PROGRESS
            change.announce(events.step_entered, record(), by=by, step=step)
            return
        change.announce(events.step_entered, record(), by=by, step=step)
        # Intake steps are done by the submitter; auto steps by the system on arrival.
        by = by if step.intake else Actor.system()
        forward = next(a for a in step.actions if a.kind in FORWARD_KINDS)
        target = resolve_target(definition, step, forward)
        how = EventKind.INTAKE if step.intake else EventKind.AUTO
        from_key = step.key
        if target == END:
            close(case, Status.COMPLETED, now)
            done = change.append(forward.id, how, from_key, END, by=by)
            change.announce(events.request_completed, done, by=by)
            return
        step = definition.step(target)

        def record(by=by, forward=forward, how=how, from_key=from_key, target=target):
            return change.append(forward.id, how, from_key, target, by=by)


def close(case: Case, status: str, now: datetime) -> None:
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
    CaseFlag.objects.filter(case=case, code__in=flags.codes(close=True)).delete()


def pause_clocks(case: Case, definition: SopDefinition, cal, now: datetime) -> None:
    if case.paused_at is not None:
        return
    case.paused_at = now
    case.step_remaining = sla.step_remaining(cal, case.step_due_at, now)
    case.due_remaining = sla.case_remaining(cal, definition, case.due_at, now)


def resume_clocks(case: Case, definition: SopDefinition, cal, now: datetime) -> None:
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
