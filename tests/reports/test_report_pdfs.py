"""Each report alone as an A4 PDF (pypdf reads it): the office's letterhead, the report's title,
the period, the service filter, its tables and its charts; for the office's readers only (the
API's export: tests/reports/test_report_api.py)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from layan.bot.models import SurveyResponse
from layan.offices.models import Office
from layan.reports import pdf, sections, selectors
from layan.reports.services import snapshot_backlog
from tests.reports.test_complaints import NOVEMBER, complaints  # noqa: F401 (fixture)
from tests.reports.test_sla import MONDAY, kia

pytestmark = pytest.mark.django_db

QUERY = {"period": "month", "day": "2026-11-09"}
KINDS = ["rekap", "sla", "complaints", "ikm", "backlog"]


@pytest.fixture
def november(complaints):  # noqa: F811
    """The three complaints, a KIA request with a survey answer, two daily backlog snapshots."""
    quick, *_rest = complaints
    done = kia(MONDAY + timedelta(hours=3), 3, 8)
    SurveyResponse.objects.create(
        case=done, office=done.office, service=done.service, submitted_at=MONDAY,
        **{f"u{i}": v for i, v in enumerate([4, 4, 3, 4, 4, 3, 4, 4, 2], start=1)},
    )  # fmt: skip
    office = Office.objects.get(code="waykanan")
    snapshot_backlog(office, MONDAY + timedelta(hours=4))
    snapshot_backlog(office, MONDAY + timedelta(days=1))
    return complaints


def text_of(body: bytes) -> str:
    """The PDF's text, its lines joined by single spaces (a table cell wraps its words)."""
    pages = PdfReader(io.BytesIO(body)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


@pytest.fixture
def kabid(client):
    client.force_login(get_user_model().objects.get(username="waykanan.kabid"))
    return client


@pytest.mark.parametrize("kind", KINDS)
def test_each_report_is_a_pdf_with_the_letterhead_the_period_and_its_tables(november, kabid, kind):
    answer = kabid.get(reverse("console:report_export", args=[kind, "pdf"]), QUERY)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    assert f"laporan-{kind}-waykanan-20261101-20261130.pdf" in answer["Content-Disposition"]
    text = text_of(answer.content)
    assert "PEMERINTAH KABUPATEN WAY KANAN" in text
    assert pdf.TITLES[kind].upper() in text.upper()
    assert "1 November 2026 – 30 November 2026" in text
    quick, hard, waiting = november
    expected = {
        "rekap": ["Pengaduan Masyarakat", "Menurut kecamatan", "Layanan: semua layanan"],
        "sla": ["Per peran", "Per petugas", "Sesuai standar"],
        "complaints": [quick.code, "Petugas sudah diberi teguran.", "semua layanan pengaduan"],
        "ikm": ["Penerbitan Kartu Identitas Anak", "unsur terendah U9"],
        "backlog": ["permohonan berjalan", "10-11"],
    }[kind]
    for words in expected:
        assert words in text, words


@pytest.mark.parametrize(
    "kind, charts",
    [
        ("rekap", 2),  # per service, by channel
        ("sla", 1),
        ("complaints", 1),
        ("ikm", 1),
        ("backlog", 1),
    ],
)
def test_each_report_pdf_carries_the_pages_charts(november, kind, charts):
    office = Office.objects.get(code="waykanan")
    period = selectors.period_of("month", MONDAY.date())
    html = pdf.report_html(kind, office, period)
    assert html.count("<svg") == charts
    # the very same SVG as the console page draws
    page = sections.context(kind, office, period, "", timezone.now())
    svgs = [value for name, value in page.items() if name.endswith("_chart") and value]
    assert len(svgs) == charts and all(svg in html for svg in svgs)


def test_the_pdf_follows_the_service_filter(november, kabid):
    query = {**QUERY, "service": "kia-baru"}

    def report(kind):
        return text_of(
            kabid.get(reverse("console:report_export", args=[kind, "pdf"]), query).content
        )

    rekap = report("rekap")
    assert "Layanan: Penerbitan Kartu Identitas Anak" in rekap
    assert "Pengaduan Masyarakat" not in rekap
    ikm = report("ikm")
    assert "IKM Penerbitan Kartu Identitas Anak" in ikm


def test_the_report_page_links_each_pdf_and_draws_the_charts(november, kabid):
    html = kabid.get(reverse("console:reports"), QUERY).content.decode()
    for kind in KINDS:
        assert reverse("console:report_export", args=[kind, "pdf"]) + "?" in html
        assert reverse("console:report_export", args=[kind, "xlsx"]) + "?" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 6


def test_the_pdfs_are_for_the_offices_readers_only(november, client):
    path = reverse("console:report_export", args=["complaints", "pdf"])
    client.force_login(get_user_model().objects.get(username="waykanan.kasi"))
    assert client.get(path, QUERY).status_code == 403
    client.force_login(get_user_model().objects.get(username="balangan.kadis"))
    theirs = client.get(path, QUERY)
    assert theirs.status_code == 200
    text = text_of(theirs.content)
    assert "PEMERINTAH KABUPATEN BALANGAN" in text and november[0].code not in text


def test_the_laporan_is_made_of_the_same_sections(november):
    office = Office.objects.get(code="waykanan")
    html = pdf.laporan_html(office, NOVEMBER)
    assert "1. Rekap penerbitan" in html and "2. Waktu pelayanan per langkah" in html
    assert "3. Hasil pengaduan" in html and "4. Indeks Kepuasan Masyarakat" in html
    assert html.count("<svg") == 4  # rekap, SLA, complaints, IKM
