"""The printable forms of an SOP: the seed-format table (:func:`sheet`), a swimlane chart
(:func:`swimlane_svg`), the identity page of Permenpan-RB 35/2012 (:func:`identity_page`) and the
flow table with its flowchart symbols in the role columns, page by page (:func:`flow_pages`), as
the seeds print them.

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

from layan.sop.definition import (
    END,
    FORWARD_KINDS,
    IDENTITY_LISTS,
    ActionKind,
    SopDefinition,
    Step,
    resolve_target,
)

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
    source: dict[str, Any]  # number, created, revised, effective, approved_by (the identity's,
    # else the source's, for flows written before the identity block), notes (any absent)
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
    try:
        step = definition.step(target)
    except KeyError:  # a draft's action into a step that is not there (shown as a problem)
        return f"{target}?"
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


def approver_text(identity: dict[str, Any]) -> str:
    """Who approved the SOP in one line: title, name, NIP (what the identity gives)."""
    approver = identity.get("approved_by") or {}
    parts = [approver.get("title"), approver.get("name")]
    if approver.get("nip"):
        parts.append(f"NIP. {approver['nip']}")
    return ", ".join(part for part in parts if part)


def _meta(definition: SopDefinition) -> dict[str, str]:
    """The table's header facts from the identity block (nothing for a flow without one)."""
    identity = definition.identity
    meta = {key: identity.get(key) for key in ("number", "created", "revised", "effective")}
    meta["approved_by"] = approver_text(identity)
    return {key: value for key, value in meta.items() if value}


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
        source={**dict(definition.source), **_meta(definition)},
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


# --------------------------------------------------------------------------------------------
# The identity page (Permenpan-RB 35/2012)

# The headings of the identity page: the form's own words, printed in Indonesian like the SOP.
IDENTITY_HEADINGS = {
    "number": "Nomor SOP",
    "created": "Tgl. Pembuatan",
    "revised": "Tgl. Revisi",
    "effective": "Tgl. Efektif",
    "approved_by": "Disahkan oleh",
    "name": "Nama SOP",
    "legal_basis": "Dasar Hukum",
    "qualifications": "Kualifikasi Pelaksana",
    "related": "Keterkaitan",
    "equipment": "Peralatan / Perlengkapan",
    "warnings": "Peringatan",
    "records": "Pencatatan dan Pendataan",
}
_SUB_ITEM = re.compile(r"^[•\-–]\s+")


@dataclass(frozen=True)
class IdentityItem:
    """One numbered entry of an identity list, with the bulleted lines under it."""

    text: str
    sub: tuple[str, ...] = ()


@dataclass(frozen=True)
class IdentitySection:
    code: str
    heading: str
    items: tuple[IdentityItem, ...]


@dataclass(frozen=True)
class IdentityPage:
    unit: tuple[str, ...]  # the organisation lines at the head of the page
    facts: tuple[tuple[str, str, tuple[str, ...]], ...]  # (code, heading, lines of the value)
    rows: tuple[tuple[IdentitySection, IdentitySection], ...]  # the three pairs of lists
    filled: bool  # False when the flow has no identity block at all


def identity_items(lines: list[str] | tuple[str, ...]) -> tuple[IdentityItem, ...]:
    """Lines of an identity list as numbered entries; a line starting with "•" or "-" is a
    bullet under the entry before it (the seeds' "maka akan terjadi : • …")."""
    items: list[IdentityItem] = []
    for line in lines:
        if _SUB_ITEM.match(line):
            text = _SUB_ITEM.sub("", line)
            if items:
                last = items[-1]
                items[-1] = IdentityItem(last.text, (*last.sub, text))
            else:
                items.append(IdentityItem("", (text,)))
        else:
            items.append(IdentityItem(line))
    return tuple(items)


