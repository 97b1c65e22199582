"""What changed between two definitions of a flow, side by side: the flow's name and deadline,
its roles, its identity block, and its steps (activity, role, minutes, output, requirements, the
applicant's text, the step's work, its actions and where they lead).

Steps are paired by their words, not their numbers, so inserting a step shows one new row rather
than every later step changed; an action's target counts as unchanged when it still leads to the
same (paired) step under its new number. Pure functions, no database.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from layan.sop.definition import END, SopDefinition, Step, resolve_target
from layan.sop.document import approver_text, deadline_text

STEP_FIELDS = (
    "activity",
    "role",
    "minutes",
    "output",
    "requirements",
    "notes",
    "work",
    "applicant",
    "actions",
)


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any

    @staticmethod
    def _text(value: Any) -> str:
        if isinstance(value, list | tuple):
            return "; ".join(str(v) for v in value)
        return "" if value is None else str(value)

    @property
    def old_text(self) -> str:
        return self._text(self.old)

    @property
    def new_text(self) -> str:
        return self._text(self.new)


@dataclass(frozen=True)
class StepRow:
    """One row of the side-by-side view: a step of the old version, of the new one, or both."""

    status: str  # "same", "changed", "added", "removed"
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    changed: tuple[str, ...] = ()  # the STEP_FIELDS that differ


@dataclass(frozen=True)
class Diff:
    flow: tuple[FieldChange, ...]  # name, deadline, identity fields
    roles: tuple[FieldChange, ...]  # per role code: label / kind / column, added, removed
    steps: tuple[StepRow, ...]
    side_steps: tuple[StepRow, ...]
    minutes: tuple[int, int]  # total standard minutes before and after

    @property
    def empty(self) -> bool:
        return not (
            self.flow
            or self.roles
            or any(row.status != "same" for row in (*self.steps, *self.side_steps))
        )


def _role_label(definition: SopDefinition, code: str | None) -> str:
    if not code:
        return ""
    return next((r.label for r in definition.roles if r.code == code), code)


def _target_label(definition: SopDefinition, target: str | None) -> str:
    if target is None:
        return ""
    if target == END:
        return "selesai"
    return target


def _work(step: Step) -> list[str]:
    work = [
        flag
        for flag in ("intake", "auto", "data_entry", "visit", "registry_check")
        if getattr(step, flag)
    ]
    if step.document:
        work.append(f"document:{step.document}")
    if step.assisted_by:
        work.append(f"assisted_by:{step.assisted_by}")
    return work


def step_view(definition: SopDefinition, step: Step) -> dict[str, Any]:
    """A step's fields as the side-by-side view compares and shows them."""
    return {
        "key": step.key,
        "number": step.number,
        "side": step.side,
        "activity": step.activity,
        "role": step.role,
        "role_label": _role_label(definition, step.role),
        "minutes": step.minutes,
        "output": step.output,
        "requirements": list(step.requirements),
        "notes": step.notes,
        "work": _work(step),
        "applicant": {
            "visible": step.visible,
            "text": step.applicant_text,
            "notice": step.notice,
        },
        "actions": [
            {
                "id": action.id,
                "kind": action.kind,
                "label": action.label,
                "to": _target_label(definition, resolve_target(definition, step, action)),
                "note_required": action.note_required,
            }
            for action in step.actions
        ],
    }


