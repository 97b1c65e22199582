"""Loading an office's SIAK export into the registry's tables (``layan registry import``).

The file is a CSV (UTF-8, ``;`` or ``,``, found from the header) or an Excel workbook (.xlsx, its
first sheet) with a header row of SIAK's column names (:data:`COLUMNS`, with a few aliases; any
other column is ignored). ``docs/registry.md`` documents the columns and the report.

Every row is checked: the NIK (:mod:`layan.registry.nik`), the KK number (16 digits, the
region part not 00), the name, the dates, the coded columns, the village inside the holding
regency; a NIK twice in the file, two heads of one family, or a NIK or KK number already in the
registry are errors. A NIK whose birth date or sex disagrees with TGL_LHR or JENIS_KLMIN is
imported and listed as a **finding**: SIAK keeps the NIK it issued when a birth date is corrected
later, so a real export has such rows, and the Data Ganda check warns about them
(``nik_disagrees``). So is a family without a head.

Nothing is half-imported: the rows are written in batches inside one transaction, and any error
rolls all of it back (``dry_run`` checks without writing). Each row becomes one ``Resident`` with
its folded name keys, each new KK number one ``Family`` (its head the row whose STAT_HBKEL is
*kepala keluarga*), and each resident one ``imported`` history entry.
"""

from __future__ import annotations

import csv
import io
import json
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from layan.registry.folding import fold_name
from layan.registry.models import Family, LifeStatus, RegistryChange, Resident
from layan.registry.nik import NikError, clean_nik, parse_nik

# The registry's attribute -> the SIAK column name (first) and the aliases accepted.
COLUMNS: dict[str, tuple[str, ...]] = {
    "nik": ("NIK", "NO_NIK"),
    "kk_number": ("NO_KK", "NKK", "NOMOR_KK"),
    "name": ("NAMA_LGKP", "NAMA_LENGKAP", "NAMA"),
    "birth_place": ("TMPT_LHR", "TEMPAT_LAHIR", "TMP_LAHIR"),
    "birth_date": ("TGL_LHR", "TANGGAL_LAHIR", "TGL_LAHIR"),
    "sex": ("JENIS_KLMIN", "JENIS_KELAMIN", "JK"),
    "religion": ("AGAMA",),
    "marital_status": ("STATUS_KAWIN", "STAT_KWN", "STATUS_PERKAWINAN"),
    "relation": ("STAT_HBKEL", "SHDK", "HUBUNGAN_KELUARGA", "HUB_KEL"),
    "father_name": ("NAMA_LGKP_AYAH", "NAMA_AYAH"),
    "mother_name": ("NAMA_LGKP_IBU", "NAMA_IBU"),
    "address": ("ALAMAT",),
    "rt": ("NO_RT", "RT"),
    "rw": ("NO_RW", "RW"),
    "village_code": ("KODE_KEL", "KODE_DESA", "KODE_WILAYAH"),
    "village": ("NAMA_KEL", "NAMA_DESA", "KELURAHAN", "DESA"),
    "status": ("STATUS", "STATUS_HIDUP"),
    "died_on": ("TGL_MATI", "TANGGAL_MATI"),
    "moved_to": ("PINDAH_KE", "TUJUAN_PINDAH"),
}
REQUIRED = ("nik", "kk_number", "name", "birth_date", "sex")

# SIAK's words (and codes) for the coded columns -> the registry's (the catalogue's choices).
SEXES = {"LAKI-LAKI": "L", "LAKI LAKI": "L", "L": "L", "1": "L", "PRIA": "L",
         "PEREMPUAN": "P", "P": "P", "2": "P", "WANITA": "P"}  # fmt: skip
