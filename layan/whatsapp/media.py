"""Media sent by residents: downloaded at once (Meta's media ids expire), checked, stored.

The checks are the ones every file of a request goes through (:mod:`layan.cases.files`); each
refusal has a reason code, which the bot turns into an Indonesian reply that says what to send
instead.
"""

from __future__ import annotations

import base64
import hashlib
import uuid

from django.core.files.base import ContentFile
from django.utils import timezone

from layan.cases import files
from layan.cases.files import FileRefused
from layan.whatsapp.graph import GraphClient, GraphError, MediaTooLarge
from layan.whatsapp.models import InboundMessage, MediaFile
from layan.whatsapp.parsing import MediaRef


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
            files.category(declared)
        try:
            info = client.media_info(ref.id)
            mime = (info.get("mime_type") or declared).split(";")[0].strip().lower()
            limit = files.limit(files.category(mime))
            size = int(info.get("file_size") or 0)
            if size > limit:
                raise FileRefused("too_large")
            content = client.download(info["url"], max_bytes=limit)
        except MediaTooLarge:
            raise FileRefused("too_large") from None
        except GraphError as error:
            if error.retryable:
                raise
            raise FileRefused("download_failed") from None
        if not _sha_matches(info.get("sha256") or ref.sha256, content):
            raise FileRefused("checksum_mismatch")
        ext = files.check_content(content, mime)
        row.status = MediaFile.Status.ACCEPTED
        row.mime_type = mime
        row.size = len(content)
        row.sha256 = hashlib.sha256(content).hexdigest()
        name = f"{timezone.now():%Y%m%d}-{uuid.uuid4().hex}.{ext}"
        row.file.save(name, ContentFile(content), save=False)
    except FileRefused as refused:
        row.status = MediaFile.Status.REJECTED
        row.reason = refused.reason
    row.save()
    return row
