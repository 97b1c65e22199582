"""Office catalogues: an office, its hours, WhatsApp numbers and services, as a YAML file.

The format is documented in ``docs/office-catalogue.md``; the seed offices ship in
``layan/offices/presets``. Loading is an upsert keyed on codes, so a changed file can be loaded
again over the running office without disturbing requests under way.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop as N_

from layan.core.errors import Invalid
from layan.offices.calendar import parse_hours
from layan.offices.fields import check_fields, stored_fields
from layan.offices.models import (
    CatalogueVersion,
    Channel,
    Office,
    OfficeDayOff,
    Requirement,
    Role,
    Service,
    region_code_validator,
    validate_timezone,
)
from layan.offices.people import check_registry
from layan.offices.problems import Problem
from layan.registry.dedup import RuleError, parse_rules

PRESETS_DIR = Path(__file__).resolve().parent / "presets"
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_KEY = re.compile(r"^[a-z0-9_]+$")
QUESTION_KINDS = ("choice", "number", "text", "date")

# The document types a service may name (``document:``), code -> title: registered at start-up
# by the app that renders them (the documents app), which this one does not import.
_DOCUMENT_TYPES: dict[str, Any] = {}


# What the console's catalogue editor changes of a service (``layan.offices.editing``).
EDITABLE = (
    "name",
    "short_name",
    "output",
    "questions",
    "requirements",
    "fields",
    "bring_on_pickup",
)


class TextStore(Protocol):
    """How the bot's texts of an office are read, checked and stored (the bot's business)."""

    def defaults(self) -> list[tuple[str, str, str]]:
        """(key, Indonesian default, English default) of every text an office may change."""

    def check(self, key: str, text: str) -> str | None:
        """Why ``text`` cannot be the office's wording of ``key`` (None: it can)."""

    def current(self, office: Office) -> dict[str, dict[str, str]]:
        """The office's own wordings: key -> language -> text."""

    def store(self, office: Office, texts: Mapping[str, Mapping[str, str]]) -> None:
        """Make ``texts`` the office's own wordings (the others back to the defaults)."""


class _NoTexts:
    def defaults(self):
        return []

    def check(self, key, text):
        return None

    def current(self, office):
        return {}

    def store(self, office, texts):
        return None


_TEXTS: list[TextStore] = [_NoTexts()]


def register_texts(store: TextStore) -> None:
    """The bot registers how an office's texts are read, checked and stored."""
    _TEXTS[0] = store


def texts() -> TextStore:
    return _TEXTS[0]


def register_document_type(code: str, title) -> None:
    _DOCUMENT_TYPES[code] = title


def document_types() -> dict[str, Any]:
    return dict(_DOCUMENT_TYPES)


def question_choices(question: dict[str, Any]) -> list[tuple[str, str]]:
    """A choice question's options in the catalogue's order, as (value, label).

    Stored as a list of pairs: PostgreSQL's jsonb does not keep the key order of an object, and
    residents must see the options in the order the office wrote them.
    """
    raw = question.get("choices") or []
    items = raw.items() if isinstance(raw, dict) else raw
    return [(str(value), str(label)) for value, label in items]


def stored_question(question: dict[str, Any]) -> dict[str, Any]:
    if question.get("kind") != "choice":
        return dict(question)
    return {**question, "choices": [list(pair) for pair in question_choices(question)]}


def condition_applies(condition: dict[str, Any] | None, answers: dict[str, Any]) -> bool:
    """Whether a requirement's ``when`` holds for the applicant's answers.

    ``{"question": "reason", "in": ["lost"]}`` or ``{"question": "child_age", "gte": 5}``
    (also ``gt``, ``lt``, ``lte``, ``eq``). An unanswered question never matches.
    """
    if not condition:
        return True
    value = answers.get(condition["question"])
    if value is None or value == "":
        return False
    if "in" in condition:
        return str(value) in {str(v) for v in condition["in"]}
    if "eq" in condition:
        return str(value) == str(condition["eq"])
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    checks = {
        "gte": number.__ge__,
        "gt": number.__gt__,
        "lte": number.__le__,
        "lt": number.__lt__,
    }
    return all(check(float(condition[op])) for op, check in checks.items() if op in condition)


def read_catalogue(path: str | Path) -> tuple[dict[str, Any] | None, list[str]]:
    name = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return None, [f"{name}: cannot read: {exc}"]
    errors = [f"{name}: {problem}" for problem in validate_catalogue(data)]
    return (None if errors else data), errors


