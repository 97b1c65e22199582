"""SOP definitions: parsing and validating the YAML format of ``docs/sop-format.md``.

This module is pure Python (no database) so that ``layan sop validate`` can check a file on a
laptop before it is loaded, and so that the engine can rebuild a definition from the JSON stored
with each version. Every problem is reported with the file and the step it concerns; a file is
only ever loaded when it has no problems at all.

The console's SOP editor runs these same functions on every change of a draft (one source of
truth): each :class:`SopError` keeps its message as a template and its values, so the editor shows
it in the officer's language (:meth:`SopError.translated`) while ``layan sop validate`` prints the
English text. :func:`to_data` is the way back, from a definition to the format's mapping, so that
any stored version can be exported as a file that loads to the same definition.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

FORMAT = 1
END = "end"

ROLE_KINDS = ("applicant", "staff", "bot")
NOTICES = ("status", "result")


class ActionKind(StrEnum):
    """What an SOP action does (the ``kind`` of an action in the format)."""

    COMPLETE = "complete"  # the step's work is done: on to the next step
    APPROVE = "approve"  # a check passed: on to the next step
    RETURN = "return"  # back to an earlier step (a check that failed)
    REJECT = "reject"  # the request is refused and closed
    ESCALATE = "escalate"  # to a side role (the complaints' Pejabat Pengelola)
    REQUEST_DOCUMENTS = "request_documents"  # ask the applicant; the clocks stop


ACTION_KINDS = tuple(kind.value for kind in ActionKind)
# The kinds that take a request forward: the only ones that need the step's work done.
FORWARD_KINDS = (ActionKind.COMPLETE, ActionKind.APPROVE)
NOTE_REQUIRED_KINDS = (ActionKind.RETURN, ActionKind.REJECT, ActionKind.REQUEST_DOCUMENTS)
DEADLINE_UNITS = ("working_days", "calendar_days", "working_minutes")

DEFAULT_LABELS = {
    ActionKind.COMPLETE: "Selesai, teruskan",
    ActionKind.APPROVE: "Setujui",
    ActionKind.RETURN: "Kembalikan",
    ActionKind.REJECT: "Tolak",
    ActionKind.ESCALATE: "Eskalasi",
    ActionKind.REQUEST_DOCUMENTS: "Minta kelengkapan berkas",
}

_STEP_FIELDS = {
    "activity",
    "role",
    "requirements",
    "minutes",
    "output",
    "notes",
    "intake",
    "data_entry",
    "document",
    "visit",
    "registry_check",
    "auto",
    "assisted_by",
    "applicant",
    "actions",
}
DOCUMENT_WORK = ("sign", "print", "handover")
# The fields a step may have (a side step has ``key`` instead of ``number``).
KNOWN_STEP_FIELDS = frozenset(_STEP_FIELDS | {"number", "key"})
_ACTION_FIELDS = {"id", "kind", "to", "label", "note_required"}
TOP_LEVEL_FIELDS = (
    "format",
    "office",
    "code",
    "name",
    "identity",
    "source",
    "deadline",
    "roles",
    "steps",
    "side_steps",
)
# The identity page of an SOP (Permenpan-RB 35/2012): its texts and its lists, in print order.
IDENTITY_TEXTS = ("number", "name", "created", "revised", "effective")
IDENTITY_LISTS = (
    "legal_basis",  # Dasar Hukum
    "qualifications",  # Kualifikasi Pelaksana
    "related",  # Keterkaitan
    "equipment",  # Peralatan / Perlengkapan
    "warnings",  # Peringatan
    "records",  # Pencatatan dan Pendataan
)
APPROVER_FIELDS = ("title", "name", "nip")
IDENTITY_FIELDS = ("unit", *IDENTITY_TEXTS, "approved_by", *IDENTITY_LISTS)
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_KEY = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class SopError:
    """One problem of an SOP: where (the file, the step key or None) and what.

    ``message`` is the English text; ``template`` and ``params`` make it again in another language
    (:meth:`translated`). ``section`` says which part of a flow a problem outside the steps is
    about (``flow``, ``identity``, ``deadline``, ``roles``, ``side_steps``), for the editor.
    """

    file: str
    step: str | None
    message: str
    template: str = ""
    params: tuple[tuple[str, Any], ...] = ()
    section: str = "flow"

    def __str__(self) -> str:
        where = f"step {self.step}: " if self.step is not None else ""
        return f"{self.file}: {where}{self.message}"

    def translated(self) -> str:
        """The message in the active language (the English text when it has no translation)."""
        if not self.template:
            return self.message
        text = gettext(self.template)
        return text % dict(self.params) if self.params else text


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    kind: str
    column: bool = True


@dataclass(frozen=True)
class Action:
    id: str
    kind: str
    target: str | None  # a step key, END, or None (reject / request_documents)
    label: str
    note_required: bool


@dataclass(frozen=True)
class Step:
    key: str
    number: int | None
    activity: str
    role: str
    minutes: int | None
    output: str = ""
    requirements: tuple[str, ...] = ()
    notes: str = ""
    intake: bool = False
    auto: bool = False
    assisted_by: str | None = None
    visible: bool = False
    applicant_text: str = ""
    # Which notice entering the step sends: "status" (the text above) or "result" (the output
    # is ready: a pickup or post notice with what to bring, by the service's delivery).
    notice: str = "status"
    # The officer of this step types the service's data-entry fields; the step cannot be
    # completed until they are all valid.
    data_entry: bool = False
    # The document work of the step: "sign" (the head of office's electronic signature),
    # "print" (the card's blank serial is recorded), "handover" (who received it).
    document: str = ""
    # The step's officer goes out to the resident ("jemput bola"): it goes forward only once a
    # visit is recorded as done.
    visit: bool = False
    # The step's officer checks the request against the population registry ("pengecekan ...
    # di SIAK", "kesesuaian dengan data SIAK"): the Data Ganda check runs on entering it, the
    # registry's data is shown beside the request's, and it goes forward only once every
    # blocking duplicate finding is decided.
    registry_check: bool = False
    actions: tuple[Action, ...] = ()
    side: bool = False

    def action(self, action_id: str) -> Action | None:
        return next((a for a in self.actions if a.id == action_id), None)


@dataclass(frozen=True)
class SopDefinition:
    office: str
    code: str
    name: str
    roles: tuple[Role, ...]
    steps: tuple[Step, ...]
    side_steps: tuple[Step, ...] = ()
    deadline: dict[str, Any] | None = None
    source: dict[str, Any] = field(default_factory=dict)
    # The identity page (Permenpan-RB 35/2012), every key of IDENTITY_FIELDS; {} without one.
    identity: dict[str, Any] = field(default_factory=dict)

    def step(self, key: str | int) -> Step:
        key = str(key)
        for step in self.all_steps:
            if step.key == key:
                return step
        raise KeyError(key)

    @property
    def all_steps(self) -> tuple[Step, ...]:
        return self.steps + self.side_steps

    def role(self, code: str) -> Role:
        return next(r for r in self.roles if r.code == code)

    @property
    def total_minutes(self) -> int:
        return sum(step.minutes or 0 for step in self.steps)

    @property
    def first_step(self) -> Step:
        return self.steps[0]

    def acting_role(self, step: Step) -> str | None:
        """The staff role that works ``step``: its performer when that is a staff role, else who
        records the applicant's step for them (``assisted_by``); None for intake and automatic
        steps, which the engine passes on entering them. Permissions and queues both ask this."""
        if step.intake or step.auto:
            return None
        if self.role(step.role).kind == "staff":
            return step.role
        return step.assisted_by

    def as_json(self) -> dict[str, Any]:
        """A JSON-safe form, stored with each version and read back by :func:`from_json`."""
        return asdict(self)


def from_json(data: dict[str, Any]) -> SopDefinition:
    def step(d: dict[str, Any]) -> Step:
        actions = tuple(Action(**a) for a in d["actions"])
        return Step(**{**d, "actions": actions, "requirements": tuple(d["requirements"])})

    return SopDefinition(
        office=data["office"],
        code=data["code"],
        name=data["name"],
        roles=tuple(Role(**r) for r in data["roles"]),
        steps=tuple(step(s) for s in data["steps"]),
        side_steps=tuple(step(s) for s in data["side_steps"]),
        deadline=data["deadline"],
        source=data["source"],
        identity=data.get("identity") or {},  # versions stored before the identity block
    )


class _Collector:
    def __init__(self, file: str):
        self.file = file
        self.errors: list[SopError] = []

    def add(
        self, step: str | int | None, template: str, section: str = "flow", **params: Any
    ) -> None:
        """Record a problem at ``step`` (None: the flow's ``section``): the English ``template``
        (marked for translation) filled with ``params``."""
        message = template % params if params else template
        self.errors.append(
            SopError(
                self.file,
                None if step is None else str(step),
                message,
                template,
                tuple(params.items()),
                "step" if step is not None else section,
            )
        )


def read_file(path: str | Path) -> tuple[SopDefinition | None, list[SopError]]:
    """Read and validate one SOP file. The definition is ``None`` whenever there are errors."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        out = _Collector(name)
        out.add(None, N_("cannot read the file: %(reason)s"), reason=exc.strerror)
        return None, out.errors
    return parse_text(text, name)


def load_yaml(text: str, file: str = "<sop>") -> tuple[Any, list[SopError]]:
    """The YAML mapping of an SOP text, or the error that says where it is not YAML."""
    try:
        return yaml.safe_load(text), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        out = _Collector(file)
        problem = str(getattr(exc, "problem", None) or exc)
        if mark:
            out.add(
                None,
                N_("not valid YAML at line %(line)s: %(problem)s"),
                line=mark.line + 1,
                problem=problem,
            )
        else:
            out.add(None, N_("not valid YAML: %(problem)s"), problem=problem)
        return None, out.errors


def parse_text(text: str, file: str = "<sop>") -> tuple[SopDefinition | None, list[SopError]]:
    data, errors = load_yaml(text, file)
    if errors:
        return None, errors
    return parse_data(data, file)


def parse_data(data: Any, file: str = "<sop>") -> tuple[SopDefinition | None, list[SopError]]:
    definition, errors = check_data(data, file)
    return (None, errors) if errors else (definition, [])


def check_data(data: Any, file: str = "<sop>") -> tuple[SopDefinition | None, list[SopError]]:
    """Every problem of ``data``, and the definition as far as it could be built.

    The definition is None when a field is missing or malformed; it is built (and returned with
    its problems) when only the flow's shape is wrong: an action into a step that is not there,
    a return forward, a step nothing reaches. The editor draws such a draft's table and chart
    while it lists the problems; nothing stores or runs a definition that has problems
    (:func:`parse_data`).
    """
    out = _Collector(file)
    definition = _build(data, out)
    if definition is not None and not out.errors:
        _check_graph(definition, out)
    return definition, out.errors


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return " ".join(str(value).split())


def _build(data: Any, out: _Collector) -> SopDefinition | None:
    if not isinstance(data, dict):
        out.add(
            None, N_("the file must be a mapping with format, office, code, name, roles, steps")
        )
        return None
    if data.get("format") != FORMAT:
        out.add(
            None,
            N_("format must be %(format)s, got %(got)r"),
            format=FORMAT,
            got=data.get("format"),
        )
    for key in ("office", "code"):
        value = data.get(key)
        if not isinstance(value, str) or not _CODE.match(value):
            out.add(
                None, N_("%(key)s must be a code of lowercase letters, digits and '-'"), key=key
            )
    if not _text(data.get("name")):
        out.add(None, N_("name is missing"))
    unknown = set(data) - set(TOP_LEVEL_FIELDS)
    if unknown:
        out.add(
            None,
            N_("unknown top-level field(s): %(fields)s"),
            fields=", ".join(sorted(map(str, unknown))),
        )

    deadline = _deadline(data.get("deadline"), out)
    roles = _roles(data.get("roles"), out)
    role_kinds = {r.code: r.kind for r in roles}
    identity = _identity(data.get("identity"), out)

    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        out.add(None, N_("steps must be a non-empty list"))
        raw_steps = []
    raw_side = data.get("side_steps") or []
    if not isinstance(raw_side, list):
        out.add(None, N_("side_steps must be a list"), "side_steps")
        raw_side = []

    steps: list[Step] = []
    seen_numbers: set[int] = set()
    for index, raw in enumerate(raw_steps, start=1):
        step = _step(raw, index, out, role_kinds, deadline, side=False, seen_numbers=seen_numbers)
        if step is not None:
            steps.append(step)
    side_steps: list[Step] = []
    seen_keys = {s.key for s in steps}
    for raw in raw_side:
        step = _step(raw, None, out, role_kinds, deadline, side=True)
        if step is None:
            continue
        if step.key in seen_keys:
            out.add(step.key, N_("duplicate side step key"))
            continue
        seen_keys.add(step.key)
        side_steps.append(step)

    source = data.get("source") or {}
    if not isinstance(source, dict):
        out.add(None, N_("source must be a mapping"), "identity")
        source = {}
    if out.errors:
        return None
    return SopDefinition(
        office=data["office"],
        code=data["code"],
        name=_text(data["name"]),
        roles=tuple(roles),
        steps=tuple(steps),
        side_steps=tuple(side_steps),
        deadline=deadline,
        source={k: v if isinstance(v, list) else _text(v) for k, v in source.items()},
        identity=identity,
    )


def _lines(value: Any) -> list[str] | None:
    """A list of texts (a single text is a list of one); None when it is neither."""
    if value is None:
        return []
    if isinstance(value, str | int | float):
        value = [value]
    if not isinstance(value, list) or any(isinstance(v, dict | list) for v in value):
        return None
    return [line for line in (_text(v) for v in value) if line]


def _identity(raw: Any, out: _Collector) -> dict[str, Any]:
    """The identity block, every key present (empty texts and lists); {} when there is none."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        out.add(
            None,
            N_("identity must be a mapping (number, approved_by, legal_basis, ...)"),
            "identity",
        )
        return {}
    unknown = set(raw) - set(IDENTITY_FIELDS)
    if unknown:
        out.add(
            None,
            N_("identity: unknown field(s): %(fields)s"),
            "identity",
            fields=", ".join(sorted(map(str, unknown))),
        )
    identity: dict[str, Any] = {}
    for key in ("unit", *IDENTITY_LISTS):
        lines = _lines(raw.get(key))
        if lines is None:
            out.add(None, N_("identity: %(field)s must be a list of texts"), "identity", field=key)
            lines = []
        identity[key] = lines
    for key in IDENTITY_TEXTS:
        value = raw.get(key)
        if isinstance(value, dict | list):
            out.add(None, N_("identity: %(field)s must be a text"), "identity", field=key)
            value = None
        identity[key] = _text(value)
    approver = raw.get("approved_by")
    if isinstance(approver, str | int | float) or approver is None:
        approver = {"name": approver}
    if not isinstance(approver, dict) or set(approver) - set(APPROVER_FIELDS):
        out.add(
            None,
            N_("identity: approved_by must be a text or a mapping with title, name, nip"),
            "identity",
        )
        approver = {}
    identity["approved_by"] = {key: _text(approver.get(key)) for key in APPROVER_FIELDS}
    filled = [v for k, v in identity.items() if k != "approved_by" and v]
    if not filled and not any(identity["approved_by"].values()):
        return {}
    return identity


def _deadline(raw: Any, out: _Collector) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        out.add(None, N_("deadline must be a mapping such as {working_days: 1}"), "deadline")
        return None
    units = [u for u in DEADLINE_UNITS if u in raw]
    if len(units) != 1:
        out.add(
            None,
            N_("deadline needs exactly one of %(units)s"),
            "deadline",
            units=", ".join(DEADLINE_UNITS),
        )
        return None
    amount = raw[units[0]]
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        out.add(
            None, N_("deadline %(unit)s must be a positive whole number"), "deadline", unit=units[0]
        )
        return None
    return {"unit": units[0], "amount": amount, "text": _text(raw.get("text"))}


def _roles(raw: Any, out: _Collector) -> list[Role]:
    if not isinstance(raw, list) or not raw:
        out.add(None, N_("roles must be a non-empty list of swimlanes"), "roles")
        return []
    roles: list[Role] = []
    for item in raw:
        if not isinstance(item, dict):
            out.add(
                None,
                N_("role %(role)r must be a mapping with code, label, kind"),
                "roles",
                role=item,
            )
            continue
        code, kind = item.get("code"), item.get("kind")
        if not isinstance(code, str) or not _KEY.match(code):
            out.add(
                None,
                N_("role code %(code)r must use lowercase letters, digits and '_'"),
                "roles",
                code=code,
            )
            continue
        if any(r.code == code for r in roles):
            out.add(None, N_("role %(code)s is declared twice"), "roles", code=code)
            continue
        if kind not in ROLE_KINDS:
            out.add(
                None,
                N_("role %(code)s: kind must be one of %(kinds)s"),
                "roles",
                code=code,
                kinds=", ".join(ROLE_KINDS),
            )
            continue
        label = _text(item.get("label"))
        if not label:
            out.add(None, N_("role %(code)s: label is missing"), "roles", code=code)
            continue
        roles.append(Role(code, label, kind, bool(item.get("column", True))))
    return roles


def _step(
    raw: Any,
    index: int | None,
    out: _Collector,
    role_kinds: dict[str, str],
    deadline: dict[str, Any] | None,
    side: bool,
    seen_numbers: set[int] | None = None,
) -> Step | None:
    if not isinstance(raw, dict):
        out.add(index, N_("a step must be a mapping"), "side_steps")
        return None
    if side:
        key = raw.get("key")
        if not isinstance(key, str) or not _KEY.match(key) or key.isdigit():
            out.add(
                None,
                N_("side step key %(key)r must use lowercase letters, digits and '_'"),
                "side_steps",
                key=key,
            )
            return None
        number = None
    else:
        number = raw.get("number")
        if isinstance(number, int) and seen_numbers is not None and number in seen_numbers:
            out.add(index, N_("duplicate step number %(number)s"), number=number)
            return None
        if isinstance(number, int) and seen_numbers is not None:
            seen_numbers.add(number)
        if number != index:
            out.add(
                index,
                N_("step number %(number)r out of order: expected %(expected)s"),
                number=number,
                expected=index,
            )
            return None
        key = str(number)

    ok = True
    unknown = set(raw) - _STEP_FIELDS - ({"key"} if side else {"number"})
    if unknown:
        out.add(
            key, N_("unknown field(s): %(fields)s"), fields=", ".join(sorted(map(str, unknown)))
        )
        ok = False
    activity = _text(raw.get("activity"))
    if not activity:
        out.add(key, N_("activity is missing"))
        ok = False

    role = raw.get("role")
    if role not in role_kinds:
        out.add(key, N_("unknown role %(role)r"), role=role)
        ok = False

    if "minutes" not in raw:
        out.add(key, N_("minutes is missing (use 0 when the SOP shows '-')"))
        ok = False
    minutes = raw.get("minutes")
    if minutes is None and "minutes" in raw and deadline is None:
        out.add(key, N_("minutes is null but the flow has no deadline"))
        ok = False
    elif minutes is not None and (
        not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 0
    ):
        out.add(key, N_("minutes must be a whole number of 0 or more, got %(got)r"), got=minutes)
        ok = False

    intake, auto = bool(raw.get("intake")), bool(raw.get("auto"))
    assisted_by = raw.get("assisted_by")
    kind = role_kinds.get(role)
    if side and (intake or auto):
        out.add(key, N_("a side step cannot be intake or auto"))
        ok = False
    if auto and kind == "staff":
        out.add(key, N_("auto is only for applicant and bot steps"))
        ok = False
    if intake and auto:
        out.add(key, N_("a step cannot be both intake and auto"))
        ok = False
    if assisted_by is not None and role_kinds.get(assisted_by) != "staff":
        out.add(key, N_("assisted_by %(role)r is not a staff role of this SOP"), role=assisted_by)
        ok = False
    if kind == "applicant" and not (intake or auto) and assisted_by is None:
        out.add(key, N_("an applicant step that waits for the applicant needs assisted_by"))
        ok = False
    if kind == "bot" and not (intake or auto):
        out.add(key, N_("a bot step must be intake or auto"))
        ok = False
    data_entry = raw.get("data_entry", False)
    if not isinstance(data_entry, bool) or (data_entry and kind != "staff"):
        out.add(key, N_("data_entry must be true or false, and only on a staff step"))
        ok = False

    visit = raw.get("visit", False)
    if not isinstance(visit, bool) or (visit and kind != "staff"):
        out.add(key, N_("visit must be true or false, and only on a staff step"))
        ok = False

    registry_check = raw.get("registry_check", False)
    if not isinstance(registry_check, bool) or (registry_check and kind != "staff"):
        out.add(key, N_("registry_check must be true or false, and only on a staff step"))
        ok = False

    document = raw.get("document") or ""
    if document not in ("", *DOCUMENT_WORK) or (document and kind != "staff"):
        out.add(
            key,
            N_("document must be one of %(kinds)s, on a staff step"),
            kinds=", ".join(DOCUMENT_WORK),
        )
        ok = False

    applicant = raw.get("applicant") or {}
    if not isinstance(applicant, dict):
        out.add(key, N_("applicant must be a mapping with visible and text"))
        applicant = {}
    unknown_keys = set(applicant) - {"visible", "text", "notice"}
    if unknown_keys:
        out.add(
            key,
            N_("unknown applicant field(s): %(fields)s"),
            fields=", ".join(sorted(map(str, unknown_keys))),
        )
        ok = False
    notice = applicant.get("notice", "status")
    if notice not in NOTICES:
        out.add(key, N_("applicant.notice must be one of %(notices)s"), notices=", ".join(NOTICES))
        ok = False

    requirements = raw.get("requirements") or []
    if isinstance(requirements, str):
        requirements = [requirements]
    actions = _actions(raw.get("actions"), key, out)
    if actions is None or not ok:
        return None
    return Step(
        key=key,
        number=number,
        activity=activity,
        role=role,
        minutes=minutes,
        output=_text(raw.get("output")),
        requirements=tuple(_text(r) for r in requirements),
        notes=_text(raw.get("notes")),
        intake=intake,
        auto=auto,
        assisted_by=assisted_by,
        visible=bool(applicant.get("visible", False)),
        applicant_text=_text(applicant.get("text")),
        notice=notice,
        data_entry=data_entry,
        document=document,
        visit=visit,
        registry_check=registry_check,
        actions=tuple(actions),
        side=side,
    )


def _actions(raw: Any, key: str, out: _Collector) -> list[Action] | None:
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        out.add(key, N_("actions must be a list"))
        return None
    actions: list[Action] = []
    ok = True
    for item in raw:
        if not isinstance(item, dict):
            out.add(key, N_("action %(action)r must be a mapping with kind"), action=item)
            ok = False
            continue
        kind = item.get("kind")
        unknown = set(item) - _ACTION_FIELDS
        if unknown:
            out.add(
                key,
                N_("action %(kind)s: unknown field(s): %(fields)s"),
                kind=kind,
                fields=", ".join(sorted(map(str, unknown))),
            )
            ok = False
            continue
        if kind not in ACTION_KINDS:
            out.add(key, N_("unknown action kind %(kind)r"), kind=kind)
            ok = False
            continue
        action_id = item.get("id", kind)
        if not isinstance(action_id, str) or not _KEY.match(action_id):
            out.add(
                key,
                N_("action id %(id)r must use lowercase letters, digits and '_'"),
                id=action_id,
            )
            ok = False
            continue
        if any(a.id == action_id for a in actions):
            out.add(key, N_("two actions with id %(id)r: give each an id"), id=action_id)
            ok = False
            continue
        target = item.get("to")
        if kind in (ActionKind.REJECT, ActionKind.REQUEST_DOCUMENTS) and target is not None:
            out.add(key, N_("%(kind)s cannot have a target ('to')"), kind=kind)
            ok = False
            continue
        if kind in (ActionKind.RETURN, ActionKind.ESCALATE) and target is None:
            out.add(key, N_("%(kind)s needs a target ('to')"), kind=kind)
            ok = False
            continue
        actions.append(
            Action(
                id=action_id,
                kind=kind,
                target=None if target is None else str(target),
                label=_text(item.get("label")) or DEFAULT_LABELS[kind],
                note_required=kind in NOTE_REQUIRED_KINDS or bool(item.get("note_required")),
            )
        )
    return actions if ok else None


def resolve_target(definition: SopDefinition, step: Step, action: Action) -> str | None:
    """Where ``action`` at ``step`` leads: a step key, END, or None (reject/request_documents)."""
    if action.kind == ActionKind.REJECT:
        return None
    if action.kind == ActionKind.REQUEST_DOCUMENTS:
        return step.key
    if action.target is not None:
        return action.target
    # complete / approve without 'to': the next main step, or the end after the last one.
    if step.side or step.number == len(definition.steps):
        return END
    return str(step.number + 1)


def _check_graph(definition: SopDefinition, out: _Collector) -> None:
    main = {s.key: s for s in definition.steps}
    side = {s.key: s for s in definition.side_steps}
    edges: dict[str, set[str]] = {}

    # Intake steps come first.
    seen_regular = False
    for step in definition.steps:
        if step.intake and seen_regular:
            out.add(step.key, N_("intake steps must all come before the other steps"))
        seen_regular = seen_regular or not step.intake
        if (step.intake or step.auto) and not any(a.kind in FORWARD_KINDS for a in step.actions):
            out.add(step.key, N_("an intake or auto step needs a complete action to go on"))

    for step in definition.all_steps:
        edges[step.key] = set()
        if not step.actions:
            out.add(step.key, N_("no way out: the step has no actions"))
            continue
        for action in step.actions:
            target = resolve_target(definition, step, action)
            if target is None or action.kind == ActionKind.REQUEST_DOCUMENTS:
                continue
            if target != END and target not in main and target not in side:
                out.add(
                    step.key,
                    N_("action %(id)s goes to step %(target)s, which does not exist"),
                    id=action.id,
                    target=target,
                )
                continue
            entering_intake = target in main and main[target].intake and not step.intake
            if entering_intake or (
                target in main and main[target].auto and action.kind == ActionKind.RETURN
            ):
                out.add(
                    step.key,
                    N_(
                        "%(kind)s to step %(target)s, which is done by the submission or"
                        " automatically; use request_documents to ask the applicant"
                    ),
                    kind=action.kind,
                    target=target,
                )
                continue
            if action.kind == ActionKind.ESCALATE and target == END:
                out.add(
                    step.key, N_("escalate must go to a side step or a later step, not the end")
                )
                continue
            if action.kind == ActionKind.RETURN:
                if target == END or target in side:
                    out.add(
                        step.key,
                        N_("return must go to an earlier step, not %(target)s"),
                        target=target,
                    )
                    continue
                if step.side or int(target) >= int(step.key):
                    out.add(
                        step.key,
                        N_("return to step %(target)s, which is not an earlier step"),
                        target=target,
                    )
                    continue
            if (
                action.kind in FORWARD_KINDS
                and not step.side
                and target in main
                and int(target) <= int(step.key)
            ):
                out.add(
                    step.key,
                    N_(
                        "%(kind)s to step %(target)s, which is not a later step"
                        " (use return to go back)"
                    ),
                    kind=action.kind,
                    target=target,
                )
                continue
            if action.kind in FORWARD_KINDS and target in side:
                out.add(
                    step.key,
                    N_("%(kind)s cannot enter side step %(target)s: use escalate"),
                    kind=action.kind,
                    target=target,
                )
                continue
            if (
                action.kind == ActionKind.ESCALATE
                and target in main
                and not step.side
                and int(target) <= int(step.key)
            ):
                out.add(
                    step.key,
                    N_("escalate to step %(target)s, which is not a later step"),
                    target=target,
                )
                continue
            edges[step.key].add(target)
    if out.errors:
        return

    # Reachability from the first step.
    reachable = _reach(definition.first_step.key, edges)
    for step in definition.all_steps:
        if step.key not in reachable:
            out.add(
                step.key, N_("unreachable from step %(first)s"), first=definition.first_step.key
            )

    # From every step the completed end must be reachable; a step that cannot reach it is a
    # dead end on a cycle with no exit (or, lacking a cycle, a plain dead end).
    for step in definition.all_steps:
        if step.key not in reachable or not step.actions:
            continue
        forward = _reach(step.key, edges)
        if END in forward:
            continue
        if step.key in _reach_from_successors(step.key, edges):
            loop = sorted((k for k in forward if k != END), key=_sort_key)
            out.add(
                step.key, N_("cycle with no exit through steps %(steps)s"), steps=", ".join(loop)
            )
        else:
            out.add(step.key, N_("no way out: no action leads on to the end of the flow"))


def _reach(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _reach_from_successors(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    for nxt in edges.get(start, ()):
        seen |= _reach(nxt, edges)
    return seen


def _sort_key(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (10**6, key)


# --------------------------------------------------------------------------------------------
# The way back: a definition as the format's mapping (export, and the editor's drafts)


def _target_out(target: str) -> str | int:
    return int(target) if target.isdigit() else target


def _action_data(action: Action) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if action.id != action.kind:
        data["id"] = action.id
    data["kind"] = action.kind
    if action.target is not None:
        data["to"] = _target_out(action.target)
    if action.label != DEFAULT_LABELS[ActionKind(action.kind)]:
        data["label"] = action.label
    if action.note_required and action.kind not in NOTE_REQUIRED_KINDS:
        data["note_required"] = True
    return data


def step_data(step: Step) -> dict[str, Any]:
    """One step as the format writes it (only what differs from the defaults)."""
    data: dict[str, Any] = {"key": step.key} if step.side else {"number": step.number}
    data["activity"] = step.activity
    data["role"] = step.role
    if step.requirements:
        data["requirements"] = list(step.requirements)
    data["minutes"] = step.minutes
    if step.output:
        data["output"] = step.output
    if step.notes:
        data["notes"] = step.notes
    for flag in ("intake", "auto", "data_entry", "visit", "registry_check"):
        if getattr(step, flag):
            data[flag] = True
    if step.document:
        data["document"] = step.document
    if step.assisted_by is not None:
        data["assisted_by"] = step.assisted_by
    applicant: dict[str, Any] = {}
    if step.visible:
        applicant["visible"] = True
    if step.applicant_text:
        applicant["text"] = step.applicant_text
    if step.notice != "status":
        applicant["notice"] = step.notice
    if applicant:
        data["applicant"] = applicant
    data["actions"] = [_action_data(action) for action in step.actions]
    return data


def identity_data(identity: dict[str, Any]) -> dict[str, Any]:
    """The identity block as the format writes it (empty fields left out)."""
    data: dict[str, Any] = {}
    for key in IDENTITY_FIELDS:
        value = identity.get(key)
        if key == "approved_by":
            value = {k: v for k, v in (value or {}).items() if v}
        if value:
            data[key] = list(value) if isinstance(value, list | tuple) else value
    return data


def to_data(definition: SopDefinition) -> dict[str, Any]:
    """The format's mapping of ``definition``: :func:`parse_data` reads it back to an equal
    definition (so a stored version exports to a file that loads with the same checksum)."""
    data: dict[str, Any] = {
        "format": FORMAT,
        "office": definition.office,
        "code": definition.code,
        "name": definition.name,
    }
    identity = identity_data(definition.identity)
    if identity:
        data["identity"] = identity
    if definition.source:
        data["source"] = dict(definition.source)
    if definition.deadline:
        deadline = {definition.deadline["unit"]: definition.deadline["amount"]}
        if definition.deadline.get("text"):
            deadline["text"] = definition.deadline["text"]
        data["deadline"] = deadline
    data["roles"] = []
    for role in definition.roles:
        item: dict[str, Any] = {"code": role.code, "label": role.label, "kind": role.kind}
        if not role.column:
            item["column"] = False
        data["roles"].append(item)
    data["steps"] = [step_data(step) for step in definition.steps]
    if definition.side_steps:
        data["side_steps"] = [step_data(step) for step in definition.side_steps]
    return data


class _Dumper(yaml.SafeDumper):
    """Block style with indented lists (as the presets are written), the format's key order."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def _text_representer(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text_representer)


def dump_yaml(data: dict[str, Any]) -> str:
    """``data`` as a YAML file of the documented format."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, indent=2)
