from datetime import timedelta

import pytest
from django.utils import timezone

from layan.core.models import PeriodicSchedule
from layan.core.periodic import enqueue_due


@pytest.mark.django_db
def test_periodic_tasks_are_enqueued_once_per_interval(settings):
    settings.LAYAN_PERIODIC_SECONDS = {"layan.cases.tasks.sweep_overdue": 60}
    now = timezone.now()
    assert enqueue_due(now) == ["layan.cases.tasks.sweep_overdue"]
    assert enqueue_due(now + timedelta(seconds=30)) == []
    assert enqueue_due(now + timedelta(seconds=61)) == ["layan.cases.tasks.sweep_overdue"]
    row = PeriodicSchedule.objects.get()
    assert row.next_run_at == now + timedelta(seconds=121)
