"""The phone simulator at ``/dev/phone/``: a resident's WhatsApp in a browser, for the demo.

Everything goes the way it would with Meta. What the "resident" types becomes a Meta-shaped
messages webhook, serialised once, signed with the app secret and POSTed to Layan's real webhook
(:func:`post_webhook`); photos and PDFs are first stored in the Graph stand-in's media store, as
if the resident's WhatsApp had uploaded them to Meta, so the inbox downloads them through the real
Graph client. What the bot answers is read back from the stand-in's record of sent messages
(:class:`~layan.standin.models.SentMessage`), which is all a phone would ever see.

Only mounted when ``LAYAN_STANDIN`` is on (``layan demo`` and the tests). The views are thin; the
functions above them build, sign, post and render.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from layan.offices.models import Channel
from layan.standin import delivery, services
from layan.standin.models import FailureRule, Media, PhoneMessage, SentMessage
from layan.whatsapp.models import MessageTemplate, OutboxMessage

logger = logging.getLogger(__name__)

DEFAULT_WA_ID = "6281234567890"
DEFAULT_NAME = "Siti Aminah"
MAX_UPLOAD_BYTES = 16 * 1024 * 1024  # WhatsApp's limit for documents; photos are smaller
SEND_TYPES = ("text", "button_reply", "list_reply", "button", "image", "document")
# A message may change after it was first listed (its webhook status arrives, a send commits a
# little out of id order): rows this recent are listed again on every poll; the page dedups.
RECENT = timedelta(seconds=15)
PAGE_SIZE = 200
OUTBOX_ROWS = 20
MAX_FAILURES = 100
FAILURE_CODES = (131000, 130429, 131047, 131026, 131048, 131056, 190)

_WA_ID = re.compile(r"[0-9]{6,20}")
_PNID = re.compile(r"[0-9]{1,32}")
_META_PREFIX = re.compile(r"^\(#\d+\)\s*")
_CURSOR = re.compile(r"([0-9]{1,18})\.([0-9]{1,18})")


class BadInput(ValueError):
    """The page (or a script) sent something the simulator cannot turn into a message."""


# ------------------------------------------------------------------------------ input


def _string(data: dict, key: str, limit: int, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadInput(f"{key} must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(f"{key} is not valid text") from None
    if "\x00" in value:
        raise BadInput(f"{key} is not valid text")
    value = value.strip()
    if required and not value:
        raise BadInput(f"{key} is required")
    if len(value) > limit:
        raise BadInput(f"{key} is longer than {limit} characters")
    return value


def read_json(request: HttpRequest) -> dict:
    if request.content_type != "application/json":
        raise BadInput("expected application/json")
    try:
        data = json.loads(request.body or b"null")
    except (UnicodeDecodeError, ValueError):
        raise BadInput("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadInput("expected a JSON object")
    return data


def channel_for(phone_number_id: Any) -> Channel:
    if not isinstance(phone_number_id, str) or not _PNID.fullmatch(phone_number_id):
        raise BadInput("channel must be a WhatsApp phone number id (digits)")
    channel = (
        Channel.objects.select_related("office").filter(phone_number_id=phone_number_id).first()
    )
    if channel is None:
        raise BadInput(f"no WhatsApp number with phone number id {phone_number_id}")
    return channel


def check_wa_id(wa_id: Any) -> str:
    if not isinstance(wa_id, str) or not _WA_ID.fullmatch(wa_id.strip()):
        raise BadInput("wa_id must be 6 to 20 digits with the country code, e.g. 6281234567890")
    return wa_id.strip()


def active_channels() -> list[Channel]:
    return list(
        Channel.objects.filter(is_active=True, office__is_active=True)
        .select_related("office")
        .order_by("office__code", "phone")
    )


def display_number(channel: Channel) -> str:
    """The business number as Meta writes it in ``display_phone_number`` (international digits)."""
    digits = re.sub(r"\D", "", channel.phone or "")
    if digits.startswith("0"):
        digits = "62" + digits[1:]  # the seed numbers are written the Indonesian way
    return digits or channel.phone_number_id


def office_name(channel: Channel) -> str:
    return channel.office.short_name or channel.office.name


# ------------------------------------------------------------------------------ building


def new_message_id() -> str:
    """A unique id in the shape of Meta's (``wamid.`` and opaque characters)."""
    return "wamid.SIM" + secrets.token_hex(16).upper()