def identity_page(definition: SopDefinition) -> IdentityPage:
    """The identity page of the flow: what the seed prints above its flow table."""
    identity = definition.identity or {}
    approver = identity.get("approved_by") or {}
    approver_lines = [approver.get("title", ""), approver.get("name", "")]
    if approver.get("nip"):
        approver_lines.append(f"NIP. {approver['nip']}")
    facts = []
    for code in ("number", "created", "revised", "effective", "approved_by", "name"):
        if code == "approved_by":
            lines = tuple(line for line in approver_lines if line)
        else:
            lines = (identity.get(code) or "",) if identity.get(code) else ()
        facts.append((code, IDENTITY_HEADINGS[code], lines))
    sections = [
        IdentitySection(code, IDENTITY_HEADINGS[code], identity_items(identity.get(code) or ()))
        for code in IDENTITY_LISTS
    ]
    rows = tuple((sections[i], sections[i + 1]) for i in range(0, len(sections), 2))
    return IdentityPage(
        unit=tuple(identity.get("unit") or ()),
        facts=tuple(facts),
        rows=rows,
        filled=bool(identity),
    )


# --------------------------------------------------------------------------------------------
# The flow table with its flowchart (the "bagan alur" of Permenpan-RB 35/2012)

PAGE_W = 1047  # A4 landscape inside 10 mm margins, in CSS pixels (96 per inch)
PAGE_H = 660  # the height one page of the table may take below its title
FT_FONT = 9
FT_LINE = 11
FT_PAD = 5
FT_HEAD_H = 56  # the two heading rows
SYMBOL_W = 40
SYMBOL_H = 22
ROW_MIN_H = SYMBOL_H + 18
# Fixed columns: No, Kegiatan, then the roles, then Persyaratan/Kelengkapan, Waktu, Output, Ket.
FT_FIXED = {"no": 26, "activity": 230, "requirements": 160, "time": 44, "output": 120, "notes": 118}
MIN_ROLE_W = 46


@dataclass(frozen=True)
class _FlowRow:
    step: Step
    column: int  # index of the performing role's column
    height: float
    activity: list[str]
    requirements: list[str]
    output: list[str]
    notes: list[str]
    symbol: str  # "terminator", "decision" or "process"


def _chars(width: float, size: float = FT_FONT) -> int:
    return max(4, int((width - 2 * FT_PAD) / (size * CHAR_W)))


def _wrapped(texts: list[str] | tuple[str, ...], width: float) -> list[str]:
    lines: list[str] = []
    for text in texts:
        lines.extend(wrap(text, _chars(width), 40) or [""])
    return lines


def _flow_columns(definition: SopDefinition) -> tuple[list, dict[str, float]]:
    roles = [r for r in definition.roles if r.column]
    for step in definition.steps:  # a performer that is not a printed column still needs one
        if all(r.code != step.role for r in roles):
            roles.append(definition.role(step.role))
    widths = dict(FT_FIXED)
    role_w = (PAGE_W - sum(widths.values())) / max(len(roles), 1)
    if role_w < MIN_ROLE_W:  # many roles: the activity column gives way
        widths["activity"] -= (MIN_ROLE_W - role_w) * len(roles)
        role_w = MIN_ROLE_W
    widths["role"] = role_w
    return roles, widths


def _symbol_kind(definition: SopDefinition, step: Step) -> str:
    if step.number == 1 or (
        step.number == len(definition.steps)
        and any(resolve_target(definition, step, a) == END for a in step.actions)
    ):
        return "terminator"
    if any(
        a.kind in (ActionKind.RETURN, ActionKind.REJECT, ActionKind.ESCALATE) for a in step.actions
    ):
        return "decision"
    return "process"


def _flow_rows(definition: SopDefinition, roles: list, widths: dict[str, float]) -> list[_FlowRow]:
    column_of = {r.code: i for i, r in enumerate(roles)}
    rows = []
    for step in definition.steps:
        activity = _wrapped([step.activity], widths["activity"])
        requirements = _wrapped(list(step.requirements), widths["requirements"])
        output = _wrapped([step.output], widths["output"]) if step.output else []
        notes = _wrapped(
            [*([step.notes] if step.notes else []), *branch_texts(definition, step)],
            widths["notes"],
        )
        lines = max(len(activity), len(requirements), len(output), len(notes), 1)
        height = max(ROW_MIN_H, lines * FT_LINE + 2 * FT_PAD + 2)
        rows.append(
            _FlowRow(
                step=step,
                column=column_of[step.role],
                height=height,
                activity=activity,
                requirements=requirements,
                output=output,
                notes=notes,
                symbol=_symbol_kind(definition, step),
            )
        )
    return rows