RELIGIONS = {
    "ISLAM": "islam", "1": "islam", "KRISTEN": "kristen", "KRISTEN PROTESTAN": "kristen",
    "PROTESTAN": "kristen", "2": "kristen", "KATOLIK": "katolik", "KATHOLIK": "katolik",
    "3": "katolik", "HINDU": "hindu", "4": "hindu", "BUDHA": "buddha", "BUDDHA": "buddha",
    "5": "buddha", "KHONGHUCU": "khonghucu", "KONGHUCU": "khonghucu", "KONG HU CU": "khonghucu",
    "6": "khonghucu", "KEPERCAYAAN": "kepercayaan", "7": "kepercayaan",
}  # fmt: skip
MARITAL = (  # prefixes, in this order: "KAWIN TERCATAT" is kawin, "BELUM KAWIN" is not
    ("BELUM KAWIN", "belum_kawin"), ("CERAI HIDUP", "cerai_hidup"),
    ("CERAI MATI", "cerai_mati"), ("KAWIN", "kawin"),
)  # fmt: skip
MARITAL_CODES = {"1": "belum_kawin", "2": "kawin", "3": "cerai_hidup", "4": "cerai_mati"}
RELATIONS = {
    "KEPALA KELUARGA": "kepala", "KEPALA": "kepala", "1": "kepala", "SUAMI": "suami",
    "2": "suami", "ISTRI": "istri", "ISTERI": "istri", "3": "istri", "ANAK": "anak", "4": "anak",
    "MENANTU": "menantu", "5": "menantu", "CUCU": "cucu", "6": "cucu", "ORANG TUA": "orang_tua",
    "ORANGTUA": "orang_tua", "7": "orang_tua", "MERTUA": "mertua", "8": "mertua",
    "FAMILI LAIN": "famili", "FAMILI": "famili", "9": "famili", "PEMBANTU": "lainnya",
    "10": "lainnya", "LAINNYA": "lainnya", "11": "lainnya",
}  # fmt: skip
STATUSES = {
    "": LifeStatus.ALIVE, "HIDUP": LifeStatus.ALIVE, "AKTIF": LifeStatus.ALIVE,
    "MATI": LifeStatus.DECEASED, "MENINGGAL": LifeStatus.DECEASED,
    "MENINGGAL DUNIA": LifeStatus.DECEASED, "WAFAT": LifeStatus.DECEASED,
    "PINDAH": LifeStatus.MOVED, "PINDAH KELUAR": LifeStatus.MOVED,
}  # fmt: skip
HEAD = "kepala"

_REGION = re.compile(r"^[0-9]{2}\.[0-9]{2}$")
_VILLAGE = re.compile(r"^([0-9]{2})\.?([0-9]{2})\.?([0-9]{2})\.?([0-9]{4})$")
_DAY_FIRST = re.compile(r"^([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})$")
_ISO = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T].*)?$")
_LETTER = re.compile(r"[^\W\d_]")
_HEADER_NOISE = re.compile(r"[\s\-.]+")


class ImportFileError(ValueError):
    """A file that cannot be read as an export at all (format, encoding, header)."""


@dataclass(frozen=True)
class Problem:
    """An error (nothing is stored) or a finding (the row is stored) on one row."""

    line: int
    column: str
    message: str
    code: str

    def __str__(self) -> str:
        return _("line %(line)d, column %(column)s: %(message)s") % {
            "line": self.line, "column": self.column or "-", "message": self.message,
        }  # fmt: skip


@dataclass(frozen=True)
class Row:
    """One resident of an export, checked and in the registry's words."""

    line: int
    nik: str
    kk_number: str
    name: str
    birth_date: date
    sex: str
    birth_place: str = ""
    religion: str = ""
    marital_status: str = ""
    relation: str = ""
    father_name: str = ""
    mother_name: str = ""
    address: str = ""
    rt: str = ""
    rw: str = ""
    village_code: str = ""
    village: str = ""
    status: str = LifeStatus.ALIVE
    died_on: date | None = None
    moved_to: str = ""


@dataclass
class ImportResult:
    rows: int = 0
    families: int = 0
    residents: int = 0
    region: str = ""
    errors: list[Problem] = field(default_factory=list)
    findings: list[Problem] = field(default_factory=list)
    error_count: int = 0
    finding_count: int = 0
    stored: bool = False
    seconds: float = 0.0
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


# --------------------------------------------------------------------------- reading a file


def _header_key(cell: Any) -> str:
    return _HEADER_NOISE.sub("_", str(cell or "").strip().upper()).strip("_")


def map_header(header: Sequence[Any]) -> tuple[dict[str, tuple[int, str]], list[str]]:
    """The column of each attribute (index and the name the file uses) and the ignored
    columns; raises :class:`ImportFileError` for a missing required column."""
    aliases = {alias: attr for attr, names in COLUMNS.items() for alias in names}
    found: dict[str, tuple[int, str]] = {}
    ignored = []
    for index, cell in enumerate(header):
        key = _header_key(cell)
        attr = aliases.get(key)
        if attr is None or attr in found:
            if key:
                ignored.append(str(cell).strip())
            continue
        found[attr] = (index, str(cell).strip())
    missing = [COLUMNS[a][0] for a in REQUIRED if a not in found]
    if missing:
        raise ImportFileError(
            _("The header lacks the column(s) %(columns)s (see docs/registry.md).")
            % {"columns": ", ".join(missing)}
        )
    return found, ignored


