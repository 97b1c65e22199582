"""The register book follows the request's completion: a completed request gets its line (its
running number) in the same transaction as the engine's completion event, unless the hand-over
already entered it."""

from __future__ import annotations

from django.db.models.signals import post_save

from layan.cases.models import Case, CaseEvent, Status
from layan.sop.definition import END


def connect() -> None:
    post_save.connect(_on_event_saved, sender=CaseEvent, dispatch_uid="documents-register")


def _on_event_saved(sender, instance: CaseEvent, created: bool, **kwargs) -> None:
    if not created or kwargs.get("raw"):
        return
    if instance.to_step == END and instance.status == Status.COMPLETED:
        from layan.documents.services import enter_register

        case = Case.objects.select_related("office", "service").get(pk=instance.case_id)
        enter_register(case, now=instance.at)
