"""Read queries of the bot: what a number offers, which requests a resident follows, the
satisfaction index."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from layan.bot.models import CaseContact, SurveyResponse
from layan.cases.models import BOOKKEEPING_KINDS, Case, CaseEvent, Status
from layan.cases.selectors import offices_of
from layan.offices.models import Channel, Office, Service
from layan.whatsapp.models import Conversation, InboundMessage, MessageTemplate, OutboxMessage

SURVEY_WITHIN = timedelta(days=30)


def menu_services(channel: Channel) -> list[Service]:
    """The services residents apply for on ``channel`` (complaints have their own menu row)."""
    return list(
        channel.services.filter(is_active=True, is_complaint=False)
        .select_related("sop")
        .order_by("position", "code")
    )


def channel_service(channel: Channel, code: str) -> Service | None:
    return channel.services.filter(is_active=True, code=code).select_related("sop").first()


def complaint_service(office: Office) -> Service | None:
    return (
        Service.objects.filter(office=office, is_complaint=True, is_active=True)
        .select_related("sop")
        .order_by("position")
        .first()
    )


def followed_cases(conversation: Conversation) -> QuerySet[Case]:
    """Requests this resident follows at this office (from any of its numbers)."""
    return _cases_with_contact(conversation)


def _cases_with_contact(conversation: Conversation, kinds=None) -> QuerySet[Case]:
    # EXISTS rather than a join and DISTINCT: the bot asks this on every menu it shows, and
    # planning the join (eleven tables, wide rows sorted for DISTINCT) cost more than answering.
    contacts = CaseContact.objects.filter(
        case=OuterRef("pk"), conversation__identity_id=conversation.identity_id
    )
    if kinds is not None:
        contacts = contacts.filter(kind__in=kinds)
    return (
        Case.objects.filter(Exists(contacts), office_id=conversation.channel.office_id)
        .select_related("service", "current_step", "sop_version", "office")
        .order_by("-created_at")
    )


def office_case(office: Office, code: str | None) -> Case | None:
    """The office's request with this tracking code (another office's codes are not found)."""
    return (
        Case.objects.filter(code=code or "", office=office)
        .select_related("service", "office", "sop_version", "current_step")
        .first()
    )


def rated(case: Case) -> bool:
    return SurveyResponse.objects.filter(case=case).exists()


def follows(conversation: Conversation, case: Case) -> bool:
    return CaseContact.objects.filter(
        case=case, conversation__identity_id=conversation.identity_id
    ).exists()


# Who may act on a request from WhatsApp (send documents, rate it, hear its notices): the number
# it was applied from and the applicant's own. Someone who proved the NIK digits only reads.
ACTING = (CaseContact.Kind.SUBMITTER, CaseContact.Kind.APPLICANT)


def acting_conversations(case: Case) -> list[Conversation]:
    """The conversations that hear about ``case``: the one it was applied from and the
    applicant's own (not those that only follow it)."""
    contacts = CaseContact.objects.filter(case=case, kind__in=ACTING).select_related(
        "conversation__channel__office", "conversation__identity"
    )
    return [contact.conversation for contact in contacts]


def acting_cases(conversation: Conversation) -> QuerySet[Case]:
    """The requests this resident acts on at this office (see ACTING)."""
    return _cases_with_contact(conversation, ACTING)


def waiting_for_documents(conversation: Conversation) -> list[Case]:
    """Requests of this resident where an officer asked for documents and waits for them."""
    return [
        case
        for case in acting_cases(conversation).filter(status=Status.WAITING_APPLICANT)
        if documents_request(case) is not None
    ]


def documents_request(case: Case) -> CaseEvent | None:
    """The officer's request for documents the case is waiting on, if that is what it waits on."""
    if case.status != Status.WAITING_APPLICANT:
        return None
    last = case.events.exclude(kind__in=BOOKKEEPING_KINDS).order_by("-seq")
    event = last.first()
    if event is None or event.kind != CaseEvent.Kind.REQUEST_DOCUMENTS:
        return None
    return event


def last_event(case: Case, kind: str) -> CaseEvent | None:
    return case.events.filter(kind=kind).order_by("-seq").first()


def survey_due(conversation: Conversation, now: datetime) -> Case | None:
    """The latest request this resident saw completed recently and has not rated yet."""
    return (
        acting_cases(conversation)
        .filter(
            status=Status.COMPLETED,
            closed_at__gte=now - SURVEY_WITHIN,
            survey__isnull=True,
        )
        .order_by("-closed_at")
        .first()
    )


# --------------------------------------------------------------------------- staff inbox


def conversations_for(user) -> QuerySet[Conversation]:
    """Conversations of the offices where ``user`` holds a staff role."""
    return Conversation.objects.filter(channel__office__in=offices_of(user)).select_related(
        "channel__office", "identity"
    )


def handed_over_conversations(user, now: datetime) -> QuerySet[Conversation]:
    """Conversations of ``user``'s offices handed to an officer and not yet timed out, oldest
    handover first (the staff inbox)."""
    since = now - timedelta(seconds=settings.BOT_HANDOVER_TIMEOUT)
    return conversations_for(user).filter(handed_over_at__gte=since).order_by("handed_over_at")


def chat_messages(conversation: Conversation, *, limit: int = 100) -> list[dict]:
    """The latest messages both ways, oldest first: what the resident sent and what was sent to
    them (text, or the template's rendered text)."""
    inbound = [
        {"direction": "in", "at": m.received_at, "kind": m.kind, "text": m.text, "status": ""}
        for m in InboundMessage.objects.filter(conversation=conversation).order_by("-received_at")[
            :limit
        ]
    ]
    templates = {
        t.name: t for t in MessageTemplate.objects.filter(office_id=conversation.channel.office_id)
    }
    outbound = []
    for row in OutboxMessage.objects.filter(conversation=conversation).order_by("-created_at")[
        :limit
    ]:
        outbound.append(
            {
                "direction": "out",
                "at": row.created_at,
                "kind": row.content.get("type", ""),
                "text": _outgoing_text(row.content, templates),
                "status": row.status,
            }
        )
    return sorted(inbound + outbound, key=lambda m: m["at"])[-limit:]


def _outgoing_text(content: dict, templates: dict) -> str:
    kind = content.get("type")
    if kind == "text":
        return content.get("text", {}).get("body", "")
    if kind == "interactive":
        return content.get("interactive", {}).get("body", {}).get("text", "")
    if kind == "template":
        template = content.get("template", {})
        params = [
            p.get("text", "")
            for c in template.get("components", [])
            if c.get("type") == "body"
            for p in c.get("parameters", [])
        ]
        found = templates.get(template.get("name"))
        return found.render(params) if found else template.get("name", "")
    if kind in ("document", "image"):
        part = content.get(kind, {})
        return part.get("caption") or part.get("filename") or kind
    return kind or ""
