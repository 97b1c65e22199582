"""Each service's SOP as the seeds print it (the identity page, the flow table with its flowchart,
the seed-format table and the swimlane chart), on the page and as an A4 PDF."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render

from layan.console.desk import staff_view
from layan.documents.views import pdf_response
from layan.sop import editing
from layan.sop.document import swimlane_svg
from layan.sop.models import DraftState, SopDraft
from layan.sop.printing import printable, sop_pdf


def _service(request, code: str):
    service = request.desk.office.services.filter(code=code).select_related("sop").first()
    version = service.sop.current_version if service else None
    if version is None:
        raise Http404
    return service, version


@staff_view
def sop_list(request):
    office = request.desk.office
    services = office.services.select_related("sop").order_by("position", "code")
    flows = list(office.sops.order_by("code"))
    drafts = {d.sop_id: d for d in SopDraft.objects.filter(sop__office=office)}
    rows = [
        {
            "sop": sop,
            "draft": drafts.get(sop.pk),
            "submitted": drafts.get(sop.pk) is not None
            and drafts[sop.pk].state == DraftState.SUBMITTED,
        }
        for sop in flows
    ]
    context = {
        "services": services,
        "flows": rows,
        "can_edit": editing.can_edit(request.user, office),
        "can_approve": editing.can_approve(request.user, office),
    }
    return render(request, "console/sop_list.html", context)


@staff_view
def sop_detail(request, code: str):
    service, version = _service(request, code)
    context = {
        "service": service,
        "version": version,
        **printable(version.parsed),
        "can_edit": editing.can_edit(request.user, request.desk.office),
    }
    return render(request, "console/sop_detail.html", context)


@staff_view
def sop_print(request, code: str):
    """The SOP a new request of the service follows, as an A4 PDF."""
    service, version = _service(request, code)
    data = sop_pdf(version.parsed, office=request.desk.office, version=version)
    return pdf_response(
        data, f"sop-{request.desk.office.code}-{service.code}-v{version.number}.pdf"
    )


@staff_view
def sop_chart(request, code: str):
    _service_row, version = _service(request, code)
    response = HttpResponse(swimlane_svg(version.parsed), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="sop-{code}.svg"'
    return response
