"""Conversations handed to an officer: read, reply, give back to the bot."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from layan.bot import selectors as bot_selectors
from layan.bot import services as bot_services
from layan.bot.models import CaseContact
from layan.console import selectors
from layan.console.desk import staff_view
from layan.console.views.common import run


def _conversation(request, pk: int):
    conversation = (
        bot_selectors.conversations_for(request.user)
        .filter(pk=pk, channel__office=request.desk.office)
        .first()
    )
    if conversation is None:
        raise Http404(_("Conversation not found."))
    return conversation


@staff_view
def inbox(request):
    now = timezone.now()
    rows = [(c, c.window_open(now)) for c in selectors.handed_over(request.desk, now)[:200]]
    return render(request, "console/inbox.html", {"rows": rows, "now": now})


@staff_view
def conversation(request, pk: int):
    item = _conversation(request, pk)
    now = timezone.now()
    cases = (
        CaseContact.objects.filter(conversation=item, case__office=request.desk.office)
        .select_related("case__service", "case__current_step")
        .order_by("-case__created_at")[:10]
    )
    context = {
        "item": item,
        "chat": bot_selectors.chat_messages(item, limit=100),
        "window_open": item.window_open(now),
        "cases": [contact.case for contact in cases],
        "now": now,
    }
    template = (
        "console/_conversation_messages.html" if request.htmx else "console/conversation.html"
    )
    return render(request, template, context)


@require_POST
@staff_view
def reply(request, pk: int):
    item = _conversation(request, pk)
    run(
        request,
        bot_services.staff_reply,
        item,
        user=request.user,
        text=request.POST.get("text", ""),
        success=_("Message queued for sending."),
    )
    return redirect("console:conversation", pk=item.pk)


@require_POST
@staff_view
def release(request, pk: int):
    item = _conversation(request, pk)
    done = run(
        request,
        bot_services.release,
        item,
        user=request.user,
        success=_("The conversation is back with the bot; the resident was told."),
    )
    if done is None:
        return redirect("console:conversation", pk=item.pk)
    return redirect("console:inbox")
