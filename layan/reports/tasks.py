"""Periodic work of the reports (run by ``layan worker``)."""

from django.utils import timezone
from django_tasks import task

from layan.offices.models import Office
from layan.reports import rollups
from layan.reports.services import snapshot_backlog


@task()
def snapshot_backlogs() -> int:
    """Periodic: today's backlog snapshot of every office (the day's last run is what stays)."""
    now = timezone.now()
    return sum(snapshot_backlog(office, now) for office in Office.objects.filter(is_active=True))


@task()
def fill_rollups() -> dict:
    """Periodic: the daily rollups through yesterday (resumed where they stopped) and today."""
    return rollups.fill_all()