def meta_message(
    message: Any,
    *,
    wa_id: str,
    message_id: str,
    timestamp: int,
    business_number: str,
) -> dict:
    """The simulator's message (``{"type": "text", "text": "halo"}`` …) as Meta's ``messages[0]``.

    Media are referred to by the id the upload gave; type, checksum and (for a document) the file
    name come from the stand-in's media store, as Meta fills them in.
    """
    if not isinstance(message, dict):
        raise BadInput("message must be an object")
    kind = message.get("type")
    if kind not in SEND_TYPES:
        raise BadInput(f"message.type must be one of {', '.join(SEND_TYPES)}")
    obj: dict[str, Any] = {"from": wa_id, "id": message_id, "timestamp": str(timestamp)}
    context = _string(message, "context", 256, required=False)
    if context:
        obj["context"] = {"from": business_number, "id": context}
    if kind == "text":
        obj["type"] = "text"
        obj["text"] = {"body": _string(message, "text", 4096)}
    elif kind in ("button_reply", "list_reply"):
        reply = {"id": _string(message, "id", 256), "title": _string(message, "title", 100)}
        description = _string(message, "description", 100, required=False)
        if kind == "list_reply" and description:
            reply["description"] = description
        obj["type"] = "interactive"
        obj["interactive"] = {"type": kind, kind: reply}
    elif kind == "button":
        text = _string(message, "text", 256)
        payload = _string(message, "payload", 256, required=False) or text
        obj["type"] = "button"
        obj["button"] = {"payload": payload, "text": text}
    else:
        media_id = _string(message, "media_id", 20)
        media = Media.objects.filter(pk=media_id).first()
        if media is None:
            raise BadInput(f"no uploaded media with id {media_id}")
        part = {"id": media.pk, "mime_type": media.mime_type, "sha256": media.sha256}
        caption = _string(message, "caption", 1024, required=False)
        if caption:
            part["caption"] = caption
        if kind == "document":
            part["filename"] = (
                _string(message, "filename", 240, required=False) or media.filename or media.pk
            )
        obj["type"] = kind
        obj[kind] = part
    return obj


def webhook_body(channel: Channel, *, wa_id: str, name: str, message: dict) -> dict:
    """A whole ``messages`` webhook for one message from ``wa_id`` to ``channel``, as Meta's."""
    return services.envelope(
        phone_number_id=channel.phone_number_id,
        display_phone_number=display_number(channel),
        contacts=[{"profile": {"name": name}, "wa_id": wa_id}],
        messages=[message],
    )


def post_webhook(body: bytes, headers: dict) -> int:
    """POST the signed bytes to Layan's webhook; the HTTP status it answered (tests replace it)."""
    return delivery.deliver(body, headers)


def send(channel: Channel, *, wa_id: str, name: str, message: Any) -> tuple[PhoneMessage, str]:
    """Record and deliver one message from the phone; the row and an error text ("" if none).

    The row is written first (the page shows the message at once, like WhatsApp's clock icon),
    outside any transaction, so the webhook, served by another thread of the same server, never
    waits on a lock held here.
    """
    now = timezone.now()
    message_id = new_message_id()
    obj = meta_message(
        message,
        wa_id=wa_id,
        message_id=message_id,
        timestamp=int(now.timestamp()),
        business_number=display_number(channel),
    )
    raw, headers = services.signed(webhook_body(channel, wa_id=wa_id, name=name, message=obj))
    row = PhoneMessage.objects.create(
        phone_number_id=channel.phone_number_id,
        wa_id=wa_id,
        message_id=message_id,
        type=message["type"],
        payload=obj,
        created_at=now,
    )
    error = ""
    try:
        status = int(post_webhook(raw, headers))
    except Exception as exc:  # noqa: BLE001 - httpx errors or a test double's: shown, never 500
        logger.warning("phone simulator: webhook not reached: %s", exc)
        status, error = 0, f"{type(exc).__name__}: {exc}"
    else:
        if status >= 300:
            error = f"HTTP {status}"
    PhoneMessage.objects.filter(pk=row.pk).update(webhook_status=status)
    row.webhook_status = status
    return row, error


