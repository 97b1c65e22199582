"""Notices to residents when their request moves: written into the outbox in the same
transaction as the engine's event, so a notice exists exactly when the change was committed.

Which events are told, and how:

- entering a step the SOP marks visible to the applicant: the step's text and the expected
  finish (``status_update`` template outside the 24-hour window); a step marked
  ``notice: result`` tells the result is ready: a pickup notice or a post notice with what to
  bring, by the service's delivery;
- an officer asking for documents: the note and the missing items (``documents_needed``), and
  the conversation starts collecting them;
- rejection with the reason (``rejected``); completion (``completed``), then the survey
  invitation; for a complaint, the answer (``complaint_answer``).

Not told: the submission and intake (the bot answers those itself), returns between officers,
entering an automatic step (it is left at once), claims, releases, flags and alerts.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.utils.dateparse import parse_datetime

from layan.bot import documents, tracking
from layan.bot.models import CaseContact
from layan.bot.selectors import ACTING, documents_request, rated
from layan.bot.texts import Texts
from layan.bot.turn import BOOKKEEPING, format_datetime, office_hours
from layan.cases.models import Case, CaseEvent, Status
from layan.offices.catalogue import condition_applies
from layan.sop.definition import END
from layan.whatsapp import builders, outbox
from layan.whatsapp.builders import Option
from layan.whatsapp.models import Conversation

logger = logging.getLogger(__name__)

STEP_KINDS = ("complete", "approve", "escalate")
SILENT = ("submit", "intake", "claim", "release", "flag", "alert", "resume", "return")


def connect() -> None:
    post_save.connect(_on_event_saved, sender=CaseEvent, dispatch_uid="bot-notices")


def _on_event_saved(sender, instance: CaseEvent, created: bool, **kwargs) -> None:
    if created and not kwargs.get("raw"):
        on_event(instance)


def on_event(event: CaseEvent) -> None:
    if event.kind in SILENT:
        return
    contacts = list(
        CaseContact.objects.filter(case_id=event.case_id, kind__in=ACTING).select_related(
            "conversation__channel__office", "conversation__identity"
        )
    )
    if not contacts:
        return
    # The engine saves the request after appending its event: read the request for what does not
    # change here (service, office, answers) and take status and due times from the event.
    case = (
        Case.objects.select_related("service", "office", "sop_version")
        .filter(pk=event.case_id)
        .first()
    )
    for contact in contacts:
        try:
            _notify(case, event, contact.conversation)
        except LookupError:
            # The office lacks a template: the officer's action stands, the gap is logged.
            logger.exception("no template for a notice on %s", case.code)


def _notify(case: Case, event: CaseEvent, conversation: Conversation) -> None:
    t = Texts.of(conversation, case.office_id)
    key = f"notice:{event.pk}:{conversation.pk}"
    service = case.service

    def send(text: str, template: str, params: list[str]) -> None:
        outbox.notify(
            conversation=conversation,
            key=key,
            text=text,
            template_key=template,
            template_params=params,
            case=case,
            now=event.at,
        )

    due = format_datetime(t, case.office, event.due_at)
    if event.kind == "request_documents":
        items = tracking.missing_items(case, event, fallback=t("notice_docs_see_note"))
        note = event.note or "-"
        send(
            t("notice_docs", code=case.code, note=note, items=items),
            "documents_needed",
            [case.code, f"{items}. {note}" if items != note else items],
        )
        # After the officer's transaction: the conversation is locked after the request, never
        # while it is (the bot locks the conversation first, then the request).
        conversation_id, case_id, event_id = conversation.pk, case.pk, event.pk
        transaction.on_commit(lambda: _await_documents(conversation_id, case_id, event_id))
        return
    if event.kind == "reject":
        send(
            t("notice_rejected", code=case.code, reason=event.note),
            "rejected",
            [case.code, event.note],
        )
        return
    if event.to_step == END and event.status == Status.COMPLETED:
        if service.is_complaint:
            answer = event.note or case.form_data.get("answer") or _last_note(case)
            send(
                t("notice_complaint_answer", code=case.code, answer=answer),
                "complaint_answer",
                [case.code, answer],
            )
        else:
            send(
                t("notice_completed", code=case.code, service=service.name),
                "completed",
                [case.code],
            )
        _invite_survey(conversation, case, t, event)
        return
    if event.kind not in STEP_KINDS and event.kind != "auto":
        return
    if not event.to_step or event.to_step in (END, event.from_step):
        return
    step = case.sop_version.parsed.step(event.to_step)
    if step is None or not step.visible or step.auto:
        return
    if step.notice == "result" and service.delivery in ("pickup", "post"):
        bring = bring_list(case) or t("bring_default")
        if service.delivery == "pickup":
            text = t(
                "notice_pickup",
                output=service.output,
                code=case.code,
                hours=office_hours(t, case.office),
                bring=bring,
            )
            send(text, "ready_for_pickup", [case.code, service.output, bring])
        else:
            text = t("notice_post", output=service.output, code=case.code, bring=bring)
            send(text, "status_update", [case.code, text])
        return
    text = step.applicant_text or t("status_processing")
    send(
        t("notice_status", code=case.code, service=service.name, text=text, due=due),
        "status_update",
        [case.code, f"{text} {t('status_due', due=due)}."],
    )


def bring_list(case: Case) -> str:
    """What the resident brings when the card is handed over, from the service data."""
    answers = case.form_data or {}
    items = [
        item["label"]
        for item in case.service.bring_on_pickup or []
        if condition_applies(item.get("when"), answers) or not item.get("when")
    ]
    return ", ".join(items)


def _last_note(case: Case) -> str:
    event = case.events.exclude(note="").order_by("-seq").first()
    return event.note if event else "-"


def _await_documents(conversation_id: int, case_id: int, event_id: int) -> None:
    """Make the resident's next file an answer to this request, unless they are busy with
    something else (the menu then offers "Kirim berkas")."""
    with transaction.atomic():
        locked = Conversation.objects.select_for_update(of=("self",)).get(pk=conversation_id)
        case = Case.objects.get(pk=case_id)
        event = CaseEvent.objects.get(pk=event_id)
        waiting = documents_request(case)
        if waiting is None or waiting.pk != event.pk:
            return  # the request moved on before this ran
        state = dict(locked.state or {})
        at = parse_datetime(state.get("at") or "")
        stale = at is None or event.at - at > timedelta(seconds=settings.BOT_STALE_AFTER)
        if state.get("flow") and state.get("case") != case.code and not stale:
            return
        for key in list(state):
            if key not in BOOKKEEPING:
                del state[key]
        state.update(documents.state_for(case, event))
        state["at"] = event.at.isoformat()
        locked.state = state
        locked.save(update_fields=["state", "updated_at"])


def _invite_survey(conversation: Conversation, case: Case, t: Texts, event: CaseEvent) -> None:
    if rated(case):
        return
    outbox.notify(
        conversation=conversation,
        key=f"survey:{case.pk}:{conversation.pk}",
        contents=builders.buttons(
            t("survey_invite"),
            [
                Option(f"survey:{case.code}", t("button_survey")),
                Option("later", t("button_later")),
            ],
        ),
        template_key="survey_invite",
        template_params=[case.code],
        case=case,
        now=event.at,
    )
