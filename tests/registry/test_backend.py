"""The local registry's changes: each one changes the records it names, and only those, and
leaves one entry in the registry's history with the request, the officer and the reason."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from layan.core.errors import Conflict, Invalid, NotFound
from layan.registry.backend import FamilyData, LocalRegistry, PersonData
from layan.registry.dedup import Person, Record, check, parse_rules
from layan.registry.models import (
    Family,
    LifeStatus,
    NikSerial,
    NotDuplicate,
    RegistryChange,
    Resident,
    SuspectedDuplicate,
)
from layan.registry.nik import parse_nik
from layan.registry.services import find_duplicates, rules_of

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
REGION, DISTRICT = "18.08", "18.08.01"
KK = "1808011201150003"


@pytest.fixture
def registry():
    return LocalRegistry()


@pytest.fixture
def officer():
    return get_user_model().objects.create_user("operator.siak", password="x")


def budi(**kw) -> PersonData:
    values = {
        "nik": "1808011708900001", "name": "BUDI SANTOSO", "birth_date": date(1990, 8, 17),
        "sex": "L", "birth_place": "BLAMBANGAN UMPU", "religion": "islam",
        "marital_status": "kawin", "relation": "kepala", "father_name": "SLAMET",
        "mother_name": "SUMARNI",
    }  # fmt: skip
    values.update(kw)
    return PersonData(**values)


def siti(**kw) -> PersonData:
    values = {
        "nik": "1808015203920002", "name": "SITI AMINAH", "birth_date": date(1992, 3, 12),
        "sex": "P", "relation": "istri", "marital_status": "kawin", "mother_name": "PAINEM",
    }  # fmt: skip
    values.update(kw)
    return PersonData(**values)


def family(*members: PersonData, **kw) -> FamilyData:
    values = {
        "kk_number": KK, "head_nik": "1808011708900001", "address": "JL. MERDEKA NO. 4",
        "rt": "002", "rw": "001", "village": "SUMBER JAYA", "village_code": "18.08.01.2002",
    }  # fmt: skip
    values.update(kw)
    return FamilyData(members=members, **values)


def changes(kind: str) -> list[RegistryChange]:
    return list(RegistryChange.objects.filter(kind=kind).order_by("pk"))


def test_registering_a_family_creates_it_with_its_members_and_head(registry, officer):
    result = registry.register_family(
        family(budi(), siti()), region=REGION, case_code="KK-0001", by=officer, now=NOW
    )
    assert result.kk_number == KK and result.head_nik == "1808011708900001"
    assert {m.nik for m in result.members} == {"1808011708900001", "1808015203920002"}
    row = Family.objects.get(kk_number=KK)
    assert (row.region, row.address, row.rt, row.village) == (
        REGION, "JL. MERDEKA NO. 4", "002", "SUMBER JAYA",
    )  # fmt: skip
    resident = Resident.objects.get(nik="1808011708900001")
    assert resident.name_key == "budi santoso" and resident.mother_key == "sumarni"
    assert resident.family == row and row.head == resident
    created = changes(RegistryChange.Kind.CREATED)
    assert len(created) == 2
    assert all(c.case_code == "KK-0001" and c.by == officer and c.at == NOW for c in created)
    (logged,) = changes(RegistryChange.Kind.FAMILY)
    assert logged.family == row and logged.before == {}
    assert logged.after["members"] == ["1808011708900001", "1808015203920002"]


def test_registering_again_changes_the_family_and_only_what_changed(registry, officer):
    registry.register_family(family(budi(), siti()), region=REGION, now=NOW)
    child = PersonData(nik="1808010101200003", name="RAFA PRATAMA", birth_date=date(2020, 1, 1),
                       sex="L", relation="anak", mother_name="SITI AMINAH")  # fmt: skip
    result = registry.register_family(
        family(budi(marital_status="kawin", religion="islam"), siti(name="SITI AMINAH, S.PD"),
               child, address="DUSUN SUKAMAJU"),
        region=REGION, case_code="KK-0002", by=officer, now=NOW,
    )  # fmt: skip
    assert len(result.members) == 3
    assert Family.objects.get(kk_number=KK).address == "DUSUN SUKAMAJU"
    updated = changes(RegistryChange.Kind.UPDATED)
    assert [c.resident.nik for c in updated] == ["1808015203920002"]  # Budi did not change
    assert updated[0].before["name"] == "SITI AMINAH"
    assert updated[0].after["name"] == "SITI AMINAH, S.PD"
    family_changes = changes(RegistryChange.Kind.FAMILY)
    assert len(family_changes) == 2
    assert family_changes[1].before["address"] == "JL. MERDEKA NO. 4"
    assert family_changes[1].after["address"] == "DUSUN SUKAMAJU"
    assert "1808010101200003" in family_changes[1].after["members"]


def test_a_family_needs_a_valid_kk_and_new_members_need_their_data(registry):
    with pytest.raises(Invalid) as bad_kk:
        registry.register_family(family(budi(), kk_number="12345"), region=REGION, now=NOW)
    assert bad_kk.value.code == "kk_invalid"
    with pytest.raises(Invalid) as incomplete:
        registry.register_family(family(budi(birth_date=None)), region=REGION, now=NOW)
    assert incomplete.value.code == "person_incomplete"
    assert not Family.objects.exists() and not RegistryChange.objects.exists()


def test_a_child_with_a_nik_joins_the_family(registry, officer):
    registry.register_family(family(budi(), siti()), region=REGION, now=NOW)
    child = PersonData(nik="1808014405230001", name="AQILA PUTRI", birth_date=date(2023, 5, 4),
                       sex="P", mother_name="SITI AMINAH", father_name="BUDI SANTOSO")  # fmt: skip
    added = registry.add_child(KK, child, region=REGION, district=DISTRICT, case_code="LHR-1",
                               by=officer, now=NOW)  # fmt: skip
    assert added.nik == "1808014405230001" and added.relation == "anak"
    assert added.kk_number == KK
    assert not changes(RegistryChange.Kind.NIK_ISSUED)  # none was needed
    (created,) = [c for c in changes(RegistryChange.Kind.CREATED) if c.case_code == "LHR-1"]
    assert created.resident.nik == "1808014405230001" and created.by == officer


def test_a_child_without_a_nik_gets_one_from_the_district_and_birth_date(registry):
    registry.register_family(family(budi(), siti()), region=REGION, now=NOW)
    child = PersonData(name="NAILA AZZAHRA", birth_date=date(2026, 11, 20), sex="P",
                       mother_name="SITI AMINAH")  # fmt: skip
    added = registry.add_child(KK, child, region=REGION, district=DISTRICT, case_code="LHR-2",
                               now=NOW)  # fmt: skip
    assert added.nik == "1808016011260001"  # 60 = 20 + 40: a girl
    nik = parse_nik(added.nik)
    assert nik.female and (nik.day, nik.month, nik.year2) == (20, 11, 26)
    assert NikSerial.objects.get(prefix="180801601126").last == 1
    resident = Resident.objects.get(nik=added.nik)
    assert resident.family.kk_number == KK and resident.relation == "anak"
    assert [c.case_code for c in changes(RegistryChange.Kind.CREATED)][-1] == "LHR-2"


def test_a_child_of_an_unknown_family_is_refused(registry):
    child = PersonData(name="NAILA", birth_date=date(2026, 11, 20), sex="P")
    with pytest.raises(NotFound):
        registry.add_child(KK, child, region=REGION, district=DISTRICT, now=NOW)
    assert not Resident.objects.exists()


def test_a_death_is_recorded(registry, officer):
    registry.register_family(family(budi(), siti()), region=REGION, now=NOW)
    person = registry.record_death(
        "1808011708900001", date(2026, 11, 28), case_code="MATI-1", by=officer, now=NOW
    )
    assert person.status == LifeStatus.DECEASED
    resident = Resident.objects.get(nik="1808011708900001")
    assert resident.died_on == date(2026, 11, 28)
    (logged,) = changes(RegistryChange.Kind.DECEASED)
    assert logged.resident == resident and logged.case_code == "MATI-1" and logged.by == officer
    assert logged.before["status"] == "alive" and logged.after["died_on"] == "2026-11-28"
    assert Resident.objects.get(nik="1808015203920002").status == LifeStatus.ALIVE
    # the next application stating the dead man's NIK is blocked
    found = find_duplicates(
        Person(name="BUDI SANTOSO", nik="1808011708900001", birth_date=date(1990, 8, 17),
               sex="L"),
        rules_of(None), registry,
    )  # fmt: skip
    assert [m.rule for m in found] == ["deceased"]
    with pytest.raises(NotFound):
        registry.record_death("1808019999990001", None, now=NOW)


def test_moving_out_changes_each_mover(registry, officer):
    registry.register_family(family(budi(), siti()), region=REGION, now=NOW)
    moved = registry.record_move_out(
        ["1808011708900001", "1808015203920002"], "KOTA METRO", case_code="PINDAH-1",
        by=officer, now=NOW,
    )  # fmt: skip
    assert [p.status for p in moved] == [LifeStatus.MOVED, LifeStatus.MOVED]
    logged = changes(RegistryChange.Kind.MOVED_OUT)
    assert [c.resident.nik for c in logged] == ["1808011708900001", "1808015203920002"]
    assert all(c.after["moved_to"] == "KOTA METRO" and c.case_code == "PINDAH-1" for c in logged)
    with pytest.raises(NotFound):  # one unknown NIK: nobody moves
        registry.record_move_out(["1808015203920002", "1808019999990001"], "X", now=NOW)
    assert len(changes(RegistryChange.Kind.MOVED_OUT)) == 2


def test_issuing_a_nik_takes_the_next_free_serial_of_its_prefix(registry):
    registry.register_family(family(budi()), region=REGION, now=NOW)
    person = PersonData(name="BAYU", birth_date=date(1990, 8, 17), sex="L")
    first = registry.issue_nik(person, region=REGION, district=DISTRICT, now=NOW)
    second = registry.issue_nik(person, region=REGION, district=DISTRICT, now=NOW)
    # 0001 is Budi's: the serial skips the numbers already in the registry
    assert (first.nik, second.nik) == ("1808011708900002", "1808011708900003")
    assert NikSerial.objects.get(prefix="180801170890").last == 3
    with pytest.raises(Invalid) as elsewhere:
        registry.issue_nik(person, region=REGION, district="13.02.03", now=NOW)
    assert elsewhere.value.code == "district_invalid"
    with pytest.raises(Invalid):
        registry.issue_nik(PersonData(name="X", sex="L"), region=REGION, district=DISTRICT)


def test_a_prefix_with_no_serial_left_is_a_conflict(registry):
    NikSerial.objects.create(prefix="180801170890", last=9999)
    person = PersonData(name="BAYU", birth_date=date(1990, 8, 17), sex="L")
    with pytest.raises(Conflict) as full:
        registry.issue_nik(person, region=REGION, district=DISTRICT, now=NOW)
    assert full.value.code == "nik_exhausted"


@pytest.fixture
def two_records(registry):
    registry.register_family(family(budi(), siti()), region=REGION, now=NOW)
    registry.register_family(
        family(budi(nik="1808011708900007", name="BOEDI SANTOSO", relation="kepala"),
               kk_number="1808010302160001", head_nik="1808011708900007"),
        region=REGION, now=NOW,
    )  # fmt: skip
    keep = Resident.objects.get(nik="1808011708900001")
    duplicate = Resident.objects.get(nik="1808011708900007")
    SuspectedDuplicate.objects.create(
        first=keep, second=duplicate, rule="same_person_other_nik", score=1.0, level="block",
        regions=REGION, found_at=NOW,
    )  # fmt: skip
    return keep, duplicate


def test_merging_retires_the_duplicate_into_the_record_kept(registry, officer, two_records):
    keep, duplicate = two_records
    registry.merge(keep.pk, duplicate.pk, reason="satu orang", by=officer, now=NOW)
    duplicate.refresh_from_db()
    assert duplicate.status == LifeStatus.INACTIVE and duplicate.merged_into == keep
    (logged,) = changes(RegistryChange.Kind.MERGED)
    assert logged.resident == duplicate and logged.reason == "satu orang"
    assert logged.after["merged_into"] == keep.nik and logged.before["status"] == "alive"
    assert SuspectedDuplicate.objects.get().state == SuspectedDuplicate.State.RESOLVED
    # the NIK of the inactive record is no longer looked up, the kept one is
    assert registry.by_nik(duplicate.nik) is None and registry.by_nik(keep.nik) is not None
    with pytest.raises(Conflict):
        registry.merge(keep.pk, duplicate.pk, reason="lagi", now=NOW)
    with pytest.raises(Conflict):
        registry.merge(keep.pk, keep.pk, reason="sendiri", now=NOW)


def test_inactivating_a_record(registry, officer, two_records):
    _keep, duplicate = two_records
    registry.inactivate(duplicate.pk, reason="data ganda", by=officer, now=NOW)
    duplicate.refresh_from_db()
    assert duplicate.status == LifeStatus.INACTIVE and duplicate.merged_into is None
    (logged,) = changes(RegistryChange.Kind.INACTIVATED)
    assert logged.by == officer and logged.after["merged_into"] == ""
    assert SuspectedDuplicate.objects.get().state == SuspectedDuplicate.State.RESOLVED


def test_correcting_a_nik(registry, officer, two_records):
    keep, duplicate = two_records
    registry.correct_nik(duplicate.pk, "1808011708900009", reason="salah ketik", by=officer,
                         now=NOW)  # fmt: skip
    duplicate.refresh_from_db()
    assert duplicate.nik == "1808011708900009"
    (logged,) = changes(RegistryChange.Kind.NIK_CORRECTED)
    assert logged.before["nik"] == "1808011708900007"
    assert logged.after["nik"] == "1808011708900009"
    with pytest.raises(Conflict) as taken:
        registry.correct_nik(duplicate.pk, keep.nik, reason="x", now=NOW)
    assert taken.value.code == "nik_taken"
    with pytest.raises(Invalid):
        registry.correct_nik(duplicate.pk, "123", reason="x", now=NOW)
    assert Resident.objects.get(pk=duplicate.pk).nik == "1808011708900009"


def test_marking_a_pair_not_duplicate(registry, officer, two_records):
    keep, duplicate = two_records
    registry.mark_not_duplicate(duplicate.pk, keep.pk, reason="kembar", by=officer, now=NOW)
    pair = NotDuplicate.objects.get()
    assert (pair.first, pair.second) == (keep, duplicate)  # stored in order
    assert SuspectedDuplicate.objects.get().state == SuspectedDuplicate.State.NOT_DUPLICATE
    (logged,) = changes(RegistryChange.Kind.NOT_DUPLICATE)
    assert logged.resident == keep and logged.after == {"other": duplicate.nik}
    assert logged.reason == "kembar" and logged.by == officer
    registry.mark_not_duplicate(keep.pk, duplicate.pk, reason="lagi", now=NOW)  # once only
    assert NotDuplicate.objects.count() == 1
    assert len(changes(RegistryChange.Kind.NOT_DUPLICATE)) == 1
    assert registry.not_duplicates([keep.pk]) == {(keep.pk, duplicate.pk)}


def test_the_check_asks_the_registry_for_one_key_per_rule():
    """A rule matches only records all its matchers match: the most selective key is enough
    (a common name or mother's name would bring thousands of records for nothing)."""
    person = Person(name="SITI AMINAH", nik="1808015203920002", birth_date=date(1992, 3, 12),
                    sex="P", mother_name="SUMARNI")  # fmt: skip
    keys = rules_of(None).search_keys(person)
    assert keys.niks == {"1808015203920002"} and keys.names == {}
    assert keys.dates == {date(1992, 3, 11), date(1992, 3, 12), date(1992, 3, 13),
                          date(1992, 12, 3)}  # fmt: skip
    by_name = parse_rules({"warn": [{"name": "n", "all": [
        {"field": "name", "exact": True}, {"field": "mother_name", "exact": True}]}]})  # fmt: skip
    assert by_name.search_keys(person).names == {"name": {"siti aminah"}}
    undated = rules_of(None).search_keys(Person(name="SITI AMINAH", sex="P"))
    assert not undated  # no NIK, no birth date: no default rule can match


def test_twins_sharing_a_first_name_are_two_people_and_a_misspelt_name_is_one():
    """``same_mother_and_birth`` compares the words two names do not share: MUHAMMAD RIZKI and
    MUHAMMAD FAUZAN are 0.88 alike as whole names, RIZKI and FAUZAN 0.46."""
    rules = rules_of(None)
    born = date(2015, 6, 1)
    twin = Person(name="MUHAMMAD RIZKI", birth_date=born, sex="L", nik="1808010106150001",
                  mother_name="SITI AMINAH")  # fmt: skip
    brother = Record(id=2, nik="1808010106150002", name="MUHAMMAD FAUZAN", birth_date=born,
                     sex="L", mother_name="SITI AMINAH")  # fmt: skip
    assert check(twin, [brother], rules) == []
    misspelt = Record(id=3, nik="1808010106150003", name="MUHAMAD RISKI", birth_date=born,
                      sex="L", mother_name="SITI AMINAH")  # fmt: skip
    assert [m.rule for m in check(twin, [misspelt], rules)] == ["same_mother_and_birth"]
