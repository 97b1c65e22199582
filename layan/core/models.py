from django.db import models


class PeriodicSchedule(models.Model):
    """When each periodic task is next due. The task API has no scheduler, so whichever worker
    locks a due row first enqueues the task and moves ``next_run_at`` on."""

    task_path = models.CharField(max_length=200, unique=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.task_path
