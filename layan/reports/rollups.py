"""Rollups: the report figures of each office per day and per month, filled from the raw rows,
and the reader that answers a report from them.

Each rollup is one table (:mod:`layan.reports.models`) and one function that lists its *facts*:
for an office and a span of time, one tuple per raw row, ``(at, dims, sums, keys)`` — when it
happened, the dimensions it is counted under, its additive figures and the keys it adds to the
row's counter (a histogram of working minutes, the survey's answers). Filling a day and
answering a report from the raw rows both sum the same facts, so the two cannot disagree about
what is counted: only about *when* the rows were read.

**Filling** (:func:`fill`, Zulip's ``FillState`` pattern). A day is filled once it has ended in
every office's time zone (with :data:`GRACE` for transactions still committing), in chunks of up
to a month per office: the chunk's day rows are deleted and written again (idempotent), and each
month the chunk touches gets its month row again, the sum of its day rows. ``filled_until`` moves
on after each chunk; the state is ``started`` while a chunk is written, and a run that died is
redone from the day after ``filled_until`` (resumable).

**Stale days.** A change can alter what an already filled day counts: a request created last
week is completed today (its intake row's outcome), a document signed yesterday is revoked. The
change marks that day in :class:`~layan.reports.models.StaleDay`, in its own transaction
(:func:`mark_stale`); :func:`refresh_stale` fills the day and its month again and deletes exactly
the marks it saw, so a mark that arrives meanwhile survives.

**Reading** (:func:`read`). For a period, whole months that are filled and have no stale day come
from the month rows, other filled days without a mark from the day rows, and everything else
(today, days not filled yet, stale days) from the facts themselves. A report is therefore always
the raw truth, at the cost of reading only what the rollups cannot answer.
"""

from __future__ import annotations

import contextvars
import functools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import models, transaction
from django.db.models import Exists, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from layan.bot.models import SKM_ELEMENTS, SurveyResponse
from layan.cases.models import Case, CaseEvent, EventKind, Status
from layan.documents.models import Document, Handover
from layan.offices.models import Office
from layan.reports.models import (
    ClosingRollup,
    ComplaintRollup,
    DocumentRollup,
    FillState,
    Grain,
    IntakeRollup,
    OfficerRollup,
    PlaceRollup,
    StaleDay,
    StepPassage,
    StepRollup,
    SurveyRollup,
)
from layan.whatsapp.models import OutboxMessage

# A day is filled only this long after it ended, so a transaction that started before midnight
# and commits just after it is read by the fill (changes after that mark the day stale).
GRACE = timedelta(minutes=15)

Fact = tuple[datetime, tuple, tuple, tuple]

# --------------------------------------------------------------------------- minutes and bins


def minute_bin(minutes: float) -> float:
    """The grain working minutes are counted in for percentiles: a tenth of a minute below 10,
    whole minutes below two hours, 5 minutes below 10 hours, half hours below 80 hours, then
    half days (4 working hours)."""
    m = max(float(minutes), 0.0)
    if m < 10:
        return math.floor(m * 10 + 0.5) / 10
    for limit, grain in ((120, 1), (600, 5), (4800, 30)):
        if m < limit:
            return float(grain * math.floor(m / grain + 0.5))
    return float(240 * math.floor(m / 240 + 0.5))


@functools.lru_cache(maxsize=8192)
def bin_key(minutes: float) -> str:
    """The histogram key of ``minutes`` (its bin as a short decimal: "2.4", "15", "4800")."""
    return f"{minute_bin(minutes):.1f}".removesuffix(".0")


def percentiles_of(histogram: Mapping[str, int], qs: Iterable[float]) -> list[float | None]:
    """:func:`percentile_of` for several ``qs`` with one sort of the histogram."""
    items = sorted((float(key), n) for key, n in histogram.items() if n > 0)
    return [_percentile_sorted(items, q) for q in qs]


def percentile_of(histogram: Mapping[str, int], q: float) -> float | None:
    """The ``q``-th percentile (0–100) of the values a histogram {bin key: count} counts, by
    linear interpolation between the closest ranks: what :func:`percentile` gives for the same
    values listed one by one. None when it counts nothing."""
    return _percentile_sorted(sorted((float(k), n) for k, n in histogram.items() if n > 0), q)