def _pairs(old: list[Step], new: list[Step]) -> list[tuple[Step | None, Step | None]]:
    """Old and new steps paired by their activity; unequal runs are paired in order as far as
    they go (a reworded step), the rest added or removed."""
    matcher = difflib.SequenceMatcher(
        a=[s.activity for s in old], b=[s.activity for s in new], autojunk=False
    )
    pairs: list[tuple[Step | None, Step | None]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs.extend(zip(old[i1:i2], new[j1:j2], strict=True))
            continue
        olds, news = old[i1:i2], new[j1:j2]
        if tag == "replace":
            for a, b in zip(olds, news, strict=False):
                similar = difflib.SequenceMatcher(a=a.activity, b=b.activity).ratio() >= 0.5
                pairs.extend([(a, b)] if similar or a.role == b.role else [(a, None), (None, b)])
            olds, news = olds[len(news) :], news[len(olds) :]
        pairs.extend((a, None) for a in olds)
        pairs.extend((None, b) for b in news)
    return pairs


def _rows(
    before: SopDefinition,
    after: SopDefinition,
    pairs: list[tuple[Step | None, Step | None]],
    key_map: dict[str, str],
) -> tuple[StepRow, ...]:
    rows = []
    for old, new in pairs:
        if old is None:
            rows.append(StepRow("added", None, step_view(after, new)))
            continue
        if new is None:
            rows.append(StepRow("removed", step_view(before, old), None))
            continue
        a, b = step_view(before, old), step_view(after, new)
        changed = []
        for name in STEP_FIELDS:
            left, right = a[name], b[name]
            if name == "actions":
                left = [{**x, "to": key_map.get(x["to"], x["to"])} for x in left]
            if left != right:
                changed.append(name)
        rows.append(StepRow("changed" if changed else "same", a, b, tuple(changed)))
    return tuple(rows)


def _flow_changes(before: SopDefinition, after: SopDefinition) -> list[FieldChange]:
    changes = []
    if before.name != after.name:
        changes.append(FieldChange("name", before.name, after.name))
    if deadline_text(before) != deadline_text(after) or before.deadline != after.deadline:
        changes.append(FieldChange("deadline", deadline_text(before), deadline_text(after)))
    old_id, new_id = before.identity or {}, after.identity or {}
    for key in sorted(set(old_id) | set(new_id)):
        a, b = old_id.get(key), new_id.get(key)
        if key == "approved_by":
            a, b = approver_text(old_id), approver_text(new_id)
        if a != b and (a or b):
            changes.append(FieldChange(f"identity.{key}", a, b))
    if (before.source or {}).get("notes") != (after.source or {}).get("notes"):
        changes.append(
            FieldChange(
                "notes", (before.source or {}).get("notes"), (after.source or {}).get("notes")
            )
        )
    return changes


def _role_view(role) -> dict[str, Any] | None:
    return None if role is None else {"label": role.label, "kind": role.kind, "column": role.column}


def _role_changes(before: SopDefinition, after: SopDefinition) -> list[FieldChange]:
    old = {r.code: r for r in before.roles}
    new = {r.code: r for r in after.roles}
    changes = []
    for code in [*old, *(c for c in new if c not in old)]:
        a, b = old.get(code), new.get(code)
        if _role_view(a) != _role_view(b):
            changes.append(FieldChange(code, _role_view(a), _role_view(b)))
    if [r.code for r in before.roles if r.code in new] != [
        r.code for r in after.roles if r.code in old
    ]:
        changes.append(
            FieldChange("order", [r.code for r in before.roles], [r.code for r in after.roles])
        )
    return changes


def diff(before: SopDefinition, after: SopDefinition) -> Diff:
    """The side-by-side difference from ``before`` to ``after``."""
    pairs = _pairs(list(before.steps), list(after.steps))
    key_map = {
        old.key: new.key for old, new in pairs if old is not None and new is not None
    }  # an old step number -> its number now
    side_old = {s.key: s for s in before.side_steps}
    side_new = {s.key: s for s in after.side_steps}
    side_pairs = [
        (side_old.get(k), side_new.get(k))
        for k in [*side_old, *(k for k in side_new if k not in side_old)]
    ]
    key_map.update({k: k for k in side_old if k in side_new})
    return Diff(
        flow=tuple(_flow_changes(before, after)),
        roles=tuple(_role_changes(before, after)),
        steps=_rows(before, after, pairs, key_map),
        side_steps=_rows(before, after, side_pairs, key_map),
        minutes=(before.total_minutes, after.total_minutes),
    )


def as_json(result: Diff) -> dict[str, Any]:
    """The difference as plain data (the API's answer)."""

    def rows(items):
        return [
            {"status": r.status, "old": r.old, "new": r.new, "changed": list(r.changed)}
            for r in items
        ]

    return {
        "flow": [{"field": c.field, "old": c.old, "new": c.new} for c in result.flow],
        "roles": [{"role": c.field, "old": c.old, "new": c.new} for c in result.roles],
        "steps": rows(result.steps),
        "side_steps": rows(result.side_steps),
        "total_minutes": {"old": result.minutes[0], "new": result.minutes[1]},
    }
