from django.apps import AppConfig


class Config(AppConfig):
    name = "layan.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_tasks.signals import task_enqueued

        from layan.core import workers

        # Wake the task workers as soon as work is queued (layan.core.workers).
        task_enqueued.connect(workers.task_enqueued, dispatch_uid="layan-wake-workers")

        from layan.core import checks, metrics  # noqa: F401 - the deploy checks register on import

        metrics.connect_signals()  # failed background tasks are counted in /metrics
