"""The Graph API stand-in's behaviour, as plain functions the views, the simulator and tests share.

It imitates Meta closely where Layan's code depends on it (URL shapes, the error JSON, status
webhooks signed with the app secret, media ids and short-lived download URLs) and loosely
elsewhere: it checks only the rules Meta enforces that Layan could break (a recipient, a known
type, text ≤ 4096, ≤ 3 reply buttons, ≤ 10 list rows, …), and it never enforces the 24-hour window
unless a :class:`FailureRule` asks for error 131047.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import time
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from layan.standin import delivery
from layan.standin.models import FailureRule, Media, SentMessage
from layan.whatsapp import signatures

logger = logging.getLogger(__name__)

STATUS_SEQUENCE = ("sent", "delivered", "read")
DOWNLOAD_URL_SECONDS = 300  # Meta's media URLs are valid for about five minutes
WABA_ID = "100000000000000"  # the stand-in serves one made-up WhatsApp Business Account
MAX_UPLOAD_BYTES = 100 * 1024 * 1024  # Meta's largest media (documents)
# The one bearer token the stand-in refuses, to show what a revoked token does.
EXPIRED_TOKEN = "expired"  # noqa: S105 - a marker, not a credential

# Meta's answers for the codes Layan must cope with: (HTTP status, message, details, subcode).
ERRORS: dict[int, tuple[int, str, str, int | None]] = {
    2: (503, "An unexpected error has occurred. Please retry your request later.", "", None),
    4: (429, "(#4) Application request limit reached", "", 2446079),
    100: (400, "(#100) Invalid parameter", "", None),
    190: (
        401,
        "Error validating access token: Session has expired.",
        "",
        463,
    ),
    80007: (429, "(#80007) Rate limit issues", "WhatsApp Business Account rate limit hit.", None),
    130429: (
        400,
        "(#130429) Rate limit hit",
        "Cloud API message throughput has been reached.",
        None,
    ),
    131000: (500, "(#131000) Something went wrong", "Message failed to send.", None),
    131026: (
        400,
        "(#131026) Message Undeliverable",
        "Message failed to send because the recipient could not be reached.",
        None,
    ),
    131047: (
        400,
        "(#131047) Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer last "
        "replied to this number.",
        2494010,
    ),
    131048: (400, "(#131048) Spam rate limit hit", "Too many messages were reported.", None),
    131052: (400, "(#131052) Media download error", "Unable to download the media.", None),
    131053: (400, "(#131053) Media upload error", "Unable to upload the media.", None),
    131056: (
        400,
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from this phone number to the same phone number in a short "
        "period of time.",
        None,
    ),
}
TRANSIENT_CODES = frozenset({2, 4, 80007, 130429, 131000})

# What Meta accepts for upload, by MIME type (Cloud API "supported media types").
UPLOAD_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "audio/aac",
        "audio/amr",
        "audio/mpeg",
        "audio/mp4",
        "audio/ogg",
        "video/mp4",
        "video/3gpp",
        "text/plain",
        "application/pdf",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
)


# ---------------------------------------------------------------------------- errors


class GraphFault(Exception):
    """An answer in Meta's error format; views render it as JSON with ``status``."""

    def __init__(self, status: int, body: dict | None = None, headers: dict | None = None):
        self.status = status
        self.body = body or {}
        self.headers = headers or {}
        super().__init__(f"HTTP {status}: {self.body.get('error', {}).get('message', '')}")


def fbtrace_id() -> str:
    return "A" + secrets.token_urlsafe(16)[:22]


def fault(code: int, details: str | None = None, *, message: str | None = None) -> GraphFault:
    """Meta's ``{"error": {...}}`` for ``code``, with its usual HTTP status."""
    status, default_message, default_details, subcode = ERRORS.get(
        code, (400, f"(#{code}) Error", "", None)
    )
    error: dict[str, Any] = {"message": message or default_message, "type": "OAuthException"}
    error["code"] = code
    text = default_details if details is None else details
    if text:
        error["error_data"] = {"messaging_product": "whatsapp", "details": text}
    if subcode is not None:
        error["error_subcode"] = subcode
    if code in TRANSIENT_CODES:
        error["is_transient"] = True
    error["fbtrace_id"] = fbtrace_id()
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'OAuth "Facebook Platform" "invalid_token" "{}"'.format(
            error["message"]
        )
    return GraphFault(status, {"error": error}, headers)


