from django.apps import AppConfig


class Config(AppConfig):
    name = "layan.registry"
    label = "registry"
