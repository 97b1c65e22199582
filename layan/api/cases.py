"""Requests through the API: everything an officer does on the console's request page.

Every endpoint needs a staff token, finds the request only in the caller's offices (another
office's is 404, so codes cannot be probed), and calls the same service as the console, with
the same role and version checks: 403 without the step's role, 409 when the request changed
since the version sent (or the step cannot do this), 422 for bad input with the field named.
"""

from __future__ import annotations

import mimetypes

from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from layan.api import schemas as s
from layan.api import serialize
from layan.api.base import ERRORS, PDF, file_answer, staff
from layan.bot import intake
from layan.cases import files, selectors, services
from layan.cases.models import CaseAccess, IntakeChannel
from layan.cases.services import Actor
from layan.core.errors import Invalid, NotFound
from layan.core.http import client_address
from layan.documents import services as documents
from layan.documents.models import Document
from layan.documents.rendering import render_pdf
from layan.documents.views import pdf_response
from layan.offices.models import Service

router = Router(tags=["cases"], auth=staff)


def _case(request, code: str):
    return selectors.case_for(request.user, code)


def _detail(request, case) -> dict:
    return serialize.detail(case, request.user)


def _log(request, case, kind: str, detail: str = "") -> None:
    services.record_access(
        case, user=request.user, kind=kind, detail=detail, ip=client_address(request)
    )


class CaseFilters(Schema):
    office: str | None = None
    service: str | None = None
    status: str | None = None
    step: str | None = None
    role: str | None = None
    channel: str | None = None
    mine: bool = False
    overdue: bool | None = None
    q: str | None = None
    limit: int = 50
    offset: int = 0


@router.get("/cases", response={200: s.CaseListOut, **ERRORS})
def list_cases(request, filters: Query[CaseFilters]):
    """Requests of the caller's offices, most urgent first."""
    f = selectors.CaseFilter(
        office=filters.office,
        service=filters.service,
        status=filters.status,
        step=filters.step,
        role=filters.role,
        channel=filters.channel,
        assigned_to_id=request.user.pk if filters.mine else None,
        overdue=filters.overdue,
        query=filters.q,
    )
    qs = f.apply(selectors.visible_cases(request.user)).prefetch_related("flags")
    limit = max(1, min(filters.limit, 200))
    offset = max(0, filters.offset)
    return {
        "count": qs.count(),
        "results": [serialize.summary(c) for c in qs[offset : offset + limit]],
    }


@router.post("/cases", response={201: s.CaseOut, **ERRORS})
def create_case(request, payload: s.CaseIn):
    """Submit a request on someone's behalf (counter, field officer, third-party report, an
    integration). The intake steps are done by the submission; the request waits at the first
    step the office works on. The applicant's WhatsApp number (and ``submitter_phone``, e.g. a
    village officer who prints the PDF) hear its notices; applied for in the field, the
    applicant is asked on WhatsApp to confirm."""
    service = (
        Service.objects.select_related("office", "sop")
        .filter(office__code=payload.office, code=payload.service)
        .first()
    )
    if service is None or not selectors.offices_of(request.user).filter(pk=service.office_id):
        raise NotFound(_("Service not found."), "service_not_found")
    case = intake.take_request(
        service=service,
        user=request.user,
        channel=payload.channel or IntakeChannel.API,
        applicant_name=payload.applicant_name,
        applicant_nik=payload.applicant_nik,
        applicant_phone=payload.applicant_phone,
        answers=payload.form_data,
        intake_place=payload.intake_place,
        deliver_to=payload.submitter_phone,
        submitter_kind=payload.submitter_kind,
        submitter_name=payload.submitter_name or request.user.get_username(),
    )
    return Status(201, _detail(request, case))


@router.get("/cases/{code}", response={200: s.CaseOut, **ERRORS})
def get_case(request, code: str):
    """One request with its checklist, files, data, documents, events, due times and the
    actions the caller may take (the opening is written to the office's access log)."""
    case = _case(request, code)
    _log(request, case, CaseAccess.Kind.API)
    return _detail(request, case)


@router.post("/cases/{code}/actions", response={200: s.CaseOut, **ERRORS})
def act(request, code: str, payload: s.ActionIn):
    """Take an action of the current step: 403 without its role, 409 when stale or not
    possible here, 422 for a missing note, bad data or a step not ready to go forward."""
    case = services.perform_action(
        _case(request, code),
        actor=Actor.staff(request.user),
        action=payload.action,
        note=payload.note,
        data=payload.data,
        expected_version=payload.version,
    )
    return _detail(request, case)