def invalid(details: str) -> GraphFault:
    return fault(100, details)


def check_bearer(header: str | None) -> None:
    """Any non-empty bearer token is good, except ``expired`` (Meta's 190 for a dead token)."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        unparsable = fault(
            190, message="Invalid OAuth access token - Cannot parse access token", details=""
        )
        unparsable.body["error"].pop("error_subcode", None)  # 463 means expired, not this
        raise unparsable
    if token == EXPIRED_TOKEN:
        raise fault(190)


# ---------------------------------------------------------------------------- failure injection


def add_failure(
    *,
    scope: str = "any",
    kind: str = "error",
    code: int | None = None,
    count: int = 1,
    seconds: float = 0.0,
    phone_number_id: str = "",
) -> FailureRule:
    """Make the next ``count`` matching calls fail; see :class:`FailureRule`."""
    if scope not in FailureRule.Scope.values:
        raise ValueError(f"scope must be one of {FailureRule.Scope.values}")
    if kind not in FailureRule.Kind.values:
        raise ValueError(f"kind must be one of {FailureRule.Kind.values}")
    if kind == FailureRule.Kind.ERROR and code is None:
        raise ValueError("kind 'error' needs a code")
    if int(count) < 1:
        raise ValueError("count must be at least 1")
    if not 0 <= float(seconds) <= 120:
        raise ValueError("seconds must be between 0 and 120")
    return FailureRule.objects.create(
        scope=scope,
        kind=kind,
        code=code,
        remaining=int(count),
        seconds=float(seconds),
        phone_number_id=phone_number_id or "",
    )


def clear_failures() -> int:
    deleted, _ = FailureRule.objects.all().delete()
    return deleted


def take_failure(scope: str, phone_number_id: str = "") -> FailureRule | None:
    """Consume one use of the oldest rule matching this call, if any.

    The row lock makes concurrent requests (the demo runs several threads) use a rule exactly
    ``count`` times between them.
    """
    with transaction.atomic():
        rule = (
            FailureRule.objects.select_for_update()
            .filter(remaining__gt=0, scope__in=[scope, FailureRule.Scope.ANY])
            .filter(Q(phone_number_id="") | Q(phone_number_id=phone_number_id))
            .order_by("id")
            .first()
        )
        if rule is None:
            return None
        FailureRule.objects.filter(pk=rule.pk).update(remaining=F("remaining") - 1)
    return rule


def apply_failure(scope: str, phone_number_id: str = "") -> None:
    """Raise the fault a matching rule asks for (after its delay, for timeouts)."""
    rule = take_failure(scope, phone_number_id)
    if rule is None:
        return
    if rule.kind == FailureRule.Kind.HTTP_500:
        raise GraphFault(
            500,
            {
                "error": {
                    "message": "An unexpected error has occurred. Please retry your request later.",
                    "type": "OAuthException",
                    "code": 2,
                    "is_transient": True,
                    "fbtrace_id": fbtrace_id(),
                }
            },
        )
    if rule.kind == FailureRule.Kind.TIMEOUT:
        time.sleep(max(0.0, rule.seconds))  # outside the transaction: hold no lock while asleep
        raise GraphFault(504, {})  # a gateway's answer, not Meta's JSON: views send plain text
    raise fault(rule.code or 100)


# ---------------------------------------------------------------------------- messages

MESSAGE_TYPES = frozenset(
    {
        "text",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "location",
        "contacts",
        "interactive",
        "template",
        "reaction",
    }
)
MEDIA_TYPES = frozenset({"image", "audio", "video", "document", "sticker"})


def _text(obj: dict, key: str, where: str, *, limit: int, required: bool = True) -> None:
    if not isinstance(obj, dict):
        raise invalid(f"{where} must be an object")
    value = obj.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()):
        raise invalid(f"{where}.{key} is required and must be a non-empty string")
    if len(value) > limit:
        raise invalid(f"{where}.{key} is longer than {limit} characters")


def _validate_interactive(obj: dict) -> None:
    kind = obj.get("type")
    action = obj.get("action")
    if not isinstance(action, dict):
        raise invalid("interactive.action is required")
    if isinstance(obj.get("header"), dict) and obj["header"].get("type") == "text":
        _text(obj["header"], "text", "interactive.header", limit=60)
    if "footer" in obj:
        _text(obj.get("footer") or {}, "text", "interactive.footer", limit=60)
    if kind in ("button", "list"):
        _text(obj.get("body") or {}, "text", "interactive.body", limit=1024)
    if kind == "button":
        buttons = action.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            raise invalid("interactive.action.buttons must hold 1 to 3 buttons")
        titles = []
        for button in buttons:
            reply = button.get("reply") if isinstance(button, dict) else None
            if not isinstance(reply, dict) or button.get("type") != "reply":
                raise invalid("each button needs type 'reply' and a reply object")
            _text(reply, "id", "button.reply", limit=256)
            _text(reply, "title", "button.reply", limit=20)
            titles.append(reply["title"])
        if len(set(titles)) != len(titles):
            raise invalid("button titles must be unique")
    elif kind == "list":
        _text(action, "button", "interactive.action", limit=20)
        sections = action.get("sections")
        if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
            raise invalid("interactive.action.sections must hold 1 to 10 sections")
        rows = []
        for section in sections:
            if not isinstance(section, dict) or not isinstance(section.get("rows"), list):
                raise invalid("each section needs rows")
            if len(sections) > 1:
                _text(section, "title", "section", limit=24)
            rows.extend(section["rows"])
        if not 1 <= len(rows) <= 10:
            raise invalid("a list message holds 1 to 10 rows in total")
        ids = []
        for row in rows:
            if not isinstance(row, dict):
                raise invalid("each row must be an object")
            _text(row, "id", "row", limit=200)
            _text(row, "title", "row", limit=24)
            _text(row, "description", "row", limit=72, required=False)
            ids.append(row["id"])
        if len(set(ids)) != len(ids):
            raise invalid("row ids must be unique")
    elif kind not in (
        "cta_url",
        "flow",
        "product",
        "product_list",
        "catalog_message",
        "location_request_message",
        "call_permission_request",
    ):
        raise invalid(f"unknown interactive.type {kind!r}")


def validate_message(payload: Any) -> tuple[str, str]:
    """``(recipient, type)`` of a valid send request; a code-100 :class:`GraphFault` otherwise."""
    if not isinstance(payload, dict):
        raise invalid("the request body must be a JSON object")
    if payload.get("messaging_product") != "whatsapp":
        raise invalid("messaging_product must be 'whatsapp'")
    recipient = payload.get("to") or payload.get("recipient")
    if not isinstance(recipient, str) or not recipient.strip():
        raise invalid("a recipient is required: 'to' (phone number) or 'recipient' (user id)")
    if payload.get("recipient_type", "individual") not in ("individual", "group"):
        raise invalid("recipient_type must be 'individual' or 'group'")
    kind = payload.get("type", "text")  # Meta's default, too
    if kind not in MESSAGE_TYPES:
        raise invalid(f"unknown message type {kind!r}")
    obj = payload.get(kind)
    if kind == "contacts":
        if not isinstance(obj, list) or not obj:
            raise invalid("contacts must be a non-empty array")
    elif not isinstance(obj, dict):
        raise invalid(f"a '{kind}' object is required for type '{kind}'")
    context = payload.get("context")
    if context is not None and not (isinstance(context, dict) and context.get("message_id")):
        raise invalid("context.message_id is required when context is given")
    callback = payload.get("biz_opaque_callback_data")
    if callback is not None and (not isinstance(callback, str) or len(callback) > 512):
        raise invalid("biz_opaque_callback_data must be a string of at most 512 characters")

    if kind == "text":
        _text(obj, "body", "text", limit=4096)
    elif kind in MEDIA_TYPES:
        if bool(obj.get("id")) == bool(obj.get("link")):
            raise invalid(f"{kind} needs exactly one of 'id' or 'link'")
        if obj.get("link") and not re.match(r"^https?://", str(obj["link"])):
            raise invalid(f"{kind}.link must be an http(s) URL")
        _text(obj, "caption", kind, limit=1024, required=False)
    elif kind == "interactive":
        _validate_interactive(obj)
    elif kind == "template":
        _text(obj, "name", "template", limit=512)
        language = obj.get("language")
        if not isinstance(language, dict) or not language.get("code"):
            raise invalid("template.language.code is required")
    elif kind == "location":
        if not all(isinstance(obj.get(k), int | float) for k in ("latitude", "longitude")):
            raise invalid("location needs numeric latitude and longitude")
    elif kind == "reaction":
        _text(obj, "message_id", "reaction", limit=256)
        if not isinstance(obj.get("emoji"), str):
            raise invalid("reaction.emoji is required (empty to remove)")
    return recipient.strip(), kind


def new_wamid() -> str:
    return "wamid." + secrets.token_urlsafe(36)


def record_sent(phone_number_id: str, payload: Any) -> SentMessage:
    """Validate and store one send; its sent/delivered/read webhooks go out after commit."""
    recipient, kind = validate_message(payload)
    with transaction.atomic():
        message = SentMessage.objects.create(
            phone_number_id=phone_number_id,
            recipient=recipient,
            type=kind,
            payload=payload,
            wamid=new_wamid(),
            callback_data=payload.get("biz_opaque_callback_data") or "",
        )
        wamid = message.wamid

        def enqueue() -> None:
            emit_statuses_later.enqueue(wamid)

        # A task, so the send answer is not held up by three webhook round trips (as with Meta,
        # statuses arrive after the answer); robust, so a broken queue cannot fail the send.
        transaction.on_commit(enqueue, robust=True)
    return message


def send_response(message: SentMessage) -> dict:
    """The JSON Meta answers to a successful send."""
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": message.recipient, "wa_id": message.recipient}],
        "messages": [{"id": message.wamid}],
    }


# ---------------------------------------------------------------------------- media


def store_media(
    content: bytes, *, mime_type: str, filename: str = "", phone_number_id: str = ""
) -> Media:
    """Keep ``content`` as a media object, as an upload to Meta would (also for the simulator)."""
    mime_type = (mime_type or "").split(";")[0].strip().lower()
    if mime_type not in UPLOAD_TYPES:
        raise fault(131053, f"Unsupported file type {mime_type or '(none)'}.")
    if not content:
        raise invalid("file is empty")
    if len(content) > MAX_UPLOAD_BYTES:
        raise fault(131053, f"File is larger than {MAX_UPLOAD_BYTES} bytes.")
    media = Media(
        phone_number_id=phone_number_id or "",
        mime_type=mime_type,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        filename=(filename or "")[:255],
    )
    media.file.save(media.id, ContentFile(content), save=False)
    media.save(force_insert=True)
    return media


def get_media(media_id: str, phone_number_id: str = "") -> Media:
    media = Media.objects.filter(pk=media_id).first()
    if media is None:
        raise GraphFault(
            404,
            fault(
                100,
                message=f"Unsupported get request. Object with ID '{media_id}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support this operation.",
                details="",
            ).body,
        )
    if phone_number_id and media.phone_number_id and phone_number_id != media.phone_number_id:
        raise invalid("media does not belong to this phone number")
    return media


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt="layan.standin.media-url")


def download_token(media: Media) -> str:
    """The ``token`` query parameter of a download URL: a timestamped signature of the id."""
    return _signer().sign(media.pk)[len(media.pk) + 1 :]


def media_info(media: Media, download_url: str) -> dict:
    """Meta's answer to ``GET /{media-id}``."""
    return {
        "messaging_product": "whatsapp",
        "url": download_url,
        "mime_type": media.mime_type,
        "sha256": media.sha256,
        "file_size": media.size,
        "id": media.pk,
    }


