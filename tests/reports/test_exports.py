"""Every report downloads as Excel (openpyxl reads it back) and CSV, with the page's figures,
for the office's readers only."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from openpyxl import load_workbook

from tests.reports.test_complaints import complaints  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

QUERY = {"period": "month", "day": "2026-11-09"}


@pytest.fixture
def kadis(client):
    client.force_login(get_user_model().objects.get(username="waykanan.kadis"))
    return client


@pytest.mark.parametrize("kind", ["rekap", "sla", "complaints", "ikm", "backlog"])
def test_each_report_opens_in_excel_and_as_csv(complaints, kadis, kind):  # noqa: F811
    xlsx = kadis.get(reverse("console:report_export", args=[kind, "xlsx"]), QUERY)
    assert xlsx.status_code == 200 and "attachment" in xlsx["Content-Disposition"]
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    values = [c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row]
    assert (
        "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Way Kanan · 01-11-2026 – 30-11-2026"
        in values
    )
    text = kadis.get(reverse("console:report_export", args=[kind, "csv"]), QUERY)
    rows = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert len(rows) >= 2
    if kind == "complaints":
        codes = {row[0] for row in rows[1:]}
        assert {c.code for c in complaints} <= codes
        assert "Petugas sudah diberi teguran." in values
    if kind == "rekap":
        pengaduan = next(r for r in rows if r and r[0] == "Pengaduan Masyarakat")
        assert pengaduan[1] == "3"  # received


def test_exports_are_for_the_readers_only(complaints, client):  # noqa: F811
    client.force_login(get_user_model().objects.get(username="waykanan.kasi"))
    assert client.get(reverse("console:report_export", args=["sla", "xlsx"])).status_code == 403
    client.force_login(get_user_model().objects.get(username="waykanan.kadis"))
    assert client.get(reverse("console:report_export", args=["nope", "xlsx"])).status_code == 404
    other = client.get(reverse("console:report_export", args=["complaints", "csv"]), QUERY)
    client.force_login(get_user_model().objects.get(username="balangan.kadis"))
    theirs = client.get(reverse("console:report_export", args=["complaints", "csv"]), QUERY)
    assert complaints[0].code in other.content.decode()
    assert complaints[0].code not in theirs.content.decode()


def test_the_api_exports_the_same_tables(complaints, client):  # noqa: F811
    from layan.api.models import ApiToken

    kadis = get_user_model().objects.get(username="waykanan.kadis")
    auth = {"HTTP_AUTHORIZATION": "Bearer " + ApiToken.issue(kadis, "export")[1]}
    path = "/api/v1/offices/waykanan/reports/complaints/export"
    answer = client.get(path, {**QUERY, "format": "csv"}, **auth)
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    assert complaints[1].code in answer.content.decode("utf-8-sig")
    xlsx = client.get(path, QUERY, **auth)
    assert load_workbook(io.BytesIO(xlsx.content), read_only=True).sheetnames == ["Pengaduan"]
    assert client.get(path.replace("complaints", "nope"), QUERY, **auth).status_code == 422
