"""The population registry behind one interface, so SIAK can stand behind it one day.

:class:`RegistryBackend` is what the rest of Layan asks of a registry: look a resident up by NIK,
a family by KK number, search by name and birth date, list the candidates of a duplicate check,
and apply a change (a family registered, a child added, a death, a move, a NIK issued, a
duplicate resolved). :class:`LocalRegistry` keeps the records in Layan's own tables (an office
loads them from its SIAK export, :mod:`layan.registry.imports`); :class:`layan.registry.remote.
RemoteRegistry` speaks the documented HTTP protocol of ``docs/registry.md`` to a bridge. The
setting ``LAYAN_REGISTRY`` chooses (``local`` or the bridge's URL);
:func:`layan.registry.services.get_backend` returns it.

Every change is one entry in the registry's own history (:class:`RegistryChange`) with the
request, the officer and the reason; changes lock the rows they touch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from layan.core.errors import Conflict, Invalid, NotFound
from layan.registry.dedup import Record, SearchKeys
from layan.registry.folding import fold_name
from layan.registry.models import (
    Family,
    LifeStatus,
    NikSerial,
    NotDuplicate,
    RegistryChange,
    Resident,
    SuspectedDuplicate,
)
from layan.registry.nik import NikError, parse_nik


@dataclass(frozen=True)
class PersonData:
    """A resident's data as a request or a registry states it."""

    nik: str = ""
    name: str = ""
    birth_place: str = ""
    birth_date: date | None = None
    sex: str = ""
    religion: str = ""
    marital_status: str = ""
    relation: str = ""
    father_name: str = ""
    mother_name: str = ""
    status: str = LifeStatus.ALIVE
    kk_number: str = ""
    address: str = ""
    rt: str = ""
    rw: str = ""
    village: str = ""
    village_code: str = ""
    region: str = ""
    id: Any = None

    def record(self) -> Record:
        return Record(
            id=self.id, nik=self.nik, name=self.name, birth_date=self.birth_date, sex=self.sex,
            mother_name=self.mother_name, father_name=self.father_name,
            birth_place=self.birth_place, status=self.status, region=self.region,
            village=self.village,
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["birth_date"] = self.birth_date.isoformat() if self.birth_date else None
        return data


@dataclass(frozen=True)
class FamilyData:
    kk_number: str
    head_nik: str = ""
    address: str = ""
    rt: str = ""
    rw: str = ""
    village: str = ""
    village_code: str = ""
    region: str = ""
    members: tuple[PersonData, ...] = field(default_factory=tuple)


class RegistryBackend(Protocol):
    """What Layan asks of a population registry (local tables or a bridge to SIAK)."""

    def by_nik(self, nik: str) -> PersonData | None: ...

    def by_kk(self, kk_number: str) -> FamilyData | None: ...

    def search(self, name: str, birth_date: date, *, limit: int = 20) -> list[PersonData]: ...

    def candidates(self, keys: SearchKeys) -> list[Record]: ...

    def register_family(
        self, family: FamilyData, *, region: str, case_code: str = "", by=None, now=None
    ) -> FamilyData: ...

    def add_child(
        self, kk_number: str, child: PersonData, *, region: str, district: str,
        case_code: str = "", by=None, now=None,
    ) -> PersonData: ...  # fmt: skip

    def record_death(
        self, nik: str, died_on: date | None, *, case_code: str = "", by=None, now=None
    ) -> PersonData: ...

    def record_move_out(
        self, niks: Sequence[str], destination: str, *, case_code: str = "", by=None, now=None
    ) -> list[PersonData]: ...

    def issue_nik(
        self, person: PersonData, *, region: str, district: str, case_code: str = "", by=None,
        now=None,
    ) -> PersonData: ...  # fmt: skip


# --------------------------------------------------------------------------- the local registry


def person_of(resident: Resident) -> PersonData:
    family = resident.family
    return PersonData(
        id=resident.pk, nik=resident.nik, name=resident.name, birth_place=resident.birth_place,
        birth_date=resident.birth_date, sex=resident.sex, religion=resident.religion,
        marital_status=resident.marital_status, relation=resident.relation,
        father_name=resident.father_name, mother_name=resident.mother_name,
        status=resident.status, kk_number=family.kk_number if family else "",
        address=resident.address or (family.address if family else ""),
        rt=resident.rt or (family.rt if family else ""),
        rw=resident.rw or (family.rw if family else ""),
        village=resident.village or (family.village if family else ""),
        village_code=resident.village_code or (family.village_code if family else ""),
        region=resident.region,
    )  # fmt: skip


RECORD_FIELDS = (
    "pk", "nik", "name", "birth_date", "sex", "mother_name", "father_name", "birth_place",
    "status", "region", "village",
)  # fmt: skip

# What a change writes to a resident from the stated data (never the NIK: that is its own change).
PERSON_FIELDS = (
    "name", "birth_place", "birth_date", "sex", "religion", "marital_status", "relation",
    "father_name", "mother_name", "address", "rt", "rw", "village", "village_code",
)  # fmt: skip


def _snapshot(resident: Resident) -> dict[str, Any]:
    data = {f: getattr(resident, f) for f in ("nik", *PERSON_FIELDS, "status", "region")}
    data["birth_date"] = resident.birth_date.isoformat() if resident.birth_date else None
    data["family"] = resident.family.kk_number if resident.family_id else ""
    return data


def _check_nik(nik: str) -> str:
    try:
        return parse_nik(nik).value
    except NikError as exc:
        raise Invalid(exc.message, exc.code, field="nik") from exc


class LocalRegistry:
    """The registry in Layan's own tables."""

    # ---------------------------------------------------------------- reading

    def by_nik(self, nik: str) -> PersonData | None:
        resident = (
            Resident.objects.select_related("family")
            .filter(nik=nik)
            .exclude(status=LifeStatus.INACTIVE)
            .first()
        )
        return person_of(resident) if resident else None

    def by_kk(self, kk_number: str) -> FamilyData | None:
        family = Family.objects.filter(kk_number=kk_number, active=True).first()
        if family is None:
            return None
        members = (
            family.members.select_related("family")
            .exclude(status=LifeStatus.INACTIVE)
            .order_by("birth_date", "pk")
        )
        head = Resident.objects.filter(pk=family.head_id).values_list("nik", flat=True).first()
        return FamilyData(
            kk_number=family.kk_number, head_nik=head or "", address=family.address,
            rt=family.rt, rw=family.rw, village=family.village,
            village_code=family.village_code, region=family.region,
            members=tuple(person_of(m) for m in members),
        )  # fmt: skip

    def search(self, name: str, birth_date: date, *, limit: int = 20) -> list[PersonData]:
        key = fold_name(name)
        rows = Resident.objects.select_related("family").filter(birth_date=birth_date)
        rows = rows.exclude(status=LifeStatus.INACTIVE)
        if key:
            first = key.split()[0]
            rows = rows.filter(Q(name_key=key) | Q(name_key__startswith=first))
        return [person_of(r) for r in rows.order_by("name_key", "pk")[:limit]]

    def candidates(self, keys: SearchKeys) -> list[Record]:
        """Every active record the keys find: by NIK, by birth date, by exact folded name."""
        where = Q()
        if keys.niks:
            where |= Q(nik__in=sorted(keys.niks))
        if keys.dates:
            where |= Q(birth_date__in=sorted(keys.dates))
        for name, values in keys.names.items():
            column = "name_key" if name == "name" else "mother_key"
            where |= Q(**{f"{column}__in": sorted(values)})
        if not where:
            return []
        rows = Resident.objects.filter(where).exclude(status=LifeStatus.INACTIVE)
        return [
            Record(
                id=pk,
                nik=nik,
                name=name,
                birth_date=born,
                sex=sex,
                mother_name=mother,
                father_name=father,
                birth_place=place,
                status=status,
                region=region,
                village=village,
            )  # fmt: skip
            for pk, nik, name, born, sex, mother, father, place, status, region, village in (
                rows.values_list(*RECORD_FIELDS)
            )
        ]

    # ---------------------------------------------------------------- changing

    @staticmethod
    def _log(kind, *, resident=None, family=None, before=None, after=None, reason="",
             case_code="", by=None, now, region) -> None:  # fmt: skip
        RegistryChange.objects.create(
            kind=kind, resident=resident, family=family, before=before or {}, after=after or {},
            reason=reason[:300], case_code=case_code, by=by, at=now, region=region,
        )  # fmt: skip

    def _upsert_person(self, person: PersonData, *, family, region, case_code, by, now):
        """The resident with ``person``'s NIK updated from the stated data (or created)."""
        nik = _check_nik(person.nik)
        resident = (
            Resident.objects.select_for_update()
            .filter(nik=nik)
            .exclude(status=LifeStatus.INACTIVE)
            .first()
        )
        stated = {f: getattr(person, f) for f in PERSON_FIELDS}
        values = {f: v for f, v in stated.items() if v not in ("", None)}
        if resident is None:
            if person.birth_date is None or person.sex not in ("L", "P") or not person.name:
                raise Invalid(
                    _("A new resident needs a name, a birth date and a sex (%(nik)s).")
                    % {"nik": nik},
                    "person_incomplete",
                )
            resident = Resident(
                nik=nik, name_key=fold_name(person.name), mother_key=fold_name(person.mother_name),
                family=family, region=region, created_at=now, updated_at=now, **values,
            )  # fmt: skip
            resident.save()
            self._log(
                RegistryChange.Kind.CREATED, resident=resident, after=_snapshot(resident),
                case_code=case_code, by=by, now=now, region=region,
            )  # fmt: skip
            return resident
        before = _snapshot(resident)
        for name, value in values.items():
            setattr(resident, name, value)
        resident.name_key = fold_name(resident.name)
        resident.mother_key = fold_name(resident.mother_name)
        if family is not None:
            resident.family = family
        resident.updated_at = now
        after = _snapshot(resident)
        if after != before:
            resident.save()
            self._log(
                RegistryChange.Kind.UPDATED, resident=resident, before=before, after=after,
                case_code=case_code, by=by, now=now, region=resident.region,
            )  # fmt: skip
        return resident

    def register_family(self, family: FamilyData, *, region: str, case_code: str = "", by=None,
                        now=None) -> FamilyData:  # fmt: skip
        """Create or change the family ``family.kk_number`` with its members (each created or
        updated by NIK and moved into the family); the head by ``head_nik``."""
        now = now or timezone.now()
        kk = family.kk_number
        if not (len(kk) == 16 and kk.isdigit()):
            raise Invalid(_("A KK number has 16 digits."), "kk_invalid", field="kk_number")
        with transaction.atomic():
            row, created = Family.objects.select_for_update().get_or_create(
                kk_number=kk,
                defaults={"region": region, "created_at": now, "updated_at": now},
            )
            before = {} if created else self._family_snapshot(row)
            for name in ("address", "rt", "rw", "village", "village_code"):
                value = getattr(family, name)
                if value:
                    setattr(row, name, value)
            row.active, row.updated_at = True, now
            row.save()
            members = [
                self._upsert_person(m, family=row, region=region, case_code=case_code, by=by,
                                    now=now)
                for m in family.members
            ]  # fmt: skip
            head = next((m for m in members if m.nik == family.head_nik), None)
            if head is not None and row.head_id != head.pk:
                row.head = head
                row.save(update_fields=["head"])
            self._log(
                RegistryChange.Kind.FAMILY, family=row, before=before,
                after=self._family_snapshot(row), case_code=case_code, by=by, now=now,
                region=row.region,
            )  # fmt: skip
        return self.by_kk(kk)

    @staticmethod
    def _family_snapshot(family: Family) -> dict[str, Any]:
        return {
            "kk_number": family.kk_number, "address": family.address, "rt": family.rt,
            "rw": family.rw, "village": family.village, "village_code": family.village_code,
            "members": sorted(family.members.values_list("nik", flat=True)),
            "head": family.head.nik if family.head_id else "",
        }  # fmt: skip

    def add_child(self, kk_number: str, child: PersonData, *, region: str, district: str,
                  case_code: str = "", by=None, now=None) -> PersonData:  # fmt: skip
        """A child born into the family ``kk_number`` (a NIK issued when it has none)."""
        now = now or timezone.now()
        with transaction.atomic():
            family = Family.objects.select_for_update().filter(kk_number=kk_number).first()
            if family is None:
                raise NotFound(
                    _("No family with KK number %(kk)s in the registry.") % {"kk": kk_number},
                    "family_unknown",
                )
            if not child.nik:
                child = self.issue_nik(
                    child, region=region, district=district, case_code=case_code, by=by,
                    now=now,
                )  # fmt: skip
            resident = self._upsert_person(
                replace(child, relation=child.relation or "anak"), family=family, region=region,
                case_code=case_code, by=by, now=now,
            )  # fmt: skip
        return person_of(resident)

    def record_death(self, nik: str, died_on: date | None, *, case_code: str = "", by=None,
                     now=None) -> PersonData:  # fmt: skip
        now = now or timezone.now()
        with transaction.atomic():
            resident = self._locked(nik)
            before = _snapshot(resident)
            resident.status, resident.died_on, resident.updated_at = (
                LifeStatus.DECEASED, died_on, now,
            )  # fmt: skip
            resident.save()
            self._log(
                RegistryChange.Kind.DECEASED, resident=resident, before=before,
                after=_snapshot(resident) | {"died_on": died_on.isoformat() if died_on else None},
                case_code=case_code, by=by, now=now, region=resident.region,
            )  # fmt: skip
        return person_of(resident)

    def record_move_out(self, niks: Sequence[str], destination: str, *, case_code: str = "",
                        by=None, now=None) -> list[PersonData]:  # fmt: skip
        now = now or timezone.now()
        moved = []
        with transaction.atomic():
            for nik in niks:
                resident = self._locked(nik)
                before = _snapshot(resident)
                resident.status, resident.moved_to, resident.updated_at = (
                    LifeStatus.MOVED, destination[:200], now,
                )  # fmt: skip
                resident.save()
                self._log(
                    RegistryChange.Kind.MOVED_OUT, resident=resident, before=before,
                    after=_snapshot(resident) | {"moved_to": resident.moved_to},
                    case_code=case_code, by=by, now=now, region=resident.region,
                )  # fmt: skip
                moved.append(person_of(resident))
        return moved

    def _locked(self, nik: str) -> Resident:
        resident = (
            # the resident's row only: PostgreSQL locks no row of an outer join's nullable side
            Resident.objects.select_for_update(of=("self",))
            .select_related("family")
            .filter(nik=nik)
            .exclude(status=LifeStatus.INACTIVE)
            .first()
        )
        if resident is None:
            raise NotFound(
                _("No resident with NIK %(nik)s in the registry.") % {"nik": nik},
                "resident_unknown",
            )
        return resident

    def issue_nik(self, person: PersonData, *, region: str, district: str, case_code: str = "",
                  by=None, now=None) -> PersonData:  # fmt: skip
        """A new NIK for ``person`` (who has none): the district code, the birth date (day + 40
        for women) and the next serial of that prefix, taken under a row lock so two officers
        never get the same number. The person is not stored here; the caller registers them."""
        if person.birth_date is None or person.sex not in ("L", "P"):
            raise Invalid(_("A NIK needs the person's birth date and sex."), "person_incomplete")
        digits = district.replace(".", "")
        if (
            len(digits) != 6
            or not digits.isdigit()
            or not digits.startswith(region.replace(".", ""))
        ):
            raise Invalid(
                _("%(district)s is not a district of the regency %(region)s.")
                % {"district": district, "region": region},
                "district_invalid",
            )
        born = person.birth_date
        day = born.day + (40 if person.sex == "P" else 0)
        prefix = f"{digits}{day:02d}{born.month:02d}{born.year % 100:02d}"
        with transaction.atomic():
            NikSerial.objects.bulk_create([NikSerial(prefix=prefix, last=0)], ignore_conflicts=True)
            serial = NikSerial.objects.select_for_update().get(prefix=prefix)
            # a range, not LIKE: the NIK index serves it under any collation
            taken = set(
                Resident.objects.filter(nik__gte=f"{prefix}0000", nik__lte=f"{prefix}9999")
                .values_list("nik", flat=True)
            )  # fmt: skip
            number = serial.last
            while True:
                number += 1
                if number > 9999:
                    raise Conflict(
                        _("No NIK serial is left for %(prefix)s.") % {"prefix": prefix},
                        "nik_exhausted",
                    )
                nik = f"{prefix}{number:04d}"
                if nik not in taken:
                    break
            serial.last = number
            serial.save(update_fields=["last"])
        return replace(person, nik=nik)

    # ---------------------------------------------------------------- duplicates

    def mark_not_duplicate(self, first_id, second_id, *, reason: str, by=None, now=None) -> None:
        now = now or timezone.now()
        low, high = sorted((int(first_id), int(second_id)))
        with transaction.atomic():
            pair, created = NotDuplicate.objects.get_or_create(
                first_id=low, second_id=high, defaults={"reason": reason[:300], "by": by, "at": now}
            )
            SuspectedDuplicate.objects.filter(first_id=low, second_id=high).update(
                state=SuspectedDuplicate.State.NOT_DUPLICATE
            )
            if created:
                resident = Resident.objects.get(pk=low)
                self._log(
                    RegistryChange.Kind.NOT_DUPLICATE, resident=resident,
                    after={"other": Resident.objects.get(pk=high).nik}, reason=reason, by=by,
                    now=now, region=resident.region,
                )  # fmt: skip

    def not_duplicates(self, ids: Iterable) -> set[tuple[int, int]]:
        ids = [int(i) for i in ids]
        rows = NotDuplicate.objects.filter(Q(first_id__in=ids) | Q(second_id__in=ids))
        return set(rows.values_list("first_id", "second_id"))

    def merge(self, keep_id, duplicate_id, *, reason: str, by=None, now=None) -> None:
        """The duplicate record becomes inactive and points to the one kept."""
        self._retire(keep_id, duplicate_id, reason=reason, by=by, now=now)

    def inactivate(self, resident_id, *, reason: str, by=None, now=None) -> None:
        self._retire(None, resident_id, reason=reason, by=by, now=now)

    def _retire(self, keep_id, duplicate_id, *, reason, by, now) -> None:
        now = now or timezone.now()
        with transaction.atomic():
            duplicate = Resident.objects.select_for_update().get(pk=duplicate_id)
            if duplicate.status == LifeStatus.INACTIVE:
                raise Conflict(_("This record is already inactive."), "already_inactive")
            keep = None
            if keep_id is not None:
                keep = Resident.objects.select_for_update().get(pk=keep_id)
                if keep.pk == duplicate.pk or keep.status == LifeStatus.INACTIVE:
                    raise Conflict(_("Keep an active, different record."), "merge_invalid")
            before = _snapshot(duplicate)
            duplicate.status, duplicate.merged_into, duplicate.updated_at = (
                LifeStatus.INACTIVE, keep, now,
            )  # fmt: skip
            duplicate.save()
            kind = RegistryChange.Kind.MERGED if keep else RegistryChange.Kind.INACTIVATED
            self._log(
                kind, resident=duplicate, before=before,
                after=_snapshot(duplicate) | {"merged_into": keep.nik if keep else ""},
                reason=reason, by=by, now=now, region=duplicate.region,
            )  # fmt: skip
            SuspectedDuplicate.objects.filter(Q(first=duplicate) | Q(second=duplicate)).update(
                state=SuspectedDuplicate.State.RESOLVED
            )

    def correct_nik(self, resident_id, new_nik: str, *, reason: str, by=None, now=None) -> None:
        now = now or timezone.now()
        nik = _check_nik(new_nik)
        with transaction.atomic():
            resident = Resident.objects.select_for_update().get(pk=resident_id)
            before = _snapshot(resident)
            resident.nik, resident.updated_at = nik, now
            try:
                with transaction.atomic():
                    resident.save()
            except IntegrityError:
                raise Conflict(
                    _("NIK %(nik)s is already another resident's.") % {"nik": nik}, "nik_taken"
                ) from None
            self._log(
                RegistryChange.Kind.NIK_CORRECTED, resident=resident, before=before,
                after=_snapshot(resident), reason=reason, by=by, now=now,
                region=resident.region,
            )  # fmt: skip
