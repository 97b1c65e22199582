from django.apps import AppConfig


class Config(AppConfig):
    name = "layan.cases"
    label = "cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, as Django asks: the app registry must be ready before models load.
        from layan.cases import revisions
        from layan.offices import editing as catalogue_editing
        from layan.sop import editing

        # The editors ask the engine before a version strands requests under way.
        editing.register_guard("requests_at_removed_steps", revisions.requests_at_removed_steps)
        catalogue_editing.register_guard("requests_under_way", revisions.catalogue_refusals)

        from layan.cases import health

        health.register()  # overdue requests per office in /metrics
