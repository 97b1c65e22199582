"""Reading requests against the registry: the findings to show, the request's data beside the
registry's, a look-up that fills a data-entry form, and the engine's guard at a registry-check
step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from layan.cases.models import Case
from layan.offices.fields import fields_of
from layan.offices.models import Office
from layan.offices.people import spec_of
from layan.population.models import DuplicateFinding, RegistryAccess
from layan.population.services import (
    check_lookup,
    holds,
    log_access,
    look_up,
    people_of,
    person_data,
    regency_q,
)
from layan.registry.backend import FamilyData, PersonData
from layan.registry.models import Region, SuspectedDuplicate
from layan.registry.nik import clean_nik, mask_nik
from layan.registry.services import get_backend


def undecided_findings(case: Case, step) -> tuple[str, str] | None:
    """The engine's guard: a registry-check step goes forward only once no blocking finding is
    undecided."""
    if not getattr(step, "registry_check", False):
        return None
    if case.findings.filter(state__in=DuplicateFinding.UNDECIDED, level="block").exists():
        return "data_ganda_undecided", _(
            "Decide the Data Ganda findings first: not a duplicate (with the reason), or to the "
            "database administrator."
        )
    return None


def findings_for(case: Case, *, include_cleared: bool = False) -> list[DuplicateFinding]:
    rows = case.findings.select_related("decided_by").order_by("state", "level", "-score", "pk")
    if not include_cleared:
        rows = rows.exclude(state=DuplicateFinding.State.CLEARED)
    return list(rows)


# What the comparison shows, in this order, with the label officers read (translated when read,
# in the officer's language).
COMPARED = (
    ("nik", "NIK"), ("name", gettext_lazy("Name")), ("sex", gettext_lazy("Sex")),
    ("birth_place", gettext_lazy("Place of birth")), ("birth_date", gettext_lazy("Date of birth")),
    ("religion", gettext_lazy("Religion")), ("marital_status", gettext_lazy("Marital status")),
    ("relation", gettext_lazy("Relation in the family")),
    ("father_name", gettext_lazy("Father's name")), ("mother_name", gettext_lazy("Mother's name")),
    ("kk_number", gettext_lazy("KK number")), ("address", gettext_lazy("Home address")),
    ("village", gettext_lazy("Desa/kelurahan")),
)  # fmt: skip


@dataclass(frozen=True)
class ComparedRow:
    label: str
    stated: str
    registry: str

    @property
    def differs(self) -> bool:
        return (
            bool(self.stated) and bool(self.registry) and _same(self.stated) != _same(self.registry)
        )


def _same(value: str) -> str:
    return " ".join(str(value).lower().split())


def _text(value: Any) -> str:
    if value in (None, ""):
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@dataclass(frozen=True)
class Comparison:
    """One person of the request beside their registry record (None: not in the registry)."""

    key: str
    role: str
    name: str
    record: PersonData | None
    rows: tuple[ComparedRow, ...]

    @property
    def differences(self) -> int:
        return sum(row.differs for row in self.rows)


def comparison(case: Case, *, now=None) -> list[Comparison]:
    """Each person the request names, field by field beside the registry's record of their NIK
    (the "kesesuaian dengan data SIAK" check); another regency's record is left out."""
    backend = get_backend()
    today = timezone.localdate(now or timezone.now(), timezone=case.office.tz)
    compared = []
    for stated in people_of(case):
        stated_data = person_data(stated, today)
        record = backend.by_nik(stated_data.nik) if stated_data.nik else None
        if record is not None and not holds(case.office, record.region):
            record = None
        rows = tuple(
            ComparedRow(
                str(label),
                _text(getattr(stated_data, name, "")),
                _text(getattr(record, name, "")) if record else "",
            )
            for name, label in COMPARED
        )
        compared.append(Comparison(stated.key, stated.role, stated_data.name, record, rows))
    return compared


# --------------------------------------------------------------------------- look-up and pre-fill


