"""Office working-time calendar for Indonesian government offices.

Why this exists: service-level clocks (SLA) for a Disdukcapil / district office
are promised in *office working time* -- "dijawab dalam 2 jam kerja", "selesai
dalam 3 hari kerja". A request that arrives on Friday afternoon before the
Idul Fitri collective leave must not breach its SLA while the office is closed
for a week. :class:`WorkingCalendar` answers the questions such clocks need:

* is the office open at this instant / on this date, and if not, why
  (:meth:`~WorkingCalendar.holiday_name`)?
* when does it next open (:meth:`~WorkingCalendar.next_working_moment`)?
* at which instant have ``m`` working minutes elapsed
  (:meth:`~WorkingCalendar.add_working_minutes`) and, conversely, how many
  working minutes lie between two instants
  (:meth:`~WorkingCalendar.working_minutes_between`)?
* what is the deadline for "n hari kerja"
  (:meth:`~WorkingCalendar.add_working_days`)?

The module is pure Python (no Django models, no database). Opening hours are
local wall-clock times in the office's time zone (WIB ``Asia/Jakarta``, WITA
``Asia/Makassar``, WIT ``Asia/Jayapura``); every datetime passed in must be
timezone-aware and every datetime returned is aware and expressed in the
calendar's zone.

National holidays and *cuti bersama* (collective leave decreed for civil
servants) come from the ``holidays`` package: the ``"public"`` category holds
the official holidays and the ``"government"`` category the cuti bersama days.
Dates far in the future are the package's estimates (names then end in
``"(perkiraan)"``) and cuti bersama is only known once it has been decreed.

Working intervals are half-open, ``[open, close)``: the closing instant itself
is not working time, but a clock that runs out exactly at closing stops there
rather than jumping to the next morning.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "MAX_NON_WORKING_DAYS",
    "OFFICE_DAY_OFF_NAME",
    "WorkingCalendar",
    "default_hours",
    "parse_hours",
]

#: Name returned by :meth:`WorkingCalendar.holiday_name` for an office's own days off.
OFFICE_DAY_OFF_NAME = "Hari libur kantor"

#: Give up after this many consecutive days without working time (about ten
#: years), so that a calendar with no working hours fails instead of looping.
MAX_NON_WORKING_DAYS = 3660

Interval = tuple[time, time]
DayHours = tuple[Interval, ...]

_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_KEYS: dict[str, int] = {
    **{name: i for i, name in enumerate(_WEEKDAY_NAMES)},
    **{name[:3]: i for i, name in enumerate(_WEEKDAY_NAMES)},
}
_CLOSED_WORDS = frozenset({"", "closed", "tutup", "libur"})
_RANGE_RE = re.compile(
    r"^\s*(?P<oh>\d{1,2})[:.](?P<om>\d{2})\s*[-\u2013\u2014]\s*(?P<ch>\d{1,2})[:.](?P<cm>\d{2})\s*$"
)
_NO_HOURS = "calendar has no working hours"


# --------------------------------------------------------------------------- holidays


@functools.cache
def _holiday_language() -> str | None:
    """Indonesian names if the installed ``holidays`` supports them, else its default.

    An unsupported ``language`` is *silently* ignored by ``holidays`` (it then
    returns the untranslated English source names), so check explicitly.
    """
    supported = getattr(holidays.country_holidays("ID"), "supported_languages", ())
    return "id" if "id" in supported else None


@functools.lru_cache(maxsize=64)
def _national_holidays(year: int) -> Mapping[date, str]:
    """Indonesian public holidays plus cuti bersama for ``year``, cached per year.

    Returned as a read-only plain mapping: a ``HolidayBase`` object would
    silently grow (auto-expand to other years) on lookups of other dates.
    """
    entries = holidays.country_holidays(
        "ID", years=year, categories=("public", "government"), language=_holiday_language()
    )
    return MappingProxyType(dict(entries.items()))


# --------------------------------------------------------------------------- hours


def default_hours() -> dict[int, DayHours]:
    """Typical Indonesian district office: Mon-Thu 07:30-16:00, Fri 07:30-16:30.

    Saturday and Sunday are closed (present with an empty tuple).
    """
    weekday = ((time(7, 30), time(16, 0)),)
    friday = ((time(7, 30), time(16, 30)),)
    return {0: weekday, 1: weekday, 2: weekday, 3: weekday, 4: friday, 5: (), 6: ()}


def _check_day_intervals(day_name: str, intervals: DayHours) -> None:
    """Raise ``ValueError`` unless ``intervals`` are ordered, non-overlapping, open < close."""
    previous_close: time | None = None
    for interval in intervals:
        if len(interval) != 2:
            raise ValueError(f"hours for {day_name}: {interval!r} is not an (open, close) pair")
        opening, closing = interval
        if not isinstance(opening, time) or not isinstance(closing, time):
            raise ValueError(
                f"hours for {day_name}: {interval!r} must contain datetime.time values"
            )
        if opening.tzinfo is not None or closing.tzinfo is not None:
            raise ValueError(f"hours for {day_name}: times must be naive local wall-clock times")
        if closing <= opening:
            raise ValueError(
                f"hours for {day_name}: closing time {closing:%H:%M} is not after "
                f"opening time {opening:%H:%M}"
            )
        if previous_close is not None and opening < previous_close:
            raise ValueError(
                f"hours for {day_name}: interval starting {opening:%H:%M} overlaps the previous "
                f"one (which closes {previous_close:%H:%M}) or is out of order"
            )
        previous_close = closing


def _parse_range(day_name: str, text: str) -> Interval:
    match = _RANGE_RE.match(text)
    if match is None:
        raise ValueError(f"hours for {day_name}: bad range {text!r}, expected 'HH:MM-HH:MM'")
    try:
        opening = time(int(match["oh"]), int(match["om"]))
        closing = time(int(match["ch"]), int(match["cm"]))
    except ValueError:
        raise ValueError(f"hours for {day_name}: bad time in range {text!r}") from None
    return opening, closing


def parse_hours(spec: Mapping[str, str | list[str] | None]) -> dict[int, DayHours]:
    """Build an ``hours`` mapping from configuration data.

    ``spec`` maps weekday keys (``mon``..``sun`` or full English names,
    case-insensitive) to one range ``"07:30-16:00"``, a list of ranges
    (a split shift, e.g. ``["07:30-11:30", "13:00-16:30"]``; a comma-separated
    string works too), or ``None`` / ``[]`` / ``"closed"`` for a closed day.
    ``.`` is accepted as the hour separator (``"07.30-16.00"``). Weekdays not
    mentioned are closed. The result has an entry for all seven weekdays.

    Raises ``ValueError`` naming the weekday for an unknown or duplicated key, a
    badly formatted range, a range that closes at or before it opens, or
    overlapping ranges.
    """
    if not isinstance(spec, Mapping):
        raise ValueError(f"opening hours must be a mapping of weekday -> ranges, got {spec!r}")
    result: dict[int, DayHours] = {i: () for i in range(7)}
    seen: set[int] = set()
    for key, value in spec.items():
        index = _WEEKDAY_KEYS.get(str(key).strip().lower())
        if index is None:
            raise ValueError(
                f"unknown weekday {key!r} in opening hours; use mon..sun or monday..sunday"
            )
        day_name = _WEEKDAY_NAMES[index]
        if index in seen:
            raise ValueError(f"hours for {day_name} are given more than once")
        seen.add(index)

        if value is None:
            ranges: list[str] = []
        elif isinstance(value, str):
            ranges = [] if value.strip().lower() in _CLOSED_WORDS else value.split(",")
        elif isinstance(value, list | tuple):
            ranges = list(value)
        else:
            raise ValueError(
                f"hours for {day_name}: expected a range string, a list of ranges or null, "
                f"got {value!r}"
            )
        intervals: list[Interval] = []
        for item in ranges:
            if not isinstance(item, str):
                raise ValueError(f"hours for {day_name}: bad range {item!r}, expected a string")
            intervals.append(_parse_range(day_name, item))
        intervals.sort()
        day_hours = tuple(intervals)
        _check_day_intervals(day_name, day_hours)
        result[index] = day_hours
    return result


# --------------------------------------------------------------------------- calendar


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


@dataclass(frozen=True)
class WorkingCalendar:
    """Working time of one office.

    ``hours`` maps weekday (0 = Monday .. 6 = Sunday) to ordered, non-overlapping
    ``(open, close)`` local times; a missing or empty weekday is closed.
    ``days_off`` are the office's own extra closed dates (local dates);
    ``national_holidays`` adds Indonesian national holidays and cuti bersama.
    """

    tz: ZoneInfo
    hours: Mapping[int, DayHours]
    days_off: frozenset[date] = frozenset()
    national_holidays: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.tz, ZoneInfo):
            raise ValueError(f"tz must be a zoneinfo.ZoneInfo, got {self.tz!r}")
        hours: dict[int, DayHours] = {}
        for weekday, intervals in self.hours.items():
            if weekday not in range(7):
                raise ValueError(
                    f"hours: weekday must be 0 (Monday) .. 6 (Sunday), got {weekday!r}"
                )
            day_hours = tuple(tuple(interval) for interval in (intervals or ()))
            _check_day_intervals(_WEEKDAY_NAMES[weekday], day_hours)  # type: ignore[arg-type]
            hours[weekday] = day_hours  # type: ignore[assignment]
        # Defensive copies keep the frozen calendar immutable in practice.
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "days_off", frozenset(self.days_off))

    # ----------------------------------------------------------------- days

    def holiday_name(self, day: date) -> str | None:
        """Why ``day`` is a day off: the national holiday's name, ``"Hari libur kantor"``
        for one of the office's own days off, or ``None`` if it is neither.

        Ordinary closed weekdays (weekends) are not holidays and give ``None``.
        """
        if self.national_holidays:
            name = _national_holidays(day.year).get(day)
            if name is not None:
                return name
        if day in self.days_off:
            return OFFICE_DAY_OFF_NAME
        return None

    def is_working_day(self, day: date) -> bool:
        """True if the office has opening hours on ``day`` and it is no holiday/day off."""
        return bool(self.hours.get(day.weekday())) and self.holiday_name(day) is None

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """Working intervals of local date ``day`` as aware UTC datetimes."""
        if not self.is_working_day(day):
            return []
        return [
            (
                datetime.combine(day, opening, self.tz).astimezone(UTC),
                datetime.combine(day, closing, self.tz).astimezone(UTC),
            )
            for opening, closing in self.hours[day.weekday()]
        ]

    def as_closing(self, moment: datetime) -> datetime:
        """``moment`` for people: an instant exactly at a day's opening is the same working time
        as the previous working day's closing, which is how a deadline is said ("Monday 16.00",
        not "Tuesday 07.30")."""
        day = self._local(moment).date()
        intervals = self._intervals(day)
        if not intervals or moment != intervals[0][0]:
            return moment
        for back in range(1, MAX_NON_WORKING_DAYS + 1):
            earlier = self._intervals(day - timedelta(days=back))
            if earlier:
                return earlier[-1][1]
        return moment

    def _has_any_hours(self) -> bool:
        return any(self.hours.values())

    def _working_days_from(
        self, day: date
    ) -> Iterator[tuple[date, list[tuple[datetime, datetime]]]]:
        """Yield ``(date, intervals)`` for working days from ``day`` on, in order.

        Raises ``ValueError`` after :data:`MAX_NON_WORKING_DAYS` consecutive days
        without working time, so callers always terminate.
        """
        if not self._has_any_hours():
            raise ValueError(_NO_HOURS)
        idle = 0
        while True:
            intervals = self._intervals(day)
            if intervals:
                idle = 0
                yield day, intervals
            else:
                idle += 1
                if idle >= MAX_NON_WORKING_DAYS:
                    raise ValueError(
                        f"{_NO_HOURS} in {MAX_NON_WORKING_DAYS} consecutive days before {day}"
                    )
            day += timedelta(days=1)

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    # ----------------------------------------------------------------- instants

    def is_working_time(self, moment: datetime) -> bool:
        """True if ``moment`` falls inside an ``[open, close)`` working interval."""
        _require_aware(moment, "moment")
        instant = moment.astimezone(UTC)
        return any(
            opening <= instant < closing
            for opening, closing in self._intervals(self._local(moment).date())
        )

    def next_working_moment(self, moment: datetime) -> datetime:
        """``moment`` itself (in ``tz``) if it is working time, else the next opening."""
        _require_aware(moment, "moment")
        instant = moment.astimezone(UTC)
        for _day, intervals in self._working_days_from(self._local(moment).date()):
            for opening, closing in intervals:
                if instant < closing:
                    return self._local(max(instant, opening))
        raise AssertionError("unreachable")  # pragma: no cover

    def add_working_minutes(self, start: datetime, minutes: float) -> datetime:
        """The instant at which ``minutes`` working minutes have elapsed since ``start``.

        Counting begins at :meth:`next_working_moment` if ``start`` is outside
        working time. A total that runs out exactly at a closing time returns
        that closing time. ``minutes == 0`` returns ``start`` unchanged (in
        ``tz``). Works interval by interval, so large values are cheap.
        """
        _require_aware(start, "start")
        if not math.isfinite(minutes) or minutes < 0:
            raise ValueError(f"minutes must be a finite number >= 0, got {minutes!r}")
        if minutes == 0:
            return self._local(start)
        remaining = timedelta(minutes=minutes)  # exact integer microseconds from here on
        cursor = start.astimezone(UTC)
        for _day, intervals in self._working_days_from(self._local(start).date()):
            for opening, closing in intervals:
                if closing <= cursor:
                    continue
                segment_start = max(cursor, opening)
                available = closing - segment_start
                if remaining <= available:
                    return self._local(segment_start + remaining)
                remaining -= available
                cursor = closing
        raise AssertionError("unreachable")  # pragma: no cover

    def working_minutes_between(self, start: datetime, end: datetime) -> float:
        """Working minutes in ``[start, end)``; 0 if ``end <= start``.

        Inverse of :meth:`add_working_minutes`:
        ``working_minutes_between(s, add_working_minutes(s, m)) == m``.
        """
        _require_aware(start, "start")
        _require_aware(end, "end")
        lower, upper = start.astimezone(UTC), end.astimezone(UTC)
        if upper <= lower:
            return 0.0
        total = timedelta()
        day, last_day = self._local(start).date(), self._local(end).date()
        while day <= last_day:
            for opening, closing in self._intervals(day):
                overlap = min(closing, upper) - max(opening, lower)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total / timedelta(minutes=1)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Deadline for "``days`` hari kerja" counted from ``start``.

        Take ``p = next_working_moment(start)`` and move forward ``days`` working
        days, keeping ``p``'s local time of day clamped into the target day's
        working hours: before its opening -> its opening; after its closing (or
        inside a break between intervals) -> the closing just passed.
        ``days == 0`` returns ``p``.
        """
        _require_aware(start, "start")
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days!r}")
        begin = self.next_working_moment(start)
        if days == 0:
            return begin
        following = self._working_days_from(begin.date() + timedelta(days=1))
        target, intervals = next(itertools.islice(following, days - 1, None))
        wanted = datetime.combine(target, begin.time(), self.tz)
        wanted_utc = wanted.astimezone(UTC)
        result = intervals[0][0]  # before the first opening -> that opening
        for opening, closing in intervals:
            if wanted_utc < opening:
                break
            result = min(wanted_utc, closing)
        return self._local(result)

    def add_calendar_days(self, start: datetime, days: int) -> datetime:
        """``start`` plus ``days`` plain wall-clock days, returned in ``tz``.

        Ignores working hours and holidays (for SLAs counted in "hari kalender").
        """
        _require_aware(start, "start")
        shifted = self._local(start) + timedelta(days=days)  # wall-clock arithmetic
        return shifted.astimezone(UTC).astimezone(self.tz)  # normalise any DST gap
