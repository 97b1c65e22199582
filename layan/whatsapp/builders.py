"""Message bodies for the WhatsApp Cloud API send endpoint, within Meta's limits.

Pure functions, no I/O. Each builder returns message *content* (``{"type": ..., <type>: {...}}``);
:func:`envelope` wraps one content dict into the request body of
``POST /{version}/{phone-number-id}/messages``.
Builders that may need several messages (long text, numbered fallbacks) return a list.

What the limits are and what happens when input does not fit:

* text body <= 4096 characters: longer text is split into several messages, at paragraph breaks
  (blank lines) first, then line breaks, then spaces; a word is cut only if it alone is too long.
* reply buttons: 1-3, title <= 20. A title that does not fit is never cut: :func:`buttons` falls
  back to a list, and the list to numbered text (:func:`numbered_text`), which has no limits.
* list: <= 10 rows, row title <= 24, description <= 72 (longer descriptions are shortened with
  "…"), button label <= 20, section title <= 24 (a longer one is left out).
* interactive body <= 1024: the beginning of a longer body is sent first as text message(s), the
  interactive message carries the last part. Header and footer <= 60: if longer they are moved
  into the body.
* media caption <= 1024: shortened with "…".

Lengths are counted in Unicode code points, as Meta's schema (``maxLength``) does.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

TEXT_MAX = 4096
INTERACTIVE_BODY_MAX = 1024
HEADER_MAX = 60
FOOTER_MAX = 60
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
LIST_ROWS_MAX = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
LIST_BUTTON_MAX = 20
SECTION_TITLE_MAX = 24
OPTION_ID_MAX = 200
CAPTION_MAX = 1024
CALLBACK_DATA_MAX = 512
ELLIPSIS = "…"

_SEPARATORS = ("\n\n", "\n", " ")
_LEADING_BLANK_LINES = re.compile(r"^\s*\n")
_TEMPLATE_NAME_RE = re.compile(r"^[a-z0-9_]{1,512}$")
_NUMBER_REPLY_RE = re.compile(
    r"^(?:no|nomor|nomer|nmr|pilihan|pilih|angka|opsi)?[\s.:#]*(\d{1,3})\s*[.):]?$"
)


class BuilderError(ValueError):
    """The input cannot become a valid message (no options, empty body, bad recipient...)."""


@dataclass(frozen=True)
class Option:
    """A choice offered to the resident; ``id`` comes back in the reply (<= 200 chars)."""

    id: str
    title: str
    description: str = ""


# --- text ---------------------------------------------------------------------------------


def text(body: str, *, preview_url: bool = False) -> list[dict]:
    """One text message, or several if ``body`` is longer than 4096 characters."""
    return [
        {"type": "text", "text": {"body": piece, "preview_url": preview_url}}
        for piece in split_text(_require_body(body), TEXT_MAX)
    ]


def split_text(body: str, limit: int = TEXT_MAX) -> list[str]:
    """``body`` cut into pieces of at most ``limit`` characters (see the module docstring).

    A body that fits is returned unchanged. When it is split, the whitespace at the cuts is
    dropped (a piece neither starts with a blank line nor ends with whitespace) and pieces that
    would be blank are left out, so joining the pieces with their separators gives back the body.
    """
    if limit < 1:
        raise BuilderError("limit must be positive")
    if len(body) <= limit:
        return [body] if body.strip() else []
    pieces = []
    for start, end in _spans(body, 0, len(body), limit, 0):
        piece = _trim(body[start:end])
        if piece.strip():
            pieces.append(piece)
    return pieces


def _trim(piece: str) -> str:
    """Leading blank lines and trailing whitespace off; the first line keeps its indentation."""
    return _LEADING_BLANK_LINES.sub("", piece, count=1).rstrip()


def _spans(s: str, start: int, end: int, limit: int, level: int) -> list[tuple[int, int]]:
    """Greedy packing of ``s[start:end]`` into spans <= limit, cut at ``_SEPARATORS[level:]``."""
    if end - start <= limit:
        return [(start, end)]
    if level == len(_SEPARATORS):
        return _hard_cut(s, start, end, limit)
    sep = _SEPARATORS[level]
    parts = []
    i = start
    while True:
        j = s.find(sep, i, end)
        if j == -1:
            parts.append((i, end))
            break
        parts.append((i, j))
        i = j + len(sep)
    chunks: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for a, b in parts:
        if b - a > limit:
            if current is not None:
                chunks.append(current)
            sub = _spans(s, a, b, limit, level + 1)
            chunks.extend(sub[:-1])
            current = sub[-1]
        elif current is None:
            current = (a, b)
        elif b - current[0] <= limit:
            current = (current[0], b)
        else:
            chunks.append(current)
            current = (a, b)
    if current is not None:
        chunks.append(current)
    return chunks


def _hard_cut(s: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Cut a single over-long word, not between a character and its combining marks."""
    spans = []
    i = start
    while end - i > limit:
        cut = i + limit
        while cut - 1 > i + limit // 2 and _joins_previous(s, cut):
            cut -= 1
        spans.append((i, cut))
        i = cut
    spans.append((i, end))
    return spans


