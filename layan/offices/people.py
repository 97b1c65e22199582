"""Where a service's request names people, and what its completion changes in the registry.

A service's ``registry:`` block (``docs/office-catalogue.md``) maps the data-entry fields to the
registry's words, so the Data Ganda check knows whom a request is about, the data-entry form can
be filled from the registry, and the registry follows the request when it completes::

    registry:
      effect: birth                 # family | birth | death | move_out | move_in | new_nik
      people:
        - role: child               # who the person is in this request
          fields: {nik: nik_anak, name: nama_anak, sex: jenis_kelamin,
                   birth_place: tempat_lahir, birth_date: tanggal_lahir,
                   father_name: nama_ayah, mother_name: nama_ibu}
        - role: member
          table: anggota            # every row of a table field is a person
          fields: {nik: nik, name: nama, ...}   # the table's columns
      family: {kk_number: nomor_kk, head_nik: nik_kepala_keluarga, address: alamat,
               rt_rw: rt_rw, village: desa_kelurahan, district: kecamatan}
      died_on: tanggal_meninggal    # death: the date of death
      destination: destination      # move_out: where to

Without ``people`` a request is about its applicant (the NIK and name taken at intake).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

EFFECTS = ("family", "birth", "death", "move_out", "move_in", "new_nik")
ROLES = ("applicant", "member", "child", "deceased", "mover", "father", "mother", "spouse")
PERSON_ATTRIBUTES = (
    "nik", "name", "sex", "birth_place", "birth_date", "religion", "marital_status", "relation",
    "father_name", "mother_name", "address", "rt_rw", "village", "district",
)  # fmt: skip
FAMILY_ATTRIBUTES = ("kk_number", "head_nik", "address", "rt_rw", "village", "district")
# What each effect needs besides the people: the family's KK number, the date of death.
NEEDS = {
    "family": ("kk_number",),
    "birth": ("kk_number",),
    "move_in": ("kk_number",),
    "death": ("died_on",),
}
# Which role each effect acts on.
ACTS_ON = {
    "family": "member", "birth": "child", "death": "deceased", "move_out": "mover",
    "move_in": "member", "new_nik": "applicant",
}  # fmt: skip


@dataclass(frozen=True)
class PeopleSpec:
    role: str
    fields: Mapping[str, str]  # registry attribute -> field (or column) code
    table: str = ""


@dataclass(frozen=True)
class RegistrySpec:
    effect: str = ""
    people: tuple[PeopleSpec, ...] = ()
    family: Mapping[str, str] = field(default_factory=dict)
    died_on: str = ""
    destination: str = ""

    @property
    def acts_on(self) -> str:
        return ACTS_ON.get(self.effect, "")


def spec_of(raw: Mapping[str, Any] | None) -> RegistrySpec:
    """The stored ``registry`` block of a service as a spec (empty: no people, no effect)."""
    raw = raw or {}
    return RegistrySpec(
        effect=raw.get("effect", ""),
        people=tuple(
            PeopleSpec(p["role"], dict(p.get("fields") or {}), p.get("table", ""))
            for p in raw.get("people") or []
        ),
        family=dict(raw.get("family") or {}),
        died_on=raw.get("died_on", ""),
        destination=raw.get("destination", ""),
    )


def check_registry(raw: Any, fields: list[dict] | None, where: str) -> list[str]:
    """Problems of a service's ``registry`` block, checked against its ``fields``."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        return [f"{where}: registry must be a mapping"]
    problems: list[str] = []
    here = f"{where}: registry"
    unknown = set(raw) - {"effect", "people", "family", "died_on", "destination"}
    if unknown:
        problems.append(f"{here}: unknown key(s) {', '.join(sorted(unknown))}")
    top = {f.get("code"): f for f in fields or [] if isinstance(f, dict)}
    effect = raw.get("effect", "")
    if effect and effect not in EFFECTS:
        problems.append(f"{here}: effect must be one of {', '.join(EFFECTS)}")
    roles = []
    for index, person in enumerate(raw.get("people") or [], start=1):
        at = f"{here}: people[{index}]"
        if not isinstance(person, dict) or person.get("role") not in ROLES:
            problems.append(f"{at}: role must be one of {', '.join(ROLES)}")
            continue
        roles.append(person["role"])
        table = person.get("table", "")
        codes = set(top)
        if table:
            column_field = top.get(table)
            if not column_field or column_field.get("kind") != "table":
                problems.append(f"{at}: table {table} is not a table field of the service")
                continue
            codes = {c.get("code") for c in column_field.get("columns") or []}
        mapped = person.get("fields") or {}
        if not isinstance(mapped, dict) or "name" not in mapped:
            problems.append(f"{at}: fields must map at least name to a field")
            continue
        for attribute, code in mapped.items():
            if attribute not in PERSON_ATTRIBUTES:
                problems.append(f"{at}: {attribute} is not one of {', '.join(PERSON_ATTRIBUTES)}")
            elif code not in codes:
                problems.append(f"{at}: {attribute} → {code}: no such field")
    family = raw.get("family") or {}
    if not isinstance(family, dict):
        problems.append(f"{here}: family must be a mapping")
        family = {}
    for attribute, code in family.items():
        if attribute not in FAMILY_ATTRIBUTES:
            problems.append(
                f"{here}: family.{attribute} is not one of {', '.join(FAMILY_ATTRIBUTES)}"
            )
        elif code not in top:
            problems.append(f"{here}: family.{attribute} → {code}: no such field")
    for key in ("died_on", "destination"):
        if raw.get(key) and raw[key] not in top:
            problems.append(f"{here}: {key} → {raw[key]}: no such field")
    if effect:
        if ACTS_ON[effect] not in roles:
            problems.append(f"{here}: effect {effect} needs people with role {ACTS_ON[effect]}")
        for need in NEEDS.get(effect, ()):
            if need == "died_on" and not raw.get("died_on"):
                problems.append(f"{here}: effect {effect} needs died_on")
            elif need != "died_on" and need not in family:
                problems.append(f"{here}: effect {effect} needs family.{need}")
    return problems


