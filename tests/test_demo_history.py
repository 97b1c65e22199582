"""The demo's weeks of history: realistic work behind today, so the reports are not empty."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import F
from django.utils import timezone

from layan.bot.models import SurveyResponse
from layan.cases.models import Case
from layan.offices.models import Office
from layan.reports import selectors
from tests.documents.conftest import seeded  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_the_history_fills_every_office_once_and_feeds_the_reports(seeded, settings, tmp_path):  # noqa: F811
    from layan.demo.loader import create_demo_history

    settings.MEDIA_ROOT = tmp_path
    made = create_demo_history(days=10)
    assert made > 0 and create_demo_history(days=10) == 0  # once
    statuses = Counter(Case.objects.values_list("status", flat=True))
    assert statuses["completed"] > 0 and statuses["in_progress"] > 0
    assert set(Case.objects.values_list("office__code", flat=True)) == {
        "balangan", "keliling", "metro", "solok", "waykanan",
    }  # fmt: skip
    # No request is dated in the future and none was worked before it came in.
    now = timezone.now()
    assert not Case.objects.filter(created_at__gt=now).exists()
    assert not Case.objects.filter(closed_at__lt=F("created_at")).exists()
    assert SurveyResponse.objects.exists()
    office = Office.objects.get(code="waykanan")
    period = selectors.Period(
        (now - timezone.timedelta(days=12)).date(), timezone.localdate(timezone=office.tz)
    )
    assert selectors.sla_report(office, period).steps
    assert selectors.rekap(office, period).total.received > 0
