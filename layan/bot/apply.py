"""The guided application: who it is for, name, NIK, the service's questions, each requirement in
turn, a summary, then the request is created through the engine.

The same flow takes complaints (the office's complaint service): the name, the category and
description the complaint service asks for, optional attachments and the related tracking code.

State (``conversation.state``)::

    {"flow": "apply", "service": "kia-baru", "field": "r:akta_kelahiran",
     "data": {"who": "self", "name": …, "nik": …, "answers": {…}, "values": {…},
              "files": {"akta_kelahiran": [media ids]}, "done": [field keys], …}}

The fields are recomputed from the service data on every turn (a conditional requirement
appears once the answer it depends on is known), and the first field not done is the one asked.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

from django.db import transaction

from layan.bot import menu, selectors
from layan.bot.contacts import conversation_for_phone, link
from layan.bot.models import CaseContact
from layan.bot.turn import Turn, normalize_phone
from layan.cases.codes import normalize_code
from layan.cases.models import Attachment, Case
from layan.cases.services import Actor, submit_case
from layan.core.errors import LayanError
from layan.offices.catalogue import condition_applies, question_choices
from layan.offices.models import Requirement, Service
from layan.registry.names import PersonNameError, clean_person_name
from layan.registry.nik import NikError, clean_nik, parse_nik
from layan.whatsapp.builders import Option
from layan.whatsapp.models import MediaFile

logger = logging.getLogger(__name__)

MAX_TEXT = 1000
FILE_KINDS = (Requirement.Kind.PHOTO, Requirement.Kind.DOCUMENT)
# NIK requirements that are the applicant's own NIK: answered by the NIK asked at the start.
APPLICANT_NIK = ("nik", "nik_pemohon")


# --------------------------------------------------------------------------- entry points


def start(turn: Turn, service: Service) -> None:
    turn.reset()
    turn.state.update({"flow": "apply", "service": service.code, "data": _empty()})
    if service.is_complaint:
        turn.say(turn.t("complaint_start"))
    else:
        turn.say(turn.t("apply_start", service=service.name))
    _ask_next(turn, service)


def start_complaint(turn: Turn) -> bool:
    """Start a complaint; False when the office has no complaint service."""
    service = selectors.complaint_service(turn.office)
    if service is None:
        return False
    start(turn, service)
    return True


def handle(turn: Turn) -> None:
    service = _service(turn)
    if service is None:
        turn.reset()
        menu.show(turn)
        return
    field = turn.state.get("field")
    if field not in plan(service, _data(turn)):
        # The office changed the service while this resident was applying: ask what is next.
        field = _next_field(service, _data(turn))
        turn.state["field"] = field
        _prompt(turn, service, field)
        return
    receive = _receiver(field)
    if receive(turn, service, field):
        _done(turn, field)
        _ask_next(turn, service)


# --------------------------------------------------------------------------- plan


def _empty() -> dict[str, Any]:
    return {"answers": {}, "values": {}, "files": {}, "skipped": [], "done": []}


def _data(turn: Turn) -> dict[str, Any]:
    return turn.state.setdefault("data", _empty())


def _service(turn: Turn) -> Service | None:
    code = turn.state.get("service", "")
    service = selectors.channel_service(turn.channel, code)
    if service is None:
        complaint = selectors.complaint_service(turn.office)
        if complaint is not None and complaint.code == code:
            return complaint
    return service


def requirements(service: Service, answers: dict[str, Any]) -> list[Requirement]:
    """The requirements that apply given the answers so far."""
    return [r for r in service.requirements.all() if condition_applies(r.condition, answers)]


def plan(service: Service, data: dict[str, Any]) -> list[str]:
    fields = [] if service.is_complaint else ["who"]
    fields.append("name")
    if not service.is_complaint:
        fields.append("nik")
    fields += [f"q:{q['code']}" for q in service.questions or []]
    fields += [
        f"r:{r.code}"
        for r in requirements(service, data.get("answers", {}))
        if not (r.kind == Requirement.Kind.NIK and r.code in APPLICANT_NIK and data.get("nik"))
    ]
    if data.get("who") == "other":
        fields.append("phone")
    if service.is_complaint:
        fields.append("related")
    fields.append("confirm")
    return fields


def _next_field(service: Service, data: dict[str, Any]) -> str:
    done = set(data.get("done", []))
    return next(f for f in plan(service, data) if f not in done)


def _done(turn: Turn, field: str) -> None:
    data = _data(turn)
    if field not in data["done"]:
        data["done"].append(field)


def _ask_next(turn: Turn, service: Service) -> None:
    data = _data(turn)
    field = _next_field(service, data)
    turn.state["field"] = field
    _prompt(turn, service, field)


def _question(service: Service, code: str) -> dict[str, Any]:
    return next(q for q in service.questions or [] if q["code"] == code)


def _requirement(service: Service, code: str) -> Requirement:
    return service.requirements.get(code=code)


# --------------------------------------------------------------------------- prompts


def _prompt(turn: Turn, service: Service, field: str) -> None:
    t = turn.t
    data = _data(turn)
    if field == "who":
        turn.ask(
            t("ask_for_whom"),
            [Option("f:self", t("button_self")), Option("f:other", t("button_other"))],
        )
    elif field == "name":
        key = "ask_name_complaint" if service.is_complaint else "ask_name"
        turn.prompt(t("ask_name_other") if data.get("who") == "other" else t(key))
    elif field == "nik":
        turn.prompt(t("ask_nik"))
    elif field.startswith("q:"):
        _prompt_question(turn, _question(service, field[2:]))
    elif field.startswith("r:"):
        _prompt_requirement(turn, service, _requirement(service, field[2:]))
    elif field == "phone":
        turn.ask(t("ask_applicant_phone"), [Option("f:skip", t("button_skip"))])
    elif field == "related":
        turn.ask(t("ask_related"), [Option("f:skip", t("button_skip"))])
    elif field == "confirm":
        turn.ask(
            _summary(turn, service),
            [Option("f:send", t("button_send")), Option("f:cancel", t("button_cancel"))],
        )


def _prompt_question(turn: Turn, question: dict[str, Any]) -> None:
    t = turn.t
    label = question.get("label", question["code"])
    kind = question.get("kind")
    if kind == "choice":
        options = [Option(f"q:{value}", title) for value, title in question_choices(question)]
        turn.ask(t("choice_prompt", label=label), options)
    elif kind == "number":
        turn.prompt(t("ask_number", label=label))
    elif kind == "date":
        turn.prompt(t("ask_date", label=label))
    else:
        turn.prompt(t("ask_text", label=label))


def _prompt_requirement(turn: Turn, service: Service, requirement: Requirement) -> None:
    t = turn.t
    data = _data(turn)
    if requirement.kind in FILE_KINDS:
        files = [r.code for r in requirements(service, data["answers"]) if r.kind in FILE_KINDS]
        number = files.index(requirement.code) + 1
        params = {"label": requirement.label, "number": number, "total": len(files)}
        if requirement.required:
            turn.prompt(t("ask_file", **params))
        else:
            turn.ask(t("ask_file_optional", **params), [Option("f:skip", t("button_skip"))])
    elif requirement.kind == Requirement.Kind.NIK:
        turn.prompt(t("ask_nik_requirement", label=requirement.label))
    elif requirement.required:
        turn.prompt(t("ask_text", label=requirement.label))
    else:
        turn.ask(
            t("ask_text_optional", label=requirement.label), [Option("f:skip", t("button_skip"))]
        )


def _summary(turn: Turn, service: Service) -> str:
    t = turn.t
    data = _data(turn)
    lines = [t("summary"), "", t("summary_service", service=service.name)]
    lines.append(t("summary_name", name=data.get("name", "")))
    if data.get("nik"):
        lines.append(t("summary_nik", nik=data["nik"]))
    if data.get("who") == "other":
        lines.append(t("summary_for_other", name=turn.identity.name or turn.identity.phone))
    for question in service.questions or []:
        value = data["answers"].get(question["code"])
        if value is None:
            continue
        shown = dict(question_choices(question)).get(str(value), value)
        lines.append(
            t("summary_answer", label=question.get("label", question["code"]), value=shown)
        )
    for requirement in requirements(service, data["answers"]):
        code = requirement.code
        if requirement.kind in FILE_KINDS:
            count = len(data["files"].get(code, []))
            key = "summary_files" if count else "summary_skipped"
            lines.append(t(key, label=requirement.label, count=count))
        elif requirement.kind == Requirement.Kind.NIK and code in APPLICANT_NIK:
            continue
        elif code in data["values"]:
            value = data["values"][code]
            if len(value) > 80:
                value = value[:79] + "…"
            lines.append(t("summary_answer", label=requirement.label, value=value))
        else:
            lines.append(t("summary_skipped", label=requirement.label))
    if data.get("phone"):
        lines.append(t("summary_phone", phone=data["phone"]))
    if data.get("related"):
        lines.append(t("summary_related", code=data["related"]))
    lines += ["", t("confirm")]
    return "\n".join(lines)


# --------------------------------------------------------------------------- answers


def _receiver(field: str):
    if field == "who":
        return _receive_who
    if field == "name":
        return _receive_name
    if field == "nik":
        return _receive_nik
    if field.startswith("q:"):
        return _receive_question
    if field.startswith("r:"):
        return _receive_requirement
    if field == "phone":
        return _receive_phone
    if field == "related":
        return _receive_related
    return _receive_confirm


def _reprompt(turn: Turn, service: Service, field: str, error: str) -> bool:
    turn.say(error)
    _prompt(turn, service, field)
    return False


def _typed(turn: Turn, service: Service, field: str, label: str) -> bool:
    """Whether the message is typed text; otherwise say what this step needs."""
    if turn.text:
        return True
    return _reprompt(turn, service, field, turn.t("text_expected", label=label))


def _receive_who(turn: Turn, service: Service, field: str) -> bool:
    choice = turn.pick()
    if choice not in ("f:self", "f:other"):
        return _reprompt(turn, service, field, turn.t("choice_invalid"))
    _data(turn)["who"] = "self" if choice == "f:self" else "other"
    return True


def _receive_name(turn: Turn, service: Service, field: str) -> bool:
    if not _typed(turn, service, field, turn.t("ask_name")):
        return False
    try:
        name = clean_person_name(turn.text)  # the engine's rule, told in the bot's words
    except PersonNameError:
        return _reprompt(turn, service, field, turn.t("name_invalid"))
    _data(turn)["name"] = name
    return True


def nik_error(turn: Turn, error: NikError, raw: str) -> str:
    """The resident's explanation of what is wrong with a NIK (texts are data, by error code)."""
    value = clean_nik(raw)
    params = {"count": len(value), "month": value[8:10], "digits": value[6:12]}
    return turn.t(error.code, **params)


