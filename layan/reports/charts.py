"""Charts drawn on the server as SVG: the same markup in the console page and in the PDF (no
script, no CDN; presentation attributes only, so the console's content security policy holds)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.translation import gettext as _

from layan.reports.selectors import StepFigures

BAR = "#0b5d8a"
LATE = "#b3261e"
STANDARD = "#1b1f24"


def sla_chart(steps: list[StepFigures], *, limit: int = 10, width: int = 640) -> str:
    """Horizontal bars: each step's median working minutes, the standard as a black tick; a bar
    beyond its standard is red. The slowest ``limit`` steps (the report's order)."""
    rows = [f for f in steps if f.median is not None][:limit]
    if not rows:
        return ""
    label_w, bar_w, row_h = 230, width - 230 - 60, 22
    top = max(max(f.median or 0, f.standard or 0) for f in rows) or 1
    height = row_h * len(rows) + 26
    title = escape(_("Median working minutes per step against the standard"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{title}">'
    ]
    for index, f in enumerate(rows):
        y = 4 + index * row_h
        label = escape(f"{f.number}. {f.service_name}"[:38])
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="11" '
            f'fill="{STANDARD}">{label}</text>'
        )
        length = bar_w * (f.median or 0) / top
        over = f.standard is not None and (f.median or 0) > f.standard
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row_h - 8}" '
            f'fill="{LATE if over else BAR}"><title>{escape(f"{f.median:.1f}")}</title></rect>'
        )
        parts.append(
            f'<text x="{label_w + length + 4:.1f}" y="{y + 14}" font-size="10" '
            f'fill="{STANDARD}">{f.median:.0f}</text>'
        )
        if f.standard is not None:
            x = label_w + bar_w * f.standard / top
            parts.append(
                f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + row_h - 2}" '
                f'stroke="{STANDARD}" stroke-width="2"/>'
            )
    legend_y = height - 6
    legend = escape(_("bar: median working minutes · line: the standard (Mutu Baku)"))
    parts.append(
        f'<text x="{label_w}" y="{legend_y}" font-size="10" fill="{STANDARD}">{legend}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
