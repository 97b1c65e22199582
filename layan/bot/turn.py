"""One turn of the conversation: the message that came in, the state, and the replies going out.

Flows read the input through :class:`Turn` (a tap, a typed number for a listed option, a command
word) and write replies through it, so every prompt that offers options also remembers them and
a resident on a phone without interactive messages can answer "2".
"""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta
from typing import Any

from layan.bot.texts import Texts
from layan.bot.wording import catalogue, command_words, normalize
from layan.cases.sla import calendar_for
from layan.offices.models import Office
from layan.whatsapp import builders
from layan.whatsapp.builders import Option
from layan.whatsapp.models import Conversation, InboundMessage, MediaFile

# State keys that are bookkeeping, not where the resident is in a conversation.
BOOKKEEPING = ("at", "last_reply", "sent", "slowed", "status_failures", "lang")


class Turn:
    def __init__(self, conversation: Conversation, message: InboundMessage, now: datetime):
        self.conversation = conversation
        self.channel = conversation.channel
        self.office: Office = self.channel.office
        self.identity = conversation.identity
        self.message = message
        self.now = now
        self.state: dict[str, Any] = dict(conversation.state or {})
        self.t = Texts.of(conversation)
        self.out: list[dict] = []

    # ----------------------------------------------------------------- input

    @property
    def kind(self) -> str:
        return self.message.kind

    @property
    def text(self) -> str:
        return (self.message.text or "").strip() if self.kind in ("text", "button") else ""

    @property
    def word(self) -> str:
        return normalize(self.text)

    def is_command(self, name: str) -> bool:
        return bool(self.word) and self.word in command_words()[name]

    def skips(self) -> bool:
        """*Lewati* tapped, or a skip word typed."""
        return self.pick() == "f:skip" or self.is_command("skip")

    def goes_on(self) -> bool:
        """*Lanjut* / *Selesai* tapped, or one of those words typed."""
        return self.pick() == "f:next" or self.is_command("next") or self.is_command("done")

    def options(self) -> list[Option]:
        return [Option(id=i, title=t) for i, t in self.state.get("options") or []]

    def pick(self) -> str | None:
        """The option chosen: a tapped button or list row, else a typed number or title of the
        options last offered; None when the message picks nothing."""
        if self.kind in ("button_reply", "list_reply", "interactive") and self.message.reply_id:
            return self.message.reply_id
        if self.kind == "button" and self.message.reply_id:
            offered = {i for i, _title in self.state.get("options") or []}
            if self.message.reply_id in offered:
                return self.message.reply_id
        if self.text:
            match = builders.match_numbered_reply(self.text, self.options())
            if match is not None:
                return match.id
        return None

    def media(self) -> MediaFile | None:
        if self.kind not in ("image", "document"):
            return None
        return MediaFile.objects.filter(message=self.message).first()

    def refuse_media(self, media: MediaFile | None) -> None:
        """Say why a file was not accepted and what to send instead."""
        key = f"media_{media.reason if media is not None else 'download_failed'}"
        self.say(self.t(key if key in catalogue()["texts"] else "media_download_failed"))

    # ----------------------------------------------------------------- output

    def say(self, text: str) -> None:
        self.out += builders.text(text)

    def prompt(self, text: str) -> None:
        """A question answered by typing: earlier options no longer apply."""
        self.say(text)
        self.state.pop("options", None)

    def ask(self, body: str, options: list[Option], *, footer: str | None = None) -> None:
        """Buttons for up to three short options, else a list, else numbered lines."""
        self.out += builders.buttons(
            body,
            options,
            footer=footer,
            list_button=self.t("choice_button"),
            hint=self.t("numbered_hint"),
        )
        self.state["options"] = [[o.id, o.title] for o in options]

    def ask_list(self, body: str, button: str, options: list[Option], **kw) -> None:
        self.out += builders.choice_list(body, button, options, hint=self.t("numbered_hint"), **kw)
        self.state["options"] = [[o.id, o.title] for o in options]

    # ----------------------------------------------------------------- state

    def flow(self) -> str | None:
        return self.state.get("flow")

    def reset(self) -> None:
        """Leave any flow; keep the bookkeeping (language, rate limits)."""
        for key in list(self.state):
            if key not in BOOKKEEPING:
                del self.state[key]

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy({k: v for k, v in self.state.items() if k not in BOOKKEEPING})

    # ----------------------------------------------------------------- formats

    def datetime(self, value: datetime | None) -> str:
        return format_datetime(self.t, self.office, value)

    def date(self, value: datetime | None) -> str:
        if value is None:
            return "-"
        local = value.astimezone(self.office.tz)
        return self.t(
            "date", day=local.day, month=self.t.months()[local.month - 1], year=local.year
        )

    def hours(self) -> str:
        return office_hours(self.t, self.office)


_ZONES = {7: "WIB", 8: "WITA", 9: "WIT"}


def zone_name(value: datetime) -> str:
    offset = value.utcoffset() or timedelta(0)
    hours = int(offset.total_seconds() // 3600)
    return _ZONES.get(hours, value.tzname() or "")


def format_datetime(t: Texts, office: Office, value: datetime | None) -> str:
    if value is None:
        return "-"
    local = calendar_for(office).as_closing(value).astimezone(office.tz)
    return t(
        "datetime",
        weekday=t.weekdays()[local.weekday()],
        day=local.day,
        month=t.months()[local.month - 1],
        year=local.year,
        time=local.strftime("%H.%M") if t.language == "id" else local.strftime("%H:%M"),
        zone=zone_name(local),
    )


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def office_hours(t: Texts, office: Office) -> str:
    """ "Senin–Kamis 07.30–16.00, Jumat 07.30–16.30" from the office's hours."""
    hours = office.hours or {}
    names = t.weekdays()
    groups: list[list[Any]] = []
    for index, day in enumerate(_DAYS):
        span = hours.get(day)
        if not span:
            continue
        span = str(span).replace(":", ".") if t.language == "id" else str(span)
        span = span.replace("-", "–")
        if groups and groups[-1][2] == span and groups[-1][1] == index - 1:
            groups[-1][1] = index
        else:
            groups.append([index, index, span])
    if not groups:
        return t("hours_unknown")
    parts = []
    for first, last, span in groups:
        days = names[first] if first == last else f"{names[first]}–{names[last]}"
        parts.append(f"{days} {span}")
    return ", ".join(parts)


_PHONE_JUNK = re.compile(r"[\s\-().]")
_ASCII_DIGITS = re.compile(r"^[0-9]+$")


def normalize_phone(raw: str) -> str | None:
    """An Indonesian mobile number as WhatsApp writes it (62…), or None."""
    text = _PHONE_JUNK.sub("", raw or "")
    if text.startswith("+"):
        text = text[1:]
    if not _ASCII_DIGITS.match(text):
        return None
    if text.startswith("0"):
        text = "62" + text[1:]
    elif text.startswith("8"):
        text = "62" + text
    if not text.startswith("628") or not 10 <= len(text) <= 15:
        return None
    return text
