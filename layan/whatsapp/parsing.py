"""Turn a WhatsApp Cloud API webhook body into plain, typed records.

Why this is written so defensively:

* The body comes from the network. The signature proves it is Meta's, not that it is well formed:
  Meta adds fields and message types without notice, and a test tool or a replay may send anything.
  :func:`parse_webhook` therefore never raises, whatever JSON value it gets. What it cannot use it
  skips and describes in ``problems``, so that the view can still answer 200 (otherwise Meta retries
  the same delivery for days) and the operator can see what was dropped.
* Meta retries failed deliveries for days and in no particular order. This module does not
  deduplicate or reorder; it only parses, in the order given, and exposes the keys to deduplicate on
  (``Message.message_id``; ``StatusUpdate.message_id`` with ``status``).
* The sender may come without a phone number. With WhatsApp usernames Meta sends a business-scoped
  user id (BSUID, ``user_id``) in every messages webhook, and the phone number (``wa_id``/``from``)
  only when it may share it. :class:`Identity` is keyed on the BSUID when there is one, else on the
  ``wa_id``, and keeps the phone number as a mere attribute.

Field names follow Meta's OpenAPI spec (v23.0) for the payload, and Meta's business-scoped user id
documentation for the BSUID fields the spec does not list yet: ``contacts[].user_id``,
``messages[].from_user_id`` and ``statuses[].recipient_user_id``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

KINDS = (
    "text",
    "image",
    "document",
    "audio",
    "voice",
    "video",
    "sticker",
    "location",
    "contacts",
    "button_reply",
    "list_reply",
    "button",
    "reaction",
    "order",
    "system",
    "request_welcome",
    "group",
    "unsupported",
    "unknown",
)

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
# Meta's own names for "this client sent something the API cannot represent". The spec maps both
# ``unsupported`` and the older ``unknown`` to the same UnsupportedMessage schema (error 131051).
UNSUPPORTED_TYPES = ("unsupported", "unknown")
# Types that need no payload of their own beyond what is read below.
PLAIN_TYPES = ("order", "system", "request_welcome")

# A phone number as Meta writes it in ``wa_id``/``from``: international digits, no "+". A BSUID
# looks like "ID.1349..." (country code, dot, id), so the two cannot be confused.
_PHONE = re.compile(r"\+?[0-9]{5,20}")


@dataclass(frozen=True)
class Identity:
    """Who wrote: the channel identity of a resident on one business number.

    ``key`` is what conversations are keyed on: the BSUID (``user_id``) when Meta sends one, else
    the ``wa_id``. The phone number is only an attribute because Meta may withhold it.
    """

    key: str
    wa_id: str | None
    user_id: str | None
    phone: str | None
    name: str | None


@dataclass(frozen=True)
class MediaRef:
    """A media attachment by Meta id. The id expires after about 7 days: download at once."""

    id: str
    mime_type: str | None
    sha256: str | None  # as Meta sends it (base64 or hex); kept raw
    filename: str | None
    caption: str | None
    voice: bool = False
    animated: bool = False


@dataclass(frozen=True)
class ErrorInfo:
    """One entry of a Meta ``errors`` array (on a status, a message or a change)."""

    code: int | None
    title: str
    message: str
    details: str


@dataclass(frozen=True)
class Message:
    """One incoming message. ``kind`` is one of :data:`KINDS`; ``type`` is Meta's raw value."""

    message_id: str
    phone_number_id: str
    display_phone_number: str | None
    identity: Identity
    timestamp: datetime | None
    type: str
    kind: str
    text: str | None = None
    reply_id: str | None = None
    media: MediaRef | None = None
    location: dict | None = None
    contacts: list | None = None
    reaction: dict | None = None
    context_id: str | None = None
    referral: dict | None = None
    errors: tuple = ()
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StatusUpdate:
    """What became of a message we sent. Deduplicate on (message_id, status): Meta repeats them."""

    message_id: str
    phone_number_id: str
    status: str
    timestamp: datetime | None
    recipient_id: str | None
    recipient_user_id: str | None
    callback_data: str | None
    errors: tuple = ()
    raw: dict = field(default_factory=dict)


