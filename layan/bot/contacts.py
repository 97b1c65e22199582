"""Which WhatsApp conversations hear about a request: the one it was applied from, the
applicant's own number (also when an officer took the request at the counter or in the field),
and those who proved they may follow it."""

from __future__ import annotations

from layan.bot.models import CaseContact
from layan.cases.models import Case
from layan.offices.models import Channel, Service
from layan.whatsapp.models import Conversation, Identity


def link(case: Case, conversation: Conversation, kind: str) -> None:
    CaseContact.objects.get_or_create(case=case, conversation=conversation, defaults={"kind": kind})


def conversation_for_phone(channel: Channel, phone: str) -> Conversation:
    """The conversation with a number nobody has written from yet (the applicant's own phone
    when an officer applied for them): notices reach it as templates."""
    identity = Identity.objects.filter(wa_id=phone).order_by("pk").first()
    if identity is None:
        identity, _created = Identity.objects.get_or_create(
            key=phone, defaults={"wa_id": phone, "phone": phone}
        )
    conversation, _created = Conversation.objects.get_or_create(channel=channel, identity=identity)
    return conversation


def channel_for(service: Service) -> Channel | None:
    """The office's WhatsApp number that offers ``service`` (else any number of the office):
    where the notices of a request taken by an officer come from."""
    numbers = Channel.objects.filter(office_id=service.office_id, is_active=True).order_by("pk")
    return numbers.filter(services=service).first() or numbers.first()


def follow_by_phone(case: Case, phone: str, kind: str) -> Conversation | None:
    """Make the WhatsApp number ``phone`` hear about ``case`` (None when the office has no
    number to write from)."""
    channel = channel_for(case.service)
    if channel is None or not phone:
        return None
    conversation = conversation_for_phone(channel, phone)
    link(case, conversation, kind)
    return conversation