def _joins_previous(s: str, index: int) -> bool:
    char, previous = s[index], s[index - 1]
    return (
        unicodedata.combining(char) != 0
        or char in "\u200d\ufe0e\ufe0f"
        or previous == "\u200d"
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # skin-tone modifiers
    )


# --- choices ------------------------------------------------------------------------------


def buttons(
    body: str,
    options: Sequence[Option],
    *,
    header: str | None = None,
    footer: str | None = None,
    list_button: str | None = None,
    hint: str | None = None,
) -> list[dict]:
    """Reply buttons for 1-3 options whose titles fit 20 characters; otherwise a list
    (:func:`choice_list`, up to 10 options) or numbered text.

    Buttons do not show descriptions; the list fallback does.
    """
    body = _require_body(body)
    options = _check_options(options)
    titles = [option.title.strip() for option in options]
    if (
        len(options) <= BUTTONS_MAX
        and all(_fits(title, BUTTON_TITLE_MAX) for title in titles)
        and len(set(titles)) == len(titles)
    ):
        body, header, footer = _fit_decorations(body, header, footer)
        leading, body = _split_interactive_body(body)
        interactive = {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": option.id, "title": title}}
                    for option, title in zip(options, titles, strict=True)
                ]
            },
        }
        return leading + [_interactive(interactive, header, footer)]
    return choice_list(
        body, list_button or _("Choose"), options, header=header, footer=footer, hint=hint
    )


def choice_list(
    body: str,
    button: str,
    options: Sequence[Option],
    *,
    section_title: str | None = None,
    header: str | None = None,
    footer: str | None = None,
    hint: str | None = None,
) -> list[dict]:
    """A list message for 1-10 options whose titles fit 24 characters; otherwise numbered text.

    Descriptions longer than 72 characters are shortened with "…". A ``button`` label longer
    than 20 characters also makes it numbered text; a section title longer than 24 is left out.
    """
    body = _require_body(body)
    options = _check_options(options)
    button = (button or "").strip()
    if not button:
        raise BuilderError("a list needs a button label")
    titles = [option.title.strip() for option in options]
    if not (
        len(options) <= LIST_ROWS_MAX
        and all(_fits(title, ROW_TITLE_MAX) for title in titles)
        and _fits(button, LIST_BUTTON_MAX)
    ):
        return _numbered(body, options, header=header, footer=footer, hint=hint)
    body, header, footer = _fit_decorations(body, header, footer)
    leading, body = _split_interactive_body(body)
    rows = []
    for option, title in zip(options, titles, strict=True):
        row = {"id": option.id, "title": title}
        description = " ".join((option.description or "").split())
        if description:
            row["description"] = shorten(description, ROW_DESCRIPTION_MAX)
        rows.append(row)
    section: dict = {}
    section_title = (section_title or "").strip()
    if section_title and _fits(section_title, SECTION_TITLE_MAX):
        section["title"] = section_title
    section["rows"] = rows
    interactive = {
        "type": "list",
        "body": {"text": body},
        "action": {"button": button, "sections": [section]},
    }
    return leading + [_interactive(interactive, header, footer)]


def numbered_text(body: str, options: Sequence[Option], *, hint: str | None = None) -> list[dict]:
    """The options as numbered lines ("1. Title — description") and a hint to reply with the
    number; read the reply back with :func:`match_numbered_reply`. Split if long."""
    return _numbered(_require_body(body), _check_options(options), hint=hint)


