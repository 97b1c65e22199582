"""The rollups: every report read from them equals the same report read from the raw rows, over
any history, any fill schedule and any period; filling is idempotent and resumable; a change to
a day already filled marks it stale and the next fill repairs it; percentiles of the stored
histograms are the percentiles of the binned minutes."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from layan.bot.models import SurveyResponse
from layan.cases import services as engine
from layan.cases.models import Status
from layan.offices.models import Office, Service
from layan.reports import rollups, selectors
from layan.reports.models import FillState, Grain, IntakeRollup, StaleDay, StepRollup
from layan.reports.selectors import Period, percentile
from tests.filling import data_for

JAKARTA = ZoneInfo("Asia/Jakarta")
START = datetime(2026, 10, 5, 7, 0, tzinfo=JAKARTA)  # a Monday
END = START + timedelta(days=40)
SERVICES = ["waykanan:kia-baru", "waykanan:pengaduan", "balangan:kk", "waykanan:kk-baru"]

requests = st.lists(
    st.tuples(
        st.sampled_from(SERVICES),
        st.integers(0, 30 * 24 * 60),  # minutes after START (nights and weekends too)
        st.sampled_from(["whatsapp", "counter", "field"]),
        st.lists(  # the moves: hours after the previous one, and which action
            st.tuples(st.integers(1, 96), st.sampled_from(["forward", "back", "side", "reject"])),
            max_size=5,
        ),
        st.one_of(st.none(), st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=9,
                                      max_size=9)),  # a survey once completed
        st.sampled_from(["1808010101900001", "1808024101950002", "6311010101800003", ""]),
    ),
    max_size=7,
)  # fmt: skip
fills = st.lists(st.integers(0, 38 * 24), max_size=4)  # hours after START the worker runs


def officer(office: str):
    return engine.Actor.staff(get_user_model().objects.get(username=f"{office}.semua"))


def pick(case, actor, wanted: str):
    """The action a random officer takes: forward, back (return), side (escalate) or reject."""
    kinds = {
        "forward": ("complete", "approve"), "back": ("return",), "side": ("escalate",),
        "reject": ("reject",),
    }[wanted]  # fmt: skip
    actions = [a for a in engine.allowed_actions(case, actor) if a.kind in kinds]
    if not actions and wanted != "forward":
        actions = [
            a for a in engine.allowed_actions(case, actor) if a.kind in ("complete", "approve")
        ]
    return actions[0] if actions else None


def build(history, fill_hours):
    """Run the history through the engine and the fills at their times, in time order."""
    operations = []
    for index, (key, minute, channel, moves, survey, nik) in enumerate(history):
        at = START + timedelta(minutes=minute)
        operations.append((at, 0, index, ("submit", key, channel, nik)))
        for hours, wanted in moves:
            at += timedelta(hours=hours)
            operations.append((at, 1, index, ("move", wanted)))
        if survey is not None:
            operations.append((at + timedelta(hours=1), 2, index, ("survey", survey)))
    for hours in fill_hours:
        operations.append((START + timedelta(hours=hours), 3, -1, ("fill",)))
    cases = {}
    for at, _order, index, op in sorted(operations, key=lambda o: o[:3]):
        if op[0] == "fill":
            rollups.fill_all(now=at)
        elif op[0] == "submit":
            _kind, key, channel, nik = op
            office, code = key.split(":")
            service = Service.objects.get(office__code=office, code=code)
            form = (
                {"category": "data_error", "uraian": "Salah ketik"} if service.is_complaint else {}
            )
            cases[index] = engine.submit_case(
                service=service, actor=engine.Actor.applicant("Warga"), applicant_name="Warga",
                applicant_nik=nik, channel=channel, form_data=form, now=at,
            )  # fmt: skip
        elif op[0] == "move":
            case = cases[index]
            case.refresh_from_db()
            if not case.is_open or case.step.document:
                continue
            actor = officer(case.office.code)
            action = pick(case, actor, op[1])
            if action is None:
                continue
            engine.perform_action(
                case.code, actor=actor, action=action.id, data=data_for(case, action.kind),
                note="Catatan petugas" if action.note_required else "", now=at,
            )  # fmt: skip
        elif op[0] == "survey":
            case = cases[index]
            case.refresh_from_db()
            if case.status == Status.COMPLETED and not hasattr(case, "survey"):
                SurveyResponse.objects.create(
                    case=case, office_id=case.office_id, service_id=case.service_id,
                    submitted_at=at, **{f"u{i}": v for i, v in enumerate(op[1], start=1)},
                )  # fmt: skip
    return cases


def every_report(office: Office, period: Period):
    return (
        selectors.rekap(office, period),
        selectors.sla_report(office, period),
        selectors.ikm_report(office, period),
        selectors.complaints_report(office, period, limit=None),
        selectors.compare_offices([office], period),
    )


def periods(first: int, length: int) -> list[Period]:
    days = [START.date() + timedelta(days=d) for d in range(-1, 41)]
    start = START.date() + timedelta(days=first)
    return [
        *(Period(day, day) for day in days[::3]),
        selectors.period_of("week", START.date() + timedelta(days=8)),
        selectors.period_of("month", date(2026, 10, 1)),
        selectors.period_of("month", date(2026, 11, 1)),
        selectors.period_of("quarter", date(2026, 10, 1)),
        Period(start, start + timedelta(days=length)),
    ]


class EveryReportFromTheRollupsEqualsTheRawReport(TestCase):
    @classmethod
    def setUpTestData(cls):
        from layan.demo.loader import create_demo_staff, create_demo_teams, load_presets

        load_presets()
        create_demo_staff("x-pass-123")
        create_demo_teams("x-pass-123")

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(history=requests, fill_hours=fills, first=st.integers(-2, 35), length=st.integers(0, 20))
    def test_for_any_history_fill_schedule_and_period(self, history, fill_hours, first, length):
        build(history, fill_hours)
        used = 0
        for office in Office.objects.filter(code__in=["waykanan", "balangan"]):
            for period in periods(first, length):
                rolled = every_report(office, period)
                with rollups.raw_only():
                    raw = every_report(office, period)
                assert rolled == raw, (office.code, period)
                how = rollups.plan("steps", office, period.start, period.end)
                used += len(how.months) + len(how.days)
        filled = FillState.objects.filter(name="intake").values_list("filled_until", flat=True)
        if any(filled):
            assert used, "the rollups were filled but no report read them"


def kia(at, nik="1808010101900001"):
    service = Service.objects.get(office__code="waykanan", code="kia-baru")
    return engine.submit_case(
        service=service, actor=engine.Actor.applicant("Ani"), applicant_name="Ani",
        applicant_nik=nik, now=at,
    )  # fmt: skip


def forward(case, at):
    case.refresh_from_db()
    actor = officer("waykanan")
    action = pick(case, actor, "forward")
    engine.perform_action(
        case.code, actor=actor, action=action.id, data=data_for(case, action.kind), now=at
    )


@pytest.fixture
def waykanan(seeded):
    return Office.objects.get(code="waykanan")


OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))


def rows(model):
    fields = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
    return sorted(model.objects.values_list(*fields))


def test_refilling_gives_the_same_rows_and_a_dead_run_is_resumed(waykanan):
    for day in range(6):
        case = kia(START + timedelta(days=day, hours=2))
        forward(case, START + timedelta(days=day, hours=3))
    now = START + timedelta(days=12)
    rollups.fill_all(now=now)
    first_intake, first_steps = rows(IntakeRollup), rows(StepRollup)
    assert sum(r.count for r in IntakeRollup.objects.filter(grain=Grain.DAY)) == 6
    assert IntakeRollup.objects.filter(grain=Grain.MONTH, day=date(2026, 10, 1)).get().count == 6
    rollups.fill_all(now=now)
    assert rows(IntakeRollup) == first_intake and rows(StepRollup) == first_steps
    # A run that died while writing: its state says so, its rows are half there.
    state = FillState.objects.get(name="intake")
    state.filled_until, state.state = START.date() + timedelta(days=2), "started"
    state.save()
    IntakeRollup.objects.filter(day__gt=START.date() + timedelta(days=2)).delete()
    assert rollups.fill("intake", now=now) > 0
    assert rows(IntakeRollup) == first_intake
    assert FillState.objects.get(name="intake").state == "done"
    rollups.fill_all(now=now, reset=True)
    assert rows(IntakeRollup) == first_intake and rows(StepRollup) == first_steps


def test_a_day_is_filled_only_once_it_has_ended_with_a_grace(waykanan):
    kia(START)
    just_after = datetime.combine(START.date() + timedelta(days=1), datetime.min.time(), JAKARTA)
    rollups.fill("intake", now=just_after + timedelta(minutes=5))
    assert FillState.objects.get(name="intake").filled_until == START.date() - timedelta(days=1)
    rollups.fill("intake", now=just_after + rollups.GRACE)
    assert FillState.objects.get(name="intake").filled_until == START.date()


def test_completing_an_old_request_marks_its_day_stale_and_the_report_stays_right(waykanan):
    case = kia(START)
    rollups.fill_all(now=START + timedelta(days=3))
    assert selectors.rekap(waykanan, OCTOBER).total.open == 1
    assert rollups.plan("intake", waykanan, START.date(), START.date()).days  # from the rollup
    at = START + timedelta(days=3, hours=1)
    while case.is_open and not case.step.document:
        forward(case, at := at + timedelta(minutes=30))
        case.refresh_from_db()
    case.refresh_from_db()
    assert StaleDay.objects.filter(office=waykanan, day=START.date()).exists()
    # Read from the raw rows while stale: the request is no longer open.
    how = rollups.plan("intake", waykanan, START.date(), START.date())
    assert how.raw == [(START.date(), START.date())]
    assert selectors.rekap(waykanan, OCTOBER).total.open == (1 if case.is_open else 0)
    with rollups.raw_only():
        raw = selectors.rekap(waykanan, OCTOBER)
    assert selectors.rekap(waykanan, OCTOBER) == raw
    assert rollups.refresh_stale() == 1
    assert not StaleDay.objects.exists()
    assert rollups.plan("intake", waykanan, START.date(), START.date()).days
    assert selectors.rekap(waykanan, OCTOBER) == raw


def test_a_mark_made_while_a_day_is_refilled_survives_the_refill(waykanan, monkeypatch):
    kia(START)
    rollups.fill_all(now=START + timedelta(days=3))
    rollups.mark_stale(waykanan, [START.date()], START + timedelta(days=3))
    original = rollups.fill_days
    calls = []

    def fill_and_mark_meanwhile(rollup, office, first, last, **kw):
        if not calls:  # another transaction marks the day while this one refills it
            rollups.mark_stale(office, [first], START + timedelta(days=3))
        calls.append(rollup.name)
        return original(rollup, office, first, last, **kw)

    monkeypatch.setattr(rollups, "fill_days", fill_and_mark_meanwhile)
    rollups.refresh_stale()
    assert StaleDay.objects.filter(day=START.date()).count() == 1  # the one made meanwhile


def test_the_same_day_never_marks_itself_stale(waykanan):
    case = kia(START)
    forward(case, START + timedelta(hours=1))
    assert not StaleDay.objects.exists()


def test_a_flag_or_a_claim_does_not_mark_a_day_stale(waykanan):
    case = kia(START)
    rollups.fill_all(now=START + timedelta(days=2))
    user = get_user_model().objects.get(username="waykanan.semua")
    engine.claim(case.code, user=user, now=START + timedelta(days=2))
    assert not StaleDay.objects.exists()


def test_plan_takes_whole_clean_months_then_days_then_raw(waykanan):
    kia(START)
    rollups.fill_all(now=datetime(2026, 11, 20, 9, 0, tzinfo=JAKARTA))
    how = rollups.plan("intake", waykanan, date(2026, 9, 20), date(2026, 11, 25))
    filled = FillState.objects.get(name="intake").filled_until
    assert filled == date(2026, 11, 19)
    assert how.months == [date(2026, 10, 1)]
    assert how.days == [(date(2026, 9, 20), date(2026, 9, 30)), (date(2026, 11, 1), filled)]
    assert how.raw == [(date(2026, 11, 20), date(2026, 11, 25))]
    rollups.mark_stale(waykanan, [date(2026, 10, 7)], datetime(2026, 11, 20, tzinfo=JAKARTA))
    how = rollups.plan("intake", waykanan, date(2026, 10, 1), date(2026, 10, 31))
    assert how.months == [] and (date(2026, 10, 7), date(2026, 10, 7)) in how.raw
    with rollups.raw_only():
        assert rollups.plan("intake", waykanan, date(2026, 10, 1), date(2026, 10, 31)).raw == [
            (date(2026, 10, 1), date(2026, 10, 31))
        ]


def test_revoking_a_document_marks_the_day_it_was_issued(waykanan):
    from layan.documents import events as document_events
    from layan.documents.models import Document

    class Stub:
        pass

    document = Stub()
    document.issued_at = START
    document.office = waykanan
    document.revoked_at = START + timedelta(days=5)
    document_events.document_revoked.send(sender=Document, document=document, user=None)
    assert list(StaleDay.objects.values_list("day", flat=True)) == [START.date()]


# --------------------------------------------------------------------------- bins


@given(st.lists(st.floats(0, 20_000, allow_nan=False), min_size=1, max_size=60),
       st.sampled_from([0, 10, 50, 90, 95, 100]))  # fmt: skip
def test_the_histograms_percentile_is_the_percentile_of_the_binned_minutes(values, q):
    histogram = Counter(rollups.bin_key(v) for v in values)
    binned = [rollups.minute_bin(v) for v in values]
    assert rollups.percentile_of(histogram, q) == pytest.approx(percentile(binned, q))


@given(st.floats(0, 100_000, allow_nan=False))
def test_a_bin_is_close_to_its_minutes_and_its_key_reads_back(minutes):
    value = rollups.minute_bin(minutes)
    grain = 0.1 if minutes < 10 else 1 if minutes < 120 else 5 if minutes < 600 else (
        30 if minutes < 4800 else 240)  # fmt: skip
    assert abs(value - minutes) <= grain / 2 + 1e-9
    assert float(rollups.bin_key(minutes)) == value


def test_an_empty_histogram_has_no_percentile():
    assert rollups.percentile_of({}, 50) is None
    assert rollups.percentile_of({"5": 0}, 50) is None


def test_the_check_command_finds_a_rollup_that_disagrees_with_the_raw_rows(waykanan):
    from django.core.management import CommandError, call_command

    for day in range(3):
        forward(kia(START + timedelta(days=day, hours=1)), START + timedelta(days=day, hours=2))
    rollups.fill_all(now=START + timedelta(days=30))
    args = ("reports", "check", "--office", "waykanan", "--day", "2026-10-05")
    call_command(*args)  # all the same
    row = IntakeRollup.objects.filter(grain=Grain.MONTH).first()
    row.count += 1  # a rollup that no longer tells the truth
    row.save()
    with pytest.raises(CommandError, match="differ"):
        call_command(*args)
    call_command("reports", "backfill", "--rollups")
    call_command(*args)
