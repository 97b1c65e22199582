"""The SLA report against Mutu Baku, from the passages the engine's events leave behind."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from layan.cases import services as engine
from layan.offices.models import Office, Service
from layan.reports.models import StepPassage
from layan.reports.selectors import Period, percentile, period_of, sla_report
from tests.filling import data_for

pytestmark = pytest.mark.django_db

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY = datetime(2026, 11, 9, 8, 0, tzinfo=JAKARTA)
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))


def staff(username: str) -> engine.Actor:
    return engine.Actor.staff(get_user_model().objects.get(username=username))


def kia(submitted: datetime, operator_minutes: int, kasi_minutes: int, office="waykanan"):
    """A KIA request: the operator approves after ``operator_minutes``, the Kasi after
    ``kasi_minutes`` more (wall minutes inside one working morning)."""
    service = Service.objects.get(office__code=office, code="kia-baru")
    case = engine.submit_case(
        service=service, actor=engine.Actor.applicant("Ani"), applicant_name="Ani",
        applicant_nik="1808014501150001", now=submitted,
    )  # fmt: skip
    now = submitted
    for username, minutes in (
        (f"{office}.operator_online", operator_minutes),
        (f"{office}.kasi", kasi_minutes),
    ):
        case.refresh_from_db()
        now += timedelta(minutes=minutes)
        engine.perform_action(
            case.code, actor=staff(username), action="approve",
            data=data_for(case, "approve"), now=now,
        )  # fmt: skip
    return case


@pytest.fixture
def history(presets):
    """Three KIA requests at Way Kanan on one Monday morning."""
    return [
        kia(MONDAY, 3, 8),  # operator within 5, Kasi within 10
        kia(MONDAY + timedelta(hours=1), 20, 30),  # both over their standard
        kia(MONDAY + timedelta(hours=2), 4, 12),  # operator within, Kasi over
    ]


def figures(report, step_number):
    return next(f for f in report.steps if f.service == "kia-baru" and f.number == step_number)


def test_each_step_counts_its_passages_with_median_p90_and_share_within(history):
    report = sla_report(Office.objects.get(code="waykanan"), NOVEMBER)
    operator = figures(report, 2)
    assert operator.standard == 5 and operator.passed == 3
    assert operator.histogram == {"3": 1, "4": 1, "20": 1}
    assert operator.median == 4 and operator.p90 == pytest.approx(4 + 0.8 * 16)
    assert operator.within_share == pytest.approx(2 / 3)
    kasi = figures(report, 3)
    assert kasi.histogram == {"8": 1, "12": 1, "30": 1} and kasi.within_share == pytest.approx(
        1 / 3
    )
    # Slowest first: the Kasi's median 12 is 1.2× its 10 minutes, the operator's 4 is 0.8×.
    order = [f.number for f in report.steps if f.service == "kia-baru"]
    assert order.index(3) < order.index(2)
    roles = {g.key: g for g in report.roles}
    assert roles["operator_online"].passed == 3 and roles["kasi"].passed == 3
    users = get_user_model().objects.filter(
        username__in=["waykanan.operator_online", "waykanan.kasi"]
    )
    assert {g.key for g in report.officers} == {str(u.pk) for u in users}
    assert {g.label for g in report.officers} == {u.get_full_name() for u in users}


def test_the_waits_on_the_applicant_are_not_counted_against_the_step(presets):
    service = Service.objects.get(office__code="waykanan", code="kia-baru")
    case = engine.submit_case(
        service=service, actor=engine.Actor.applicant("Ani"), applicant_name="Ani", now=MONDAY
    )
    operator = staff("waykanan.operator_online")
    step = case.step
    ask = next(a for a in step.actions if a.kind == "request_documents")
    engine.perform_action(
        case.code, actor=operator, action=ask.id, note="Foto akta buram",
        data={"items": []}, now=MONDAY + timedelta(minutes=2),
    )  # fmt: skip
    engine.documents_received(
        case.code, actor=engine.Actor.applicant(), now=MONDAY + timedelta(days=1)
    )
    case.refresh_from_db()
    engine.perform_action(
        case.code, actor=operator, action="approve", data=data_for(case, "approve"),
        now=MONDAY + timedelta(days=1, minutes=3),
    )  # fmt: skip
    passage = StepPassage.objects.get(case=case, step_number=2)
    assert passage.working_minutes == 5  # 2 before the wait, 3 after it
    assert passage.waited_minutes == pytest.approx(8.5 * 60 - 2)  # the rest of Monday 07.30–16.00


def test_rebuilding_the_passages_gives_the_same_rows(history):
    def rows():
        return sorted(
            StepPassage.objects.values_list(
                "case_id", "step", "entered_at", "left_at", "working_minutes", "left_by_id"
            )
        )

    before = rows()
    assert len(before) == 9  # the applicant's step (passed at submission), operator, Kasi
    call_command("reports", "backfill")
    call_command("reports", "backfill", "--office", "waykanan")
    assert rows() == before


def test_another_offices_requests_are_not_in_the_report(history):
    kia(MONDAY, 1, 1, office="waykanan")  # one more at Way Kanan
    balangan = Office.objects.get(code="balangan")
    assert sla_report(balangan, NOVEMBER).steps == []
    assert figures(sla_report(Office.objects.get(code="waykanan"), NOVEMBER), 2).passed == 4


def test_a_period_outside_the_history_is_empty(history):
    october = period_of("month", date(2026, 10, 15))
    assert october == Period(date(2026, 10, 1), date(2026, 10, 31))
    assert sla_report(Office.objects.get(code="waykanan"), october).steps == []


@pytest.mark.parametrize(
    ("kind", "day", "start", "end"),
    [
        ("day", date(2026, 2, 28), date(2026, 2, 28), date(2026, 2, 28)),
        ("week", date(2026, 12, 2), date(2026, 11, 30), date(2026, 12, 6)),
        ("month", date(2026, 2, 10), date(2026, 2, 1), date(2026, 2, 28)),
        ("month", date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31)),
        ("quarter", date(2026, 11, 5), date(2026, 10, 1), date(2026, 12, 31)),
        ("year", date(2026, 6, 1), date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_periods_in_the_calendar(kind, day, start, end):
    assert period_of(kind, day) == Period(start, end)


def test_percentiles_interpolate_between_ranks():
    assert percentile([], 50) is None
    assert percentile([7], 90) == 7
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10, 20, 30, 40, 50], 90) == 46