@dataclass
class ParsedWebhook:
    messages: list[Message]
    statuses: list[StatusUpdate]
    other: list[dict]
    problems: list[str]


# --- small total helpers: each accepts any value and never raises ---------------------------


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _id(value: object) -> str | None:
    """An identifier: a non-blank string (stripped) or an integer (YAML and sloppy senders)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def _text(value: object) -> str | None:
    """Free text as given (not stripped: whitespace may matter to the reader)."""
    return value if isinstance(value, str) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _int(value: object) -> int | None:
    """A non-negative integer given as a number or as a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        value = value.strip()
        # The length cap keeps int() away from its limit on very long digit strings (ValueError).
        if value.isascii() and value.isdigit() and len(value) <= 20:
            return int(value)
    return None


def _timestamp(value: object) -> datetime | None:
    """Unix seconds (Meta sends a string) to an aware UTC datetime; anything else to None."""
    seconds = _int(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _phone(value: str | None) -> str | None:
    if value and _PHONE.fullmatch(value):
        return value.lstrip("+")
    return None


def _errors(value: object) -> tuple[ErrorInfo, ...]:
    found = []
    for item in _list(value):
        if not isinstance(item, dict):
            continue
        found.append(
            ErrorInfo(
                code=_int(item.get("code")),
                title=_text(item.get("title")) or "",
                message=_text(item.get("message")) or "",
                details=_text(_dict(item.get("error_data")).get("details")) or "",
            )
        )
    return tuple(found)


def _describe_errors(where: str, errors: tuple[ErrorInfo, ...]) -> list[str]:
    notes = []
    for error in errors:
        text = error.message or error.title or "no message"
        if error.details:
            text = f"{text} ({error.details})"
        notes.append(f"{where}: error {error.code}: {text}")
    return notes


# --- identities ---------------------------------------------------------------------------


def _contact_for(contacts: list, from_: str | None, from_user_id: str | None) -> dict:
    """The ``value.contacts`` entry describing this sender, matched on BSUID first, then wa_id."""
    if from_user_id:
        for contact in contacts:
            if isinstance(contact, dict) and _id(contact.get("user_id")) == from_user_id:
                return contact
    if from_:
        for contact in contacts:
            if not isinstance(contact, dict):
                continue
            if from_ in (_id(contact.get("wa_id")), _id(contact.get("user_id"))):
                return contact
    return {}


def _identity(message: dict, contacts: list) -> Identity | None:
    from_ = _id(message.get("from"))
    from_user_id = _id(message.get("from_user_id"))
    contact = _contact_for(contacts, from_, from_user_id)

    user_id = from_user_id or _id(contact.get("user_id"))
    wa_id = _id(contact.get("wa_id"))
    if from_ and not user_id and not _phone(from_) and from_ != wa_id:
        # Not a phone number and no BSUID field: Meta put the BSUID in ``from``.
        user_id = from_
    if not wa_id and from_ and from_ != user_id:
        wa_id = from_
    key = user_id or wa_id
    if not key:
        return None
    profile = _dict(contact.get("profile"))
    return Identity(
        key=key,
        wa_id=wa_id,
        user_id=user_id,
        phone=_phone(wa_id) or _phone(from_),
        name=_text(profile.get("name")),
    )


# --- messages -----------------------------------------------------------------------------


def _media(kind: str, body: dict, problems: list[str], message_id: str) -> MediaRef | None:
    media_id = _id(body.get("id"))
    if not media_id:
        problems.append(f"message {message_id}: {kind} without a media id")
        return None
    return MediaRef(
        id=media_id,
        mime_type=_text(body.get("mime_type")),
        sha256=_text(body.get("sha256")),
        filename=_text(body.get("filename")),
        caption=_text(body.get("caption")),
        voice=body.get("voice") is True,
        animated=body.get("animated") is True,
    )


def _content(type_: str, message: dict, problems: list[str], message_id: str) -> dict:
    """The kind and the kind-specific fields of a message, by Meta's ``type``."""
    if type_ == "text":
        return {"kind": "text", "text": _text(_dict(message.get("text")).get("body"))}
    if type_ in MEDIA_TYPES:
        body = _dict(message.get(type_))
        media = _media(type_, body, problems, message_id)
        kind = "voice" if type_ == "audio" and body.get("voice") is True else type_
        caption = _text(body.get("caption")) if type_ in ("image", "video", "document") else None
        return {"kind": kind, "media": media, "text": caption}
    if type_ == "location":
        body = _dict(message.get("location"))
        location = {
            "latitude": _number(body.get("latitude")),
            "longitude": _number(body.get("longitude")),
            "name": _text(body.get("name")),
            "address": _text(body.get("address")),
        }
        return {"kind": "location", "location": location}
    if type_ == "contacts":
        cards = [card for card in _list(message.get("contacts")) if isinstance(card, dict)]
        return {"kind": "contacts", "contacts": cards}
    if type_ == "interactive":
        interactive = _dict(message.get("interactive"))
        reply_type = interactive.get("type")
        if reply_type in ("button_reply", "list_reply"):
            reply = _dict(interactive.get(reply_type))
            return {
                "kind": reply_type,
                "text": _text(reply.get("title")),
                "reply_id": _id(reply.get("id")),
            }
        # nfm_reply (Flows), call_permission_reply…: nothing a service desk answers on its own.
        return {"kind": "unsupported"}
    if type_ == "button":
        button = _dict(message.get("button"))
        return {
            "kind": "button",
            "text": _text(button.get("text")),
            "reply_id": _id(button.get("payload")),
        }
    if type_ == "reaction":
        body = _dict(message.get("reaction"))
        # An empty or missing emoji means the user took the reaction back.
        reaction = {"message_id": _id(body.get("message_id")), "emoji": _text(body.get("emoji"))}
        return {"kind": "reaction", "reaction": reaction}
    if type_ in PLAIN_TYPES:
        return {"kind": type_}
    if type_ in UNSUPPORTED_TYPES:
        return {"kind": "unsupported"}
    return {"kind": "unknown"}


def _message(
    message: object,
    contacts: list,
    phone_number_id: str,
    display_phone_number: str | None,
    problems: list[str],
    where: str,
) -> Message | None:
    if not isinstance(message, dict):
        problems.append(f"{where}: not an object, skipped")
        return None
    message_id = _id(message.get("id"))
    if not message_id:
        problems.append(f"{where}: no message id, skipped")
        return None
    identity = _identity(message, contacts)
    if identity is None:
        problems.append(f"message {message_id}: no sender (from/from_user_id), skipped")
        return None
    type_ = message.get("type")
    type_ = type_ if isinstance(type_, str) else ""
    content = _content(type_, message, problems, message_id)
    if _id(message.get("group_id")):
        # A message written in a group the business takes part in, not a one-to-one chat: the
        # content is still read by type, but the desk must not treat it as a resident's request.
        content["kind"] = "group"
    errors = _errors(message.get("errors"))
    referral = message.get("referral")
    return Message(
        message_id=message_id,
        phone_number_id=phone_number_id,
        display_phone_number=display_phone_number,
        identity=identity,
        timestamp=_timestamp(message.get("timestamp")),
        type=type_,
        context_id=_id(_dict(message.get("context")).get("id")),
        referral=referral if isinstance(referral, dict) else None,
        errors=errors,
        raw=message,
        **content,
    )


def _status(
    status: object, phone_number_id: str, problems: list[str], where: str
) -> StatusUpdate | None:
    if not isinstance(status, dict):
        problems.append(f"{where}: not an object, skipped")
        return None
    message_id = _id(status.get("id"))
    if not message_id:
        problems.append(f"{where}: no message id, skipped")
        return None
    value = status.get("status")
    value = value.strip().lower() if isinstance(value, str) else ""
    if not value:
        problems.append(f"status for {message_id}: no status value, skipped")
        return None
    return StatusUpdate(
        message_id=message_id,
        phone_number_id=phone_number_id,
        status=value,
        timestamp=_timestamp(status.get("timestamp")),
        recipient_id=_id(status.get("recipient_id")),
        recipient_user_id=_id(status.get("recipient_user_id")),
        callback_data=_text(status.get("biz_opaque_callback_data")),
        errors=_errors(status.get("errors")),
        raw=status,
    )


# --- the envelope -------------------------------------------------------------------------


def _changes(payload: object, problems: list[str]):
    """Every ``entry[].changes[]`` object with a label for notes, in order."""
    if not isinstance(payload, dict):
        problems.append(f"payload is {type(payload).__name__}, not an object")
        return
    product = payload.get("object")
    if product is not None and product != "whatsapp_business_account":
        problems.append(f"object is {product!r}, not 'whatsapp_business_account'; ignored")
        return
    entries = payload.get("entry")
    if not isinstance(entries, list):
        problems.append("no entry list")
        return
    for e, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(f"entry[{e}]: not an object")
            continue
        changes = entry.get("changes")
        if not isinstance(changes, list):
            problems.append(f"entry[{e}]: no changes list")
            continue
        for c, change in enumerate(changes):
            where = f"entry[{e}].changes[{c}]"
            if not isinstance(change, dict):
                problems.append(f"{where}: not an object")
                continue
            yield where, change


def _messages_change(where: str, value: dict, result: ParsedWebhook) -> None:
    problems = result.problems
    metadata = _dict(value.get("metadata"))
    phone_number_id = _id(metadata.get("phone_number_id"))
    problems.extend(_describe_errors(where, _errors(value.get("errors"))))
    if not phone_number_id:
        # Without it we cannot tell which office's number was written to.
        if value.get("messages") or value.get("statuses"):
            problems.append(f"{where}: no metadata.phone_number_id, change skipped")
        return
    for name in ("contacts", "messages", "statuses"):
        if name in value and not isinstance(value[name], list):
            problems.append(f"{where}: {name} is not a list, ignored")
    display = _id(metadata.get("display_phone_number"))
    contacts = _list(value.get("contacts"))
    for i, raw in enumerate(_list(value.get("messages"))):
        try:
            label = f"{where}.messages[{i}]"
            message = _message(raw, contacts, phone_number_id, display, problems, label)
        except Exception as exc:  # a bug here must not lose the rest of the batch
            problems.append(f"{where}.messages[{i}]: skipped ({type(exc).__name__})")
            continue
        if message is not None:
            result.messages.append(message)
    for i, raw in enumerate(_list(value.get("statuses"))):
        try:
            status = _status(raw, phone_number_id, problems, f"{where}.statuses[{i}]")
        except Exception as exc:
            problems.append(f"{where}.statuses[{i}]: skipped ({type(exc).__name__})")
            continue
        if status is not None:
            result.statuses.append(status)


def parse_webhook(payload: object) -> ParsedWebhook:
    """Messages, statuses and other changes of one webhook body, in the order given. Never raises.

    Only changes with ``field == "messages"`` are parsed; the others (group events, account and
    template updates…) are returned raw in ``other``. A change without ``metadata.phone_number_id``,
    a message without an id or a sender and a status without an id or a status value are skipped
    with a note in ``problems``.
    """
    result = ParsedWebhook(messages=[], statuses=[], other=[], problems=[])
    try:
        for where, change in _changes(payload, result.problems):
            if change.get("field") != "messages":
                result.other.append(change)
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                result.problems.append(f"{where}: value is not an object")
                continue
            _messages_change(where, value, result)
    except Exception as exc:  # the contract is "never raises"
        result.problems.append(f"parsing stopped early ({type(exc).__name__})")
    return result


def phone_number_ids(payload: object) -> list[str]:
    """Every ``metadata.phone_number_id`` in the body (any field), in order, without repeats.

    Used to route a delivery to the office owning the number before anything else is trusted.
    """
    found: list[str] = []
    try:
        for _where, change in _changes(payload, []):
            number = _id(_dict(_dict(change.get("value")).get("metadata")).get("phone_number_id"))
            if number and number not in found:
                found.append(number)
    except Exception:  # noqa: S110 - never raises; a partial list is still useful
        pass
    return found