def _percentile_sorted(items: list[tuple[float, int]], q: float) -> float | None:
    total = sum(n for _value, n in items)
    if not total:
        return None
    rank = (total - 1) * q / 100
    low = int(rank)
    wanted = {low, min(low + 1, total - 1)}
    found: dict[int, float] = {}
    seen = 0
    for value, n in items:
        for index in wanted:
            if seen <= index < seen + n:
                found[index] = value
        seen += n
        if len(found) == len(wanted):
            break
    lo, hi = found[low], found[min(low + 1, total - 1)]
    return lo + (hi - lo) * (rank - low)


# --------------------------------------------------------------------------- the facts


OUTCOMES = {
    Status.COMPLETED: "completed",
    Status.REJECTED: "rejected",
    Status.CANCELLED: "cancelled",
}


def district_of(nik: str) -> str:
    """The kecamatan code ``PP.KK.DD`` of a NIK (its first six digits), or ""."""
    digits = "".join(ch for ch in nik or "" if ch.isdigit())
    return f"{digits[0:2]}.{digits[2:4]}.{digits[4:6]}" if len(digits) >= 6 else ""


def village_of(data) -> str:
    """The desa/kelurahan typed at data entry, spaces folded, in title case (or "")."""
    village = data.get("desa_kelurahan") if isinstance(data, dict) else None
    if not isinstance(village, str):
        return ""
    return " ".join(village.split()).title()[:120]


def _cases(office: Office, field: str, start: datetime, end: datetime, service_id):
    rows = Case.objects.filter(office=office, **{f"{field}__gte": start, f"{field}__lt": end})
    return rows if service_id is None else rows.filter(service_id=service_id)


def intake_facts(office, start, end, service_id=None) -> Iterator[Fact]:
    rows = _cases(office, "created_at", start, end, service_id).values_list(
        "created_at", "service_id", "channel", "submitter_kind", "status"
    )
    for at, service, channel, kind, status in rows.iterator(chunk_size=5000):
        yield at, (service, channel, kind, OUTCOMES.get(status, "open")), (1,), ()


def place_facts(office, start, end, service_id=None) -> Iterator[Fact]:
    rows = _cases(office, "created_at", start, end, service_id).values_list(
        "created_at", "service_id", "applicant_nik", "form_data"
    )
    for at, service, nik, data in rows.iterator(chunk_size=5000):
        yield at, (service, district_of(nik), village_of(data)), (1,), ()


def closing_facts(office, start, end, service_id=None) -> Iterator[Fact]:
    rows = _cases(office, "closed_at", start, end, service_id).values_list(
        "closed_at", "service_id", "status", "due_at"
    )
    for at, service, status, due in rows.iterator(chunk_size=5000):
        yield at, (service, status), (1, int(due is not None and at <= due)), ()


def _passages(office, start, end, service_id):
    rows = StepPassage.objects.filter(office=office, left_at__gte=start, left_at__lt=end)
    return rows if service_id is None else rows.filter(service_id=service_id)


def _step_sums(standard, minutes) -> tuple:
    has = standard is not None
    return (1, int(has), int(has and minutes <= standard), minutes)


def step_facts(office, start, end, service_id=None) -> Iterator[Fact]:
    rows = _passages(office, start, end, service_id).values_list(
        "left_at", "service_id", "step", "step_number", "role", "standard_minutes",
        "working_minutes",
    )  # fmt: skip
    for at, service, step, number, role, standard, minutes in rows.iterator(chunk_size=5000):
        yield at, (service, step, number, role), _step_sums(standard, minutes), (bin_key(minutes),)


def officer_facts(office, start, end, service_id=None) -> Iterator[Fact]:
    rows = (
        _passages(office, start, end, service_id)
        .filter(left_by__isnull=False)
        .values_list("left_at", "service_id", "left_by_id", "standard_minutes", "working_minutes")
    )
    for at, service, officer, standard, minutes in rows.iterator(chunk_size=5000):
        yield at, (service, officer), _step_sums(standard, minutes), (bin_key(minutes),)


