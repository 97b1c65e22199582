"""The printable forms of an SOP: the seed-format table (:func:`sheet`) and a swimlane chart
(:func:`swimlane_svg`).

Pure functions of a :class:`~layan.sop.definition.SopDefinition`; no database. The words drawn in
the chart and the short branch texts of the table are Indonesian, like the SOP data itself; the
words of the page around them are the template's (``console/sop/_sheet.html``).

The SVG is shown inline on pages served with ``style-src 'self'``: it uses presentation
attributes only (never a ``style`` attribute or a ``<style>`` element) and escapes every text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape as _html_escape
from typing import Any

from layan.sop.definition import END, FORWARD_KINDS, SopDefinition, Step, resolve_target

# Short texts of the branches listed in the table's notes column.
BRANCH_KINDS = ("return", "escalate", "reject", "request_documents")
_BRANCH_GOES_TO = {"reject": "ditolak", "request_documents": "pemohon"}
_DEADLINE_UNITS = {
    "working_days": "hari kerja",
    "calendar_days": "hari kalender",
    "working_minutes": "menit kerja",
}


# --------------------------------------------------------------------------------------------
# The table


@dataclass(frozen=True)
class Column:
    """A swimlane that is a column of the printed table."""

    code: str
    label: str


@dataclass(frozen=True)
class Cell:
    """One role cell of a row: ``marked`` for the performing role; ``assists`` for the staff role
    that records an applicant step for the applicant (``assisted_by``), which is not a mark."""

    code: str
    label: str
    marked: bool
    assists: bool = False


@dataclass(frozen=True)
class Row:
    key: str
    number: int
    activity: str
    role: str  # code of the performing role
    role_label: str
    marks: tuple[bool, ...]  # one per Sheet.columns; True in the performing role's column
    cells: tuple[Cell, ...]  # the same, with labels, for templates
    assisted_by: str | None  # label of the staff role recording an applicant step, or None
    requirements: tuple[str, ...]
    minutes: int | None
    output: str
    notes: str
    returns: tuple[str, ...]  # e.g. "Tidak sesuai → 2", "Tolak permohonan → ditolak"

    @property
    def minutes_text(self) -> str:
        """The seed's "-" for a step without its own standard time (0, or deadline-bound)."""
        return str(self.minutes) if self.minutes else "-"


@dataclass(frozen=True)
class SideRow:
    key: str
    activity: str
    role: str
    role_label: str
    minutes: int | None
    output: str

    @property
    def minutes_text(self) -> str:
        return str(self.minutes) if self.minutes else "-"


@dataclass(frozen=True)
class Sheet:
    title: str
    source: dict[str, Any]  # number, created, revised, effective, approved_by, notes (any absent)
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    side_rows: tuple[SideRow, ...]
    total_minutes: int
    deadline_text: str  # "" when the flow has no deadline (due after total_minutes)
    step_count: int
    notes: tuple[str, ...] = ()  # source["notes"] as a tuple of lines

    @property
    def total_minutes_text(self) -> str:
        """ "-" when no step has a standard time of its own (a deadline-bound flow)."""
        if not any(row.minutes for row in self.rows):
            return "-"
        return str(self.total_minutes)


def deadline_text(definition: SopDefinition) -> str:
    """The deadline's own words, or a sentence made from its amount; "" without a deadline."""
    deadline = definition.deadline or {}
    if not deadline:
        return ""
    if deadline.get("text"):
        return str(deadline["text"])
    unit = _DEADLINE_UNITS.get(deadline.get("unit", ""), deadline.get("unit", ""))
    return f"Selesai dalam {deadline.get('amount')} {unit}".strip()


def _short(label: str) -> str:
    """The first clause of a button label: "Tidak sesuai, kembalikan ke Kasi" → "Tidak sesuai"."""
    return label.split(",", 1)[0].strip() or label


def _target_text(definition: SopDefinition, target: str | None) -> str:
    if target is None or target == END:
        return "selesai"
    step = definition.step(target)
    if step.side:
        return _role_label(definition, step.role)
    return str(step.number)


def _role_label(definition: SopDefinition, code: str | None) -> str:
    if code is None:
        return ""
    try:
        return definition.role(code).label
    except StopIteration:
        return code