def _numbered(
    body: str,
    options: Sequence[Option],
    *,
    header: str | None = None,
    footer: str | None = None,
    hint: str | None = None,
) -> list[dict]:
    lines = []
    for number, option in enumerate(options, start=1):
        line = f"{number}. {' '.join(option.title.split())}"
        description = " ".join((option.description or "").split())
        if description:
            line += f" — {description}"
        lines.append(line)
    blocks = [
        (header or "").strip(),
        body,
        "\n".join(lines),
        (footer or "").strip(),
        hint if hint is not None else _("Reply with the number of your choice."),
    ]
    return text("\n\n".join(block for block in blocks if block))


def match_numbered_reply(reply: str, options: Sequence[Option]) -> Option | None:
    """The option a typed reply picks: its number ("2", "2.", "no 2", "nomor 2") or its exact
    title, ignoring case and spacing; None when it picks none."""
    cleaned = " ".join((reply or "").split()).casefold()
    if not cleaned:
        return None
    match = _NUMBER_REPLY_RE.match(cleaned)
    if match:
        number = int(match.group(1))
        return options[number - 1] if 1 <= number <= len(options) else None
    for option in options:
        if " ".join(option.title.split()).casefold() == cleaned:
            return option
    return None


# --- media --------------------------------------------------------------------------------


def document(
    *,
    link: str | None = None,
    media_id: str | None = None,
    filename: str,
    caption: str | None = None,
) -> dict:
    """A document by public ``link`` or uploaded ``media_id`` (exactly one)."""
    filename = (filename or "").strip()
    if not filename:
        raise BuilderError("a document needs a file name")
    payload = _media(link, media_id, caption)
    payload["filename"] = filename
    return {"type": "document", "document": payload}


def image(
    *, link: str | None = None, media_id: str | None = None, caption: str | None = None
) -> dict:
    """An image by public ``link`` or uploaded ``media_id`` (exactly one)."""
    return {"type": "image", "image": _media(link, media_id, caption)}


def _media(link: str | None, media_id: str | None, caption: str | None) -> dict:
    if (link is None) == (media_id is None):
        raise BuilderError("give exactly one of link or media_id")
    payload: dict = {}
    if link is not None:
        if not re.match(r"^https?://\S+$", link):
            raise BuilderError(f"media link must be an http(s) URL: {link!r}")
        payload["link"] = link
    else:
        media_id = media_id.strip()
        if not media_id:
            raise BuilderError("media_id is empty")
        payload["id"] = media_id
    if caption and caption.strip():
        payload["caption"] = shorten(caption.strip(), CAPTION_MAX)
    return payload


# --- templates ----------------------------------------------------------------------------


def template(
    name: str,
    language: str,
    body_params: Sequence[str] = (),
    *,
    button_url_params: Sequence[str] = (),
) -> dict:
    """A template message. ``body_params`` fill ``{{1}}``, ``{{2}}``... of the body;
    ``button_url_params[i]`` is the dynamic URL suffix of the template's button at index i.

    Meta refuses parameters with line breaks, tabs or more than four spaces in a row, and empty
    ones: line breaks and tabs become spaces, runs of spaces are collapsed, empty becomes "-".
    """
    name = (name or "").strip()
    language = (language or "").strip()
    if not _TEMPLATE_NAME_RE.match(name):
        raise BuilderError(f"template name must be lowercase letters, digits and _: {name!r}")
    if not language:
        raise BuilderError("a template needs a language code")
    payload: dict = {"name": name, "language": {"code": language, "policy": "deterministic"}}
    components = []
    if body_params:
        components.append(
            {
                "type": "body",
                "parameters": [{"type": "text", "text": _param(p)} for p in body_params],
            }
        )
    for index, suffix in enumerate(button_url_params):
        components.append(
            {
                "type": "button",
                "sub_type": "url",
                "index": str(index),
                "parameters": [{"type": "text", "text": _param(suffix)}],
            }
        )
    if components:
        payload["components"] = components
    return {"type": "template", "template": payload}


def _param(value: object) -> str:
    return " ".join(str(value).split()) or "-"


# --- envelope -----------------------------------------------------------------------------


