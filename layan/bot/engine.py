"""The resident bot's entry point: one inbound message in, replies out through the outbox.

Called by the inbox once per message, inside a transaction; the conversation row is locked so two
messages of one resident handled at once cannot overwrite each other's state. The order of
concerns for every message:

1. a conversation handed to an officer stays quiet (until released or timed out);
2. a flow left idle longer than ``BOT_STALE_AFTER`` restarts, with a polite word;
3. stickers, voice notes, locations, reactions… get short guidance;
4. the words that always work: *menu*, *batal*, *petugas*, *status KODE*, the language;
5. a tap on a menu row or on a notice's button (it works from anywhere, like a link);
6. the flow in progress (application, status, missing documents, survey), else the menu.

Then two brakes: the same message answered by the same reply, with nothing changed, is not
answered again within ``BOT_REPEAT_WINDOW`` (a resident sending "halo" twenty times gets one
menu; "menu" typed after "halo" still shows it), and at most
``BOT_REPLIES_PER_MINUTE`` replies go to one resident per minute.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from layan.bot import apply, consent, documents, menu, selectors, survey, tracking
from layan.bot.services import hand_over_text
from layan.bot.texts import Texts
from layan.bot.turn import Turn
from layan.bot.wording import normalize
from layan.cases.codes import normalize_code
from layan.whatsapp import builders, outbox
from layan.whatsapp.models import Conversation, InboundMessage, MediaFile

GUIDANCE = {
    "sticker": "guidance_sticker",
    "voice": "guidance_voice",
    "audio": "guidance_voice",
    "video": "guidance_video",
    "location": "guidance_location",
    "contacts": "guidance_contacts",
    "reaction": "guidance_reaction",
}
UNSUPPORTED = ("order", "system", "group", "unsupported", "unknown", "request_welcome")
_STATUS = re.compile(r"^\s*(?:cek\s+)?status\s+(.+)$", re.IGNORECASE)

FLOWS = {
    "apply": apply.handle,
    "status": tracking.handle,
    "docs": documents.handle,
    "survey": survey.handle,
}


def handle(message: InboundMessage, now: datetime | None = None) -> None:
    now = now or timezone.now()
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("channel__office", "identity")
        .get(pk=message.conversation_id)
    )
    if conversation.handed_over_at is not None:
        timeout = timedelta(seconds=settings.BOT_HANDOVER_TIMEOUT)
        if now - conversation.handed_over_at < timeout:
            return  # an officer has it; the message waits in the staff inbox
        conversation.handed_over_at = None
        conversation.save(update_fields=["handed_over_at", "updated_at"])
    turn = Turn(conversation, message, now)
    before = turn.snapshot()
    respond(turn)
    finish(turn, before, message)


def respond(turn: Turn) -> None:
    t = turn.t
    at = parse_datetime(turn.state.get("at") or "")
    stale = timedelta(seconds=settings.BOT_STALE_AFTER)
    if turn.flow() and at is not None and turn.now - at > stale:
        turn.reset()
        turn.say(t("stale"))
    kind = turn.kind
    if kind in GUIDANCE:
        turn.say(t(GUIDANCE[kind]))
        return
    if kind in UNSUPPORTED:
        turn.say(t("guidance_other"))
        return
    if (not turn.flow() and _language(turn)) or _commands(turn) or _navigation(turn):
        return
    flow = turn.flow()
    if flow in FLOWS:
        FLOWS[flow](turn)
        return
    _idle(turn)


def _language(turn: Turn) -> bool:
    language = "en" if turn.is_command("english") else "id" if turn.is_command("indonesian") else ""
    if not language:
        return False
    turn.state["lang"] = language
    turn.t = Texts(turn.office.pk, language)
    turn.say(turn.t("language_set"))
    if not turn.flow():
        menu.show(turn)
    return True


def _commands(turn: Turn) -> bool:
    if turn.is_command("menu"):
        turn.reset()
        menu.show(turn)
        return True
    if turn.is_command("cancel") or turn.pick() == "f:cancel":
        turn.reset()
        turn.say(turn.t("cancelled"))
        menu.show(turn)
        return True
    if turn.is_command("human"):
        hand_over(turn)
        return True
    if consent.template_reply(turn):
        return True
    match = _STATUS.match(turn.text) if turn.kind == "text" else None
    if match and normalize_code(match.group(1)):
        tracking.lookup(turn, match.group(1))
        return True
    if turn.flow():
        return False  # inside a flow other words are answers ("status" may be one)
    if turn.is_command("status"):
        tracking.start(turn)
        return True
    if turn.is_command("survey"):
        survey.start_due(turn)
        return True
    return False


def _navigation(turn: Turn) -> bool:
    """A tap on a menu row or a service button works from any state."""
    choice = turn.pick() or ""
    prefix, _sep, value = choice.partition(":")
    if prefix == "menu":
        turn.reset()
        if value == "services":
            menu.services(turn)
        elif value == "status":
            tracking.start(turn)
        elif value == "complaint":
            if not apply.start_complaint(turn):
                hand_over(turn, turn.t("complaint_by_officer", hours=turn.hours()))
        elif value == "human":
            hand_over(turn)
        else:
            menu.show(turn)
        return True
    if prefix in ("svc", "apply"):
        service = selectors.channel_service(turn.channel, value)
        if service is None:
            turn.reset()
            menu.show(turn)
        elif prefix == "svc":
            turn.reset()
            menu.info(turn, service)
        else:
            apply.start(turn, service)
        return True
    if prefix == "docs":
        case = next(
            (c for c in selectors.waiting_for_documents(turn.conversation) if c.code == value), None
        )
        if case is None:
            turn.reset()
            turn.say(turn.t("docs_none"))
        else:
            documents.start(turn, case)
        return True
    if prefix == "survey":
        survey.start_due(turn, value)
        return True
    if prefix == "consent":
        consent.answer(turn, value)
        return True
    if prefix == "status" and turn.flow() != "status":
        if value == "other":
            tracking.start(turn)
        else:
            tracking.lookup(turn, value)
        return True
    if choice == "later":
        turn.reset()
        turn.say(turn.t("survey_later"))
        return True
    return False


def _idle(turn: Turn) -> None:
    if turn.kind in ("image", "document"):
        media = turn.media()
        waiting = selectors.waiting_for_documents(turn.conversation)
        if media is not None and media.status == MediaFile.Status.ACCEPTED and len(waiting) == 1:
            documents.start(turn, waiting[0], consume=True)
            return
        if media is not None and media.status == MediaFile.Status.REJECTED:
            turn.refuse_media(media)
            return
        if waiting:  # several requests wait for files: the menu lets the resident pick one
            menu.show(turn)
            return
        turn.say(turn.t("media_unexpected"))
        return
    menu.show(turn)


def hand_over(turn: Turn, text: str | None = None) -> None:
    turn.reset()
    turn.conversation.handed_over_at = turn.now
    turn.conversation.save(update_fields=["handed_over_at", "updated_at"])
    turn.say(text or hand_over_text(turn.conversation))


# --------------------------------------------------------------------------- sending


def _digest(contents: list[dict]) -> str:
    return hashlib.sha256(json.dumps(contents, sort_keys=True).encode()).hexdigest()[:16]


def _said(message: InboundMessage) -> str:
    """What the resident sent, for recognising a repeat ("halo" twenty times)."""
    return f"{message.kind}:{message.reply_id}:{normalize(message.text)}"[:200]


def finish(turn: Turn, before: dict, message: InboundMessage) -> None:
    state = turn.state
    now = turn.now
    contents = turn.out
    if contents:
        digest = _digest(contents)
        last = state.get("last_reply") or {}
        last_at = parse_datetime(last.get("at") or "")
        repeat = timedelta(seconds=settings.BOT_REPEAT_WINDOW)
        if (
            last.get("digest") == digest
            and last.get("said") == _said(message)
            and turn.snapshot() == before
            and last_at is not None
            and now - last_at < repeat
        ):
            contents = []  # the same answer is still on the resident's screen
        else:
            recent = [
                stamp
                for stamp in state.get("sent", [])
                if (at := parse_datetime(stamp)) is not None and now - at < timedelta(minutes=1)
            ]
            moved = turn.snapshot() != before
            # Over the limit only idle chatter is held back: a reply that moves the conversation
            # (a prompt, a tracking code) always goes.
            if len(recent) >= settings.BOT_REPLIES_PER_MINUTE and not moved:
                contents = [] if state.get("slowed") else builders.text(turn.t("slow_down"))
                state["slowed"] = True
            else:
                state["slowed"] = False
                state["last_reply"] = {
                    "digest": digest,
                    "said": _said(message),
                    "at": now.isoformat(),
                }
            if contents:
                recent.append(now.isoformat())
            state["sent"] = recent
    if contents:
        outbox.queue_many(
            conversation=turn.conversation,
            contents=contents,
            key=f"reply:{message.message_id}",
            now=now,
        )
    state["at"] = now.isoformat()
    Conversation.objects.filter(pk=turn.conversation.pk).update(state=state, updated_at=now)
