"""The satisfaction survey (SKM): nine elements, each answered 1–4 or skipped, after a request
is completed. Answers are stored once per request for the satisfaction index."""

from __future__ import annotations

from layan.bot import selectors
from layan.bot.models import SKM_ELEMENTS, SurveyResponse
from layan.bot.turn import Turn
from layan.cases.models import Case, Status
from layan.whatsapp.builders import Option


def start(turn: Turn, case: Case | None) -> None:
    turn.reset()
    if case is None or case.status != Status.COMPLETED or selectors.rated(case):
        turn.say(turn.t("survey_none"))
        return
    turn.state.update({"flow": "survey", "case": case.code, "n": 1, "answers": []})
    _ask(turn)


def start_due(turn: Turn, code: str | None = None) -> None:
    """Start the survey of ``code`` if this resident may rate it, else of the latest due one."""
    case = None
    if code:
        case = next((c for c in selectors.acting_cases(turn.conversation) if c.code == code), None)
    start(turn, case or selectors.survey_due(turn.conversation, turn.now))


def _ask(turn: Turn) -> None:
    t = turn.t
    number = turn.state["n"]
    labels = t.raw(f"survey_a{number}")
    options = [Option(f"s:{value}", label) for value, label in enumerate(labels, start=1)]
    options.append(Option("f:skip", t("button_skip")))
    turn.ask_list(
        t("survey_question", number=number, question=t(f"survey_q{number}")),
        t("choice_button"),
        options,
    )


def handle(turn: Turn) -> None:
    choice = turn.pick()
    if turn.skips():
        value = None
    elif choice and choice.startswith("s:") and choice[2:] in ("1", "2", "3", "4"):
        value = int(choice[2:])
    else:
        turn.say(turn.t("survey_invalid"))
        _ask(turn)
        return
    turn.state["answers"].append(value)
    if turn.state["n"] < SKM_ELEMENTS:
        turn.state["n"] += 1
        _ask(turn)
        return
    case = selectors.office_case(turn.office, turn.state.get("case"))
    answers = turn.state["answers"]
    turn.reset()
    if case is not None:
        SurveyResponse.objects.get_or_create(
            case=case,
            defaults={
                "office_id": case.office_id,
                "service_id": case.service_id,
                "submitted_at": turn.now,
                **{f"u{i}": answers[i - 1] for i in range(1, SKM_ELEMENTS + 1)},
            },
        )
    turn.say(turn.t("survey_thanks"))
