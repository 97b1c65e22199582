"""Notices to residents when their request moves, as receivers of the engine's events.

Each notice is written into the durable outbox inside the officer's transaction, in a savepoint
of its own per conversation (``isolated`` and ``contained`` of :mod:`layan.core.events`): a
notice exists exactly when the change was committed, and a notice that cannot be written (a
missing template, a bug) is logged and leaves the officer's action and the other notices
standing. Sending happens later, from the outbox.

Which events are told, and how:

- entering a step the SOP marks visible to the applicant, by a forward action, an escalation or
  an automatic step: the step's text and the expected finish (``status_update`` template outside
  the 24-hour window); a step marked ``notice: result`` tells the result is ready: a pickup
  notice or a post notice with what to bring, by the service's delivery;
- an officer asking for documents: the note and the missing items (``documents_needed``), and,
  after the commit, the conversation starts collecting them;
- rejection with the reason (``rejected``); completion (``completed``), then the survey
  invitation; for a complaint, the answer (``complaint_answer``).

Not told: the submission and intake (the bot answers those itself), returns between officers,
entering an automatic step (it is left at once), claims, releases, flags and alerts.

A message WhatsApp cannot deliver flags its request for staff (the outbox announces it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from layan.bot import documents, tracking
from layan.bot.selectors import acting_conversations, documents_request, rated
from layan.bot.texts import Texts
from layan.bot.turn import BOOKKEEPING, format_datetime, office_hours, zone_name
from layan.cases import events, flags
from layan.cases.models import Case, CaseEvent, EventKind, Visit
from layan.cases.services import flag_case
from layan.core.events import after_commit, contained, isolated
from layan.offices.catalogue import condition_applies
from layan.sop.definition import FORWARD_KINDS, ActionKind, Step
from layan.whatsapp import builders, outbox
from layan.whatsapp import events as whatsapp_events
from layan.whatsapp.builders import Option
from layan.whatsapp.models import Conversation, OutboxMessage

# The moves into a visible step that are told (a return between officers is not).
TOLD_MOVES = (*FORWARD_KINDS, ActionKind.ESCALATE, EventKind.AUTO)

UNDELIVERABLE = flags.register(
    "undeliverable",
    _("Message undeliverable"),
    help=_("WhatsApp could not deliver a message to the applicant: contact them another way."),
)


class Notice:
    """One notice of ``event`` to one conversation, in its language."""

    def __init__(self, case: Case, event: CaseEvent, conversation: Conversation):
        self.case, self.event, self.conversation = case, event, conversation
        self.t = Texts.of(conversation, case.office_id)
        self.key = f"notice:{event.pk}:{conversation.pk}"
        self.now = event.at

    def send(self, text: str, template: str, params: list[str]) -> None:
        outbox.notify(
            conversation=self.conversation,
            key=self.key,
            text=text,
            template_key=template,
            template_params=params,
            case=self.case,
            now=self.now,
        )


def _each(case: Case, event: CaseEvent, tell: Callable[[Notice], None]) -> None:
    """``tell`` each conversation that hears about ``case``, each in a savepoint of its own."""
    for conversation in acting_conversations(case):
        with contained(f"the notice of {case.code} to conversation {conversation.pk}"):
            tell(Notice(case, event, conversation))


@receiver(events.step_entered, dispatch_uid="bot-notice-step")
@isolated
def tell_step(sender, case: Case, event: CaseEvent, step: Step, **kwargs) -> None:
    if event.kind not in TOLD_MOVES or event.to_step == event.from_step:
        return
    if not step.visible or step.auto:
        return
    _each(case, event, lambda notice: _step_notice(notice, step))


def _step_notice(notice: Notice, step: Step) -> None:
    case, event, t = notice.case, notice.event, notice.t
    service = case.service
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
            notice.send(text, "ready_for_pickup", [case.code, service.output, bring])
        else:
            text = t("notice_post", output=service.output, code=case.code, bring=bring)
            notice.send(text, "status_update", [case.code, text])
        return
    due = format_datetime(t, case.office, event.due_at)
    text = step.applicant_text or t("status_processing")
    notice.send(
        t("notice_status", code=case.code, service=service.name, text=text, due=due),
        "status_update",
        [case.code, f"{text} {t('status_due', due=due)}."],
    )


@receiver(events.documents_requested, dispatch_uid="bot-notice-documents")
@isolated
def tell_documents_needed(sender, case: Case, event: CaseEvent, **kwargs) -> None:
    def tell(notice: Notice) -> None:
        items = tracking.missing_items(case, event, fallback=notice.t("notice_docs_see_note"))
        note = event.note or "-"
        notice.send(
            notice.t("notice_docs", code=case.code, note=note, items=items),
            "documents_needed",
            [case.code, f"{items}. {note}" if items != note else items],
        )

    _each(case, event, tell)


@receiver(events.documents_requested, dispatch_uid="bot-await-documents")
@after_commit
def await_documents(sender, case: Case, event: CaseEvent, **kwargs) -> None:
    """Make the resident's next file an answer to this request, unless they are busy with
    something else (the menu then offers "Kirim berkas"). After the officer's transaction: the
    conversation is locked after the request, never while it is (the bot locks the
    conversation first, then the request)."""
    for conversation in acting_conversations(case):
        _await_documents(conversation.pk, case.pk, event.pk)


def _await_documents(conversation_id: int, case_id: int, event_id: int) -> None:
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


@receiver(events.request_rejected, dispatch_uid="bot-notice-rejected")
@isolated
def tell_rejected(sender, case: Case, event: CaseEvent, **kwargs) -> None:
    def tell(notice: Notice) -> None:
        notice.send(
            notice.t("notice_rejected", code=case.code, reason=event.note),
            "rejected",
            [case.code, event.note],
        )

    _each(case, event, tell)


@receiver(events.request_completed, dispatch_uid="bot-notice-completed")
@isolated
def tell_completed(sender, case: Case, event: CaseEvent, **kwargs) -> None:
    service = case.service

    def tell(notice: Notice) -> None:
        t = notice.t
        if service.is_complaint:
            answer = event.note or case.form_data.get("answer") or _last_note(case)
            notice.send(
                t("notice_complaint_answer", code=case.code, answer=answer),
                "complaint_answer",
                [case.code, answer],
            )
        else:
            notice.send(
                t("notice_completed", code=case.code, service=service.name),
                "completed",
                [case.code],
            )
        _invite_survey(notice)

    _each(case, event, tell)


def visit_when(t: Texts, visit: Visit) -> str:
    """ "Senin, 7 Desember 2026, 09.00–11.00 WIB" in the office's time zone."""
    tz = visit.case.office.tz
    start, end = visit.starts_at.astimezone(tz), visit.ends_at.astimezone(tz)
    clock = "%H.%M" if t.language == "id" else "%H:%M"
    return t(
        "datetime",
        weekday=t.weekdays()[start.weekday()],
        day=start.day,
        month=t.months()[start.month - 1],
        year=start.year,
        time=f"{start.strftime(clock)}–{end.strftime(clock)}",
        zone=zone_name(start),
    )


