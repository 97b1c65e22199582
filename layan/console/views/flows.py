"""The office administrator's SOP editor, each flow's versions and their differences, and the
office's change log.

Thin views over :mod:`layan.sop.editing`, which holds every rule (who may edit, approve, what a
publish refuses); its refusals become a message beside the form, its "not found" a 404 and its
"not allowed" a 403. The editor saves the form as the officer types (htmx) and answers with the
problems beside each step and the preview of the table and the swimlane chart; without
JavaScript the same form saves with its button.
"""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from layan.console import sop_editor
from layan.console.desk import staff_view
from layan.core.errors import Forbidden, LayanError, NotFound
from layan.documents.views import pdf_response
from layan.offices import changelog
from layan.sop import editing
from layan.sop.models import DraftState
from layan.sop.printing import printable, sop_pdf

MAX_UPLOAD = editing.MAX_IMPORT * 4  # bytes of a YAML file (UTF-8)


def _call(func, *args, **kwargs):
    """Call an editing service: not found is a 404, not allowed a 403."""
    try:
        return func(*args, **kwargs)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from exc


def _flow(request, code: str):
    return _call(editing.flow, request.desk.office, code)


def _number(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# Versions


@staff_view
def versions(request, code: str):
    sop = _flow(request, code)
    office = request.desk.office
    history = editing.history(sop)
    now = timezone.now()
    current = sop.version_at(now)
    draft = editing.draft_of(sop)
    context = {
        "sop": sop,
        "versions": history,
        "current": current,
        "now": now,
        "draft": draft
        if editing.can_edit(request.user, office) or editing.can_approve(request.user, office)
        else None,
        "can_edit": editing.can_edit(request.user, office),
        "log": changelog.entries(office, subject="sop", code=sop.code)[:50],
    }
    return render(request, "console/flow/versions.html", context)


@staff_view
def version_page(request, code: str, number: int):
    sop = _flow(request, code)
    version = _call(editing.version_of, sop, number)
    context = {
        "sop": sop,
        "version": version,
        "current": sop.current_version,
        **printable(version.parsed),
    }
    return render(request, "console/flow/version.html", context)


@staff_view
def version_yaml(request, code: str, number: int):
    sop = _flow(request, code)
    version = _call(editing.version_of, sop, number)
    name, text = editing.export_yaml(version)
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_view
def version_pdf(request, code: str, number: int):
    sop = _flow(request, code)
    version = _call(editing.version_of, sop, number)
    data = sop_pdf(version.parsed, office=request.desk.office, version=version)
    return pdf_response(data, f"sop-{sop.office.code}-{sop.code}-v{version.number}.pdf")


def _side(sop, user, value: str):
    """A version by number, or the draft (``draft``) for its readers."""
    if value == "draft":
        draft = _call(editing.read_draft, sop, user)
        definition = editing.inspect(draft).definition
        if definition is None:
            return None, _("draft (cannot be drawn yet)")
        return definition, _("draft, revision %(n)s") % {"n": draft.revision}
    number = _number(value)
    if number is None:
        return None, ""
    version = _call(editing.version_of, sop, number)
    return version.parsed, _("version %(n)s") % {"n": version.number}


@staff_view
def compare(request, code: str):
    """Two versions (or a version and the draft) side by side."""
    sop = _flow(request, code)
    history = editing.history(sop)
    default_new = str(history[0].number) if history else ""
    default_old = str(history[1].number) if len(history) > 1 else default_new
    a = request.GET.get("a") or default_old
    b = request.GET.get("b") or default_new
    before, before_label = _side(sop, request.user, a)
    after, after_label = _side(sop, request.user, b)
    result = editing.compare(before, after) if before is not None and after is not None else None
    context = {
        "sop": sop,
        "versions": history,
        "a": a,
        "b": b,
        "before_label": before_label,
        "after_label": after_label,
        "diff": result,
        "flow_changes": sop_editor.flow_changes(result) if result is not None else [],
        "can_read_draft": editing.can_edit(request.user, sop.office)
        or editing.can_approve(request.user, sop.office),
    }
    return render(request, "console/flow/diff.html", context)


# --------------------------------------------------------------------------------------------
# The editor


def _editor_context(request, sop, draft, *, error: str = "") -> dict:
    inspection = editing.inspect(draft)
    office = sop.office
    definition = inspection.definition
    return {
        "sop": sop,
        "draft": draft,
        "page": sop_editor.page(inspection),
        "choices": sop_editor.choices(),
        "approver_labels": sop_editor.approver_labels(),
        "can_edit": editing.can_edit(request.user, office),
        "can_approve": editing.can_approve(request.user, office),
        "approval": office.change_approval,
        "submitted": draft.state == DraftState.SUBMITTED,
        "removed": editing.removed_steps(draft, definition) if definition is not None else [],
        "error": error,
        "today": timezone.localdate(timezone=office.tz).isoformat(),
        "own_submission": draft.submitted_by_id == request.user.pk,
    }


@staff_view
def edit(request, code: str):
    sop = _flow(request, code)
    draft = _call(editing.read_draft, sop, request.user)
    return render(request, "console/flow/edit.html", _editor_context(request, sop, draft))


def _roles_of(data) -> list:
    roles = data.get("roles") if isinstance(data, dict) else None
    return [
        (r.get("code"), r.get("label"), r.get("kind")) if isinstance(r, dict) else r
        for r in (roles if isinstance(roles, list) else [])
    ]


def _side_keys(data) -> list:
    side = data.get("side_steps") if isinstance(data, dict) else None
    return [s.get("key") if isinstance(s, dict) else None for s in side or []]


@staff_view
@require_POST
def edit_save(request, code: str):
    """Save the form (and do the button's operation). With htmx: as the officer types, the
    problems, the preview and the new revision (out of band); after an operation, the editor."""
    sop = _flow(request, code)
    revision = _number(request.POST.get("revision"))
    op = request.POST.get("op", "")
    live = request.POST.get("live") == "1" and not op
    before = editing.draft_of(sop)
    error = ""
    try:
        draft = _call(
            editing.edit_draft, sop, request.user, revision=revision or 0, form=request.POST, op=op
        )
    except LayanError as exc:
        error = str(exc)
        draft = editing.draft_of(sop)
        if draft is None:  # published or discarded meanwhile
            messages.error(request, error)
            return _go(request, reverse("console:flow_versions", args=[sop.code]))
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(reverse("console:flow_edit", args=[sop.code]))
    context = _editor_context(request, sop, draft, error=error)
    if live and not error:
        context["refresh_selects"] = before is None or (
            _roles_of(before.data) != _roles_of(draft.data)
            or _side_keys(before.data) != _side_keys(draft.data)
        )
        return render(request, "console/flow/_live.html", context)
    response = render(request, "console/flow/_editor.html", context)
    response["HX-Retarget"] = "#editor"
    response["HX-Reswap"] = "outerHTML"
    return response


@staff_view
@require_POST
def edit_import(request, code: str):
    sop = _flow(request, code)
    _call(editing.check_editor, request.user, sop.office)
    upload = request.FILES.get("file")
    if upload is None or upload.size > MAX_UPLOAD:
        messages.error(request, _("Choose a YAML file of the SOP format (at most 800 kB)."))
        return redirect(reverse("console:flow_edit", args=[sop.code]))
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        messages.error(request, _("The file is not UTF-8 text."))
        return redirect(reverse("console:flow_edit", args=[sop.code]))
    try:
        _call(editing.import_draft, sop, request.user, text)
    except LayanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("The file is in the draft; check the problems before publishing.")
        )
    return redirect(reverse("console:flow_edit", args=[sop.code]))