def check_download(media_id: str, token: str) -> Media:
    """The media behind a download URL that is still fresh (five minutes, like Meta's)."""
    try:
        _signer().unsign(f"{media_id}:{token}", max_age=DOWNLOAD_URL_SECONDS)
    except signing.BadSignature:
        raise GraphFault(
            404, fault(100, message="URL signature expired", details="").body
        ) from None
    return get_media(media_id)


# ---------------------------------------------------------------------------- status webhooks


def _display_number(phone_number_id: str) -> str:
    """The number's digits as Meta shows them, when Layan knows the channel."""
    try:
        channel_model = apps.get_model("offices", "Channel")
    except LookupError:  # the stand-in does not need Layan's schema to work
        return phone_number_id
    phone = (
        channel_model.objects.filter(phone_number_id=phone_number_id)
        .values_list("phone", flat=True)
        .first()
    )
    digits = re.sub(r"\D", "", phone or "")
    return digits or phone_number_id


def envelope(*, phone_number_id: str, display_phone_number: str, **value: Any) -> dict:
    """A whole ``messages`` webhook body for one number, shaped like Meta's; ``value`` holds
    its ``contacts``/``messages`` or ``statuses``."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": display_phone_number,
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def build_status_webhook(
    *,
    phone_number_id: str,
    wamid: str,
    status: str,
    recipient_id: str,
    timestamp: datetime | int | None = None,
    callback_data: str = "",
    errors: list[dict] | None = None,
    display_phone_number: str | None = None,
) -> dict:
    """A whole webhook body carrying one status, shaped like Meta's."""
    if isinstance(timestamp, datetime):
        ts = int(timestamp.timestamp())
    elif timestamp is None:
        ts = int(timezone.now().timestamp())
    else:
        ts = int(timestamp)
    item: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(ts),
        "recipient_id": recipient_id,
    }
    if callback_data:
        item["biz_opaque_callback_data"] = callback_data
    if errors:
        item["errors"] = errors
    return envelope(
        phone_number_id=phone_number_id,
        display_phone_number=display_phone_number or _display_number(phone_number_id),
        statuses=[item],
    )


