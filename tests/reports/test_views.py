"""The reports in the console and the API: readable by the office's supervisor, administrator,
head of office and head of division, by no other role, and never across offices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from layan.api.models import ApiToken
from layan.bot.models import SurveyResponse
from tests.reports.test_sla import MONDAY, kia

pytestmark = pytest.mark.django_db


@pytest.fixture
def november(presets):
    cases = [kia(MONDAY, 3, 8), kia(MONDAY, 20, 30)]
    for case, answers in zip(cases, ([4] * 9, [3, 3, 3, 3, 3, 3, 3, 3, 2]), strict=True):
        SurveyResponse.objects.create(
            case=case, office=case.office, service=case.service, submitted_at=MONDAY,
            **{f"u{i}": v for i, v in enumerate(answers, start=1)},
        )  # fmt: skip
    return cases


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def bearer(username: str) -> dict:
    user = get_user_model().objects.get(username=username)
    return {"HTTP_AUTHORIZATION": "Bearer " + ApiToken.issue(user, "reports")[1]}


REPORT = {"period": "month", "day": "2026-11-09"}


@pytest.mark.parametrize(
    "username", ["waykanan.kabid", "waykanan.kadis", "waykanan.supervisor", "waykanan.admin"]
)
def test_the_readers_see_the_sla_and_the_ikm(november, username):
    page = signed_in(username).get(reverse("console:reports"), REPORT)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/console/reports/"' in html  # in the navigation
    assert "Penerbitan Kartu Identitas Anak" in html
    # IKM: U1..U8 (4+3)/2 = 3.5, U9 (4+2)/2 = 3.0 → (8 × 3.5 + 3.0) / 9 × 25 = 86.11, grade B
    assert "86,11" in html and "Baik" in html and "U9" in html


def test_another_role_is_refused_and_sees_no_link(november):
    client = signed_in("waykanan.kasi")
    assert client.get(reverse("console:reports"), REPORT).status_code == 403
    assert 'href="/console/reports/"' not in client.get(reverse("console:home")).content.decode()


def test_the_api_gives_the_same_figures(client, november):
    answer = client.get("/api/v1/offices/waykanan/reports/sla", REPORT, **bearer("waykanan.kabid"))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["period"] == {"start": "2026-11-01", "end": "2026-11-30"}
    operator = next(s for s in body["steps"] if s["service"] == "kia-baru" and s["number"] == 2)
    assert operator["passed"] == 2 and operator["median_minutes"] == 11.5
    assert operator["standard_minutes"] == 5 and operator["within_standard"] == 0.5
    ikm = client.get("/api/v1/offices/waykanan/reports/ikm", REPORT, **bearer("waykanan.kabid"))
    total = ikm.json()["total"]
    assert total["index"] == 86.11 and total["grade"] == "B" and total["weakest_element"] == 9
    assert total["respondents"] == 2


def test_the_api_refuses_another_role_and_hides_another_office(client, november):
    path = "/api/v1/offices/waykanan/reports/sla"
    assert client.get(path, REPORT, **bearer("waykanan.kasi")).status_code == 403
    assert client.get(path, REPORT, **bearer("balangan.kabid")).status_code == 404
    assert client.get(path, REPORT).status_code == 401
    bad = client.get(path, {"period": "decade"}, **bearer("waykanan.kabid"))
    assert bad.status_code == 422


def test_another_offices_reader_sees_only_their_own(november):
    page = signed_in("balangan.kabid").get(reverse("console:reports"), REPORT)
    assert page.status_code == 200
    assert "Penerbitan Kartu Identitas Anak" not in page.content.decode()


def test_the_request_page_shows_its_time_per_step_beside_the_standard(november):
    from django.utils import timezone

    from layan.reports.selectors import timeline

    slow = november[1]  # the operator took 20 minutes against 5, the Kasi 30 against 10
    rows = timeline(slow, timezone.now())
    done = [(r.number, r.minutes, r.standard, r.over) for r in rows if r.left_at is not None]
    assert done == [(1, 0.0, 2, False), (2, 20.0, 5, True), (3, 30.0, 10, True)]
    assert rows[-1].left_at is None and rows[-1].number == 4  # where it rests now
    page = signed_in("waykanan.kasi").get(reverse("console:case", args=[slow.code]))
    html = page.content.decode()
    timeline_html = html[html.index('id="timeline"') : html.index('id="history"')]
    # the two steps over their standard, and the step it has rested at since that Monday
    assert timeline_html.count('class="late"') == 3


def test_the_head_of_office_sees_the_office_at_a_glance(november):
    from layan.offices.models import Office
    from layan.reports.selectors import head_card

    card = head_card(Office.objects.get(code="waykanan"), MONDAY + timedelta(hours=5))
    assert card.intake_today == 2 and card.completed_this_month == 0
    assert card.ikm_quarter.index == 86.11
    page = signed_in("waykanan.kadis").get(reverse("console:home")).content.decode()
    assert 'id="head-card"' in page
    assert (
        'id="head-card"'
        not in signed_in("waykanan.kasi").get(reverse("console:home")).content.decode()
    )


def test_a_reader_of_several_offices_compares_them_and_no_other(november):
    from layan.offices.models import Role, StaffRole

    kabid = get_user_model().objects.get(username="waykanan.kabid")
    StaffRole.objects.create(
        user=kabid, role=Role.objects.get(office__code="balangan", code="kabid")
    )
    StaffRole.objects.create(user=kabid, role=Role.objects.get(office__code="metro", code="kasi"))
    html = signed_in("waykanan.kabid").get(reverse("console:reports"), REPORT).content.decode()
    section = html[html.index('id="compare"') : html.index('id="laporan"')]
    assert "Way Kanan" in section and "Balangan" in section
    assert "Metro" not in section  # a kasi there does not read its reports
    assert signed_in("waykanan.kasi").get(reverse("console:reports"), REPORT).status_code == 403
