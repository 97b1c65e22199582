"""Outreach visits (Dukcapil Siaga's "jemput bola"): planned at the recording step, told to the
reporter, reminded the day before (once), recorded; only a recording lets the step go on."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from layan.bot import intake
from layan.bot.notices import remind_visits
from layan.cases import services as engine
from layan.cases.models import IntakeChannel, Visit
from layan.core.errors import Conflict, Forbidden, Invalid
from layan.offices.models import Service
from layan.whatsapp.models import OutboxMessage
from tests.documents.conftest import officer, walk_to
from tests.signing import keys_for_signers

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")
MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=WIB)


@pytest.fixture
def at_recording(db):
    from layan.demo.loader import create_demo_staff, create_demo_teams, load_presets
    from layan.offices.models import Office

    load_presets()
    create_demo_staff("demo-pass-123")
    create_demo_teams("demo-pass-123")
    keys_for_signers(Office.objects.get(code="metro"))
    case = intake.take_request(
        service=Service.objects.get(office__code="metro", code="dukcapil-siaga"),
        user=get_user_model().objects.get(username="metro.petugas_dukcapil"),
        channel=IntakeChannel.REPORTER,
        submitter_kind="third_party",
        submitter_name="Pak RT 05 Hadimulyo",
        applicant_name="Mbah Sukinah",
        deliver_to="081355556666",  # the reporter hears the notices
    )
    return walk_to(case, "visit")


def plan(case, start=MONDAY_9, **kw):
    return engine.schedule_visit(
        case,
        actor=engine.Actor.staff(officer("metro")),
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place=kw.pop("place", "Jl. Imam Bonjol No. 26, Metro Pusat"),
        team=kw.pop("team", "Tim perekaman 1"),
        now=kw.pop("now", MONDAY_9 - timedelta(days=3)),
        **kw,
    )


def reporter_messages(case):
    """The visit notices the reporter's number got (besides the request's status notices)."""
    return OutboxMessage.objects.filter(
        case=case, to="6281355556666", template_key__startswith="visit_"
    )


def test_a_visit_is_planned_and_the_reporter_told_the_plan(at_recording):
    case = at_recording
    assert case.step.visit and case.submitter_kind == "third_party"
    visit = plan(case, latitude="-5.1136", longitude="105.3067")
    (told,) = reporter_messages(case)
    assert told.template_key == "visit_planned" and case.code in told.template_params
    assert "Senin, 7 Desember 2026 pukul 09.00–11.00 WIB" in told.template_params
    assert float(visit.latitude) == -5.1136
    with pytest.raises(Conflict) as twice:
        plan(case)
    assert twice.value.code == "visit_planned"


def test_the_step_waits_until_the_resident_is_recorded(at_recording):
    case = at_recording
    actor = engine.Actor.staff(officer("metro"))
    with pytest.raises(Invalid) as refused:
        engine.perform_action(case, actor=actor, action="complete")
    assert refused.value.code == "visit_not_recorded"
    visit = plan(case)
    with pytest.raises(Invalid) as no_reason:
        engine.record_visit(case.code, visit.pk, actor=actor, outcome="not_found")
    assert no_reason.value.details["field"] == "note"
    engine.record_visit(case.code, visit.pk, actor=actor, outcome="not_found",
                        note="Rumah kosong, tetangga bilang sedang dirawat di RS")  # fmt: skip
    with pytest.raises(Invalid):
        engine.perform_action(case, actor=actor, action="complete")
    again = plan(case, MONDAY_9 + timedelta(days=2))
    engine.record_visit(case.code, again.pk, actor=actor, outcome="recorded")
    case = engine.perform_action(case, actor=actor, action="complete")
    assert case.current_step.key == "8"
    kinds = list(case.events.filter(kind="visit").values_list("data__outcome", flat=True))
    assert kinds == ["planned", "not_found", "planned", "recorded"]


def test_the_reminder_goes_the_day_before_once(at_recording):
    case = at_recording
    visit = plan(case)  # planned three days ahead
    sunday_8 = MONDAY_9 - timedelta(hours=25)
    assert remind_visits(now=sunday_8 - timedelta(days=1)) == 0  # two days before: not yet
    assert remind_visits(now=sunday_8) == 1
    assert remind_visits(now=sunday_8 + timedelta(hours=3)) == 0  # once
    keys = sorted(reporter_messages(case).values_list("template_key", flat=True))
    assert keys == ["visit_planned", "visit_reminder"]
    visit.refresh_from_db()
    assert visit.reminded_at == sunday_8


def test_a_visit_planned_the_day_before_gets_no_second_message(at_recording):
    case = at_recording
    plan(case, now=MONDAY_9 - timedelta(hours=20))  # planned on Sunday for Monday
    assert remind_visits(now=MONDAY_9 - timedelta(hours=16)) == 0
    assert reporter_messages(case).count() == 1


def test_a_visit_needs_a_time_window_a_place_a_team_and_a_real_location(at_recording):
    case = at_recording
    actor = engine.Actor.staff(officer("metro"))
    bad = [
        ({"ends_at": MONDAY_9}, "ends_at"),
        ({"place": " "}, "place"),
        ({"team": ""}, "team"),
        ({"latitude": "95", "longitude": "105"}, "latitude"),
        ({"latitude": "-5.1"}, "longitude"),
    ]
    for change, field in bad:
        values = {"starts_at": MONDAY_9, "ends_at": MONDAY_9 + timedelta(hours=1),
                  "place": "Jl. A", "team": "Tim", **change}  # fmt: skip
        with pytest.raises(Invalid) as refused:
            engine.schedule_visit(case, actor=actor, **values)
        assert refused.value.details["field"] == field, change
    assert not Visit.objects.exists()
    stranger = engine.Actor.staff(get_user_model().objects.get(username="metro.kasi"))
    with pytest.raises(Forbidden):
        engine.schedule_visit(
            case, actor=stranger, starts_at=MONDAY_9, ends_at=MONDAY_9 + timedelta(hours=1),
            place="Jl. A", team="Tim",
        )  # fmt: skip
