"""The office's reports: the issuance summary (rekap), the SLA per step against Mutu Baku, the
backlog, the complaints and the satisfaction index (IKM), for a period in the office's time zone,
each with its charts and its downloads (Excel, CSV, PDF). Who may read them is the
reports' own rule (:func:`layan.reports.services.check_reader`), the same for the API."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date

from layan.console.desk import staff_view
from layan.core.errors import Forbidden, LayanError
from layan.documents.services import sign_office_pdf, signing_key_for
from layan.reports import exports, pdf, sections, selectors
from layan.reports.services import can_read, check_reader


def period_from(request, office) -> tuple[str, date, selectors.Period]:
    return period_from_values(request.GET, office)


def period_from_values(values, office) -> tuple[str, date, selectors.Period]:
    """The period the form asks for (a month by default, the one holding today)."""
    kind = values.get("period") or "month"
    if kind not in selectors.PERIODS:
        kind = "month"
    day = parse_date(values.get("day") or "") or timezone.localdate(timezone=office.tz)
    return kind, day, selectors.period_of(kind, day)


def _reader_desk(request):
    """The officer's desk, if they read its office's reports (403 otherwise)."""
    try:
        check_reader(request.user, request.desk.office)
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from exc
    return request.desk


@staff_view
def overview(request):
    desk = _reader_desk(request)
    kind, day, period = period_from(request, desk.office)
    services = list(desk.office.services.order_by("position", "code"))
    service = request.GET.get("service") or ""
    if service not in {s.code for s in services}:
        service = ""
    readable = [o for o in desk.offices if can_read(request.user, o)]
    comparison = selectors.compare_offices(readable, period) if len(readable) > 1 else []
    return render(
        request,
        "console/reports.html",
        {
            **sections.everything(desk.office, period, service, timezone.now()),
            "periods": selectors.PERIODS,
            "kind": kind,
            "day": day,
            "period": period,
            "services": services,
            "service": service,
            "has_complaints": any(s.is_complaint for s in services),
            "comparison": comparison,
            "can_sign": signing_key_for(desk.office, request.user) is not None,
            "query": urlencode({"period": kind, "day": day.isoformat(), "service": service}),
            "elements": range(1, 10),
        },
    )


@staff_view
def export(request, kind: str, fmt: str):
    """One report as Excel, CSV or PDF, for the same period and service as the page."""

    desk = _reader_desk(request)
    if kind not in exports.KINDS or fmt not in exports.FORMATS:
        raise Http404
    _kind, _day, period = period_from(request, desk.office)
    service = request.GET.get("service") or ""
    if service and not desk.office.services.filter(code=service).exists():
        service = ""
    body, media, name = exports.download(kind, desk.office, period, service, fmt)
    response = HttpResponse(body, content_type=media)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_view
def laporan(request):
    """The period's Laporan as a PDF; posted with the signing passphrase, signed (PAdES) by the
    officer's key (the head of office), the stamp's QR leading to the office's home page."""
    desk = _reader_desk(request)
    source = request.POST if request.method == "POST" else request.GET
    _kind, _day, period = period_from_values(source, desk.office)
    name = f"laporan-{desk.office.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.pdf"
    if request.method != "POST":
        body = pdf.laporan_pdf(desk.office, period)
    else:
        key = signing_key_for(desk.office, request.user)
        signer = {"name": key.name, "title": key.title, "nip": key.nip} if key else None
        try:
            body = sign_office_pdf(
                desk.office,
                user=request.user,
                passphrase=request.POST.get("passphrase", ""),
                pdf=pdf.laporan_pdf(desk.office, period, signer=signer),
                url=request.build_absolute_uri(reverse("home")),
            )
        except LayanError as exc:
            messages.error(request, str(exc))
            query = urlencode({"period": _kind, "day": _day.isoformat()})
            return redirect(f"{reverse('console:reports')}?{query}")
        name = name.replace(".pdf", "-ttd.pdf")
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
