"""NIK (Nomor Induk Kependudukan) rules.

A NIK is 16 digits: province(2) regency(2) district(2), the birth date as DDMMYY with 40 added to
the day for women, and a 4-digit serial. The region part is where the number was issued and may
predate a region split, and the year has two digits, so only the format and an impossible date are
errors; whether the region still exists is a question for the region table, not for this parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

_DIGITS = re.compile(r"^[0-9]+$")


class NikError(ValueError):
    def __init__(self, code: str, message):
        super().__init__(str(message))
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Nik:
    value: str
    region: str  # "PP.KK.DD"
    day: int
    month: int
    year2: int
    female: bool
    serial: str

    @property
    def province(self) -> str:
        return self.value[:2]

    @property
    def regency(self) -> str:
        return f"{self.value[:2]}.{self.value[2:4]}"

    def birth_date(self, today: date) -> date:
        """The birth date, taking the century that does not put it in the future."""
        born = _date_or_none(2000 + self.year2, self.month, self.day)
        if born is None or born > today:
            born = _date_or_none(1900 + self.year2, self.month, self.day)
        if born is None:  # 29 February 1900: not a leap year, while 2000 was
            born = date(2000 + self.year2, self.month, self.day)
        return born


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def clean_nik(raw: str) -> str:
    """Strip the spaces, dots and dashes people type inside a NIK."""
    return re.sub(r"[\s.\-]", "", raw or "")


def parse_nik(raw: str) -> Nik:
    value = clean_nik(raw)
    if not _DIGITS.match(value):
        raise NikError("nik_not_digits", _("A NIK contains digits only."))
    if len(value) != 16:
        raise NikError(
            "nik_length",
            _("A NIK has 16 digits; this one has %(n)d.") % {"n": len(value)},
        )
    if value[:2] == "00" or value[2:4] == "00" or value[4:6] == "00":
        raise NikError(
            "nik_region",
            _(
                "The first six digits of a NIK are the region code (province, regency, district, "
                "2 digits each); none of them can be 00."
            ),
        )
    day, month, year2 = int(value[6:8]), int(value[8:10]), int(value[10:12])
    female = day > 40
    if female:
        day -= 40
    if not 1 <= month <= 12:
        raise NikError(
            "nik_month",
            _("Digits 9–10 of a NIK are the birth month (01–12); %(m)s is not a month.")
            % {"m": value[8:10]},
        )
    # Any century: 29 February needs a leap year, and 00 is a leap year in 2000.
    try:
        date(2000 + year2, month, day)
    except ValueError:
        raise NikError(
            "nik_date",
            _(
                "Digits 7–12 of a NIK are the birth date (DDMMYY, day + 40 for women); "
                "%(d)s is not a valid date."
            )
            % {"d": value[6:12]},
        ) from None
    if value[12:] == "0000":
        raise NikError("nik_serial", _("The last four digits of a NIK cannot be 0000."))
    return Nik(
        value=value,
        region=f"{value[:2]}.{value[2:4]}.{value[4:6]}",
        day=day,
        month=month,
        year2=year2,
        female=female,
        serial=value[12:],
    )


def mask_nik(nik: str) -> str:
    """A NIK shown in public: region and serial kept, the birth date hidden (6311••••••0001)."""
    digits = "".join(ch for ch in str(nik) if ch.isdigit())
    if len(digits) != 16:
        return "•" * len(digits)
    return digits[:4] + "•" * 8 + digits[12:]