def document_facts(office, start, end, service_id=None) -> Iterator[Fact]:
    only = {} if service_id is None else {"case__service_id": service_id}
    documents = Document.objects.filter(
        office=office, issued_at__gte=start, issued_at__lt=end, **only
    ).values_list("issued_at", "case__service_id", "status")
    for at, service, status in documents.iterator(chunk_size=5000):
        yield at, (service, "issued"), (1,), ()
        if status in (Document.Status.SUPERSEDED, Document.Status.REVOKED):
            yield at, (service, str(status)), (1,), ()
    for field, measure in (("printed_at", "printed"), ("handed_at", "handed_over")):
        handovers = Handover.objects.filter(
            case__office=office, **{f"{field}__gte": start, f"{field}__lt": end}, **only
        ).values_list(field, "case__service_id")
        for at, service in handovers.iterator(chunk_size=5000):
            yield at, (service, measure), (1,), ()
    sent = (
        OutboxMessage.objects.filter(
            case__office=office, accepted_at__gte=start, accepted_at__lt=end, **only
        )
        .exclude(upload="")
        .values_list("accepted_at", "case__service_id")
    )
    for at, service in sent.iterator(chunk_size=5000):
        yield at, (service, "delivered"), (1,), ()


SURVEY_FIELDS = tuple(f"u{i}" for i in range(1, SKM_ELEMENTS + 1))  # U1..U9 of a survey answer


def survey_facts(office, start, end, service_id=None) -> Iterator[Fact]:
    rows = SurveyResponse.objects.filter(
        office=office, submitted_at__gte=start, submitted_at__lt=end
    )
    if service_id is not None:
        rows = rows.filter(service_id=service_id)
    for at, service, *answers in rows.values_list(
        "submitted_at", "service_id", *SURVEY_FIELDS
    ).iterator(chunk_size=5000):
        keys = tuple(f"{i}:{v}" for i, v in enumerate(answers, start=1) if v is not None)
        yield at, (service,), (1,), keys


# Whether a request was escalated (to a side role: the Tim Penjawab, the Pejabat Pengelola).
ESCALATED = Exists(CaseEvent.objects.filter(case=OuterRef("pk"), kind=EventKind.ESCALATE))


def answer_minutes():
    """A subquery: the working minutes a request spent at its steps (its answer time)."""
    return Subquery(
        StepPassage.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(total=Sum("working_minutes"))
        .values("total")[:1],
        output_field=models.FloatField(),
    )


def complaint_facts(office, start, end, service_id=None) -> Iterator[Fact]:
    rows = (
        _cases(office, "created_at", start, end, service_id)
        .filter(service__is_complaint=True)
        .annotate(
            escalated=ESCALATED,
            minutes=answer_minutes(),
        )
        .values_list(
            "created_at", "service_id", "form_data", "status", "escalated", "minutes", "due_at",
            "closed_at",
        )
    )  # fmt: skip
    for at, service, data, status, escalated, minutes, due, closed in rows.iterator(2000):
        category = data.get("category", "") if isinstance(data, dict) else ""
        answered = status == Status.COMPLETED
        within = answered and due is not None and closed is not None and closed <= due
        keys = (bin_key(minutes),) if answered and minutes is not None else ()
        dims = (service, str(category or "")[:60], status, bool(escalated), bool(within))
        yield at, dims, (1,), keys


# --------------------------------------------------------------------------- the rollups


@dataclass(frozen=True)
class Rollup:
    name: str
    model: type[models.Model]
    sums: tuple[str, ...]  # the model's additive columns, in the order of a fact's sums
    counter: str | None  # the model's JSON counter column, if any
    facts: Callable[..., Iterable[Fact]]

    @property
    def dims(self) -> tuple[str, ...]:
        return self.model.DIMENSIONS


