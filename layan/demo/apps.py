from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "layan.demo"
    label = "demo"
    verbose_name = _("Demo")
