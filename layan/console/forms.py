"""The data-entry form: the service's fields (data) turned into inputs and back into values.

Plain functions instead of a Django ``Form`` class: the fields, and a table's rows, are only
known per service at run time, and the checks themselves live in ``layan.offices.fields`` so the
engine and the form can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from layan.offices.fields import MAX_ROWS, Field

INPUT_TYPES = {"date": "date", "number": "number", "nik": "text", "kk": "text", "text": "text"}


def rows_wanted(spec: Field, post: Mapping[str, Any], stored: list | None) -> int:
    """How many table rows to show: what was posted (plus one on "add row"), else stored + 1."""
    try:
        count = int(post.get(f"{spec.code}-rows", ""))
    except ValueError:
        count = len(stored or []) + 1
    if post.get("add_row") == spec.code:
        count += 1
    return max(1, spec.min_rows, min(count, spec.max_rows, MAX_ROWS))


def values_from_post(specs: list[Field], post: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for spec in specs:
        if spec.kind == "table":
            count = rows_wanted(spec, post, None)
            values[spec.code] = [
                {c.code: post.get(f"{spec.code}-{i}-{c.code}", "") for c in spec.columns}
                for i in range(count)
            ]
        else:
            values[spec.code] = post.get(spec.code, "")
    return values


@dataclass
class Input:
    spec: Field
    name: str
    value: Any
    error: str = ""
    cells: list[list[Input]] = field(default_factory=list)  # table rows
    registry: str | None = None  # the registry's value after a look-up (None: not looked up)

    @property
    def input_type(self) -> str:
        return INPUT_TYPES.get(self.spec.kind, "text")

    @property
    def registry_label(self) -> str:
        return self.spec.choice_label(self.registry) if self.registry is not None else ""

    @property
    def differs_from_registry(self) -> bool:
        """Both the form and the registry have a value, and they are not the same."""
        value = "" if self.value is None else str(self.value)
        return bool(self.registry) and bool(value) and _same(value) != _same(self.registry)

    @property
    def row_count(self) -> int:
        return len(self.cells)


def _shown(value: Any) -> Any:
    """The value for an input box: nothing for None, but a 0 stays 0."""
    return "" if value is None else value


def inputs(
    specs: list[Field],
    values: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    post: Mapping[str, Any] | None = None,
) -> list[Input]:
    """What the template renders: every field with its current value and error."""
    errors = errors or {}
    out = []
    for spec in specs:
        value = values.get(spec.code)
        item = Input(spec, spec.code, _shown(value), errors.get(spec.code, ""))
        if spec.kind == "table":
            rows = value if isinstance(value, list) else []
            count = (
                rows_wanted(spec, post or {}, rows)
                if post
                else max(1, spec.min_rows, len(rows) + (0 if rows else 1))
            )
            for i in range(count):
                row = rows[i] if i < len(rows) and isinstance(rows[i], Mapping) else {}
                item.cells.append(
                    [
                        Input(c, f"{spec.code}-{i}-{c.code}", _shown(row.get(c.code)))
                        for c in spec.columns
                    ]
                )
        out.append(item)
    return out


# --------------------------------------------------------------------------- from the registry


def _same(value: Any) -> str:
    return " ".join(str(value).casefold().split())


def _choice(spec: Field, value: Any) -> str:
    """A registry value as the field's own value: a choice matched by its value or its label."""
    text = "" if value is None else str(value)
    if spec.kind != "choice":
        return text
    for choice, label in spec.choices:
        if _same(choice) == _same(text) or _same(label) == _same(text):
            return choice
    return text


def _row_for(rows: list[dict], found: Mapping[str, Any], match: str, used: set[int]) -> int:
    """Which form row a registry row goes into: the row with its NIK, else the first unused
    empty row, else a new one (-1)."""
    nik = _same(found.get(match, "")) if match else ""
    if nik:
        for index, row in enumerate(rows):
            if index not in used and _same(row.get(match, "")) == nik:
                return index
    for index, row in enumerate(rows):
        if index not in used and not any(str(v or "").strip() for v in row.values()):
            return index
    return -1


def filled_from_registry(
    specs: list[Field], stored: Mapping[str, Any], found: Mapping[str, Any], match: Mapping
) -> list[Input]:
    """The data-entry inputs after a registry look-up (the form's fallback without JavaScript;
    ``registry.js`` does the same in the browser): an empty field takes the registry's value, a
    typed one is kept; each input knows the registry's value, so a field that differs from it is
    marked. Table rows are matched by their NIK column (``match``: table code -> column)."""
    values: dict[str, Any] = {}
    registry: dict[str, Any] = {}
    for spec in specs:
        if spec.code not in found:
            values[spec.code] = stored.get(spec.code)
            continue
        if spec.kind == "table":
            rows = [dict(r) for r in stored.get(spec.code) or [] if isinstance(r, Mapping)]
            marks: dict[int, dict[str, str]] = {}
            used: set[int] = set()
            columns = {c.code: c for c in spec.columns}
            for registry_row in found[spec.code]:
                index = _row_for(rows, registry_row, match.get(spec.code, ""), used)
                if index < 0:
                    if len(rows) >= min(spec.max_rows, MAX_ROWS):
                        break
                    rows.append({})
                    index = len(rows) - 1
                used.add(index)
                row = rows[index]
                for code, value in registry_row.items():
                    if code not in columns:
                        continue
                    value = _choice(columns[code], value)
                    if not str(row.get(code) or "").strip():
                        row[code] = value
                    marks.setdefault(index, {})[code] = value
            values[spec.code] = rows
            registry[spec.code] = marks
        else:
            value = _choice(spec, found[spec.code])
            current = stored.get(spec.code)
            values[spec.code] = value if current in (None, "") else current
            registry[spec.code] = value
    items = inputs(specs, values)
    for item in items:
        marks = registry.get(item.spec.code)
        if marks is None:
            continue
        if item.spec.kind != "table":
            item.registry = marks
            continue
        for index, cells in enumerate(item.cells):
            for cell in cells:
                if cell.spec.code in marks.get(index, {}):
                    cell.registry = marks[index][cell.spec.code]
    return items
