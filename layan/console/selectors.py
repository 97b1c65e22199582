"""Read queries of the console: queues, a request's page, supervision, the access log.

Every query starts from the desk's office, so nothing of another office can appear on a page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layan.bot.models import CaseContact
from layan.bot.selectors import handed_over_conversations
from layan.cases import sla
from layan.cases.models import (
    ACTIVE,
    OPEN,
    Case,
    CaseAccess,
    CaseEvent,
    EventKind,
    Status,
)
from layan.cases.selectors import CaseFilter, late_q
from layan.console.desk import Desk
from layan.console.queues import QUEUES, Queue, queue_filter
from layan.documents.services import WORK_LABELS
from layan.offices.models import StaffRole
from layan.sop.definition import ACTION_KINDS
from layan.whatsapp.models import Conversation


def office_cases(desk: Desk) -> QuerySet[Case]:
    """The requests of the desk's office. The desk is only ever an office where the officer
    holds a staff role (:func:`layan.console.desk.desk_for`), so this is the office's share of
    :func:`layan.cases.selectors.visible_cases`, without asking again which offices those are."""
    return Case.objects.filter(office=desk.office).select_related(
        "office", "service", "current_step", "current_step__role", "assigned_to", "sop_version"
    )


def listed(cases: QuerySet[Case]) -> QuerySet[Case]:
    """``cases`` for a list of rows: only the relations a row shows, without the data-entry
    form (the SOP version's definition and source text and the form are the widest columns)."""
    return (
        cases.select_related(None)
        .select_related("service", "current_step", "assigned_to")
        .defer("form_data")
    )


def queue_counts(
    desk: Desk, role: str | None, now: datetime | None = None, shown: Queue | None = None
) -> list[tuple[Queue, int | None]]:
    """Every queue's count for the officer: the queues of open requests in one grouped query
    over the office's open requests. A queue of closed requests grows without end (counting
    an office's years of them costs more than the rest of the page), so it is counted only
    when it is the one ``shown``; otherwise its count is None."""
    now = now or timezone.now()
    base = Case.objects.filter(office=desk.office)
    together, alone = {}, []
    for queue in QUEUES:
        f = queue_filter(queue, role=role, user_id=desk.user.pk)
        if f.statuses is not None and set(f.statuses) <= set(OPEN):
            together[queue.slug] = Count("pk", filter=f.where(now))
        else:
            alone.append((queue, f))
    counts = base.filter(status__in=OPEN).aggregate(**together) if together else {}
    for queue, f in alone:
        counts[queue.slug] = base.filter(f.where(now)).count() if queue == shown else None
    return [(queue, counts[queue.slug]) for queue in QUEUES]


def queue_cases(
    desk: Desk,
    queue: Queue,
    role: str | None,
    query: str = "",
    channel: str | None = None,
    now: datetime | None = None,
) -> QuerySet[Case]:
    f = queue_filter(queue, role=role, user_id=desk.user.pk)
    if query:
        f = CaseFilter(query=query)  # search spans every queue
    if channel:
        f = replace(f, channel=channel)
    return listed(f.apply(office_cases(desk), now)).prefetch_related("flags")


def case_conversations(case: Case) -> list[Conversation]:
    """The WhatsApp conversations that hear about the request, submitter first."""
    order = {CaseContact.Kind.SUBMITTER: 0, CaseContact.Kind.APPLICANT: 1}
    contacts = (
        CaseContact.objects.filter(case=case, conversation__channel__office_id=case.office_id)
        .exclude(kind=CaseContact.Kind.FOLLOWER)
        .select_related("conversation__channel", "conversation__identity")
    )
    ordered = sorted(contacts, key=lambda c: order.get(c.kind, 9))
    return list({c.conversation_id: c.conversation for c in ordered}.values())


@dataclass(frozen=True)
class Clock:
    label: str
    due: datetime | None
    paused: bool
    remaining_minutes: float | None  # working minutes left (negative: late)

    @property
    def late(self) -> bool:
        return self.remaining_minutes is not None and self.remaining_minutes < 0


def clocks(case: Case, now: datetime) -> list[Clock]:
    """The step's and the request's clocks in office working minutes."""
    if not case.is_open:
        return []
    cal = sla.calendar_for(case.office)
    paused = case.paused_at is not None

    def left(due, kept):
        if paused:
            return kept
        if due is None:
            return None
        if due >= now:
            return cal.working_minutes_between(now, due)
        return -cal.working_minutes_between(due, now)

    return [
        Clock(
            _("This step"), case.step_due_at, paused, left(case.step_due_at, case.step_remaining)
        ),
        Clock(_("Whole request"), case.due_at, paused, left(case.due_at, case.due_remaining)),
    ]


VERDICTS = {"accepted": _("accepted"), "rejected": _("rejected")}


def event_label(case: Case, event: CaseEvent, requirements: dict[str, str]) -> str:
    """What happened, in words: the SOP's own label for a step action, else the kind's."""
    if event.kind == EventKind.CHECK:
        data = event.data or {}
        return _("Requirement %(item)s %(verdict)s") % {
            "item": requirements.get(data.get("requirement"), data.get("requirement", "")),
            "verdict": VERDICTS.get(data.get("verdict"), data.get("verdict", "")),
        }
    if event.kind in ACTION_KINDS:
        try:
            step = case.sop_version.parsed.step(event.from_step)
        except KeyError:
            step = None
        action = step.action(event.action) if step else None
        if action is not None:
            return action.label
    if event.kind == EventKind.DOCUMENT and event.action in WORK_LABELS:
        return str(WORK_LABELS[event.action])
    if event.kind in EventKind.values:
        return str(EventKind(event.kind).label)
    return event.action


def history(case: Case) -> list[CaseEvent]:
    requirements = dict(case.service.requirements.values_list("code", "label"))
    events = list(case.events.select_related("actor").order_by("seq"))
    for event in events:
        event.label = event_label(case, event, requirements)
    return events


# --------------------------------------------------------------------------- supervision


@dataclass(frozen=True)
class StepLoad:
    service: str
    service_name: str
    step: str
    activity: str
    role: str
    open: int
    overdue: int
    waiting: int


def backlog(desk: Desk, now: datetime) -> list[StepLoad]:
    """Open requests per service and step, with how many are late or wait on the applicant."""
    late = late_q(now)
    rows = (
        office_cases(desk)
        .filter(status__in=OPEN)
        .values(
            "service__code",
            "service__name",
            "current_step__key",
            "current_step__position",
            "current_step__activity",
            "current_step__role__name",
        )
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=late),
            waiting=Count("pk", filter=Q(status=Status.WAITING_APPLICANT)),
        )
        .order_by("service__position", "service__code", "current_step__position")
    )
    return [
        StepLoad(
            service=r["service__code"],
            service_name=r["service__name"],
            step=r["current_step__key"],
            activity=r["current_step__activity"],
            role=r["current_step__role__name"],
            open=r["open"],
            overdue=r["overdue"],
            waiting=r["waiting"],
        )
        for r in rows
    ]


