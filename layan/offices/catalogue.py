"""Office catalogues: an office, its hours, WhatsApp numbers and services, as a YAML file.

The format is documented in ``docs/office-catalogue.md``; the seed offices ship in
``layan/offices/presets``. Loading is an upsert keyed on codes, so a changed file can be loaded
again over the running office without disturbing requests under way.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from layan.core.errors import Invalid
from layan.offices.calendar import parse_hours
from layan.offices.fields import check_fields, stored_fields
from layan.offices.models import (
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
from layan.registry.dedup import RuleError, parse_rules

PRESETS_DIR = Path(__file__).resolve().parent / "presets"
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_KEY = re.compile(r"^[a-z0-9_]+$")
QUESTION_KINDS = ("choice", "number", "text", "date")

# The document types a service may name (``document:``), code -> title: registered at start-up
# by the app that renders them (the documents app), which this one does not import.
_DOCUMENT_TYPES: dict[str, Any] = {}


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


def _stored_question(question: dict[str, Any]) -> dict[str, Any]:
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


def _check_condition(where: str, condition: Any, questions: dict[str, dict]) -> list[str]:
    if condition is None:
        return []
    if not isinstance(condition, dict) or "question" not in condition:
        return [f"{where}: when must be a mapping with question"]
    if condition["question"] not in questions:
        return [f"{where}: when refers to unknown question {condition['question']!r}"]
    ops = set(condition) - {"question"}
    if not ops or not ops <= {"in", "eq", "gte", "gt", "lte", "lt"}:
        return [f"{where}: when needs one of in, eq, gte, gt, lte, lt"]
    return []


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
    services = data.get("services") or []
    codes = set()
    prefixes = set()
    for service in services:
        code = service.get("code")
        where = f"service {code}"
        if not isinstance(code, str) or not _CODE.match(code):
            problems.append(f"{where}: code must use lowercase letters, digits and '-'")
            continue
        if code in codes:
            problems.append(f"{where}: duplicate service code")
        codes.add(code)
        prefix = service.get("prefix")
        if not isinstance(prefix, str) or not re.match(r"^[A-Z]{2,4}$", prefix):
            problems.append(f"{where}: prefix must be 2 to 4 capital letters")
        elif prefix in prefixes:
            problems.append(f"{where}: prefix {prefix} is used by another service")
        prefixes.add(prefix)
        if len(service.get("short_name") or service.get("name") or "") > 24:
            problems.append(f"{where}: a name over 24 characters needs a short_name (≤ 24)")
        for field in ("name", "sop", "output"):
            if not service.get(field):
                problems.append(f"{where}: {field} is missing")
        if not isinstance(service.get("complaint", False), bool):
            problems.append(f"{where}: complaint must be true or false")
        document = service.get("document")
        if document is not None and document not in _DOCUMENT_TYPES:
            problems.append(f"{where}: document must be one of {', '.join(_DOCUMENT_TYPES)}")
        if service.get("delivery", "pdf") not in Service.Delivery.values:
            problems.append(
                f"{where}: delivery must be one of {', '.join(Service.Delivery.values)}"
            )
        questions = {}
        for question in service.get("questions") or []:
            qcode = question.get("code")
            if not isinstance(qcode, str) or not _KEY.match(qcode):
                problems.append(f"{where}: question code {qcode!r} is invalid")
                continue
            if question.get("kind") not in QUESTION_KINDS:
                problems.append(f"{where}: question {qcode}: kind must be one of {QUESTION_KINDS}")
            if question.get("kind") == "choice" and not isinstance(question.get("choices"), dict):
                problems.append(f"{where}: question {qcode}: choices must be a mapping")
            questions[qcode] = question
        req_codes = set()
        for req in service.get("requirements") or []:
            rcode = req.get("code")
            if not isinstance(rcode, str) or not _KEY.match(rcode) or rcode in req_codes:
                problems.append(f"{where}: requirement code {rcode!r} is invalid or repeated")
                continue
            req_codes.add(rcode)
            if req.get("kind") not in Requirement.Kind.values:
                problems.append(
                    f"{where}: requirement {rcode}: kind must be one of"
                    f" {', '.join(Requirement.Kind.values)}"
                )
            if not req.get("label"):
                problems.append(f"{where}: requirement {rcode}: label is missing")
            problems += _check_condition(
                f"{where}: requirement {rcode}", req.get("when"), questions
            )
        problems += check_fields(service.get("fields"), where)
        problems += check_registry(service.get("registry"), service.get("fields"), where)
        for item in service.get("bring_on_pickup") or []:
            problems += _check_condition(f"{where}: bring_on_pickup", item.get("when"), questions)
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
    """Create or update the services and numbers; each service's SOP must be loaded already."""
    services: dict[str, Service] = {}
    for position, item in enumerate(data.get("services") or [], start=1):
        sop = office.sops.filter(code=item["sop"]).first()
        if sop is None:
            raise Invalid(
                _("Service %(service)s needs SOP %(sop)s, which is not loaded.")
                % {"service": item["code"], "sop": item["sop"]},
                "sop_missing",
            )
        service, _created = Service.objects.update_or_create(
            office=office,
            code=item["code"],
            defaults={
                "name": item["name"],
                "short_name": item.get("short_name") or "",
                "prefix": item["prefix"],
                "sop": sop,
                "output": item["output"],
                "delivery": item.get("delivery", Service.Delivery.PDF),
                "document": item.get("document") or "",
                "forms": list(item.get("forms") or []),
                "questions": [_stored_question(q) for q in item.get("questions") or []],
                "bring_on_pickup": list(item.get("bring_on_pickup") or []),
                "fields": stored_fields(item.get("fields")),
                "registry": dict(item.get("registry") or {}),
                "is_complaint": bool(item.get("complaint", False)),
                "position": position,
            },
        )
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
    return list(services.values())
