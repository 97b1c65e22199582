"""Read queries on requests: what a user may see, filtered and sorted for queues."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layan.cases import flags
from layan.cases.models import (
    ACTIVE,
    TERMINAL,
    Attachment,
    Case,
    CaseEvent,
    CaseFlag,
    IntakeChannel,
    RequirementCheck,
    Status,
)
from layan.core.errors import Invalid, NotFound
from layan.offices.catalogue import condition_applies
from layan.offices.models import Office, Requirement, Role


def offices_of(user) -> QuerySet[Office]:
    if user is None or not user.is_authenticated:
        return Office.objects.none()
    return Office.objects.filter(roles__holders__user=user, roles__kind=Role.Kind.STAFF).distinct()


def visible_cases(user) -> QuerySet[Case]:
    """Requests of the offices where ``user`` holds a role; nobody sees another office's."""
    return Case.objects.filter(office__in=offices_of(user)).select_related(
        "office", "service", "current_step", "current_step__role", "assigned_to", "sop_version"
    )


def late_q(now: datetime) -> Q:
    """Requests past a deadline: flagged by the sweep, or a running step clock already past.

    The flags are asked with EXISTS, not joined: a request is counted and listed once however
    many flags it has, with no DISTINCT over its rows."""
    flagged = CaseFlag.objects.filter(
        case=OuterRef("pk"), code__in=[flags.OVERDUE.code, flags.STEP_OVERDUE.code]
    )
    return Q(Exists(flagged)) | Q(status__in=ACTIVE, step_due_at__lt=now)


@dataclass(frozen=True)
class CaseFilter:
    """A queue or search, as data: every field narrows the set; None means "any"."""

    office: str | None = None
    service: str | None = None
    status: str | None = None
    statuses: tuple[str, ...] | None = None
    step: str | None = None
    role: str | None = None  # the role that works the current step (performer or assistant)
    assigned_to_id: int | None = None
    not_assigned_to_id: int | None = None
    unassigned: bool | None = None
    overdue: bool | None = None
    flagged: bool | None = None
    channel: str | None = None
    query: str | None = None

    def where(self, now: datetime | None = None) -> Q:
        """The filter as one condition (also usable inside an aggregate's ``filter``)."""
        now = now or timezone.now()
        where = Q()
        if self.office:
            where &= Q(office__code=self.office)
        if self.service:
            where &= Q(service__code=self.service)
        if self.status:
            if self.status not in Status.values:
                raise Invalid(_("Unknown status %(s)s.") % {"s": self.status}, "status_invalid")
            where &= Q(status=self.status)
        if self.statuses is not None:
            where &= Q(status__in=self.statuses)
        if self.channel:
            if self.channel not in IntakeChannel.values:
                raise Invalid(_("Unknown channel %(c)s.") % {"c": self.channel}, "channel_invalid")
            where &= Q(channel=self.channel)
        if self.step:
            where &= Q(current_step__key=self.step)
        if self.role:
            where &= Q(current_step__acting_role__code=self.role)
        if self.assigned_to_id is not None:
            where &= Q(assigned_to_id=self.assigned_to_id)
        if self.not_assigned_to_id is not None:
            where &= ~Q(assigned_to_id=self.not_assigned_to_id)
        if self.unassigned is not None:
            where &= Q(assigned_to__isnull=self.unassigned)
        if self.flagged is not None:
            has = Q(Exists(CaseFlag.objects.filter(case=OuterRef("pk"))))
            where &= has if self.flagged else ~has
        if self.overdue is not None:
            late = late_q(now)
            where &= late if self.overdue else ~late
        if self.query:
            text = " ".join(self.query.split())[:120]
            where &= (
                Q(code__iexact=text)
                | Q(applicant_nik=text.replace(" ", ""))
                | Q(applicant_name__icontains=text)
            )
        return where

    def apply(self, qs: QuerySet[Case], now: datetime | None = None) -> QuerySet[Case]:
        """The requests of ``qs`` that pass, most urgent first (the step's due time, then the
        oldest). Closed requests have no step clock (the engine clears it when it closes one),
        so they are simply the oldest first, which an index on the office and the arrival
        time answers without sorting an office's years of them."""
        qs = qs.filter(self.where(now))
        closed = self.status in TERMINAL or bool(
            self.statuses and set(self.statuses) <= set(TERMINAL)
        )
        if closed:
            return qs.order_by("created_at")
        return qs.order_by(F("step_due_at").asc(nulls_last=True), "created_at")


def case_for(user, code: str) -> Case:
    """The request with ``code`` if ``user`` may see it; otherwise not found (not forbidden, so
    codes of other offices cannot be probed)."""
    case = (
        visible_cases(user)
        .prefetch_related(
            Prefetch("events", queryset=CaseEvent.objects.order_by("seq")),
            Prefetch("flags", queryset=CaseFlag.objects.order_by("code")),
        )
        .filter(code=code.upper())
        .first()
    )
    if case is None:
        raise NotFound(_("Request %(code)s not found.") % {"code": code}, "case_not_found")
    return case


@dataclass
class RequirementRow:
    requirement: Requirement
    applies: bool
    attachments: list[Attachment] = field(default_factory=list)
    value: str = ""
    check: RequirementCheck | None = None

    @property
    def new_since_check(self) -> bool:
        """Files that arrived after the verdict (the applicant answered a rejection)."""
        return bool(
            self.check and any(a.uploaded_at > self.check.checked_at for a in self.attachments)
        )


def checklist(case: Case) -> tuple[list[RequirementRow], list[Attachment]]:
    """Each requirement of the service with its files, typed value and verdict; and the files
    that belong to no requirement of the service."""
    answers = case.form_data or {}
    files: dict[str, list[Attachment]] = {}
    for attachment in case.attachments.all():
        files.setdefault(attachment.requirement, []).append(attachment)
    checks = {c.requirement: c for c in case.checks.select_related("checked_by")}
    rows = []
    for requirement in case.service.requirements.all():
        rows.append(
            RequirementRow(
                requirement=requirement,
                applies=condition_applies(requirement.condition, answers)
                and (
                    requirement.applies_from is None or case.created_at >= requirement.applies_from
                ),
                attachments=files.pop(requirement.code, []),
                value=str(answers.get(requirement.code) or "")
                if requirement.kind in ("text", "nik")
                else "",
                check=checks.get(requirement.code),
            )
        )
    return rows, [a for rest in files.values() for a in rest]
