"""Rekap penerbitan: a known history counted per service, outcome, channel, submitter,
kecamatan and desa; nothing of another office or outside the period."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from layan.bot import intake
from layan.cases import services as engine
from layan.offices.models import Office, Service
from layan.registry.models import Region
from layan.reports.selectors import Period, period_of, rekap
from tests.documents.conftest import new_case, officer, walk_to
from tests.signing import document_work

pytestmark = pytest.mark.django_db

WAY_KANAN_NIK = "1808014501150001"  # Blambangan Umpu (18.08.01)
OTHER_DISTRICT_NIK = "1808025203900002"  # 18.08.02


@pytest.fixture
def history(seeded):
    Region.objects.bulk_create([
        Region(code="18.08.01", name="Blambangan Umpu", level=3),
        Region(code="18.08.02", name="Kasui", level=3),
    ])  # fmt: skip
    user = officer("waykanan")
    kia = Service.objects.get(office__code="waykanan", code="kia-baru")
    # 1. A KIA taken at the counter, printed, handed over and completed.
    done = intake.take_request(
        service=kia, user=user, channel="counter", applicant_name="Ani",
        applicant_nik=WAY_KANAN_NIK,
    )  # fmt: skip
    walk_to(done, "handover")
    document_work(done, user)
    done.refresh_from_db()
    finish = next(a for a in engine.allowed_actions(done, engine.Actor.staff(user)))
    engine.perform_action(done.code, actor=engine.Actor.staff(user), action=finish.id)
    # 2. A KIA in the field, rejected.
    rejected = intake.take_request(
        service=kia, user=user, channel="field", applicant_name="Budi",
        applicant_nik=OTHER_DISTRICT_NIK, intake_place="Kampung Gunung Sari",
    )  # fmt: skip
    engine.perform_action(
        rejected.code, actor=engine.Actor.staff(user), action="reject", note="Bukan warga"
    )
    # 3. A KK submitted by an integration, signed, still open at the pick-up step.
    kk = new_case("waykanan", "kk-baru")
    walk_to(kk, "sign")
    document_work(kk, user)
    # 4. Another office's request: never in Way Kanan's figures.
    new_case("balangan", "kk")
    return done, rejected, kk


def this_month() -> Period:
    return period_of("month", timezone.localdate(timezone=Office.objects.get(code="waykanan").tz))


def test_a_known_history_is_counted_per_service_and_outcome(history):
    report = rekap(Office.objects.get(code="waykanan"), this_month())
    rows = {row.service: row for row in report.rows}
    kia, kk = rows["kia-baru"], rows["kk-baru"]
    assert (kia.received, kia.completed, kia.rejected, kia.open) == (2, 1, 1, 0)
    assert (kia.printed, kia.handed_over, kia.issued) == (1, 1, 0)
    assert (kk.received, kk.open, kk.issued, kk.revoked) == (1, 1, 1, 0)
    assert report.total.received == 3 and report.total.issued == 1
    others = [row for code, row in rows.items() if code not in ("kia-baru", "kk-baru")]
    assert all(row.received == 0 for row in others)


def test_requests_are_counted_by_channel_submitter_kecamatan_and_desa(history):
    report = rekap(Office.objects.get(code="waykanan"), this_month())
    assert {code: n for code, _label, n in report.by_channel} == {
        "counter": 1,
        "field": 1,
        "api": 1,
    }  # fmt: skip  (an officer's submission through the engine alone counts as an integration)
    assert {code: n for code, _label, n in report.by_submitter} == {
        "staff": 2,
        "field_officer": 1,
    }  # new_case submits as staff on the applicant's behalf
    districts = {code: (name, n) for code, name, n in report.by_district}
    assert districts["18.08.01"] == ("Blambangan Umpu", 1)
    assert districts["18.08.02"] == ("Kasui", 1)
    assert districts["63.11.01"] == ("", 1)  # a NIK of a region the table does not hold
    # the desa typed at the data-entry step of the two requests that had one
    assert report.by_village == [("Contoh Desa/Kelurahan", 2)]


def test_one_service_and_another_period(history):
    office = Office.objects.get(code="waykanan")
    only_kk = rekap(office, this_month(), service="kk-baru")
    assert [row.service for row in only_kk.rows] == ["kk-baru"] and only_kk.total.received == 1
    empty = rekap(office, Period(date(2020, 1, 1), date(2020, 1, 31)))
    assert empty.total.received == 0 and empty.by_channel == [] and empty.by_district == []


def test_the_console_and_the_api_show_the_rekap(history, client):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from layan.api.models import ApiToken

    kabid = get_user_model().objects.get(username="waykanan.kabid")
    client.force_login(kabid)
    page = client.get(reverse("console:reports"))
    html = page.content.decode()
    rekap_html = html[html.index('id="rekap"') : html.index('id="sla"')]
    assert "Penerbitan Kartu Identitas Anak" in rekap_html and "Blambangan Umpu" in rekap_html
    token = "Bearer " + ApiToken.issue(kabid, "rekap")[1]
    body = client.get("/api/v1/offices/waykanan/reports/rekap", HTTP_AUTHORIZATION=token).json()
    kia = next(row for row in body["services"] if row["service"] == "kia-baru")
    assert (kia["received"], kia["completed"], kia["rejected"]) == (2, 1, 1)
    assert {c["code"]: c["count"] for c in body["by_channel"]} == {
        "counter": 1, "field": 1, "api": 1,
    }  # fmt: skip