def _check_nik(turn: Turn, service: Service, field: str) -> str | None:
    """The NIK typed, checked at once so the resident can correct it (the engine checks it
    again at submission, and flags an unknown region)."""
    try:
        nik = parse_nik(turn.text)
    except NikError as exc:
        _reprompt(turn, service, field, nik_error(turn, exc, turn.text))
        return None
    return nik.value


def _receive_nik(turn: Turn, service: Service, field: str) -> bool:
    if not _typed(turn, service, field, "NIK"):
        return False
    nik = _check_nik(turn, service, field)
    if nik is None:
        return False
    _data(turn)["nik"] = nik
    return True


_DATE = re.compile(r"^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})$")


def _receive_question(turn: Turn, service: Service, field: str) -> bool:
    question = _question(service, field[2:])
    kind = question.get("kind")
    label = question.get("label", question["code"])
    answers = _data(turn)["answers"]
    if kind == "choice":
        choice = turn.pick()
        value = choice[2:] if choice and choice.startswith("q:") else None
        if value not in dict(question_choices(question)):
            return _reprompt(turn, service, field, turn.t("choice_invalid"))
        answers[question["code"]] = value
        return True
    if not _typed(turn, service, field, label):
        return False
    if kind == "number":
        low, high = question.get("min", 0), question.get("max", 999)
        match = re.match(r"\s*([0-9]{1,4})\b", turn.text)
        number = int(match.group(1)) if match else None
        if number is None or not low <= number <= high:
            return _reprompt(turn, service, field, turn.t("number_invalid", min=low, max=high))
        answers[question["code"]] = number
        return True
    if kind == "date":
        match = _DATE.match(turn.text)
        try:
            day = date(int(match[3]), int(match[2]), int(match[1])) if match else None
        except ValueError:
            day = None
        if day is None:
            return _reprompt(turn, service, field, turn.t("date_invalid"))
        answers[question["code"]] = day.isoformat()
        return True
    if not 2 <= len(turn.text) <= MAX_TEXT:
        return _reprompt(turn, service, field, turn.t("text_invalid", max=MAX_TEXT))
    answers[question["code"]] = turn.text
    return True