def _visit_notice(notice: Notice, visit: Visit, key: str) -> None:
    t, case = notice.t, notice.case
    when = visit_when(t, visit)
    where = visit.place
    if visit.latitude is not None:
        where = f"{where} (https://maps.google.com/?q={visit.latitude},{visit.longitude})"
    text = t(key, code=case.code, when=when, place=where, team=visit.team, bring=visit.bring)
    notice.send(text, key, [case.code, when, visit.place])


@receiver(events.visit_scheduled, dispatch_uid="bot-notice-visit")
@isolated
def tell_visit(sender, case: Case, event: CaseEvent, visit: Visit, **kwargs) -> None:
    _each(case, event, lambda notice: _visit_notice(notice, visit, "visit_planned"))


def remind_visits(now: datetime | None = None) -> int:
    """Remind the reporter and the applicant the day before a planned visit (once; not when the
    visit was planned only that day, the plan itself said it). How many visits were reminded."""
    now = now or timezone.now()
    reminded = 0
    candidates = Visit.objects.filter(
        outcome=Visit.Outcome.PLANNED,
        reminded_at__isnull=True,
        starts_at__gt=now,
        starts_at__lt=now + timedelta(days=2),
    ).select_related("case__office", "case__service")
    for visit in candidates:
        tz = visit.case.office.tz
        today = timezone.localtime(now, tz).date()
        if timezone.localtime(visit.starts_at, tz).date() != today + timedelta(days=1):
            continue
        if timezone.localtime(visit.created_at, tz).date() >= today:
            continue
        with transaction.atomic():
            locked = Visit.objects.select_for_update().get(pk=visit.pk)
            if locked.reminded_at is not None or locked.outcome != Visit.Outcome.PLANNED:
                continue
            event = CaseEvent.objects.filter(case_id=visit.case_id, kind=EventKind.VISIT).last()
            for conversation in acting_conversations(visit.case):
                with contained(f"the visit reminder of {visit.case.code}"):
                    notice = Notice(visit.case, event, conversation)
                    notice.key = f"visit-reminder:{visit.pk}:{conversation.pk}"
                    notice.now = now
                    _visit_notice(notice, visit, "visit_reminder")
            Visit.objects.filter(pk=visit.pk).update(reminded_at=now)
            reminded += 1
    return reminded


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


def _invite_survey(notice: Notice) -> None:
    case, conversation, t = notice.case, notice.conversation, notice.t
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
        now=notice.event.at,
    )


@receiver(whatsapp_events.message_undeliverable, dispatch_uid="bot-flag-undeliverable")
def flag_undeliverable(sender, message: OutboxMessage, at, **kwargs) -> None:
    """Part of the outbox's transaction: the message is marked undeliverable and its request
    flagged together."""
    if message.case_id:
        flag_case(
            message.case_id,
            UNDELIVERABLE,
            _("WhatsApp could not deliver a message to the applicant; contact them another way."),
            now=at,
        )