@router.put("/cases/{code}/data", response={200: s.CaseOut, **ERRORS})
def save_data(request, code: str, payload: s.DataIn):
    """Store data-entry fields at the data-entry step without moving on. Every valid value is
    kept; if any is wrong the answer is 422 ``data_invalid`` with ``details.fields`` (field code
    → problem) and the new ``details.version``."""
    case, errors = services.save_form_data(
        _case(request, code),
        actor=Actor.staff(request.user),
        values=payload.values,
        expected_version=payload.version,
    )
    if errors:
        raise Invalid(
            _("Some fields need attention; the rest was saved."),
            "data_invalid",
            fields=errors,
            version=case.version,
        )
    return _detail(request, case)


@router.post("/cases/{code}/checks", response={200: s.CaseOut, **ERRORS})
def check(request, code: str, payload: s.CheckIn):
    """Accept a requirement, or reject it with the reason the applicant will read."""
    case = services.check_requirement(
        _case(request, code),
        actor=Actor.staff(request.user),
        requirement=payload.requirement,
        verdict=payload.verdict,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return _detail(request, case)


@router.post("/cases/{code}/attachments", response={201: s.AttachmentOut, **ERRORS})
def add_attachment(
    request,
    code: str,
    file: File[UploadedFile],
    requirement: Form[str] = "",
):
    """Add a photo or PDF for one of the request's photo or document requirements (multipart:
    ``file``, ``requirement``), checked like WhatsApp media: the type from the content, the size,
    a photo that really opens (422 ``file_…`` otherwise)."""
    case = _case(request, code)
    content = file.read(files.limit("document") + 1)
    attachment = services.add_attachment(
        case,
        actor=Actor.staff(request.user),
        requirement=requirement,
        filename=file.name or "",
        content=content,
    )
    return Status(201, serialize.attachment_out(case, attachment))


@router.get(
    "/cases/{code}/attachments/{pk}",
    response=ERRORS,
    url_name="case_attachment",
    openapi_extra=file_answer("application/octet-stream", "The file (photo or PDF)"),
)
def get_attachment(request, code: str, pk: int):
    """One file of the request (written to the access log)."""
    case = _case(request, code)
    item = case.attachments.filter(pk=pk).first()
    if item is None:
        raise NotFound(_("File not found."), "attachment_not_found")
    _log(request, case, CaseAccess.Kind.FILE, item.original_name or item.file.name)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("The file is missing from storage."), "file_missing") from None
    content_type = item.content_type or mimetypes.guess_type(item.file.name)[0]
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=item.original_name or item.file.name.rsplit("/", 1)[-1],
        content_type=content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@router.post("/cases/{code}/sign", response={200: s.CaseOut, **ERRORS}, tags=["documents"])
def sign(request, code: str, payload: s.SignIn):
    """The head of office signs the request's document at its signing step (PAdES, with the
    key unlocked by the passphrase), and the step goes forward. 422 ``wrong_passphrase`` signs
    nothing. The passphrase is not stored or logged."""
    case = _case(request, code)
    documents.sign_document(
        case, user=request.user, passphrase=payload.passphrase, expected_version=payload.version
    )
    return _detail(request, case)


@router.post("/cases/{code}/print", response={200: s.CaseOut, **ERRORS}, tags=["documents"])
def record_print(request, code: str, payload: s.PrintIn):
    """Record the serial number of the card blank the card was printed on (at the print
    step)."""
    case = _case(request, code)
    documents.record_print(
        case, user=request.user, serial=payload.serial, expected_version=payload.version
    )
    return _detail(request, case)


@router.post("/cases/{code}/handover", response={200: s.CaseOut, **ERRORS}, tags=["documents"])
def record_handover(request, code: str, payload: s.HandoverIn):
    """Record who received the document or card and what the office took back (at the
    hand-over step); the request enters its register book."""
    case = _case(request, code)
    documents.record_handover(
        case,
        user=request.user,
        received_by=payload.received_by,
        relation=payload.relation,
        collected=payload.collected,
        note=payload.note,
        expected_version=payload.version,
    )
    return _detail(request, case)


def _document(case, public_id: str) -> Document:
    document = case.documents.filter(public_id=public_id.lower()).first()
    if document is None:
        raise NotFound(_("Document not found."), "document_not_found")
    return document


