"""The report queries: one office, one period, from the stored passages and surveys.

Percentiles come from the stored per-step working minutes (never from sums); every query starts
from the office, so one office's figures never include another's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, Sum

from layan.bot.models import SKM_ELEMENTS, SurveyResponse
from layan.cases.models import (
    OPEN,
    Case,
    CaseEvent,
    EventKind,
    IntakeChannel,
    Status,
    SubmitterKind,
)
from layan.cases.sla import calendar_for
from layan.documents.models import Document, Handover
from layan.offices.catalogue import question_choices
from layan.offices.models import Office
from layan.registry.models import Region
from layan.reports import ikm as ikm_rules
from layan.reports.models import BacklogSnapshot, StepPassage
from layan.reports.passages import passages
from layan.whatsapp.models import OutboxMessage

PERIODS = ("day", "week", "month", "quarter", "year")
SURVEY_FIELDS = tuple(f"u{i}" for i in range(1, SKM_ELEMENTS + 1))  # U1..U9 of a survey answer
# A completed request finished by its SOP's overall deadline.
WITHIN_DEADLINE = Q(due_at__isnull=False, closed_at__lte=F("due_at"))


@dataclass(frozen=True)
class Period:
    start: date  # first day, in the office's time zone
    end: date  # last day, included

    def bounds(self, office: Office) -> tuple[datetime, datetime]:
        tz = office.tz
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )


def period_of(kind: str, day: date) -> Period:
    """The day, ISO week (Monday first), month, quarter or year that holds ``day``."""
    if kind == "day":
        return Period(day, day)
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period(start, start + timedelta(days=6))
    if kind == "month":
        start = day.replace(day=1)
    elif kind == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    elif kind == "year":
        return Period(date(day.year, 1, 1), date(day.year, 12, 31))
    else:
        raise ValueError(f"unknown period {kind!r}")
    months = 1 if kind == "month" else 3
    year, month = divmod(start.month - 1 + months, 12)
    return Period(start, date(start.year + year, month + 1, 1) - timedelta(days=1))


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) of ``values`` by linear interpolation between the
    closest ranks (the "inclusive" method); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


@dataclass
class StepFigures:
    """How one step of one service went in the period."""

    service: str
    service_name: str
    step: str
    number: int
    role: str
    standard: int | None
    minutes: list[float] = field(default_factory=list, repr=False)
    within: int = 0

    @property
    def passed(self) -> int:
        return len(self.minutes)

    @property
    def median(self) -> float | None:
        return percentile(self.minutes, 50)

    @property
    def p90(self) -> float | None:
        return percentile(self.minutes, 90)

    @property
    def within_share(self) -> float | None:
        """Share of passages within the standard (None when the step has none)."""
        if self.standard is None or not self.minutes:
            return None
        return self.within / len(self.minutes)

    @property
    def over_standard(self) -> float:
        """How far the median is beyond the standard (a ratio; what "slowest" sorts by)."""
        if self.standard is None or self.median is None:
            return 0.0
        return self.median / max(self.standard, 1)


@dataclass
class GroupFigures:
    """One role's or officer's passages across the steps: count, median, share within."""

    key: str
    label: str
    minutes: list[float] = field(default_factory=list, repr=False)
    with_standard: int = 0
    within: int = 0

    @property
    def passed(self) -> int:
        return len(self.minutes)

    @property
    def median(self) -> float | None:
        return percentile(self.minutes, 50)

    @property
    def within_share(self) -> float | None:
        return self.within / self.with_standard if self.with_standard else None


@dataclass
class SlaReport:
    steps: list[StepFigures]
    roles: list[GroupFigures]
    officers: list[GroupFigures]
    closed: int  # requests completed in the period
    closed_within: int  # of those, finished by the SOP's overall deadline

    @property
    def closed_within_share(self) -> float | None:
        return self.closed_within / self.closed if self.closed else None


def sla_report(office: Office, period: Period, *, service: str = "") -> SlaReport:
    """Per step: passages left in the period, median and p90 working minutes beside the
    standard, share within; the slowest (median furthest beyond its standard) first. The same
    per role and per officer, and the share of completed requests within the overall deadline."""
    start, end = period.bounds(office)
    rows = StepPassage.objects.filter(office=office, left_at__gte=start, left_at__lt=end)
    if service:
        rows = rows.filter(service__code=service)
    steps: dict[tuple[str, str], StepFigures] = {}
    roles: dict[str, GroupFigures] = {}
    officers: dict[int, GroupFigures] = {}
    labels = dict(office.roles.values_list("code", "name"))
    for row in rows.values_list(
        "service__code", "service__name", "step", "step_number", "role", "standard_minutes",
        "working_minutes", "left_by_id",
    ).iterator():  # fmt: skip
        code, name, step, number, role, standard, minutes, officer = row
        figures = steps.get((code, step))
        if figures is None:
            figures = steps[(code, step)] = StepFigures(code, name, step, number, role, standard)
        within = standard is not None and minutes <= standard
        figures.minutes.append(minutes)
        figures.within += within
        groups = [roles.setdefault(role, GroupFigures(role, labels.get(role, role)))]
        if officer is not None:
            groups.append(officers.setdefault(officer, GroupFigures(str(officer), "")))
        for group in groups:
            group.minutes.append(minutes)
            group.with_standard += standard is not None
            group.within += within
    users = get_user_model().objects.filter(pk__in=officers).only("username", "first_name")
    for user in users:
        officers[user.pk].label = user.get_full_name() or user.get_username()
    closed = Case.objects.filter(
        office=office, status=Status.COMPLETED, closed_at__gte=start, closed_at__lt=end
    )
    if service:
        closed = closed.filter(service__code=service)
    counts = closed.aggregate(
        n=Count("pk"),
        within=Count("pk", filter=WITHIN_DEADLINE),
    )
    ordered = sorted(
        steps.values(),
        key=lambda f: (-f.over_standard, -(f.median or 0), f.service, f.number),
    )
    return SlaReport(
        steps=ordered,
        roles=sorted(roles.values(), key=lambda g: -g.passed),
        officers=sorted(officers.values(), key=lambda g: -g.passed),
        closed=counts["n"],
        closed_within=counts["within"],
    )


@dataclass(frozen=True)
class IkmRow:
    service: str
    service_name: str
    result: ikm_rules.Ikm
    population: int  # requests completed in the period (the survey's population)
    minimum: int  # the regulation's minimum sample for that population


def ikm_report(office: Office, period: Period) -> tuple[list[IkmRow], IkmRow]:
    """The IKM per service and for the whole office in the period (by the survey's date)."""
    start, end = period.bounds(office)
    answers = defaultdict(list)
    surveys = SurveyResponse.objects.filter(
        office=office, submitted_at__gte=start, submitted_at__lt=end
    )
    for code, *row in surveys.values_list("service__code", *SURVEY_FIELDS).iterator():
        answers[code].append(row)
    completed = defaultdict(int)
    for code in Case.objects.filter(
        office=office, status=Status.COMPLETED, closed_at__gte=start, closed_at__lt=end
    ).values_list("service__code", flat=True):
        completed[code] += 1
    rows = []
    for service in office.services.order_by("position", "code"):
        if not answers[service.code] and not completed[service.code]:
            continue
        population = completed[service.code]
        rows.append(
            IkmRow(
                service.code,
                service.name,
                ikm_rules.ikm(answers[service.code]),
                population,
                ikm_rules.minimum_sample(population),
            )
        )
    everything = [row for rows_ in answers.values() for row in rows_]
    population = sum(completed.values())
    total = IkmRow(
        "", office.name, ikm_rules.ikm(everything), population,
        ikm_rules.minimum_sample(population),
    )  # fmt: skip
    return rows, total


@dataclass(frozen=True)
class TimelineRow:
    number: int
    activity: str
    role: str
    entered_at: datetime
    left_at: datetime | None  # None: the request is at this step now
    minutes: float
    waited: float
    standard: int | None

    @property
    def over(self) -> bool:
        return self.standard is not None and self.minutes > self.standard


def case_passages(case: Case, cal=None, *, now: datetime | None = None):
    """The passages of ``case`` read from its history, in order (the step it rests at last,
    counted up to ``now``, when ``now`` is given)."""
    events = case.events.order_by("seq").only(
        "seq", "at", "kind", "from_step", "to_step", "status", "actor_id"
    )
    return passages(events, cal or calendar_for(case.office), now=now)


def timeline(case: Case, now: datetime) -> list[TimelineRow]:
    """The request's own passage through its SOP, step by step: the working minutes at each
    (the step it rests at counted up to ``now``) beside the step's standard minutes."""

    definition = case.sop_version.parsed
    steps = {step.key: step for step in definition.all_steps}
    labels = {r.code: r.label for r in definition.roles}
    rows = []
    for passage in case_passages(case, now=now if case.is_open else None):
        step = steps.get(passage.step)
        role = (definition.acting_role(step) or step.role) if step else ""
        rows.append(
            TimelineRow(
                number=step.number if step else 0,
                activity=step.activity if step else passage.step,
                role=labels.get(role, role),
                entered_at=passage.entered_at,
                left_at=passage.left_at,
                minutes=passage.working_minutes,
                waited=passage.waited_minutes,
                standard=step.minutes if step else None,
            )
        )
    return rows


# --------------------------------------------------------------------------- rekap penerbitan


@dataclass
class RekapRow:
    """One service's figures in the period (or the office's, for the total row)."""

    service: str
    name: str
    received: int = 0  # requests that came in during the period, by where they stand now:
    completed: int = 0
    rejected: int = 0
    cancelled: int = 0
    open: int = 0
    issued: int = 0  # documents signed in the period, by their status now
    superseded: int = 0
    revoked: int = 0
    printed: int = 0  # cards printed in the period
    handed_over: int = 0  # documents and cards handed over in the period
    delivered: int = 0  # signed PDFs sent on WhatsApp in the period

    def add(self, other: RekapRow) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


COUNTS = (
    "received", "completed", "rejected", "cancelled", "open", "issued", "superseded", "revoked",
    "printed", "handed_over", "delivered",
)  # fmt: skip


@dataclass
class Rekap:
    rows: list[RekapRow]
    total: RekapRow
    by_channel: list[tuple[str, str, int]]  # (code, label, requests received)
    by_submitter: list[tuple[str, str, int]]
    by_district: list[tuple[str, str, int]]  # (kecamatan code from the NIK, its name, count)
    by_village: list[tuple[str, int]]  # (desa/kelurahan typed at data entry, count)


def _district_of(nik: str) -> str:
    """The kecamatan code ``PP.KK.DD`` of a NIK (its first six digits)."""
    digits = "".join(ch for ch in nik or "" if ch.isdigit())
    return f"{digits[0:2]}.{digits[2:4]}.{digits[4:6]}" if len(digits) >= 6 else ""


def rekap(office: Office, period: Period, *, service: str = "") -> Rekap:
    """Rekap penerbitan: per service the requests received and where they stand (completed,
    rejected, cancelled, open), documents issued / superseded / revoked, cards printed,
    hand-overs, PDFs delivered on WhatsApp; the requests received by channel, by who submitted
    them, by kecamatan (from the NIK's region, named from the Kemendagri table) and by desa."""

    start, end = period.bounds(office)
    services = office.services.order_by("position", "code")
    if service:
        services = services.filter(code=service)
    rows = {s.code: RekapRow(s.code, s.name) for s in services}

    received = Case.objects.filter(office=office, created_at__gte=start, created_at__lt=end)
    if service:
        received = received.filter(service__code=service)
    outcome = {
        Status.COMPLETED: "completed", Status.REJECTED: "rejected",
        Status.CANCELLED: "cancelled",
    }  # fmt: skip
    by_status = received.values_list("service__code", "status").annotate(n=Count("pk")).order_by()
    for code, status, n in by_status:
        if code in rows:
            rows[code].received += n
            name = outcome.get(status, "open")
            setattr(rows[code], name, getattr(rows[code], name) + n)

    def in_period(queryset, date_field: str):
        """``queryset`` of rows with a ``case``, dated by ``date_field`` in the period."""
        return queryset.filter(
            **{f"{date_field}__gte": start, f"{date_field}__lt": end, "case__office": office}
        )

    def per_service(queryset, date_field: str):
        rows_ = in_period(queryset, date_field).values_list("case__service__code")
        return rows_.annotate(n=Count("pk")).order_by()

    documents = (
        in_period(Document.objects.all(), "issued_at")
        .values_list("case__service__code", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for code, status, n in documents:
        if code in rows:
            rows[code].issued += n
            if status == Document.Status.SUPERSEDED:
                rows[code].superseded += n
            elif status == Document.Status.REVOKED:
                rows[code].revoked += n
    for code, n in per_service(Handover.objects.all(), "printed_at"):
        if code in rows:
            rows[code].printed += n
    for code, n in per_service(Handover.objects.all(), "handed_at"):
        if code in rows:
            rows[code].handed_over += n
    sent = (OutboxMessage.Status.SENT, OutboxMessage.Status.DELIVERED, OutboxMessage.Status.READ)
    for code, n in per_service(
        OutboxMessage.objects.exclude(upload="").filter(status__in=sent), "created_at"
    ):
        if code in rows:
            rows[code].delivered += n

    total = RekapRow("", office.name)
    for row in rows.values():
        total.add(row)

    def tally(field_name: str, labels) -> list[tuple[str, str, int]]:
        counts = received.values_list(field_name).annotate(n=Count("pk")).order_by("-n", field_name)
        return [(code, str(labels.get(code, code)), n) for code, n in counts]

    districts: dict[str, int] = defaultdict(int)
    villages: dict[str, int] = defaultdict(int)
    for nik, data in received.values_list("applicant_nik", "form_data").iterator():
        districts[_district_of(nik)] += 1
        village = (data or {}).get("desa_kelurahan") if isinstance(data, dict) else None
        if isinstance(village, str) and village.strip():
            villages[" ".join(village.split()).title()] += 1
    names = dict(Region.objects.filter(code__in=[d for d in districts if d]).values_list(
        "code", "name"
    ))  # fmt: skip
    return Rekap(
        rows=list(rows.values()),
        total=total,
        by_channel=tally("channel", dict(IntakeChannel.choices)),
        by_submitter=tally("submitter_kind", dict(SubmitterKind.choices)),
        by_district=sorted(
            ((code, names.get(code, ""), n) for code, n in districts.items()),
            key=lambda item: (-item[2], item[0]),
        ),
        by_village=sorted(villages.items(), key=lambda item: (-item[1], item[0])),
    )


# --------------------------------------------------------------------------- complaints


@dataclass(frozen=True)
class ComplaintLine:
    code: str
    received_at: datetime
    category: str
    status: str
    escalated: bool
    minutes: float | None  # working minutes from intake to the answer (waits left out)
    within: bool | None  # answered by the flow's deadline (None while open)
    answer: str

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)


@dataclass
class ComplaintsReport:
    lines: list[ComplaintLine]
    by_category: list[tuple[str, int]]

    @property
    def received(self) -> int:
        return len(self.lines)

    @property
    def answered(self) -> int:
        return sum(1 for line in self.lines if line.status == Status.COMPLETED)

    @property
    def answered_within(self) -> int:
        return sum(1 for line in self.lines if line.within)

    @property
    def escalated(self) -> int:
        return sum(1 for line in self.lines if line.escalated)

    def _minutes(self) -> list[float]:
        return [line.minutes for line in self.lines if line.minutes is not None]

    @property
    def median(self) -> float | None:
        return percentile(self._minutes(), 50)

    @property
    def p90(self) -> float | None:
        return percentile(self._minutes(), 90)


def complaints_report(office: Office, period: Period) -> ComplaintsReport:
    """Laporan hasil pengaduan: the complaints received in the period, by category; answered,
    answered within the flow's time, escalated to the Tim Penjawab / Pejabat Pengelola; the answer
    time (working minutes, median and p90); each complaint with its answer."""

    start, end = period.bounds(office)
    cases = list(
        Case.objects.filter(
            office=office, service__is_complaint=True, created_at__gte=start, created_at__lt=end
        )
        .select_related("service")
        .order_by("created_at")
    )
    ids = [case.pk for case in cases]
    escalated = set(
        CaseEvent.objects.filter(case_id__in=ids, kind=EventKind.ESCALATE).values_list(
            "case_id", flat=True
        )
    )
    answers: dict[int, str] = {}
    for case_id, note in (
        CaseEvent.objects.filter(case_id__in=ids, kind=EventKind.COMPLETE)
        .exclude(note="")
        .order_by("seq")
        .values_list("case_id", "note")
    ):
        answers[case_id] = note  # the last answer given
    minutes = dict(
        StepPassage.objects.filter(case_id__in=ids)
        .values_list("case_id")
        .annotate(total=Sum("working_minutes"))
        .order_by()
    )
    labels: dict[str, dict[str, str]] = {}
    categories: dict[str, int] = defaultdict(int)
    lines = []
    for case in cases:
        if case.service_id not in labels:
            question = next(
                (q for q in case.service.questions if q.get("code") == "category"), None
            )
            labels[case.service_id] = dict(question_choices(question)) if question else {}
        raw = (case.form_data or {}).get("category", "")
        category = labels[case.service_id].get(raw, raw) or "–"
        categories[category] += 1
        done = case.status == Status.COMPLETED
        lines.append(
            ComplaintLine(
                code=case.code,
                received_at=case.created_at,
                category=category,
                status=case.status,
                escalated=case.pk in escalated,
                minutes=minutes.get(case.pk) if done else None,
                within=(case.due_at is not None and case.closed_at <= case.due_at)
                if done
                else None,
                answer=answers.get(case.pk, "") if done else "",
            )
        )
    return ComplaintsReport(
        lines=lines,
        by_category=sorted(categories.items(), key=lambda item: (-item[1], item[0])),
    )


# --------------------------------------------------------------------------- backlog

# Age of an open request (calendar days since it came in): the buckets' lower bounds.
AGE_BUCKETS = (0, 2, 4, 8, 15)


def age_bucket(days: int) -> int:
    """The index of the bucket ``days`` falls in (0: 0–1 days, 1: 2–3, 2: 4–7, 3: 8–14, 4: 15+)."""
    return max(i for i, floor in enumerate(AGE_BUCKETS) if days >= floor)


def bucket_label(index: int) -> str:
    floor = AGE_BUCKETS[index]
    if index + 1 < len(AGE_BUCKETS):
        return f"{floor}–{AGE_BUCKETS[index + 1] - 1}"
    return f"≥ {floor}"


@dataclass
class BacklogRow:
    service: str
    service_name: str
    step: str
    number: int
    counts: list[int]  # per age bucket

    @property
    def total(self) -> int:
        return sum(self.counts)


def backlog(office: Office, now: datetime) -> list[BacklogRow]:
    """The open requests now, per service and step, by age (days since they came in, in the
    office's time zone); the fullest steps first."""

    today = timezone_localdate(now, office)
    rows: dict[tuple[str, str], BacklogRow] = {}
    for code, name, step, number, created in (
        Case.objects.filter(office=office, status__in=OPEN, current_step__isnull=False)
        .values_list(
            "service__code", "service__name", "current_step__key", "current_step__number",
            "created_at",
        )
        .iterator()
    ):  # fmt: skip
        row = rows.get((code, step))
        if row is None:
            counts = [0] * len(AGE_BUCKETS)
            row = rows[(code, step)] = BacklogRow(code, name, step, number or 0, counts)
        days = (today - timezone_localdate(created, office)).days
        row.counts[age_bucket(max(days, 0))] += 1
    return sorted(rows.values(), key=lambda r: (-r.total, r.service, r.number))


def timezone_localdate(moment: datetime, office: Office) -> date:
    return moment.astimezone(office.tz).date()


def backlog_trend(office: Office, until: date, days: int = 30) -> list[tuple[date, int]]:
    """Open requests at the end of each of the last ``days`` days that have a snapshot."""

    rows = (
        BacklogSnapshot.objects.filter(
            office=office, day__gt=until - timedelta(days=days), day__lte=until
        )
        .values_list("day")
        .annotate(total=Sum("count"))
        .order_by("day")
    )
    return list(rows)


# --------------------------------------------------------------------------- the head's card


@dataclass(frozen=True)
class HeadCard:
    intake_today: int  # requests that came in today
    overdue_now: int  # open requests past their deadline
    completed_this_month: int
    ikm_quarter: ikm_rules.Ikm  # this quarter's satisfaction index


def head_card(office: Office, now: datetime) -> HeadCard:
    """The head of office's figures at a glance (the console's first page)."""
    today = timezone_localdate(now, office)
    day_start, day_end = period_of("day", today).bounds(office)
    month_start, month_end = period_of("month", today).bounds(office)
    quarter_start, quarter_end = period_of("quarter", today).bounds(office)
    cases = Case.objects.filter(office=office)
    surveys = SurveyResponse.objects.filter(
        office=office, submitted_at__gte=quarter_start, submitted_at__lt=quarter_end
    )
    return HeadCard(
        intake_today=cases.filter(created_at__gte=day_start, created_at__lt=day_end).count(),
        overdue_now=cases.filter(status__in=OPEN, due_at__lt=now).count(),
        completed_this_month=cases.filter(
            status=Status.COMPLETED, closed_at__gte=month_start, closed_at__lt=month_end
        ).count(),
        ikm_quarter=ikm_rules.ikm(surveys.values_list(*SURVEY_FIELDS)),
    )


@dataclass(frozen=True)
class OfficeComparison:
    office: Office
    received: int
    completed: int
    completed_within: int
    ikm: ikm_rules.Ikm


def compare_offices(offices: Sequence[Office], period: Period) -> list[OfficeComparison]:
    """For a reader of several offices: each office's requests received and completed in the
    period, how many of those finished within their SOP's deadline, and its IKM."""
    rows = []
    for office in offices:
        start, end = period.bounds(office)
        cases = Case.objects.filter(office=office)
        done = cases.filter(status=Status.COMPLETED, closed_at__gte=start, closed_at__lt=end)
        counts = done.aggregate(
            n=Count("pk"),
            within=Count("pk", filter=WITHIN_DEADLINE),
        )
        surveys = SurveyResponse.objects.filter(
            office=office, submitted_at__gte=start, submitted_at__lt=end
        )
        rows.append(
            OfficeComparison(
                office=office,
                received=cases.filter(created_at__gte=start, created_at__lt=end).count(),
                completed=counts["n"],
                completed_within=counts["within"],
                ikm=ikm_rules.ikm(surveys.values_list(*SURVEY_FIELDS)),
            )
        )
    return rows
