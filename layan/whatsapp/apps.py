from django.apps import AppConfig


class Config(AppConfig):
    name = "layan.whatsapp"
    label = "whatsapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from layan.whatsapp import health

        health.register()  # inbox and outbox ages in /readyz and /metrics