@router.get(
    "/cases/{code}/documents/{public_id}",
    response=ERRORS,
    tags=["documents"],
    url_name="case_document",
    openapi_extra=file_answer(PDF, "The signed PDF"),
)
def get_document(request, code: str, public_id: str):
    """An issued document of the request, the signed PDF (written to the access log)."""
    case = _case(request, code)
    document = _document(case, public_id)
    _log(request, case, CaseAccess.Kind.FILE, f"document {document.number}")
    try:
        with document.file.open("rb") as handle:
            return pdf_response(handle.read(), f"{document.number}.pdf", download=True)
    except FileNotFoundError:
        raise NotFound(_("The file is missing from storage."), "file_missing") from None


@router.post(
    "/cases/{code}/documents/{public_id}/revoke",
    response={200: s.DocumentOut, **ERRORS},
    tags=["documents"],
)
def revoke_document(request, code: str, public_id: str, payload: s.RevokeIn):
    """Revoke an active document (a supervisor or the office administrator): the verification
    page then says so, with the reason."""
    case = _case(request, code)
    document = documents.revoke(
        _document(case, public_id), user=request.user, reason=payload.reason
    )
    return serialize.document_out(case, document)


@router.get(
    "/cases/{code}/receipt",
    response=ERRORS,
    tags=["documents"],
    openapi_extra=file_answer(PDF, "The receipt (tanda terima) with the tracking code"),
)
def receipt(request, code: str):
    """The request's receipt (tanda terima): the tracking code and what was received."""
    case = _case(request, code)
    _log(request, case, CaseAccess.Kind.FILE, "receipt")
    return pdf_response(render_pdf(case, "tanda-terima"), f"tanda-terima-{case.code}.pdf")


@router.get("/cases/{code}/visits", response={200: list[s.VisitOut], **ERRORS}, tags=["visits"])
def list_visits(request, code: str):
    """The request's outreach visits (jemput bola), in time order."""
    case = _case(request, code)
    return [serialize.visit_out(v) for v in case.visits.order_by("starts_at")]


@router.post("/cases/{code}/visits", response={201: s.VisitOut, **ERRORS}, tags=["visits"])
def schedule_visit(request, code: str, payload: s.VisitIn):
    """Plan an outreach visit at the request's visit step (the reporter is told, and reminded
    the day before); one planned visit at a time."""
    visit = services.schedule_visit(
        _case(request, code),
        actor=Actor.staff(request.user),
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        place=payload.place,
        team=payload.team,
        bring=payload.bring,
        latitude=payload.latitude,
        longitude=payload.longitude,
        expected_version=payload.version,
    )
    return Status(201, serialize.visit_out(visit))


@router.post(
    "/cases/{code}/visits/{pk}/outcome", response={200: s.VisitOut, **ERRORS}, tags=["visits"]
)
def record_visit(request, code: str, pk: int, payload: s.VisitOutcomeIn):
    """Record what came of a planned visit; only a recording lets the step go forward."""
    visit = services.record_visit(
        _case(request, code),
        pk,
        actor=Actor.staff(request.user),
        outcome=payload.outcome,
        note=payload.note,
        expected_version=payload.version,
    )
    return serialize.visit_out(visit)


@router.post("/cases/{code}/claim", response={200: s.CaseOut, **ERRORS}, tags=["queues"])
def claim_case(request, code: str, version: int | None = None):
    case = services.claim(_case(request, code), user=request.user, expected_version=version)
    return _detail(request, case)


@router.post("/cases/{code}/release", response={200: s.CaseOut, **ERRORS}, tags=["queues"])
def release_case(request, code: str):
    return _detail(request, services.release(_case(request, code), user=request.user))


@router.post("/cases/{code}/documents-received", response={200: s.CaseOut, **ERRORS})
def documents_received(request, code: str, payload: s.NoteIn):
    """Record that the applicant supplied what was asked (e.g. at the counter)."""
    case = services.documents_received(
        _case(request, code),
        actor=Actor.staff(request.user),
        note=payload.note,
        data=payload.data,
    )
    return _detail(request, case)


@router.post(
    "/offices/{office}/queues/{role}/claim-next",
    response={200: s.CaseOut, 204: None, **ERRORS},
    tags=["queues"],
)
def claim_next(request, office: str, role: str):
    """Claim the most urgent unclaimed request waiting for ``role``; 204 when none is waiting."""
    office_obj = selectors.offices_of(request.user).filter(code=office).first()
    if office_obj is None:
        raise NotFound(_("Office not found."), "office_not_found")
    case = services.claim_next(office=office_obj, role=role, user=request.user)
    if case is None:
        return Status(204, None)
    return _detail(request, case)
