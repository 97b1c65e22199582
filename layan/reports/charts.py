"""Charts drawn on the server as SVG: the same markup in the console page and in the PDFs (no
script, no CDN; presentation attributes only, so the console's content security policy holds).

Every chart is one ``<svg role="img">`` with an ``aria-label`` and a ``<title>`` naming it, each
bar a ``<rect>`` with its value as a ``<title>`` (a tooltip in the browser); legends use circles,
so the rectangles are the bars. Every text is escaped. No data, no chart: an empty string.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.translation import gettext as _

from layan.reports.ikm import Ikm
from layan.reports.selectors import RekapRow, StepFigures

BAR = "#0b5d8a"
DONE = "#2e7d32"
LATE = "#b3261e"
STANDARD = "#1b1f24"
GRID = "#c9d1da"
WIDTH = 640


def _open(width: int, height: int, title: str) -> str:
    title = escape(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{title}"><title>{title}</title>'
    )


def _text(x: float, y: float, text, *, size: int = 11, anchor: str = "start", fill=STANDARD,
          bold: bool = False) -> str:  # fmt: skip
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}"{weight}>{escape(str(text))}</text>'
    )


def _bar(x: float, y: float, w: float, h: float, fill: str, tip) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
        f'fill="{fill}"><title>{escape(str(tip))}</title></rect>'
    )


def _legend(x: float, y: float, items: Sequence[tuple[str, str]]) -> list[str]:
    """Coloured dots with their words, side by side from ``x``."""
    parts = []
    for color, words in items:
        parts.append(f'<circle cx="{x + 5:.1f}" cy="{y - 4:.1f}" r="5" fill="{color}"/>')
        parts.append(_text(x + 14, y, words, size=10))
        x += 24 + 6.2 * len(words)
    return parts


def _short(text: str, length: int = 34) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1] + "…"


def sla_chart(steps: list[StepFigures], *, limit: int = 10, width: int = WIDTH) -> str:
    """Horizontal bars: each step's median working minutes, the standard as a black tick; a bar
    beyond its standard is red. The slowest ``limit`` steps (the report's order)."""
    rows = [f for f in steps if f.median is not None][:limit]
    if not rows:
        return ""
    label_w, bar_w, row_h = 230, width - 230 - 60, 22
    top = max(max(f.median or 0, f.standard or 0) for f in rows) or 1
    height = row_h * len(rows) + 26
    parts = [_open(width, height, _("Median working minutes per step against the standard"))]
    for index, f in enumerate(rows):
        y = 4 + index * row_h
        parts.append(_text(label_w - 6, y + 14, f"{f.number}. {f.service_name}"[:38], anchor="end"))
        length = bar_w * (f.median or 0) / top
        over = f.standard is not None and (f.median or 0) > f.standard
        parts.append(
            _bar(label_w, y + 3, length, row_h - 8, LATE if over else BAR, f"{f.median:.1f}")
        )
        parts.append(_text(label_w + length + 4, y + 14, f"{f.median:.0f}", size=10))
        if f.standard is not None:
            x = label_w + bar_w * f.standard / top
            parts.append(
                f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + row_h - 2}" '
                f'stroke="{STANDARD}" stroke-width="2"/>'
            )
    legend = _("bar: median working minutes · line: the standard (Mutu Baku)")
    parts.append(_text(label_w, height - 6, legend, size=10))
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(items: Sequence[tuple[str, int | float]], title: str, *, color: str = BAR,
              width: int = WIDTH) -> str:  # fmt: skip
    """Horizontal bars, one per (label, value), in the given order, each value at its end."""
    rows = [(str(label), value) for label, value in items]
    if not rows or not any(value for _label, value in rows):
        return ""
    label_w, row_h = 210, 22
    bar_w = width - label_w - 60
    top = max(value for _label, value in rows) or 1
    height = row_h * len(rows) + 8
    parts = [_open(width, height, title)]
    for index, (label, value) in enumerate(rows):
        y = 4 + index * row_h
        length = bar_w * value / top
        parts.append(_text(label_w - 6, y + 14, _short(label), anchor="end"))
        parts.append(_bar(label_w, y + 3, length, row_h - 8, color, f"{label}: {value}"))
        parts.append(_text(label_w + length + 4, y + 14, value, size=10))
    parts.append("</svg>")
    return "".join(parts)


def channel_chart(by_channel: Sequence[tuple[str, str, int]]) -> str:
    """The requests received by channel (WhatsApp, counter, field, …): one bar each."""
    return bar_chart([(label, n) for _code, label, n in by_channel], _("Requests by channel"))


def complaints_chart(by_category: Sequence[tuple[str, int]]) -> str:
    """The complaints received by category: one bar each, the most frequent first."""
    return bar_chart(list(by_category), _("Complaints by category"), color=LATE)


