"""Media sent by residents: downloaded at once (Meta's media ids expire), checked, stored.

Each check has a reason code; the bot turns a rejection into an Indonesian reply that says what
to send instead. Images are opened with Pillow under a pixel ceiling so a "decompression bomb"
cannot exhaust the worker's memory.
"""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from layan.whatsapp.graph import GraphClient, GraphError, MediaTooLarge
from layan.whatsapp.models import InboundMessage, MediaFile
from layan.whatsapp.parsing import MediaRef

IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
DOCUMENT_TYPES = {"application/pdf": "pdf"}
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is already far beyond any phone's document scan


class Rejected(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _limit(kind: str) -> int:
    return settings.WHATSAPP_MEDIA_MAX_BYTES["image" if kind == "image" else "document"]


def _category(kind: str, mime: str) -> str:
    """Photos may come as images or as documents; what counts is the actual type."""
    if mime in IMAGE_TYPES:
        return "image"
    if mime in DOCUMENT_TYPES:
        return "document"
    raise Rejected("type_not_allowed")


def _sha_matches(expected: str | None, content: bytes) -> bool:
    if not expected:
        return True
    digest = hashlib.sha256(content).digest()
    expected = expected.strip()
    if expected.lower() == digest.hex():
        return True
    try:
        return base64.b64decode(expected + "=" * (-len(expected) % 4)) == digest
    except (ValueError, TypeError):
        return False


def _check_image(content: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise Rejected("image_too_big")
                image.verify()
        except Rejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise Rejected("image_too_big") from None
        except Exception:  # noqa: BLE001 - any decoder error means "not a usable photo"
            raise Rejected("image_invalid") from None


def _check_pdf(content: bytes) -> None:
    if not content.startswith(b"%PDF-"):
        raise Rejected("pdf_invalid")


def fetch(message: InboundMessage, ref: MediaRef, client: GraphClient) -> MediaFile:
    """Download, check and store one media item; a rejection is stored with its reason.

    Network and server errors propagate (the event is retried later: the media id stays valid
    for days); a definite answer (too big, wrong type, broken file) becomes a rejected row.
    """
    existing = MediaFile.objects.filter(message=message).first()
    if existing is not None:
        return existing
    row = MediaFile(message=message, media_id=ref.id, filename=(ref.filename or "")[:200])
    try:
        declared = (ref.mime_type or "").split(";")[0].strip().lower()
        if message.kind in ("image", "document") and declared:
            _category(message.kind, declared)
        try:
            info = client.media_info(ref.id)
            mime = (info.get("mime_type") or declared).split(";")[0].strip().lower()
            category = _category(message.kind, mime)
            limit = _limit(category)
            size = int(info.get("file_size") or 0)
            if size > limit:
                raise Rejected("too_large")
            content = client.download(info["url"], max_bytes=limit)
        except MediaTooLarge:
            raise Rejected("too_large") from None
        except GraphError as error:
            if error.retryable:
                raise
            raise Rejected("download_failed") from None
        if len(content) > limit:
            raise Rejected("too_large")
        if not _sha_matches(info.get("sha256") or ref.sha256, content):
            raise Rejected("checksum_mismatch")
        if category == "image":
            _check_image(content)
        else:
            _check_pdf(content)
        ext = IMAGE_TYPES.get(mime) or DOCUMENT_TYPES[mime]
        row.status = MediaFile.Status.ACCEPTED
        row.mime_type = mime
        row.size = len(content)
        row.sha256 = hashlib.sha256(content).hexdigest()
        name = f"{timezone.now():%Y%m%d}-{uuid.uuid4().hex}.{ext}"
        row.file.save(name, ContentFile(content), save=False)
    except Rejected as rejected:
        row.status = MediaFile.Status.REJECTED
        row.reason = rejected.reason
    row.save()
    return row
