"""Handing a conversation to an officer and back, and officers writing to residents.

While a conversation is handed over the bot stays quiet: the resident's messages are kept for the
staff inbox and nothing automatic is sent until an officer releases it (or the handover times
out, so nobody is left waiting forever).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layan.bot.texts import Texts
from layan.bot.turn import office_hours
from layan.core.errors import Conflict, Invalid
from layan.whatsapp import outbox
from layan.whatsapp.models import Conversation

MAX_STAFF_TEXT = 4000


def _locked(conversation: Conversation) -> Conversation:
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("channel__office", "identity")
        .get(pk=conversation.pk)
    )


def hand_over_text(conversation: Conversation) -> str:
    t = Texts.of(conversation)
    return t("handover", hours=office_hours(t, conversation.channel.office))


def release(conversation: Conversation, *, user, now: datetime | None = None) -> Conversation:
    """Give the conversation back to the bot and tell the resident."""
    now = now or timezone.now()
    with transaction.atomic():
        conversation = _locked(conversation)
        if conversation.handed_over_at is None:
            raise Conflict(_("This conversation is not handed to an officer."), "not_handed_over")
        conversation.handed_over_at = None
        conversation.save(update_fields=["handed_over_at", "updated_at"])
        t = Texts.of(conversation)
        office = conversation.channel.office
        text = t("handover_released")
        outbox.notify(
            conversation=conversation,
            key=f"release:{conversation.pk}:{now.timestamp()}",
            text=text,
            template_key="generic_notice",
            template_params=[office.short_name or office.name, text],
            now=now,
        )
    return conversation


def staff_reply(
    conversation: Conversation, *, user, text: str, now: datetime | None = None
) -> list:
    """An officer's message to the resident: free text inside the 24-hour window, the office's
    notice template (carrying the text) outside it."""
    now = now or timezone.now()
    text = (text or "").strip()
    if not text:
        raise Invalid(_("The message is empty."), "text_required")
    if len(text) > MAX_STAFF_TEXT:
        raise Invalid(_("The message is too long (at most 4000 characters)."), "text_long")
    with transaction.atomic():
        conversation = _locked(conversation)
        office = conversation.channel.office
        # An officer writing takes the conversation (or keeps it): the resident's answer goes
        # to the officer, not the bot, and the handover timeout counts from here.
        conversation.handed_over_at = now
        conversation.save(update_fields=["handed_over_at", "updated_at"])
        t = Texts.of(conversation)
        name = office.short_name or office.name
        return outbox.notify(
            conversation=conversation,
            key=f"staff:{conversation.pk}:{user.pk}:{now.timestamp()}",
            text=t("staff_message", office=name, text=text),
            template_key="generic_notice",
            template_params=[name, text],
            now=now,
        )
