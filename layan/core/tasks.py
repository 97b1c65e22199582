from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task


@task()
def prune_task_results() -> int:
    """Periodic: forget finished background-task results (successes after a day, failures after
    a week), so the periodic sweeps do not grow the task table without bound."""
    if settings.LAYAN_TASK_BACKEND != "db":
        return 0
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    finished = DBTaskResult.objects.finished()
    old_successes = finished.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lte=now - timedelta(days=1)
    )
    old_failures = finished.filter(
        status=TaskResultStatus.FAILED, finished_at__lte=now - timedelta(days=7)
    )
    return old_successes.delete()[0] + old_failures.delete()[0]
