"""A request's page and everything an officer does on it.

Every change goes through the engine (``layan.cases.services``) or the bot's services; these
views only turn forms into calls and the engine's refusals into messages. Each action form
carries the version of the request it was shown with, so an officer acting on a page that a
colleague has changed since gets "reload" instead of acting on stale data.
"""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from layan.bot import selectors as bot_selectors
from layan.bot import services as bot_services
from layan.cases import selectors as case_selectors
from layan.cases import services as engine
from layan.cases.models import Attachment, CaseAccess, RequirementCheck, Visit
from layan.console import forms, registry_panel, selectors
from layan.console.desk import staff_view
from layan.console.views.common import back_to_case, run
from layan.core.errors import LayanError
from layan.core.http import client_address
from layan.documents import selectors as doc_selectors
from layan.documents.kinds import kind_of
from layan.documents.models import Handover
from layan.documents.rendering import missing_fields
from layan.documents.services import can_revoke, signing_key_for
from layan.offices.fields import fields_of
from layan.offices.models import Role
from layan.reports import selectors as report_selectors

FILE_KINDS = ("photo", "document")
INLINE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf"}
FILE_POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
)


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def _case(request, code: str):
    case = selectors.office_cases(request.desk).filter(code=code.upper()).first()
    if case is None:
        raise Http404(_("Request not found."))
    return case


def _chat_context(case, now) -> dict:
    """What the chat panel shows: the request's first conversation and its latest messages."""
    conversations = selectors.case_conversations(case)
    conversation = conversations[0] if conversations else None
    return {
        "case": case,
        "conversation": conversation,
        "conversations": conversations,
        "chat": bot_selectors.chat_messages(conversation, limit=50) if conversation else [],
        "window_open": conversation.window_open(now) if conversation else False,
    }


def _context(request, case, **extra) -> dict:
    now = timezone.now()
    actor = engine.Actor.staff(request.user)
    actions = engine.allowed_actions(case, actor)
    step = case.step
    definition = case.sop_version.parsed
    rows, others = case_selectors.checklist(case)
    specs = fields_of(case.service)
    data_entry = bool(step and step.data_entry and actions)
    context = {
        **_chat_context(case, now),
        "step": step,
        "actions": actions,
        "can_work": bool(actions),
        "holder": case.assigned_to,
        "rows": rows,
        "rejected": [r for r in rows if r.check and r.check.verdict == "rejected"],
        "request_documents": next((a for a in actions if a.kind == "request_documents"), None),
        "others": others,
        "file_requirements": [r.requirement for r in rows if r.requirement.kind in FILE_KINDS],
        "clocks": selectors.clocks(case, now),
        "events": selectors.history(case),
        "timeline": report_selectors.timeline(case, now),
        "flags": list(case.flags.all()),
        "data_entry": data_entry,
        "inputs": forms.inputs(specs, case.form_data) if specs else [],
        "specs": specs,
        "step_role": definition.role(step.role).label if step else "",
        "step_is_staff": bool(step and definition.role(step.role).kind == Role.Kind.STAFF),
        "now": now,
        **_documents_context(request, case, step, actions),
        "visits": list(case.visits.order_by("-starts_at")),
        "visit_work": bool(step and step.visit and actions),
        "visit_outcomes": [c for c in Visit.Outcome.choices if c[0] != Visit.Outcome.PLANNED],
        "today": timezone.localtime(now, case.office.tz).date(),
        "registry": registry_panel.panel(request, case, step),
    }
    context.update(extra)
    return context


def _documents_context(request, case, step, actions) -> dict:
    """The documents card: issued documents, the draft's gaps, this step's document work."""
    work = step.document if step and actions else ""
    return {
        "issued": list(case.documents.order_by("-issued_at")),
        "doc_kind": kind_of(case.service),
        "doc_missing": missing_fields(case),
        "doc_work": work,
        "handover": doc_selectors.handover_of(case),
        "handover_items": Handover.Item.choices,
        "signing_key": signing_key_for(case.office, request.user) if work == "sign" else None,
        "can_revoke": can_revoke(request.user, case.office),
    }


@staff_view
def case_page(request, code: str):
    case = _case(request, code)
    engine.record_access(
        case, user=request.user, kind=CaseAccess.Kind.PAGE, ip=client_address(request)
    )
    return render(request, "console/case.html", _context(request, case))


@require_POST
@staff_view
def claim(request, code: str):
    case = _case(request, code)
    run(
        request, engine.claim, case, user=request.user, expected_version=_version(request),
        success=_("You took this request."),
    )  # fmt: skip
    return back_to_case(case.code)


@require_POST
@staff_view
def release(request, code: str):
    case = _case(request, code)
    run(
        request,
        engine.release,
        case,
        user=request.user,
        success=_("Request put back in the queue."),
    )
    return back_to_case(case.code)


@require_POST
@staff_view
def act(request, code: str, action: str):
    """Take one of the current step's actions, with its note (and the items asked for)."""
    case = _case(request, code)
    chosen = case.step.action(action) if case.step else None
    items = request.POST.getlist("items")
    asks = chosen is not None and chosen.kind == "request_documents"
    data = {"items": items} if items and asks else None
    done = run(
        request,
        engine.perform_action,
        case,
        actor=engine.Actor.staff(request.user),
        action=action,
        note=request.POST.get("note", ""),
        data=data,
        expected_version=_version(request),
    )
    if done is None:
        return back_to_case(case.code, "actions")
    messages.success(
        request,
        _("Done: %(code)s is now at “%(status)s”.")
        % {
            "code": done.code,
            "status": done.step.activity if done.step else done.get_status_display(),
        },
    )
    # The request usually leaves the officer's hands: go back to the queue it came from.
    if done.is_open and engine.allowed_actions(done, engine.Actor.staff(request.user)):
        return back_to_case(done.code)
    return redirect("console:home")


