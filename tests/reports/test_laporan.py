"""The monthly Laporan: a PDF with the office's letterhead and the period's figures (pypdf reads
the text), signed by the head of office with the document signing (PAdES)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from pypdf import PdfReader

from layan.offices.models import Office
from layan.reports import charts, selectors
from tests.reports.test_complaints import complaints  # noqa: F401 (fixture)
from tests.signing import PASSPHRASE, give_key

pytestmark = pytest.mark.django_db

QUERY = {"period": "month", "day": "2026-11-09"}


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_laporan_holds_the_letterhead_and_the_periods_figures(complaints, client):  # noqa: F811
    client.force_login(get_user_model().objects.get(username="waykanan.kabid"))
    answer = client.get(reverse("console:laporan"), QUERY)
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    text = text_of(answer.content)
    assert "PEMERINTAH KABUPATEN WAY KANAN" in text
    assert "1 November 2026 – 30 November 2026" in text
    assert "Pengaduan Masyarakat" in text and "3 pengaduan diterima, 2 dijawab" in text


def test_the_head_of_office_signs_the_laporan(complaints, client):  # noqa: F811
    office = Office.objects.get(code="waykanan")
    kadis = get_user_model().objects.get(username="waykanan.kadis")
    give_key(kadis, office)
    client.force_login(kadis)
    page = client.get(reverse("console:reports"), QUERY).content.decode()
    assert 'name="passphrase"' in page  # the signing form, for a key holder
    wrong = client.post(reverse("console:laporan"), {**QUERY, "passphrase": "salah"})
    assert wrong.status_code == 302  # back to the page with the error; nothing signed
    signed = client.post(reverse("console:laporan"), {**QUERY, "passphrase": PASSPHRASE})
    assert signed.status_code == 200
    reader = PdfReader(io.BytesIO(signed.content))
    assert reader.get_fields() and any(
        f.get("/FT") == "/Sig" for f in reader.get_fields().values()
    )  # a signature field
    assert "-ttd.pdf" in signed["Content-Disposition"]


def test_a_reader_without_a_key_sees_no_signing_form(complaints, client):  # noqa: F811
    client.force_login(get_user_model().objects.get(username="waykanan.kabid"))
    assert 'name="passphrase"' not in client.get(reverse("console:reports"), QUERY).content.decode()
    client.force_login(get_user_model().objects.get(username="waykanan.kasi"))
    assert client.get(reverse("console:laporan"), QUERY).status_code == 403


def test_the_chart_draws_one_bar_per_step_and_marks_the_late_ones(complaints):  # noqa: F811
    office = Office.objects.get(code="waykanan")
    report = selectors.sla_report(
        office, selectors.period_of("month", complaints[0].created_at.date())
    )
    svg = charts.sla_chart(report.steps)
    bars = svg.count("<rect")
    assert svg.startswith("<svg") and bars == min(
        10, len([f for f in report.steps if f.median is not None])
    )
    assert svg.count(f'fill="{charts.LATE}"') == sum(
        1 for f in report.steps[:10] if f.standard is not None and f.median > f.standard
    )
    assert charts.sla_chart([]) == ""