def envelope(
    content: dict,
    *,
    to: str | None = None,
    recipient: str | None = None,
    callback_data: str | None = None,
    reply_to: str | None = None,
) -> dict:
    """The request body for one message: ``content`` addressed to a phone number (``to``,
    digits with country code) or to a business-scoped user id (``recipient``, e.g.
    ``ID.13491208655302741918``) — exactly one. ``callback_data`` (<= 512 chars) comes back
    as ``biz_opaque_callback_data`` in status webhooks; ``reply_to`` quotes a message id."""
    kind = content.get("type") if isinstance(content, dict) else None
    if not kind or kind not in content:
        raise BuilderError("content must be a builder result with 'type' and its payload")
    if (to is None) == (recipient is None):
        raise BuilderError("give exactly one of to (phone number) or recipient (BSUID)")
    message: dict = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    if to is not None:
        number = re.sub(r"[\s\-().]", "", to).removeprefix("+")
        if not re.fullmatch(r"\d{6,20}", number):
            raise BuilderError(f"not a phone number with country code: {to!r}")
        message["to"] = number
    else:
        recipient = recipient.strip()
        if not recipient or any(ch.isspace() for ch in recipient):
            raise BuilderError(f"not a business-scoped user id: {recipient!r}")
        message["recipient"] = recipient
    message.update(copy.deepcopy(content))
    if callback_data is not None:
        if len(callback_data) > CALLBACK_DATA_MAX:
            raise BuilderError(f"callback data is longer than {CALLBACK_DATA_MAX} characters")
        message["biz_opaque_callback_data"] = callback_data
    if reply_to:
        message["context"] = {"message_id": reply_to}
    return message


# --- helpers ------------------------------------------------------------------------------


def shorten(value: str, limit: int) -> str:
    """``value`` if it fits, else cut (at a space when one is near) and ended with "…"."""
    if len(value) <= limit:
        return value
    cut = value[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def _fits(value: str, limit: int) -> bool:
    return 0 < len(value) <= limit and "\n" not in value


def _require_body(body: str) -> str:
    if not isinstance(body, str) or not body.strip():
        raise BuilderError("message body is empty")
    return body.replace("\r\n", "\n")


def _check_options(options: Sequence[Option]) -> list[Option]:
    options = list(options)
    if not options:
        raise BuilderError("a choice needs at least one option")
    seen = set()
    for option in options:
        if not option.title or not option.title.strip():
            raise BuilderError(f"option {option.id!r} has no title")
        if not option.id or option.id != option.id.strip() or len(option.id) > OPTION_ID_MAX:
            raise BuilderError(
                f"option id must be 1-{OPTION_ID_MAX} characters without surrounding spaces:"
                f" {option.id!r}"
            )
        if option.id in seen:
            raise BuilderError(f"duplicate option id {option.id!r}")
        seen.add(option.id)
    return options


def _fit_decorations(
    body: str, header: str | None, footer: str | None
) -> tuple[str, str | None, str | None]:
    """Header and footer that do not fit their 60 characters move into the body."""
    header = (header or "").strip() or None
    footer = (footer or "").strip() or None
    if header and not _fits(header, HEADER_MAX):
        body, header = f"{header}\n\n{body}", None
    if footer and not _fits(footer, FOOTER_MAX):
        body, footer = f"{body}\n\n{footer}", None
    return body, header, footer


def _split_interactive_body(body: str) -> tuple[list[dict], str]:
    """Text messages for the beginning of a body too long for an interactive message, and the
    last part (<= 1024) that the interactive message carries."""
    if len(body) <= INTERACTIVE_BODY_MAX:
        return [], body
    spans = _spans(body, 0, len(body), INTERACTIVE_BODY_MAX, 0)
    last = spans[-1]
    while not body[last[0] : last[1]].strip():  # trailing whitespace span
        spans.pop()
        last = spans[-1]
    tail = _trim(body[last[0] : last[1]])
    head = body[: last[0]].rstrip()
    return (text(head) if head.strip() else []), tail


def _interactive(interactive: dict, header: str | None, footer: str | None) -> dict:
    ordered: dict = {"type": interactive["type"]}
    if header:
        ordered["header"] = {"type": "text", "text": header}
    ordered["body"] = interactive["body"]
    if footer:
        ordered["footer"] = {"type": "text", "text": footer}
    ordered["action"] = interactive["action"]
    return {"type": "interactive", "interactive": ordered}
