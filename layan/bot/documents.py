"""Missing documents: the officer asked for items, the bot collects exactly those, one at a time,
and hands the request back to the step that asked (its clocks run again).

When the officer named no items (only a note), any files are collected until "Selesai".
"""

from __future__ import annotations

from django.db import transaction

from layan.bot import selectors
from layan.bot.apply import attach_files, collect_file
from layan.bot.turn import Turn
from layan.cases.models import Case
from layan.cases.services import Actor, documents_received
from layan.core.errors import LayanError
from layan.offices.models import Requirement
from layan.whatsapp.builders import Option

ANY = "_any"


def state_for(case: Case, event) -> dict:
    """The conversation state that waits for this request's missing items."""
    return {
        "flow": "docs",
        "case": case.code,
        "items": list((event.data or {}).get("items") or []) or [ANY],
        "i": 0,
        "files": {},
        "prompted": False,
    }


def start(turn: Turn, case: Case, *, consume: bool = False) -> None:
    """Enter the flow for ``case``; with ``consume`` the current message (a file) is its first
    answer instead of being a reason to prompt."""
    event = selectors.documents_request(case)
    if event is None:
        turn.reset()
        turn.say(turn.t("docs_none"))
        return
    turn.reset()
    turn.state.update(state_for(case, event))
    if consume:
        handle(turn)
        return
    turn.say(turn.t("docs_intro", code=case.code))
    _prompt(turn, case, event)


def _label(case: Case, code: str) -> str:
    requirement = Requirement.objects.filter(service_id=case.service_id, code=code).first()
    return requirement.label if requirement else code


def _prompt(turn: Turn, case: Case, event) -> None:
    t = turn.t
    turn.state["prompted"] = True
    code = turn.state["items"][turn.state["i"]]
    if code == ANY:
        turn.ask(
            t("docs_ask_any", note=event.note or t("notice_docs_see_note")),
            [Option("f:next", t("button_done"))],
        )
        return
    total = len(turn.state["items"])
    turn.prompt(t("ask_file", label=_label(case, code), number=turn.state["i"] + 1, total=total))


def handle(turn: Turn) -> None:
    t = turn.t
    case = selectors.office_case(turn.office, turn.state.get("case"))
    event = selectors.documents_request(case) if case is not None else None
    if event is None:
        turn.reset()
        turn.say(t("docs_none"))
        return
    code = turn.state["items"][turn.state["i"]]
    files = turn.state["files"].setdefault(code, [])
    label = t("notice_docs_see_note") if code == ANY else _label(case, code)
    result = collect_file(turn, files, label)
    if result == "added":
        key = "docs_any_received" if code == ANY else "file_received"
        button = t("button_done") if code == ANY else t("button_next")
        turn.ask(t(key, label=label, count=len(files)), [Option("f:next", button)])
        return
    if result == "rejected":
        _prompt(turn, case, event)
        return
    if result == "next" and files:
        turn.state["i"] += 1
        if turn.state["i"] < len(turn.state["items"]):
            _prompt(turn, case, event)
            return
        finish(turn, case)
        return
    if result in ("next", "skip") and code == ANY:
        turn.say(t("docs_need_one"))
        return
    if result in ("next", "skip"):
        turn.say(t("cannot_skip"))
        _prompt(turn, case, event)
        return
    if not turn.state.get("prompted"):
        turn.say(t("docs_intro", code=case.code))
    else:
        turn.say(t("file_expected", label=label))
    _prompt(turn, case, event)


def finish(turn: Turn, case: Case) -> None:
    files = {("" if code == ANY else code): ids for code, ids in turn.state["files"].items()}
    try:
        with transaction.atomic():
            count = attach_files(case, files, turn.now)
            case = documents_received(
                case,
                actor=Actor.applicant(turn.identity.name or case.applicant_name),
                note=f"{count} berkas dikirim lewat WhatsApp",
                data=None,
                now=turn.now,
            )
    except LayanError:
        turn.reset()
        turn.say(turn.t("docs_none"))
        return
    turn.reset()
    turn.say(turn.t("docs_done", code=case.code, due=turn.datetime(case.due_at)))
