"""The population registry through the API: look-ups per office, and on a request its Data Ganda
findings, the request beside the registry, the values that fill its data-entry form, the
decisions and NIK issuance.

The same services as the console, with the same checks: a look-up needs a role of the office
that may look the registry up (403 otherwise) and is written to the office's access log (kind
``api``, the NIK masked); another regency's record comes masked and its family not at all; a
finding of another office's request is 404; a decided finding is 409; bad input is 422 with the
field named.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from layan.api import schemas as s
from layan.api import serialize
from layan.api.base import ERRORS, staff
from layan.cases import selectors
from layan.core.errors import NotFound
from layan.core.http import client_address
from layan.population import selectors as population
from layan.population import services as registry
from layan.population.models import RegistryAccess

router = Router(tags=["registry"], auth=staff)
API = RegistryAccess.Kind.API


def _office(request, code: str):
    office = selectors.offices_of(request.user).filter(code=code).first()
    if office is None:
        raise NotFound(_("Office not found."), "office_not_found")
    return office


def _case(request, code: str):
    return selectors.case_for(request.user, code)


def _finding(case, pk: int) -> None:
    if not case.findings.filter(pk=pk).exists():
        raise NotFound(_("No such finding."), "finding_unknown")


@router.get("/offices/{office}/registry/residents/{nik}",
            response={200: s.RegistryPersonOut, **ERRORS})  # fmt: skip
def resident(request, office: str, nik: str):
    """The resident of a NIK (another regency's record masked). 404 when the registry does not
    know the NIK."""
    answer = registry.look_up(
        _office(request, office), request.user, nik=nik, kind=API, ip=client_address(request)
    )
    if answer["person"] is None:
        raise NotFound(_("No resident with this NIK in the population data."), "resident_unknown")
    return answer["person"]


@router.get("/offices/{office}/registry/families/{kk}",
            response={200: s.RegistryFamilyOut, **ERRORS})  # fmt: skip
def family(request, office: str, kk: str):
    """The family of a KK number with its members; 404 when unknown or held by another
    regency (another regency's families are not shown)."""
    answer = registry.look_up(
        _office(request, office), request.user, kk=kk, kind=API, ip=client_address(request)
    )
    if answer["family"] is None:
        raise NotFound(
            _("No family with this KK number in this office's population data."), "family_unknown"
        )
    return answer["family"]


class SearchQuery(Schema):
    name: str
    birth_date: date


@router.get("/offices/{office}/registry/search", response={200: s.RegistrySearchOut, **ERRORS})
def search(request, office: str, query: Query[SearchQuery]):
    """Residents of a name (folded: old spellings and titles do not matter) born on a day."""
    answer = registry.look_up(
        _office(request, office), request.user, name=query.name, birth_date=query.birth_date,
        kind=API, ip=client_address(request),
    )  # fmt: skip
    return {"results": answer["results"]}


@router.get("/cases/{code}/registry/comparison",
            response={200: list[s.ComparedPersonOut], **ERRORS})  # fmt: skip
def comparison(request, code: str):
    """Each person the request names beside the registry's record of their NIK, field by field
    ("kesesuaian dengan data SIAK"); another regency's record is left out. Logged."""
    compared = population.checked_comparison(
        _case(request, code), request.user, kind=API, ip=client_address(request)
    )
    return [serialize.compared_out(person) for person in compared]


class PrefillQuery(Schema):
    nik: str = ""
    kk: str = ""


@router.get("/cases/{code}/registry/prefill", response={200: s.PrefillOut, **ERRORS})
def prefill(request, code: str, query: Query[PrefillQuery]):
    """The request's data-entry values the registry has for a NIK or a KK number (a KK fills
    its members' table), keyed by the service's field codes; nothing is saved (send them with
    ``PUT …/data``). Logged."""
    case = _case(request, code)
    values = population.checked_prefill(
        case, request.user, nik=query.nik, kk=query.kk, kind=API, ip=client_address(request)
    )
    return {"found": bool(values), "values": values, "match": population.prefill_match(case)}


@router.post("/cases/{code}/findings/{finding_id}/not-duplicate",
             response={200: s.FindingOut, **ERRORS})  # fmt: skip
def not_duplicate(request, code: str, finding_id: int, payload: s.NotDuplicateIn):
    """Mark a finding "bukan duplikat" with the reason (the officer of the request's step, a
    supervisor, the office administrator or the database administrator); the pair of records
    is ignored from then on."""
    case = _case(request, code)
    _finding(case, finding_id)
    finding = registry.decide_not_duplicate(
        case.office, finding_id, user=request.user, reason=payload.reason
    )
    return serialize.finding_out(finding)


@router.post("/cases/{code}/findings/{finding_id}/resolve",
             response={200: s.FindingOut, **ERRORS})  # fmt: skip
def resolve(request, code: str, finding_id: int, payload: s.ResolveIn):
    """The database administrator (or the office administrator) resolves a finding on a record
    the office's regency holds: merge (keeping the registry's or the request's record),
    inactivate the found record, or correct its NIK."""
    case = _case(request, code)
    _finding(case, finding_id)
    finding = registry.resolve_finding(
        case.office, finding_id, user=request.user, how=payload.how, keep=payload.keep,
        new_nik=payload.new_nik, reason=payload.reason,
    )  # fmt: skip
    return serialize.finding_out(finding)


@router.post("/cases/{code}/registry/nik", response={201: s.IssuedNikOut, **ERRORS})
def issue_nik(request, code: str, payload: s.IssueNikIn):
    """Issue a NIK for the resident of a request whose service issues one (Dukcapil Siaga), at
    its data-entry step, when its NIK field is empty; the NIK goes into the field."""
    case = _case(request, code)
    nik = registry.issue_nik_for(case, user=request.user, expected_version=payload.version)
    case.refresh_from_db(fields=["version"])
    return Status(201, {"nik": nik, "version": case.version})
