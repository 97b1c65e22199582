"""Tasks the worker tests queue: each leaves a row behind, so a test sees that it ran."""

from django.utils import timezone
from django_tasks import task

from layan.core.models import PeriodicSchedule


@task()
def leave_mark(name: str) -> str:
    PeriodicSchedule.objects.create(task_path=name, next_run_at=timezone.now())
    return name
