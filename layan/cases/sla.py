"""SLA clocks: when a step and a whole request are due, in the office's working time.

A step is due its standard minutes of working time after it is entered. A request is due at the
flow's overall deadline (working days, calendar days or working minutes), or, when the SOP states
none, after the sum of its steps' standard minutes. While the office waits on the applicant the
clocks stop: what was left is stored and counted again from the moment the applicant answers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from layan.offices.calendar import WorkingCalendar, default_hours, parse_hours
from layan.offices.models import Office
from layan.sop.definition import SopDefinition, Step


def calendar_for(office: Office) -> WorkingCalendar:
    hours = parse_hours(office.hours) if office.hours else default_hours()
    days_off = frozenset(office.days_off.values_list("date", flat=True))
    return WorkingCalendar(tz=office.tz, hours=hours, days_off=days_off)


def _uses_wall_clock(definition: SopDefinition) -> bool:
    return bool(definition.deadline and definition.deadline["unit"] == "calendar_days")


def step_due(cal: WorkingCalendar, step: Step, entered_at: datetime) -> datetime | None:
    """None when the step has no standard time of its own (it is due with the request)."""
    if step.minutes is None:
        return None
    return cal.add_working_minutes(entered_at, step.minutes)


def case_due(cal: WorkingCalendar, definition: SopDefinition, submitted_at: datetime) -> datetime:
    deadline = definition.deadline
    if deadline is None:
        return cal.add_working_minutes(submitted_at, definition.total_minutes)
    unit, amount = deadline["unit"], deadline["amount"]
    if unit == "working_days":
        return cal.add_working_days(submitted_at, amount)
    if unit == "calendar_days":
        return cal.add_calendar_days(submitted_at, amount)
    return cal.add_working_minutes(submitted_at, amount)


def step_remaining(cal: WorkingCalendar, due: datetime | None, now: datetime) -> float | None:
    if due is None:
        return None
    return cal.working_minutes_between(now, due)


def case_remaining(
    cal: WorkingCalendar, definition: SopDefinition, due: datetime | None, now: datetime
) -> float | None:
    if due is None:
        return None
    if _uses_wall_clock(definition):
        return max((due - now).total_seconds() / 60, 0.0)
    return cal.working_minutes_between(now, due)


def resume_step(cal: WorkingCalendar, remaining: float | None, now: datetime) -> datetime | None:
    return None if remaining is None else cal.add_working_minutes(now, remaining)


def resume_case(
    cal: WorkingCalendar, definition: SopDefinition, remaining: float | None, now: datetime
) -> datetime | None:
    if remaining is None:
        return None
    if _uses_wall_clock(definition):
        return now + timedelta(minutes=remaining)
    return cal.add_working_minutes(now, remaining)
