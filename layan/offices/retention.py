"""An office's retention policy as dates, and the log of what each run removed.

The deleting is done by the apps that own the data, each through its own ``purge_*`` service
(``cases.retention``, ``whatsapp.retention``, ``bot.retention``); ``bot.retention`` runs the
policy and records each kind's result here.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import QuerySet

from layan.offices.models import Office, RetentionPolicy, RetentionRun


@dataclass(frozen=True)
class Cutoffs:
    """What is older than these goes."""

    attachments: datetime  # requests closed before
    messages: datetime  # messages and media sent before
    state: datetime  # conversations last active before


@dataclass
class Purged:
    """What a purge removed (or, in a dry run, would remove)."""

    removed: int = 0
    files: int = 0
    oldest_kept: datetime | None = None
    finished: bool = True


def policy_for(office: Office) -> RetentionPolicy:
    """The office's policy (an unsaved one with the defaults when it has none)."""
    policy = RetentionPolicy.objects.filter(office=office).first()
    return policy or RetentionPolicy(office=office)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day when the
    day does not exist, e.g. 31 March → 28/29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def cutoffs(policy: RetentionPolicy, now: datetime) -> Cutoffs:
    return Cutoffs(
        attachments=months_before(now, policy.attachment_months),
        messages=months_before(now, policy.message_months),
        state=now - timedelta(days=policy.state_days),
    )


def batch_size() -> int:
    """Rows removed per transaction."""
    return max(1, int(getattr(settings, "LAYAN_RETENTION_BATCH", 500)))


def max_rows() -> int:
    """Rows of one kind removed per office and run at most; the next run goes on."""
    return max(1, int(getattr(settings, "LAYAN_RETENTION_MAX_ROWS", 20000)))


def record(
    office: Office, kind: str, *, cutoff: datetime, purged: Purged, now: datetime
) -> RetentionRun:
    return RetentionRun.objects.create(
        office=office,
        kind=kind,
        ran_at=now,
        cutoff=cutoff,
        removed=purged.removed,
        files=purged.files,
        oldest_kept=purged.oldest_kept,
        finished=purged.finished,
    )


def in_batches(pending: QuerySet, handle: Callable[[list[int]], int]) -> Purged:
    """Hand the primary keys of ``pending`` to ``handle`` a batch at a time (each batch its own
    transaction, in ``handle``), up to :func:`max_rows`; ``handle`` removes them from ``pending``
    and answers how many files it deleted from storage."""
    size, limit = batch_size(), max_rows()
    purged = Purged()
    while purged.removed < limit:
        ids = list(
            pending.order_by("pk").values_list("pk", flat=True)[: min(size, limit - purged.removed)]
        )
        if not ids:
            return purged
        purged.files += handle(ids)
        purged.removed += len(ids)
    purged.finished = not pending.exists()
    return purged


def delete_with_files(
    model: type[models.Model], ids: list[int], *, shared: Callable[[models.Model, str], bool]
) -> int:
    """Delete the rows ``ids`` of ``model`` (which has a ``file`` field), each row's file from
    storage first (``FieldFile.delete``: the file system or S3) unless ``shared(row, name)`` says
    a kept row still names it. Answers how many files were deleted (for :func:`in_batches`)."""
    deleted = 0
    for row in model.objects.filter(pk__in=ids).order_by("pk"):
        name = row.file.name
        if name and not shared(row, name):
            # The file first: a row whose file is gone is found again by the next run,
            # a file whose row is gone would be found by nobody.
            row.file.delete(save=False)
            deleted += 1
        with transaction.atomic():
            model.objects.filter(pk=row.pk).delete()
    return deleted


def would_purge(pending: QuerySet, *, files: QuerySet | None = None) -> Purged:
    """A dry run: how many rows (and files) would go, nothing changed."""
    return Purged(removed=pending.count(), files=files.count() if files is not None else 0)