def _condition_problems(where: str, condition: Any, questions: dict[str, dict]) -> list[Problem]:
    if condition is None:
        return []
    if not isinstance(condition, dict) or "question" not in condition:
        return [Problem(where, N_("when must be a mapping with question"))]
    if condition["question"] not in questions:
        return [
            Problem(
                where,
                N_("when refers to unknown question %(question)r"),
                question=condition["question"],
            )
        ]
    ops = set(condition) - {"question"}
    if not ops or not ops <= {"in", "eq", "gte", "gt", "lte", "lt"}:
        return [Problem(where, N_("when needs one of in, eq, gte, gt, lte, lt"))]
    for op in ops & {"gte", "gt", "lte", "lt"}:
        value = condition[op]
        if not isinstance(value, int | float) or isinstance(value, bool):
            return [Problem(where, N_("when %(op)s needs a number"), op=op)]
    if "in" in condition and not isinstance(condition["in"], list):
        return [Problem(where, N_("when in needs a list of answers"))]
    return []


def validate_service(service: Any) -> list[Problem]:
    """Problems of one service of a catalogue (the ``services:`` entry, choices as mappings):
    the loader's check, and the console's catalogue editor's."""
    if not isinstance(service, dict):
        return [Problem("", N_("a service must be a mapping"))]
    code = service.get("code")
    where = f"service {code}"
    problems: list[Problem] = []
    if not isinstance(code, str) or not _CODE.match(code):
        return [Problem(where, N_("code must use lowercase letters, digits and '-'"))]
    prefix = service.get("prefix")
    if not isinstance(prefix, str) or not re.match(r"^[A-Z]{2,4}$", prefix):
        problems.append(Problem(where, N_("prefix must be 2 to 4 capital letters")))
    if len(service.get("short_name") or service.get("name") or "") > 24:
        problems.append(Problem(where, N_("a name over 24 characters needs a short_name (≤ 24)")))
    for field in ("name", "sop", "output"):
        if not service.get(field):
            problems.append(Problem(where, N_("%(field)s is missing"), field=field))
    if not isinstance(service.get("complaint", False), bool):
        problems.append(Problem(where, N_("complaint must be true or false")))
    document = service.get("document")
    if document is not None and document not in _DOCUMENT_TYPES:
        problems.append(
            Problem(
                where,
                N_("document must be one of %(types)s"),
                types=", ".join(_DOCUMENT_TYPES),
            )
        )
    if service.get("delivery", "pdf") not in Service.Delivery.values:
        problems.append(
            Problem(
                where,
                N_("delivery must be one of %(kinds)s"),
                kinds=", ".join(Service.Delivery.values),
            )
        )
    questions = {}
    for question in service.get("questions") or []:
        qcode = question.get("code") if isinstance(question, dict) else None
        if not isinstance(qcode, str) or not _KEY.match(qcode) or qcode in questions:
            problems.append(
                Problem(where, N_("question code %(code)r is invalid or repeated"), code=qcode)
            )
            continue
        here = f"{where}: question {qcode}"
        if question.get("kind") not in QUESTION_KINDS:
            problems.append(
                Problem(here, N_("kind must be one of %(kinds)s"), kinds=", ".join(QUESTION_KINDS))
            )
        if not question.get("label"):
            problems.append(Problem(here, N_("label is missing")))
        if question.get("kind") == "choice" and not (
            isinstance(question.get("choices"), dict) and question["choices"]
        ):
            problems.append(Problem(here, N_("choices must be a mapping")))
        questions[qcode] = question
    req_codes: set[str] = set()
    for req in service.get("requirements") or []:
        rcode = req.get("code") if isinstance(req, dict) else None
        if not isinstance(rcode, str) or not _KEY.match(rcode) or rcode in req_codes:
            problems.append(
                Problem(where, N_("requirement code %(code)r is invalid or repeated"), code=rcode)
            )
            continue
        req_codes.add(rcode)
        here = f"{where}: requirement {rcode}"
        if req.get("kind") not in Requirement.Kind.values:
            problems.append(
                Problem(
                    here,
                    N_("kind must be one of %(kinds)s"),
                    kinds=", ".join(Requirement.Kind.values),
                )
            )
        if not req.get("label"):
            problems.append(Problem(here, N_("label is missing")))
        if not isinstance(req.get("required", True), bool):
            problems.append(Problem(here, N_("required must be true or false")))
        problems += _condition_problems(here, req.get("when"), questions)
    problems += check_fields(service.get("fields"), where)
    problems += [
        Problem("", problem)
        for problem in check_registry(service.get("registry"), service.get("fields"), where)
    ]
    for item in service.get("bring_on_pickup") or []:
        if not isinstance(item, dict) or not item.get("label"):
            problems.append(Problem(f"{where}: bring_on_pickup", N_("label is missing")))
            continue
        problems += _condition_problems(f"{where}: bring_on_pickup", item.get("when"), questions)
    return problems


