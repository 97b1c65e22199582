from django.apps import AppConfig


class Config(AppConfig):
    name = "layan.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from layan.core import checks, metrics  # noqa: F401 - the deploy checks register on import

        metrics.connect_signals()  # failed background tasks are counted in /metrics
