"""The reports as tables, and those tables as Excel (openpyxl, write-only: long lists stream)
and CSV; or the report as a PDF (:mod:`layan.reports.pdf`). One table definition per report
serves both table formats, the console and the API."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from layan.documents.exports import XLSX
from layan.offices.models import Office
from layan.reports import pdf, sections, selectors

KINDS = sections.KINDS
FORMATS = ("xlsx", "csv", "pdf")
PDF = "application/pdf"


@dataclass
class Table:
    title: str
    header: list[str]
    rows: Iterable[list]


def _share(value: float | None):
    return None if value is None else round(value * 100, 1)


def _minutes(value: float | None):
    return None if value is None else round(value, 1)


def tables(
    kind: str, office: Office, period: selectors.Period, service: str = "", *, now=None
) -> list[Table]:
    """The report ``kind`` of ``office`` for ``period`` as one or more tables (the backlog:
    the open requests at ``now``, and the daily snapshots of the period)."""
    if kind == "rekap":
        report = selectors.rekap(office, period, service=service)
        header = [_("Service"), _("Received"), _("Completed"), _("Rejected"), _("Cancelled"),
                  _("Open"), _("Documents issued"), _("Superseded"), _("Revoked"),
                  _("Cards printed"), _("Handed over"), _("PDFs sent on WhatsApp")]  # fmt: skip
        counts = [[r.name, *[getattr(r, n) for n in selectors.COUNTS]] for r in report.rows]
        total = report.total
        counts.append([_("Total"), *[getattr(total, n) for n in selectors.COUNTS]])
        return [
            Table(_("Rekap"), header, counts),
            Table(_("By channel"), [_("Channel"), _("Requests")],
                  [[label, n] for _c, label, n in report.by_channel]),
            Table(_("By kecamatan"), [_("Code"), _("Kecamatan"), _("Requests")],
                  [[code, name, n] for code, name, n in report.by_district]),
        ]  # fmt: skip
    if kind == "sla":
        report = selectors.sla_report(office, period, service=service)
        header = [_("Service"), _("Step"), _("Role"), _("Passed"), _("Median (min)"),
                  _("p90 (min)"), _("Standard (min)"), _("Within standard") + " %"]  # fmt: skip
        return [
            Table(_("SLA"), header, [
                [f.service_name, f.number, f.role, f.passed, _minutes(f.median), _minutes(f.p90),
                 f.standard, _share(f.within_share)]
                for f in report.steps
            ]),
            Table(_("Per officer"), [_("Officer"), _("Passed"), _("Median (min)"),
                                     _("Within standard") + " %"],
                  [[g.label, g.passed, _minutes(g.median), _share(g.within_share)]
                   for g in report.officers]),
        ]  # fmt: skip
    if kind == "complaints":
        report = selectors.complaints_report(office, period, limit=None)  # every complaint
        header = [_("Code"), _("Received"), _("Category"), _("Status"), _("escalated"),
                  _("Minutes"), _("Answer")]  # fmt: skip
        return [Table(_("Complaints"), header, [
            [c.code, c.received_at.astimezone(office.tz).replace(tzinfo=None), c.category,
             c.status_label, _("yes") if c.escalated else "", _minutes(c.minutes), c.answer]
            for c in report.lines
        ])]  # fmt: skip
    if kind == "ikm":
        rows, total = sections.ikm_report(office, period, service)
        header = [_("Service"), _("Respondents"), _("Minimum sample"),
                  *[f"U{i}" for i in range(1, 10)], "IKM", _("Grade")]  # fmt: skip

        def line(row):
            r = row.result
            nrr = [None if v is None else round(v, 3) for v in r.element_nrr]
            return [row.service_name, r.respondents, row.minimum, *nrr, r.index,
                    f"{r.grade} ({r.words})" if r.answered else ""]  # fmt: skip

        lines = [line(row) for row in rows]
        if not service:
            lines.append(line(total))
        return [Table(_("IKM"), header, lines)]
    if kind == "backlog":
        found = sections.backlog(office, period, now or timezone.now(), service)
        ages = [_("%(ages)s days") % {"ages": label} for label in found.bucket_labels]
        header = [_("Service"), _("Step"), *ages, _("Total")]
        rows = [[r.service_name, r.number, *r.counts, r.total] for r in found.rows]
        if found.rows:
            rows.append([_("Total"), None, *found.bucket_totals, found.total])
        return [
            Table(_("Backlog"), header, rows),
            Table(_("Open at the end of each day"), [_("Day"), _("Open requests")],
                  [[day, total] for day, total in found.trend]),
        ]  # fmt: skip
    raise ValueError(f"unknown report {kind!r}")


def as_xlsx(title: str, tables_: list[Table]) -> bytes:
    book = Workbook(write_only=True)
    for table in tables_:
        sheet = book.create_sheet(table.title[:31])
        heading = WriteOnlyCell(sheet, value=title)
        heading.font = Font(bold=True)
        sheet.append([heading])
        sheet.append([])
        bold = []
        for name in table.header:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = Font(bold=True)
            bold.append(cell)
        sheet.append(bold)
        for row in table.rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_csv(tables_: list[Table]) -> bytes:
    """The first table as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read it),
    the others after an empty line each."""
    out = io.StringIO()
    writer = csv.writer(out)
    for index, table in enumerate(tables_):
        if index:
            writer.writerow([])
            writer.writerow([table.title])
        writer.writerow(table.header)
        writer.writerows(table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


CSV = "text/csv; charset=utf-8"


def download(
    kind: str, office: Office, period: selectors.Period, service: str, fmt: str
) -> tuple[bytes, str, str]:
    """The report ``kind`` as a file: its bytes, content type and file name (``fmt`` is
    ``xlsx``, ``csv`` or ``pdf``). The console and the API both answer with it."""
    if kind not in KINDS or fmt not in FORMATS:
        raise ValueError(f"unknown report {kind!r} or format {fmt!r}")
    name = f"laporan-{kind}-{office.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{fmt}"
    if fmt == "pdf":
        return pdf.report_pdf(kind, office, period, service), PDF, name
    found = tables(kind, office, period, service)
    if fmt == "xlsx":
        title = f"{office.name} · {period.start:%d-%m-%Y} – {period.end:%d-%m-%Y}"
        return as_xlsx(title, found), XLSX, name
    return as_csv(found), CSV, name
