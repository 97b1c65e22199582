"""Files given for a request's requirements, checked the same way however they come: WhatsApp
media, a file an officer uploads at the counter or in the field, an integration's upload.

The type is read from the content (a client's declared type is not trusted), the size is
limited by category (``WHATSAPP_MAX_IMAGE_BYTES``, ``WHATSAPP_MAX_DOCUMENT_BYTES``), images are
opened with Pillow under a pixel ceiling so a "decompression bomb" cannot exhaust a worker's
memory, and a PDF must start and end like one. Each refusal has a reason code; the bot and the staff
surfaces turn it into an Indonesian sentence (:data:`REASONS`).
"""

from __future__ import annotations

import io
import warnings

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image

IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
DOCUMENT_TYPES = {"application/pdf": "pdf"}
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is already far beyond any phone's document scan

REASONS = {
    "type_not_allowed": _("Only photos (JPEG, PNG, WebP) and PDF files are accepted."),
    "too_large": _("The file is too large (photos up to %(image)s MB, PDF up to %(document)s MB)."),
    "image_too_big": _("The photo has too many pixels; send a smaller photo."),
    "image_invalid": _("The photo cannot be opened; take it again."),
    "pdf_invalid": _("The PDF cannot be opened; scan it again."),
    "empty": _("The file is empty."),
}


class FileRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        limits = {k: v // (1024 * 1024) for k, v in settings.WHATSAPP_MEDIA_MAX_BYTES.items()}
        return str(REASONS.get(self.reason, REASONS["type_not_allowed"])) % limits


def category(mime: str) -> str:
    """ "image" or "document" for an accepted type (photos may come as either)."""
    if mime in IMAGE_TYPES:
        return "image"
    if mime in DOCUMENT_TYPES:
        return "document"
    raise FileRefused("type_not_allowed")


def limit(kind: str) -> int:
    """The size limit of a category, in bytes."""
    return settings.WHATSAPP_MEDIA_MAX_BYTES["image" if kind == "image" else "document"]


def sniff(content: bytes) -> str | None:
    """The type of ``content`` from its first bytes (None when it is none of the accepted)."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def check_image(content: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise FileRefused("image_too_big")
                image.verify()
        except FileRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise FileRefused("image_too_big") from None
        except Exception:  # noqa: BLE001 - any decoder error means "not a usable photo"
            raise FileRefused("image_invalid") from None


def check_pdf(content: bytes) -> None:
    """A PDF starts with its header and ends with its end-of-file marker (a PDF cut short by a
    broken upload or scan lacks the end)."""
    if not content.startswith(b"%PDF-") or b"%%EOF" not in content[-2048:]:
        raise FileRefused("pdf_invalid")


def check_content(content: bytes, mime: str) -> str:
    """Check ``content`` of type ``mime`` (size, then decode); its file extension."""
    kind = category(mime)
    if len(content) > limit(kind):
        raise FileRefused("too_large")
    if kind == "image":
        check_image(content)
    else:
        check_pdf(content)
    return IMAGE_TYPES.get(mime) or DOCUMENT_TYPES[mime]


def check_upload(content: bytes) -> tuple[str, str]:
    """An uploaded file: (its type from the content, its extension), or :class:`FileRefused`."""
    if not content:
        raise FileRefused("empty")
    mime = sniff(content)
    if mime is None:
        raise FileRefused("type_not_allowed")
    return mime, check_content(content, mime)
