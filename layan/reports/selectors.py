"""The report queries: one office, one period, in the office's time zone.

The figures come from the rollups (:func:`layan.reports.rollups.read`: month and day rows where
they are filled and clean, the raw rows elsewhere); percentiles from the stored per-step working
minutes' histograms (never from sums); lists (the complaints, a request's timeline) from the raw
rows. Every query starts from the office, so one office's figures never include another's.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

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
from layan.offices.catalogue import question_choices
from layan.offices.models import Office
from layan.registry.models import Region
from layan.reports import ikm as ikm_rules
from layan.reports import rollups
from layan.reports.models import BacklogSnapshot
from layan.reports.passages import passages
from layan.sop.models import SopStep, current_version_ids

PERIODS = ("day", "week", "month", "quarter", "year")


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


class _Percentiles:
    """Median and p90 of the figures' ``histogram``, from one sort, computed again only when the
    histogram changed: a report sorts by them and prints them several times."""

    histogram: Counter

    def _percentiles(self) -> tuple[float | None, float | None]:
        seen = self.__dict__.get("_percentiles_of")
        if seen is None or seen[0] != self.histogram:
            seen = (Counter(self.histogram), rollups.percentiles_of(self.histogram, (50, 90)))
            self.__dict__["_percentiles_of"] = seen
        median, p90 = seen[1]
        return median, p90

    @property
    def median(self) -> float | None:
        return self._percentiles()[0]

    @property
    def p90(self) -> float | None:
        return self._percentiles()[1]


@dataclass
class StepFigures(_Percentiles):
    """How one step of one service went in the period."""

    service: str
    service_name: str
    step: str
    number: int
    role: str
    standard: int | None  # the step's standard minutes in the service's current SOP
    activity: str = ""  # the step's activity text in the service's current SOP
    role_label: str = ""
    passed: int = 0
    with_standard: int = 0  # passages whose SOP version gave the step a standard ...
    within: int = 0  # ... and of those, within it
    histogram: Counter = field(default_factory=Counter, repr=False)  # {minute bin: count}

    @property
    def within_share(self) -> float | None:
        """Share of passages within their standard (None when none had one)."""
        return self.within / self.with_standard if self.with_standard else None

    @property
    def over_standard(self) -> float:
        """How far the median is beyond the standard (a ratio; what "slowest" sorts by)."""
        median = self.median
        if self.standard is None or median is None:
            return 0.0
        return median / max(self.standard, 1)


@dataclass
class GroupFigures(_Percentiles):
    """One role's or officer's passages across the steps: count, median, share within."""

    key: str
    label: str
    passed: int = 0
    with_standard: int = 0
    within: int = 0
    histogram: Counter = field(default_factory=Counter, repr=False)

    def add(self, total: rollups.Total) -> None:
        passed, with_standard, within, _minutes = total.sums
        self.passed += passed
        self.with_standard += with_standard
        self.within += within
        self.histogram.update(total.counter)

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


def current_steps(office: Office) -> dict[tuple[int, str], tuple[int | None, str]]:
    """Per (service id, step key) of the office: the standard minutes and the activity of the
    step in the service's current SOP version."""
    services = dict(office.services.exclude(sop=None).values_list("pk", "sop_id"))
    latest = current_version_ids(services.values())
    steps: dict[int, list] = defaultdict(list)
    for version, key, minutes, activity in SopStep.objects.filter(
        version__in=latest.values()
    ).values_list("version_id", "key", "minutes", "activity"):
        steps[version].append((key, minutes, activity))
    return {
        (service, key): (minutes, activity)
        for service, sop in services.items()
        for key, minutes, activity in steps.get(latest.get(sop), ())
    }


def _service_id(office: Office, service: str) -> int | None:
    """The id of the office's service ``service`` (a code; "" for all: None), or -1 for a code
    the office does not have (so the figures are empty, never another office's)."""
    if not service:
        return None
    return office.services.filter(code=service).values_list("pk", flat=True).first() or -1


