"""Daily rollups of the report tables, filled from the raw rows one day at a time.

Each rollup has a :class:`~layan.reports.models.FillState`. Filling a day deletes that day's rows
and writes them again from the raw rows (so re-running a day gives the same rows), office by
office in each office's own time zone. The state is ``started`` while a day is written and
``done`` after, with ``filled_until`` moved on: a run that died mid-day is redone from that day
(resumable). Today is filled on every run but never counted as filled.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, F, Min, Q, Sum
from django.utils import timezone

from layan.cases.models import Case
from layan.offices.models import Office
from layan.reports.models import DailyIntake, DailyStepStat, FillState, StepPassage

ROLLUPS = ("daily_intake", "daily_steps")


def _bounds(office: Office, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=office.tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=office.tz)


def fill_intake_day(office: Office, day: date) -> int:
    start, end = _bounds(office, day)
    rows = [
        DailyIntake(
            office=office,
            day=day,
            service_id=service,
            channel=channel,
            submitter_kind=kind,
            count=n,
        )  # fmt: skip
        for service, channel, kind, n in Case.objects.filter(
            office=office, created_at__gte=start, created_at__lt=end
        )
        .values_list("service_id", "channel", "submitter_kind")
        .annotate(n=Count("pk"))
        .order_by()
    ]
    with transaction.atomic():
        DailyIntake.objects.filter(office=office, day=day).delete()
        DailyIntake.objects.bulk_create(rows)
    return len(rows)


def fill_steps_day(office: Office, day: date) -> int:
    start, end = _bounds(office, day)
    has_standard = Q(standard_minutes__isnull=False)
    rows = [
        DailyStepStat(
            office=office, day=day, service_id=service, step=step, step_number=number,
            role=role, passed=passed, with_standard=with_standard, within=within,
            minutes_total=total,
        )  # fmt: skip
        for service, step, number, role, passed, with_standard, within, total in (
            StepPassage.objects.filter(office=office, left_at__gte=start, left_at__lt=end)
            .values_list("service_id", "step", "role")
            .annotate(
                number=Min("step_number"),
                passed=Count("pk"),
                with_standard=Count("pk", filter=has_standard),
                within=Count(
                    "pk", filter=has_standard & Q(working_minutes__lte=F("standard_minutes"))
                ),
                total=Sum("working_minutes"),
            )
            .values_list(
                "service_id", "step", "number", "role", "passed", "with_standard", "within",
                "total",
            )
            .order_by()
        )
    ]  # fmt: skip
    with transaction.atomic():
        DailyStepStat.objects.filter(office=office, day=day).delete()
        DailyStepStat.objects.bulk_create(rows)
    return len(rows)


FILLERS = {"daily_intake": fill_intake_day, "daily_steps": fill_steps_day}


def _first_day() -> date | None:
    first = Case.objects.aggregate(first=Min("created_at"))["first"]
    return None if first is None else (first - timedelta(days=1)).date()


def fill(name: str, *, now: datetime | None = None, reset: bool = False) -> int:
    """Fill rollup ``name`` from where it stopped through yesterday (in every office's time
    zone), then today again; how many days were written."""
    now = now or timezone.now()
    filler = FILLERS[name]
    state, _created = FillState.objects.get_or_create(
        name=name, defaults={"updated_at": now, "filled_until": None}
    )
    if reset:
        FillState.objects.filter(pk=state.pk).update(filled_until=None, state="done")
        state.filled_until = None
    first = _first_day()
    if first is None:
        return 0
    # The day after the last complete one: also the day a run that died was writing.
    day = first if state.filled_until is None else state.filled_until + timedelta(days=1)
    offices = list(Office.objects.all())
    last_complete = min(now.astimezone(o.tz).date() for o in offices) - timedelta(days=1)
    written = 0
    while day <= last_complete:
        FillState.objects.filter(pk=state.pk).update(state=FillState.State.STARTED, updated_at=now)
        for office in offices:
            filler(office, day)
        FillState.objects.filter(pk=state.pk).update(
            filled_until=day, state=FillState.State.DONE, updated_at=now
        )
        state.filled_until = day
        day += timedelta(days=1)
        written += 1
    for office in offices:  # today so far; never marked as filled
        filler(office, now.astimezone(office.tz).date())
    return written + 1


def fill_all(*, now: datetime | None = None, reset: bool = False) -> dict[str, int]:
    return {name: fill(name, now=now, reset=reset) for name in ROLLUPS}
