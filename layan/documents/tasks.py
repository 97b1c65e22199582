"""Background work of the documents app (run by ``layan worker`` or inline in tests)."""

import logging

from django_tasks import task

from layan.cases.services import flag_case
from layan.documents.models import Document
from layan.documents.services import DELIVERY_FAILED, deliver

logger = logging.getLogger(__name__)


@task()
def deliver_document(document_id: int) -> int:
    """Queue the signed PDF for the applicant (outbox); a failure flags the request for staff."""
    try:
        return len(deliver(document_id))
    except Exception as exc:
        logger.exception("delivery of document %s failed", document_id)
        case_id = Document.objects.filter(pk=document_id).values_list("case_id", flat=True).first()
        if case_id:
            flag_case(case_id, DELIVERY_FAILED, f"{exc.__class__.__name__}: {exc}"[:300])
        raise
