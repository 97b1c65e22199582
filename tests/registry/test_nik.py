"""NIK parsing (``layan.registry.nik``): format, birth date with day + 40 for women, serial."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layan.registry.nik import Nik, NikError, clean_nik, parse_nik

TODAY = date(2025, 6, 10)


def nik(region: str = "180801", day: int = 12, month: int = 1, yy: int = 90, serial: str = "0001"):
    return f"{region}{day:02d}{month:02d}{yy:02d}{serial}"


def refused_code(raw) -> str:
    with pytest.raises(NikError) as excinfo:
        parse_nik(raw)
    assert str(excinfo.value)  # every refusal carries a message for the person who typed it
    return excinfo.value.code


# --- valid numbers --------------------------------------------------------------------------


def test_male_nik_parses_into_region_birth_date_and_serial():
    parsed = parse_nik("1808011201900001")
    assert parsed == Nik(
        value="1808011201900001",
        region="18.08.01",
        day=12,
        month=1,
        year2=90,
        female=False,
        serial="0001",
    )
    assert parsed.province == "18"
    assert parsed.regency == "18.08"


def test_female_nik_has_40_added_to_the_day():
    parsed = parse_nik("1808015201900002")
    assert parsed.female is True
    assert parsed.day == 12
    assert parsed.month == 1
    assert parsed.year2 == 90
    assert parsed.serial == "0002"


def test_female_day_41_is_the_first_of_the_month():
    parsed = parse_nik(nik(day=41, month=3))
    assert parsed.female and parsed.day == 1


def test_female_day_71_is_the_31st():
    parsed = parse_nik(nik(day=71, month=12))
    assert parsed.female and parsed.day == 31


@pytest.mark.parametrize(
    "typed",
    [
        "1808 0112 0190 0001",
        "18.08.01.120190.0001",
        "18-08-01-120190-0001",
        " 18.08.01 120190-0001 ",
        "180801\t120190\n0001",
    ],
)
def test_spaces_dots_and_dashes_inside_a_nik_are_ignored(typed):
    assert parse_nik(typed).value == "1808011201900001"


def test_clean_nik_strips_separators_and_accepts_none():
    assert clean_nik(" 18.08-01 ") == "180801"
    assert clean_nik(None) == ""


def test_region_may_be_any_non_zero_code_even_one_that_no_longer_exists():
    assert parse_nik(nik(region="999999")).region == "99.99.99"


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["18080112019000a1", "1808011201900001x", "NIK1808011201900001"])
def test_letters_are_refused_as_not_digits(raw):
    assert refused_code(raw) == "nik_not_digits"


@pytest.mark.parametrize("raw", ["", None, " . - "])
def test_nothing_typed_is_refused(raw):
    assert refused_code(raw) in ("nik_not_digits", "nik_length")


@pytest.mark.parametrize("raw", ["180801120190001", "18080112019000012", "1808"])
def test_wrong_length_is_refused(raw):
    assert refused_code(raw) == "nik_length"


def test_length_message_names_the_number_of_digits():
    with pytest.raises(NikError) as excinfo:
        parse_nik("180801120190001")
    assert "15" in str(excinfo.value)


@pytest.mark.parametrize("region", ["000801", "180001", "180800", "000000"])
def test_zero_region_part_is_refused(region):
    assert refused_code(nik(region=region)) == "nik_region"


@pytest.mark.parametrize("month", [0, 13, 99])
def test_month_outside_1_to_12_is_refused(month):
    assert refused_code(nik(month=month)) == "nik_month"


@pytest.mark.parametrize("day", [41, 52])
def test_month_outside_1_to_12_is_refused_for_women_too(day):
    assert refused_code(nik(day=day, month=13)) == "nik_month"


@pytest.mark.parametrize(
    ("day", "month", "yy"),
    [
        (31, 4, 90),  # 31 April
        (71, 4, 90),  # 31 April, female
        (30, 2, 0),  # 30 February, even in a leap year
        (29, 2, 23),  # 29 February in a non-leap year
        (69, 2, 23),  # the same for a woman
        (29, 2, 1),
        (0, 5, 90),  # day 00
        (32, 1, 90),  # day 32
        (40, 1, 90),  # 40: neither a male day nor a female one (41..71)
        (72, 1, 90),  # female day 32
        (99, 1, 90),
    ],
)
def test_impossible_birth_date_is_refused(day, month, yy):
    assert refused_code(nik(day=day, month=month, yy=yy)) == "nik_date"


@pytest.mark.parametrize(("day", "yy"), [(29, 0), (29, 24), (69, 0), (69, 24), (29, 96)])
def test_29_february_is_accepted_in_a_leap_year_including_00(day, yy):
    parsed = parse_nik(nik(day=day, month=2, yy=yy))
    assert (parsed.day, parsed.month, parsed.year2) == (29, 2, yy)


def test_serial_0000_is_refused():
    assert refused_code(nik(serial="0000")) == "nik_serial"


def test_refusals_are_checked_in_a_fixed_order():
    # Not digits wins over length; length over region; region over the date.
    assert refused_code("00a") == "nik_not_digits"
    assert refused_code("000000") == "nik_length"
    assert refused_code(nik(region="000000", month=13, serial="0000")) == "nik_region"
    assert refused_code(nik(month=13, serial="0000")) == "nik_month"
    assert refused_code(nik(day=31, month=4, serial="0000")) == "nik_date"


@pytest.mark.parametrize(
    "raw",
    ["１８０８０１１２０１９０００１", "١٨٠٨٠١١٢٠١٩٠٠٠٠١"],
    ids=["fullwidth", "arabic-indic"],
)
def test_non_ascii_digits_are_refused(raw):
    assert refused_code(raw) == "nik_not_digits"


# --- birth date and century -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("yy", "month", "day", "expected"),
    [
        (90, 1, 12, date(1990, 1, 12)),
        (30, 1, 12, date(1930, 1, 12)),  # 2030 is later than today: last century
        (26, 1, 1, date(1926, 1, 1)),
        (24, 3, 5, date(2024, 3, 5)),
        (0, 2, 29, date(2000, 2, 29)),
        (25, 5, 31, date(2025, 5, 31)),  # earlier this year
        (25, 6, 1, date(2025, 6, 1)),  # earlier this month
        (25, 6, 10, date(2025, 6, 10)),  # today
        (25, 7, 1, date(1925, 7, 1)),  # later this year: last century
    ],
)
def test_birth_date_takes_the_century_that_is_not_in_the_future(yy, month, day, expected):
    assert parse_nik(nik(day=day, month=month, yy=yy)).birth_date(TODAY) == expected


def test_birth_date_of_a_woman_subtracts_40():
    assert parse_nik(nik(day=52, month=1, yy=90)).birth_date(TODAY) == date(1990, 1, 12)


def test_birth_date_later_this_month_is_last_century():
    assert parse_nik(nik(day=20, month=6, yy=25)).birth_date(TODAY) == date(1925, 6, 20)


# --- properties -----------------------------------------------------------------------------

region_part = st.integers(min_value=1, max_value=99).map(lambda n: f"{n:02d}")


@settings(max_examples=300)
@given(
    province=region_part,
    regency=region_part,
    district=region_part,
    born=st.dates(),
    female=st.booleans(),
    serial=st.integers(min_value=1, max_value=9999).map(lambda n: f"{n:04d}"),
)
def test_any_well_formed_nik_parses_and_round_trips(
    province, regency, district, born, female, serial
):
    day = born.day + (40 if female else 0)
    value = f"{province}{regency}{district}{day:02d}{born.month:02d}{born.year % 100:02d}{serial}"
    parsed = parse_nik(value)
    assert parsed.value == value
    assert parsed.region == f"{province}.{regency}.{district}"
    assert (parsed.day, parsed.month, parsed.year2) == (born.day, born.month, born.year % 100)
    assert parsed.female is female
    assert parsed.serial == serial
    # birth_date agrees with the date up to the century, in the last hundred years.
    birth = parsed.birth_date(TODAY)
    assert (birth.day, birth.month, birth.year % 100) == (born.day, born.month, born.year % 100)
    assert date(TODAY.year - 100, TODAY.month, TODAY.day) < birth <= TODAY


# A character that survives clean_nik and is not a digit (str.isdecimal is re's \d for str).
non_digit = st.characters().filter(lambda c: clean_nik(c) == c and not c.isdecimal())


@settings(max_examples=300)
@given(before=st.text(), bad=non_digit, after=st.text())
def test_any_text_with_a_non_digit_is_refused_as_not_digits(before, bad, after):
    with pytest.raises(NikError) as excinfo:
        parse_nik(before + bad + after)
    assert excinfo.value.code == "nik_not_digits"


@settings(max_examples=300)
@given(st.text(alphabet="0123456789", min_size=1, max_size=40).filter(lambda s: len(s) != 16))
def test_any_digit_string_that_is_not_16_long_is_refused_for_length(value):
    with pytest.raises(NikError) as excinfo:
        parse_nik(value)
    assert excinfo.value.code == "nik_length"
    assert re.search(rf"\b{len(value)}\b", str(excinfo.value))
