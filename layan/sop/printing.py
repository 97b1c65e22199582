"""The printable SOP as an A4 PDF (WeasyPrint): the identity page of Permenpan-RB 35/2012, then
the flow table with its flowchart in the role columns, page by page, then the side steps, the
swimlane chart and the notes, as the seeds print an SOP.

Like every paper the office prints, the PDF is in Indonesian whoever asks for it; the page and
the PDF are made of the same parts (:mod:`layan.sop.document`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from layan.sop.definition import SopDefinition
from layan.sop.document import flow_pages, identity_page, sheet, swimlane_svg

LANGUAGE = "id"
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


def long_date(moment: datetime) -> str:
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def css_string(value: str) -> str:
    """``value`` as a quoted CSS string: every character but letters, digits and spaces is
    escaped, so no text of the SOP can end the string or the style sheet."""
    out = []
    for char in value:
        plain = (char.isalnum() and char.isascii()) or char == " "
        out.append(char if plain else f"\\{ord(char):x} ")
    return '"' + "".join(out) + '"'


def printable(definition: SopDefinition) -> dict[str, Any]:
    """Everything the console page and the PDF draw: the identity page, the flow table pages,
    the seed-format sheet (side steps, notes) and the swimlane chart."""
    return {
        "identity": identity_page(definition),
        "flow_pages": flow_pages(definition),
        "sheet": sheet(definition),
        "chart": swimlane_svg(definition),
    }


def sop_html(definition: SopDefinition, *, office=None, version=None, tz=None) -> str:
    """The printable SOP as one HTML document (the PDF's source)."""
    effective = ""
    if version is not None and getattr(version, "effective_at", None):
        moment = version.effective_at.astimezone(tz) if tz else version.effective_at
        effective = long_date(moment)
    with translation.override(LANGUAGE):
        return render_to_string(
            "sop/print.html",
            {
                **printable(definition),
                "definition": definition,
                "office": office,
                "version": version,
                "effective": effective,
                "running": css_string(
                    " · ".join(
                        part
                        for part in (
                            definition.identity.get("number") or definition.name[:60],
                            f"versi {version.number}" if version is not None else "",
                        )
                        if part
                    )
                ),
            },
        )


def sop_pdf(definition: SopDefinition, *, office=None, version=None) -> bytes:
    import weasyprint  # heavy; loaded when a PDF is made, not with the URLs

    tz = office.tz if office is not None else None
    html = sop_html(definition, office=office, version=version, tz=tz)
    return weasyprint.HTML(string=html).write_pdf()
