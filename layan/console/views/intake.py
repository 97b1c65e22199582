"""Taking a request for a resident: at the counter, or in the field on a phone (Motor Keliling);
adding a file the resident brought to a request; sending the receipt; the field officer's day.

The views only read the form and call :func:`layan.bot.intake.take_request`, which the API uses
too; every rule (the name, the NIK, the files, who hears the notices) lives there and below.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from layan.bot import intake
from layan.cases import services as engine
from layan.cases.models import Case, IntakeChannel
from layan.console.desk import staff_view
from layan.console.views.cases import _case
from layan.console.views.common import back_to_case
from layan.core.errors import LayanError, NotFound
from layan.offices.catalogue import condition_applies, question_choices
from layan.offices.models import Requirement

FILE_KINDS = (Requirement.Kind.PHOTO, Requirement.Kind.DOCUMENT)
CHANNELS = (IntakeChannel.COUNTER, IntakeChannel.FIELD)


def _services(desk):
    return list(desk.office.services.filter(is_active=True).order_by("position", "code"))


def _form_context(desk, service, channel: str, post=None, error=None) -> dict:
    post = post or {}
    requirements = list(service.requirements.all()) if service else []
    questions = [
        {
            **q,
            "options": question_choices(q) if q.get("kind") == "choice" else [],
            "value": post.get(f"q_{q['code']}", ""),
        }
        for q in (service.questions if service else [])
    ]
    return {
        "services": _services(desk),
        "service": service,
        "channel": channel,
        "channels": [(c, IntakeChannel(c).label) for c in CHANNELS],
        "questions": questions,
        "files": [r for r in requirements if r.kind in FILE_KINDS],
        "typed": [
            {"requirement": r, "value": post.get(f"r_{r.code}", "")}
            for r in requirements
            if r.kind not in FILE_KINDS
        ],
        "post": post,
        "error": error,
    }


def _answers(service, post) -> dict:
    """The resident's answers to the service's questions, and the typed requirements."""
    answers = {}
    for question in service.questions or []:
        value = (post.get(f"q_{question['code']}") or "").strip()
        if value:
            answers[question["code"]] = value
    for requirement in service.requirements.exclude(kind__in=FILE_KINDS):
        value = (post.get(f"r_{requirement.code}") or "").strip()
        if value and condition_applies(requirement.condition, answers):
            answers[requirement.code] = value
    return answers


@staff_view
def new(request):
    """The counter's and the field's form: the service, the applicant, the answers, the files."""
    desk = request.desk
    services = {s.code: s for s in _services(desk)}
    source = request.POST if request.method == "POST" else request.GET
    service = services.get(source.get("service", ""))
    channel = source.get("channel") if source.get("channel") in CHANNELS else IntakeChannel.COUNTER
    if request.method != "POST" or service is None:
        return render(request, "console/intake.html", _form_context(desk, service, channel))
    uploads = [
        (requirement.code, upload.name, upload.read())
        for requirement in service.requirements.filter(kind__in=FILE_KINDS)
        for upload in request.FILES.getlist(f"file_{requirement.code}")
    ]
    try:
        case = intake.take_request(
            service=service,
            user=request.user,
            channel=channel,
            applicant_name=request.POST.get("applicant_name", ""),
            applicant_nik=request.POST.get("applicant_nik", ""),
            applicant_phone=request.POST.get("applicant_phone", ""),
            answers=_answers(service, request.POST),
            uploads=uploads,
            intake_place=request.POST.get("intake_place", ""),
            deliver_to=request.POST.get("deliver_to", ""),
        )
    except LayanError as exc:
        context = _form_context(desk, service, channel, request.POST, exc)
        return render(request, "console/intake.html", context, status=422)
    messages.success(
        request,
        _("Request %(code)s is taken: give the applicant the receipt with its code.")
        % {"code": case.code},
    )
    return redirect("console:case", code=case.code)


@require_POST
@staff_view
def add_file(request, code: str):
    """A file the resident brought for a request (photographed or scanned at the desk)."""
    case = _case(request, code)
    requirement = request.POST.get("requirement", "")
    uploads = request.FILES.getlist("file")
    if not uploads:
        messages.error(request, _("Choose a photo or a PDF file."))
        return back_to_case(case.code, "checklist")
    added = 0
    for upload in uploads:
        try:
            engine.add_attachment(
                case,
                actor=engine.Actor.staff(request.user),
                requirement=requirement,
                filename=upload.name,
                content=upload.read(),
            )
            added += 1
        except NotFound as exc:
            raise Http404(str(exc)) from exc
        except LayanError as exc:
            messages.error(request, f"{upload.name}: {exc}")
    if added:
        messages.success(request, _("%(n)s file(s) added.") % {"n": added})
    return back_to_case(case.code, "checklist")


@require_POST
@staff_view
def send_receipt(request, code: str):
    case = _case(request, code)
    if intake.send_receipt(case):
        messages.success(request, _("The receipt is on its way to the applicant's WhatsApp."))
    else:
        messages.error(request, _("This request has no WhatsApp number of the applicant."))
    return back_to_case(case.code, "documents")


@staff_view
def my_day(request):
    """The requests the officer took on a day (today by default), by the place of the visit."""
    desk = request.desk
    tz = desk.office.tz
    day = parse_date(request.GET.get("day") or "") or timezone.localtime(timezone.now(), tz).date()
    start = datetime.combine(day, time.min, tzinfo=tz)
    cases = list(
        Case.objects.filter(
            office=desk.office,
            submitted_by=request.user,
            created_at__gte=start,
            created_at__lt=start + timedelta(days=1),
        )
        .select_related("service", "current_step")
        .order_by("intake_place", "created_at")
    )
    places: dict[str, list[Case]] = {}
    for case in cases:
        # A request taken at the counter is listed under the counter (the channel's name).
        places.setdefault(case.intake_place or case.get_channel_display(), []).append(case)
    return render(
        request,
        "console/my_day.html",
        {
            "day": day,
            "previous": day - timedelta(days=1),
            "following": day + timedelta(days=1),
            "places": sorted(places.items()),
            "total": len(cases),
        },
    )