def upload(content: bytes, *, filename: str, content_type: str, phone_number_id: str) -> Media:
    """Keep a file as the stand-in's media, as the resident's WhatsApp uploads it to Meta."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise BadInput(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    mime = (content_type or "").split(";")[0].strip().lower()
    if not mime or mime == "application/octet-stream":
        mime = mimetypes.guess_type(filename or "")[0] or ""
    try:
        return services.store_media(
            content, mime_type=mime, filename=filename, phone_number_id=phone_number_id
        )
    except services.GraphFault as fault:
        raise BadInput(fault.body.get("error", {}).get("message") or str(fault)) from None


# ------------------------------------------------------------------------------ reading back


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def media_url(media_id: str) -> str:
    return reverse("phone:media", args=[media_id])


def _summary(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 80 else line[:79] + "…"


def phone_item(row: PhoneMessage) -> dict:
    """A message the phone sent, as the page draws it (on the right)."""
    payload = _dict(row.payload)
    item: dict[str, Any] = {
        "key": f"p:{row.pk}",
        "from": "me",
        "at": row.created_at.isoformat(),
        "wamid": row.message_id,
        "type": row.type,
        "webhook_status": row.webhook_status,
        "reply_to": _str(_dict(payload.get("context")).get("id")),
    }
    kind = payload.get("type")
    if kind == "text":
        text = _str(_dict(payload.get("text")).get("body"))
        item.update(kind="text", text=text)
    elif kind == "interactive":
        interactive = _dict(payload.get("interactive"))
        reply = _dict(interactive.get(_str(interactive.get("type"))))
        text = _str(reply.get("title"))
        item.update(kind="text", text=text, description=_str(reply.get("description")))
    elif kind == "button":
        text = _str(_dict(payload.get("button")).get("text"))
        item.update(kind="text", text=text)
    elif kind in ("image", "document"):
        media = _dict(payload.get(kind))
        text = _str(media.get("caption"))
        item.update(
            kind=kind,
            url=media_url(_str(media.get("id"))) if media.get("id") else "",
            filename=_str(media.get("filename")),
            mime_type=_str(media.get("mime_type")),
            caption=text,
        )
        if not text:
            text = _("Photo") if kind == "image" else _str(media.get("filename")) or _("Document")
    else:
        text = f"[{kind}]"
        item.update(kind="unsupported", text=text)
    item["summary"] = _summary(text)
    return item


def _interactive_item(interactive: dict) -> dict:
    header = _dict(interactive.get("header"))
    common = {
        "header": _str(header.get("text")) if header.get("type") == "text" else "",
        "text": _str(_dict(interactive.get("body")).get("text")),
        "footer": _str(_dict(interactive.get("footer")).get("text")),
    }
    action = _dict(interactive.get("action"))
    kind = interactive.get("type")
    if kind == "button":
        buttons = []
        for button in _list(action.get("buttons")):
            reply = _dict(_dict(button).get("reply"))
            buttons.append({"id": _str(reply.get("id")), "title": _str(reply.get("title"))})
        return {"kind": "buttons", **common, "buttons": buttons}
    if kind == "list":
        sections = []
        for section in _list(action.get("sections")):
            section = _dict(section)
            rows = [
                {
                    "id": _str(_dict(row).get("id")),
                    "title": _str(_dict(row).get("title")),
                    "description": _str(_dict(row).get("description")),
                }
                for row in _list(section.get("rows"))
            ]
            sections.append({"title": _str(section.get("title")), "rows": rows})
        return {
            "kind": "list",
            **common,
            "button": _str(action.get("button")),
            "sections": sections,
        }
    # cta_url, flow, … : not used by Layan; shown as their text
    return {"kind": "text", **common}


def _template_item(template: dict, channel: Channel | None) -> dict:
    name = _str(template.get("name"))
    language = _str(_dict(template.get("language")).get("code"))
    params: list[str] = []
    payloads: dict[int, str] = {}
    for component in _list(template.get("components")):
        component = _dict(component)
        parameters = [_dict(p) for p in _list(component.get("parameters"))]
        if component.get("type") == "body":
            params = [_str(p.get("text")) for p in parameters if p.get("type") == "text"]
        elif component.get("type") == "button" and component.get("sub_type") == "quick_reply":
            try:
                index = int(component.get("index"))
            except (TypeError, ValueError):
                continue
            for parameter in parameters:
                if parameter.get("type") == "payload":
                    payloads[index] = _str(parameter.get("payload"))
    found = None
    if channel is not None and name:
        candidates = list(MessageTemplate.objects.filter(office_id=channel.office_id, name=name))
        found = next((t for t in candidates if t.language == language), None)
        found = found or (candidates[0] if candidates else None)
    texts = []
    if found is not None:
        for button in _list(getattr(found, "buttons", None)):
            button = _dict(button)
            if str(button.get("type", "QUICK_REPLY")).upper() == "QUICK_REPLY":
                texts.append(_str(button.get("text")))
    buttons = [
        {"payload": payloads.get(index) or text, "text": text}
        for index, text in enumerate(texts)
        if text
    ]
    for index in sorted(payloads):
        if index >= len(texts):  # a payload for a button the simulator does not know the text of
            buttons.append({"payload": payloads[index], "text": payloads[index]})
    return {
        "kind": "template",
        "name": name,
        "language": language,
        "params": params,
        "text": found.render(params) if found is not None else "",
        "buttons": buttons,
    }


def sent_item(row: SentMessage, channel: Channel | None) -> dict:
    """A message the stand-in accepted for this phone, as the page draws it (on the left)."""
    payload = _dict(row.payload)
    item: dict[str, Any] = {
        "key": f"s:{row.pk}",
        "from": "office",
        "at": row.created_at.isoformat(),
        "wamid": row.wamid,
        "type": row.type,
    }
    kind = row.type
    try:
        if kind == "text":
            item.update(kind="text", text=_str(_dict(payload.get("text")).get("body")))
        elif kind == "interactive":
            item.update(_interactive_item(_dict(payload.get("interactive"))))
        elif kind in ("image", "document"):
            media = _dict(payload.get(kind))
            if media.get("id"):
                url = media_url(_str(media.get("id")))
            else:
                link = _str(media.get("link"))
                url = link if re.match(r"https?://", link) else ""
            item.update(
                kind=kind,
                url=url,
                filename=_str(media.get("filename")),
                caption=_str(media.get("caption")),
            )
        elif kind == "template":
            item.update(_template_item(_dict(payload.get("template")), channel))
        else:
            item.update(kind="unsupported", text=f"[{kind}]")
    except Exception:  # noqa: BLE001 - one odd payload must not break the whole conversation
        logger.exception("phone simulator: cannot draw sent message %s", row.pk)
        item.update(kind="unsupported", text=f"[{kind}]")
    summary = item.get("text") or item.get("caption") or item.get("filename") or item.get("name")
    item["summary"] = _summary(_str(summary))
    return item


def outbox_rows(phone_number_id: str, wa_id: str) -> list[dict]:
    """The latest outgoing messages of this conversation, newest first, for the diagnostics."""
    rows = (
        OutboxMessage.objects.filter(channel__phone_number_id=phone_number_id)
        .filter(Q(to=wa_id) | Q(conversation__identity__wa_id=wa_id))
        .order_by("-created_at")[:OUTBOX_ROWS]
    )
    return [
        {
            "id": str(row.pk)[:8],
            "created_at": row.created_at.isoformat(),
            "type": _str(_dict(row.content).get("type")),
            "status": row.status,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "as_template": row.as_template,
            "error_code": row.error_code,
            "template_key": row.template_key,
        }
        for row in rows
    ]


def failure_label(code: int) -> str:
    """``131000 — Something went wrong``: the code and Meta's message without its ``(#code)``."""
    message = _META_PREFIX.sub("", services.ERRORS[code][1])
    return f"{code} — {message}"


