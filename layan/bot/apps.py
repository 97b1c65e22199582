from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "layan.bot"
    label = "bot"
    verbose_name = _("Resident bot")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from layan.bot import notices

        notices.connect()
