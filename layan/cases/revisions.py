"""What a new SOP or catalogue version may not do to the requests under way.

A request keeps the SOP version it started on, and the catalogue's rows are shared by every
request of a service, so the editors (``layan.sop.editing``, ``layan.offices.editing``) ask the
engine before they publish; it registers these guards at start-up (``CasesConfig.ready``):

- a step a new SOP version removes must have no request waiting at it (the office no longer
  runs that step; the requests there are finished first);
- a catalogue version may not remove a data-entry field requests under way already filled, or
  change it so their values no longer fit; nor remove a requirement requests under way are
  waiting for (asked of the applicant, or rejected and to be sent again).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from layan.cases.models import OPEN, Case, CaseEvent, EventKind, RequirementCheck, Status
from layan.offices.fields import clean_value, parse_fields

SHOWN = 10  # request codes named in a refusal


def _codes(rows) -> str:
    codes = list(rows[: SHOWN + 1])
    text = ", ".join(codes[:SHOWN])
    return text + (" …" if len(codes) > SHOWN else "")


def requests_at_removed_steps(sop, base_version, definition, removed) -> list[str]:
    """Refuse a version that removes a step requests of its base version are at."""
    if base_version is None or not removed:
        return []
    refusals = []
    for key, activity in removed:
        rows = Case.objects.filter(
            sop_version=base_version, status__in=OPEN, current_step__key=key
        ).order_by("created_at")
        count = rows.count()
        if count:
            refusals.append(
                _(
                    "Step %(step)s (%(activity)s) is removed, but %(count)s request(s) are at it:"
                    " %(codes)s. Let them go past it first, or keep the step."
                )
                % {
                    "step": key,
                    "activity": activity[:80],
                    "count": count,
                    "codes": _codes(rows.values_list("code", flat=True)),
                }
            )
    return refusals


def _waiting_for(service) -> dict[str, list[str]]:
    """Requirement code -> codes of the open requests of ``service`` waiting for it: asked of
    the applicant by the step they wait at, or rejected and to be sent again."""
    waiting: dict[str, list[str]] = {}
    asking = Case.objects.filter(service=service, status=Status.WAITING_APPLICANT)
    for case in asking.only("pk", "code"):
        last = (
            CaseEvent.objects.filter(case=case, kind=EventKind.REQUEST_DOCUMENTS)
            .order_by("-seq")
            .values_list("data", flat=True)
            .first()
        )
        for code in (last or {}).get("items") or []:
            waiting.setdefault(code, []).append(case.code)
    rejected = RequirementCheck.objects.filter(
        case__service=service,
        case__status__in=OPEN,
        verdict=RequirementCheck.Verdict.REJECTED,
    ).values_list("requirement", "case__code")
    for code, case_code in rejected:
        if case_code not in waiting.get(code, []):
            waiting.setdefault(code, []).append(case_code)
    return waiting


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def catalogue_refusals(office, service, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why the new catalogue entry of ``service`` would break its requests under way (empty:
    it would not). ``old`` and ``new`` are the service's entries (requirements, fields)."""
    refusals = []
    old_requirements = {r["code"]: r for r in old.get("requirements") or []}
    new_requirements = {r["code"]: r for r in new.get("requirements") or []}
    gone = [code for code in old_requirements if code not in new_requirements]
    if gone:
        waiting = _waiting_for(service)
        for code in gone:
            if waiting.get(code):
                refusals.append(
                    _(
                        "Requirement %(label)s is removed, but %(count)s request(s) are waiting"
                        " for it: %(codes)s."
                    )
                    % {
                        "label": old_requirements[code].get("label", code),
                        "count": len(waiting[code]),
                        "codes": _codes(waiting[code]),
                    }
                )
    old_fields = {f.code: f for f in parse_fields(old.get("fields"))}
    new_fields = {f.code: f for f in parse_fields(new.get("fields"))}
    touched = [
        code
        for code, spec in old_fields.items()
        if code not in new_fields or new_fields[code] != spec
    ]
    if not touched:
        return refusals
    rows = Case.objects.filter(service=service, status__in=OPEN).values_list("code", "form_data")
    for code in touched:
        spec = old_fields[code]
        holders = []
        for case_code, data in rows:
            value = (data or {}).get(code)
            if not _filled(value):
                continue
            if code not in new_fields:
                holders.append(case_code)
                continue
            _old_value, old_error = clean_value(spec, value)
            _new_value, new_error = clean_value(new_fields[code], value)
            if old_error is None and new_error is not None:
                holders.append(case_code)
        if not holders:
            continue
        if code not in new_fields:
            message = _(
                "Field %(label)s is removed, but %(count)s request(s) under way already filled"
                " it: %(codes)s."
            )
        else:
            message = _(
                "Field %(label)s changes so that the values %(count)s request(s) under way already"
                " filled no longer fit: %(codes)s."
            )
        refusals.append(
            message % {"label": spec.label, "count": len(holders), "codes": _codes(holders)}
        )
    return refusals
