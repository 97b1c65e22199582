"""Periodic work of the registry (run by ``layan worker``)."""

from django.conf import settings
from django_tasks import task

from layan.registry import scan


@task()
def scan_duplicates() -> dict:
    """Daily: the full scan of the registry's own tables for suspected duplicates (the database
    administrators' list). A registry behind a bridge is scanned where it lives, not here."""
    if (getattr(settings, "LAYAN_REGISTRY", "local") or "local") != "local":
        return {}
    return scan.scan().as_dict()