ROLLUPS: dict[str, Rollup] = {
    r.name: r
    for r in (
        Rollup("intake", IntakeRollup, ("count",), None, intake_facts),
        Rollup("places", PlaceRollup, ("count",), None, place_facts),
        Rollup("closings", ClosingRollup, ("count", "within_deadline"), None, closing_facts),
        Rollup(
            "steps",
            StepRollup,
            ("passed", "with_standard", "within", "minutes_total"),
            "minutes",
            step_facts,
        ),  # fmt: skip
        Rollup(
            "officers",
            OfficerRollup,
            ("passed", "with_standard", "within", "minutes_total"),
            "minutes",
            officer_facts,
        ),  # fmt: skip
        Rollup("documents", DocumentRollup, ("count",), None, document_facts),
        Rollup("surveys", SurveyRollup, ("respondents",), "answers", survey_facts),
        Rollup("complaints", ComplaintRollup, ("count",), "minutes", complaint_facts),
    )
}


class Total:
    """The merged figures of one key: the additive sums and the counter."""

    __slots__ = ("sums", "counter")

    def __init__(self, width: int):
        self.sums = [0] * width
        self.counter: Counter[str] = Counter()

    def add(self, sums: Iterable, keys: Iterable[str] | Mapping[str, int] = ()) -> None:
        self.sums = [a + b for a, b in zip(self.sums, sums, strict=True)]
        counter = self.counter
        if isinstance(keys, Mapping):
            get = counter.get
            for key, n in keys.items():
                counter[key] = get(key, 0) + n
        else:
            for key in keys:
                counter[key] += 1

    def __repr__(self) -> str:
        return f"Total({self.sums}, {dict(self.counter)})"


Totals = dict[tuple, Total]


def _merge(into: Totals, rollup: Rollup, facts: Iterable[Fact]) -> None:
    width = len(rollup.sums)
    for _at, dims, sums, keys in facts:
        total = into.get(dims)
        if total is None:
            total = into[dims] = Total(width)
        total.add(sums, keys)


# --------------------------------------------------------------------------- filling


