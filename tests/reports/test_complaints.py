"""Laporan hasil pengaduan: received, by category, answered (within the flow's time), escalated,
answer time median and p90, each complaint with its answer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model

from layan.cases import services as engine
from layan.offices.models import Office, Service
from layan.reports.selectors import Period, complaints_report
from tests.reports.test_sla import MONDAY

pytestmark = pytest.mark.django_db

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
ROLE_OF_STEP = {2: "petugas_aduan", 3: "petugas_aduan", 4: "petugas_aduan",
                5: "tim_penjawab", 6: "pejabat_pengaduan", 7: "petugas_aduan"}  # fmt: skip


def complaint(at, category: str):
    service = Service.objects.get(office__code="waykanan", code="pengaduan")
    return engine.submit_case(
        service=service, actor=engine.Actor.applicant("Rudi"), applicant_name="Rudi",
        form_data={"category": category, "uraian": "Nama di KK salah ketik"}, now=at,
    )  # fmt: skip


def act(case, kind: str, now, note: str = ""):
    case.refresh_from_db()
    number = case.step.number
    user = get_user_model().objects.get(username=f"waykanan.{ROLE_OF_STEP[number]}")
    action = next(a for a in case.step.actions if a.kind == kind)
    engine.perform_action(
        case.code, actor=engine.Actor.staff(user), action=action.id, note=note, now=now
    )


@pytest.fixture
def complaints(presets):
    quick = complaint(MONDAY, "data_error")
    act(quick, "complete", MONDAY + timedelta(minutes=5))
    act(quick, "complete", MONDAY + timedelta(minutes=15), note="Data sudah diperbaiki.")
    hard = complaint(MONDAY + timedelta(hours=1), "service")
    now = MONDAY + timedelta(hours=1)
    act(hard, "complete", now := now + timedelta(minutes=5))
    act(hard, "escalate", now := now + timedelta(minutes=5), note="Perlu Tim Penjawab")
    for _ in range(3):
        act(hard, "complete", now := now + timedelta(minutes=10))
    act(hard, "complete", now + timedelta(minutes=10), note="Petugas sudah diberi teguran.")
    waiting = complaint(MONDAY + timedelta(hours=2), "data_error")
    return quick, hard, waiting


def test_the_complaints_report_counts_answers_escalations_and_times(complaints):
    quick, hard, waiting = complaints
    report = complaints_report(Office.objects.get(code="waykanan"), NOVEMBER)
    assert (report.received, report.answered, report.escalated) == (3, 2, 1)
    assert report.answered_within == 2  # both well inside the flow's deadline
    lines = {line.code: line for line in report.lines}
    assert lines[quick.code].minutes == 15 and lines[quick.code].answer == "Data sudah diperbaiki."
    assert lines[hard.code].minutes == 50 and lines[hard.code].escalated
    assert lines[hard.code].answer == "Petugas sudah diberi teguran."
    assert lines[waiting.code].minutes is None and lines[waiting.code].answer == ""
    assert report.median == 32.5 and report.p90 == pytest.approx(15 + 0.9 * 35)
    assert report.by_category == [("Kesalahan data pada dokumen", 2), ("Pelayanan petugas", 1)]


def test_no_other_office_and_no_other_period(complaints):
    assert complaints_report(Office.objects.get(code="balangan"), NOVEMBER).received == 0
    october = Period(date(2026, 10, 1), date(2026, 10, 31))
    assert complaints_report(Office.objects.get(code="waykanan"), october).received == 0


def test_the_console_and_the_api_show_the_complaints(complaints, client):
    from django.urls import reverse

    from layan.api.models import ApiToken

    quick, hard, _waiting = complaints
    kadis = get_user_model().objects.get(username="waykanan.kadis")
    client.force_login(kadis)
    html = client.get(reverse("console:reports"), {"day": "2026-11-09"}).content.decode()
    section = html[html.index('id="complaints"') : html.index('id="ikm"')]
    assert quick.code in section and "Petugas sudah diberi teguran." in section
    token = "Bearer " + ApiToken.issue(kadis, "complaints")[1]
    body = client.get(
        "/api/v1/offices/waykanan/reports/complaints", {"day": "2026-11-09"},
        HTTP_AUTHORIZATION=token,
    ).json()  # fmt: skip
    assert (body["received"], body["answered"], body["escalated"]) == (3, 2, 1)
    assert body["median_minutes"] == 32.5
