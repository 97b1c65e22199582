"""The SOP editor's page as data: the draft's roles, steps and actions with their form names,
values and problems (each beside its step), and the preview of the table and the swimlane chart.

The problems are :func:`layan.sop.editing.inspect`'s, the loader's own checks, shown in the
officer's language; nothing here judges a draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as gettext
from django.utils.translation import gettext_lazy as _

from layan.sop import drafts
from layan.sop.definition import (
    ACTION_KINDS,
    APPROVER_FIELDS,
    DEADLINE_UNITS,
    DOCUMENT_WORK,
    IDENTITY_LISTS,
    IDENTITY_TEXTS,
    KNOWN_STEP_FIELDS,
    NOTICES,
    ROLE_KINDS,
)
from layan.sop.document import sheet, swimlane_svg
from layan.sop.editing import Inspection

IDENTITY_LABELS = {
    "unit": _("Organisation (one line per line of the heading)"),
    "number": _("SOP number"),
    "name": _("SOP name"),
    "created": _("Created"),
    "revised": _("Revised"),
    "effective": _("Effective"),
    "legal_basis": _("Legal basis"),
    "qualifications": _("Qualifications of the staff"),
    "related": _("Related SOPs"),
    "equipment": _("Equipment and supplies"),
    "warnings": _("Warnings"),
    "records": _("Records and data keeping"),
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


@dataclass
class ActionRow:
    index: int
    prefix: str
    kind: str
    id: str
    to: str
    label: str
    note_required: bool


@dataclass
class StepRow:
    index: int
    ref: str  # "s:3" / "x:0" (the structural operations' address)
    prefix: str  # form name prefix
    anchor: str  # element id
    side: bool
    number: Any
    key: str
    values: dict[str, Any]
    actions: list[ActionRow]
    problems: list[str]
    unknown: list[str]
    minutes: str
    minutes_null: bool
    role_known: bool
    assisted_known: bool
    target_choices: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class RoleRow:
    index: int
    prefix: str
    code: str
    label: str
    kind: str
    column: bool

    @property
    def kind_known(self) -> bool:
        return self.kind in ROLE_KINDS


@dataclass
class EditorPage:
    inspection: Inspection
    revision: int
    roles: list[RoleRow]
    steps: list[StepRow]
    side_steps: list[StepRow]
    flow: dict[str, Any]
    identity: dict[str, Any]
    sections: dict[str, list[str]]  # problems outside the steps, by section
    problem_count: int
    sheet: Any = None  # the table of the preview (None when the draft cannot be drawn)
    chart: str = ""

    @property
    def valid(self) -> bool:
        return self.inspection.valid


def _action_rows(step: dict[str, Any], prefix: str) -> list[ActionRow]:
    rows = []
    for j, action in enumerate(
        step.get("actions") if isinstance(step.get("actions"), list) else []
    ):
        action = action if isinstance(action, dict) else {}
        rows.append(
            ActionRow(
                index=j,
                prefix=f"{prefix}a-{j}-",
                kind=str(action.get("kind") or ""),
                id=str(action.get("id") or ""),
                to="" if action.get("to") is None else str(action.get("to")),
                label=str(action.get("label") or ""),
                note_required=bool(action.get("note_required")),
            )
        )
    return rows


def _step_row(
    index: int, raw: Any, *, side: bool, problems: list[str], roles: set[str], targets
) -> StepRow:
    step = raw if isinstance(raw, dict) else {}
    kind = "x" if side else "s"
    applicant = step.get("applicant") if isinstance(step.get("applicant"), dict) else {}
    minutes = step.get("minutes")
    values = {
        "activity": _text(step.get("activity")),
        "role": str(step.get("role") or ""),
        "requirements": _text(step.get("requirements")),
        "output": _text(step.get("output")),
        "notes": _text(step.get("notes")),
        "document": str(step.get("document") or ""),
        "assisted_by": str(step.get("assisted_by") or ""),
        "visible": bool(applicant.get("visible")),
        "applicant_text": _text(applicant.get("text")),
        "notice": str(applicant.get("notice") or "status"),
    }
    for flag in drafts.STEP_FLAGS:
        values[flag] = step.get(flag) is True
    own_targets = list(targets)
    for action in step.get("actions") if isinstance(step.get("actions"), list) else []:
        to = action.get("to") if isinstance(action, dict) else None
        if to is not None and str(to) not in {value for value, _label in own_targets}:
            own_targets.append((str(to), f"{to} ?"))
    return StepRow(
        index=index,
        ref=f"{kind}:{index}",
        prefix=f"{kind}-{index}-",
        anchor=f"{'side' if side else 'step'}-{index}",
        side=side,
        number=step.get("number", index + 1),
        key=str(step.get("key") or ""),
        values=values,
        actions=_action_rows(step, f"{kind}-{index}-"),
        problems=problems,
        unknown=sorted(str(k) for k in step if k not in KNOWN_STEP_FIELDS),
        minutes="" if minutes is None or "minutes" not in step else str(minutes),
        minutes_null="minutes" in step and minutes is None,
        role_known=values["role"] in roles or not values["role"],
        assisted_known=values["assisted_by"] in roles or not values["assisted_by"],
        target_choices=own_targets,
    )


def page(inspection: Inspection) -> EditorPage:
    draft = inspection.draft
    data = draft.data if isinstance(draft.data, dict) else {}
    raw_roles = data.get("roles") if isinstance(data.get("roles"), list) else []
    roles = [
        RoleRow(
            index=i,
            prefix=f"r-{i}-",
            code=str(r.get("code") or "") if isinstance(r, dict) else "",
            label=_text(r.get("label")) if isinstance(r, dict) else "",
            kind=str(r.get("kind") or "") if isinstance(r, dict) else "",
            column=(r.get("column", True) is not False) if isinstance(r, dict) else True,
        )
        for i, r in enumerate(raw_roles)
    ]
    role_codes = {r.code for r in roles}
    targets = drafts.target_choices(data)
    main = data.get("steps") if isinstance(data.get("steps"), list) else []
    side = data.get("side_steps") if isinstance(data.get("side_steps"), list) else []
    side_keys: dict[str, int] = {}  # a repeated key: the problem is the repetition's
    for i, item in enumerate(side):
        if isinstance(item, dict) and item.get("key"):
            side_keys[str(item["key"])] = i

    by_ref: dict[str, list[str]] = {}
    sections: dict[str, list[str]] = {}
    for problem in inspection.problems:
        text = problem.translated()
        key = problem.step
        if key is not None and key.isdigit() and 1 <= int(key) <= len(main):
            by_ref.setdefault(f"s:{int(key) - 1}", []).append(text)
        elif key is not None and key in side_keys:
            by_ref.setdefault(f"x:{side_keys[key]}", []).append(text)
        else:
            sections.setdefault(problem.section if key is None else "flow", []).append(text)

    steps = [
        _step_row(
            i, raw, side=False, problems=by_ref.get(f"s:{i}", []), roles=role_codes, targets=targets
        )
        for i, raw in enumerate(main)
    ]
    side_rows = [
        _step_row(
            i, raw, side=True, problems=by_ref.get(f"x:{i}", []), roles=role_codes, targets=targets
        )
        for i, raw in enumerate(side)
    ]

    deadline = data.get("deadline") if isinstance(data.get("deadline"), dict) else {}
    unit = next((u for u in DEADLINE_UNITS if u in deadline), "")
    flow = {
        "name": _text(data.get("name")),
        "deadline_unit": unit,
        "deadline_amount": "" if not unit else str(deadline.get(unit)),
        "deadline_text": _text(deadline.get("text")),
    }
    raw_identity = data.get("identity") if isinstance(data.get("identity"), dict) else {}
    approver = raw_identity.get("approved_by")
    if not isinstance(approver, dict):
        approver = {"name": approver} if approver else {}
    source = data.get("source") if isinstance(data.get("source"), dict) else {}
    identity = {
        "texts": [(k, IDENTITY_LABELS[k], _text(raw_identity.get(k))) for k in IDENTITY_TEXTS],
        "lists": [
            (k, IDENTITY_LABELS[k], _text(raw_identity.get(k))) for k in ("unit", *IDENTITY_LISTS)
        ],
        "approver": [(k, _text(approver.get(k))) for k in APPROVER_FIELDS],
        "notes": _text(source.get("notes")),
    }

    result = EditorPage(
        inspection=inspection,
        revision=draft.revision,
        roles=roles,
        steps=steps,
        side_steps=side_rows,
        flow=flow,
        identity=identity,
        sections=sections,
        problem_count=len(inspection.problems),
    )
    definition = inspection.definition
    if definition is not None:
        result.sheet = sheet(definition)
        result.chart = swimlane_svg(definition)
    return result


KIND_LABELS = {
    "complete": _("Complete: on to the next step"),
    "approve": _("Approve: the check passed"),
    "return": _("Return to an earlier step"),
    "reject": _("Reject the request"),
    "escalate": _("Escalate (side step or later step)"),
    "request_documents": _("Ask the applicant for documents"),
}
ROLE_KIND_LABELS = {"applicant": _("applicant"), "staff": _("staff"), "bot": _("bot")}
DEADLINE_LABELS = {
    "working_days": _("working days"),
    "calendar_days": _("calendar days"),
    "working_minutes": _("working minutes"),
}
DOCUMENT_LABELS = {
    "sign": _("electronic signature"),
    "print": _("card printing (blank serial)"),
    "handover": _("hand-over record"),
}
NOTICE_LABELS = {
    "status": _("the step's text"),
    "result": _("result ready (pickup or post notice)"),
}


def choices() -> dict[str, Any]:
    """The options of the editor's selects, as (code, words)."""
    return {
        "role_kinds": [(k, ROLE_KIND_LABELS[k]) for k in ROLE_KINDS],
        "deadline_units": [(k, DEADLINE_LABELS[k]) for k in DEADLINE_UNITS],
        "document_work": [(k, DOCUMENT_LABELS[k]) for k in DOCUMENT_WORK],
        "notices": [(k, NOTICE_LABELS[k]) for k in NOTICES],
        "action_kinds": [(k, KIND_LABELS[k]) for k in ACTION_KINDS],
    }


def approver_labels() -> dict[str, str]:
    return {"title": gettext("Title"), "name": gettext("Name"), "nip": gettext("NIP")}


FLOW_CHANGE_LABELS = {
    "name": _("Name of the flow"),
    "deadline": _("Overall deadline"),
    "notes": _("Notes"),
    "identity.approved_by": _("Approved by"),
    **{f"identity.{key}": label for key, label in IDENTITY_LABELS.items()},
}


def flow_changes(result) -> list[tuple[str, str, str]]:
    """The flow-level changes of a diff as (words, old, new) for the page."""
    return [(FLOW_CHANGE_LABELS.get(c.field, c.field), c.old_text, c.new_text) for c in result.flow]
