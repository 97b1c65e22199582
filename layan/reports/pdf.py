"""The monthly "Laporan" as a PDF (WeasyPrint, A4, the office's letterhead): the rekap, the SLA
per step with its chart, the complaints and the IKM of the period, with the head of office's
signature block; :func:`layan.documents.services.sign_office_pdf` signs it (PAdES)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from layan.documents.rendering import letterhead, long_date
from layan.offices.models import Office
from layan.reports import charts, selectors


def laporan_html(office: Office, period: selectors.Period, *, signer=None) -> str:
    sla = selectors.sla_report(office, period)
    ikm_rows, ikm_total = selectors.ikm_report(office, period)
    has_complaints = office.services.filter(is_complaint=True).exists()
    return render_to_string(
        "reports/laporan.html",
        {
            **letterhead(office),
            "period": period,
            "period_text": f"{long_date(period.start)} – {long_date(period.end)}",
            "rekap": selectors.rekap(office, period),
            "sla": sla,
            "chart": charts.sla_chart(sla.steps),
            "complaints": selectors.complaints_report(office, period) if has_complaints else None,
            "ikm_rows": ikm_rows,
            "ikm_total": ikm_total,
            "signer": signer,
            "place": office.short_name or office.name,
            "today": long_date(timezone.localdate(timezone=office.tz)),
        },
    )


def laporan_pdf(office: Office, period: selectors.Period, *, signer=None) -> bytes:
    import weasyprint  # heavy; loaded when a PDF is made, not with the URLs

    return weasyprint.HTML(string=laporan_html(office, period, signer=signer)).write_pdf()
