from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PopulationConfig(AppConfig):
    name = "layan.population"
    label = "population"
    verbose_name = _("Requests and the population registry")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, as Django asks: the app registry must be ready before models load.
        from layan.cases import work
        from layan.population import receivers, selectors  # noqa: F401 - receivers connect

        # The engine asks before a registry-check step goes forward.
        work.register_guard("registry_check", selectors.undecided_findings)
