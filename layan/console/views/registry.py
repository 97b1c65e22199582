"""The population registry in the console: the request page's Data Ganda card and its
"kesesuaian dengan data SIAK" table, the data-entry form's look-up that fills it from the
registry, NIK issuance, and the registry pages (search, a resident's history, the nightly scan's
suspected duplicates).

Every check is the population services' (who may look up, decide, resolve; which regency holds a
record); these views turn forms into calls, refusals into messages, and registry data into rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from layan.cases import services as engine
from layan.cases.models import CaseAccess
from layan.console import forms
from layan.console.desk import staff_view
from layan.console.registry_panel import LEVELS, Panel, Row, shown_value
from layan.console.views.cases import _case, _context
from layan.console.views.common import back_to_case, run
from layan.core.errors import Forbidden, LayanError, NotFound
from layan.core.http import client_address
from layan.offices.fields import fields_of
from layan.offices.people import parse_date
from layan.population import selectors as population
from layan.population import services as registry
from layan.population.vocabulary import rule_label
from layan.registry.models import RegistryChange
from layan.registry.nik import mask_nik

# --------------------------------------------------------------------------- on a request


def _finding_of(case, pk: int) -> None:
    if not case.findings.filter(pk=pk).exists():
        raise Http404(_("No such finding."))


@require_POST
@staff_view
def not_duplicate(request, code: str, pk: int):
    """Mark a finding "bukan duplikat", with the reason."""
    case = _case(request, code)
    _finding_of(case, pk)
    run(
        request, registry.decide_not_duplicate, request.desk.office, pk, user=request.user,
        reason=request.POST.get("reason", ""), success=_("Marked as not a duplicate."),
    )  # fmt: skip
    return back_to_case(case.code, f"finding-{pk}")


@require_POST
@staff_view
def resolve(request, code: str, pk: int):
    """The database administrator resolves a finding on the registry."""
    case = _case(request, code)
    _finding_of(case, pk)
    how, _sep, keep = request.POST.get("how", "").partition(":")
    run(
        request, registry.resolve_finding, request.desk.office, pk, user=request.user, how=how,
        keep=keep or "registry", new_nik=request.POST.get("new_nik", ""),
        reason=request.POST.get("reason", ""), success=_("Resolved in the population registry."),
    )  # fmt: skip
    return back_to_case(case.code, f"finding-{pk}")


@require_POST
@staff_view
def issue_nik(request, code: str):
    """Issue a NIK for the resident of a Dukcapil Siaga request (at its data-entry step)."""
    case = _case(request, code)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    nik = run(request, registry.issue_nik_for, case, user=request.user, expected_version=version)
    if nik:
        messages.success(request, _("NIK %(nik)s issued and entered in the form.") % {"nik": nik})
    return back_to_case(case.code, "data")


def _wanted(request) -> tuple[str, str, str]:
    """The look-up asked for: (by, number) from the form, or nik= / kk= as the API takes it."""
    by = request.GET.get("by", "")
    number = (request.GET.get("number") or "").strip()
    nik, kk = request.GET.get("nik", ""), request.GET.get("kk", "")
    if number:
        nik, kk = (number, "") if by != "kk" else ("", number)
    return ("kk" if kk and not nik else "nik"), nik, kk


def _prefill(request, case) -> tuple[dict, dict]:
    _by, nik, kk = _wanted(request)
    values = population.checked_prefill(
        case, request.user, nik=nik, kk=kk, ip=client_address(request)
    )
    return values, population.prefill_match(case)


@staff_view
def prefill_json(request, code: str):
    """The data-entry values the registry has for a NIK or KK number, as JSON for
    ``registry.js``: ``{"found", "values", "match"}``; a refusal as ``{"code", "message",
    "field"}`` with its status."""
    case = _case(request, code)
    try:
        values, match = _prefill(request, case)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except LayanError as exc:
        body = {"code": exc.code, "message": str(exc), "field": exc.details.get("field", "")}
        return JsonResponse(body, status=exc.status)
    return JsonResponse({"found": bool(values), "values": values, "match": match})


@staff_view
def prefill_page(request, code: str):
    """The look-up without JavaScript: the request page with the form filled from the registry
    (empty fields take its values, typed ones stay, differences are marked). Nothing is saved
    until the officer saves the form."""
    case = _case(request, code)
    by, nik, kk = _wanted(request)
    context = _context(request, case)
    if not context["data_entry"]:
        return back_to_case(case.code, "data")
    engine.record_access(
        case, user=request.user, kind=CaseAccess.Kind.PAGE, ip=client_address(request)
    )
    result: Panel = context["registry"]
    result.lookup_by, result.lookup_number = by, nik or kk
    try:
        values, match = _prefill(request, case)
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from exc
    except LayanError as exc:
        result.lookup_message = str(exc)
        return render(request, "console/case.html", context, status=exc.status)
    items = forms.filled_from_registry(fields_of(case.service), case.form_data or {}, values, match)
    context["inputs"] = items
    differing = sum(
        cell.differs_from_registry
        for item in items
        for cell in ([c for row in item.cells for c in row] if item.cells else [item])
    )
    if values:
        result.lookup_message = _(
            "Filled from the population data: check the form and save it. %(n)d field(s) differ "
            "from the registry."
        ) % {"n": differing}
    else:
        result.lookup_message = _("Not found in the population data of this office.")
    return render(request, "console/case.html", context)


# --------------------------------------------------------------------------- the registry pages


def _check_lookup(request) -> None:
    try:
        registry.check_lookup(request.desk.office, request.user)
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from exc


def _may_review(request) -> bool:
    try:
        registry.check_suspects(request.desk.office, request.user)
    except Forbidden:
        return False
    return True


@dataclass(frozen=True)
class Listed:
    """A registry record in a list: its NIK masked, a link when the office holds it."""

    id: Any
    nik: str
    name: str
    birth_date: str
    sex: str
    status: str
    relation: str
    region: str
    ours: bool


def listed(record: dict, names: dict[str, str]) -> Listed:
    ours = bool(record.get("ours"))
    return Listed(
        id=record.get("id") if ours else None,
        nik=mask_nik(record.get("nik", "")) if ours else record.get("nik", ""),
        name=record.get("name", ""),
        birth_date=shown_value("birth_date", record.get("birth_date")),
        sex=shown_value("sex", record.get("sex")),
        status=shown_value("status", record.get("status")),
        relation=record.get("relation", ""),
        region=names.get(record.get("region", ""), record.get("region", "")),
        ours=ours,
    )


@staff_view
def search(request):
    """Look the registry up by NIK, KK number or name and birth date (logged)."""
    _check_lookup(request)
    query = {k: (request.GET.get(k) or "").strip() for k in ("nik", "kk", "name", "birth_date")}
    context: dict[str, Any] = {"query": query, "may_review": _may_review(request)}
    if any(query.values()):
        born = parse_date(query["birth_date"])
        try:
            answer = registry.look_up(
                request.desk.office, request.user, nik=query["nik"], kk=query["kk"],
                name=query["name"], birth_date=born, ip=client_address(request),
            )  # fmt: skip
        except LayanError as exc:
            context.update(error=str(exc), error_field=exc.details.get("field", ""))
        else:
            family = answer["family"] or {}
            records = [answer["person"] or {}, *family.get("members", []), *answer["results"]]
            names = population.region_names(r.get("region", "") for r in records)
            if family:
                names |= population.region_names([family["region"]])
            context.update(
                searched=True,
                person_list=[listed(answer["person"], names)] if answer["person"] else [],
                family=family,
                family_region=names.get(family.get("region", ""), ""),
                members=[listed(m, names) for m in family.get("members", [])],
                results=[listed(r, names) for r in answer["results"]],
            )
    return render(request, "console/registry.html", context)


# The keys of a registry change's snapshots that are not compared fields.
CHANGE_LABELS = {
    "status": gettext_lazy("Status"),
    "family": gettext_lazy("KK number"),
    "head": gettext_lazy("Head of the family (NIK)"),
    "rt": "RT",
    "rw": "RW",
    "region": gettext_lazy("Holding regency"),
    "village_code": gettext_lazy("Desa/kelurahan code"),
    "died_on": gettext_lazy("Date of death"),
    "moved_to": gettext_lazy("Moved to"),
    "merged_into": gettext_lazy("A duplicate of (NIK)"),
    "other": gettext_lazy("The other record (NIK)"),
}


def _change_lines(change: RegistryChange) -> list[str]:
    """What a registry change changed, "field: before → after"."""
    labels = dict(population.COMPARED) | CHANGE_LABELS
    lines = []
    before, after = change.before or {}, change.after or {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new or key in ("members",) or (not before and new in (None, "", [])):
            continue
        label = str(labels.get(key, key))
        if before:
            old, new = shown_value(key, old) or "—", shown_value(key, new) or "—"
            lines.append(f"{label}: {old} → {new}")
        else:
            lines.append(f"{label}: {shown_value(key, new)}")
    return lines


@staff_view
def resident(request, pk: int):
    """A resident the office holds, their family and the registry's history (logged)."""
    _check_lookup(request)
    try:
        page = registry.resident_page(
            request.desk.office, request.user, pk, ip=client_address(request)
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    person = page.person
    names = population.region_names([person.region])
    facts = [
        (label, shown_value(name, getattr(person, name, "")))
        for name, label in (*population.COMPARED, ("status", _("Status")))
        if name not in ("kk_number",)
    ]
    members = []
    if page.family is not None:
        members = [listed({**m.as_dict(), "ours": True}, names) for m in page.family.members]
    history = [(change, _change_lines(change)) for change in page.changes]
    context = {
        "person": person,
        "facts": facts,
        "region": names.get(person.region, person.region),
        "family": page.family,
        "members": members,
        "history": history,
        "merged_into": page.merged_into,
        "may_review": _may_review(request),
    }
    return render(request, "console/registry_resident.html", context)


def _check_review(request) -> None:
    try:
        registry.check_suspects(request.desk.office, request.user)
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from exc


@staff_view
def suspects(request):
    """The nightly scan's open suspected duplicates of the office's regency."""
    _check_review(request)
    rows = population.suspected_for(request.desk.office)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    names = population.region_names(
        r.region for pair in page.object_list for r in (pair.first, pair.second)
    )
    office = request.desk.office
    items = [
        {
            "pair": pair,
            "rule": rule_label(pair.rule),
            "records": [
                {
                    "name": r.name,
                    "nik": mask_nik(r.nik),
                    "birth_date": shown_value("birth_date", r.birth_date),
                    "region": names.get(r.region, r.region),
                    "ours": registry.holds(office, r.region),
                }
                for r in (pair.first, pair.second)
            ],
        }
        for pair in page.object_list
    ]
    context = {"page": page, "items": items, "may_review": True}
    return render(request, "console/registry_suspects.html", context)


PAIR_ROWS = (
    ("nik", "NIK"),
    ("name", gettext_lazy("Name")),
    ("sex", gettext_lazy("Sex")),
    ("birth_place", gettext_lazy("Place of birth")),
    ("birth_date", gettext_lazy("Date of birth")),
    ("mother_name", gettext_lazy("Mother's name")),
    ("father_name", gettext_lazy("Father's name")),
    ("kk_number", gettext_lazy("KK number")),
    ("village", gettext_lazy("Desa/kelurahan")),
    ("status", gettext_lazy("Status")),
)


@staff_view
def pair(request, pk: int):
    """One suspected pair side by side, with "bukan duplikat" and, for the database
    administrator, the resolution of a record the office holds."""
    _check_review(request)
    office = request.desk.office
    try:
        view = registry.suspected_pair(office, request.user, pk, ip=client_address(request))
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    first, second = view.first, view.second
    names = population.region_names([first.get("region", ""), second.get("region", "")])
    rows = []
    for name, label in PAIR_ROWS:
        a, b = shown_value(name, first.get(name)), shown_value(name, second.get(name))
        if a or b:
            rows.append(Row(str(label), a, b))
    open_pair = view.pair.state == view.pair.State.OPEN
    resolver = open_pair and registry.can_resolve(request.user, office)
    context = {
        "pair": view.pair,
        "rule": rule_label(view.pair.rule),
        "level": str(LEVELS.get(view.pair.level, view.pair.level)),
        "rows": rows,
        "sides": [
            {
                "key": key,
                "record": record,
                "region": names.get(record.get("region", ""), ""),
                "ours": bool(record.get("ours")),
            }
            for key, record in (("first", first), ("second", second))
        ],
        "open": open_pair,
        "can_resolve": resolver and (first.get("ours") or second.get("ours")),
        "may_review": True,
    }
    return render(request, "console/registry_pair.html", context)


@require_POST
@staff_view
def pair_not_duplicate(request, pk: int):
    run(
        request, registry.decide_pair_not_duplicate, request.desk.office, pk, user=request.user,
        reason=request.POST.get("reason", ""), success=_("Marked as not a duplicate."),
    )  # fmt: skip
    return redirect("console:registry_pair", pk=pk)


@require_POST
@staff_view
def pair_resolve(request, pk: int):
    how, _sep, side = request.POST.get("how", "").partition(":")
    run(
        request, registry.resolve_pair, request.desk.office, pk, user=request.user, how=how,
        keep=side, record=side, new_nik=request.POST.get("new_nik", ""),
        reason=request.POST.get("reason", ""), success=_("Resolved in the population registry."),
    )  # fmt: skip
    return redirect("console:registry_pair", pk=pk)