def _form_values(mapping, person: PersonData) -> dict[str, str]:
    values = {}
    for attribute, code in mapping.items():
        if attribute == "rt_rw":
            value = f"{person.rt}/{person.rw}" if person.rt or person.rw else ""
        elif attribute == "district":
            value = ""
        else:
            value = _text(getattr(person, attribute, ""))
        if value:
            values[code] = value
    return values


def prefill(case: Case, *, nik: str = "", kk: str = "") -> dict[str, Any]:
    """The data-entry values the registry has for a NIK or a KK number, keyed by the service's
    field codes (a KK fills its members' table), for the form to fill in; empty when the
    registry does not know them or holds them for another regency."""
    spec = spec_of(case.service.registry)
    backend = get_backend()
    office = case.office
    values: dict[str, Any] = {}
    family: FamilyData | None = None
    if kk:
        family = backend.by_kk(kk)
        if family is not None and not holds(office, family.region):
            family = None
    person = backend.by_nik(nik) if nik else None
    if person is not None and not holds(office, person.region):
        person = None
    if family is None and person is not None and person.kk_number:
        family = backend.by_kk(person.kk_number)
    if family is not None:
        for attribute, code in spec.family.items():
            if attribute == "kk_number":
                values[code] = family.kk_number
            elif attribute == "head_nik":
                values[code] = family.head_nik
            elif attribute == "rt_rw":
                values[code] = f"{family.rt}/{family.rw}" if family.rt or family.rw else ""
            elif attribute in ("address", "village"):
                values[code] = getattr(family, attribute)
        for people in spec.people:
            if people.table:
                values[people.table] = [
                    _form_values(people.fields, member) for member in family.members
                ]
    if person is not None:
        for people in spec.people:
            if not people.table and people.role in ("applicant", "deceased", "child"):
                values.update(_form_values(people.fields, person))
                break
    known = {spec_.code for spec_ in fields_of(case.service)}
    return {code: value for code, value in values.items() if code in known and value != ""}


# --------------------------------------------------------------------------- for an officer


def checked_comparison(case: Case, user, *, kind: str = "lookup", ip=None, now=None):
    """:func:`comparison` for an officer who may look the registry up (the role checked, the
    look-up in the access log with the NIKs masked)."""
    check_lookup(case.office, user)
    compared = comparison(case, now=now)
    niks = [row.stated for c in compared for row in c.rows[:1] if row.stated]
    query = " · ".join([case.code, *(f"NIK {mask_nik(n)}" for n in niks)])
    log_access(case.office, user, kind, query, sum(c.record is not None for c in compared), ip)
    return compared


def prefill_match(case: Case) -> dict[str, str]:
    """Per table of the data-entry form that lists people, the column holding their NIK (how
    the registry's rows are matched to the form's)."""
    spec = spec_of(case.service.registry)
    return {p.table: p.fields.get("nik", "") for p in spec.people if p.table}


def checked_prefill(
    case: Case, user, *, nik: str = "", kk: str = "", kind: str = "prefill", ip=None
) -> dict[str, Any]:
    """:func:`prefill` for an officer: the look-up goes through
    :func:`~layan.population.services.look_up` (the role, the numbers, the access log)."""
    look_up(case.office, user, nik=nik, kk=kk, kind=kind, ip=ip)
    return prefill(case, nik=clean_nik(nik), kk=clean_nik(kk))


def suspected_for(office: Office):
    """The nightly scan's open pairs that concern ``office``'s regency, strongest first."""
    return (
        SuspectedDuplicate.objects.filter(regency_q(office), state=SuspectedDuplicate.State.OPEN)
        .select_related("first", "second")
        .order_by("level", "-score", "pk")
    )


def registry_log(office: Office, *, username: str = ""):
    """The office's registry look-ups, newest first (the access log beside the requests')."""
    rows = RegistryAccess.objects.filter(office=office).select_related("user")
    if username:
        rows = rows.filter(user__username__iexact=username.strip())
    return rows.order_by("-at", "-pk")


def region_names(codes) -> dict[str, str]:
    """The names of regions by code, from the region table (a code not in it: no name)."""
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
