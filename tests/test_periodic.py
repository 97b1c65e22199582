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


@pytest.mark.django_db
def test_old_task_results_are_pruned(settings):
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from layan.core.tasks import prune_task_results

    settings.LAYAN_TASK_BACKEND = "db"
    now = timezone.now()
    for age, status in ((2, "SUCCESSFUL"), (0, "SUCCESSFUL"), (2, "FAILED"), (8, "FAILED")):
        DBTaskResult.objects.create(
            task_path="layan.cases.tasks.sweep_overdue",
            status=getattr(TaskResultStatus, status),
            finished_at=now - timedelta(days=age),
            args_kwargs={"args": [], "kwargs": {}},
            priority=0,
            queue_name="default",
            backend_name="default",
        )
    assert prune_task_results.call() == 2
    assert DBTaskResult.objects.count() == 2