def _paginate(rows: list[_FlowRow], footer_h: float) -> list[list[_FlowRow]]:
    pages: list[list[_FlowRow]] = [[]]
    used = FT_HEAD_H
    for index, row in enumerate(rows):
        last = index == len(rows) - 1
        need = row.height + (footer_h if last else 0)
        if pages[-1] and used + need > PAGE_H:
            pages.append([])
            used = FT_HEAD_H
        pages[-1].append(row)
        used += row.height
    return pages


def _text_lines(out: list[str], x: float, y: float, lines: list[str], **attrs: str) -> None:
    if not lines:
        return
    extra = "".join(f' {k.replace("_", "-")}="{_esc(v)}"' for k, v in attrs.items())
    out.append(f'<text x="{_num(x)}" y="{_num(y)}"{extra}>')
    for i, line in enumerate(lines):
        dy = "0" if i == 0 else _num(FT_LINE)
        out.append(f'<tspan x="{_num(x)}" dy="{dy}">{_esc(line)}</tspan>')
    out.append("</text>")


def _symbol(out: list[str], kind: str, cx: float, cy: float, number: int) -> None:
    w, h = SYMBOL_W, SYMBOL_H
    if kind == "terminator":
        out.append(
            f'<rect class="ft-terminator" x="{_num(cx - w / 2)}" y="{_num(cy - h / 2)}"'
            f' width="{w}" height="{h}" rx="{h / 2}" ry="{h / 2}" fill="{BOX_FILL}"'
            f' stroke="{BOX_STROKE}"/>'
        )
    elif kind == "decision":
        hw, hh = w / 2 + 2, h / 2 + 4
        corners = ((cx, cy - hh), (cx + hw, cy), (cx, cy + hh), (cx - hw, cy))
        points = " ".join(f"{_num(px)},{_num(py)}" for px, py in corners)
        out.append(
            f'<polygon class="ft-decision" points="{points}" fill="{BOX_FILL}"'
            f' stroke="{BOX_STROKE}"/>'
        )
    else:
        out.append(
            f'<rect class="ft-process" x="{_num(cx - w / 2)}" y="{_num(cy - h / 2)}"'
            f' width="{w}" height="{h}" fill="{BOX_FILL}" stroke="{BOX_STROKE}"/>'
        )
    out.append(
        f'<text x="{_num(cx)}" y="{_num(cy + 3)}" text-anchor="middle" font-size="8"'
        f' fill="{MUTED}">{number}</text>'
    )


def _half_h(kind: str) -> float:
    return SYMBOL_H / 2 + (4 if kind == "decision" else 0)


def _half_w(kind: str) -> float:
    return SYMBOL_W / 2 + (2 if kind == "decision" else 0)


def _offpage(out: list[str], cx: float, top: float, label: str) -> None:
    """The off-page connector (a pentagon pointing down) with its letter."""
    w, h = 18, 16
    points = (
        f"{_num(cx - w / 2)},{_num(top)} {_num(cx + w / 2)},{_num(top)} "
        f"{_num(cx + w / 2)},{_num(top + h * 0.6)} {_num(cx)},{_num(top + h)} "
        f"{_num(cx - w / 2)},{_num(top + h * 0.6)}"
    )
    out.append(f'<polygon class="ft-offpage" points="{points}" fill="{BOX_FILL}" stroke="{INK}"/>')
    out.append(
        f'<text x="{_num(cx)}" y="{_num(top + 10)}" text-anchor="middle" font-size="8"'
        f' font-weight="bold">{_esc(label)}</text>'
    )