def _completed(office: Office, period: Period, service_id: int | None) -> tuple[dict, dict]:
    """Requests completed in the period per service id, and of those within the deadline."""
    done, within = defaultdict(int), defaultdict(int)
    for (service, status), total in rollups.read(
        "closings", office, period.start, period.end, service_id=service_id
    ).items():
        if status == Status.COMPLETED:
            done[service] += total.sums[0]
            within[service] += total.sums[1]
    return done, within


def sla_report(office: Office, period: Period, *, service: str = "") -> SlaReport:
    """Per step: passages left in the period, median and p90 working minutes beside the
    standard, share within; the slowest (median furthest beyond its standard) first. The same
    per role and per officer, and the share of completed requests within the overall deadline.
    Percentiles come from the passages' stored working minutes (to the grain of
    :func:`~layan.reports.rollups.minute_bin`), never from sums."""
    service_id = _service_id(office, service)
    services = {s.pk: s for s in office.services.all()}
    current = current_steps(office)
    labels = dict(office.roles.values_list("code", "name"))
    steps: dict[tuple[int, str], StepFigures] = {}
    roles: dict[str, GroupFigures] = {}
    for (svc, step, number, role), total in rollups.read(
        "steps", office, period.start, period.end, service_id=service_id
    ).items():
        figures = steps.get((svc, step))
        if figures is None:
            known = services.get(svc)
            standard, activity = current.get((svc, step), (None, step))
            figures = steps[(svc, step)] = StepFigures(
                known.code if known else "", known.name if known else "", step, number, role,
                standard, activity=activity, role_label=labels.get(role, role),
            )  # fmt: skip
        figures.number = min(figures.number, number)
        passed, with_standard, within, _minutes = total.sums
        figures.passed += passed
        figures.with_standard += with_standard
        figures.within += within
        figures.histogram.update(total.counter)
        roles.setdefault(role, GroupFigures(role, labels.get(role, role))).add(total)
    officers: dict[int, GroupFigures] = {}
    for (_svc, officer), total in rollups.read(
        "officers", office, period.start, period.end, service_id=service_id
    ).items():
        officers.setdefault(officer, GroupFigures(str(officer), "")).add(total)
    users = (
        get_user_model().objects.filter(pk__in=officers).only("username", "first_name", "last_name")
    )
    for user in users:
        officers[user.pk].label = user.get_full_name() or user.get_username()
    done, within = _completed(office, period, service_id)
    ordered = sorted(
        steps.values(),
        key=lambda f: (-f.over_standard, -(f.median or 0), f.service, f.number),
    )
    return SlaReport(
        steps=ordered,
        roles=sorted(roles.values(), key=lambda g: (-g.passed, g.key)),
        officers=sorted(officers.values(), key=lambda g: (-g.passed, g.label)),
        closed=sum(done.values()),
        closed_within=sum(within.values()),
    )


@dataclass(frozen=True)
class IkmRow:
    service: str
    service_name: str
    result: ikm_rules.Ikm
    population: int  # requests completed in the period (the survey's population)
    minimum: int  # the regulation's minimum sample for that population


def _survey_tallies(office: Office, period: Period) -> dict[int, tuple[int, Counter]]:
    """Per service id: respondents and their answers {"U:V": count} in the period."""
    return {
        service: (total.sums[0], total.counter)
        for (service,), total in rollups.read("surveys", office, period.start, period.end).items()
    }


