"""Retention of the requests' files: the attachments of closed requests go after the office's
policy (``offices.RetentionPolicy.attachment_months``); the request, its history and its checklist
verdicts stay. Called by ``bot.retention``, which runs the whole policy."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.db.models import Min

from layan.cases.models import TERMINAL, Attachment
from layan.offices.models import Office
from layan.offices.retention import Purged, delete_with_files, in_batches, would_purge

logger = logging.getLogger(__name__)


def expired_attachments(office: Office, before: datetime):
    """Attachments of the office's requests that were closed before ``before``."""
    return Attachment.objects.filter(
        case__office=office, case__status__in=TERMINAL, case__closed_at__lt=before
    )


def purge_attachments(
    office: Office,
    before: datetime,
    *,
    dry_run: bool = False,
    file_in_use: Callable[[str], bool] | None = None,
) -> Purged:
    """Delete the attachments of requests closed before ``before``: the file from storage
    (``FieldFile.delete``: the file system or S3), then the row. A file another kept row still
    names (another attachment, or what ``file_in_use`` answers for, e.g. a WhatsApp media row
    of the same stored file) stays in storage."""
    pending = expired_attachments(office, before)
    if dry_run:
        purged = would_purge(pending, files=pending.exclude(file=""))
    else:

        def shared(attachment: Attachment, name: str) -> bool:
            return Attachment.objects.filter(file=name).exclude(pk=attachment.pk).exists() or (
                file_in_use is not None and file_in_use(name)
            )

        def handle(ids: list[int]) -> int:
            return delete_with_files(Attachment, ids, shared=shared)

        purged = in_batches(pending, handle)
    kept = Attachment.objects.filter(case__office=office).exclude(pk__in=pending.values("pk"))
    purged.oldest_kept = kept.aggregate(at=Min("uploaded_at"))["at"]
    if purged.removed and not dry_run:
        logger.info("retention %s: %s attachments removed", office.code, purged.removed)
    return purged