def rekap_chart(rows: Sequence[RekapRow], *, limit: int = 12, width: int = WIDTH) -> str:
    """Per service two bars side by side: the requests received in the period and those of them
    completed; services with neither are left out (at most ``limit``, the report's order)."""
    shown = [r for r in rows if r.received or r.completed][:limit]
    if not shown:
        return ""
    label_w, bar_h, gap = 210, 8, 8
    group_h = 2 * bar_h + gap
    bar_w = width - label_w - 50
    top = max(max(r.received, r.completed) for r in shown) or 1
    height = group_h * len(shown) + 30
    received, completed = _("Received"), _("Completed")
    parts = [_open(width, height, _("Requests received and completed per service"))]
    for index, row in enumerate(shown):
        y = 4 + index * group_h
        parts.append(_text(label_w - 6, y + bar_h + 4, _short(row.name), anchor="end"))
        for offset, value, color, words in (
            (0, row.received, BAR, received),
            (bar_h, row.completed, DONE, completed),
        ):
            length = bar_w * value / top
            parts.append(_bar(label_w, y + offset, length, bar_h - 1, color, f"{words}: {value}"))
            parts.append(_text(label_w + length + 4, y + offset + bar_h - 1, value, size=9))
    parts.extend(_legend(label_w, height - 8, [(BAR, received), (DONE, completed)]))
    parts.append("</svg>")
    return "".join(parts)


def ikm_chart(result: Ikm, *, width: int = WIDTH) -> str:
    """The average (NRR) of each element U1..U9 on the survey's 1–4 scale, one column each, the
    weakest in red; an element nobody answered has no column."""
    values = [(i, v) for i, v in enumerate(result.element_nrr, start=1) if v is not None]
    if not values:
        return ""
    left, top_pad, plot_h, bottom = 34, 20, 150, 44
    height = top_pad + plot_h + bottom
    slot = (width - left - 10) / len(result.element_nrr)

    def y_of(value: float) -> float:  # 1 at the bottom, 4 at the top
        return top_pad + plot_h * (4 - value) / 3

    parts = [_open(width, height, _("Average per element (NRR, 1–4); the weakest in red"))]
    for level in (1, 2, 3, 4):
        y = y_of(level)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="{GRID}" '
            f'stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y + 4, level, size=10, anchor="end"))
    for number, value in values:
        x = left + (number - 1) * slot + slot * 0.2
        weakest = number == result.weakest
        shown = number_format(value, 2)
        parts.append(
            _bar(x, y_of(value), slot * 0.6, y_of(1) - y_of(value), LATE if weakest else BAR,
                 f"U{number}: {shown}")
        )  # fmt: skip
        parts.append(_text(x + slot * 0.3, y_of(value) - 4, shown, size=10, anchor="middle",
                           bold=weakest))  # fmt: skip
    for number in range(1, len(result.element_nrr) + 1):
        x = left + (number - 0.5) * slot
        parts.append(_text(x, y_of(1) + 16, f"U{number}", anchor="middle",
                           bold=number == result.weakest))  # fmt: skip
    parts.extend(_legend(left, height - 6, [(BAR, _("Element")), (LATE, _("Weakest element"))]))
    parts.append("</svg>")
    return "".join(parts)


def backlog_trend_chart(trend: Sequence[tuple[date, int]], *, width: int = WIDTH) -> str:
    """The open requests at the end of each day that has a snapshot: one column per day, the
    first and the last day named below, the highest count beside the axis."""
    if not trend:
        return ""
    left, top_pad, plot_h, bottom = 40, 12, 140, 26
    height = top_pad + plot_h + bottom
    slot = min((width - left - 10) / len(trend), 24)  # a few days stay narrow columns
    top = max(total for _day, total in trend) or 1
    parts = [_open(width, height, _("Open requests at the end of each day"))]
    base = top_pad + plot_h
    parts.append(
        f'<line x1="{left}" y1="{base}" x2="{width - 10}" y2="{base}" stroke="{STANDARD}" '
        f'stroke-width="1"/>'
    )
    parts.append(_text(left - 6, top_pad + 4, top, size=10, anchor="end"))
    parts.append(_text(left - 6, base, 0, size=10, anchor="end"))
    for index, (day, total) in enumerate(trend):
        h = plot_h * total / top
        x = left + index * slot + slot * 0.15
        parts.append(_bar(x, base - h, max(slot * 0.7, 0.5), h, BAR, f"{day:%d-%m-%Y}: {total}"))
    first, last = trend[0][0], trend[-1][0]
    end = left + len(trend) * slot
    if last == first or end - left >= 90:
        parts.append(_text(left, base + 16, f"{first:%d-%m}", size=10))
    else:  # too narrow for two labels
        parts.append(_text(left, base + 16, f"{first:%d-%m} – {last:%d-%m}", size=10))
    if last != first and end - left >= 90:
        parts.append(_text(end, base + 16, f"{last:%d-%m}", size=10, anchor="end"))
    parts.append("</svg>")
    return "".join(parts)