def _csv_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    try:
        try:
            first = handle.readline()
        except UnicodeDecodeError:
            raise ImportFileError(_("The file is not UTF-8 text; save it as CSV UTF-8.")) from None
        delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.reader(_chain_first(first, handle), delimiter=delimiter, strict=False)
        try:
            for row in reader:
                yield reader.line_num, [" ".join(cell.split()) for cell in row]
        except UnicodeDecodeError:
            raise ImportFileError(
                _("Line %(line)d is not UTF-8 text; save the file as CSV UTF-8.")
                % {"line": reader.line_num + 1}
            ) from None
        except csv.Error as exc:
            raise ImportFileError(
                _("Line %(line)d cannot be read as CSV: %(error)s")
                % {"line": reader.line_num, "error": exc}
            ) from None
    finally:
        handle.close()


def _chain_first(first: str, rest: io.TextIOBase) -> Iterator[str]:
    yield first
    yield from rest


class NumberCell(str):
    """An Excel cell that held a number (written as its digits)."""


def _cell(value: Any) -> Any:
    """An Excel cell as text (a date stays a date)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date | str):
        return value if isinstance(value, date) else " ".join(value.split())
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return NumberCell(value) if isinstance(value, int | float) else str(value)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise ImportFileError(
            _("The file cannot be read as an Excel workbook (.xlsx): %(error)s") % {"error": exc}
        ) from None
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell(value) for value in row]
    finally:
        book.close()


def read_file(path: str | Path) -> Iterator[tuple[int, list[Any]]]:
    """The rows of an export as (line number, cells: text with single spaces, or a date from
    Excel): a CSV or an .xlsx workbook, told apart by the file's content."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ImportFileError(str(exc)) from None
    if magic == b"PK\x03\x04":
        return _xlsx_rows(path)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("Old Excel files (.xls) are not read; save it as .xlsx or CSV."))
    return _csv_rows(path)


# --------------------------------------------------------------------------- checking a row


def _text(value: Any) -> str:
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    return value


def parse_date(value: Any) -> date | None:
    """DD-MM-YYYY (also with / or .), YYYY-MM-DD, or an Excel date; None when it is none."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = _DAY_FIRST.match(text)
    try:
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
        match = _ISO.match(text)
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    return None


def clean_kk(raw: str) -> str | None:
    """The KK number's 16 digits, or None: 16 digits whose region part (the first six) has
    no 00, like a NIK's; the middle six are the date the card was issued."""
    value = clean_nik(raw)
    if len(value) != 16 or not value.isdigit():
        return None
    if value[:2] == "00" or value[2:4] == "00" or value[4:6] == "00":
        return None
    return value


