"""What the request page shows of the population registry: the Data Ganda card (each finding,
the request's person beside the registry's record), the "kesesuaian dengan data SIAK" table at a
registry-check step, and at the data-entry step the look-up box and NIK issuance; with the words
for the rules, the people of a request and registry values that the registry pages share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy, pgettext_lazy

from layan.cases import services as engine
from layan.core.http import client_address
from layan.offices.people import parse_date, spec_of
from layan.population import selectors as population
from layan.population import services as registry
from layan.population.models import DuplicateFinding
from layan.population.vocabulary import rule_label
from layan.registry.models import LifeStatus, Sex
from layan.registry.nik import mask_nik
from layan.sop.models import SopVersion

LEVELS = {
    "block": pgettext_lazy("duplicate rule level", "stops the check step"),
    "warn": pgettext_lazy("duplicate rule level", "warning"),
}
# Who a person is in the request (offices.people.ROLES).
PEOPLE = {
    "applicant": gettext_lazy("Applicant"),
    "member": gettext_lazy("Family member"),
    "child": gettext_lazy("Child"),
    "deceased": gettext_lazy("The deceased"),
    "mover": gettext_lazy("Person moving"),
    "father": gettext_lazy("Father"),
    "mother": gettext_lazy("Mother"),
    "spouse": gettext_lazy("Spouse"),
}
# A finding's person beside its record, in this order.
FINDING_ROWS = (
    ("nik", "NIK"),
    ("name", gettext_lazy("Name")),
    ("sex", gettext_lazy("Sex")),
    ("birth_place", gettext_lazy("Place of birth")),
    ("birth_date", gettext_lazy("Date of birth")),
    ("mother_name", gettext_lazy("Mother's name")),
    ("father_name", gettext_lazy("Father's name")),
    ("status", gettext_lazy("Status")),
)
STATUSES = dict(LifeStatus.choices)
SEXES = dict(Sex.choices)


def person_label(key: str) -> str:
    """ "member:2" → "Family member 2"."""
    role, _sep, number = key.partition(":")
    label = str(PEOPLE.get(role, role))
    return f"{label} {number}" if number else label


def shown_value(name: str, value: Any) -> str:
    """A registry value as officers read it: dates in words, sex and status by their labels."""
    if value in (None, ""):
        return ""
    if name in ("birth_date", "died_on"):
        day = value if isinstance(value, date) else parse_date(value)
        return date_format(day, "j F Y") if day else str(value)
    if name == "sex":
        return str(SEXES.get(value, value))
    if name == "status":
        return str(STATUSES.get(value, value))
    return str(value)


def _same(value: str) -> str:
    return " ".join(str(value).casefold().split())


@dataclass(frozen=True)
class Row:
    label: str
    stated: str
    registry: str

    @property
    def differs(self) -> bool:
        return bool(self.stated and self.registry) and _same(self.stated) != _same(self.registry)


@dataclass
class FindingCard:
    finding: DuplicateFinding
    person: str
    rule: str
    level: str
    rows: list[Row]
    ours: bool
    region_name: str
    can_decide: bool = False
    can_resolve: bool = False

    @property
    def undecided(self) -> bool:
        return self.finding.state in DuplicateFinding.UNDECIDED

    @property
    def elsewhere(self) -> bool:
        return bool(self.finding.record) and not self.ours


def finding_rows(person: dict, record: dict) -> list[Row]:
    """The request's person beside the registry's record, for the rows either side has; a
    masked record is compared by the masked NIK."""
    ours = record.get("ours", True)
    rows = []
    for name, label in FINDING_ROWS:
        stated, held = person.get(name), record.get(name)
        if name == "nik" and record and not ours and stated:
            stated = mask_nik(stated)
        if name == "status" and not record:
            continue
        if stated in (None, "") and held in (None, ""):
            continue
        rows.append(Row(str(label), shown_value(name, stated), shown_value(name, held)))
    return rows


def finding_cards(case, user) -> list[FindingCard]:
    findings = population.findings_for(case)
    if not findings:
        return []
    names = population.region_names(f.record_region for f in findings)
    may_decide = case.is_open and registry.can_decide(user, case)
    may_resolve = case.is_open and registry.can_resolve(user, case.office)
    cards = []
    for finding in findings:
        ours = bool(finding.record.get("ours", True))
        card = FindingCard(
            finding=finding,
            person=person_label(finding.person_key),
            rule=rule_label(finding.rule),
            level=str(LEVELS.get(finding.level, finding.level)),
            rows=finding_rows(finding.person, finding.record),
            ours=ours,
            region_name=finding.record.get("region_name") or names.get(finding.record_region, "")
            or finding.record_region,
        )  # fmt: skip
        if card.undecided:
            card.can_decide = may_decide
            card.can_resolve = may_resolve and bool(finding.record_ref) and ours
        cards.append(card)
    return cards


@dataclass(frozen=True)
class ComparedPerson:
    """One person of the request beside the registry's record of their NIK."""

    label: str
    name: str
    found: bool
    rows: list[Row]

    @property
    def differences(self) -> int:
        return sum(row.differs for row in self.rows)


