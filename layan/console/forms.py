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

    @property
    def input_type(self) -> str:
        return INPUT_TYPES.get(self.spec.kind, "text")

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
