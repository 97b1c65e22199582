from django.apps import AppConfig


class Config(AppConfig):
    name = "layan.sop"
    label = "sop"
    default_auto_field = "django.db.models.BigAutoField"
