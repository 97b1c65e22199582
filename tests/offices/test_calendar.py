"""Tests for the office working-time calendar used by SLA clocks (no database)."""

from __future__ import annotations

import time as wallclock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layan.offices.calendar import (
    OFFICE_DAY_OFF_NAME,
    WorkingCalendar,
    default_hours,
    parse_hours,
)

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def wita(*args: int) -> datetime:
    return datetime(*args, tzinfo=WITA)


@pytest.fixture
def office() -> WorkingCalendar:
    return WorkingCalendar(tz=WIB, hours=default_hours())


SPLIT_SHIFT = parse_hours(
    {
        "mon": "07:30-16:00",
        "tue": "07:30-16:00",
        "wed": "07:30-16:00",
        "thu": "07:30-16:00",
        "fri": ["07:30-11:30", "13:00-16:30"],
        "sat": None,
    }
)

# Fixed dates used below (2026): Fri 9 Jan, Sat 10, Sun 11, Mon 12, Tue 13 Jan are
# ordinary days; 16 Jan is Isra Mikraj. Tue 17 Mar is a working day, 18 Mar is cuti
# bersama Nyepi, 19 Mar Nyepi, 20-24 Mar the Idul Fitri block, Wed 25 Mar a working day.


# --------------------------------------------------------------------------- minutes


def test_friday_afternoon_plus_120_minutes_crosses_weekend_to_monday_morning(office):
    start = wib(2026, 1, 9, 15, 30)
    end = office.add_working_minutes(start, 120)
    # 60 minutes until Friday's 16:30 close, 60 more from Monday's 07:30 opening.
    assert end == wib(2026, 1, 12, 8, 30)
    assert end.tzinfo == WIB
    assert office.working_minutes_between(start, end) == 120


def test_idul_fitri_2026_block_and_nyepi_are_skipped(office):
    start = wib(2026, 3, 17, 15, 0)  # Tuesday late afternoon
    end = office.add_working_minutes(start, 120)
    assert end == wib(2026, 3, 25, 8, 30)
    assert office.working_minutes_between(start, end) == 120


def test_request_on_nyepi_or_cuti_bersama_waits_until_after_idul_fitri(office):
    for requested in (wib(2026, 3, 19, 10, 0), wib(2026, 3, 18, 9, 0)):
        assert not office.is_working_time(requested)
        assert office.next_working_moment(requested) == wib(2026, 3, 25, 7, 30)
        assert office.add_working_minutes(requested, 30) == wib(2026, 3, 25, 8, 0)


def test_holiday_name_names_nyepi_cuti_bersama_and_idul_fitri_days(office):
    for day in range(18, 25):
        name = office.holiday_name(date(2026, 3, day))
        assert name, f"2026-03-{day} should be a holiday"
        assert not office.is_working_day(date(2026, 3, day))
    assert "Nyepi" in office.holiday_name(date(2026, 3, 19))
    assert "Cuti Bersama" in office.holiday_name(date(2026, 3, 18))
    assert "Idul Fitri" in office.holiday_name(date(2026, 3, 21))
    assert "Cuti Bersama" in office.holiday_name(date(2026, 3, 23))
    assert office.holiday_name(date(2026, 3, 17)) is None
    assert office.holiday_name(date(2026, 3, 25)) is None
    assert office.holiday_name(date(2026, 1, 10)) is None  # a plain Saturday is no holiday


def test_without_national_holidays_cuti_bersama_is_a_working_day():
    calendar = WorkingCalendar(tz=WIB, hours=default_hours(), national_holidays=False)
    assert calendar.holiday_name(date(2026, 3, 18)) is None
    assert calendar.is_working_day(date(2026, 3, 18))
    assert calendar.add_working_minutes(wib(2026, 3, 17, 15, 0), 120) == wib(2026, 3, 18, 8, 30)


