from django.apps import AppConfig


class Config(AppConfig):
    name = "layan.offices"
    label = "offices"
    default_auto_field = "django.db.models.BigAutoField"
