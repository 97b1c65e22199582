from django.apps import AppConfig


class Config(AppConfig):
    name = "layan.whatsapp"
    label = "whatsapp"
    default_auto_field = "django.db.models.BigAutoField"