def flow_pages(definition: SopDefinition) -> list[str]:
    """The flow table as the seeds print it: one ``<svg>`` per A4 landscape page.

    Columns No, Kegiatan, one per role (the performing role holds the step's flowchart symbol:
    a terminator for the first and the last step, a diamond for a check that can send the
    request back or refuse it, a rectangle otherwise), then the Mutu Baku (Persyaratan /
    Kelengkapan, Waktu, Output) and Ket. Solid arrows follow the flow; a return is a dashed red
    arrow labelled "Tidak" from the diamond to the step it returns to. A flow continued on the
    next page leaves through an off-page connector with a letter and comes in through the same
    letter. Like :func:`swimlane_svg`, presentation attributes only and every text escaped.
    """
    roles, widths = _flow_columns(definition)
    rows = _flow_rows(definition, roles, widths)
    deadline = deadline_text(definition)
    footer_h = FT_LINE * (2 if deadline else 1) + 2 * FT_PAD + 4
    pages = _paginate(rows, footer_h)
    prefix = _id_prefix(definition) + "-ft"

    # x positions of every column
    xs: dict[str, float] = {}
    x = 0.0
    for key in ("no", "activity"):
        xs[key] = x
        x += widths[key]
    role_x0 = x
    x += widths["role"] * len(roles)
    for key in ("requirements", "time", "output", "notes"):
        xs[key] = x
        x += widths[key]

    def role_cx(column: int) -> float:
        return role_x0 + widths["role"] * (column + 0.5)

    def role_left(column: int) -> float:
        return role_x0 + widths["role"] * column

    letters = iter("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    carried: str | None = None  # the letter the previous page left through
    out_pages: list[str] = []
    for page_index, page_rows in enumerate(pages):
        last_page = page_index == len(pages) - 1
        height = FT_HEAD_H + sum(r.height for r in page_rows) + (footer_h if last_page else 0)
        height += 22 if not last_page else 0  # room for the off-page connector
        out: list[str] = []
        page_id = f"{prefix}-{page_index + 1}"
        out.append(
            f'<svg xmlns="http://www.w3.org/2000/svg" class="sop-flow-table" role="img"'
            f' viewBox="-1 -1 {_num(PAGE_W + 2)} {_num(height + 2)}" width="{_num(PAGE_W + 2)}"'
            f' height="{_num(height + 2)}" aria-labelledby="{page_id}-title"'
            f' font-family="{FONT}" font-size="{FT_FONT}" fill="{INK}">'
        )
        out.append(
            f'<title id="{page_id}-title">{_esc(definition.name)} — bagan alur'
            f" {page_index + 1}/{len(pages)}</title>"
        )
        out.append(
            "<defs>"
            f'<marker id="{page_id}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6"'
            ' markerHeight="6" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{MAIN_COLOUR}"/></marker>'
            f'<marker id="{page_id}-back" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6"'
            ' markerHeight="6" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{RETURN_COLOUR}"/></marker>'
            "</defs>"
        )
        _flow_head(out, roles, widths, xs, role_x0)
        # row tops on this page
        tops: dict[str, float] = {}
        y = FT_HEAD_H
        for row in page_rows:
            tops[row.step.key] = y
            y += row.height
        body_bottom = y
        centre = {r.step.key: tops[r.step.key] + r.height / 2 for r in page_rows}
        _flow_grid(out, page_rows, tops, widths, xs, roles, role_x0, body_bottom)

        # cell texts
        for row in page_rows:
            top = tops[row.step.key] + FT_PAD + FT_FONT
            _text_lines(
                out, xs["no"] + widths["no"] / 2, top, [str(row.step.number)], text_anchor="middle"
            )
            _text_lines(out, xs["activity"] + FT_PAD, top, row.activity)
            _text_lines(out, xs["requirements"] + FT_PAD, top, row.requirements)
            _text_lines(
                out,
                xs["time"] + widths["time"] / 2,
                top,
                [_time_text(row.step)],
                text_anchor="middle",
            )
            _text_lines(out, xs["output"] + FT_PAD, top, row.output)
            _text_lines(out, xs["notes"] + FT_PAD, top, row.notes, fill=MUTED)

        # connectors under the symbols
        out.append('<g class="ft-arrows" fill="none" stroke-width="1.1">')
        by_key = {r.step.key: r for r in rows}
        lane_offset: dict[int, int] = {}
        if carried is not None and page_rows:
            first = page_rows[0]
            cx = role_cx(first.column)
            _offpage(out, cx, FT_HEAD_H + 2, carried)
            out.append(
                f'<path d="M{_num(cx)},{_num(FT_HEAD_H + 18)} L{_num(cx)},'
                f'{_num(centre[first.step.key] - _half_h(first.symbol))}" stroke="{MAIN_COLOUR}"'
                f' marker-end="url(#{page_id}-arrow)"/>'
            )
            carried = None
        for row in page_rows:
            step = row.step
            cx, cy = role_cx(row.column), centre[step.key]
            nxt = _next_key(definition, step)
            if nxt is not None and nxt in centre:
                target = by_key[nxt]
                tx, ty = role_cx(target.column), centre[nxt]
                boundary = tops[nxt]
                start_y = cy + _half_h(row.symbol)
                end_y = ty - _half_h(target.symbol)
                if abs(tx - cx) < 0.5:
                    points = [(cx, start_y), (tx, end_y)]
                else:
                    mid = boundary + min(8, (end_y - boundary) / 2)
                    points = [(cx, start_y), (cx, mid), (tx, mid), (tx, end_y)]
                path = "M" + " L".join(f"{_num(px)},{_num(py)}" for px, py in points)
                out.append(
                    f'<path class="ft-arrow" d="{path}" stroke="{MAIN_COLOUR}"'
                    f' marker-end="url(#{page_id}-arrow)"/>'
                )
                if row.symbol == "decision":
                    out.append(
                        f'<text x="{_num(cx + 4)}" y="{_num(start_y + 9)}" font-size="8"'
                        f' fill="{MUTED}">Ya</text>'
                    )
            elif nxt is not None and nxt in by_key and row is page_rows[-1]:
                carried = next(letters)
                _offpage(out, cx, body_bottom + 4, carried)
                out.append(
                    f'<path d="M{_num(cx)},{_num(cy + _half_h(row.symbol))} L{_num(cx)},'
                    f'{_num(body_bottom + 4)}" stroke="{MAIN_COLOUR}"/>'
                )
            for action in step.actions:
                if action.kind != ActionKind.RETURN or action.target not in by_key:
                    continue
                _return_arrow(
                    out,
                    page_id,
                    row,
                    by_key[action.target],
                    centre,
                    widths,
                    role_cx,
                    role_left,
                    lane_offset,
                )
        out.append("</g>")

        # symbols over the connectors
        for row in page_rows:
            _symbol(out, row.symbol, role_cx(row.column), centre[row.step.key], row.step.number)

        if last_page:
            _flow_footer(out, definition, widths, xs, body_bottom, footer_h, deadline)
        out.append("</svg>")
        out_pages.append("\n".join(out))
    return out_pages


def _time_text(step: Step) -> str:
    if step.minutes:
        return f"{step.minutes} menit"
    return "-"


def _next_key(definition: SopDefinition, step: Step) -> str | None:
    """Where the step's forward flow goes in the table (the first complete/approve target)."""
    for action in step.actions:
        if action.kind in FORWARD_KINDS:
            target = resolve_target(definition, step, action)
            if target is not None and target != END:
                try:
                    if not definition.step(target).side:
                        return target
                except KeyError:
                    return None
    return None


def _return_arrow(out, page_id, row, target, centre, widths, role_cx, role_left, lane_offset):
    """A dashed arrow from the diamond's side to the side of the step it returns to, along a
    column boundary (no symbol stands on one); drawn when both are on this page."""
    if row.step.key not in centre or target.step.key not in centre:
        return
    cx, cy = role_cx(row.column), centre[row.step.key]
    tx, ty = role_cx(target.column), centre[target.step.key]
    if target.column < row.column:
        boundary = role_left(target.column + 1)
        start = (cx - _half_w(row.symbol), cy)
        end = (tx + _half_w(target.symbol), ty)
    elif target.column > row.column:
        boundary = role_left(target.column)
        start = (cx + _half_w(row.symbol), cy)
        end = (tx - _half_w(target.symbol), ty)
    else:
        boundary = role_left(row.column) + 4
        start = (cx - _half_w(row.symbol), cy)
        end = (tx - _half_w(target.symbol), ty)
    used = lane_offset.get(round(boundary), 0)
    lane_offset[round(boundary)] = used + 1
    bx = boundary + (used * 3 if target.column >= row.column else -used * 3)
    points = [start, (bx, start[1]), (bx, end[1]), end]
    path = "M" + " L".join(f"{_num(px)},{_num(py)}" for px, py in points)
    out.append(
        f'<path class="ft-return" d="{path}" stroke="{RETURN_COLOUR}" stroke-dasharray="4 2"'
        f' marker-end="url(#{page_id}-back)"/>'
    )
    label_x = start[0] + (4 if bx > start[0] else -24)
    out.append(
        f'<text x="{_num(label_x)}" y="{_num(start[1] - 3)}" font-size="8"'
        f' fill="{RETURN_COLOUR}">Tidak</text>'
    )


def _flow_head(out, roles, widths, xs, role_x0) -> None:
    half = FT_HEAD_H / 2
    line = f'stroke="{INK}" stroke-width="0.8"'
    out.append('<g class="ft-head" font-weight="bold" font-size="7.5">')
    out.append(
        f'<rect x="0" y="0" width="{_num(PAGE_W)}" height="{FT_HEAD_H}" fill="#eef2f6" {line}/>'
    )
    quality_x = xs["requirements"]
    spans = [
        (xs["no"], widths["no"], 0, FT_HEAD_H, "NO"),
        (xs["activity"], widths["activity"], 0, FT_HEAD_H, "KEGIATAN"),
        (role_x0, widths["role"] * len(roles), 0, half, "PELAKSANA"),
        (
            quality_x,
            widths["requirements"] + widths["time"] + widths["output"],
            0,
            half,
            "MUTU BAKU",
        ),
        (xs["notes"], widths["notes"], 0, FT_HEAD_H, "KET"),
        (xs["requirements"], widths["requirements"], half, half, "PERSYARATAN / KELENGKAPAN"),
        (xs["time"], widths["time"], half, half, "WAKTU"),
        (xs["output"], widths["output"], half, half, "OUTPUT"),
    ]
    for index, role in enumerate(roles):
        spans.append((role_x0 + index * widths["role"], widths["role"], half, half, role.label))
    for x, w, y, h, label in spans:
        out.append(
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}"'
            f' fill="none" {line}/>'
        )
        lines = wrap(label, max(4, int((w - 4) / (7.5 * 0.5))), 3)
        first = y + h / 2 - (len(lines) - 1) * 9 / 2 + 3
        out.append(f'<text x="{_num(x + w / 2)}" y="{_num(first)}" text-anchor="middle">')
        for i, text in enumerate(lines):
            out.append(
                f'<tspan x="{_num(x + w / 2)}" dy="{0 if i == 0 else 9}">{_esc(text)}</tspan>'
            )
        out.append("</text>")
    out.append("</g>")