def test_office_extra_day_off_is_skipped():
    calendar = WorkingCalendar(
        tz=WIB, hours=default_hours(), days_off=frozenset({date(2026, 1, 12)})
    )
    assert calendar.holiday_name(date(2026, 1, 12)) == OFFICE_DAY_OFF_NAME
    assert not calendar.is_working_day(date(2026, 1, 12))
    assert not calendar.is_working_time(wib(2026, 1, 12, 10, 0))
    assert calendar.add_working_minutes(wib(2026, 1, 9, 15, 30), 120) == wib(2026, 1, 13, 8, 30)


def test_friday_longer_hours_are_honoured(office):
    assert office.is_working_time(wib(2026, 1, 9, 16, 15))  # Friday
    assert not office.is_working_time(wib(2026, 1, 8, 16, 15))  # Thursday
    assert office.add_working_minutes(wib(2026, 1, 9, 16, 0), 30) == wib(2026, 1, 9, 16, 30)
    assert office.working_minutes_between(wib(2026, 1, 9, 0, 0), wib(2026, 1, 10, 0, 0)) == 540
    assert office.working_minutes_between(wib(2026, 1, 8, 0, 0), wib(2026, 1, 9, 0, 0)) == 510


def test_split_shift_lunch_break_is_not_counted():
    calendar = WorkingCalendar(tz=WIB, hours=SPLIT_SHIFT)
    friday = date(2026, 1, 9)
    assert not calendar.is_working_time(wib(2026, 1, 9, 12, 0))
    assert calendar.next_working_moment(wib(2026, 1, 9, 12, 0)) == wib(2026, 1, 9, 13, 0)
    assert calendar.add_working_minutes(wib(2026, 1, 9, 11, 0), 60) == wib(2026, 1, 9, 13, 30)
    # Running out exactly at the start of lunch stops at 11:30.
    assert calendar.add_working_minutes(wib(2026, 1, 9, 11, 0), 30) == wib(2026, 1, 9, 11, 30)
    assert calendar.working_minutes_between(wib(2026, 1, 9, 7, 30), wib(2026, 1, 9, 16, 30)) == 450
    assert calendar.is_working_day(friday)


def test_start_before_opening_counts_from_opening(office):
    start = wib(2026, 1, 12, 6, 0)
    assert office.next_working_moment(start) == wib(2026, 1, 12, 7, 30)
    assert office.add_working_minutes(start, 30) == wib(2026, 1, 12, 8, 0)
    assert office.working_minutes_between(start, wib(2026, 1, 12, 8, 0)) == 30


def test_start_after_closing_counts_from_next_morning(office):
    start = wib(2026, 1, 12, 17, 0)
    assert office.next_working_moment(start) == wib(2026, 1, 13, 7, 30)
    assert office.add_working_minutes(start, 30) == wib(2026, 1, 13, 8, 0)


def test_start_on_sunday_counts_from_monday(office):
    start = wib(2026, 1, 11, 10, 0)
    assert not office.is_working_time(start)
    assert office.next_working_moment(start) == wib(2026, 1, 12, 7, 30)
    assert office.add_working_minutes(start, 30) == wib(2026, 1, 12, 8, 0)


def test_start_inside_working_time_is_its_own_next_working_moment(office):
    start = wib(2026, 1, 12, 10, 0)
    assert office.next_working_moment(start) == start


def test_total_ending_exactly_at_closing_returns_closing_not_next_opening(office):
    assert office.add_working_minutes(wib(2026, 1, 12, 15, 0), 60) == wib(2026, 1, 12, 16, 0)
    assert office.add_working_minutes(wib(2026, 1, 12, 7, 30), 510) == wib(2026, 1, 12, 16, 0)
    # Starting the count exactly at closing begins at the next opening.
    assert office.add_working_minutes(wib(2026, 1, 12, 16, 0), 1) == wib(2026, 1, 13, 7, 31)
    assert not office.is_working_time(wib(2026, 1, 12, 16, 0))


def test_zero_minutes_returns_start_converted_to_office_timezone(office):
    start = datetime(2026, 1, 11, 3, 0, tzinfo=UTC)  # Sunday, outside working time
    result = office.add_working_minutes(start, 0)
    assert result == start
    assert result.tzinfo == WIB


