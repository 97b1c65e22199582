"""The daily rollups agree with the raw rows over any history and any period; re-filling gives
the same rows; a fill that died is resumed from the day it was writing."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from layan.cases import services as engine
from layan.cases.models import Case
from layan.offices.models import Office, Service
from layan.reports import rollups
from layan.reports.models import DailyIntake, DailyStepStat, FillState, StepPassage

JAKARTA = ZoneInfo("Asia/Jakarta")
START = datetime(2026, 10, 5, 7, 0, tzinfo=JAKARTA)  # a Monday
NOW = START + timedelta(days=20)

requests = st.lists(
    st.tuples(
        st.sampled_from(["waykanan:kia-baru", "waykanan:pengaduan", "balangan:kk"]),
        st.integers(0, 14 * 24 * 60),  # minutes after START (nights and weekends too)
        st.sampled_from(["whatsapp", "counter", "field"]),
        st.integers(0, 3),  # how many forward moves, each a few hours apart
    ),
    max_size=8,
)


class RollupsAgreeWithTheRawRows(TestCase):
    @classmethod
    def setUpTestData(cls):
        from layan.demo.loader import create_demo_staff, create_demo_teams, load_presets

        load_presets()
        create_demo_staff("x-pass-123")
        create_demo_teams("x-pass-123")

    def make(self, history):
        for key, minutes, channel, moves in history:
            office, code = key.split(":")
            service = Service.objects.get(office__code=office, code=code)
            at = START + timedelta(minutes=minutes)
            case = engine.submit_case(
                service=service, actor=engine.Actor.applicant("Warga"), applicant_name="Warga",
                channel=channel, now=at,
            )  # fmt: skip
            actor = engine.Actor.staff(self.officer(office))
            for _ in range(moves):
                case.refresh_from_db()
                forward = [
                    a for a in engine.allowed_actions(case, actor)
                    if a.kind in ("complete", "approve") and not a.note_required
                ]  # fmt: skip
                if not forward or case.step.data_entry or case.step.document:
                    break
                at += timedelta(hours=3)
                engine.perform_action(case.code, actor=actor, action=forward[0].id, now=at)

    def officer(self, office):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.get(username=f"{office}.semua")

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(history=requests, first=st.integers(0, 14), length=st.integers(0, 10))
    def test_rollup_sums_equal_the_raw_counts_for_any_period(self, history, first, length):
        self.make(history)
        rollups.fill_all(now=NOW)
        periods = [(START.date() + timedelta(days=d),) * 2 for d in range(-1, 16)]  # each day
        start = (START + timedelta(days=first)).date()
        periods.append((start, start + timedelta(days=length)))  # and a longer one
        for (start, end), office in itertools.product(
            periods, Office.objects.filter(code__in=["waykanan", "balangan"])
        ):
            lower = datetime.combine(start, datetime.min.time(), tzinfo=office.tz)
            upper = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=office.tz)
            raw = dict(
                Case.objects.filter(office=office, created_at__gte=lower, created_at__lt=upper)
                .values_list("channel").annotate(n=Count("pk")).order_by()
            )  # fmt: skip
            rolled = dict(
                DailyIntake.objects.filter(office=office, day__gte=start, day__lte=end)
                .values_list("channel").annotate(n=Sum("count")).order_by()
            )  # fmt: skip
            assert rolled == raw
            passages = StepPassage.objects.filter(
                office=office, left_at__gte=lower, left_at__lt=upper
            )
            raw_steps = passages.aggregate(
                n=Count("pk"),
                within=Count("pk", filter=Q(standard_minutes__isnull=False)
                             & Q(working_minutes__lte=F("standard_minutes"))),
                minutes=Sum("working_minutes"),
            )  # fmt: skip
            rolled_steps = DailyStepStat.objects.filter(
                office=office, day__gte=start, day__lte=end
            ).aggregate(n=Sum("passed"), within=Sum("within"), minutes=Sum("minutes_total"))
            assert (rolled_steps["n"] or 0) == raw_steps["n"]
            assert (rolled_steps["within"] or 0) == raw_steps["within"]
            assert abs((rolled_steps["minutes"] or 0) - (raw_steps["minutes"] or 0)) < 1e-6

    def test_refilling_gives_the_same_rows_and_a_dead_run_is_resumed(self):
        self.make([("waykanan:kia-baru", 60 * 24 * d + 120, "counter", 2) for d in range(6)])

        def rows():
            fields = ("office_id", "day", "service_id", "channel", "submitter_kind", "count")
            return sorted(DailyIntake.objects.values_list(*fields))

        rollups.fill_all(now=NOW)
        first = rows()
        assert sum(r[-1] for r in first) == 6
        rollups.fill_all(now=NOW)
        assert rows() == first
        # A run that died while writing a day: its state says so, its rows are half there.
        state = FillState.objects.get(name="daily_intake")
        died_on = START.date() + timedelta(days=3)
        state.filled_until, state.state = died_on - timedelta(days=1), "started"
        state.save()
        DailyIntake.objects.filter(day__gte=died_on).delete()
        rollups.fill("daily_intake", now=NOW)
        assert rows() == first
        assert FillState.objects.get(name="daily_intake").state == "done"
        assert rollups.fill_all(now=NOW, reset=True) and rows() == first
