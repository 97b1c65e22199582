"""The SLA at a glance for ``/metrics``: open requests past a deadline now, per office (read at
scrape time on the requests' status and deadline indexes)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from layan.cases.models import ACTIVE, Case
from layan.core import metrics
from layan.offices.models import Office


def overdue_by_office(now: datetime | None = None) -> dict[str, int]:
    """Requests whose clocks run (not waiting on the applicant) and whose step or overall
    deadline has passed, per office code; every office is named, with 0 when none is late."""
    now = now or timezone.now()
    late = dict(
        Case.objects.filter(status__in=ACTIVE)
        .filter(Q(step_due_at__lt=now) | Q(due_at__lt=now))
        .values_list("office__code")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {code: late.get(code, 0) for code in Office.objects.values_list("code", flat=True)}


def collect():
    family = metrics.GaugeMetricFamily(
        "layan_requests_overdue",
        "Open requests past their step's or their overall deadline now, per office.",
        labels=["office"],
    )
    for code, count in sorted(overdue_by_office().items()):
        family.add_metric([code], count)
    yield family


def register() -> None:
    metrics.register_source("cases", collect)
