"""Each service's SOP as the seed-format table and as a swimlane chart (printable)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render

from layan.console.desk import staff_view
from layan.sop.document import sheet, swimlane_svg


def _service(request, code: str):
    service = request.desk.office.services.filter(code=code).select_related("sop").first()
    version = service.sop.versions.order_by("-number").first() if service else None
    if version is None:
        raise Http404
    return service, version


@staff_view
def sop_list(request):
    services = request.desk.office.services.select_related("sop").order_by("position", "code")
    return render(request, "console/sop_list.html", {"services": services})


@staff_view
def sop_detail(request, code: str):
    service, version = _service(request, code)
    definition = version.parsed
    context = {
        "service": service,
        "version": version,
        "sheet": sheet(definition),
        "chart": swimlane_svg(definition),
    }
    return render(request, "console/sop_detail.html", context)


@staff_view
def sop_chart(request, code: str):
    _service_row, version = _service(request, code)
    response = HttpResponse(swimlane_svg(version.parsed), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="sop-{code}.svg"'
    return response