def ikm_report(office: Office, period: Period) -> tuple[list[IkmRow], IkmRow]:
    """The IKM per service and for the whole office in the period (by the survey's date)."""
    tallies = _survey_tallies(office, period)
    completed, _within = _completed(office, period, None)
    rows = []
    everyone, answers = 0, Counter()
    for service in office.services.order_by("position", "code"):
        respondents, tally = tallies.get(service.pk, (0, Counter()))
        population = completed.get(service.pk, 0)
        everyone += respondents
        answers.update(tally)
        if not respondents and not population:
            continue
        rows.append(
            IkmRow(
                service.code,
                service.name,
                ikm_rules.ikm_of_tally(respondents, tally),
                population,
                ikm_rules.minimum_sample(population),
            )
        )
    population = sum(completed.values())
    total = IkmRow(
        "", office.name, ikm_rules.ikm_of_tally(everyone, answers), population,
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


def rekap(office: Office, period: Period, *, service: str = "") -> Rekap:
    """Rekap penerbitan: per service the requests received and where they stand (completed,
    rejected, cancelled, open), documents issued / superseded / revoked, cards printed,
    hand-overs, PDFs sent on WhatsApp; the requests received by channel, by who submitted
    them, by kecamatan (from the NIK's region, named from the Kemendagri table) and by desa."""

    service_id = _service_id(office, service)
    services = office.services.order_by("position", "code")
    if service:
        services = services.filter(code=service)
    rows = {s.pk: RekapRow(s.code, s.name) for s in services}
    channels: dict[str, int] = defaultdict(int)
    kinds: dict[str, int] = defaultdict(int)
    first, last = period.start, period.end
    for (svc, channel, kind, outcome), total in rollups.read(
        "intake", office, first, last, service_id=service_id
    ).items():
        n = total.sums[0]
        channels[channel] += n
        kinds[kind] += n
        if svc in rows:
            rows[svc].received += n
            setattr(rows[svc], outcome, getattr(rows[svc], outcome) + n)
    for (svc, measure), total in rollups.read(
        "documents", office, first, last, service_id=service_id
    ).items():
        if svc in rows:
            setattr(rows[svc], measure, getattr(rows[svc], measure) + total.sums[0])
    districts: dict[str, int] = defaultdict(int)
    villages: dict[str, int] = defaultdict(int)
    for (_svc, district, village), total in rollups.read(
        "places", office, first, last, service_id=service_id
    ).items():
        districts[district] += total.sums[0]
        if village:
            villages[village] += total.sums[0]
    total = RekapRow("", office.name)
    for row in rows.values():
        total.add(row)
    names = dict(
        Region.objects.filter(code__in=[d for d in districts if d]).values_list("code", "name")
    )

    def ranked(counts: dict[str, int], labels) -> list[tuple[str, str, int]]:
        return sorted(
            ((code, str(labels.get(code, code)), n) for code, n in counts.items() if n),
            key=lambda item: (-item[2], item[0]),
        )

    return Rekap(
        rows=list(rows.values()),
        total=total,
        by_channel=ranked(channels, dict(IntakeChannel.choices)),
        by_submitter=ranked(kinds, dict(SubmitterKind.choices)),
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
class ComplaintsReport(_Percentiles):
    lines: list[ComplaintLine]  # the complaints, newest first (the latest ``limit`` of them)
    by_category: list[tuple[str, int]]
    received: int = 0
    answered: int = 0
    answered_within: int = 0
    escalated: int = 0
    histogram: Counter = field(default_factory=Counter, repr=False)  # answer minutes

    @property
    def listed_all(self) -> bool:
        return len(self.lines) == self.received


def _category_labels(office: Office) -> dict[int, dict[str, str]]:
    labels = {}
    for service in office.services.filter(is_complaint=True):
        question = next((q for q in service.questions if q.get("code") == "category"), None)
        labels[service.pk] = dict(question_choices(question)) if question else {}
    return labels


def complaint_lines(
    office: Office, period: Period, *, limit: int | None = None
) -> list[ComplaintLine]:
    """The complaints received in the period, newest first (the latest ``limit``, or all), each
    with its category, whether it was escalated, its answer time and its answer."""
    start, end = period.bounds(office)
    cases = (
        Case.objects.filter(
            office=office, service__is_complaint=True, created_at__gte=start, created_at__lt=end
        )
        .annotate(
            escalated=rollups.ESCALATED,
            minutes=rollups.answer_minutes(),
        )
        .only("code", "created_at", "service_id", "form_data", "status", "due_at", "closed_at")
        .order_by("-created_at", "-pk")
    )
    if limit is not None:
        cases = cases[:limit]
    cases = list(cases)
    answers: dict[int, str] = {}
    for case_id, note in (
        CaseEvent.objects.filter(case_id__in=[c.pk for c in cases], kind=EventKind.COMPLETE)
        .exclude(note="")
        .order_by("seq")
        .values_list("case_id", "note")
    ):
        answers[case_id] = note  # the last answer given
    labels = _category_labels(office)
    lines = []
    for case in cases:
        raw = (case.form_data or {}).get("category", "") if isinstance(case.form_data, dict) else ""
        done = case.status == Status.COMPLETED
        lines.append(
            ComplaintLine(
                code=case.code,
                received_at=case.created_at,
                category=labels.get(case.service_id, {}).get(raw, raw) or "–",
                status=case.status,
                escalated=case.escalated,
                minutes=case.minutes if done else None,
                within=(case.due_at is not None and case.closed_at <= case.due_at)
                if done
                else None,
                answer=answers.get(case.pk, "") if done else "",
            )
        )
    return lines


def complaints_report(
    office: Office, period: Period, *, limit: int | None = 200
) -> ComplaintsReport:
    """Laporan hasil pengaduan: the complaints received in the period, by category; answered,
    answered within the flow's time, escalated to the Tim Penjawab / Pejabat Pengelola; the answer
    time (working minutes, median and p90); the complaints with their answers (the latest
    ``limit`` of them; None: all, as the exports list them)."""

    labels = _category_labels(office)
    report = ComplaintsReport(lines=[], by_category=[])
    categories: dict[str, int] = defaultdict(int)
    for (svc, category, status, escalated, within), total in rollups.read(
        "complaints", office, period.start, period.end
    ).items():
        n = total.sums[0]
        report.received += n
        report.answered += n if status == Status.COMPLETED else 0
        report.answered_within += n if within else 0
        report.escalated += n if escalated else 0
        report.histogram.update(total.counter)
        categories[labels.get(svc, {}).get(category, category) or "–"] += n
    report.by_category = sorted(categories.items(), key=lambda item: (-item[1], item[0]))
    if report.received:
        report.lines = complaint_lines(office, period, limit=limit)
    return report


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
    office's time zone); the fullest steps first. Counted in the database per step and day."""

    today = timezone_localdate(now, office)
    rows: dict[tuple[str, str], BacklogRow] = {}
    grouped = (
        Case.objects.filter(office=office, status__in=OPEN, current_step__isnull=False)
        .annotate(day=TruncDate("created_at", tzinfo=office.tz))
        .values_list(
            "service__code", "service__name", "current_step__key", "current_step__number", "day"
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    for code, name, step, number, day, n in grouped:
        row = rows.get((code, step))
        if row is None:
            counts = [0] * len(AGE_BUCKETS)
            row = rows[(code, step)] = BacklogRow(code, name, step, number or 0, counts)
        row.number = min(row.number, number or 0) if row.number else number or 0
        row.counts[age_bucket(max((today - day).days, 0))] += n
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
    month = period_of("month", today)
    quarter = period_of("quarter", today)
    cases = Case.objects.filter(office=office)
    done, _within = _completed(office, month, None)
    respondents, answers = 0, Counter()
    for count, tally in _survey_tallies(office, quarter).values():
        respondents += count
        answers.update(tally)
    return HeadCard(
        intake_today=cases.filter(created_at__gte=day_start, created_at__lt=day_end).count(),
        overdue_now=cases.filter(status__in=OPEN, due_at__lt=now).count(),
        completed_this_month=sum(done.values()),
        ikm_quarter=ikm_rules.ikm_of_tally(respondents, answers),
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
        received = sum(
            t.sums[0] for t in rollups.read("intake", office, period.start, period.end).values()
        )
        done, within = _completed(office, period, None)
        respondents, answers = 0, Counter()
        for count, tally in _survey_tallies(office, period).values():
            respondents += count
            answers.update(tally)
        rows.append(
            OfficeComparison(
                office=office,
                received=received,
                completed=sum(done.values()),
                completed_within=sum(within.values()),
                ikm=ikm_rules.ikm_of_tally(respondents, answers),
            )
        )
    return rows
