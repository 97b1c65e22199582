"""Periodic tasks on top of ``django.tasks``, which has no scheduler of its own.

Each worker calls :func:`enqueue_due` every few seconds. A row per task records when it is next
due; the row is locked while it is checked, so with several workers each run is enqueued once.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from layan.core.models import PeriodicSchedule

logger = logging.getLogger(__name__)


def enqueue_due(now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    enqueued = []
    for path, seconds in settings.LAYAN_PERIODIC_SECONDS.items():
        with transaction.atomic():
            PeriodicSchedule.objects.get_or_create(task_path=path, defaults={"next_run_at": now})
            row = PeriodicSchedule.objects.select_for_update().get(task_path=path)
            if row.next_run_at > now:
                continue
            row.next_run_at = now + timedelta(seconds=seconds)
            row.last_enqueued_at = now
            row.save()
        # Enqueued after the commit: with the immediate backend the task runs right here.
        import_string(path).enqueue()
        enqueued.append(path)
    return enqueued


class Scheduler(threading.Thread):
    """A daemon thread that enqueues due periodic tasks until stopped."""

    def __init__(self, interval: float = 5.0):
        super().__init__(name="layan-scheduler", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                enqueue_due()
            except Exception:
                logger.exception("periodic scheduling failed; retrying")
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
