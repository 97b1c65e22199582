from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "layan.bot"
    label = "bot"
    verbose_name = _("Resident bot")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, as Django asks: the app registry must be ready before models load.
        from layan.bot import engine, notices  # noqa: F401 - notices connects its receivers
        from layan.bot.office_texts import OfficeTexts
        from layan.offices import catalogue
        from layan.whatsapp import inbox

        # The transport hands every resident's message to the bot without importing it.
        inbox.set_message_handler(engine.handle)
        # The catalogue editor changes an office's bot texts through the bot's own rules.
        catalogue.register_texts(OfficeTexts())
