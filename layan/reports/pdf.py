"""The reports as A4 PDFs (WeasyPrint) with the office's letterhead, in Indonesian like every
paper the office prints:

- the monthly "Laporan": the rekap, the SLA per step with its chart, the complaints and the IKM of
  the period, with the head of office's signature block;
  :func:`layan.documents.services.sign_office_pdf` signs it (PAdES);
- each report alone (rekap, SLA, complaints, IKM, backlog) for a period and a service, with all
  its tables and charts.

Both are made of the same section templates (``reports/pdf/_<kind>.html``) and the same figures
and charts as the console page (:mod:`layan.reports.sections`).
"""

from __future__ import annotations

from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone, translation

from layan.documents.rendering import letterhead, long_date
from layan.offices.models import Office
from layan.reports import sections, selectors

LANGUAGE = "id"  # the office's papers are in Indonesian, whoever prints them

TITLES = {
    "rekap": "Rekap Penerbitan Dokumen",
    "sla": "Waktu Pelayanan per Langkah dibanding Mutu Baku",
    "complaints": "Laporan Hasil Pengaduan",
    "ikm": "Indeks Kepuasan Masyarakat",
    "backlog": "Permohonan Berjalan",
}
LAPORAN_STEPS = 25  # the Laporan lists the slowest steps only; the SLA report lists them all


def _moment(value: datetime, office: Office) -> str:
    local = value.astimezone(office.tz)
    return f"{long_date(local.date())} pukul {local:%H.%M}"


def _common(office: Office, period: selectors.Period, now: datetime) -> dict:
    return {
        **letterhead(office),
        "period": period,
        "period_text": f"{long_date(period.start)} – {long_date(period.end)}",
        "today": long_date(now.astimezone(office.tz).date()),
    }


def laporan_html(office: Office, period: selectors.Period, *, signer=None) -> str:
    now = timezone.now()
    with translation.override(LANGUAGE):
        context = _common(office, period, now)
        for kind in ("rekap", "sla", "complaints", "ikm"):
            context.update(sections.context(kind, office, period, "", now))
        context["sla_lines"] = context["sla_lines"][:LAPORAN_STEPS]
        return render_to_string(
            "reports/laporan.html",
            {**context, "signer": signer, "place": office.short_name or office.name},
        )


def laporan_pdf(office: Office, period: selectors.Period, *, signer=None) -> bytes:
    return _pdf(laporan_html(office, period, signer=signer))


def report_html(
    kind: str, office: Office, period: selectors.Period, service: str = "", *, now=None
) -> str:
    """Report ``kind`` alone: letterhead, title, period and service, every table and chart."""
    if kind not in sections.KINDS:
        raise ValueError(f"unknown report {kind!r}")
    now = now or timezone.now()
    with translation.override(LANGUAGE):
        context = _common(office, period, now)
        context.update(sections.context(kind, office, period, service, now, every_line=True))
        name = ""
        if service:
            name = office.services.filter(code=service).values_list("name", flat=True).first()
            name = name or service
        if kind == "complaints":
            service_text = "semua layanan pengaduan"
        else:
            service_text = name or "semua layanan"
        if kind == "backlog":
            days = context["backlog"].trend_period
            context["backlog_at_text"] = _moment(now, office)
            context["backlog_trend_text"] = f"{long_date(days.start)} – {long_date(days.end)}"
        return render_to_string(
            "reports/report.html",
            {
                **context,
                "title": TITLES[kind],
                "section": f"reports/pdf/_{kind}.html",
                "detailed": True,
                "service_name": name if kind in sections.FILTERED else "",
                "service_text": service_text,
            },
        )


def report_pdf(kind: str, office: Office, period: selectors.Period, service: str = "") -> bytes:
    return _pdf(report_html(kind, office, period, service))


def _pdf(html: str) -> bytes:
    import weasyprint  # heavy; loaded when a PDF is made, not with the URLs

    return weasyprint.HTML(string=html).write_pdf()