# --------------------------------------------------------------------------- reading a request


@dataclass(frozen=True)
class StatedPerson:
    """A person as a request states them: the registry attribute values typed (strings)."""

    role: str
    key: str  # where in the request: "child", "member:2", "applicant"
    values: Mapping[str, Any]

    def get(self, attribute: str, default: Any = "") -> Any:
        return self.values.get(attribute, default)


def _clean(value: Any) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


def stated_people(
    spec: RegistrySpec, data: Mapping[str, Any], *, applicant=None
) -> list[StatedPerson]:
    """The people a request's form data names, by the spec; the applicant (``(nik, name)`` from
    intake) when the spec names nobody."""
    people: list[StatedPerson] = []
    for person in spec.people:
        if person.table:
            rows = data.get(person.table) or []
            for index, row in enumerate(rows if isinstance(rows, list) else [], start=1):
                if isinstance(row, Mapping):
                    values = {a: _clean(row.get(code)) for a, code in person.fields.items()}
                    if values.get("name") or values.get("nik"):
                        people.append(StatedPerson(person.role, f"{person.role}:{index}", values))
        else:
            values = {a: _clean(data.get(code)) for a, code in person.fields.items()}
            if person.role == "applicant" and applicant is not None:
                # what the form does not say yet, the intake did
                values["nik"] = values.get("nik") or _clean(applicant[0])
                values["name"] = values.get("name") or _clean(applicant[1])
            if values.get("name") or values.get("nik"):
                people.append(StatedPerson(person.role, person.role, values))
    if not people and applicant is not None:
        nik, name = applicant
        if nik or name:
            people.append(StatedPerson("applicant", "applicant", {"nik": nik, "name": name}))
    return people


def stated_family(spec: RegistrySpec, data: Mapping[str, Any]) -> dict[str, str]:
    return {a: _clean(data.get(code)) for a, code in spec.family.items()}


def parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def split_rt_rw(value: str) -> tuple[str, str]:
    """ "002/005" → ("002", "005")."""
    parts = [p.strip() for p in str(value or "").replace("-", "/").split("/")]
    rt = parts[0] if parts and parts[0].isdigit() else ""
    rw = parts[1] if len(parts) > 1 and parts[1].isdigit() else ""
    return rt[:3], rw[:3]