def sign(body: bytes) -> str:
    """``X-Hub-Signature-256`` for ``body`` under this deployment's app secret."""
    return signatures.sign(body, settings.WHATSAPP_APP_SECRET)


def signed(body: dict) -> tuple[bytes, dict]:
    """Serialise ``body`` once and sign exactly those bytes, as Meta does: (bytes, headers)."""
    raw = json.dumps(body, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": sign(raw),
        "User-Agent": "facebookexternalua",
    }
    return raw, headers


def post_webhook(body: dict) -> int:
    """Serialise once, sign those exact bytes, deliver; the receiver's HTTP status."""
    return delivery.deliver(*signed(body))


def emit_statuses(wamid: str, statuses: tuple[str, ...] = STATUS_SEQUENCE) -> list[int]:
    """Post one webhook per status of a sent message, in order; the receiver's answers.

    A receiver that errors does not stop the sequence (Meta would retry; the demo would rather
    see the next status), but an unreachable one does: the rest would fail the same way.
    """
    message = SentMessage.objects.filter(wamid=wamid).first()
    if message is None:
        logger.warning("stand-in: no sent message %s, no statuses", wamid)
        return []
    display = _display_number(message.phone_number_id)
    answers = []
    for status in statuses:
        body = build_status_webhook(
            phone_number_id=message.phone_number_id,
            wamid=message.wamid,
            status=status,
            recipient_id=message.recipient,
            callback_data=message.callback_data,
            display_phone_number=display,
        )
        try:
            code = post_webhook(body)
        except Exception as exc:  # httpx errors, or whatever a test deliverer raises
            logger.warning("stand-in: %s webhook for %s not delivered: %s", status, wamid, exc)
            break
        if code >= 300:
            logger.warning("stand-in: %s webhook for %s answered HTTP %s", status, wamid, code)
        answers.append(code)
    return answers


@task()
def emit_statuses_later(wamid: str) -> list[int]:
    """Post the sent → delivered → read webhooks of one stand-in send, after its answer."""
    return emit_statuses(wamid)