class _Checker:
    """Checks one row after another; keeps what the whole file must agree on."""

    def __init__(self, columns: dict[str, tuple[int, str]], width: int, region: str,
                 today: date, result: ImportResult, max_listed: int):  # fmt: skip
        self.columns = columns
        self.region = region
        self.today = today
        self.result = result
        self.max_listed = max_listed
        self.niks: dict[str, int] = {}
        self.heads: dict[str, int] = {}
        self.first_line: dict[str, int] = {}
        self.registry_filled = True
        self.lock = threading.Lock()
        self.own_errors = 0
        self.width = width  # the header's cells
        # the cell of each attribute; a column the file lacks reads an empty cell at the end
        self.at = [columns[a][0] if a in columns else self.width for a in COLUMNS]

    def name_of(self, attr: str) -> str:
        return self.columns[attr][1] if attr in self.columns else COLUMNS[attr][0]

    def error(self, line: int, attr: str, message: str, code: str, *, mine=True) -> None:
        """An error on a row; ``mine`` is False for the writing thread's (a NIK already in the
        registry), which :meth:`row` must not count as its row's."""
        with self.lock:  # the checking thread and the writing one both report
            self.result.error_count += 1
            self.own_errors += mine
            if len(self.result.errors) < self.max_listed:
                self.result.errors.append(Problem(line, self.name_of(attr), message, code))

    def finding(self, line: int, attr: str, message: str, code: str) -> None:
        with self.lock:
            self.result.finding_count += 1
            if len(self.result.findings) < self.max_listed:
                self.result.findings.append(Problem(line, self.name_of(attr), message, code))

    def row(self, line: int, cells: list[Any]) -> Row | None:
        """The checked row, or None (its errors recorded)."""
        errors = self.own_errors
        if len(cells) <= self.width:
            cells = [*cells, *([""] * (self.width + 1 - len(cells)))]
        (raw_nik, raw_kk, name, birth_place, raw_born, raw_sex, raw_religion, raw_marital,
         raw_relation, father, mother, address, raw_rt, raw_rw, raw_village_code, village,
         raw_status, raw_died, moved_to) = [cells[i] for i in self.at]  # fmt: skip
        nik = self.nik(line, raw_nik)
        kk = self.kk(line, raw_kk)
        name = self.name(line, "name", name, required=True)
        born = self.day(line, "birth_date", raw_born, required=True)
        sex = SEXES.get(_text(raw_sex).upper())
        if sex is None:
            self.error(line, "sex", _("%(value)r is not a sex (LAKI-LAKI or PEREMPUAN, L or P).")
                       % {"value": raw_sex}, "sex_invalid")  # fmt: skip
        religion = self.coded(line, "religion", raw_religion, RELIGIONS, "religion_invalid")
        marital = self.marital(line, raw_marital)
        relation = self.coded(line, "relation", raw_relation, RELATIONS, "relation_invalid")
        status = STATUSES.get(_text(raw_status).upper())
        if status is None:
            self.error(line, "status", _("%(value)r is not a status (HIDUP, MATI or PINDAH).")
                       % {"value": raw_status}, "status_invalid")  # fmt: skip
        died_on = self.day(line, "died_on", raw_died, required=False) if raw_died else None
        village_code = self.village_code(line, raw_village_code) if raw_village_code else ""
        rt = self.rt_rw(line, "rt", raw_rt) if raw_rt else ""
        rw = self.rt_rw(line, "rw", raw_rw) if raw_rw else ""
        father = self.name(line, "father_name", father) if father else ""
        mother = self.name(line, "mother_name", mother) if mother else ""
        if born and died_on and died_on < born:
            self.error(line, "died_on", _("The date of death is before the birth date."),
                       "death_before_birth")  # fmt: skip
        if nik:
            seen = self.niks.setdefault(nik, line)
            if seen != line:
                self.error(line, "nik", _("NIK %(nik)s is also on line %(line)d.")
                           % {"nik": nik, "line": seen}, "nik_twice")  # fmt: skip
            if born and sex:
                self.agreement(line, nik, born, sex)
        if kk:
            self.first_line.setdefault(kk, line)
            if relation == HEAD:
                seen = self.heads.setdefault(kk, line)
                if seen != line:
                    self.error(line, "relation",
                               _("The family %(kk)s already has its head on line %(line)d.")
                               % {"kk": kk, "line": seen}, "two_heads")  # fmt: skip
        if self.own_errors != errors:
            return None
        return Row(
            line, nik, kk, name, born, sex, birth_place[:80], religion, marital, relation,
            father, mother, address[:200], rt, rw, village_code, village[:120], status, died_on,
            moved_to[:200],
        )  # fmt: skip

    def nik(self, line: int, raw: Any) -> str:
        if isinstance(raw, NumberCell):
            message = _(
                "The NIK is a number cell: Excel keeps 15 digits of a number. Format the column "
                "as Text."
            )
            self.error(line, "nik", message, "nik_number_cell")
            return ""
        try:
            return parse_nik(_text(raw)).value
        except NikError as exc:
            self.error(line, "nik", str(exc.message), exc.code)
            return ""

    def kk(self, line: int, raw: Any) -> str:
        if isinstance(raw, NumberCell):
            message = _(
                "The KK number is a number cell: Excel keeps 15 digits of a number. Format the "
                "column as Text."
            )
            self.error(line, "kk_number", message, "kk_number_cell")
            return ""
        kk = clean_kk(_text(raw))
        if kk is None:
            self.error(line, "kk_number",
                       _("%(value)r is not a KK number (16 digits, the region part not 00).")
                       % {"value": _text(raw)}, "kk_invalid")  # fmt: skip
            return ""
        return kk

    def name(self, line: int, attr: str, value: Any, *, required: bool = False) -> str:
        value = _text(value)
        if not value:
            if required:
                self.error(line, attr, _("The name is empty."), "name_required")
            return ""
        if len(value) > 120 or not _LETTER.search(value) or "*" in value:
            self.error(line, attr, _("%(value)r is not a name (letters, at most 120 "
                                     "characters, no '*').") % {"value": value[:40]},
                       "name_invalid")  # fmt: skip
            return ""
        return value

    def day(self, line: int, attr: str, value: Any, *, required: bool) -> date | None:
        if value == "":
            if required:
                self.error(line, attr, _("The date is empty."), "date_required")
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.error(line, attr, _("%(value)r is not a date (DD-MM-YYYY or YYYY-MM-DD).")
                       % {"value": _text(value)}, "date_invalid")  # fmt: skip
            return None
        if parsed > self.today or parsed.year < 1880:
            self.error(line, attr, _("%(value)s is not a possible date.")
                       % {"value": parsed.strftime("%d-%m-%Y")}, "date_impossible")  # fmt: skip
            return None
        return parsed

    def coded(self, line: int, attr: str, value: Any, words: dict[str, str], code: str) -> str:
        value = _text(value)
        if not value:
            return ""
        key = value.upper()
        found = words.get(key)
        if found is None and attr == "religion" and key.startswith("KEPERCAYAAN"):
            found = "kepercayaan"
        if found is None:
            self.error(line, attr, _("%(value)r is not a value this column knows (see "
                                     "docs/registry.md).") % {"value": value}, code)  # fmt: skip
            return ""
        return found

    def marital(self, line: int, value: Any) -> str:
        value = _text(value)
        if not value:
            return ""
        key = value.upper()
        if key in MARITAL_CODES:
            return MARITAL_CODES[key]
        for prefix, code in MARITAL:
            if key.startswith(prefix):
                return code
        self.error(line, "marital_status", _("%(value)r is not a marital status (BELUM KAWIN, "
                                             "KAWIN, CERAI HIDUP, CERAI MATI).")
                   % {"value": value}, "marital_invalid")  # fmt: skip
        return ""

    def village_code(self, line: int, value: Any) -> str:
        value = _text(value)
        match = _VILLAGE.match(value)
        if not match:
            self.error(line, "village_code", _("%(value)r is not a village code (PP.KK.DD.NNNN).")
                       % {"value": value}, "village_invalid")  # fmt: skip
            return ""
        code = ".".join(match.groups())
        if code[:5] != self.region:
            self.error(line, "village_code",
                       _("The village %(code)s is not in the regency %(region)s.")
                       % {"code": code, "region": self.region}, "village_elsewhere")  # fmt: skip
            return ""
        return code

    def rt_rw(self, line: int, attr: str, value: Any) -> str:
        value = _text(value)
        if not value.isdigit() or len(value) > 3:
            self.error(line, attr, _("%(value)r is not an RT or RW number (up to 3 digits).")
                       % {"value": value}, "rt_rw_invalid")  # fmt: skip
            return ""
        return f"{int(value):03d}"

    def agreement(self, line: int, nik: str, born: date, sex: str) -> None:
        day, month, year2 = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
        female = day > 40
        day -= 40 if female else 0
        if (day, month, year2) != (born.day, born.month, born.year % 100):
            self.finding(line, "birth_date",
                         _("The NIK encodes the birth date %(nik_date)s, the row says "
                           "%(born)s (imported; the Data Ganda check warns about it).")
                         % {"nik_date": f"{day:02d}-{month:02d}-{year2:02d}",
                            "born": born.strftime("%d-%m-%Y")},
                         "nik_birth_date_disagrees")  # fmt: skip
        if female != (sex == "P"):
            self.finding(line, "sex", _("The NIK is a %(nik_sex)s's, the row says %(sex)s "
                                        "(imported; the Data Ganda check warns about it).")
                         % {"nik_sex": _("woman") if female else _("man"),
                            "sex": _("woman") if sex == "P" else _("man")},
                         "nik_sex_disagrees")  # fmt: skip

    def families_without_head(self) -> None:
        for kk, line in self.first_line.items():
            if kk not in self.heads:
                self.finding(line, "relation",
                             _("The family %(kk)s has no head (KEPALA KELUARGA) in the file.")
                             % {"kk": kk}, "no_head")  # fmt: skip