def compared_people(compared) -> list[ComparedPerson]:
    people = []
    for person in compared:
        rows = [
            Row(row.label, shown_value(name, row.stated), shown_value(name, row.registry))
            for (name, _label), row in zip(population.COMPARED, person.rows, strict=True)
            if row.stated or row.registry
        ]
        people.append(
            ComparedPerson(person_label(person.key), person.name, person.record is not None, rows)
        )
    return people


@dataclass
class Panel:
    """What the request page shows of the registry (``registry`` in its context)."""

    cards: list[FindingCard] = field(default_factory=list)
    registry_step: bool = False
    compared: list = field(default_factory=list)
    lookup: bool = False  # the data-entry form's "Cari di data kependudukan"
    nik_issue: bool = False  # "Terbitkan NIK"
    lookup_by: str = "nik"
    lookup_number: str = ""
    lookup_message: str = ""

    @property
    def show_card(self) -> bool:
        return bool(self.cards) or self.registry_step


_LOOKUP_ROLES: dict[tuple, frozenset[str]] = {}


def office_lookup_roles(office) -> frozenset[str]:
    """The roles that may look ``office``'s registry up (for showing links and boxes; the
    services check it again). Finding them reads every SOP of the office, so they are
    remembered per set of current SOP versions (by checksum: the same SOPs, the same roles)."""
    latest: dict[int, tuple[int, str]] = {}
    versions = SopVersion.objects.filter(sop__services__office=office)
    for sop, number, checksum in versions.values_list("sop_id", "number", "checksum"):
        if number > latest.get(sop, (0, ""))[0]:
            latest[sop] = (number, checksum)
    key = tuple(sorted(checksum for _number, checksum in latest.values()))
    roles = _LOOKUP_ROLES.get(key)
    if roles is None:
        roles = frozenset(registry.lookup_roles(office))
        if len(_LOOKUP_ROLES) > 256:
            _LOOKUP_ROLES.clear()
        _LOOKUP_ROLES[key] = roles
    return roles


def may_look_up(office, user) -> bool:
    return bool(engine.user_role_codes(user, office) & office_lookup_roles(office))


def panel(request, case, step) -> Panel:
    """The request page's registry part: the findings, at a registry-check step the request
    beside the registry (looked up, so logged), at the data-entry step the look-up box and NIK
    issuance."""
    user = request.user
    result = Panel(cards=finding_cards(case, user))
    if not case.is_open or step is None:
        return result
    result.registry_step = bool(step.registry_check)
    if not (step.registry_check or step.data_entry) or not may_look_up(case.office, user):
        return result
    if step.registry_check and not request.htmx:  # a swapped-in part never shows it
        compared = population.checked_comparison(case, user, ip=client_address(request))
        result.compared = compared_people(compared)
    if step.data_entry:
        spec = spec_of(case.service.registry)
        result.lookup = bool(spec.people or spec.family)
        acting = next((p for p in spec.people if p.role == spec.acts_on), None)
        nik_field = acting.fields.get("nik") if acting and not acting.table else None
        typed = (case.form_data or {}).get(nik_field) if nik_field else None
        result.nik_issue = spec.effect == "new_nik" and bool(nik_field) and not typed
    return result
