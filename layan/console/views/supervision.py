"""The supervisor's view and the administrator's access log."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from layan.console import selectors
from layan.console.desk import staff_view
from layan.population import selectors as population


@staff_view(supervising=True)
def overview(request):
    now = timezone.now()
    desk = request.desk
    context = {
        "backlog": selectors.backlog(desk, now),
        "overdue": selectors.overdue_cases(desk, now)[:100],
        "workload": selectors.workload(desk, now),
        "now": now,
    }
    return render(request, "console/supervisor.html", context)


@staff_view(admin=True)
def access_log(request):
    code = (request.GET.get("code") or "").strip()
    username = (request.GET.get("user") or "").strip()
    rows = selectors.access_log(request.desk, code=code, username=username)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    # Beside the requests' openings, the office's look-ups of the population registry.
    lookups = population.registry_log(request.desk.office, username=username)
    registry_page = Paginator(lookups, 50).get_page(request.GET.get("rpage"))
    context = {"page": page, "registry_page": registry_page, "code": code, "username": username}
    return render(request, "console/access_log.html", context)