# --------------------------------------------------------------------------- writing in bulk


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Table:
    """Many rows into one model's table at once, around the ORM (whose bulk_create spends most
    of an import building instances and SQL): COPY with ids taken from the table's sequence on
    PostgreSQL, multi-row INSERT … RETURNING elsewhere. Callers give each row's values as the
    database takes them (dates adapted, JSON as text); a column left out gets its default."""

    def __init__(self, model):
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.table = model._meta.db_table
        self.pk = model._meta.pk.column
        self.names = [f.attname for f in fields]
        self.defaults = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        table = quote(self.table)
        self.head = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 - model names
        self.marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
        self.tail = f" RETURNING {quote(self.pk)}"
        self.copy = f"COPY {table} ({quote(self.pk)}, {columns}) FROM STDIN"
        limit = 999
        if connection.vendor == "sqlite":
            with connection.cursor():
                getlimit = getattr(connection.connection, "getlimit", None)
                if getlimit is not None:
                    limit = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self.per_statement = max(1, min(1000, limit // len(fields)))

    def values(self, row: dict[str, Any]) -> list[Any]:
        defaults = self.defaults
        return [row[name] if name in row else defaults[name] for name in self.names]

    def insert(self, rows: Sequence[list[Any]]) -> list[int]:
        if not rows:
            return []
        if connection.vendor == "postgresql":
            return self._copy(rows)
        ids: list[int] = []
        with connection.cursor() as cursor:
            for chunk in _chunks(rows, self.per_statement):
                sql = self.head + ", ".join([self.marks] * len(chunk)) + self.tail
                cursor.execute(sql, [value for row in chunk for value in row])
                ids.extend(pk for (pk,) in cursor.fetchall())
        return ids

    def _copy(self, rows: Sequence[list[Any]]) -> list[int]:
        """PostgreSQL: the ids taken from the table's sequence, the rows sent with COPY."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [self.table, self.pk, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
            with cursor.cursor.copy(self.copy) as copy:
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row((pk, *row))
        return ids


class Writer:
    """Writes checked rows in bulk: a family per new KK number, a resident per row with its
    folded keys, an ``imported`` history entry per resident; :meth:`finish` sets the heads.
    Run it inside a transaction (:meth:`write_all` opens one)."""

    def __init__(self, *, region: str, now: datetime, source: str = "", by=None,
                 batch_size: int = 2000, history: bool = True):  # fmt: skip
        self.region, self.now, self.by = region, now, by
        self.source = source[:200]
        self.batch_size = batch_size
        self.history = history
        self.family_ids: dict[str, int] = {}
        self.created: list[int] = []
        self.residents = 0
        self.reason = _("Imported from %(source)s") % {"source": self.source}
        self.tables: dict[type, _Table] = {}
        self.heads: dict[int, int] = {}  # family id -> its head's resident id

    def table(self, model) -> _Table:
        if model not in self.tables:
            self.tables[model] = _Table(model)
        return self.tables[model]

    def write(self, rows: Sequence[Row]) -> None:
        region = self.region
        now = connection.ops.adapt_datetimefield_value(self.now)
        day = connection.ops.adapt_datefield_value
        fold = fold_name
        families = self.table(Family)
        new: dict[str, list[Any]] = {}
        for r in rows:
            if r.kk_number not in self.family_ids and r.kk_number not in new:
                new[r.kk_number] = families.values({
                    "kk_number": r.kk_number, "address": r.address, "rt": r.rt, "rw": r.rw,
                    "village_code": r.village_code, "village": r.village, "region": region,
                    "active": True, "created_at": now, "updated_at": now,
                })  # fmt: skip
        if new:
            for kk, pk in zip(new, families.insert(list(new.values())), strict=True):
                self.family_ids[kk] = pk
                self.created.append(pk)
        ids = self.family_ids
        residents = self.table(Resident)
        resident_ids = residents.insert(
            [
                residents.values(
                    {
                        "nik": r.nik,
                        "name": r.name,
                        "name_key": fold(r.name),
                        "birth_place": r.birth_place,
                        "birth_date": day(r.birth_date),
                        "sex": r.sex,
                        "religion": r.religion,
                        "marital_status": r.marital_status,
                        "relation": r.relation,
                        "father_name": r.father_name,
                        "mother_name": r.mother_name,
                        "mother_key": fold(r.mother_name),
                        "family_id": ids[r.kk_number],
                        "region": region,
                        "status": r.status,
                        "died_on": day(r.died_on),
                        "moved_to": r.moved_to,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                for r in rows
            ]
        )
        self.residents += len(resident_ids)
        for pk, r in zip(resident_ids, rows, strict=True):
            if r.relation == HEAD:
                self.heads.setdefault(ids[r.kk_number], pk)
        if self.history:
            changes = self.table(RegistryChange)
            source = json.dumps(self.source, ensure_ascii=False)
            base = {"kind": RegistryChange.Kind.IMPORTED.value, "reason": self.reason,
                    "region": region, "by_id": self.by.pk if self.by is not None else None,
                    "at": now, "before": "{}"}  # fmt: skip
            changes.insert([
                changes.values({**base, "resident_id": pk,
                                "after": f'{{"source": {source}, "line": {r.line}}}'})
                for pk, r in zip(resident_ids, rows, strict=True)
            ])  # fmt: skip

    def finish(self) -> dict[str, int]:
        """Each new family's head: its first member whose relation is *kepala*."""
        pairs = list(self.heads.items())
        table = connection.ops.quote_name(Family._meta.db_table)
        by_arrays = (
            f"UPDATE {table} AS f SET head_id = v.head FROM "  # noqa: S608 - the model's table
            "unnest(%s::bigint[], %s::bigint[]) AS v(id, head) WHERE f.id = v.id"
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for chunk in _chunks(pairs, 50_000):
                    cursor.execute(by_arrays, [[f for f, _h in chunk], [h for _f, h in chunk]])
            else:
                cursor.executemany(
                    f"UPDATE {table} SET head_id = %s WHERE id = %s",  # noqa: S608 - model table
                    [(head, family) for family, head in pairs],
                )
        return {"families": len(self.created), "residents": self.residents}

    def write_all(self, rows: Iterable[Row]) -> dict[str, int]:
        with transaction.atomic():
            batch: list[Row] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= self.batch_size:
                    self.write(batch)
                    batch = []
            if batch:
                self.write(batch)
            return self.finish()


# --------------------------------------------------------------------------- the import


def _region_of(rows: Iterator[tuple[int, list[Any]]], columns) -> tuple[str, list]:
    """The regency of the first data row (its village code, else its KK number), and the rows
    read to find it."""
    taken = []
    for line, cells in rows:
        taken.append((line, cells))
        for attr in ("village_code", "kk_number"):
            if attr in columns and columns[attr][0] < len(cells):
                digits = re.sub(r"[^0-9]", "", _text(cells[columns[attr][0]]))
                if len(digits) >= 4 and digits[:4] != "0000":
                    return f"{digits[:2]}.{digits[2:4]}", taken
    return "", taken


def import_file(
    path: str | Path,
    *,
    region: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
    by=None,
    batch_size: int = 2000,
    max_listed: int = 1000,
) -> ImportResult:
    """Check and (unless ``dry_run``, and only without any error) store an export; see the
    module's documentation. ``region`` is the holding regency ``PP.KK`` (default: the first
    row's). At most ``max_listed`` errors and findings are listed; all are counted."""
    started = time.monotonic()
    now = now or timezone.now()
    path = Path(path)
    rows = read_file(path)
    result = ImportResult()
    header: list[Any] | None = None
    for _line, cells in rows:
        if any(c != "" for c in cells):
            header = cells
            break
    if header is None:
        raise ImportFileError(_("The file is empty."))
    columns, result.ignored_columns = map_header(header)
    if not region:
        region, taken = _region_of(rows, columns)
        rows = _chain_rows(taken, rows)
    if not _REGION.match(region or ""):
        raise ImportFileError(
            _("%(region)r is not a regency code (PP.KK); give it with --region.")
            % {"region": region}
        )
    result.region = region
    checker = _Checker(columns, len(header), region, timezone.localdate(now), result, max_listed)
    writer = Writer(region=region, now=now, source=path.name, by=by, batch_size=batch_size)
    # The file is read and checked in a thread while this one writes the batches checked
    # so far (the database works meanwhile), all in this thread's one transaction.
    checked: queue.Queue = queue.Queue(maxsize=4)
    stop = threading.Event()
    reader = threading.Thread(
        target=_check_rows, args=(rows, checker, batch_size, checked, stop),
        name="registry-import-check", daemon=True,
    )  # fmt: skip
    try:
        with transaction.atomic():
            # an empty registry (the first load) has no NIK or KK number to collide with
            checker.registry_filled = Resident.objects.exists() or Family.objects.exists()
            dropped = []
            if (connection.vendor == "postgresql" and not checker.registry_filled
                    and not dry_run and path.stat().st_size > BUILD_INDEXES_AFTER):  # fmt: skip
                dropped = _drop_secondary_indexes((Family, Resident, RegistryChange))
            reader.start()
            while (batch := checked.get()) is not None:
                if isinstance(batch, BaseException):
                    raise batch
                _store(batch, checker, writer, dry_run)
            if result.ok and not dry_run:
                counts = writer.finish()
                _create_indexes(dropped)
                result.families, result.residents = counts["families"], counts["residents"]
                result.stored = True
            else:
                transaction.set_rollback(True)
                result.families, result.residents = len(checker.first_line), len(checker.niks)
    finally:
        stop.set()
        if reader.is_alive():
            reader.join(timeout=10)
    result.errors.sort(key=lambda p: p.line)
    result.findings.sort(key=lambda p: p.line)
    result.seconds = time.monotonic() - started
    return result


# A first load larger than this (bytes) builds the registry tables' secondary indexes after
# the rows are in (once, sorted) instead of updating them row by row: a third of the time.
BUILD_INDEXES_AFTER = 5_000_000


def _drop_secondary_indexes(models) -> list[str]:
    """PostgreSQL: drop the indexes of ``models``' tables that are neither a primary key nor a
    constraint's, inside the import's transaction (which holds the tables until it ends; a
    rollback brings them back); returns their definitions."""
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = ANY(%s::regclass[]) AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            [tables],
        )
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [definition for _name, definition in found]


def _create_indexes(definitions: list[str]) -> None:
    if not definitions:
        return
    connection.check_constraints()  # the deferred foreign-key checks first: then CREATE INDEX
    with connection.cursor() as cursor:
        for definition in definitions:
            cursor.execute(definition)


def _check_rows(rows: Iterator[tuple[int, list[Any]]], checker: _Checker, batch_size: int,
                out: queue.Queue, stop: threading.Event) -> None:  # fmt: skip
    """Check the rows, putting batches of good ones on ``out``, then None (or the exception
    that stopped the reading)."""

    def put(item) -> None:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    try:
        batch: list[Row] = []
        for line, cells in rows:
            if stop.is_set():
                return
            if not any(c != "" for c in cells):
                continue
            checker.result.rows += 1
            row = checker.row(line, cells)
            if row is not None:
                batch.append(row)
            if len(batch) >= batch_size:
                put(batch)
                batch = []
        put(batch)
        checker.families_without_head()
        put(None)
    except BaseException as exc:  # noqa: BLE001 - handed to the importing thread
        put(exc)


def _chain_rows(taken: list, rest: Iterator) -> Iterator[tuple[int, list[Any]]]:
    yield from taken
    yield from rest


def _store(batch: list[Row], checker: _Checker, writer: Writer, dry_run: bool) -> None:
    """The batch's NIKs and new KK numbers checked against the registry, then written (while
    the file has no error)."""
    if not batch:
        return
    new_kks = {}
    for r in batch:
        if r.kk_number not in writer.family_ids:
            new_kks.setdefault(r.kk_number, r.line)
    if checker.registry_filled:
        niks = {r.nik: r.line for r in batch}
        taken = (
            Resident.objects.filter(nik__in=list(niks))
            .exclude(status=LifeStatus.INACTIVE)
            .values_list("nik", flat=True)
        )
        for nik in taken:
            checker.error(niks[nik], "nik", _("NIK %(nik)s is already in the registry.")
                          % {"nik": nik}, "nik_registered", mine=False)  # fmt: skip
        for kk in Family.objects.filter(kk_number__in=list(new_kks)).values_list(
            "kk_number", flat=True
        ):
            checker.error(new_kks[kk], "kk_number",
                          _("The KK number %(kk)s is already in the registry: an import adds "
                            "new families only.") % {"kk": kk}, "kk_registered",
                          mine=False)  # fmt: skip
    if checker.result.ok and not dry_run:
        writer.write(batch)
    else:
        # nothing is written once there is an error: the KK numbers are only remembered
        for kk in new_kks:
            writer.family_ids.setdefault(kk, 0)