def overdue_cases(desk: Desk, now: datetime) -> QuerySet[Case]:
    return listed(CaseFilter(statuses=ACTIVE, overdue=True).apply(office_cases(desk), now))


@dataclass(frozen=True)
class OfficerLoad:
    user_id: int
    name: str
    holding: int
    holding_late: int
    actions_7d: int


def workload(desk: Desk, now: datetime) -> list[OfficerLoad]:
    """Per officer of the office: requests in hand (late ones too) and actions in 7 days."""
    User = get_user_model()
    since = now - timedelta(days=7)
    holds_role = StaffRole.objects.filter(user=OuterRef("pk"), role__office=desk.office)
    officers = list(
        User.objects.filter(Exists(holds_role), is_active=True)
        .annotate(
            holding=Count(
                "assigned_cases",
                filter=Q(
                    assigned_cases__office=desk.office,
                    assigned_cases__status__in=OPEN,
                ),
            ),
            holding_late=Count(
                "assigned_cases",
                filter=Q(
                    assigned_cases__office=desk.office,
                    assigned_cases__status__in=ACTIVE,
                    assigned_cases__step_due_at__lt=now,
                ),
            ),
        )
        .order_by("-holding", "username")
    )
    # Only these officers' lines are shown: asking for them by name lets the database read
    # each one's last week from the (actor, at) index instead of the whole history.
    done = dict(
        CaseEvent.objects.filter(
            actor_id__in=[u.pk for u in officers],
            at__gte=since,
            actor_kind=CaseEvent.ActorKind.STAFF,
            case__office=desk.office,
        )
        .exclude(kind__in=[EventKind.CLAIM, EventKind.RELEASE])
        .values("actor_id")
        .annotate(n=Count("pk"))
        .values_list("actor_id", "n")
    )
    return [
        OfficerLoad(
            user_id=u.pk,
            name=u.get_full_name() or u.get_username(),
            holding=u.holding,
            holding_late=u.holding_late,
            actions_7d=done.get(u.pk, 0),
        )
        for u in officers
    ]


def access_log(desk: Desk, *, code: str = "", username: str = "") -> QuerySet[CaseAccess]:
    qs = CaseAccess.objects.filter(office=desk.office).select_related("case", "user")
    if code:
        qs = qs.filter(case__code__iexact=code.strip())
    if username:
        qs = qs.filter(user__username__iexact=username.strip())
    return qs.order_by("-at")


def handed_over(desk: Desk, now: datetime) -> QuerySet[Conversation]:
    """Conversations of the office waiting for an officer, oldest handover first."""
    return handed_over_conversations(desk.user, now).filter(channel__office=desk.office)
