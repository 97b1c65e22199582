"""Read queries of the documents app: what a step still needs, the register book, a document."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from layan.documents.kinds import kind_of
from layan.documents.models import Document, Handover, RegisterEntry


def active_document(case) -> Document | None:
    return (
        Document.objects.filter(case=case, status=Document.Status.ACTIVE)
        .exclude(signed_at=None)
        .order_by("-issued_at")
        .first()
    )


def handover_of(case) -> Handover | None:
    return Handover.objects.filter(case=case).first()


def step_work_missing(case, step) -> tuple[str, str] | None:
    """(code, message) of the document work a step still needs before it may go forward."""
    if step.document == "sign":
        if active_document(case) is None:
            return "document_unsigned", _(
                "The document is not signed yet: the head of office signs it with the passphrase."
            )
    elif step.document == "print":
        if kind_of(case.service).card:
            handover = handover_of(case)
            if handover is None or not handover.card_serial:
                return "card_serial_missing", _("Record the serial number of the printed card.")
    elif step.document == "handover" and case.service.delivery != "pdf":
        handover = handover_of(case)
        if handover is None or handover.handed_at is None:
            return "handover_missing", _(
                "Record who received the document and what was collected first."
            )
    return None


def register_book(office, service, year: int) -> QuerySet[RegisterEntry]:
    return (
        RegisterEntry.objects.filter(office=office, service=service, year=year)
        .select_related("case", "document")
        .order_by("number")
    )


def register_years(office) -> list[int]:
    years = RegisterEntry.objects.filter(office=office).values_list("year", flat=True)
    return sorted(set(years), reverse=True)


def by_public_id(public_id: str) -> Document | None:
    return (
        Document.objects.select_related("office", "superseded_by")
        .filter(public_id=public_id.lower()[:32])
        .first()
    )