def test_wita_office_opening_is_2330_utc_previous_day():
    calendar = WorkingCalendar(tz=WITA, hours=default_hours())
    start = datetime(2026, 1, 11, 23, 0, tzinfo=UTC)  # Monday 07:00 WITA
    opening = calendar.next_working_moment(start)
    assert opening == wita(2026, 1, 12, 7, 30)
    assert opening.astimezone(UTC) == datetime(2026, 1, 11, 23, 30, tzinfo=UTC)
    assert opening.tzinfo == WITA
    assert calendar.is_working_time(datetime(2026, 1, 11, 23, 30, tzinfo=UTC))
    end = calendar.add_working_minutes(start, 60)
    assert end.astimezone(UTC) == datetime(2026, 1, 12, 0, 30, tzinfo=UTC)
    # The same UTC instant is still 06:00 in a WIB office, which opens an hour later.
    wib_office = WorkingCalendar(tz=WIB, hours=default_hours())
    assert wib_office.next_working_moment(start).astimezone(UTC) == datetime(
        2026, 1, 12, 0, 30, tzinfo=UTC
    )


def test_large_minute_totals_are_computed_per_interval_not_per_minute(office):
    start = wib(2026, 1, 5, 9, 0)
    minutes = 60 * 24 * 30
    began = wallclock.perf_counter()
    end = office.add_working_minutes(start, minutes)
    elapsed = wallclock.perf_counter() - began
    assert elapsed < 1.0
    assert office.working_minutes_between(start, end) == pytest.approx(minutes, abs=1e-6)
    assert office.is_working_time(end) or end.time() in (time(16, 0), time(16, 30))


def test_calendar_without_working_hours_raises_instead_of_looping():
    empty = WorkingCalendar(tz=WIB, hours={})
    with pytest.raises(ValueError, match="calendar has no working hours"):
        empty.add_working_minutes(wib(2026, 1, 12, 10, 0), 10)
    with pytest.raises(ValueError, match="calendar has no working hours"):
        empty.next_working_moment(wib(2026, 1, 12, 10, 0))
    with pytest.raises(ValueError, match="calendar has no working hours"):
        empty.add_working_days(wib(2026, 1, 12, 10, 0), 1)
    assert empty.working_minutes_between(wib(2026, 1, 1, 0, 0), wib(2026, 12, 31, 0, 0)) == 0


def test_calendar_whose_working_days_are_all_off_gives_up_after_bounded_scan():
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=w) for w in range(600))
    calendar = WorkingCalendar(
        tz=WIB, hours={0: ((time(8), time(12)),)}, days_off=mondays, national_holidays=False
    )
    with pytest.raises(ValueError, match="calendar has no working hours"):
        calendar.add_working_minutes(wib(2026, 1, 5, 9, 0), 10)


def test_naive_datetimes_and_negative_minutes_are_rejected(office):
    naive = datetime(2026, 1, 12, 10, 0)
    aware = wib(2026, 1, 12, 10, 0)
    for call in (
        lambda: office.is_working_time(naive),
        lambda: office.next_working_moment(naive),
        lambda: office.add_working_minutes(naive, 10),
        lambda: office.working_minutes_between(naive, aware),
        lambda: office.working_minutes_between(aware, naive),
        lambda: office.add_working_days(naive, 1),
        lambda: office.add_calendar_days(naive, 1),
    ):
        with pytest.raises(ValueError, match="timezone-aware"):
            call()
    with pytest.raises(ValueError, match="minutes"):
        office.add_working_minutes(aware, -1)
    with pytest.raises(ValueError, match="minutes"):
        office.add_working_minutes(aware, float("nan"))


def test_working_minutes_between_is_zero_for_reversed_or_empty_range(office):
    assert office.working_minutes_between(wib(2026, 1, 12, 10), wib(2026, 1, 12, 10)) == 0
    assert office.working_minutes_between(wib(2026, 1, 12, 11), wib(2026, 1, 12, 10)) == 0


def test_invalid_hand_built_hours_are_rejected():
    with pytest.raises(ValueError, match="monday"):
        WorkingCalendar(tz=WIB, hours={0: ((time(16), time(8)),)})
    with pytest.raises(ValueError, match="weekday"):
        WorkingCalendar(tz=WIB, hours={7: ((time(8), time(16)),)})


