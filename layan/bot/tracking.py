"""Status: "status KODE" or "Cek status" from the menu.

A request is shown to the numbers that follow it (the one it was applied from, the applicant's
own number). Anyone else must give the last four digits of the applicant's NIK; the question is
asked for every code, known or not, so the answer never tells whether a code exists, and a number
gets few tries per code.
"""

from __future__ import annotations

import hmac
import logging

from layan.bot import selectors
from layan.bot.models import CaseContact
from layan.bot.turn import Turn
from layan.cases.codes import normalize_code
from layan.cases.models import Case, CaseEvent, Status
from layan.offices.models import Requirement
from layan.whatsapp.builders import Option
from layan.whatsapp.models import Conversation

logger = logging.getLogger(__name__)

MAX_TRIES = 3
LIST_ROWS = 9


def start(turn: Turn) -> None:
    turn.reset()
    cases = list(selectors.followed_cases(turn.conversation)[:LIST_ROWS])
    if not cases:
        turn.state.update({"flow": "status", "step": "code"})
        turn.prompt(turn.t("status_ask_code"))
        return
    rows = [Option(f"status:{c.code}", c.code, c.service.menu_title) for c in cases]
    rows.append(Option("status:other", turn.t("status_other_code")))
    turn.state.update({"flow": "status", "step": "pick"})
    turn.ask_list(turn.t("status_pick"), turn.t("choice_button"), rows)


def handle(turn: Turn) -> None:
    step = turn.state.get("step")
    choice = turn.pick()
    if choice == "status:other":
        turn.state["step"] = "code"
        turn.prompt(turn.t("status_ask_code"))
        return
    if choice and choice.startswith("status:"):
        lookup(turn, choice[len("status:") :])
        return
    if step == "nik4":
        _check_nik4(turn)
        return
    code = normalize_code(turn.text)
    if code is None:
        turn.state["step"] = "code"
        turn.prompt(turn.t("status_ask_code"))
        return
    lookup(turn, code)


def lookup(turn: Turn, raw_code: str) -> None:
    code = normalize_code(raw_code) or raw_code.upper()
    case = selectors.office_case(turn.office, code)
    if case is not None and selectors.follows(turn.conversation, case):
        turn.reset()
        show(turn, case)
        return
    if failures_for(turn, code) >= MAX_TRIES:
        turn.reset()
        turn.say(turn.t("status_locked"))
        return
    turn.reset()
    turn.state.update({"flow": "status", "step": "nik4", "code": code})
    turn.prompt(turn.t("status_ask_nik4", code=code))


def _check_nik4(turn: Turn) -> None:
    code = normalize_code(turn.text)
    if code is not None:  # a corrected code is a new question, not a wrong answer
        lookup(turn, code)
        return
    digits = "".join(ch for ch in turn.text if ch in "0123456789")
    if len(digits) != 4:
        turn.prompt(turn.t("status_ask_nik4", code=turn.state.get("code", "")))
        return
    code = turn.state.get("code", "")
    case = selectors.office_case(turn.office, code)
    expected = case.applicant_nik[-4:] if case is not None and case.applicant_nik else None
    if expected and len(digits) == 4 and hmac.compare_digest(digits, expected):
        CaseContact.objects.get_or_create(
            case=case, conversation=turn.conversation, defaults={"kind": "follower"}
        )
        turn.reset()
        show(turn, case)
        return
    failures = dict(turn.state.get("status_failures", {}))
    failures[code] = failures.get(code, 0) + 1
    turn.state["status_failures"] = failures
    total = failures_for(turn, code)
    logger.info("status check for %s refused (%d)", code, total)
    turn.reset()
    turn.say(turn.t("status_locked" if total >= MAX_TRIES else "status_not_found"))


def failures_for(turn: Turn, code: str) -> int:
    """Wrong answers for ``code`` from this person on any of the office's numbers."""
    count = (turn.state.get("status_failures") or {}).get(code, 0)
    others = Conversation.objects.filter(identity_id=turn.identity.pk).exclude(
        pk=turn.conversation.pk
    )
    for state in others.values_list("state", flat=True):
        count += ((state or {}).get("status_failures") or {}).get(code, 0)
    return count


def describe(turn: Turn, case: Case) -> str:
    """The request in plain words: where it is, when it should be done, what we wait for."""
    t = turn.t
    lines = [t("status_head", code=case.code, service=case.service.name)]
    lines.append(t("status_line", status=t.status(case.status)))
    if case.status == Status.COMPLETED:
        lines.append(t("status_completed", date=turn.date(case.closed_at)))
    elif case.status == Status.REJECTED:
        event = selectors.last_event(case, CaseEvent.Kind.REJECT)
        lines.append(t("status_rejected", reason=event.note if event else "-"))
    elif case.status == Status.CANCELLED:
        lines.append(t("status_cancelled"))
    else:
        step = case.step
        request = selectors.documents_request(case)
        if request is not None:
            lines.append(t("status_waiting_docs", items=missing_items(case, request)))
            if request.note:
                lines.append(t("status_officer_note", note=request.note))
            lines.append(t("status_send_docs_hint"))
        elif step is not None and step.visible and step.applicant_text:
            lines.append(step.applicant_text)
        else:
            lines.append(t("status_processing"))
        if case.paused_at is not None:
            lines.append(t("status_paused"))
        else:
            lines.append(t("status_due", due=turn.datetime(case.due_at)))
    return "\n".join(lines)


def missing_items(case: Case, event, *, fallback: str = "") -> str:
    codes = (event.data or {}).get("items") or []
    labels = dict(
        Requirement.objects.filter(service_id=case.service_id, code__in=codes).values_list(
            "code", "label"
        )
    )
    return ", ".join(labels.get(code, code) for code in codes) or fallback or event.note


def show(turn: Turn, case: Case) -> None:
    turn.say(describe(turn, case))
