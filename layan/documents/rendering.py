"""Rendering a request's output as PDF with WeasyPrint, from HTML templates an office can restyle.

Drafts carry a DRAF watermark and no number; the final rendering gets its number, the QR to the
public verification page and room at the bottom right for the signature stamp.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import segno
from django.conf import settings
from django.template.loader import select_template
from django.utils import timezone
from django.utils.translation import gettext as _

from layan.core.errors import Invalid
from layan.documents.kinds import KINDS, RECEIPT, Kind, kind_of
from layan.offices.catalogue import condition_applies
from layan.offices.fields import Field, fields_of

MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
STATIC = Path(__file__).parent / "static" / "documents"


class MissingData(Invalid):
    """The form data lacks what the document prints; ``details["missing"]`` lists the labels."""


@dataclass(frozen=True)
class Final:
    """What only the final rendering has."""

    number: str
    public_id: str
    issued_at: datetime


def long_date(value: Any) -> str:
    """21 November 2026 (Indonesian month names, as on civil-registration documents)."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    if not isinstance(value, date):
        return "-" if value in (None, "") else str(value)
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def verification_url(public_id: str) -> str:
    return f"{settings.LAYAN_PUBLIC_URL}/v/{public_id}"


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=0)


@cache
def _emblem() -> str:
    data = (STATIC / "emblem.svg").read_bytes()
    return "data:image/svg+xml;base64," + base64.b64encode(data).decode()


def letterhead(office) -> dict:
    """What an office's letterhead (kop surat) shows: the emblem, the government, the office
    (for documents other apps print, such as the monthly report)."""
    return {"emblem": _emblem(), "government": government_of(office), "office": office}


def government_of(office) -> str:
    """ "PEMERINTAH KABUPATEN BALANGAN" from the office's name."""
    found = re.search(r"\b(Kabupaten|Kota)\b.*$", office.name)
    return f"PEMERINTAH {found.group(0).upper()}" if found else "PEMERINTAH DAERAH"


def _display(spec: Field | None, value: Any) -> str:
    if value in (None, ""):
        return "-"
    if spec is not None:
        if spec.kind == "choice":
            return spec.choice_label(value)
        if spec.kind == "date":
            return long_date(value)
    return str(value)


def _rows(kind: Kind, specs: dict[str, Field], data: dict) -> tuple[list[str], list[list[str]]]:
    """(column labels, rows of shown values) of the first people table the data has."""
    for key in kind.rows:
        rows = [row for row in data.get(key) or [] if isinstance(row, dict)]
        if rows:
            columns = list(specs[key].columns) if key in specs else []
            if not columns:
                columns = [Field(code, code, "text") for code in rows[0]]
            shown = [[_display(c, row.get(c.code)) for c in columns] for row in rows]
            return [str(c.label) for c in columns], shown
    return [], []


def missing_fields(case, kind: Kind | None = None) -> list[str]:
    """Labels of what the document needs and the request's data lacks (empty: renderable)."""
    kind = kind or kind_of(case.service)
    data = _data(case)
    specs = {spec.code: spec for spec in fields_of(case.service)}
    labels = {**(kind.labels or {})}
    missing = [
        str(specs[key].label if key in specs else labels.get(key, key))
        for key in kind.required
        if data.get(key) in (None, "", [])
    ]
    if kind.rows_required and not _rows(kind, specs, data)[1]:
        key = next((k for k in kind.rows if k in specs), kind.rows[0])
        missing.append(str(specs[key].label if key in specs else key))
    return missing


def _data(case) -> dict:
    data = dict(case.form_data or {})
    if case.service.is_complaint and not data.get("answer"):
        answer = case.events.filter(kind__in=("complete", "approve")).exclude(note="")
        last = answer.order_by("-seq").first()
        if last is not None:
            data["answer"] = last.note
    return data


def context(case, kind: Kind, *, final: Final | None, signer: dict | None = None) -> dict:
    office, service = case.office, case.service
    specs = {spec.code: spec for spec in fields_of(service)}
    data = _data(case)
    columns, rows = _rows(kind, specs, data)
    shown = {code: _display(specs.get(code), value) for code, value in data.items()}
    fields = [
        {"code": spec.code, "label": spec.label, "value": shown.get(spec.code, "-")}
        for spec in specs.values()
        if spec.kind != "table"
    ]
    url = verification_url(final.public_id) if final and final.public_id else ""
    return {
        "kind": kind,
        "case": case,
        "office": office,
        "service": service,
        "government": government_of(office),
        "emblem": _emblem(),
        "data": shown,
        "raw": data,
        "fields": fields,
        "rows": rows,
        "columns": columns,
        "draft": final is None,
        "number": final.number if final else _("DRAF"),
        "issued_on": long_date(final.issued_at if final else timezone.now()),
        "verify_url": url,
        "qr": qr_data_uri(url) if url else "",
        "signer": signer
        or {"name": office.head_name, "title": office.head_title, "nip": office.head_nip},
        "place": re.sub(r"^(Kabupaten|Kota)\s+", "", (government_of(office)[11:]).title()),
        "submitted_on": long_date(case.created_at),
        "due_on": long_date(case.due_at) if case.due_at else "",
        **(_received(case) if kind.code == RECEIPT else {}),
    }


def _received(case) -> dict:
    """The receipt's list: the requirements that apply, and which of them came in (a file, or
    a typed value). Only the receipt prints it, so signing does not pay for the queries."""
    answers = case.form_data or {}
    return {
        "requirements": [
            r
            for r in case.service.requirements.all()
            if not r.condition or condition_applies(r.condition, answers)
        ],
        "attachments": {a.requirement for a in case.attachments.all()}
        | {code for code, value in answers.items() if value not in (None, "")},
    }


def render_html(case, kind: Kind, *, final: Final | None = None, signer: dict | None = None) -> str:
    template = select_template(
        [f"documents/{case.office.code}/{kind.code}.html", f"documents/{kind.code}.html"]
    )
    return template.render(context(case, kind, final=final, signer=signer))


def render_pdf(
    case,
    kind: Kind | str | None = None,
    *,
    final: Final | None = None,
    signer: dict | None = None,
) -> bytes:
    """The PDF of ``kind`` (default: the service's document) for ``case``.

    Raises :class:`MissingData` with the labels of the missing fields.
    """
    import weasyprint

    if isinstance(kind, str):
        kind = KINDS[kind]
    kind = kind or kind_of(case.service)
    if kind.code != RECEIPT:
        missing = missing_fields(case, kind)
        if missing:
            raise MissingData(
                _("The document cannot be made yet; these data are missing: %(fields)s.")
                % {"fields": ", ".join(missing)},
                "document_data_missing",
                missing=missing,
            )
    elif final is None:  # the receipt is never a draft: its number is the tracking code
        final = Final(number=case.code, public_id="", issued_at=timezone.now())
    html = render_html(case, kind, final=final, signer=signer)
    return weasyprint.HTML(string=html, base_url=str(STATIC)).write_pdf()
