"""The server-drawn SVG charts: well-formed XML, one bar (or column) per value of a known input,
named for screen readers, every text escaped, nothing drawn for nothing."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from layan.reports import charts
from layan.reports.ikm import ikm

SVG = "{http://www.w3.org/2000/svg}"


def parsed(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 (our own markup); raises when it is not well-formed
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("aria-label")
    assert root.find(f"{SVG}title").text == root.get("aria-label")
    assert root.find(f".//{SVG}script") is None and root.find(f".//{SVG}style") is None
    assert all(el.get("style") is None for el in root.iter())  # presentation attributes only
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{SVG}rect"))


def texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def step(number, name, median, standard):
    return SimpleNamespace(number=number, service_name=name, median=median, standard=standard)


def rekap_row(name, received, completed):
    return SimpleNamespace(name=name, received=received, completed=completed)


def test_the_sla_chart_has_one_bar_per_step_and_marks_the_late_ones():
    steps = [step(2, "KIA", 20.0, 5), step(3, "KIA", 8.0, 10), step(1, "KK", 0.5, None)]
    root = parsed(charts.sla_chart(steps))
    assert [b.get("fill") for b in bars(root)] == [charts.LATE, charts.BAR, charts.BAR]
    assert len(root.findall(f"{SVG}line")) == 2  # a standard tick for the steps that have one


def test_the_rekap_chart_draws_received_and_completed_side_by_side_per_service():
    rows = [rekap_row("Kartu Keluarga", 12, 9), rekap_row("Akta", 0, 0), rekap_row("KIA", 3, 0)]
    root = parsed(charts.rekap_chart(rows))
    drawn = bars(root)
    assert len(drawn) == 4  # two services with requests, two bars each; "Akta" left out
    assert [b.find(f"{SVG}title").text.split(": ")[1] for b in drawn] == ["12", "9", "3", "0"]
    assert [b.get("fill") for b in drawn[:2]] == [charts.BAR, charts.DONE]
    assert "Kartu Keluarga" in texts(root) and "Akta" not in texts(root)
    assert len(root.findall(f"{SVG}circle")) == 2  # the legend


def test_the_channel_and_complaint_charts_have_one_bar_per_row():
    channels = [("whatsapp", "WhatsApp", 14), ("counter", "Loket", 5), ("field", "Lapangan", 1)]
    root = parsed(charts.channel_chart(channels))
    assert len(bars(root)) == 3 and {"WhatsApp", "Loket", "Lapangan"} <= set(texts(root))
    widths = [float(b.get("width")) for b in bars(root)]
    assert widths[0] > widths[1] > widths[2] > 0  # proportional to the counts
    categories = [("Pelayanan petugas", 4), ("Kesalahan data", 2)]
    assert len(bars(parsed(charts.complaints_chart(categories)))) == 2


def test_the_ikm_chart_has_one_column_per_answered_element_and_the_weakest_in_red():
    # U1..U8 average 3.5, U9 3.0 (the weakest)
    result = ikm([[4] * 9, [3, 3, 3, 3, 3, 3, 3, 3, 2]])
    root = parsed(charts.ikm_chart(result))
    drawn = bars(root)
    assert len(drawn) == 9
    assert [b.get("fill") for b in drawn].count(charts.LATE) == 1
    assert drawn[8].get("fill") == charts.LATE
    assert [f"U{i}" for i in range(1, 10)] == [t for t in texts(root) if re.fullmatch(r"U\d", t)]
    heights = [float(b.get("height")) for b in drawn]
    assert heights[0] > heights[8] > 0  # 3.5 stands higher than 3.0 on the 1–4 scale
    # an element nobody answered has no column
    skipped = ikm([[4, 4, 4, 4, 4, 4, 4, 4, None]])
    assert len(bars(parsed(charts.ikm_chart(skipped)))) == 8


def test_the_backlog_trend_has_one_column_per_day():
    start = date(2026, 11, 1)
    trend = [(start + timedelta(days=i), total) for i, total in enumerate([5, 8, 0, 13])]
    root = parsed(charts.backlog_trend_chart(trend))
    drawn = bars(root)
    assert len(drawn) == 4
    assert drawn[1].find(f"{SVG}title").text == "02-11-2026: 8"
    assert float(drawn[2].get("height")) == 0
    assert {"01-11", "04-11", "13"} <= set(texts(root))  # first and last day, the highest count


@pytest.mark.parametrize(
    "chart, empty",
    [
        (charts.sla_chart, []),
        (charts.rekap_chart, []),
        (charts.rekap_chart, [rekap_row("KK", 0, 0)]),
        (charts.channel_chart, []),
        (charts.complaints_chart, []),
        (charts.backlog_trend_chart, []),
        (charts.ikm_chart, ikm([])),
    ],
)
def test_no_figures_draw_no_chart(chart, empty):
    assert chart(empty) == ""


def test_every_text_is_escaped():
    evil = '<script>alert("x")</script> & Co'
    svgs = [
        charts.sla_chart([step(1, evil, 3.0, 2)]),
        charts.rekap_chart([rekap_row(evil, 2, 1)]),
        charts.channel_chart([("api", evil, 2)]),
        charts.complaints_chart([(evil, 1)]),
    ]
    for svg in svgs:
        assert "<script" not in svg and "&lt;script&gt;" in svg
        root = parsed(svg)  # still well-formed
        assert any("<script>" in t or "&" in t for t in texts(root))
