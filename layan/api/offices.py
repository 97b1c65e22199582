"""Offices, their services and SOPs (public: a published SOP is a public document), and an
office's register books (staff of the office only)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from layan.api import schemas as s
from layan.api import serialize
from layan.api.base import ERRORS, PDF, PUBLIC_ERRORS, XLSX, file_answer, staff
from layan.cases import selectors
from layan.cases.models import Visit
from layan.core.errors import Invalid, NotFound
from layan.documents import exports
from layan.documents import selectors as doc_selectors
from layan.documents.views import pdf_response
from layan.offices.models import Channel, Office, Service

router = Router(tags=["offices"])

SERVICES = (
    Service.objects.filter(is_active=True).select_related("sop").prefetch_related("requirements")
)


@router.get("/offices", response={200: list[s.OfficeOut], **PUBLIC_ERRORS})
def list_offices(request):
    """Active offices with their services (requirements, questions, data-entry fields) and
    WhatsApp numbers."""
    offices = Office.objects.filter(is_active=True).prefetch_related(
        Prefetch("services", queryset=SERVICES),
        Prefetch(
            "channels",
            queryset=Channel.objects.filter(is_active=True).prefetch_related("services"),
        ),
    )
    return [
        {
            "code": o.code,
            "name": o.name,
            "short_name": o.short_name,
            "region_code": o.region_code,
            "timezone": o.timezone,
            "hours": o.hours,
            "services": [serialize.service_out(svc) for svc in o.services.all()],
            "channels": [
                {
                    "phone": c.phone,
                    "phone_number_id": c.phone_number_id,
                    "label": c.label,
                    "services": [svc.code for svc in c.services.all()],
                }
                for c in o.channels.all()
            ],
        }
        for o in offices
    ]


def _service(office: str, service: str) -> Service:
    found = SERVICES.select_related("office").filter(office__code=office, code=service).first()
    if found is None:
        raise NotFound(_("Service not found."), "service_not_found")
    return found


@router.get("/offices/{office}/services/{service}", response={200: s.ServiceOut, **PUBLIC_ERRORS})
def get_service(request, office: str, service: str):
    """One service: its requirements, questions and the data-entry fields its SOP's data-entry
    step asks for."""
    return serialize.service_out(_service(office, service))


@router.get("/offices/{office}/services/{service}/sop", response={200: s.SopOut, **PUBLIC_ERRORS})
def service_sop(request, office: str, service: str):
    """The SOP a new request of this service follows: steps, roles, minutes and totals."""
    svc = _service(office, service)
    version = svc.sop.current_version
    if version is None:
        raise NotFound(_("Service not found."), "service_not_found")
    definition = version.parsed
    return {
        "office": svc.office.code,
        "service": svc.code,
        "code": svc.sop.code,
        "name": definition.name,
        "version": version.number,
        "step_count": version.step_count,
        "total_minutes": version.total_minutes,
        "deadline": definition.deadline,
        "roles": [r.__dict__ for r in definition.roles],
        "steps": [serialize.step_out(definition, st) for st in definition.steps],
        "side_steps": [serialize.step_out(definition, st) for st in definition.side_steps],
    }


@router.get(
    "/offices/{office}/visits",
    response={200: list[s.VisitOut], **ERRORS},
    auth=staff,
    tags=["visits"],
)
def office_visits(request, office: str, week: date | None = None):
    """The office's outreach visits of a week (Monday to Sunday, in the office's time zone):
    the route sheet of every team."""
    office_obj = selectors.offices_of(request.user).filter(code=office).first()
    if office_obj is None:
        raise NotFound(_("Office not found."), "office_not_found")
    tz = office_obj.tz
    day = week or timezone.localtime(timezone.now(), tz).date()
    start = datetime.combine(day - timedelta(days=day.weekday()), time.min, tzinfo=tz)
    visits = Visit.objects.filter(
        office=office_obj, starts_at__gte=start, starts_at__lt=start + timedelta(days=7)
    ).select_related("case")
    return [serialize.visit_out(v) for v in visits.order_by("team", "starts_at")]


class RegisterQuery(Schema):
    service: str
    year: int | None = None
    format: str = "json"


@router.get(
    "/offices/{office}/register",
    response={200: s.RegisterOut, **ERRORS},
    auth=staff,
    url_name="register",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The register book of a service for a year: JSON, or with "
                "format=pdf or xlsx the printable book",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/RegisterOut"}},
                    PDF: file_answer(PDF, "")["responses"]["200"]["content"][PDF],
                    XLSX: file_answer(XLSX, "")["responses"]["200"]["content"][XLSX],
                },
            }
        }
    },
)
def register(request, office: str, query: Query[RegisterQuery]):
    """A service's register book for a year (default: this year), numbered from 1, as the
    console's Register page shows it."""
    office_obj = selectors.offices_of(request.user).filter(code=office).first()
    if office_obj is None:
        raise NotFound(_("Office not found."), "office_not_found")
    service = office_obj.services.filter(code=query.service).first()
    if service is None:
        raise NotFound(_("Service not found."), "service_not_found")
    year = query.year or date.today().year
    if not 2000 <= year <= 2100:
        raise Invalid(_("The year must be between 2000 and 2100."), "year_invalid", field="year")
    entries = list(doc_selectors.register_book(office_obj, service, year))
    name = f"register-{office_obj.code}-{service.code}-{year}"
    if query.format == "pdf":
        return pdf_response(exports.register_pdf(office_obj, service, year, entries), f"{name}.pdf")
    if query.format == "xlsx":
        response = HttpResponse(
            exports.register_xlsx(office_obj, service, year, entries), content_type=XLSX
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    if query.format != "json":
        raise Invalid(_("The format must be json, pdf or xlsx."), "format_invalid", field="format")
    return {
        "office": office_obj.code,
        "service": service.code,
        "year": year,
        "entries": [
            {
                "number": e.number,
                "entered_at": e.entered_at,
                "code": e.case.code,
                "applicant_name": e.applicant_name,
                "applicant_nik": e.applicant_nik,
                "output": e.output,
                "delivery": e.delivery,
                "document_number": e.document.number if e.document else "",
                "card_serial": e.card_serial,
                "received_by": e.received_by,
            }
            for e in entries
        ],
    }