def _flow_grid(out, page_rows, tops, widths, xs, roles, role_x0, body_bottom) -> None:
    line = f'stroke="{INK}" stroke-width="0.6"'
    out.append('<g class="ft-grid" fill="none">')
    for row in page_rows:
        top = tops[row.step.key]
        out.append(
            f'<rect x="0" y="{_num(top)}" width="{_num(PAGE_W)}" height="{_num(row.height)}"'
            f" {line}/>"
        )
    verticals = [xs["activity"], role_x0]
    verticals += [role_x0 + widths["role"] * i for i in range(1, len(roles) + 1)]
    verticals += [xs["time"], xs["output"], xs["notes"]]
    for vx in verticals:
        out.append(
            f'<line x1="{_num(vx)}" y1="{FT_HEAD_H}" x2="{_num(vx)}" y2="{_num(body_bottom)}"'
            f" {line}/>"
        )
    out.append("</g>")


def _flow_footer(out, definition, widths, xs, top, footer_h, deadline) -> None:
    line = f'stroke="{INK}" stroke-width="0.6"'
    out.append('<g class="ft-total">')
    out.append(
        f'<rect x="0" y="{_num(top)}" width="{_num(PAGE_W)}" height="{_num(footer_h)}"'
        f' fill="#f3f4f6" {line}/>'
    )
    total = str(definition.total_minutes) + " menit" if definition.total_minutes else "-"
    lines = [f"Jumlah waktu penyelesaian: {total}"]
    if deadline:
        lines.append(f"Tenggat: {deadline}")
    _text_lines(out, xs["activity"] + FT_PAD, top + FT_PAD + FT_FONT, lines, font_weight="bold")
    out.append("</g>")
