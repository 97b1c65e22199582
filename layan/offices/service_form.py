"""A service's catalogue entry as the catalogue editor's form shows it, and back; and the rows'
operations (add, remove, move a question, a requirement, a field, a table column, a pickup
item). Pure functions on the stored entry (choices as ordered pairs); a form only overwrites the
keys it shows, so whatever else an item has stays and the checks name it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

FIELD_KEYS = ("code", "label", "kind", "required", "help", "choices", "min_rows", "max_rows")
OPS = ("in", "eq", "gte", "gt", "lte", "lt")


def _text(form: Mapping[str, str], name: str) -> str:
    return " ".join((form.get(name) or "").split())


def _set(item: dict, key: str, value: Any) -> None:
    if value in ("", None, [], {}):
        item.pop(key, None)
    else:
        item[key] = value


def _number(text: str) -> Any:
    text = (text or "").strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def choices_text(pairs: Any) -> str:
    items = pairs.items() if isinstance(pairs, dict) else pairs or []
    lines = []
    for pair in items:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            value, label = pair
            lines.append(str(value) if str(value) == str(label) else f"{value} = {label}")
    return "\n".join(lines)


def choices_from(text: str) -> list[list[str]]:
    pairs = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        value, sep, label = line.partition("=")
        value, label = value.strip(), label.strip()
        pairs.append([value, label if sep else value])
    return pairs


def condition_parts(condition: Any) -> tuple[str, str, str]:
    """(question, operator, value as typed) of a ``when``."""
    if not isinstance(condition, dict):
        return "", "", ""
    for op in OPS:
        if op in condition:
            value = condition[op]
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            return str(condition.get("question") or ""), op, "" if value is None else str(value)
    return str(condition.get("question") or ""), "", ""


def _condition(form: Mapping[str, str], prefix: str) -> dict[str, Any] | None:
    question = form.get(f"{prefix}wq") or ""
    if not question:
        return None
    op = form.get(f"{prefix}wop") or "in"
    raw = form.get(f"{prefix}wv") or ""
    if op == "in":
        value: Any = [v.strip() for v in raw.split(",") if v.strip()]
    elif op == "eq":
        value = raw.strip()
    else:
        value = _number(raw)
    return {"question": question, op: value}


def _count(form: Mapping[str, str], name: str, stored: int) -> int:
    raw = form.get(name)
    if raw is None:
        return stored
    if not raw.isdigit() or int(raw) != stored:
        raise ValueError(name)
    return stored


def _field(form: Mapping[str, str], prefix: str, stored: dict[str, Any], *, column: bool) -> dict:
    item = dict(stored)
    item["code"] = (form.get(f"{prefix}code") or "").strip()
    item["label"] = _text(form, f"{prefix}label")
    item["kind"] = form.get(f"{prefix}kind") or ""
    _set(item, "required", None if form.get(f"{prefix}required") else False)
    _set(item, "help", _text(form, f"{prefix}help"))
    _set(
        item,
        "choices",
        choices_from(form.get(f"{prefix}choices", "")) if item["kind"] == "choice" else None,
    )
    if column:
        return item
    if item["kind"] == "table":
        for key in ("min_rows", "max_rows"):
            _set(item, key, _number(form.get(f"{prefix}{key}", "")))
        columns = stored.get("columns") if isinstance(stored.get("columns"), list) else []
        count = _count(form, f"{prefix}c-count", len(columns))
        item["columns"] = [
            _field(
                form,
                f"{prefix}c-{j}-",
                columns[j] if isinstance(columns[j], dict) else {},
                column=True,
            )
            for j in range(count)
        ]
    else:
        for key in ("min_rows", "max_rows", "columns"):
            item.pop(key, None)
    return item


def service_from_form(form: Mapping[str, str], stored: Mapping[str, Any]) -> dict[str, Any]:
    """The service entry after the form (raises ValueError when the form has another number of
    rows than the stored entry: it was made from an older draft)."""
    entry = copy.deepcopy(dict(stored))
    entry["name"] = _text(form, "name")
    entry["short_name"] = _text(form, "short_name")
    entry["output"] = _text(form, "output")

    questions = entry.get("questions") if isinstance(entry.get("questions"), list) else []
    out = []
    for i in range(_count(form, "q-count", len(questions))):
        prefix = f"q-{i}-"
        item = dict(questions[i]) if isinstance(questions[i], dict) else {}
        item["code"] = (form.get(f"{prefix}code") or "").strip()
        item["label"] = _text(form, f"{prefix}label")
        item["kind"] = form.get(f"{prefix}kind") or ""
        _set(
            item,
            "choices",
            choices_from(form.get(f"{prefix}choices", "")) if item["kind"] == "choice" else None,
        )
        for key in ("min", "max"):
            _set(
                item,
                key,
                _number(form.get(f"{prefix}{key}", "")) if item["kind"] == "number" else None,
            )
        out.append(item)
    entry["questions"] = out

    requirements = entry.get("requirements") if isinstance(entry.get("requirements"), list) else []
    out = []
    for i in range(_count(form, "r-count", len(requirements))):
        prefix = f"r-{i}-"
        item = dict(requirements[i]) if isinstance(requirements[i], dict) else {}
        item["code"] = (form.get(f"{prefix}code") or "").strip()
        item["label"] = _text(form, f"{prefix}label")
        item["kind"] = form.get(f"{prefix}kind") or ""
        item["required"] = bool(form.get(f"{prefix}required"))
        _set(item, "when", _condition(form, prefix))
        out.append(item)
    entry["requirements"] = out

    fields = entry.get("fields") if isinstance(entry.get("fields"), list) else []
    entry["fields"] = [
        _field(form, f"f-{i}-", fields[i] if isinstance(fields[i], dict) else {}, column=False)
        for i in range(_count(form, "f-count", len(fields)))
    ]

    bring = entry.get("bring_on_pickup") if isinstance(entry.get("bring_on_pickup"), list) else []
    out = []
    for i in range(_count(form, "b-count", len(bring))):
        prefix = f"b-{i}-"
        item = dict(bring[i]) if isinstance(bring[i], dict) else {}
        item["label"] = _text(form, f"{prefix}label")
        _set(item, "when", _condition(form, prefix))
        out.append(item)
    entry["bring_on_pickup"] = out
    return entry


LISTS = {
    "question": ("questions", lambda n: {"code": f"pertanyaan_{n}", "label": "", "kind": "text"}),
    "requirement": (
        "requirements",
        lambda n: {"code": f"persyaratan_{n}", "label": "", "kind": "photo", "required": True},
    ),
    "field": ("fields", lambda n: {"code": f"isian_{n}", "label": "", "kind": "text"}),
    "bring": ("bring_on_pickup", lambda n: {"label": ""}),
}


def apply_op(stored: Mapping[str, Any], op: str) -> dict[str, Any]:
    """One row operation (``add_requirement``, ``remove_field:2``, ``move_question:1:-1``,
    ``add_column:3``, ``remove_column:3:0``); an unknown one changes nothing."""
    entry = copy.deepcopy(dict(stored))
    name, _, arg = op.partition(":")
    parts = [int(p) if p.lstrip("-").isdigit() else None for p in arg.split(":")] if arg else []
    verb, _, what = name.partition("_")
    if what in ("column",) and parts and parts[0] is not None:
        fields = entry.get("fields") or []
        if 0 <= parts[0] < len(fields) and isinstance(fields[parts[0]], dict):
            columns = list(fields[parts[0]].get("columns") or [])
            if verb == "add":
                taken = {c.get("code") for c in columns if isinstance(c, dict)}
                code = next(f"kolom_{n}" for n in range(1, 100) if f"kolom_{n}" not in taken)
                columns.append({"code": code, "label": "", "kind": "text"})
            elif verb == "remove" and len(parts) == 2 and parts[1] is not None:
                columns = [c for j, c in enumerate(columns) if j != parts[1]]
            fields[parts[0]]["columns"] = columns
        return entry
    if what not in LISTS:
        return entry
    key, make = LISTS[what]
    items = list(entry.get(key) or [])
    if verb == "add":
        taken = {i.get("code") for i in items if isinstance(i, dict)}
        number = next(n for n in range(1, 1000) if make(n).get("code") not in taken)
        items.append(make(number))
    elif verb == "remove" and parts and parts[0] is not None and 0 <= parts[0] < len(items):
        del items[parts[0]]
    elif verb == "move" and len(parts) == 2 and parts[0] is not None and parts[1] in (-1, 1):
        other = parts[0] + parts[1]
        if 0 <= parts[0] < len(items) and 0 <= other < len(items):
            items[parts[0]], items[other] = items[other], items[parts[0]]
    entry[key] = items
    return entry