def failure_rules() -> list[dict]:
    return [
        {
            "id": rule.pk,
            "scope": rule.scope,
            "kind": rule.kind,
            "code": rule.code,
            "seconds": rule.seconds,
            "remaining": rule.remaining,
        }
        for rule in FailureRule.objects.filter(remaining__gt=0)
    ]


def parse_cursor(after: str) -> tuple[int, int] | None:
    """``"<last phone message id>.<last sent message id>"``; ``""`` is the start."""
    if not after:
        return None
    match = _CURSOR.fullmatch(after)
    if match is None:
        raise BadInput("after must be a cursor from a previous answer")
    return int(match.group(1)), int(match.group(2))


def conversation(phone_number_id: str, wa_id: str, after: str = "") -> dict:
    """Both sides of the chat in order, from ``after`` on, and the cursor for the next poll.

    Without a cursor: the latest :data:`PAGE_SIZE` of each side. With one: what came since, plus
    the last few seconds again, since a message can change or commit after it was first listed.
    """
    cursor = parse_cursor(after)
    channel = Channel.objects.select_related("office").filter(phone_number_id=phone_number_id)
    channel = channel.first()
    phone = PhoneMessage.objects.filter(phone_number_id=phone_number_id, wa_id=wa_id)
    sent = SentMessage.objects.filter(phone_number_id=phone_number_id, recipient=wa_id)
    if cursor is None:
        phone_rows = list(phone.order_by("-id")[:PAGE_SIZE])[::-1]
        sent_rows = list(sent.order_by("-id")[:PAGE_SIZE])[::-1]
        last_phone, last_sent = 0, 0
    else:
        last_phone, last_sent = cursor
        since = timezone.now() - RECENT
        phone_rows = list(
            phone.filter(Q(id__gt=last_phone) | Q(created_at__gte=since)).order_by("id")[:PAGE_SIZE]
        )
        sent_rows = list(
            sent.filter(Q(id__gt=last_sent) | Q(created_at__gte=since)).order_by("id")[:PAGE_SIZE]
        )
    ordered = sorted(
        [(row.created_at, 0, row.pk, row) for row in phone_rows]
        + [(row.created_at, 1, row.pk, row) for row in sent_rows],
        key=lambda entry: entry[:3],
    )
    items = [
        phone_item(row) if side == 0 else sent_item(row, channel) for _at, side, _pk, row in ordered
    ]
    last_phone = max([last_phone, *(row.pk for row in phone_rows)])
    last_sent = max([last_sent, *(row.pk for row in sent_rows)])
    return {
        "items": items,
        "cursor": f"{last_phone}.{last_sent}",
        "outbox": outbox_rows(phone_number_id, wa_id),
        "failures": failure_rules(),
    }


