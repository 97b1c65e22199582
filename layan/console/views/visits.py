"""Outreach visits ("jemput bola") in the console: planning one and recording its outcome on the
request page, and the week's visits per team as a printable route sheet."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_time
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from layan.cases import services as engine
from layan.cases.models import Visit
from layan.console.desk import staff_view
from layan.console.views.cases import _case, _version
from layan.console.views.common import back_to_case, run
from layan.core.errors import Invalid


def visit_window(tz, day: str, start: str, end: str) -> tuple[datetime, datetime]:
    """The visit's start and end from the form's day and hours, in the office's time zone."""
    when, begin, finish = parse_date(day or ""), parse_time(start or ""), parse_time(end or "")
    if when is None or begin is None or finish is None:
        raise Invalid(_("Give the day and the hours of the visit."), "time_invalid",
                      field="starts_at")  # fmt: skip
    return datetime.combine(when, begin, tzinfo=tz), datetime.combine(when, finish, tzinfo=tz)


@require_POST
@staff_view
def schedule(request, code: str):
    case = _case(request, code)
    post = request.POST
    try:
        starts_at, ends_at = visit_window(
            case.office.tz, post.get("day"), post.get("start"), post.get("end")
        )
    except Invalid as exc:
        messages.error(request, str(exc))
        return back_to_case(case.code, "visits")
    run(
        request,
        engine.schedule_visit,
        case,
        actor=engine.Actor.staff(request.user),
        starts_at=starts_at,
        ends_at=ends_at,
        place=post.get("place", ""),
        team=post.get("team", ""),
        bring=post.get("bring", ""),
        latitude=post.get("latitude") or None,
        longitude=post.get("longitude") or None,
        expected_version=_version(request),
        success=_("The visit is planned; the reporter is told."),
    )
    return back_to_case(case.code, "visits")


@require_POST
@staff_view
def outcome(request, code: str, pk: int):
    case = _case(request, code)
    run(
        request,
        engine.record_visit,
        case,
        pk,
        actor=engine.Actor.staff(request.user),
        outcome=request.POST.get("outcome", ""),
        note=request.POST.get("note", ""),
        expected_version=_version(request),
        success=_("The visit's outcome is recorded."),
    )
    return back_to_case(case.code, "visits")


@staff_view
def week(request):
    """The office's visits of a week (Monday to Sunday), per team and day: the route sheet."""
    office = request.desk.office
    tz = office.tz
    asked = (
        parse_date(request.GET.get("week") or "") or timezone.localtime(timezone.now(), tz).date()
    )
    monday = asked - timedelta(days=asked.weekday())
    start = datetime.combine(monday, time.min, tzinfo=tz)
    visits = (
        Visit.objects.filter(
            office=office, starts_at__gte=start, starts_at__lt=start + timedelta(7)
        )
        .select_related("case__service")
        .order_by("team", "starts_at")
    )
    teams: dict[str, dict[date, list[Visit]]] = {}
    for visit in visits:
        day = timezone.localtime(visit.starts_at, tz).date()
        teams.setdefault(visit.team, {}).setdefault(day, []).append(visit)
    return render(
        request,
        "console/visits.html",
        {
            "monday": monday,
            "sunday": monday + timedelta(days=6),
            "previous": monday - timedelta(days=7),
            "following": monday + timedelta(days=7),
            "teams": [(team, sorted(days.items())) for team, days in sorted(teams.items())],
            "tz": tz,
        },
    )
