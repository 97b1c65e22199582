"""The printable SOP: the seed-format table (``sheet``), the swimlane chart (``swimlane_svg``) and
the ``console/sop/_sheet.html`` fragment. No database."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from layan.sop.definition import SopDefinition, parse_data, read_file
from layan.sop.document import Sheet, sheet, swimlane_svg, wrap

ROOT = Path(__file__).resolve().parents[2]
PRESETS = sorted((ROOT / "layan" / "sop" / "presets").glob("*.yaml"))
TEMPLATES = ROOT / "layan" / "console" / "templates"
SVG = "{http://www.w3.org/2000/svg}"

MALICIOUS = "<script>alert(1)</script> & co"


def load(path: Path) -> SopDefinition:
    definition, errors = read_file(path)
    assert not errors, errors
    assert definition is not None
    return definition


def hostile() -> SopDefinition:
    definition, errors = parse_data(
        {
            "format": 1,
            "office": "evil",
            "code": "x-y",
            "name": 'Nama "<b>tebal</b>" & co',
            "source": {"number": "<i>1</i>", "notes": ["<img src=x onerror=alert(1)>"]},
            "roles": [
                {"code": "pemohon", "label": "<Pemohon>", "kind": "applicant"},
                {"code": "petugas", "label": 'Petugas "A" & B', "kind": "staff"},
                {"code": "kasi", "label": "Kasi", "kind": "staff"},
            ],
            "steps": [
                {
                    "number": 1,
                    "activity": MALICIOUS,
                    "role": "pemohon",
                    "minutes": 5,
                    "intake": True,
                    "requirements": ["<u>KTP</u>"],
                    "actions": [{"kind": "complete"}],
                },
                {
                    "number": 2,
                    "activity": "Memeriksa berkas",
                    "role": "petugas",
                    "minutes": 10,
                    "output": "<Berkas>",
                    "actions": [
                        {"kind": "complete"},
                        {"kind": "reject", "label": "Tolak <segera>"},
                    ],
                },
                {
                    "number": 3,
                    "activity": "Menandatangani sebuah dokumen yang sangat " * 6,
                    "role": "kasi",
                    "minutes": 0,
                    "actions": [
                        {"kind": "approve"},
                        {"kind": "return", "to": 2, "label": "Tidak sesuai, kembalikan"},
                    ],
                },
                {
                    "number": 4,
                    "activity": "Menandatangani register",
                    "role": "pemohon",
                    "assisted_by": "petugas",
                    "minutes": 3,
                    "actions": [{"kind": "complete"}],
                },
            ],
        }
    )
    assert not errors, errors
    assert definition is not None
    return definition


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, the point of the test


def step_boxes(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "sop-step" in g.get("class", "").split()]


# --- sheet ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_sheet_has_one_marked_row_per_step(path):
    definition = load(path)
    result = sheet(definition)

    assert isinstance(result, Sheet)
    assert result.title == definition.name
    assert result.step_count == len(definition.steps) == len(result.rows)
    assert [c.code for c in result.columns] == [r.code for r in definition.roles if r.column]
    for row, step in zip(result.rows, definition.steps, strict=True):
        assert row.number == step.number
        assert row.activity == step.activity
        assert len(row.marks) == len(result.columns)
        assert sum(row.marks) == 1, f"step {step.number} needs exactly one mark"
        assert result.columns[row.marks.index(True)].code == step.role
        assert [c.marked for c in row.cells] == list(row.marks)
        assert row.requirements == step.requirements
        assert row.minutes == step.minutes
        assert row.minutes_text == (str(step.minutes) if step.minutes else "-")
    assert result.total_minutes == sum(s.minutes or 0 for s in definition.steps)
    assert result.total_minutes == definition.total_minutes
    assert len(result.side_rows) == len(definition.side_steps)
    if definition.deadline and definition.deadline.get("text"):
        assert result.deadline_text == definition.deadline["text"]


@pytest.mark.parametrize(
    ("name", "steps", "minutes"),
    [
        ("waykanan-kk-baru", 7, 45),
        ("solok-marawa", 7, 18),
        ("metro-dukcapil-siaga", 9, 26),
    ],
)
def test_sheet_totals_match_the_seeds(name, steps, minutes):
    result = sheet(load(ROOT / "layan" / "sop" / "presets" / f"{name}.yaml"))
    assert result.step_count == steps
    assert result.total_minutes == minutes
    assert result.total_minutes_text == str(minutes)


def test_sheet_branches_and_assisted_steps():
    result = sheet(hostile())
    first, second, third, fourth = result.rows

    assert first.returns == ()
    assert second.returns == ("Tolak <segera> → ditolak",)
    assert third.returns == ("Tidak sesuai → 2",)
    assert third.minutes_text == "-"
    # The applicant signs, the counter officer records it: one mark, the helper named.
    assert fourth.marks == (True, False, False)
    assert fourth.assisted_by == 'Petugas "A" & B'
    assert [c.assists for c in fourth.cells] == [False, True, False]
    assert result.deadline_text == ""  # no deadline: due after the total minutes


def test_sheet_side_steps_and_deadline_sentence():
    solok = sheet(load(ROOT / "layan" / "sop" / "presets" / "solok-marawa.yaml"))
    assert [r.key for r in solok.side_rows] == ["data_ganda"]
    assert solok.side_rows[0].role_label == "Administrator Database"
    assert "Administrator Database" not in [c.label for c in solok.columns]
    assert any("→ Administrator Database" in text for text in solok.rows[2].returns)

    keliling = sheet(load(ROOT / "layan" / "sop" / "presets" / "keliling-motor-keliling.yaml"))
    assert keliling.deadline_text == "Maksimal 1 Minggu"
    assert keliling.total_minutes == 0
    assert keliling.total_minutes_text == "-"


def test_wrap_truncates_with_an_ellipsis():
    assert wrap("satu dua tiga", 20, 3) == ["satu dua tiga"]
    lines = wrap("kata " * 40, 12, 3)
    assert len(lines) == 3
    assert lines[-1].endswith("…")
    assert all(len(line) <= 12 for line in lines)
    assert all(len(line) <= 10 for line in wrap("Penandatanganandokumen", 10, 5))


# --- swimlane chart -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_swimlane_svg_is_a_standalone_csp_safe_svg(path):
    definition = load(path)
    svg = swimlane_svg(definition)

    assert svg.startswith("<svg ")
    assert not svg.startswith("<?xml")
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") and root.get("width") and root.get("height")
    assert root.find(f"{SVG}title").text == definition.name

    boxes = step_boxes(root)
    assert [b.get("data-step") for b in boxes] == [str(s.number) for s in definition.steps]
    side = [g for g in root.iter(f"{SVG}g") if g.get("class") == "sop-side-step"]
    assert len(side) == len(definition.side_steps)
    assert len([g for g in root.iter(f"{SVG}g") if g.get("class") == "sop-end"]) == 1
    assert "Selesai" in svg

    # Strict CSP (style-src 'self'): presentation attributes only.
    assert root.find(f".//{SVG}style") is None
    assert all("style" not in element.attrib for element in root.iter())
    assert "<style" not in svg

    # Ids are unique, and the same on every call.
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    assert swimlane_svg(definition) == svg

    # One lane per table column, at least.
    labels = [t for t in root.iter(f"{SVG}text") if t.get("class") == "sop-lane-label"]
    assert len(labels) >= len([r for r in definition.roles if r.column])
    # Boxes go left to right by step number.
    xs = [float(box.find(f"{SVG}rect").get("x")) for box in boxes]
    assert xs == sorted(xs)


def test_swimlane_svg_arrows():
    svg = swimlane_svg(load(ROOT / "layan" / "sop" / "presets" / "waykanan-kk-baru.yaml"))
    root = parse(svg)
    paths = [p for p in root.iter(f"{SVG}path") if "sop-arrow" in p.get("class", "")]
    main = [p for p in paths if "sop-arrow-main" in p.get("class")]
    returns = [p for p in paths if "sop-arrow-return" in p.get("class")]
    assert len(main) == 7  # 1→2 … 6→7 and 7→end
    assert len(returns) == 3  # 3→2, 4→3, 5→4
    assert all(p.get("stroke-dasharray") for p in returns)
    assert not any(p.get("stroke-dasharray") for p in main)
    markers = {m.get("id") for m in root.iter(f"{SVG}marker")}
    for path in paths:
        assert path.get("marker-end")[len("url(#") : -1] in markers


def test_swimlane_svg_escapes_text():
    definition = hostile()
    svg = swimlane_svg(definition)
    root = parse(svg)  # still well-formed

    assert "<script" not in svg
    assert "<b>" not in svg
    assert "&lt;script&gt;" in svg
    assert "&amp; co" in svg
    assert len(step_boxes(root)) == 4
    text = "".join(root.itertext())
    assert "<script>alert(1)</script>" in text  # shown as text, not markup
    assert "…" in text  # the long activity is cut


# --- the _sheet.html fragment -------------------------------------------------------------------


def render_sheet(context: dict) -> str:
    from django.template import TemplateDoesNotExist
    from django.template.loader import render_to_string

    try:
        return render_to_string("console/sop/_sheet.html", context)
    except TemplateDoesNotExist:  # the console app is not installed in these settings
        from django.template import Context, Engine

        engine = Engine(
            dirs=[str(TEMPLATES)],
            builtins=[],
            libraries={"i18n": "django.templatetags.i18n"},
            autoescape=True,
        )
        return engine.get_template("console/sop/_sheet.html").render(Context(context))


def test_sheet_fragment_renders_the_table():
    definition = load(ROOT / "layan" / "sop" / "presets" / "solok-marawa.yaml")
    result = sheet(definition)
    html = render_sheet({"sheet": result})

    assert "{%" not in html and "{{" not in html
    assert result.title in html
    assert "470 / 02 /SOP/DISDUKCAPIL-2022" in html
    assert "Kepala Dinas Kependudukan dan Pencatatan Sipil" in html  # the seed names no one
    for column in result.columns:
        assert f">{column.label}</th>" in html
    assert html.count('class="sop-row"') == 7
    assert html.count('class="sop-mark-sign"') == 7
    assert 'aria-label="' in html
    assert ">18</td>" in html  # total minutes
    assert "sop-side-table" in html and "data_ganda" in html
    assert "Selama jaringan internet dalam kondisi normal" in html
    assert 'style="' not in html and "<style" not in html

    from django.utils import translation

    with translation.override("en"):
        html = render_sheet({"sheet": result})
    for words in ("Activity", "Requirements", "Time (min)", "Output", "Total", "7 steps"):
        assert words in html


def test_sheet_fragment_escapes_text():
    html = render_sheet({"sheet": sheet(hostile())})

    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "<img" not in html
    assert "<u>" not in html and "<i>1</i>" not in html
    assert "&lt;Pemohon&gt;" in html
    assert html.count('class="sop-mark-sign"') == 4
    assert html.count('class="sop-assist-sign"') == 1
    assert "sop-side-table" not in html
