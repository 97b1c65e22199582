"""The backlog and the head of office's summary in the API, and every report's export as PDF: the
same figures as the console, for the office's readers only (401 without a token, 403 for another
role, 404 for another office)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from pypdf import PdfReader

from layan.api.models import ApiToken
from layan.bot.models import SurveyResponse
from layan.offices.models import Office
from layan.reports.selectors import AGE_BUCKETS
from layan.reports.services import snapshot_backlog
from tests.documents.conftest import new_case
from tests.reports.test_sla import MONDAY, kia

pytestmark = pytest.mark.django_db

QUERY = {"period": "month", "day": "2026-11-09"}
PATHS = ["/api/v1/offices/waykanan/reports/backlog", "/api/v1/offices/waykanan/reports/summary"]


def bearer(username: str) -> dict:
    user = get_user_model().objects.get(username=username)
    return {"HTTP_AUTHORIZATION": "Bearer " + ApiToken.issue(user, "reports")[1]}


@pytest.fixture
def open_requests(seeded):
    """Three KIA requests waiting at the printing step (one 5 days old, one 20), a Balangan one,
    and Way Kanan's snapshots of two November days."""
    cases = [
        kia(MONDAY, 3, 8),
        kia(MONDAY - timedelta(days=5), 3, 8),
        kia(MONDAY - timedelta(days=20), 3, 8),
    ]
    new_case("balangan", "kk")
    office = Office.objects.get(code="waykanan")
    snapshot_backlog(office, MONDAY + timedelta(hours=1))
    snapshot_backlog(office, MONDAY + timedelta(days=1))
    return cases


def test_the_backlog_counts_open_requests_by_step_and_age_with_the_trend(client, open_requests):
    answer = client.get(PATHS[0], QUERY, **bearer("waykanan.kabid"))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["office"] == "waykanan"
    assert body["buckets"] == ["0–1", "2–3", "4–7", "8–14", "≥ 15"]
    (step,) = body["steps"]
    assert (step["service"], step["number"], step["total"]) == ("kia-baru", 4, 3)
    assert len(step["counts"]) == len(AGE_BUCKETS) and sum(step["counts"]) == 3
    assert step["service_name"].startswith("Penerbitan Kartu Identitas Anak") and step["step"]
    assert body["total"] == 3
    assert body["trend_period"] == {"start": "2026-11-01", "end": "2026-11-30"}
    assert body["trend"] == [
        {"day": "2026-11-09", "total": 3},
        {"day": "2026-11-10", "total": 3},
    ]
    other = client.get(PATHS[0], {**QUERY, "service": "kk-baru"}, **bearer("waykanan.kabid"))
    assert other.json()["steps"] == [] and other.json()["total"] == 0


def test_the_summary_is_the_head_of_offices_card(client, open_requests):
    done = open_requests[0]
    SurveyResponse.objects.create(
        case=done, office=done.office, service=done.service, submitted_at=MONDAY,
        **{f"u{i}": 4 for i in range(1, 10)},
    )  # fmt: skip
    answer = client.get(PATHS[1], **bearer("waykanan.kadis"))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert set(body) == {
        "office", "at", "intake_today", "overdue_now", "completed_this_month", "ikm_quarter",
    }  # fmt: skip
    assert body["office"] == "waykanan"
    assert body["overdue_now"] == 3  # the KIA flow's deadline passed weeks ago
    assert body["intake_today"] == 0 and body["completed_this_month"] == 0
    # the survey answered on 9 November counts in the fourth quarter (today's)
    assert body["ikm_quarter"] == {
        "respondents": 1, "index": 100.0, "grade": "A", "words": "Sangat Baik",
    }  # fmt: skip


@pytest.mark.parametrize("path", PATHS)
def test_another_role_is_refused_and_another_office_is_not_found(client, open_requests, path):
    assert client.get(path, QUERY).status_code == 401
    refused = client.get(path, QUERY, **bearer("waykanan.kasi"))
    assert refused.status_code == 403 and refused.json()["code"] == "role_required"
    hidden = client.get(path, QUERY, **bearer("balangan.kabid"))
    assert hidden.status_code == 404 and hidden.json()["code"] == "office_not_found"
    theirs = client.get(path.replace("waykanan", "balangan"), QUERY, **bearer("balangan.kabid"))
    assert theirs.status_code == 200 and theirs.json()["office"] == "balangan"
    if path.endswith("backlog"):
        assert theirs.json()["total"] == 1 and theirs.json()["trend"] == []
    nowhere = client.get(path.replace("waykanan", "nowhere"), QUERY, **bearer("waykanan.kabid"))
    assert nowhere.status_code == 404


def test_the_api_exports_each_report_as_pdf_too(client, open_requests):
    path = "/api/v1/offices/waykanan/reports/backlog/export"
    answer = client.get(path, {**QUERY, "format": "pdf"}, **bearer("waykanan.kadis"))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert "laporan-backlog-waykanan-20261101-20261130.pdf" in answer["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    assert "PERMOHONAN BERJALAN" in text and "PEMERINTAH KABUPATEN WAY KANAN" in text
    csv = client.get(path, {**QUERY, "format": "csv"}, **bearer("waykanan.kadis"))
    assert "Penerbitan Kartu Identitas Anak" in csv.content.decode("utf-8-sig")
    assert (
        client.get(path, {**QUERY, "format": "doc"}, **bearer("waykanan.kadis")).status_code == 422
    )
    refused = client.get(path, {**QUERY, "format": "pdf"}, **bearer("waykanan.kasi"))
    assert refused.status_code == 403
    hidden = client.get(path, {**QUERY, "format": "pdf"}, **bearer("balangan.kadis"))
    assert hidden.status_code == 404
