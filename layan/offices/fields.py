"""The data-entry form of a service: field definitions (data in the catalogue) and their checks.

An office describes the data its officers type at the data-entry step of a flow (the family
members of a Kartu Keluarga, the birth details of an akta) as ``fields`` in its catalogue, next to
the questions the bot asks. Values live in the request's ``form_data`` under the field codes, so a
field with the code of a bot question or a text/NIK requirement starts filled with the resident's
answer. The same checks run in the console form and in the engine before a data-entry step may
be completed, so nothing reaches the Kasi with a missing or malformed value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from layan.offices.problems import Problem
from layan.registry.nik import NikError, parse_nik

FIELD_KINDS = ("text", "textarea", "nik", "kk", "number", "date", "choice", "table")
COLUMN_KINDS = tuple(k for k in FIELD_KINDS if k not in ("table", "textarea"))
_KEY = re.compile(r"^[a-z0-9_]+$")
MAX_TEXT = 500
MAX_ROWS = 30


@dataclass(frozen=True)
class Field:
    code: str
    label: str
    kind: str
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()
    columns: tuple[Field, ...] = ()
    min_rows: int = 0
    max_rows: int = MAX_ROWS
    help: str = ""

    def choice_label(self, value: Any) -> str:
        return next((label for v, label in self.choices if v == str(value)), str(value or ""))


def _pairs(raw: Any) -> list[tuple[str, str]]:
    items = raw.items() if isinstance(raw, dict) else raw or []
    return [(str(value), str(label)) for value, label in items]


def check_fields(raw: Any, where: str, *, columns: bool = False) -> list[Problem]:
    """Problems of a ``fields`` list in a catalogue (empty when it is well formed)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        return [Problem(where, N_("fields must be a list"))]
    problems: list[Problem] = []
    seen: set[str] = set()
    kinds = COLUMN_KINDS if columns else FIELD_KINDS
    for item in raw:
        if not isinstance(item, dict):
            problems.append(Problem(where, N_("field %(field)r must be a mapping"), field=item))
            continue
        code = item.get("code")
        if not isinstance(code, str) or not _KEY.match(code) or code in seen:
            problems.append(
                Problem(where, N_("field code %(code)r is invalid or repeated"), code=code)
            )
            continue
        seen.add(code)
        here = f"{where}: field {code}"
        unknown = set(item) - {
            "code",
            "label",
            "kind",
            "required",
            "choices",
            "columns",
            "min_rows",
            "max_rows",
            "help",
        }
        if unknown:
            problems.append(
                Problem(
                    here,
                    N_("unknown key(s) %(keys)s"),
                    keys=", ".join(sorted(map(str, unknown))),
                )
            )
        if not item.get("label"):
            problems.append(Problem(here, N_("label is missing")))
        kind = item.get("kind")
        if kind not in kinds:
            problems.append(
                Problem(here, N_("kind must be one of %(kinds)s"), kinds=", ".join(kinds))
            )
        if not isinstance(item.get("required", True), bool):
            problems.append(Problem(here, N_("required must be true or false")))
        if kind == "choice" and not (isinstance(item.get("choices"), dict) and item["choices"]):
            problems.append(Problem(here, N_("choices must be a non-empty mapping")))
        if kind == "table":
            if not item.get("columns"):
                problems.append(Problem(here, N_("a table needs columns")))
            problems += check_fields(item.get("columns"), here, columns=True)
            lo, hi = item.get("min_rows", 0), item.get("max_rows", MAX_ROWS)
            if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi <= MAX_ROWS):
                problems.append(
                    Problem(
                        here,
                        N_("rows must satisfy 0 ≤ min_rows ≤ max_rows ≤ %(max)s"),
                        max=MAX_ROWS,
                    )
                )
    return problems


