from django.apps import AppConfig


class Config(AppConfig):
    name = "layan.standin"
    label = "standin"
    default_auto_field = "django.db.models.BigAutoField"
