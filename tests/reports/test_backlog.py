"""The backlog: open requests per step by age, and the daily snapshot for the trend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from layan.offices.models import Office
from layan.reports.models import BacklogSnapshot
from layan.reports.selectors import AGE_BUCKETS, age_bucket, backlog, backlog_trend, bucket_label
from layan.reports.services import snapshot_backlog
from tests.reports.test_sla import MONDAY, kia

pytestmark = pytest.mark.django_db


def test_open_requests_are_counted_per_step_by_age(presets):
    kia(MONDAY, 3, 8)  # at step 4 (printing)
    kia(MONDAY - timedelta(days=5), 3, 8)
    kia(MONDAY - timedelta(days=20), 3, 8)
    office = Office.objects.get(code="waykanan")
    (row,) = backlog(office, MONDAY + timedelta(hours=1))
    assert (row.service, row.number, row.total) == ("kia-baru", 4, 3)
    assert row.counts == [1, 0, 1, 0, 1]  # today, 5 days old, 20 days old
    assert backlog(Office.objects.get(code="balangan"), MONDAY) == []


def test_the_daily_snapshot_is_replaced_within_the_day_and_kept_across_days(presets):
    office = Office.objects.get(code="waykanan")
    kia(MONDAY, 3, 8)
    assert snapshot_backlog(office, MONDAY + timedelta(hours=2)) == 1
    kia(MONDAY, 3, 8)
    snapshot_backlog(office, MONDAY + timedelta(hours=5))  # same day: replaces
    snapshot_backlog(office, MONDAY + timedelta(days=1))  # next day: a row of its own
    assert BacklogSnapshot.objects.filter(office=office).count() == 2
    trend = backlog_trend(office, (MONDAY + timedelta(days=1)).date())
    assert [total for _day, total in trend] == [2, 2]


@given(st.integers(0, 10_000))
def test_property_every_age_falls_in_exactly_one_bucket(days):
    index = age_bucket(days)
    assert AGE_BUCKETS[index] <= days
    assert index == len(AGE_BUCKETS) - 1 or days < AGE_BUCKETS[index + 1]
    assert bucket_label(index)