def branch_texts(definition: SopDefinition, step: Step) -> tuple[str, ...]:
    """Short texts for the step's return, escalate, reject and request_documents actions."""
    texts = []
    for action in step.actions:
        if action.kind not in BRANCH_KINDS:
            continue
        goes_to = _BRANCH_GOES_TO.get(action.kind) or _target_text(definition, action.target)
        texts.append(f"{_short(action.label)} → {goes_to}")
    return tuple(texts)


def _notes(source: dict[str, Any]) -> tuple[str, ...]:
    notes = source.get("notes") or ()
    if isinstance(notes, str):
        return (notes,)
    return tuple(str(n) for n in notes)


def sheet(definition: SopDefinition) -> Sheet:
    """The SOP table as the seed prints it: one row per numbered step, one column per role."""
    columns = tuple(Column(r.code, r.label) for r in definition.roles if r.column)
    rows = []
    for step in definition.steps:
        cells = tuple(
            Cell(c.code, c.label, marked=c.code == step.role, assists=c.code == step.assisted_by)
            for c in columns
        )
        rows.append(
            Row(
                key=step.key,
                number=step.number or 0,
                activity=step.activity,
                role=step.role,
                role_label=_role_label(definition, step.role),
                marks=tuple(cell.marked for cell in cells),
                cells=cells,
                assisted_by=_role_label(definition, step.assisted_by) or None,
                requirements=step.requirements,
                minutes=step.minutes,
                output=step.output,
                notes=step.notes,
                returns=branch_texts(definition, step),
            )
        )
    side_rows = tuple(
        SideRow(
            key=s.key,
            activity=s.activity,
            role=s.role,
            role_label=_role_label(definition, s.role),
            minutes=s.minutes,
            output=s.output,
        )
        for s in definition.side_steps
    )
    return Sheet(
        title=definition.name,
        source=dict(definition.source),
        columns=columns,
        rows=tuple(rows),
        side_rows=side_rows,
        total_minutes=definition.total_minutes,
        deadline_text=deadline_text(definition),
        step_count=len(definition.steps),
        notes=_notes(definition.source),
    )


# --------------------------------------------------------------------------------------------
# The swimlane chart

FONT = "Arial, Helvetica, sans-serif"
INK = "#1f2937"
MUTED = "#4b5563"
LANE_FILLS = ("#f8fafc", "#eaf0f6")
LANE_LINE = "#cbd5e1"
BOX_FILL = "#ffffff"
BOX_STROKE = "#1f2937"
MAIN_COLOUR = "#1f2937"
RETURN_COLOUR = "#b42318"
SIDE_COLOUR = "#1d4ed8"
END_FILL = "#1f2937"

MARGIN = 8
LABEL_W = 132  # lane label column
LANE_H = 132
BOX_H = 92
BOX_GAP = 24  # horizontal space between two boxes (forward arrows turn in it)
TARGET_W = 1400  # total width aimed at (A4 landscape print scales it to the page)
MIN_COL_W = 112
MAX_COL_W = 160
FONT_SIZE = 11
LABEL_FONT_SIZE = 11
LINE_H = 13
MAX_LINES = 5  # activity lines in a box
LEGEND_H = 26
CHAR_W = 0.52  # average glyph width of the sans font, in em


def wrap(text: str, width: int, max_lines: int) -> list[str]:
    """Greedy word wrap to ``width`` characters, cut to ``max_lines`` with "…" when too long."""
    width = max(width, 4)
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > width:  # a word longer than a line is split
            if current:
                lines.append(current)
                current = ""
            lines.append(word[: width - 1] + "-")
            word = word[width - 1 :]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        lines = lines[:max_lines]
        cut = last[: width - 1] if len(last) >= width else last
        lines[-1] = cut.rstrip(" .,;:-") + "…"
    return lines