# --------------------------------------------------------------------------- days


def test_add_working_days_keeps_time_of_day(office):
    assert office.add_working_days(wib(2026, 1, 12, 10, 0), 1) == wib(2026, 1, 13, 10, 0)


def test_add_working_days_from_friday_late_clamps_to_monday_closing(office):
    assert office.add_working_days(wib(2026, 1, 9, 16, 15), 1) == wib(2026, 1, 12, 16, 0)


def test_add_working_days_from_saturday_starts_at_monday_opening(office):
    assert office.add_working_days(wib(2026, 1, 10, 9, 0), 1) == wib(2026, 1, 13, 7, 30)
    assert office.add_working_days(wib(2026, 1, 10, 9, 0), 0) == wib(2026, 1, 12, 7, 30)


def test_add_working_days_skips_nyepi_and_idul_fitri(office):
    assert office.add_working_days(wib(2026, 3, 19, 10, 0), 1) == wib(2026, 3, 26, 7, 30)
    assert office.add_working_days(wib(2026, 3, 17, 10, 0), 1) == wib(2026, 3, 25, 10, 0)
    assert office.add_working_days(wib(2026, 3, 17, 10, 0), 2) == wib(2026, 3, 26, 10, 0)


def test_add_working_days_clamps_into_lunch_break_at_the_closing_just_passed():
    calendar = WorkingCalendar(tz=WIB, hours=SPLIT_SHIFT)
    # Thursday 12:00 is working time; Friday 12:00 is the lunch break -> 11:30.
    assert calendar.add_working_days(wib(2026, 1, 8, 12, 0), 1) == wib(2026, 1, 9, 11, 30)
    # Thursday 07:35 -> Friday 07:35 (inside the morning shift).
    assert calendar.add_working_days(wib(2026, 1, 8, 7, 35), 1) == wib(2026, 1, 9, 7, 35)


def test_add_working_days_rejects_negative_counts(office):
    with pytest.raises(ValueError):
        office.add_working_days(wib(2026, 1, 12, 10, 0), -1)


def test_add_working_days_result_is_in_office_timezone():
    calendar = WorkingCalendar(tz=WITA, hours=default_hours())
    start = datetime(2026, 1, 12, 2, 0, tzinfo=UTC)  # Monday 10:00 WITA
    result = calendar.add_working_days(start, 1)
    assert result == wita(2026, 1, 13, 10, 0)
    assert result.tzinfo == WITA


def test_add_calendar_days_counts_plain_wall_clock_days_in_office_timezone(office):
    assert office.add_calendar_days(wib(2026, 1, 9, 16, 15), 3) == wib(2026, 1, 12, 16, 15)
    result = office.add_calendar_days(datetime(2026, 3, 17, 20, 0, tzinfo=UTC), 1)
    assert result == wib(2026, 3, 19, 3, 0)  # holidays are not skipped
    assert result.tzinfo == WIB


# --------------------------------------------------------------------------- parse_hours


def test_parse_hours_accepts_config_data_with_split_shift_and_closed_days():
    hours = parse_hours(
        {"Monday": "07:30-16:00", "FRI": ["07:30-11:30", "13:00-16:30"], "sat": None}
    )
    assert hours[0] == ((time(7, 30), time(16, 0)),)
    assert hours[4] == ((time(7, 30), time(11, 30)), (time(13, 0), time(16, 30)))
    assert hours[5] == ()
    assert hours[6] == ()  # not mentioned -> closed
    assert hours[1] == ()


def test_parse_hours_of_typical_office_matches_default_hours():
    spec = {day: "07:30-16:00" for day in ("mon", "tue", "wed", "thu")}
    spec |= {"fri": "07:30-16:30", "sat": None, "sun": []}
    assert parse_hours(spec) == default_hours()


