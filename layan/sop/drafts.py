"""A draft of a flow as the editor keeps it: the format's mapping (``docs/sop-format.md``), read
from and written to an HTML form, and changed by the editor's structural operations (add,
remove or move a step, an action, a role, a side step).

Pure functions on plain data, no database: the draft stays in the format's words, so the loader's
own checks (:func:`layan.sop.definition.check_data`) judge it and export writes it back as a file.
A form only overwrites the keys it shows; anything else in the draft (a field an imported file
added) stays, and the checks name it.

Beside the data the editor keeps the draft's *origins*: per main step, the key of the base
version's step it was ("" for a new one), so a publish knows which steps a change removes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from layan.sop.definition import (
    ACTION_KINDS,
    APPROVER_FIELDS,
    DEADLINE_UNITS,
    DOCUMENT_WORK,
    END,
    IDENTITY_LISTS,
    IDENTITY_TEXTS,
    KNOWN_STEP_FIELDS,
    NOTICES,
    ROLE_KINDS,
)

STEP_FLAGS = ("intake", "auto", "data_entry", "visit", "registry_check")
SIDE_FLAGS = ("data_entry", "visit", "registry_check")


class StaleForm(ValueError):
    """The form does not describe the stored draft (a step or action more or less)."""


# --------------------------------------------------------------------------------------------
# Reading the form


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _number(text: str) -> Any:
    """A typed whole number as int; anything else as typed (the checks name it)."""
    text = (text or "").strip()
    try:
        return int(text)
    except ValueError:
        return text


def _target(text: str) -> Any:
    text = (text or "").strip()
    if text.isdigit():
        return int(text)
    return text


def _set(mapping: dict, key: str, value: Any, *, keep_empty: bool = False) -> None:
    if value in ("", None, [], {}) and not keep_empty:
        mapping.pop(key, None)
    else:
        mapping[key] = value


def _count(form: Mapping[str, str], prefix: str, stored: int) -> int:
    raw = form.get(f"{prefix}count")
    if raw is None:
        return stored
    if not raw.isdigit() or int(raw) != stored:
        raise StaleForm(prefix)
    return stored


def _step_from_form(
    form: Mapping[str, str], prefix: str, stored: dict[str, Any], *, side: bool
) -> dict[str, Any]:
    step = dict(stored)
    if side:
        step["key"] = (form.get(f"{prefix}key") or "").strip()
    step["activity"] = " ".join((form.get(f"{prefix}activity") or "").split())
    step["role"] = form.get(f"{prefix}role") or ""
    _set(step, "requirements", _lines(form.get(f"{prefix}requirements", "")))
    if form.get(f"{prefix}minutes_null"):
        step["minutes"] = None
    elif (form.get(f"{prefix}minutes") or "").strip() == "":
        step.pop("minutes", None)
    else:
        step["minutes"] = _number(form.get(f"{prefix}minutes", ""))
    _set(step, "output", " ".join((form.get(f"{prefix}output") or "").split()))
    _set(step, "notes", " ".join((form.get(f"{prefix}notes") or "").split()))
    for flag in SIDE_FLAGS if side else STEP_FLAGS:
        _set(step, flag, True if form.get(f"{prefix}{flag}") else None)
    _set(step, "document", form.get(f"{prefix}document") or "")
    _set(step, "assisted_by", form.get(f"{prefix}assisted_by") or "")
    applicant = (
        dict(stored.get("applicant") or {}) if isinstance(stored.get("applicant"), dict) else {}
    )
    _set(applicant, "visible", True if form.get(f"{prefix}visible") else None)
    _set(applicant, "text", " ".join((form.get(f"{prefix}applicant_text") or "").split()))
    notice = form.get(f"{prefix}notice") or "status"
    _set(applicant, "notice", "" if notice == "status" else notice)
    _set(step, "applicant", applicant)

    stored_actions = stored.get("actions") if isinstance(stored.get("actions"), list) else []
    count = _count(form, f"{prefix}a-", len(stored_actions))
    actions = []
    for j in range(count):
        here = f"{prefix}a-{j}-"
        action = dict(stored_actions[j]) if isinstance(stored_actions[j], dict) else {}
        action["kind"] = form.get(f"{here}kind") or ""
        _set(action, "id", (form.get(f"{here}id") or "").strip())
        _set(action, "to", _target(form.get(f"{here}to", "")))
        _set(action, "label", " ".join((form.get(f"{here}label") or "").split()))
        _set(action, "note_required", True if form.get(f"{here}note_required") else None)
        actions.append(_ordered_action(action))
    step["actions"] = actions
    return _ordered_step(step, side=side)


_STEP_ORDER = (
    "number",
    "key",
    "activity",
    "role",
    "requirements",
    "minutes",
    "output",
    "notes",
    "intake",
    "auto",
    "data_entry",
    "document",
    "visit",
    "registry_check",
    "assisted_by",
    "applicant",
    "actions",
)
_ACTION_ORDER = ("id", "kind", "to", "label", "note_required")


def _ordered_step(step: dict[str, Any], *, side: bool) -> dict[str, Any]:
    """The step's keys in the format's order (a draft exports as readable YAML)."""
    ordered = {key: step[key] for key in _STEP_ORDER if key in step}
    ordered.update({key: value for key, value in step.items() if key not in ordered})
    return ordered


def _ordered_action(action: dict[str, Any]) -> dict[str, Any]:
    ordered = {key: action[key] for key in _ACTION_ORDER if key in action}
    ordered.update({key: value for key, value in action.items() if key not in ordered})
    return ordered


def _rename_role(data: dict[str, Any], old: str, new: str) -> None:
    for step in [*_list(data.get("steps")), *_list(data.get("side_steps"))]:
        if not isinstance(step, dict):
            continue
        if step.get("role") == old:
            step["role"] = new
        if step.get("assisted_by") == old:
            step["assisted_by"] = new


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def from_form(form: Mapping[str, str], stored: dict[str, Any]) -> dict[str, Any]:
    """The draft after the editor's form: ``stored`` with every key the form shows replaced.

    Raises :class:`StaleForm` when the form has another number of steps, actions or roles than
    the stored draft (it was made from an older revision).
    """
    data = copy.deepcopy(stored) if isinstance(stored, dict) else {}
    data["name"] = " ".join((form.get("name") or "").split())

    unit = form.get("deadline_unit") or ""
    if unit in DEADLINE_UNITS:
        deadline = {unit: _number(form.get("deadline_amount", ""))}
        _set(deadline, "text", " ".join((form.get("deadline_text") or "").split()))
        data["deadline"] = deadline
    elif "deadline_unit" in form:
        data.pop("deadline", None)

    if "id-present" in form:
        identity = (
            dict(data.get("identity") or {}) if isinstance(data.get("identity"), dict) else {}
        )
        for key in ("unit", *IDENTITY_LISTS):
            _set(identity, key, _lines(form.get(f"id-{key}", "")))
        for key in IDENTITY_TEXTS:
            _set(identity, key, " ".join((form.get(f"id-{key}") or "").split()))
        approver = {
            key: " ".join((form.get(f"id-approved_by-{key}") or "").split())
            for key in APPROVER_FIELDS
        }
        _set(identity, "approved_by", {k: v for k, v in approver.items() if v})
        _set(data, "identity", _ordered_identity(identity))
        source = dict(data.get("source") or {}) if isinstance(data.get("source"), dict) else {}
        _set(source, "notes", _lines(form.get("source_notes", "")))
        _set(data, "source", source)

    roles = _list(data.get("roles"))
    count = _count(form, "r-", len(roles))
    renames = []
    new_roles = []
    for i in range(count):
        here = f"r-{i}-"
        role = dict(roles[i]) if isinstance(roles[i], dict) else {}
        code = (form.get(f"{here}code") or "").strip()
        if role.get("code") and code and code != role.get("code"):
            renames.append((role.get("code"), code))
        role["code"] = code
        role["label"] = " ".join((form.get(f"{here}label") or "").split())
        role["kind"] = form.get(f"{here}kind") or ""
        _set(role, "column", None if form.get(f"{here}column") else False)
        new_roles.append(role)
    if "r-count" in form:
        data["roles"] = new_roles
    for old, new in renames:
        if all(r.get("code") != old for r in new_roles):
            _rename_role(data, old, new)

    steps = _list(data.get("steps"))
    count = _count(form, "s-", len(steps))
    if "s-count" in form:
        data["steps"] = [
            _step_from_form(
                form, f"s-{i}-", steps[i] if isinstance(steps[i], dict) else {}, side=False
            )
            for i in range(count)
        ]
    side = _list(data.get("side_steps"))
    count = _count(form, "x-", len(side))
    if "x-count" in form:
        _set(
            data,
            "side_steps",
            [
                _step_from_form(
                    form, f"x-{i}-", side[i] if isinstance(side[i], dict) else {}, side=True
                )
                for i in range(count)
            ],
        )
    return data


def _ordered_identity(identity: dict[str, Any]) -> dict[str, Any]:
    order = (
        "unit",
        "number",
        "name",
        "created",
        "revised",
        "effective",
        "approved_by",
        *IDENTITY_LISTS,
    )
    ordered = {key: identity[key] for key in order if key in identity}
    ordered.update({key: value for key, value in identity.items() if key not in ordered})
    return ordered


# --------------------------------------------------------------------------------------------
# Structural operations


def _renumber(data: dict[str, Any], order: list[int | None], origins: list[str]) -> list[str]:
    """Make ``data["steps"]`` the stored steps in ``order`` (indexes into the old list, None for
    a new step already placed), numbered 1..N, with every action target following its step
    (a target whose step was removed loses its ``to``). Returns the new origins."""
    old_steps = _list(data.get("steps"))
    old_number_to_new: dict[int, int] = {}
    for new_index, old_index in enumerate(order):
        if old_index is None:
            continue
        number = (
            old_steps[old_index].get("number") if isinstance(old_steps[old_index], dict) else None
        )
        if isinstance(number, int) and number not in old_number_to_new:
            old_number_to_new[number] = new_index + 1
    # A stored step whose number was not its position (an imported file) is also known by it.
    for old_index in range(len(old_steps)):
        if old_index in order:
            old_number_to_new.setdefault(old_index + 1, order.index(old_index) + 1)
    removed = {
        step.get("number")
        for index, step in enumerate(old_steps)
        if index not in order and isinstance(step, dict)
    }

    def move_targets(step: dict[str, Any]) -> None:
        for action in _list(step.get("actions")):
            if not isinstance(action, dict) or "to" not in action:
                continue
            to = action["to"]
            number = (
                int(to) if isinstance(to, int) or (isinstance(to, str) and to.isdigit()) else None
            )
            if number is None:
                continue
            if number in old_number_to_new and number not in removed:
                action["to"] = old_number_to_new[number]
            elif number in removed:
                del action["to"]

    new_steps: list[Any] = []
    new_origins: list[str] = []
    for new_index, old_index in enumerate(order):
        step = old_steps[old_index] if old_index is not None else data["_new"].pop(0)
        if isinstance(step, dict):
            step = dict(step)
            step["number"] = new_index + 1
            step = _ordered_step(step, side=False)
        new_steps.append(step)
        origin = origins[old_index] if old_index is not None and old_index < len(origins) else ""
        new_origins.append(origin)
    data.pop("_new", None)
    for step in [*new_steps, *_list(data.get("side_steps"))]:
        if isinstance(step, dict):
            move_targets(step)
    data["steps"] = new_steps
    return new_origins


def _padded(origins: list[str], count: int) -> list[str]:
    return (list(origins) + [""] * count)[:count]


def add_step(data: dict[str, Any], origins: list[str], after: int) -> tuple[dict, list[str]]:
    """A new step after position ``after`` (-1: at the start), performed by the role of the step
    before it, 0 minutes, completing to the next step."""
    data = copy.deepcopy(data)
    steps = _list(data.get("steps"))
    origins = _padded(origins, len(steps))
    after = max(-1, min(after, len(steps) - 1))
    before = steps[after] if after >= 0 and isinstance(steps[after], dict) else {}
    role = before.get("role") or next(
        (
            r.get("code")
            for r in _list(data.get("roles"))
            if isinstance(r, dict) and r.get("kind") == "staff"
        ),
        "",
    )
    data["_new"] = [{"activity": "", "role": role, "minutes": 0, "actions": [{"kind": "complete"}]}]
    order: list[int | None] = list(range(len(steps)))
    order.insert(after + 1, None)
    return data, _renumber(data, order, origins)


def remove_step(data: dict[str, Any], origins: list[str], index: int) -> tuple[dict, list[str]]:
    data = copy.deepcopy(data)
    steps = _list(data.get("steps"))
    origins = _padded(origins, len(steps))
    if not 0 <= index < len(steps) or len(steps) == 1:
        return data, origins
    order: list[int | None] = [i for i in range(len(steps)) if i != index]
    return data, _renumber(data, order, origins)


def move_step(
    data: dict[str, Any], origins: list[str], index: int, delta: int
) -> tuple[dict, list[str]]:
    data = copy.deepcopy(data)
    steps = _list(data.get("steps"))
    origins = _padded(origins, len(steps))
    other = index + delta
    if not (0 <= index < len(steps) and 0 <= other < len(steps)):
        return data, origins
    order: list[int | None] = list(range(len(steps)))
    order[index], order[other] = order[other], order[index]
    return data, _renumber(data, order, origins)


def _step_at(data: dict[str, Any], ref: str) -> dict[str, Any] | None:
    """``s3`` is main step index 3, ``x0`` side step index 0."""
    kind, _, number = ref.partition(":")
    if not number.isdigit():
        return None
    items = _list(data.get("steps" if kind == "s" else "side_steps"))
    index = int(number)
    if kind not in ("s", "x") or not 0 <= index < len(items) or not isinstance(items[index], dict):
        return None
    return items[index]


def add_action(data: dict[str, Any], ref: str, kind: str) -> dict[str, Any]:
    data = copy.deepcopy(data)
    step = _step_at(data, ref)
    if step is None or kind not in ACTION_KINDS:
        return data
    actions = _list(step.get("actions"))
    action: dict[str, Any] = {"kind": kind}
    if any(isinstance(a, dict) and a.get("id", a.get("kind")) == kind for a in actions):
        taken = {a.get("id", a.get("kind")) for a in actions if isinstance(a, dict)}
        action = {
            "id": next(f"{kind}_{n}" for n in range(2, 100) if f"{kind}_{n}" not in taken),
            **action,
        }
    step["actions"] = [*actions, action]
    return data


def remove_action(data: dict[str, Any], ref: str, index: int) -> dict[str, Any]:
    data = copy.deepcopy(data)
    step = _step_at(data, ref)
    if step is None:
        return data
    actions = _list(step.get("actions"))
    if 0 <= index < len(actions):
        step["actions"] = actions[:index] + actions[index + 1 :]
    return data


def drop_unknown(data: dict[str, Any], ref: str, known: set[str]) -> dict[str, Any]:
    """Remove the fields of a step the format does not know (an imported file's)."""
    data = copy.deepcopy(data)
    step = _step_at(data, ref)
    if step is not None:
        for key in [k for k in step if k not in known]:
            del step[key]
    return data


def add_role(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    roles = _list(data.get("roles"))
    taken = {r.get("code") for r in roles if isinstance(r, dict)}
    code = next(f"peran_{n}" for n in range(1, 100) if f"peran_{n}" not in taken)
    data["roles"] = [*roles, {"code": code, "label": "", "kind": "staff"}]
    return data


def remove_role(data: dict[str, Any], index: int) -> dict[str, Any]:
    data = copy.deepcopy(data)
    roles = _list(data.get("roles"))
    if 0 <= index < len(roles):
        data["roles"] = roles[:index] + roles[index + 1 :]
    return data


def move_role(data: dict[str, Any], index: int, delta: int) -> dict[str, Any]:
    data = copy.deepcopy(data)
    roles = _list(data.get("roles"))
    other = index + delta
    if 0 <= index < len(roles) and 0 <= other < len(roles):
        roles[index], roles[other] = roles[other], roles[index]
        data["roles"] = roles
    return data


def add_side_step(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    side = _list(data.get("side_steps"))
    taken = {s.get("key") for s in side if isinstance(s, dict)}
    key = next(f"langkah_samping_{n}" for n in range(1, 100) if f"langkah_samping_{n}" not in taken)
    role = next(
        (
            r.get("code")
            for r in _list(data.get("roles"))
            if isinstance(r, dict) and r.get("kind") == "staff"
        ),
        "",
    )
    data["side_steps"] = [
        *side,
        {
            "key": key,
            "activity": "",
            "role": role,
            "minutes": 0,
            "actions": [{"kind": "complete", "to": 1}],
        },
    ]
    return data


def remove_side_step(data: dict[str, Any], index: int) -> dict[str, Any]:
    data = copy.deepcopy(data)
    side = _list(data.get("side_steps"))
    if 0 <= index < len(side):
        removed = side[index].get("key") if isinstance(side[index], dict) else None
        side = side[:index] + side[index + 1 :]
        _set(data, "side_steps", side)
        for step in [*_list(data.get("steps")), *side]:
            for action in _list(step.get("actions") if isinstance(step, dict) else None):
                if isinstance(action, dict) and removed is not None and action.get("to") == removed:
                    del action["to"]
    return data


def apply(data: dict[str, Any], origins: list[str], op: str) -> tuple[dict[str, Any], list[str]]:
    """One structural operation named by the editor's button (``add_step:2``,
    ``remove_action:s:3:1``, ``move_role:2:-1``, …); an unknown one changes nothing."""
    name, _, arg = op.partition(":")
    parts = arg.split(":") if arg else []

    def number(i: int) -> int | None:
        try:
            return int(parts[i])
        except (IndexError, ValueError):
            return None

    if name == "add_step" and number(0) is not None:
        return add_step(data, origins, number(0))
    if name == "remove_step" and number(0) is not None:
        return remove_step(data, origins, number(0))
    if name == "move_step" and number(0) is not None and number(1) in (-1, 1):
        return move_step(data, origins, number(0), number(1))
    if name == "add_action" and len(parts) == 3:
        return add_action(data, f"{parts[0]}:{parts[1]}", parts[2]), origins
    if name == "remove_action" and len(parts) == 3 and number(2) is not None:
        return remove_action(data, f"{parts[0]}:{parts[1]}", number(2)), origins
    if name == "drop_unknown" and len(parts) == 2:
        return drop_unknown(data, f"{parts[0]}:{parts[1]}", set(KNOWN_STEP_FIELDS)), origins
    if name == "add_role":
        return add_role(data), origins
    if name == "remove_role" and number(0) is not None:
        return remove_role(data, number(0)), origins
    if name == "move_role" and number(0) is not None and number(1) in (-1, 1):
        return move_role(data, number(0), number(1)), origins
    if name == "add_side_step":
        return add_side_step(data), origins
    if name == "remove_side_step" and number(0) is not None:
        return remove_side_step(data, number(0)), origins
    return data, origins


# --------------------------------------------------------------------------------------------
# The form's view of a draft


def target_choices(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Where an action may point: every main step by number, every side step, the end."""
    choices = []
    for index, step in enumerate(_list(data.get("steps"))):
        activity = step.get("activity", "") if isinstance(step, dict) else ""
        choices.append((str(index + 1), f"{index + 1}. {str(activity)[:50]}"))
    for step in _list(data.get("side_steps")):
        if isinstance(step, dict) and step.get("key"):
            choices.append((str(step["key"]), f"↳ {step['key']}"))
    choices.append((END, END))
    return choices


def match_origins(data: dict[str, Any], base_steps: list[tuple[str, str]]) -> list[str]:
    """Origins of an imported draft: a main step is the base version's step with the same
    activity (the first not yet taken), else new. ``base_steps``: (key, activity) pairs."""
    free = list(base_steps)
    origins = []
    for step in _list(data.get("steps")):
        activity = " ".join(str(step.get("activity", "")).split()) if isinstance(step, dict) else ""
        match = next((pair for pair in free if pair[1] == activity), None)
        if match is not None:
            free.remove(match)
        origins.append(match[0] if match else "")
    return origins


CHOICES = {
    "role_kinds": ROLE_KINDS,
    "deadline_units": DEADLINE_UNITS,
    "document_work": DOCUMENT_WORK,
    "notices": NOTICES,
    "action_kinds": ACTION_KINDS,
}
