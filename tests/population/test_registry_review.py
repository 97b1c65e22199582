"""The registry pages' services: a resident's page for the office that holds the record, the
nightly scan's suspected pairs decided like findings (not a duplicate by a supervisor or an
administrator, resolved by the database administrator on a record the office holds), look-ups
refusing a bad number with the field named, and the comparison and pre-fill for an officer."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from layan.cases import services as engine
from layan.core.errors import Conflict, Forbidden, Invalid, NotFound
from layan.offices.models import Office, Service
from layan.population import selectors, services
from layan.population.models import RegistryAccess
from layan.registry.models import NotDuplicate, RegistryChange, Resident, SuspectedDuplicate
from tests.population.test_data_ganda import BUDI_A, BUDI_B, budi, register, user

pytestmark = pytest.mark.django_db


def apply_marawa(nik: str = BUDI_B, name: str = "Boedi Santoso"):
    """A MARAWA request (KTP-el) for ``name`` with ``nik``, applied for now."""
    service = Service.objects.get(office__code="solok", code="ktp-el")
    return engine.submit_case(
        service=service, actor=engine.Actor.applicant(name), applicant_name=name,
        applicant_nik=nik,
    )  # fmt: skip


ELSEWHERE = "1808011708900003"  # Budi once more, held by Way Kanan


@pytest.fixture
def solok():
    return Office.objects.get(code="solok")


@pytest.fixture
def pairs(seeded):
    register("1302010101200001", budi(BUDI_A))
    register("1302010101200002", budi(BUDI_B, "Boedi Santoso"))
    register("1808010101200009", budi(ELSEWHERE), region="18.08")
    a, b, c = (Resident.objects.get(nik=n).pk for n in (BUDI_A, BUDI_B, ELSEWHERE))
    now = timezone.now()
    home = SuspectedDuplicate.objects.create(
        first_id=a, second_id=b, rule="fuzzy_name_near_birth", score=0.95, level="warn",
        regions="13.02", found_at=now,
    )  # fmt: skip
    across = SuspectedDuplicate.objects.create(
        first_id=a, second_id=c, rule="same_person_other_nik", score=1.0, level="block",
        regions="13.02 18.08", found_at=now,
    )  # fmt: skip
    return home, across


def test_the_pairs_of_an_office_are_those_its_regency_holds_either_record_of(pairs, solok):
    home, across = pairs
    assert list(selectors.suspected_for(solok)) == [across, home]  # block before warn
    waykanan = Office.objects.get(code="waykanan")
    assert list(selectors.suspected_for(waykanan)) == [across]
    keliling = Office.objects.get(code="keliling")  # the province of Sumatera Barat: 13
    assert set(selectors.suspected_for(keliling)) == {home, across}
    assert not selectors.suspected_for(Office.objects.get(code="metro")).exists()


def test_a_pair_is_shown_to_reviewers_with_the_other_regencys_record_masked_and_logged(
    pairs, solok
):
    _home, across = pairs
    view = services.suspected_pair(solok, user("solok.admin_database"), across.pk)
    assert view.first["nik"] == BUDI_A and view.first["ours"]
    assert view.second["nik"] == "1808••••••••0003" and not view.second["ours"]
    assert "mother_name" not in view.second
    logged = RegistryAccess.objects.get()
    assert logged.kind == "resident" and BUDI_A not in logged.query
    with pytest.raises(Forbidden):
        services.suspected_pair(solok, user("solok.operator_marawa"), across.pk)
    with pytest.raises(NotFound):  # Metro's regency holds neither
        services.suspected_pair(Office.objects.get(code="metro"), user("metro.admin"), across.pk)


def test_not_a_duplicate_by_a_supervisor_with_a_reason_once(pairs, solok):
    _home, across = pairs
    with pytest.raises(Forbidden):
        services.decide_pair_not_duplicate(solok, across.pk, user=user("solok.operator_marawa"),
                                           reason="Dua orang berbeda")  # fmt: skip
    with pytest.raises(Invalid) as short:
        services.decide_pair_not_duplicate(solok, across.pk, user=user("solok.supervisor"),
                                           reason="beda")  # fmt: skip
    assert short.value.details["field"] == "reason"
    pair = services.decide_pair_not_duplicate(
        solok, across.pk, user=user("solok.supervisor"), reason="Dua orang berbeda, sudah dicek"
    )
    assert pair.state == "not_duplicate"
    assert NotDuplicate.objects.get().reason == "Dua orang berbeda, sudah dicek"
    with pytest.raises(Conflict) as again:
        services.decide_pair_not_duplicate(solok, across.pk, user=user("solok.admin"),
                                           reason="Sekali lagi bukan")  # fmt: skip
    assert again.value.code == "pair_decided"


def test_resolving_a_pair_needs_the_database_administrator_and_the_offices_own_record(pairs, solok):
    home, across = pairs
    admin = user("solok.admin_database")
    with pytest.raises(Forbidden) as role:
        services.resolve_pair(solok, home.pk, user=user("solok.supervisor"), how="inactivate",
                              record="second", reason="Data ganda ejaan lama")  # fmt: skip
    assert role.value.code == "role_required"
    with pytest.raises(Forbidden) as elsewhere:
        services.resolve_pair(solok, across.pk, user=admin, how="inactivate", record="second",
                              reason="Punya Way Kanan")  # fmt: skip
    assert elsewhere.value.code == "record_elsewhere"
    with pytest.raises(Invalid) as keep:
        services.resolve_pair(solok, home.pk, user=admin, how="merge", keep="both",
                              reason="Satu orang")  # fmt: skip
    assert keep.value.details["field"] == "keep"
    with pytest.raises(Invalid) as bad_nik:
        services.resolve_pair(solok, home.pk, user=admin, how="correct_nik", record="second",
                              new_nik="13020117", reason="NIK salah")  # fmt: skip
    assert bad_nik.value.details["field"] == "new_nik"
    pair = services.resolve_pair(solok, home.pk, user=admin, how="merge", keep="first",
                                 reason="Satu orang, ejaan lama")  # fmt: skip
    assert pair.state == "resolved"
    retired = Resident.objects.get(nik=BUDI_B)
    assert retired.status == "inactive" and retired.merged_into.nik == BUDI_A
    assert RegistryChange.objects.get(resident=retired, kind="merged").by == admin
    with pytest.raises(Conflict):
        services.resolve_pair(solok, home.pk, user=admin, how="inactivate", record="second",
                              reason="Sekali lagi")  # fmt: skip


def test_a_nik_correction_resolves_the_pair(pairs, solok):
    home, _across = pairs
    pair = services.resolve_pair(
        solok, home.pk, user=user("solok.admin_database"), how="correct_nik", record="second",
        new_nik="1302011708900007", reason="NIK kedua salah ketik",
    )  # fmt: skip
    assert pair.state == "resolved"
    assert Resident.objects.filter(nik="1302011708900007").exists()


def test_a_residents_page_is_for_the_office_that_holds_the_record(pairs, solok):
    resident = Resident.objects.get(nik=BUDI_A)
    page = services.resident_page(solok, user("solok.operator_marawa"), resident.pk)
    assert page.person.nik == BUDI_A and page.family.kk_number == "1302010101200001"
    assert {c.kind for c in page.changes} >= {"created", "family"}
    assert RegistryAccess.objects.get().kind == "resident"
    with pytest.raises(NotFound):
        services.resident_page(Office.objects.get(code="waykanan"), user("waykanan.admin"),
                               resident.pk)  # fmt: skip
    with pytest.raises(Forbidden):
        services.resident_page(solok, user("solok.petugas_distribusi"), resident.pk)


def test_a_look_up_names_the_field_of_a_bad_number(pairs, solok):
    operator = user("solok.operator_marawa")
    with pytest.raises(Invalid) as nik:
        services.look_up(solok, operator, nik="1302-0117")
    assert nik.value.details["field"] == "nik"
    with pytest.raises(Invalid) as kk:
        services.look_up(solok, operator, kk="１３０２０１０１０１２０００１")  # full-width
    assert kk.value.details["field"] == "kk"
    with pytest.raises(Invalid) as empty:
        services.look_up(solok, operator, name="Budi\x00")
    assert empty.value.details["field"] == "nik"
    assert services.look_up(solok, operator, nik="1302 0117 0890 0001")["person"]["nik"] == BUDI_A
    found = services.look_up(solok, operator, name="Budi\x00 Santoso", birth_date=date(1990, 8, 17))
    assert {r["nik"] for r in found["results"]} >= {BUDI_A}
    assert all("\x00" not in q for q in RegistryAccess.objects.values_list("query", flat=True))


def test_the_comparison_and_the_pre_fill_check_the_role_and_are_logged(pairs, solok):
    case = apply_marawa()
    compared = selectors.checked_comparison(case, user("solok.operator_marawa"))
    assert [c.record.nik for c in compared] == [BUDI_B]
    logged = RegistryAccess.objects.get()
    assert case.code in logged.query and BUDI_B not in logged.query and logged.found == 1
    with pytest.raises(Forbidden):
        selectors.checked_comparison(case, user("solok.petugas_distribusi"))
    with pytest.raises(Forbidden):
        selectors.checked_prefill(case, user("solok.petugas_distribusi"), nik=BUDI_A)
    assert RegistryAccess.objects.count() == 1