@staff_view
def draft_yaml(request, code: str):
    sop = _flow(request, code)
    draft = _call(editing.read_draft, sop, request.user)
    from_data = editing.draft_yaml(draft)
    response = HttpResponse(from_data, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{sop.office.code}-{sop.code}-draft-r{draft.revision}.yaml"'
    )
    return response


def _effective(request, office) -> datetime | None:
    """The day asked for (from 00:00 in the office's time zone); None: now."""
    day = parse_date(request.POST.get("effective_on") or "")
    if day is None:
        return None
    return datetime.combine(day, time.min, tzinfo=office.tz)


def _go(request, url: str):
    """Where the page goes next: a redirect, or for htmx a full navigation (HX-Redirect)."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@staff_view
@require_POST
def edit_publish(request, code: str):
    """Publish the draft. With htmx the form is sent after the saves still on their way (it
    waits for them), with the revision they left."""
    sop = _flow(request, code)
    try:
        result = _call(
            editing.publish,
            sop,
            request.user,
            revision=_number(request.POST.get("revision")),
            reason=request.POST.get("reason", ""),
            effective_at=_effective(request, sop.office),
        )
    except LayanError as exc:
        messages.error(request, str(exc))
        return _go(request, reverse("console:flow_edit", args=[sop.code]) + "#publish")
    if result.submitted:
        messages.success(request, _("Submitted: the head of office approves it before it applies."))
        return _go(request, reverse("console:flow_edit", args=[sop.code]))
    version = result.version
    if version.effective_at > timezone.now():
        day = timezone.localtime(version.effective_at, sop.office.tz).date()
        messages.success(
            request,
            _("Version %(n)s is published; new requests take it from %(day)s.")
            % {"n": version.number, "day": day},
        )
    else:
        messages.success(
            request, _("Version %(n)s is published: new requests take it.") % {"n": version.number}
        )
    return _go(request, reverse("console:flow_versions", args=[sop.code]))


@staff_view
@require_POST
def edit_discard(request, code: str):
    sop = _flow(request, code)
    try:
        _call(
            editing.discard_draft, sop, request.user, revision=_number(request.POST.get("revision"))
        )
    except LayanError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("console:flow_edit", args=[sop.code]))
    messages.success(request, _("The draft is discarded."))
    return redirect(reverse("console:flow_versions", args=[sop.code]))


@staff_view
@require_POST
def edit_approve(request, code: str):
    sop = _flow(request, code)
    try:
        version = _call(
            editing.approve, sop, request.user, revision=_number(request.POST.get("revision"))
        )
    except LayanError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("console:flow_edit", args=[sop.code]))
    messages.success(request, _("Approved: version %(n)s is published.") % {"n": version.number})
    return redirect(reverse("console:flow_versions", args=[sop.code]))


@staff_view
@require_POST
def edit_decline(request, code: str):
    sop = _flow(request, code)
    try:
        _call(
            editing.decline,
            sop,
            request.user,
            note=request.POST.get("note", ""),
            revision=_number(request.POST.get("revision")),
        )
    except LayanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The change is sent back to the administrator."))
    return redirect(reverse("console:flow_edit", args=[sop.code]))


# --------------------------------------------------------------------------------------------
# The change log


@staff_view
def changes(request):
    office = request.desk.office
    if not (editing.can_edit(request.user, office) or editing.can_approve(request.user, office)):
        raise PermissionDenied(
            _("Only the office administrator and the head of office may open this page.")
        )
    context = {
        "entries": changelog.entries(office)[:200],
        "approval": office.change_approval,
        "can_switch_on": editing.can_edit(request.user, office)
        or editing.can_approve(request.user, office),
        "can_switch_off": editing.can_approve(request.user, office),
    }
    return render(request, "console/changes.html", context)


@staff_view
@require_POST
def approval_setting(request):
    office = request.desk.office
    try:
        _call(editing.set_approval, office, request.user, request.POST.get("required") == "1")
    except LayanError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("console:changes"))