def bounds(office: Office, first: date, last: date) -> tuple[datetime, datetime]:
    """The instants that open ``first`` and close ``last`` in the office's time zone."""
    tz = office.tz
    return (
        datetime.combine(first, time.min, tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
    )


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _rows(rollup: Rollup, office: Office, grain: str, day: date, totals: Totals) -> list:
    rows = []
    for dims, total in totals.items():
        values = dict(zip(rollup.dims, dims, strict=True))
        values.update(zip(rollup.sums, total.sums, strict=True))
        if rollup.counter:
            values[rollup.counter] = dict(sorted(total.counter.items()))
        rows.append(rollup.model(office=office, grain=grain, day=day, **values))
    return rows


def _write_months(rollup: Rollup, office: Office, first: date, last: date) -> None:
    """Write again the month rows of every month ``first``–``last`` touch, from their days."""
    month = month_start(first)
    while month <= last:
        totals: Totals = {}
        days = rollup.model.objects.filter(
            office=office, grain=Grain.DAY, day__gte=month, day__lte=month_end(month)
        )
        columns = (*rollup.dims, *rollup.sums, *((rollup.counter,) if rollup.counter else ()))
        width, size = len(rollup.sums), len(rollup.dims)
        for row in days.values_list(*columns).iterator(chunk_size=5000):
            dims, sums = row[:size], row[size : size + width]
            counter = row[size + width] if rollup.counter else ()
            total = totals.get(dims)
            if total is None:
                total = totals[dims] = Total(width)
            total.add(sums, counter or ())
        rollup.model.objects.filter(office=office, grain=Grain.MONTH, day=month).delete()
        rollup.model.objects.bulk_create(
            _rows(rollup, office, Grain.MONTH, month, totals), batch_size=2000
        )
        month = month_end(month) + timedelta(days=1)


def fill_days(
    rollup: Rollup, office: Office, first: date, last: date, *, months: bool = True
) -> int:
    """Write the day rows of ``office`` for ``first``–``last`` (and, with ``months``, the month
    rows of the months they touch) from the facts, replacing what was there; how many day
    rows."""
    start, end = bounds(office, first, last)
    tz = office.tz
    per_day: dict[date, Totals] = defaultdict(dict)
    width = len(rollup.sums)
    for at, dims, sums, keys in rollup.facts(office, start, end, None):
        totals = per_day[at.astimezone(tz).date()]
        total = totals.get(dims)
        if total is None:
            total = totals[dims] = Total(width)
        total.add(sums, keys)
    rows = [
        row
        for day, totals in sorted(per_day.items())
        for row in _rows(rollup, office, Grain.DAY, day, totals)
    ]
    with transaction.atomic():
        rollup.model.objects.filter(
            office=office, grain=Grain.DAY, day__gte=first, day__lte=last
        ).delete()
        rollup.model.objects.bulk_create(rows, batch_size=2000)
        if months:
            _write_months(rollup, office, first, last)
    return len(rows)


def last_complete_day(offices: Iterable[Office], now: datetime) -> date:
    """The last day that has ended (with the grace) in every office's time zone."""
    return min((now - GRACE).astimezone(o.tz).date() for o in offices) - timedelta(days=1)


def _first_day() -> date | None:
    first = Case.objects.aggregate(first=Min("created_at"))["first"]
    return None if first is None else (first - timedelta(days=1)).date()


def fill(name: str, *, now: datetime | None = None, reset: bool = False) -> int:
    """Fill rollup ``name`` from where it stopped through the last complete day, a month (or
    less) at a time per office; how many days were written. ``reset`` deletes its rows and
    fills it from the first request's day."""
    rollup = ROLLUPS[name]
    now = now or timezone.now()
    state, _created = FillState.objects.get_or_create(
        name=name, defaults={"updated_at": now, "filled_until": None}
    )
    if reset:
        with transaction.atomic():
            FillState.objects.filter(pk=state.pk).update(
                filled_until=None, state=FillState.State.DONE, updated_at=now
            )
            rollup.model.objects.all().delete()
        state.filled_until = None
    first = _first_day()
    offices = list(Office.objects.all())
    if first is None or not offices:
        return 0
    # The day after the last complete one: also the first day of a run that died.
    day = first if state.filled_until is None else state.filled_until + timedelta(days=1)
    last = last_complete_day(offices, now)
    written = 0
    while day <= last:
        chunk_end = min(month_end(day), last)
        FillState.objects.filter(pk=state.pk).update(state=FillState.State.STARTED, updated_at=now)
        for office in offices:
            fill_days(rollup, office, day, chunk_end)
        FillState.objects.filter(pk=state.pk).update(
            filled_until=chunk_end, state=FillState.State.DONE, updated_at=now
        )
        written += (chunk_end - day).days + 1
        day = chunk_end + timedelta(days=1)
    return written


def mark_stale(office: Office | int, days: Iterable[date], now: datetime) -> int:
    """Mark ``days`` of ``office`` stale, in the caller's transaction (each day before the
    office's today; today is never filled yet); how many marks."""
    office_id = office if isinstance(office, int) else office.pk
    tz = office.tz if isinstance(office, Office) else Office.objects.get(pk=office_id).tz
    today = now.astimezone(tz).date()
    marks = [
        StaleDay(office_id=office_id, day=day, marked_at=now)
        for day in sorted(set(days))
        if day < today
    ]
    StaleDay.objects.bulk_create(marks)
    return len(marks)


def refresh_stale(*, limit: int = 5000) -> int:
    """Fill again every stale day that a rollup has filled (and the months they are in), then
    delete the marks this run saw, office by office in one transaction each; how many days."""
    marks: dict[int, dict[date, list[int]]] = defaultdict(lambda: defaultdict(list))
    for mark_id, office_id, day in StaleDay.objects.order_by("pk").values_list(
        "pk", "office_id", "day"
    )[:limit]:
        marks[office_id][day].append(mark_id)
    if not marks:
        return 0
    filled = dict(FillState.objects.values_list("name", "filled_until"))
    offices = Office.objects.in_bulk(list(marks))
    refreshed = 0
    for office_id, days in sorted(marks.items()):
        office = offices.get(office_id)
        with transaction.atomic():
            for rollup in ROLLUPS.values():
                until = filled.get(rollup.name)
                mine = sorted(day for day in days if until is not None and day <= until)
                if office is None or not mine:
                    continue
                for first, last in _runs(mine):
                    fill_days(rollup, office, first, last, months=False)
                for month in sorted({month_start(day) for day in mine}):
                    _write_months(rollup, office, month, month)
            StaleDay.objects.filter(pk__in=[i for ids in days.values() for i in ids]).delete()
        refreshed += len(days)
    return refreshed


def fill_all(*, now: datetime | None = None, reset: bool = False) -> dict[str, int]:
    """Fill every rollup forward, then the stale days (the worker's periodic task)."""
    now = now or timezone.now()
    written = {name: fill(name, now=now, reset=reset) for name in ROLLUPS}
    written["stale"] = refresh_stale()
    return written


# --------------------------------------------------------------------------- reading

_raw_only = contextvars.ContextVar("layan_reports_raw_only", default=False)


@contextmanager
def raw_only():
    """Within the block, :func:`read` ignores the rollups and sums the raw facts (what the
    rollups are checked against)."""
    token = _raw_only.set(True)
    try:
        yield
    finally:
        _raw_only.reset(token)


@dataclass(frozen=True)
class Plan:
    """How a period is read: month rows, day rows (inclusive ranges) and raw ranges."""

    months: list[date]
    days: list[tuple[date, date]]
    raw: list[tuple[date, date]]


def _runs(days: list[date]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def plan(name: str, office: Office, first: date, last: date) -> Plan:
    """Which parts of ``first``–``last`` the rollup ``name`` answers, and which the raw rows."""
    filled = None
    if not _raw_only.get():
        filled = FillState.objects.filter(name=name).values_list("filled_until", flat=True)
        filled = next(iter(filled), None)
    if filled is None or first > filled:
        return Plan([], [], [(first, last)])
    stale = set(
        StaleDay.objects.filter(office=office, day__gte=first, day__lte=min(last, filled))
        .values_list("day", flat=True)
        .distinct()
    )
    months, days, raw = [], [], []
    day = first
    while day <= last:
        end = month_end(day)
        whole = day.day == 1 and end <= last and end <= filled
        if whole and not any(day <= s <= end for s in stale):
            months.append(day)
            day = end + timedelta(days=1)
            continue
        (days if day <= filled and day not in stale else raw).append(day)
        day += timedelta(days=1)
    return Plan(months, _runs(days), _runs(raw))


def read(
    name: str, office: Office, first: date, last: date, *, service_id: int | None = None
) -> Totals:
    """The rollup ``name``'s figures of ``office`` for the days ``first``–``last`` (the office's
    time zone), summed per key; from the month and day rows where they are filled and clean, from
    the raw facts elsewhere."""
    rollup = ROLLUPS[name]
    how = plan(name, office, first, last)
    totals: Totals = {}
    parts = [Q(grain=Grain.MONTH, day__in=how.months)] if how.months else []
    parts += [Q(grain=Grain.DAY, day__gte=a, day__lte=b) for a, b in how.days]
    if parts:
        where = parts[0]
        for part in parts[1:]:
            where |= part
        rows = rollup.model.objects.filter(where, office=office)
        if service_id is not None:
            rows = rows.filter(service_id=service_id)
        width, size = len(rollup.sums), len(rollup.dims)
        if rollup.counter:
            for row in rows.values_list(*rollup.dims, *rollup.sums, rollup.counter):
                total = totals.get(row[:size])
                if total is None:
                    total = totals[row[:size]] = Total(width)
                total.add(row[size : size + width], row[-1] or {})
        else:
            grouped = rows.values_list(*rollup.dims).annotate(
                **{f"total_{s}": Sum(s) for s in rollup.sums}
            )
            for row in grouped.order_by():
                total = totals[row[:size]] = Total(width)
                total.add(row[size:])
    for a, b in how.raw:
        start, end = bounds(office, a, b)
        _merge(totals, rollup, rollup.facts(office, start, end, service_id))
    return totals
