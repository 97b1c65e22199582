"""The office administrator's catalogue editor: per service the requirements, questions,
data-entry fields and pickup items, and the office's bot texts, in a draft that is checked,
published (or approved) and kept as versions like the SOPs.

Thin views over :mod:`layan.offices.editing`, which holds every rule.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from layan.console.desk import staff_view
from layan.core.errors import Forbidden, LayanError, NotFound
from layan.offices import changelog, editing
from layan.offices.catalogue import QUESTION_KINDS, texts
from layan.offices.fields import COLUMN_KINDS, FIELD_KINDS
from layan.offices.models import ChangeState, Requirement
from layan.offices.service_form import OPS, choices_text, condition_parts


def _call(func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from exc


def _number(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _common(request, draft) -> dict:
    office = request.desk.office
    inspection = editing.inspect(draft)
    return {
        "draft": draft,
        "inspection": inspection,
        "can_edit": editing.can_edit(request.user, office),
        "can_approve": editing.can_approve(request.user, office),
        "approval": office.change_approval,
        "submitted": draft.state == ChangeState.SUBMITTED,
        "own_submission": draft.submitted_by_id == request.user.pk,
    }


@staff_view
def overview(request):
    office = request.desk.office
    draft = _call(editing.read_draft, office, request.user)
    context = _common(request, draft)
    services = {s.code: s for s in office.services.order_by("position", "code")}
    rows = []
    for entry in (draft.data or {}).get("services") or []:
        code = entry.get("code")
        if code in services:
            rows.append(
                {
                    "service": services[code],
                    "problems": len(context["inspection"].by_service.get(code, [])),
                }
            )
    history = editing.history(office)
    context.update(
        {
            "rows": rows,
            "impacts": editing.impact(draft),
            "versions": history,
            "log": changelog.entries(office, subject="catalogue")[:30],
        }
    )
    return render(request, "console/catalogue/overview.html", context)


def _service_page(draft, code: str, inspection) -> dict:
    entry = editing.entry(draft, code)
    questions = [
        {
            "index": i,
            "prefix": f"q-{i}-",
            "item": q,
            "choices": choices_text(q.get("choices")),
            "problems": inspection.by_item.get((code, f"question:{q.get('code')}"), []),
        }
        for i, q in enumerate(entry.get("questions") or [])
    ]
    requirements = []
    for i, r in enumerate(entry.get("requirements") or []):
        question, op, value = condition_parts(r.get("when"))
        requirements.append(
            {
                "index": i,
                "prefix": f"r-{i}-",
                "item": r,
                "when": {"question": question, "op": op, "value": value},
                "problems": inspection.by_item.get((code, f"requirement:{r.get('code')}"), []),
            }
        )
    fields = []
    for i, f in enumerate(entry.get("fields") or []):
        columns = [
            {
                "index": j,
                "prefix": f"f-{i}-c-{j}-",
                "item": c,
                "choices": choices_text(c.get("choices")),
            }
            for j, c in enumerate(f.get("columns") or [])
            if isinstance(c, dict)
        ]
        fields.append(
            {
                "index": i,
                "prefix": f"f-{i}-",
                "item": f,
                "choices": choices_text(f.get("choices")),
                "columns": columns,
                "problems": inspection.by_item.get((code, f"field:{f.get('code')}"), []),
            }
        )
    bring = []
    for i, b in enumerate(entry.get("bring_on_pickup") or []):
        question, op, value = condition_parts(b.get("when"))
        bring.append(
            {
                "index": i,
                "prefix": f"b-{i}-",
                "item": b,
                "when": {"question": question, "op": op, "value": value},
            }
        )
    return {
        "entry": entry,
        "questions": questions,
        "requirements": requirements,
        "fields": fields,
        "bring": bring,
        "service_problems": inspection.by_item.get((code, ""), []),
        "bring_problems": inspection.by_item.get((code, "bring"), []),
        "question_codes": [q["item"].get("code") for q in questions],
        "kinds": {
            "question": QUESTION_KINDS,
            "requirement": [(value, label) for value, label in Requirement.Kind.choices],
            "field": FIELD_KINDS,
            "column": COLUMN_KINDS,
            "ops": OPS,
        },
    }


@staff_view
def service(request, code: str):
    office = request.desk.office
    found = office.services.filter(code=code).first()
    if found is None:
        raise Http404
    draft = _call(editing.read_draft, office, request.user)
    context = _common(request, draft)
    context["service"] = found
    context.update(_call(_service_page, draft, code, context["inspection"]))
    return render(request, "console/catalogue/service.html", context)


@staff_view
@require_POST
def service_save(request, code: str):
    office = request.desk.office
    if not office.services.filter(code=code).exists():
        raise Http404
    try:
        _call(
            editing.edit_service,
            office,
            request.user,
            code,
            revision=_number(request.POST.get("revision")) or 0,
            form=request.POST,
            op=request.POST.get("op", ""),
        )
    except LayanError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("console:catalogue_service", args=[code]))


@staff_view
def bot_texts(request):
    office = request.desk.office
    draft = _call(editing.read_draft, office, request.user)
    context = _common(request, draft)
    own = (draft.data or {}).get("texts") or {}
    context["rows"] = [
        {
            "key": key,
            "default_id": default_id,
            "default_en": default_en,
            "id": (own.get(key) or {}).get("id", ""),
            "en": (own.get(key) or {}).get("en", ""),
            "problems": context["inspection"].texts.get(key, []),
        }
        for key, default_id, default_en in texts().defaults()
    ]
    return render(request, "console/catalogue/texts.html", context)


@staff_view
@require_POST
def bot_texts_save(request):
    try:
        _call(
            editing.edit_texts,
            request.desk.office,
            request.user,
            revision=_number(request.POST.get("revision")) or 0,
            form=request.POST,
        )
    except LayanError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("console:catalogue_texts"))


@staff_view
@require_POST
def publish(request):
    office = request.desk.office
    try:
        result = _call(
            editing.publish,
            office,
            request.user,
            revision=_number(request.POST.get("revision")),
            reason=request.POST.get("reason", ""),
        )
    except LayanError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("console:catalogue") + "#publish")
    if result.submitted:
        messages.success(request, _("Submitted: the head of office approves it before it applies."))
    else:
        messages.success(
            request,
            _("Catalogue version %(n)s is published.") % {"n": result.version.number},
        )
    return redirect(reverse("console:catalogue"))


@staff_view
@require_POST
def discard(request):
    try:
        _call(
            editing.discard_draft,
            request.desk.office,
            request.user,
            revision=_number(request.POST.get("revision")),
        )
    except LayanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The draft is discarded."))
    return redirect(reverse("console:catalogue"))


@staff_view
@require_POST
def approve(request):
    try:
        version = _call(
            editing.approve,
            request.desk.office,
            request.user,
            revision=_number(request.POST.get("revision")),
        )
    except LayanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Approved: catalogue version %(n)s is published.") % {"n": version.number}
        )
    return redirect(reverse("console:catalogue"))


@staff_view
@require_POST
def decline(request):
    try:
        _call(
            editing.decline,
            request.desk.office,
            request.user,
            note=request.POST.get("note", ""),
            revision=_number(request.POST.get("revision")),
        )
    except LayanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The change is sent back to the administrator."))
    return redirect(reverse("console:catalogue"))


@staff_view
def compare(request):
    office = request.desk.office
    if not (editing.can_edit(request.user, office) or editing.can_approve(request.user, office)):
        raise PermissionDenied
    history = editing.history(office)
    a, b = _number(request.GET.get("a")), _number(request.GET.get("b"))
    if a is None or b is None:
        b = history[0].number if history else None
        a = history[1].number if len(history) > 1 else b
    before = _call(editing.version_of, office, a).data if a else {}
    after = _call(editing.version_of, office, b).data if b else {}
    context = {"versions": history, "a": a, "b": b, "changes": editing.compare(before, after)}
    return render(request, "console/catalogue/diff.html", context)