def validate_catalogue(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return ["the file must be a mapping"]
    problems: list[str] = []
    if data.get("format") != 1:
        problems.append("format must be 1")
    if not isinstance(data.get("code"), str) or not _CODE.match(data["code"]):
        problems.append("code must use lowercase letters, digits and '-'")
    if not data.get("name"):
        problems.append("name is missing")
    try:
        region_code_validator(str(data.get("region_code", "")))
    except ValidationError:
        problems.append(f"region_code {data.get('region_code')!r} is not a Kemendagri code")
    try:
        validate_timezone(data.get("timezone", "Asia/Jakarta"))
    except ValidationError:
        problems.append(f"timezone {data.get('timezone')!r} is unknown")
    try:
        parse_hours(data.get("hours") or {})
    except ValueError as exc:
        problems.append(f"hours: {exc}")
    for day in data.get("days_off") or []:
        if not isinstance(day, date | str):
            problems.append(f"days_off: {day!r} is not a date")
    if not isinstance(data.get("change_approval", False), bool):
        problems.append("change_approval must be true or false")
    services = data.get("services") or []
    codes = set()
    prefixes = set()
    for service in services:
        problems += validate_service(service)
        if not isinstance(service, dict):
            continue
        code, prefix = service.get("code"), service.get("prefix")
        if code in codes:
            problems.append(f"service {code}: duplicate service code")
        codes.add(code)
        if isinstance(prefix, str) and prefix in prefixes:
            problems.append(f"service {code}: prefix {prefix} is used by another service")
        prefixes.add(prefix)
    try:
        parse_rules(data.get("duplicates"))
    except RuleError as exc:
        problems.append(f"duplicates: {exc}")
    for channel in data.get("channels") or []:
        pid = str(channel.get("phone_number_id", ""))
        if not pid.isdigit():
            problems.append(f"channel {channel.get('phone')}: phone_number_id must be digits")
        for code in channel.get("services") or []:
            if code not in codes:
                problems.append(f"channel {channel.get('phone')}: unknown service {code}")
    return problems


# --------------------------------------------------------------------------------------------
# What the catalogue editor changes, and the versions a file load records


def _requirement(req: Mapping[str, Any]) -> dict[str, Any]:
    item = {
        "code": req.get("code"),
        "label": req.get("label"),
        "kind": req.get("kind"),
        "required": req.get("required", True),
    }
    if req.get("when") is not None:
        item["when"] = req.get("when")
    return item


def entry_of(service: Service) -> dict[str, Any]:
    """The editable part of ``service`` as its rows hold it."""
    return {
        "code": service.code,
        "name": service.name,
        "short_name": service.short_name,
        "output": service.output,
        "questions": copy.deepcopy(service.questions or []),
        "requirements": [
            _requirement(
                {
                    "code": r.code,
                    "label": r.label,
                    "kind": r.kind,
                    "required": r.required,
                    "when": r.condition,
                }
            )
            for r in service.requirements.order_by("position", "pk")
        ],
        "fields": copy.deepcopy(service.fields or []),
        "bring_on_pickup": copy.deepcopy(service.bring_on_pickup or []),
    }


def entry_from_file(item: Mapping[str, Any]) -> dict[str, Any]:
    """The editable part of a catalogue file's service, as the rows would hold it."""
    from_file = Service(
        code=item["code"],
        name=item["name"],
        short_name=item.get("short_name") or "",
        output=item["output"],
        questions=[stored_question(q) for q in item.get("questions") or []],
        fields=stored_fields(item.get("fields")),
        bring_on_pickup=list(item.get("bring_on_pickup") or []),
    )
    entry = {key: getattr(from_file, key) for key in ("name", "short_name", "output")}
    return {
        "code": from_file.code,
        **entry,
        "questions": from_file.questions,
        "requirements": [_requirement(r) for r in item.get("requirements") or []],
        "fields": from_file.fields,
        "bring_on_pickup": from_file.bring_on_pickup,
    }


def content_of(office: Office) -> dict[str, Any]:
    return {
        "services": [entry_of(s) for s in office.services.order_by("position", "code")],
        "texts": texts().current(office),
    }


def checksum(content: Mapping[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_loaded(office: Office) -> CatalogueVersion | None:
    """After a catalogue file was loaded: its content as a version, unless it is one already."""
    content = content_of(office)
    digest = checksum(content)
    latest = office.catalogue_versions.order_by("-number").first()
    if latest is not None and latest.checksum == digest:
        return None
    number = (latest.number if latest else 0) + 1
    return CatalogueVersion.objects.create(
        office=office, number=number, checksum=digest, data=content, origin="file"
    )


def known_entries(office: Office) -> dict[str, list[dict[str, Any]]]:
    """Per service code: every editable content it had in a version (the file's content seen
    before is not loaded over what the office changed since)."""
    known: dict[str, list[dict[str, Any]]] = {}
    for data in office.catalogue_versions.values_list("data", flat=True):
        for item in (data or {}).get("services") or []:
            known.setdefault(item.get("code"), []).append(item)
    return known


@transaction.atomic
def load_office(data: dict[str, Any]) -> Office:
    """Create or update the office itself, its days off and its extra staff roles."""
    head = data.get("head") or {}
    office, _created = Office.objects.update_or_create(
        code=data["code"],
        defaults={
            "name": data["name"],
            "short_name": data.get("short_name") or "",
            "region_code": str(data["region_code"]),
            "timezone": data.get("timezone", "Asia/Jakarta"),
            "hours": data.get("hours") or {},
            "head_name": head.get("name") or "",
            "head_nip": str(head.get("nip") or ""),
            "head_title": head.get("title") or "",
            "address": data.get("address") or "",
            "duplicate_rules": data.get("duplicates") or {},
            # Only when the file says so: the head of office may have switched it in the console.
            **({"change_approval": data["change_approval"]} if "change_approval" in data else {}),
        },
    )
    for day in data.get("days_off") or []:
        value = day if isinstance(day, date) else date.fromisoformat(str(day))
        OfficeDayOff.objects.get_or_create(office=office, date=value)
    for role in data.get("extra_roles") or []:
        Role.objects.update_or_create(
            office=office,
            code=role["code"],
            defaults={"name": role["label"], "kind": Role.Kind.STAFF},
        )
    return office


@transaction.atomic
def load_services(office: Office, data: dict[str, Any]) -> list[Service]:
    """Create or update the services and numbers; each service's SOP must be loaded already.

    What the console's catalogue editor changes (:data:`EDITABLE`) is loaded only when the
    file's content of a service is new: content loaded before is not loaded again over what the
    office changed since (as ``layan sop load`` skips a flow's known content). The result is
    recorded as a catalogue version when it is one."""
    services: dict[str, Service] = {}
    known = known_entries(office)
    for position, item in enumerate(data.get("services") or [], start=1):
        sop = office.sops.filter(code=item["sop"]).first()
        if sop is None:
            raise Invalid(
                _("Service %(service)s needs SOP %(sop)s, which is not loaded.")
                % {"service": item["code"], "sop": item["sop"]},
                "sop_missing",
            )
        entry = entry_from_file(item)
        fresh = entry not in known.get(item["code"], [])
        defaults = {
            "prefix": item["prefix"],
            "sop": sop,
            "delivery": item.get("delivery", Service.Delivery.PDF),
            "document": item.get("document") or "",
            "forms": list(item.get("forms") or []),
            "registry": dict(item.get("registry") or {}),
            "is_complaint": bool(item.get("complaint", False)),
            "position": position,
        }
        editable = {key: entry[key] for key in EDITABLE if key != "requirements"}
        service = Service.objects.filter(office=office, code=item["code"]).first()
        if service is None or fresh:
            defaults.update(editable)
        service, created = Service.objects.update_or_create(
            office=office, code=item["code"], defaults=defaults
        )
        if created or fresh:
            keep = []
            for rpos, req in enumerate(item.get("requirements") or [], start=1):
                Requirement.objects.update_or_create(
                    service=service,
                    code=req["code"],
                    defaults={
                        "label": req["label"],
                        "kind": req["kind"],
                        "required": bool(req.get("required", True)),
                        "condition": req.get("when"),
                        "position": rpos,
                    },
                )
                keep.append(req["code"])
            service.requirements.exclude(code__in=keep).delete()
        services[service.code] = service
    for item in data.get("channels") or []:
        channel, _created = Channel.objects.update_or_create(
            phone_number_id=str(item["phone_number_id"]),
            defaults={"office": office, "phone": item["phone"], "label": item.get("label", "")},
        )
        channel.services.set([services[code] for code in item.get("services") or []])
    record_loaded(office)
    return list(services.values())