def test_parse_hours_accepts_dot_separator_and_comma_list():
    hours = parse_hours({"fri": "07.30-11.30, 13.00-16.30", "sun": "closed"})
    assert hours[4] == ((time(7, 30), time(11, 30)), (time(13, 0), time(16, 30)))
    assert hours[6] == ()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"mon": "16:00-07:30"}, r"monday.*not after"),
        ({"tue": "08:00-08:00"}, r"tuesday.*not after"),
        ({"fri": ["07:30-12:00", "11:30-16:30"]}, r"friday.*overlaps"),
        ({"wed": "7:30 to 16:00"}, r"wednesday.*bad range"),
        ({"thu": "25:00-26:00"}, r"thursday.*bad time"),
        ({"sat": 730}, r"saturday"),
        ({"sun": [None]}, r"sunday.*bad range"),
        ({"funday": "07:30-16:00"}, r"unknown weekday 'funday'"),
        ({"mon": "07:30-16:00", "Monday": "08:00-12:00"}, r"monday.*more than once"),
    ],
)
def test_parse_hours_rejects_bad_ranges_naming_the_weekday(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_hours(spec)


# --------------------------------------------------------------------------- properties

CALENDARS = [
    WorkingCalendar(tz=WIB, hours=default_hours()),
    WorkingCalendar(tz=WITA, hours=SPLIT_SHIFT, days_off=frozenset({date(2026, 1, 2)})),
    WorkingCalendar(tz=WIB, hours=parse_hours({"sat": "08:00-12:00"}), national_holidays=False),
]

calendars = st.sampled_from(CALENDARS)
starts = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2027, 12, 31, 23, 59),
    timezones=st.sampled_from([WIB, WITA, UTC]),
)
int_minutes = st.integers(min_value=0, max_value=20_000)
float_minutes = st.floats(min_value=0, max_value=20_000, allow_nan=False, allow_infinity=False)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


def at_closing_instant(calendar: WorkingCalendar, moment: datetime) -> bool:
    local = moment.astimezone(calendar.tz)
    if not calendar.is_working_day(local.date()):
        return False
    return any(
        local.timetz().replace(tzinfo=None) == close for _, close in calendar.hours[local.weekday()]
    )


@PROPERTY_SETTINGS
@given(calendar=calendars, start=starts, minutes=st.one_of(int_minutes, float_minutes))
def test_property_working_minutes_between_inverts_add_working_minutes(calendar, start, minutes):
    end = calendar.add_working_minutes(start, minutes)
    assert calendar.working_minutes_between(start, end) == pytest.approx(minutes, abs=1e-6)


@PROPERTY_SETTINGS
@given(calendar=calendars, start=starts, minutes=st.one_of(int_minutes, float_minutes))
def test_property_result_is_aware_in_office_tz_and_not_before_start(calendar, start, minutes):
    end = calendar.add_working_minutes(start, minutes)
    assert end >= start
    assert end.tzinfo == calendar.tz


@PROPERTY_SETTINGS
@given(calendar=calendars, start=starts, a=int_minutes, b=int_minutes)
def test_property_result_is_monotonic_in_minutes(calendar, start, a, b):
    low, high = sorted((a, b))
    assert calendar.add_working_minutes(start, low) <= calendar.add_working_minutes(start, high)


@PROPERTY_SETTINGS
@given(calendar=calendars, start=starts, minutes=st.integers(min_value=1, max_value=20_000))
def test_property_positive_result_is_working_time_or_a_closing_instant(calendar, start, minutes):
    end = calendar.add_working_minutes(start, minutes)
    assert calendar.is_working_time(end) or at_closing_instant(calendar, end)


@PROPERTY_SETTINGS
@given(calendar=calendars, start=starts, a=int_minutes, b=int_minutes)
def test_property_adding_minutes_is_additive(calendar, start, a, b):
    step = calendar.add_working_minutes(calendar.add_working_minutes(start, a), b)
    assert step == calendar.add_working_minutes(start, a + b)


@PROPERTY_SETTINGS
@given(calendar=calendars, start=starts)
def test_property_next_working_moment_is_working_time_and_skips_none(calendar, start):
    moment = calendar.next_working_moment(start)
    assert moment >= start
    assert calendar.is_working_time(moment)
    assert calendar.working_minutes_between(start, moment) == 0
