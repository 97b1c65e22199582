"""The staff inbox through the API: conversations handed to an officer, replies, release."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from layan.api import schemas as s
from layan.api import serialize
from layan.api.base import ERRORS, staff
from layan.bot import selectors as bot_selectors
from layan.bot import services as bot_services
from layan.core.errors import NotFound

router = Router(tags=["inbox"], auth=staff)


def _conversation(request, pk: int):
    conversation = bot_selectors.conversations_for(request.user).filter(pk=pk).first()
    if conversation is None:
        raise NotFound(_("Conversation not found."), "conversation_not_found")
    return conversation


@router.get("/conversations", response={200: list[s.ConversationOut], **ERRORS})
def list_conversations(request, handed_over: bool = True):
    """Conversations of your offices; by default those handed to an officer, oldest first."""
    now = timezone.now()
    if handed_over:
        qs = bot_selectors.handed_over_conversations(request.user, now)
    else:
        qs = bot_selectors.conversations_for(request.user).order_by("-last_inbound_at")
    return [serialize.conversation_out(c, now) for c in qs[:200]]


@router.get("/conversations/{pk}", response={200: s.ConversationDetailOut, **ERRORS})
def get_conversation(request, pk: int):
    """One conversation with its latest 100 messages both ways."""
    return serialize.conversation_detail(_conversation(request, pk), timezone.now())


@router.post("/conversations/{pk}/reply", response={200: s.ConversationOut, **ERRORS})
def reply_conversation(request, pk: int, payload: s.ReplyIn):
    """Write to the resident: free text inside the 24-hour window, the office's notice template
    outside it."""
    conversation = _conversation(request, pk)
    bot_services.staff_reply(conversation, user=request.user, text=payload.text)
    return serialize.conversation_out(conversation, timezone.now())


@router.post("/conversations/{pk}/release", response={200: s.ConversationOut, **ERRORS})
def release_conversation(request, pk: int):
    """Give the conversation back to the bot (the resident is told)."""
    conversation = bot_services.release(_conversation(request, pk), user=request.user)
    return serialize.conversation_out(conversation, timezone.now())