def stored_fields(raw: list[dict] | None) -> list[dict]:
    """The catalogue's fields as stored on the service (choices as ordered pairs for jsonb)."""
    out = []
    for item in raw or []:
        item = dict(item)
        if "choices" in item:
            item["choices"] = [list(pair) for pair in _pairs(item["choices"])]
        if "columns" in item:
            item["columns"] = stored_fields(item["columns"])
        out.append(item)
    return out


def parse_fields(raw: list[dict] | None) -> list[Field]:
    return [
        Field(
            code=item["code"],
            label=str(item["label"]),
            kind=item["kind"],
            required=bool(item.get("required", True)),
            choices=tuple(_pairs(item.get("choices"))),
            columns=tuple(parse_fields(item.get("columns"))),
            min_rows=int(item.get("min_rows", 1 if item.get("required", True) else 0)),
            max_rows=int(item.get("max_rows", MAX_ROWS)),
            help=str(item.get("help") or ""),
        )
        for item in raw or []
    ]


def fields_of(service) -> list[Field]:
    return parse_fields(service.fields)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def clean_value(spec: Field, value: Any) -> tuple[Any, str | None]:
    """One value checked against its field: (the value to store, an error or None)."""
    if spec.kind == "table":
        rows = value if isinstance(value, list) else []
        kept, problems = [], []
        for number, row in enumerate(rows, start=1):
            row = row if isinstance(row, Mapping) else {}
            if all(_empty(row.get(c.code)) for c in spec.columns):
                continue  # an untouched blank row
            clean_row = {}
            for column in spec.columns:
                cleaned, error = clean_value(column, row.get(column.code))
                clean_row[column.code] = cleaned
                if error:
                    problems.append(
                        _("row %(n)s, %(label)s: %(error)s")
                        % {"n": number, "label": column.label, "error": error}
                    )
            kept.append(clean_row)
        if problems:
            return kept, "; ".join(problems)
        if len(kept) < spec.min_rows:
            return kept, _("at least %(n)s row(s) are needed") % {"n": spec.min_rows}
        if len(kept) > spec.max_rows:
            return kept, _("at most %(n)s rows") % {"n": spec.max_rows}
        return kept, None

    text = "" if value is None else str(value).strip()
    if not text:
        return "", (_("this field is required") if spec.required else None)
    if len(text) > MAX_TEXT * (4 if spec.kind == "textarea" else 1):
        return text, _("too long")
    if spec.kind == "nik":
        try:
            return parse_nik(text).value, None
        except NikError as exc:
            return text, str(exc.message)
    if spec.kind == "kk":
        digits = re.sub(r"[\s.-]", "", text)
        if not (digits.isascii() and digits.isdigit() and len(digits) == 16):
            return text, _("a KK number has 16 digits")
        return digits, None
    if spec.kind == "number":
        try:
            number = int(text)
        except ValueError:
            return text, _("enter a whole number")
        if number < 0:
            return text, _("enter a whole number")
        return number, None
    if spec.kind == "date":
        try:
            day = date.fromisoformat(text)
        except ValueError:
            try:
                d, m, y = re.split(r"[-/.]", text)
                day = date(int(y), int(m), int(d))
            except (ValueError, TypeError):
                return text, _("enter a date such as 17-08-1990")
        if day.year < 1900 or day > date.today():
            return text, _("the date must be between 1900 and today")
        return day.isoformat(), None
    if spec.kind == "choice":
        if text not in {value for value, _label in spec.choices}:
            return text, _("choose one of the options")
        return text, None
    return " ".join(text.split()) if spec.kind == "text" else text, None


def clean_values(
    specs: list[Field], values: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check every field of the form: (values to store, errors by field code)."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in specs:
        value, error = clean_value(spec, values.get(spec.code))
        cleaned[spec.code] = value
        if error:
            errors[spec.code] = error
    return cleaned, errors


def incomplete(specs: list[Field], form_data: Mapping[str, Any]) -> list[str]:
    """Labels of the fields whose stored value is missing or invalid (empty: ready to go on)."""
    _cleaned, errors = clean_values(specs, form_data)
    return [spec.label for spec in specs if spec.code in errors]
