"""Documents on a request's page: draft and receipt PDFs, signing, the card serial, the
hand-over, revocation; and the office's register books with their PDF and Excel exports.

The passphrase is read from the form and handed to the signing service only: it is not put in
a message, a log line or the session.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from layan.cases.models import CaseAccess
from layan.cases.services import record_access
from layan.console.desk import staff_view
from layan.console.views.cases import _case, _version
from layan.console.views.common import back_to_case, run
from layan.core.errors import LayanError
from layan.core.http import client_address
from layan.documents import exports, selectors
from layan.documents import services as documents
from layan.documents.models import Document
from layan.documents.rendering import render_pdf
from layan.documents.views import pdf_response


@staff_view
def draft(request, code: str):
    """The service's document with its DRAF watermark, as the data stands now."""
    case = _case(request, code)
    try:
        data = render_pdf(case)
    except LayanError as exc:
        messages.error(request, str(exc))
        return back_to_case(case.code, "documents")
    record_access(case, user=request.user, kind=CaseAccess.Kind.FILE, detail="draft",
                  ip=client_address(request))  # fmt: skip
    return pdf_response(data, f"draf-{case.code}.pdf")


@staff_view
def receipt(request, code: str):
    case = _case(request, code)
    return pdf_response(render_pdf(case, "tanda-terima"), f"tanda-terima-{case.code}.pdf")


@staff_view
def issued(request, code: str, public_id: str):
    case = _case(request, code)
    document = Document.objects.filter(case=case, public_id=public_id).first()
    if document is None:
        raise Http404(_("Document not found."))
    record_access(case, user=request.user, kind=CaseAccess.Kind.FILE,
                  detail=f"document {document.number}", ip=client_address(request))  # fmt: skip
    try:
        with document.file.open("rb") as handle:
            return pdf_response(handle.read(), f"{document.number}.pdf")
    except FileNotFoundError:
        raise Http404(_("The file is missing from storage.")) from None


@sensitive_post_parameters("passphrase")
@require_POST
@staff_view
def sign(request, code: str):
    case = _case(request, code)
    run(
        request,
        documents.sign_document,
        case,
        user=request.user,
        passphrase=request.POST.get("passphrase", ""),
        expected_version=_version(request),
        success=_("The document is signed and the request went forward."),
    )
    return back_to_case(case.code, "documents")


@require_POST
@staff_view
def record_print(request, code: str):
    case = _case(request, code)
    run(
        request, documents.record_print, case, user=request.user,
        serial=request.POST.get("serial", ""), expected_version=_version(request),
        success=_("Card serial recorded."),
    )  # fmt: skip
    return back_to_case(case.code, "documents")


@require_POST
@staff_view
def record_handover(request, code: str):
    case = _case(request, code)
    run(
        request,
        documents.record_handover,
        case,
        user=request.user,
        received_by=request.POST.get("received_by", ""),
        relation=request.POST.get("relation", ""),
        collected=request.POST.getlist("collected"),
        note=request.POST.get("note", ""),
        expected_version=_version(request),
        success=_("Hand-over recorded in the register book."),
    )
    return back_to_case(case.code, "documents")


@require_POST
@staff_view
def revoke(request, code: str, public_id: str):
    case = _case(request, code)
    if not documents.can_revoke(request.user, case.office):  # the service checks it too
        raise Http404(_("Document not found."))
    document = Document.objects.filter(case=case, public_id=public_id).first()
    if document is None:
        raise Http404(_("Document not found."))
    run(request, documents.revoke, document, user=request.user,
        reason=request.POST.get("reason", ""), success=_("The document is revoked."))  # fmt: skip
    return back_to_case(case.code, "documents")


def _book(request):
    office = request.desk.office
    services = list(office.services.filter(is_complaint=False).order_by("position"))
    code = request.GET.get("service") or (services[0].code if services else "")
    service = next((s for s in services if s.code == code), None)
    try:
        year = int(request.GET.get("year") or date.today().year)
    except ValueError:
        year = date.today().year
    entries = list(selectors.register_book(office, service, year)) if service else []
    return office, services, service, year, entries


@staff_view
def register(request):
    office, services, service, year, entries = _book(request)
    years = sorted({*selectors.register_years(office), date.today().year}, reverse=True)
    return render(
        request,
        "console/register.html",
        {
            "services": services,
            "service": service,
            "year": year,
            "years": years,
            "entries": entries,
        },  # fmt: skip
    )


@staff_view
def register_export(request, fmt: str):
    office, _services, service, year, entries = _book(request)
    if service is None:
        raise Http404(_("Service not found."))
    name = f"register-{office.code}-{service.code}-{year}"
    if fmt == "xlsx":
        response = HttpResponse(
            exports.register_xlsx(office, service, year, entries),
            content_type=exports.XLSX,
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    if fmt == "pdf":
        return pdf_response(exports.register_pdf(office, service, year, entries), f"{name}.pdf")
    raise Http404(_("Unknown format."))