def collect_file(turn: Turn, files: list[int], label: str) -> str:
    """One message at a file step: ``"added"`` (a file was kept), ``"next"`` (the resident is
    done with this item), ``"skip"``, ``"rejected"`` (told why) or ``"other"``."""
    if turn.kind in ("image", "document"):
        media = turn.media()
        if media is None or media.status != MediaFile.Status.ACCEPTED:
            turn.refuse_media(media)
            return "rejected"
        if media.pk not in files:
            files.append(media.pk)
        return "added"
    if turn.goes_on():
        return "next"
    if turn.skips():
        return "skip"
    return "other"


def _receive_requirement(turn: Turn, service: Service, field: str) -> bool:
    t = turn.t
    requirement = _requirement(service, field[2:])
    data = _data(turn)
    code = requirement.code
    if requirement.kind in FILE_KINDS:
        files = data["files"].setdefault(code, [])
        result = collect_file(turn, files, requirement.label)
        if result == "added":
            turn.ask(
                t("file_received", label=requirement.label, count=len(files)),
                [Option("f:next", t("button_next"))],
            )
            return False
        if result == "rejected":
            _prompt(turn, service, field)
            return False
        if result == "next" and files:
            return True
        if result == "skip" and not requirement.required:
            data["skipped"].append(code)
            return True
        if result in ("next", "skip") and not files:
            return _reprompt(turn, service, field, t("cannot_skip"))
        if files:
            turn.ask(
                t("file_expected", label=requirement.label),
                [Option("f:next", t("button_next"))],
            )
            return False
        return _reprompt(turn, service, field, t("file_expected", label=requirement.label))
    # typed requirements
    if not requirement.required and turn.skips():
        data["skipped"].append(code)
        return True
    if not _typed(turn, service, field, requirement.label):
        return False
    if requirement.kind == Requirement.Kind.NIK:
        nik = _check_nik(turn, service, field)
        if nik is None:
            return False
        data["values"][code] = nik
        return True
    if not 2 <= len(turn.text) <= MAX_TEXT:
        return _reprompt(turn, service, field, t("text_invalid", max=MAX_TEXT))
    data["values"][code] = turn.text
    return True