@require_POST
@staff_view
def check(request, code: str, requirement: str):
    """Accept or reject one requirement (with the reason the applicant will read)."""
    case = _case(request, code)
    try:
        updated = engine.check_requirement(
            case,
            actor=engine.Actor.staff(request.user),
            requirement=requirement,
            verdict=request.POST.get("verdict", ""),
            reason=request.POST.get("reason", ""),
            expected_version=_version(request),
        )
    except LayanError as exc:
        if not request.htmx:
            messages.error(request, str(exc))
            return back_to_case(case.code, "checklist")
        # htmx swaps the checklist alone: a refusal is shown inside it, not as a redirect.
        case.refresh_from_db()
        context = _context(request, case, check_error=str(exc))
        return render(request, "console/_checklist.html", context)
    if not request.htmx:
        return back_to_case(case.code, "checklist")
    response = render(request, "console/_checklist.html", _context(request, updated))
    response["X-Case-Version"] = str(updated.version)
    return response


@require_POST
@staff_view
def send_back(request, code: str):
    """Send the rejected requirements back to the applicant in one go: the step's
    request-for-documents action with those items and their reasons as the note."""
    case = _case(request, code)
    actions = engine.allowed_actions(case, engine.Actor.staff(request.user))
    action = next((a for a in actions if a.kind == "request_documents"), None)
    rejected = list(
        case.checks.filter(verdict=RequirementCheck.Verdict.REJECTED).order_by("requirement")
    )
    if action is None or not rejected:
        messages.error(request, _("There is nothing to send back at this step."))
        return back_to_case(case.code, "checklist")
    labels = dict(case.service.requirements.values_list("code", "label"))
    note = "\n".join(f"- {labels.get(c.requirement, c.requirement)}: {c.reason}" for c in rejected)
    extra = (request.POST.get("note") or "").strip()
    done = run(
        request,
        engine.perform_action,
        case,
        actor=engine.Actor.staff(request.user),
        action=action.id,
        note=f"{note}\n{extra}".strip(),
        data={"items": [c.requirement for c in rejected]},
        expected_version=_version(request),
        success=_("Sent to the applicant: they are asked for the rejected items."),
    )
    return back_to_case(case.code, "checklist" if done is None else "")


@require_POST
@staff_view
def save_data(request, code: str):
    """Store the data-entry fields; what is wrong is shown next to its field, nothing typed is
    lost."""
    case = _case(request, code)
    specs = fields_of(case.service)
    values = forms.values_from_post(specs, request.POST)
    errors: dict[str, str] = {}
    try:
        case, errors = engine.save_form_data(
            case,
            actor=engine.Actor.staff(request.user),
            values=values,
            expected_version=_version(request),
        )
    except LayanError as exc:
        messages.error(request, str(exc))
        errors = {}
    else:
        if "add_row" not in request.POST:
            if errors:
                messages.error(request, _("Some fields need attention; the rest was saved."))
            else:
                messages.success(request, _("Data saved."))
                return back_to_case(case.code, "data")
    case.refresh_from_db()
    context = _context(request, case)
    context["inputs"] = forms.inputs(specs, values, errors, post=request.POST)
    return render(request, "console/case.html", context, status=422 if errors else 200)


@require_POST
@staff_view
def documents_received(request, code: str):
    """The applicant brought what was asked (at the counter): the step resumes."""
    case = _case(request, code)
    run(
        request,
        engine.documents_received,
        case,
        actor=engine.Actor.staff(request.user),
        note=request.POST.get("note", ""),
        success=_("Recorded: the documents were received and the clock runs again."),
    )
    return back_to_case(case.code)


@require_POST
@staff_view
def chat(request, code: str):
    """Write to the applicant from the request page (the template outside the 24 h window)."""
    case = _case(request, code)
    conversations = {c.pk: c for c in selectors.case_conversations(case)}
    try:
        conversation = conversations[int(request.POST.get("conversation", ""))]
    except (KeyError, ValueError):
        raise Http404 from None
    run(
        request,
        bot_services.staff_reply,
        conversation,
        user=request.user,
        text=request.POST.get("text", ""),
        success=_("Message queued for sending."),
    )
    return back_to_case(case.code, "chat")


@staff_view
def chat_panel(request, code: str):
    """The chat panel alone (htmx polls it every 20 s: only the chat is worked out)."""
    case = _case(request, code)
    return render(request, "console/_chat.html", _chat_context(case, timezone.now()))


@staff_view
def attachment(request, code: str, pk: int):
    """One attachment of a request of the officer's office, logged; images and PDFs inline."""
    case = _case(request, code)
    item = get_object_or_404(Attachment, pk=pk, case=case)
    engine.record_access(
        case,
        user=request.user,
        kind=CaseAccess.Kind.FILE,
        detail=item.original_name or item.file.name,
        ip=client_address(request),
    )
    content_type = item.content_type or mimetypes.guess_type(item.file.name)[0] or ""
    inline = content_type in INLINE_TYPES
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from storage.")) from None
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=item.original_name or item.file.name.rsplit("/", 1)[-1],
        content_type=content_type if inline else "application/octet-stream",
    )
    response["Content-Security-Policy"] = FILE_POLICY
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cache-Control"] = "private, no-store"
    return response