# ------------------------------------------------------------------------------ views


def json_api(method: str) -> Callable:
    """JSON in, JSON out: the wrong method is a JSON 405, bad input a JSON 400, never a 500.

    CSRF stays on: the page sends Django's token in ``X-CSRFToken``.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method != method:
                response = JsonResponse({"error": f"use {method}"}, status=405)
                response["Allow"] = method
                return response
            try:
                return view(request, *args, **kwargs)
            except BadInput as exc:
                return JsonResponse({"error": str(exc)}, status=400)

        return wrapper

    return decorate


def _strings() -> dict[str, str]:
    """The page's texts for JavaScript, translated here (``%(name)s`` is filled in by the page)."""
    return {
        "sending": _("Sending…"),
        "delivered": _("Received by the webhook"),
        "webhook_status": _("The webhook answered HTTP %(status)s"),
        "unreachable": _("The webhook could not be reached"),
        "network": _("No connection to the server"),
        "photo": _("Photo"),
        "document": _("Document"),
        "open": _("Open"),
        "template": _("Template"),
        "template_params": _("Template %(name)s with parameters: %(params)s"),
        "too_large": _("The file is larger than 16 MB."),
        "uploading": _("Uploading %(name)s…"),
        "upload_failed": _("Upload failed: %(error)s"),
        "send_failed": _("Not sent: %(error)s"),
        "rule_added": _("Failure added: the next %(count)s sends will fail."),
        "rules_cleared": _("All failures cleared."),
        "empty": _("No messages yet. Say “halo” to start."),
        "no_outbox": _("No outgoing messages yet."),
        "no_rules": _("None"),
        "bad_number": _("Enter 6 to 20 digits with the country code, e.g. 6281234567890."),
        "close": _("Close"),
        "as_template": _("as template"),
        "kind_http_500": _("HTTP 500"),
        "kind_timeout": _("Timeout"),
        "kind_error": _("Error %(code)s"),
        "remaining": _("%(count)s left"),
    }


@require_GET
@ensure_csrf_cookie
@never_cache
def page(request):
    channels = active_channels()
    selected = request.GET.get("channel", "")
    if not any(c.phone_number_id == selected for c in channels):
        selected = channels[0].phone_number_id if channels else ""
    wa_id = request.GET.get("wa_id", "")
    config = {
        "urls": {
            "send": reverse("phone:send"),
            "upload": reverse("phone:upload"),
            "messages": reverse("phone:messages"),
            "fail": reverse("phone:fail"),
            "clear": reverse("phone:fail-clear"),
        },
        "csrfCookie": settings.CSRF_COOKIE_NAME,
        "pollMs": 1000,
        "maxUpload": MAX_UPLOAD_BYTES,
        "defaults": {"wa_id": DEFAULT_WA_ID, "name": DEFAULT_NAME},
        "strings": _strings(),
    }
    context = {
        "channels": [
            {
                "phone_number_id": c.phone_number_id,
                "office": office_name(c),
                "label": c.label,
                "phone": c.phone,
            }
            for c in channels
        ],
        "selected": selected,
        "wa_id": wa_id if _WA_ID.fullmatch(wa_id) else DEFAULT_WA_ID,
        "name": request.GET.get("name", "")[:100] or DEFAULT_NAME,
        "config": config,
        "failure_codes": [(code, failure_label(code)) for code in FAILURE_CODES],
    }
    return render(request, "standin/phone.html", context)