def _receive_phone(turn: Turn, service: Service, field: str) -> bool:
    if turn.skips():
        return True
    phone = normalize_phone(turn.text)
    if phone is None:
        return _reprompt(turn, service, field, turn.t("phone_invalid"))
    _data(turn)["phone"] = phone
    return True


def _receive_related(turn: Turn, service: Service, field: str) -> bool:
    if turn.skips():
        return True
    # Any well-formed code is kept (staff check it); whether it exists is not told here.
    code = normalize_code(turn.text)
    if code is None:
        return _reprompt(turn, service, field, turn.t("related_invalid"))
    _data(turn)["related"] = code
    return True


def _receive_confirm(turn: Turn, service: Service, field: str) -> bool:
    choice = turn.pick()
    if choice == "f:send" or turn.is_command("send"):
        submit(turn, service)
        return False
    if choice == "f:cancel":
        turn.reset()
        turn.say(turn.t("cancelled"))
        return False
    return _reprompt(turn, service, field, turn.t("confirm_invalid"))


# --------------------------------------------------------------------------- submission


def submit(turn: Turn, service: Service) -> Case | None:
    t = turn.t
    data = _data(turn)
    identity = turn.identity
    own_phone = identity.phone or identity.wa_id
    on_behalf = data.get("who") == "other"
    form_data = {**data["answers"], **data["values"]}
    for requirement in requirements(service, data["answers"]):
        if requirement.kind == Requirement.Kind.NIK and requirement.code in APPLICANT_NIK:
            form_data.setdefault(requirement.code, data.get("nik", ""))
    if data.get("related"):
        form_data["related_case"] = data["related"]
    try:
        with transaction.atomic():
            case = submit_case(
                service=service,
                actor=Actor.applicant(identity.name or data["name"]),
                applicant_name=data["name"],
                applicant_nik=data.get("nik", ""),
                applicant_phone=data.get("phone", "") if on_behalf else own_phone,
                on_behalf=on_behalf,
                submitter_name=identity.name if on_behalf else "",
                submitter_phone=own_phone if on_behalf else "",
                form_data=form_data,
                now=turn.now,
            )
            attach_files(case, data["files"], turn.now)
            link(case, turn.conversation, CaseContact.Kind.SUBMITTER)
            if on_behalf and data.get("phone"):
                link(case, conversation_for_phone(turn.channel, data["phone"]), "applicant")
    except LayanError as exc:
        logger.info("application refused: %s", exc)
        turn.reset()
        turn.say(t("submit_failed", reason=str(exc.message)))
        return None
    turn.reset()
    step = case.step
    if service.is_complaint:
        turn.say(t("complaint_submitted", code=case.code, due=turn.datetime(case.due_at)))
    else:
        following = step.applicant_text if step is not None and step.visible else ""
        turn.say(
            t(
                "submitted",
                code=case.code,
                due=turn.datetime(case.due_at),
                next=following or t("submitted_next_default"),
            )
        )
    return case


def attach_files(case: Case, files: dict[str, list[int]], now) -> int:
    """Make the resident's accepted WhatsApp files the request's attachments (same stored file)."""
    count = 0
    for code, ids in files.items():
        for media in MediaFile.objects.filter(pk__in=ids, status=MediaFile.Status.ACCEPTED):
            Attachment.objects.create(
                case=case,
                requirement=code,
                file=media.file.name,
                original_name=media.filename or media.file.name.rsplit("/", 1)[-1],
                content_type=media.mime_type,
                size=media.size,
                sha256=media.sha256,
                uploaded_at=now,
            )
            MediaFile.objects.filter(pk=media.pk).update(case=case)
            count += 1
    return count
