"""The register book as PDF (WeasyPrint) and Excel (openpyxl)."""

from __future__ import annotations

import io

from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from layan.documents.rendering import government_of, long_date

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"  # an Excel workbook

HEADERS = (
    "No. Register",
    "Tanggal",
    "Kode Permohonan",
    "Nama Pemohon",
    "NIK",
    "Dokumen",
    "Nomor Dokumen",
    "Penyerahan",
    "No. Seri Blangko",
    "Diterima oleh",
)


def _row(entry) -> list:
    return [
        entry.number,
        entry.entered_at.date(),
        entry.case.code,
        entry.applicant_name,
        entry.applicant_nik,
        entry.output,
        entry.document.number if entry.document else "",
        entry.delivery,
        entry.card_serial,
        entry.received_by,
    ]


def register_xlsx(office, service, year: int, entries) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = f"Register {year}"[:31]
    sheet.append([f"BUKU REGISTER {service.output.upper()} TAHUN {year}"])
    sheet.append([office.name])
    sheet.append([])
    sheet.append(list(HEADERS))
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for entry in entries:
        sheet.append(_row(entry))
    for index, width in enumerate((12, 12, 16, 28, 18, 26, 24, 12, 16, 24), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for cell in sheet["B"][4:]:
        cell.number_format = "DD-MM-YYYY"
    sheet.freeze_panes = "A5"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def register_pdf(office, service, year: int, entries) -> bytes:
    import weasyprint

    html = render_to_string(
        "documents/register.html",
        {
            "office": office,
            "service": service,
            "year": year,
            "government": government_of(office),
            "headers": HEADERS,
            "rows": [
                [*_row(entry)[:1], long_date(entry.entered_at), *_row(entry)[2:]]
                for entry in entries
            ],
        },
    )
    return weasyprint.HTML(string=html).write_pdf()
