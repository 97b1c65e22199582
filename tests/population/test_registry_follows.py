"""The registry follows completed requests (one test per effect), a failed change flags the
request instead of passing silently, and a resident without a NIK gets one (unique under
concurrency on PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from layan.cases import services as engine
from layan.cases.models import CaseEvent, CaseFlag, EventKind
from layan.core.errors import Conflict
from layan.offices.models import Service
from layan.population import services
from layan.registry.backend import FamilyData, LocalRegistry, PersonData
from layan.registry.models import Region, RegistryChange, Resident
from layan.registry.nik import parse_nik
from tests.documents.conftest import new_case, officer
from tests.filling import data_for
from tests.signing import document_work

pytestmark = pytest.mark.django_db

KK = "1808010101200001"  # tests.filling's example KK number


def walk_to_end(case, **data):
    """Take the request to its end as the office's all-roles officer; ``data`` is typed over the
    example values at the data-entry step."""
    user = officer(case.office.code)
    actor = engine.Actor.staff(user)
    for _ in range(25):
        case.refresh_from_db()
        if not case.is_open:
            return case
        if document_work(case, user):
            continue
        action = next(a for a in engine.allowed_actions(case, actor)
                      if a.kind in ("complete", "approve"))  # fmt: skip
        typed = data_for(case, action.kind)
        engine.perform_action(case, actor=actor, action=action.id,
                              data={**typed, **data} if typed else {})  # fmt: skip
    raise AssertionError(f"{case.code} did not complete")


def family(*members: PersonData, kk: str = KK, region: str = "18.08") -> None:
    LocalRegistry().register_family(
        FamilyData(kk_number=kk, head_nik=members[0].nik, members=members), region=region
    )


def adult(nik: str, name: str, sex: str = "L", born=date(1985, 3, 4)) -> PersonData:
    return PersonData(nik=nik, name=name, sex=sex, birth_date=born)


def note_of(case) -> str:
    event = CaseEvent.objects.filter(case=case, kind=EventKind.REGISTRY,
                                     action="registry_changed").first()  # fmt: skip
    return event.note if event else ""


def test_kk_baru_registers_the_family_with_its_members(seeded):
    case = walk_to_end(new_case("waykanan", "kk-baru"))
    members = Resident.objects.filter(family__kk_number=KK)
    assert members.count() == 1 and members.get().nik == "1808011708900001"
    assert RegistryChange.objects.filter(family__kk_number=KK, kind="family",
                                         case_code=case.code).exists()  # fmt: skip
    assert "1808010101200001" in note_of(case)


def test_akta_kelahiran_adds_the_child_to_the_family(seeded):
    family(adult("1808010403850001", "Ayah Contoh"))
    case = walk_to_end(new_case("waykanan", "akta-kelahiran"))
    child = Resident.objects.get(nik="1808011708900001")
    assert child.family.kk_number == KK and child.relation == "anak"
    assert note_of(case)


def test_a_birth_into_an_unknown_family_flags_the_request_instead(seeded):
    case = walk_to_end(new_case("waykanan", "akta-kelahiran"))
    assert not Resident.objects.filter(nik="1808011708900001").exists()
    flag = CaseFlag.objects.get(case=case, code="registry_failed")
    assert KK in flag.note


def test_akta_kematian_records_the_death_and_a_later_request_is_flagged(seeded):
    family(adult("1808011708900001", "Almarhum Contoh", born=date(1990, 8, 17)))
    walk_to_end(new_case("waykanan", "akta-kematian"))
    deceased = Resident.objects.get(nik="1808011708900001")
    assert deceased.status == "deceased" and deceased.died_on == date(1990, 8, 17)
    service = Service.objects.get(office__code="waykanan", code="ktp-el-penggantian")
    later = engine.submit_case(service=service, actor=engine.Actor.applicant("X"),
                               applicant_name="Almarhum Contoh",
                               applicant_nik="1808011708900001")  # fmt: skip
    assert later.findings.filter(rule="deceased").exists()


def test_skpwni_records_the_move_out(seeded):
    family(adult("1808011708900001", "Pindah Contoh", born=date(1990, 8, 17)))
    walk_to_end(new_case("waykanan", "skpwni"))
    assert Resident.objects.get(nik="1808011708900001").status == "moved"


def test_pindah_datang_adds_the_family_at_the_destination(seeded):
    # The outreach service works a whole province: the family's KK names its regency (13.12).
    kk = "1312010101200001"
    movers = [{"nik": "1312011708900001", "nama": "Datang Contoh", "hubungan": "kepala"}]
    typed = {"nomor_kk": kk, "anggota_pindah": movers}
    walk_to_end(new_case("keliling", "pindah-datang", **typed), **typed)
    mover = Resident.objects.get(nik="1312011708900001")
    assert mover.family.kk_number == kk and mover.region == "13.12"
    assert mover.sex == "L" and mover.birth_date == date(1990, 8, 17)  # read from the NIK


def test_a_province_office_cannot_write_another_provinces_records(seeded):
    case = walk_to_end(new_case("keliling", "pindah-datang"))  # a Lampung KK in West Sumatra
    assert CaseFlag.objects.filter(case=case, code="registry_failed").exists()


@pytest.fixture
def metro_regions(seeded):
    Region.objects.bulk_create([
        Region(code="18", name="LAMPUNG", level=1),
        Region(code="18.72", name="KOTA METRO", level=2),
        Region(code="18.72.01", name="Metro Pusat", level=3),
        Region(code="18.72.02", name="Metro Utara", level=3),
    ], ignore_conflicts=True)  # fmt: skip


def siaga_at_data_entry():
    case = new_case("metro", "dukcapil-siaga", nik="", kecamatan="Metro Utara")
    user = officer("metro")
    actor = engine.Actor.staff(user)
    for _ in range(10):
        case.refresh_from_db()
        if case.step.data_entry:
            return case
        if document_work(case, user):
            continue
        action = next(a for a in engine.allowed_actions(case, actor)
                      if a.kind in ("complete", "approve"))  # fmt: skip
        engine.perform_action(case, actor=actor, action=action.id, data={})
    raise AssertionError("no data-entry step")


def test_dukcapil_siaga_issues_a_nik_from_the_region_birth_date_and_next_serial(metro_regions):
    case = siaga_at_data_entry()
    nik = services.issue_nik_for(case, user=officer("metro"))
    parsed = parse_nik(nik)
    assert parsed.region == "18.72.02" and (parsed.day, parsed.month) == (17, 8)
    case.refresh_from_db()
    assert case.form_data["nik"] == nik
    with pytest.raises(Conflict):
        services.issue_nik_for(case, user=officer("metro"))
    walk_to_end(case, nik=nik, kecamatan="Metro Utara")
    resident = Resident.objects.get(nik=nik)
    assert resident.family.kk_number == KK


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_nik_issued_to_many_at_once_is_never_the_same(metro_regions):
    person = PersonData(name="Warga Siaga", birth_date=date(2000, 1, 2), sex="L")
    results: list = []
    barrier = threading.Barrier(6)

    def issue():
        try:
            barrier.wait(timeout=10)
            results.append(LocalRegistry().issue_nik(person, region="18.72",
                                                     district="18.72.01").nik)  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 - reported below
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(r, str) for r in results), results
    assert len(set(results)) == 6
    assert {r[-4:] for r in results} == {f"{i:04d}" for i in range(1, 7)}
    get_user_model()  # the users of the seeded offices stay untouched
