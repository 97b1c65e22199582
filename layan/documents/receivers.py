"""How the documents app follows what happens to a request and its documents.

- **The register book** (part of the transaction, by design): a request is entered with its
  running number in the same transaction as its hand-over or, for what is not handed over, its
  completion; if the entry fails, so does the change.
- **Delivery of the signed PDF** (after the commit): a signed document of a service delivered as
  a PDF is queued for the resident's WhatsApp by a background task; a delivery that cannot even
  be queued flags the request (the signature stands).

Connected in :meth:`layan.documents.apps.DocumentsConfig.ready`.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver

from layan.cases import events as case_events
from layan.cases.services import flag_case
from layan.core.events import after_commit
from layan.documents import events, services, tasks

logger = logging.getLogger(__name__)


@receiver(case_events.request_completed, dispatch_uid="documents-register-completed")
def enter_completed(sender, case, event, **kwargs) -> None:
    services.enter_register(case, now=event.at)


@receiver(events.handover_recorded, dispatch_uid="documents-register-handover")
def enter_handed_over(sender, case, event, **kwargs) -> None:
    services.enter_register(case, now=event.at)


@receiver(events.document_issued, dispatch_uid="documents-deliver")
@after_commit
def deliver_signed_pdf(sender, document, case, **kwargs) -> None:
    if case.service.delivery != "pdf":
        return
    try:
        tasks.deliver_document.enqueue(document.pk)
    except Exception:  # the signature stands; staff see the flag and the log
        logger.exception("could not enqueue the delivery of document %s", document.pk)
        flag_case(case.pk, services.DELIVERY_FAILED, "delivery could not be queued")
