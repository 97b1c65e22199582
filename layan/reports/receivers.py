"""The reports listen to the engine and the documents:

- every change to a request (``request_changed``) that moved it from a step rebuilds its step
  passages, in a savepoint of its own (a failure is logged, never blocks the officer's action;
  ``layan reports backfill`` repairs), and marks the days already rolled up that the request is
  counted on as stale, as part of the change (so a report never reads a rollup that the change
  made wrong);
- a document superseded or revoked marks the day it was issued as stale.
"""

from __future__ import annotations

from django.dispatch import receiver
from django.utils import timezone

from layan.cases import events as case_events
from layan.cases.models import EventKind
from layan.core.events import isolated
from layan.documents import events as document_events
from layan.documents.models import Document
from layan.reports.services import mark_document_days, mark_request_days, record_passages


@receiver(case_events.request_changed, dispatch_uid="reports-passages")
@isolated
def rebuild_passages(sender, case, actor, events, **kwargs) -> None:
    if any(e.from_step and e.to_step != e.from_step for e in events):
        record_passages(case, now=events[-1].at)


# History lines that never change what a request is counted under in the rollups (its outcome,
# data, category, escalation): bookkeeping and the work recorded at a step.
UNCOUNTED = {
    EventKind.FLAG, EventKind.ALERT, EventKind.CLAIM, EventKind.RELEASE, EventKind.CHECK,
    EventKind.ATTACH, EventKind.CONSENT, EventKind.VISIT, EventKind.DOCUMENT, EventKind.REGISTRY,
}  # fmt: skip


@receiver(case_events.request_changed, dispatch_uid="reports-stale-request")
def request_days_are_stale(sender, case, actor, events, **kwargs) -> None:
    if any(e.kind not in UNCOUNTED for e in events):
        mark_request_days(case, events[-1].at)


@receiver(document_events.document_issued, dispatch_uid="reports-stale-superseded")
def superseded_days_are_stale(sender, document, case, event, **kwargs) -> None:
    superseded = Document.objects.filter(superseded_by=document).select_related("office")
    mark_document_days(superseded, event.at)


@receiver(document_events.document_revoked, dispatch_uid="reports-stale-revoked")
def revoked_day_is_stale(sender, document, user, **kwargs) -> None:
    mark_document_days([document], document.revoked_at or timezone.now())
