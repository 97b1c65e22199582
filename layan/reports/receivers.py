"""The reports listen to the engine: whenever a request leaves a step (it enters another, is
completed or rejected), its passages are rebuilt, in a savepoint of their own (a failure is
logged, never blocks the officer's action; ``layan reports backfill`` repairs)."""

from __future__ import annotations

from django.dispatch import receiver

from layan.cases import events
from layan.core.events import isolated
from layan.reports.services import record_passages


@receiver(events.step_entered, dispatch_uid="reports-passages-step")
@receiver(events.request_completed, dispatch_uid="reports-passages-completed")
@receiver(events.request_rejected, dispatch_uid="reports-passages-rejected")
@isolated
def rebuild_passages(sender, case, event, **kwargs) -> None:
    if event.from_step:  # the request left a step (the submission enters the first one only)
        record_passages(case)
