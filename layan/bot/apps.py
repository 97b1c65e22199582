from django.apps import AppConfig


class Config(AppConfig):
    name = "layan.bot"
    label = "bot"
    default_auto_field = "django.db.models.BigAutoField"