def _esc(text: Any) -> str:
    """Escape text or an attribute value (quotes too)."""
    return _html_escape(str(text), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class _Box:
    key: str
    x: float
    y: float
    w: float
    h: float
    lane: int

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


def _id_prefix(definition: SopDefinition) -> str:
    return "sop-" + re.sub(r"[^a-z0-9-]", "-", f"{definition.office}-{definition.code}".lower())


def swimlane_svg(definition: SopDefinition) -> str:
    """The flow as a swimlane chart: an ``<svg>`` element, ready to be inlined in a page.

    One lane per table column (plus one per role that performs only side steps), one box per
    numbered step in its performer's lane, left to right by number, then the "Selesai" end and
    the side steps (dashed). Solid arrows follow the forward path, red dashed arrows the returns,
    blue dashed arrows the escalations and the side steps' own actions.
    """
    prefix = _id_prefix(definition)
    lane_roles = [r for r in definition.roles if r.column]
    for step in definition.all_steps:  # roles drawn but not printed as table columns
        if all(r.code != step.role for r in lane_roles):
            lane_roles.append(definition.role(step.role))
    lane_of = {r.code: i for i, r in enumerate(lane_roles)}

    n_cols = len(definition.steps) + 1 + len(definition.side_steps)  # + the end marker
    col_w = max(MIN_COL_W, min(MAX_COL_W, (TARGET_W - LABEL_W - 2 * MARGIN) / n_cols))
    box_w = col_w - BOX_GAP
    chars = int((box_w - 14) / (FONT_SIZE * CHAR_W))
    width = MARGIN * 2 + LABEL_W + n_cols * col_w
    lanes_top = MARGIN
    lanes_h = LANE_H * len(lane_roles)
    height = lanes_top + lanes_h + LEGEND_H + MARGIN

    def lane_top(index: int) -> float:
        return lanes_top + index * LANE_H

    def box_at(key: str, column: int, role: str, h: float = BOX_H) -> _Box:
        lane = lane_of[role]
        x = MARGIN + LABEL_W + column * col_w + BOX_GAP / 2
        y = lane_top(lane) + (LANE_H - h) / 2
        return _Box(key, x, y, box_w, h, lane)

    boxes: dict[str, _Box] = {}
    for column, step in enumerate(definition.steps):
        boxes[step.key] = box_at(step.key, column, step.role)
    last = definition.steps[-1]
    end_h = 30
    end_box = box_at(END, len(definition.steps), last.role, end_h)
    boxes[END] = end_box
    for offset, step in enumerate(definition.side_steps, start=len(definition.steps) + 1):
        boxes[step.key] = box_at(step.key, offset, step.role)

    out: list[str] = []
    title_id = f"{prefix}-title"
    desc_id = f"{prefix}-desc"
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sop-swimlane" role="img"'
        f' viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}"'
        f' height="{_num(height)}" aria-labelledby="{title_id} {desc_id}"'
        f' font-family="{FONT}" font-size="{_num(FONT_SIZE)}" fill="{INK}">'
    )
    out.append(f'<title id="{title_id}">{_esc(definition.name)}</title>')
    minutes = f", {definition.total_minutes} menit" if definition.total_minutes else ""
    deadline = deadline_text(definition)
    out.append(
        f'<desc id="{desc_id}">Bagan alur SOP: {len(definition.steps)} langkah{minutes}'
        f"{_esc(', ' + deadline) if deadline else ''}.</desc>"
    )

    # Arrowheads, one per colour.
    markers = {"main": MAIN_COLOUR, "return": RETURN_COLOUR, "side": SIDE_COLOUR}
    out.append("<defs>")
    for name, colour in markers.items():
        out.append(
            f'<marker id="{prefix}-arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5"'
            f' markerWidth="7" markerHeight="7" markerUnits="userSpaceOnUse"'
            f' orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )
    out.append("</defs>")

    # Lanes.
    out.append('<g class="sop-lanes">')
    for index, role in enumerate(lane_roles):
        top = lane_top(index)
        out.append(
            f'<rect x="{MARGIN}" y="{_num(top)}" width="{_num(width - 2 * MARGIN)}"'
            f' height="{LANE_H}" fill="{LANE_FILLS[index % 2]}" stroke="{LANE_LINE}"/>'
        )
        out.append(
            f'<line x1="{MARGIN + LABEL_W}" y1="{_num(top)}" x2="{MARGIN + LABEL_W}"'
            f' y2="{_num(top + LANE_H)}" stroke="{LANE_LINE}"/>'
        )
        glyph = 0.7 if role.label.isupper() else 0.6  # bold capitals are wider
        label_chars = int((LABEL_W - 14) / (LABEL_FONT_SIZE * glyph))
        lines = wrap(role.label, label_chars, 5)
        first_y = top + LANE_H / 2 - (len(lines) - 1) * LINE_H / 2 + LABEL_FONT_SIZE / 3
        out.append(
            f'<text class="sop-lane-label" x="{MARGIN + 8}" y="{_num(first_y)}"'
            f' font-size="{LABEL_FONT_SIZE}" font-weight="bold">'
        )
        for i, line in enumerate(lines):
            dy = "0" if i == 0 else _num(LINE_H)
            out.append(f'<tspan x="{MARGIN + 8}" dy="{dy}">{_esc(line)}</tspan>')
        out.append("</text>")
    out.append("</g>")

    # Arrows under the boxes.
    out.append('<g class="sop-arrows" fill="none" stroke-width="1.4">')
    arrows = _arrows(definition, boxes)
    for kind, points, dashed in arrows:
        colour = markers[kind]
        path = "M" + " L".join(f"{_num(x)},{_num(y)}" for x, y in points)
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        out.append(
            f'<path class="sop-arrow sop-arrow-{kind}" d="{path}" stroke="{colour}"{dash}'
            f' marker-end="url(#{prefix}-arrow-{kind})"/>'
        )
    out.append("</g>")

    # Steps.
    for step in definition.all_steps:
        box = boxes[step.key]
        if step.side:
            css, data = "sop-side-step", f'data-side-step="{_esc(step.key)}"'
            border = f'stroke="{SIDE_COLOUR}" stroke-dasharray="5 3"'
            lead = "↳ "
        else:
            css, data = "sop-step", f'data-step="{step.number}"'
            border = f'stroke="{BOX_STROKE}"'
            lead = f"{step.number}. "
        out.append(f'<g class="{css}" {data}>')
        out.append(f"<title>{_esc(lead + step.activity)}</title>")
        out.append(
            f'<rect x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.w)}"'
            f' height="{_num(box.h)}" rx="7" ry="7" fill="{BOX_FILL}" {border}'
            f' stroke-width="1.2"/>'
        )
        lines = wrap(lead + step.activity, chars, MAX_LINES)
        tx = box.x + 6
        ty = box.y + 6 + FONT_SIZE
        out.append(f'<text x="{_num(tx)}" y="{_num(ty)}">')
        for i, line in enumerate(lines):
            dy = "0" if i == 0 else _num(LINE_H)
            if i == 0 and line.startswith(lead.rstrip()):
                body = line[len(lead.rstrip()) :].lstrip()
                out.append(
                    f'<tspan x="{_num(tx)}" dy="{dy}"><tspan font-weight="bold">'
                    f"{_esc(lead.rstrip())}</tspan> {_esc(body)}</tspan>"
                )
            else:
                out.append(f'<tspan x="{_num(tx)}" dy="{dy}">{_esc(line)}</tspan>')
        out.append("</text>")
        out.append(
            f'<text x="{_num(box.x + box.w - 6)}" y="{_num(box.bottom - 6)}"'
            f' text-anchor="end" font-size="10" fill="{MUTED}">'
            f"{_esc(_minutes_label(step, definition))}</text>"
        )
        out.append("</g>")

    # The end.
    out.append('<g class="sop-end">')
    out.append(
        f'<rect x="{_num(end_box.x + 10)}" y="{_num(end_box.y)}" width="{_num(end_box.w - 20)}"'
        f' height="{end_h}" rx="{end_h / 2}" ry="{end_h / 2}" fill="{END_FILL}"/>'
    )
    out.append(
        f'<text x="{_num(end_box.cx)}" y="{_num(end_box.cy + 4)}" text-anchor="middle"'
        f' font-weight="bold" fill="#ffffff">Selesai</text>'
    )
    out.append("</g>")

    # Legend.
    used = {"main"} | {kind for kind, _points, _dashed in arrows}
    out.append(_legend(prefix, MARGIN + LABEL_W, lanes_top + lanes_h + 17, used))
    out.append("</svg>")
    return "\n".join(out)


def _minutes_label(step: Step, definition: SopDefinition) -> str:
    if step.minutes:
        return f"{step.minutes} menit"
    if step.minutes is None:
        return "dalam tenggat"
    return "-"


def _legend(prefix: str, x: float, y: float, used: set[str]) -> str:
    items = (
        ("main", MAIN_COLOUR, False, "Alur utama"),
        ("return", RETURN_COLOUR, True, "Dikembalikan"),
        ("side", SIDE_COLOUR, True, "Eskalasi / langkah samping"),
    )
    out = [f'<g class="sop-legend" font-size="10" fill="{MUTED}">']
    for name, colour, dashed, label in items:
        if name not in used:
            continue
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        out.append(
            f'<path d="M{_num(x)},{_num(y - 4)} L{_num(x + 34)},{_num(y - 4)}" stroke="{colour}"'
            f' stroke-width="1.4" fill="none"{dash} marker-end="url(#{prefix}-arrow-{name})"/>'
        )
        out.append(f'<text x="{_num(x + 42)}" y="{_num(y)}">{_esc(label)}</text>')
        x += 62 + len(label) * 10 * CHAR_W
    out.append("</g>")
    return "\n".join(out)


Point = tuple[float, float]


def _arrows(
    definition: SopDefinition, boxes: dict[str, _Box]
) -> list[tuple[str, list[Point], bool]]:
    """(marker kind, polyline, dashed) for every drawn transition, deduplicated."""
    arrows: list[tuple[str, list[Point], bool]] = []
    seen: set[tuple[str, str, str]] = set()
    for step in definition.all_steps:
        source = boxes[step.key]
        for action in step.actions:
            if action.kind in ("reject", "request_documents"):
                continue
            target_key = resolve_target(definition, step, action)
            if target_key is None or target_key not in boxes:
                continue
            if action.kind in FORWARD_KINDS and not step.side:
                kind, dashed = "main", False
            elif action.kind == "return":
                kind, dashed = "return", True
            else:  # escalate, and what a side step does
                kind, dashed = "side", True
            if (step.key, target_key, kind) in seen:
                continue
            seen.add((step.key, target_key, kind))
            target = boxes[target_key]
            adjacent = target.x > source.right and target.x - source.right <= BOX_GAP + 1
            if kind == "main" and adjacent:
                arrows.append((kind, _elbow(source, target), dashed))
            else:
                arrows.append((kind, _detour(source, target, kind), dashed))
    return arrows


def _elbow(source: _Box, target: _Box) -> list[Point]:
    """Right edge → the gap between the two columns → left edge of the next box."""
    mid = (source.right + target.x) / 2
    if abs(source.cy - target.cy) < 0.5:
        return [(source.right, source.cy), (target.x, target.cy)]
    return [(source.right, source.cy), (mid, source.cy), (mid, target.cy), (target.x, target.cy)]


def _detour(source: _Box, target: _Box, kind: str) -> list[Point]:
    """Leave the source box vertically (its column has no other box), run along the free strip
    above or below the target's row of boxes, and enter the target box vertically."""
    sx = source.cx + {"main": -0.22, "return": 0.22, "side": -0.08}[kind] * source.w
    tx = target.cx + {"main": -0.22, "return": 0.22, "side": 0.08}[kind] * target.w
    strip = {"main": 0.3, "return": 0.8, "side": 0.55}[kind] * (LANE_H - BOX_H) / 2
    lane_top = target.cy - LANE_H / 2  # boxes are centred in their lane
    above, below = lane_top + strip, lane_top + LANE_H - strip
    if target.lane > source.lane:  # below: come in from the strip above the target's row
        return [(sx, source.bottom), (sx, above), (tx, above), (tx, target.y)]
    if target.lane < source.lane:  # above: come in from the strip below the target's row
        return [(sx, source.y), (sx, below), (tx, below), (tx, target.bottom)]
    # same lane: loop under the row
    return [(sx, source.bottom), (sx, below), (tx, below), (tx, target.bottom)]
