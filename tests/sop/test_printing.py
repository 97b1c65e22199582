"""The printable SOP (``layan.sop.printing``): an A4 PDF whose first page is the identity page
of Permenpan-RB 35/2012 holding the seed's own texts, for every preset, followed by the flow
table with its flowchart (``layan.sop.document.flow_pages``) and the swimlane chart."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest
from pypdf import PdfReader

from layan.sop.definition import IDENTITY_LISTS, IDENTITY_TEXTS, parse_data, read_file
from layan.sop.document import flow_pages, identity_items, identity_page
from layan.sop.printing import css_string, sop_html, sop_pdf
from tests.environment import SEEDS

ROOT = Path(__file__).resolve().parents[2]
PRESETS = sorted((ROOT / "layan" / "sop" / "presets").glob("*.yaml"))
# The seed each office's presets come from (the shared seeds' file name prefixes).
SEED_OF = {"solok": "000", "waykanan": "001", "balangan": "002", "metro": "003", "keliling": "004"}
SVG = "{http://www.w3.org/2000/svg}"


def flat(text: str) -> str:
    return " ".join(text.split())


def seed_words(office: str) -> set[str] | None:
    found = sorted(SEEDS.glob(f"{SEED_OF[office]}_*.txt")) if SEEDS.exists() else []
    if not found:
        return None
    text = unescape(re.sub(r"<[^>]+>", " ", found[0].read_text(encoding="utf-8")))
    return set(re.findall(r"\w+", text))


def identity_texts(definition) -> list[str]:
    """Every text of the identity block: its facts and each entry and bullet of its lists."""
    identity = definition.identity
    texts = [identity[key] for key in IDENTITY_TEXTS if identity.get(key)]
    texts += list(identity.get("unit") or ())
    for key in IDENTITY_LISTS:
        for item in identity_items(identity.get(key) or ()):
            texts += [t for t in (item.text, *item.sub) if t]
    return texts


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_the_identity_page_holds_the_seeds_texts(path):
    definition, errors = read_file(path)
    assert errors == []
    texts = identity_texts(definition)
    assert texts, "every preset names at least its SOP"
    words = seed_words(definition.office)
    if words is not None:  # each text is the seed's own words (the seeds lie beside the repo)
        for text in texts:
            missing = set(re.findall(r"\w+", text)) - words
            assert not missing, f"{path.name}: {text!r} has words the seed lacks: {missing}"
    pdf = PdfReader(io.BytesIO(sop_pdf(definition)))
    first = flat(pdf.pages[0].extract_text())
    for text in texts:
        assert flat(text) in first, f"{path.name}: {text!r} is not on the identity page"
    approver = definition.identity.get("approved_by") or {}
    for value in approver.values():
        if value:
            assert flat(value) in first
    assert len(pdf.pages) >= 3  # the identity page, the flow table, the chart
    assert "KEGIATAN" in pdf.pages[1].extract_text()


def test_the_way_kanan_kia_identity_is_its_seeds_block():
    definition, _ = read_file(ROOT / "layan" / "sop" / "presets" / "waykanan-kia-baru.yaml")
    page = identity_page(definition)
    facts = {code: lines for code, _heading, lines in page.facts}
    assert facts["number"] == ("800/19-a/SOP/DISDUKCAPIL/2022",)
    assert facts["approved_by"] == (
        "Kepala Dinas Kependudukan dan Pencatatan Sipil Kabupaten Way Kanan",
        "Drs. PARYANTO",
        "NIP. 19630804 199203 1 005",
    )
    sections = {s.code: s for pair in page.rows for s in pair}
    assert [i.text for i in sections["related"].items][-1] == "SOP Penerbitan Akta Kelahiran"
    warnings = sections["warnings"].items
    assert len(warnings) == 3 and len(warnings[1].sub) == 2 and len(warnings[2].sub) == 2


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_the_flow_table_pages_are_safe_svg_with_every_step(path):
    definition, _ = read_file(path)
    pages = flow_pages(definition)
    numbers = []
    for svg in pages:
        root = ET.fromstring(svg)  # noqa: S314 - our own output: it must be well formed
        assert root.tag == f"{SVG}svg" and "style" not in svg and "<script" not in svg
        numbers += [int(t.text) for t in root.iter(f"{SVG}text") if t.text and t.text.isdigit()]
    for step in definition.steps:
        assert step.number in numbers


def test_a_long_flow_continues_on_the_next_page_through_an_off_page_connector():
    definition, _ = read_file(ROOT / "layan" / "sop" / "presets" / "waykanan-akta-kelahiran.yaml")
    pages = flow_pages(definition)
    if len(pages) > 1:
        assert "ft-offpage" in pages[0] and "ft-offpage" in pages[1]


def test_texts_of_the_sop_are_escaped_in_the_page_and_the_pdf_header():
    definition, errors = parse_data(
        {
            "format": 1,
            "office": "evil",
            "code": "x",
            "name": "</style><script>alert(1)</script>",
            "identity": {
                "number": '"; } body { display: none } </style>',
                "warnings": ["<b>x</b>"],
            },
            "roles": [
                {"code": "pemohon", "label": "Pemohon", "kind": "applicant"},
                {"code": "petugas", "label": "<i>Petugas</i>", "kind": "staff"},
            ],
            "steps": [
                {
                    "number": 1,
                    "activity": "<img src=x>",
                    "role": "pemohon",
                    "minutes": 1,
                    "intake": True,
                    "actions": [{"kind": "complete"}],
                },
                {
                    "number": 2,
                    "activity": "Periksa",
                    "role": "petugas",
                    "minutes": 2,
                    "actions": [{"kind": "complete"}],
                },
            ],
        }
    )
    assert errors == []
    html = sop_html(definition)
    assert "<script>" not in html and "<img src=x>" not in html and "<b>x</b>" not in html
    assert "</style>" not in css_string(definition.identity["number"])
    assert sop_pdf(definition).startswith(b"%PDF")
