from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "layan.documents"
    label = "documents"
    verbose_name = _("Documents")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, as Django asks: the app registry must be ready before models load.
        from layan.cases import work
        from layan.documents import receivers, selectors  # noqa: F401 - receivers connect
        from layan.documents.kinds import KINDS
        from layan.offices import catalogue
        from layan.sop.definition import DOCUMENT_WORK

        # The lower apps learn what this app does through their registration points.
        for kind in KINDS.values():
            catalogue.register_document_type(kind.code, kind.title)
        for name in DOCUMENT_WORK:
            work.register(name, selectors.step_work_missing)
