"""The greeting menu and the information about each service (MARAWA step 1)."""

from __future__ import annotations

from layan.bot import selectors
from layan.bot.turn import Turn
from layan.offices.catalogue import question_choices
from layan.offices.models import Service
from layan.whatsapp.builders import Option

# WhatsApp shows at most ten rows in a list.
LIST_ROWS = 10


def show(turn: Turn) -> None:
    t = turn.t
    services = selectors.menu_services(turn.channel)
    extra = [
        Option("menu:status", t("menu_status"), t("menu_status_desc")),
        Option("menu:complaint", t("menu_complaint"), t("menu_complaint_desc")),
        Option("menu:human", t("menu_human"), t("menu_human_desc")),
    ]
    pending = []
    for case in selectors.waiting_for_documents(turn.conversation)[:2]:
        pending.append(
            Option(f"docs:{case.code}", t("menu_docs", code=case.code), t("menu_docs_desc"))
        )
    survey = selectors.survey_due(turn.conversation, turn.now)
    if survey is not None:
        pending.append(
            Option(
                f"survey:{survey.code}", t("menu_survey", code=survey.code), t("menu_survey_desc")
            )
        )
    service_rows = [
        Option(f"svc:{s.code}", s.menu_title, s.name if s.name != s.menu_title else "")
        for s in services
    ]
    if len(pending) + len(service_rows) + len(extra) > LIST_ROWS:
        service_rows = [Option("menu:services", t("menu_services"), t("menu_services_desc"))]
    greeting = t("greeting", office=turn.office.short_name or turn.office.name)
    turn.ask_list(
        greeting,
        t("menu_button"),
        pending + service_rows + extra,
        section_title=t("menu_section"),
        footer=t("menu_footer"),
    )


def services(turn: Turn) -> None:
    t = turn.t
    rows = [
        Option(f"svc:{s.code}", s.menu_title, s.name if s.name != s.menu_title else "")
        for s in selectors.menu_services(turn.channel)
    ]
    if not rows:
        turn.say(t("no_services"))
        return
    # More than ten come as numbered text (a WhatsApp list holds ten rows).
    turn.ask_list(t("services_body"), t("menu_button"), rows)


def condition_text(turn: Turn, service: Service, condition: dict | None) -> str:
    """ "(jika Alasan penggantian: Hilang)" for a requirement asked only in some cases."""
    if not condition:
        return ""
    question = next(
        (q for q in service.questions or [] if q.get("code") == condition.get("question")), None
    )
    if question is None:
        return ""
    label = question.get("label", question["code"])
    if "in" in condition:
        choices = dict(question_choices(question))
        answer = " / ".join(choices.get(str(v), str(v)) for v in condition["in"])
        return turn.t("info_when_choice", question=label, answer=answer)
    if "eq" in condition:
        choices = dict(question_choices(question))
        value = condition["eq"]
        return turn.t("info_when_choice", question=label, answer=choices.get(str(value), value))
    symbols = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<"}
    parts = [
        turn.t("info_when_number", question=label, operator=symbols[op], value=condition[op])
        for op in symbols
        if op in condition
    ]
    return " ".join(parts)


def expected_time(turn: Turn, service: Service) -> str:
    version = service.sop.current_version
    if version is None:
        return ""
    definition = version.parsed
    if definition.deadline and definition.deadline.get("text"):
        return definition.deadline["text"]
    return turn.t("info_time_minutes", minutes=version.total_minutes)


def info(turn: Turn, service: Service) -> None:
    t = turn.t
    lines = [f"*{service.name}*", "", t("info_requirements")]
    for requirement in service.requirements.all():
        suffix = "" if requirement.required else " " + t("info_optional")
        when = condition_text(turn, service, requirement.condition)
        lines.append(f"• {requirement.label}{suffix}{' ' + when if when else ''}")
    if service.forms:
        lines += ["", t("info_forms", forms=", ".join(service.forms))]
    time = expected_time(turn, service)
    if time:
        lines += ["", t("info_time", time=time)]
    lines.append(t(f"info_delivery_{service.delivery}", output=service.output))
    lines.append(t("info_free"))
    turn.ask(
        "\n".join(lines),
        [
            Option(f"apply:{service.code}", t("button_apply")),
            Option("menu:main", t("button_menu")),
        ],
    )