@json_api("POST")
def api_send(request):
    data = read_json(request)
    channel = channel_for(data.get("channel"))
    wa_id = check_wa_id(data.get("wa_id"))
    name = _string(data, "name", 100, required=False)
    row, error = send(channel, wa_id=wa_id, name=name, message=data.get("message"))
    body = {
        "ok": not error,
        "webhook_status": row.webhook_status,
        "item": phone_item(row),
    }
    if error:
        body["error"] = error
    # An unreachable webhook is the server's gateway failing; any answer from it is reported.
    return JsonResponse(body, status=502 if row.webhook_status == 0 else 200)


@json_api("POST")
def api_upload(request):
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + 64 * 1024:
        raise BadInput(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    upload_file = request.FILES.get("file")
    if upload_file is None:
        raise BadInput("the multipart field 'file' is required")
    if upload_file.size > MAX_UPLOAD_BYTES:
        raise BadInput(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    number = request.POST.get("channel", "")
    phone_number_id = channel_for(number).phone_number_id if number else ""
    media = upload(
        upload_file.read(),
        filename=upload_file.name or "",
        content_type=upload_file.content_type or "",
        phone_number_id=phone_number_id,
    )
    return JsonResponse(
        {
            "id": media.pk,
            "mime_type": media.mime_type,
            "sha256": media.sha256,
            "size": media.size,
            "filename": media.filename,
            "type": "image" if media.mime_type.startswith("image/") else "document",
        },
        status=201,
    )


@json_api("GET")
def api_messages(request):
    channel = request.GET.get("channel", "")
    if not _PNID.fullmatch(channel):
        raise BadInput("channel must be a WhatsApp phone number id (digits)")
    wa_id = check_wa_id(request.GET.get("wa_id", ""))
    return JsonResponse(conversation(channel, wa_id, request.GET.get("after", "")))


@json_api("POST")
def api_fail(request):
    data = read_json(request)
    number = data.get("channel") or ""
    if number and not (isinstance(number, str) and _PNID.fullmatch(number)):
        raise BadInput("channel must be a WhatsApp phone number id (digits)")
    try:
        code = data.get("code")
        code = None if code in (None, "") else int(code)
        count = int(data.get("count") if data.get("count") not in (None, "") else 1)
        seconds = float(data.get("seconds") if data.get("seconds") not in (None, "") else 0)
    except (TypeError, ValueError, OverflowError):
        raise BadInput("code, count and seconds must be numbers") from None
    if code is not None and not 0 < code < 2**31:
        raise BadInput("code must be a Meta error code")
    if not 1 <= count <= MAX_FAILURES:
        raise BadInput(f"count must be between 1 and {MAX_FAILURES}")
    try:
        rule = services.add_failure(
            scope=FailureRule.Scope.MESSAGES,
            kind=str(data.get("kind") or ""),
            code=code,
            count=count,
            seconds=seconds,
            phone_number_id=number,
        )
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    rule_json = {"id": rule.pk, "kind": rule.kind, "code": rule.code, "remaining": rule.remaining}
    return JsonResponse({"rule": rule_json, "failures": failure_rules()}, status=201)


@json_api("POST")
def api_fail_clear(request):
    return JsonResponse({"deleted": services.clear_failures(), "failures": []})


@require_GET
def media(request, media_id: str):
    """A media object's bytes for the page (the stand-in's own download needs a bearer token)."""
    item = Media.objects.filter(pk=media_id).first()
    if item is None or not item.file:
        raise Http404("no such media")
    inline = item.mime_type.startswith("image/") or item.mime_type == "application/pdf"
    response = FileResponse(
        item.file.open("rb"),
        content_type=item.mime_type,
        as_attachment=not inline,
        filename=item.filename or f"{item.pk}{mimetypes.guess_extension(item.mime_type) or ''}",
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response
