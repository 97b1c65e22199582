"""Requests meet the registry: the Data Ganda check at submission and at the SOP's check step,
the officer's decision, the escalation to the Administrator Database and the resolution with its
audit, the scope of another regency's record."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from layan.cases import services as engine
from layan.cases.models import CaseEvent, CaseFlag, EventKind
from layan.core.errors import Forbidden, Invalid
from layan.offices.models import Office, Service
from layan.population import services
from layan.population.models import DuplicateFinding
from layan.registry.backend import FamilyData, LocalRegistry, PersonData
from layan.registry.models import NotDuplicate, RegistryChange, Resident
from tests.filling import data_for

pytestmark = pytest.mark.django_db
JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=JAKARTA)  # a Monday

BUDI_A = "1302011708900001"  # Budi Santoso as first registered
BUDI_B = "1302011708900002"  # the same man registered again under a second NIK


def user(name: str):
    return get_user_model().objects.get(username=name)


def staff(name: str) -> engine.Actor:
    return engine.Actor.staff(user(name))


def register(kk: str, *people: PersonData, region: str = "13.02") -> None:
    LocalRegistry().register_family(
        FamilyData(kk_number=kk, head_nik=people[0].nik, address="Jorong Koto", members=people),
        region=region, now=NOW,
    )  # fmt: skip


def budi(nik: str, name: str = "Budi Santoso", **kw) -> PersonData:
    values = {"birth_date": date(1990, 8, 17), "sex": "L", "mother_name": "Siti Aminah",
              "birth_place": "Solok"}  # fmt: skip
    values.update(kw)
    return PersonData(nik=nik, name=name, **values)


@pytest.fixture
def registered_twice(seeded):
    register("1302010101200001", budi(BUDI_A))
    register("1302010101200002", budi(BUDI_B, "Boedi Santoso"))


def apply_marawa(nik: str = BUDI_B, name: str = "Boedi Santoso"):
    service = Service.objects.get(office__code="solok", code="ktp-el")
    return engine.submit_case(
        service=service, actor=engine.Actor.applicant(name), applicant_name=name,
        applicant_nik=nik, now=NOW,
    )  # fmt: skip


def test_a_resident_registered_under_another_nik_is_flagged_and_stops_the_check_step(
    registered_twice,
):
    case = apply_marawa()
    case.refresh_from_db()
    assert case.step.number == 3 and case.step.registry_check
    finding = case.findings.get()
    assert (finding.rule, finding.level, finding.state) == (
        "same_person_other_nik",
        "block",
        "open",
    )
    assert finding.record["nik"] == BUDI_A and finding.record["ours"]
    assert CaseFlag.objects.filter(case=case, code="data_ganda").exists()
    forward = next(a for a in case.step.actions if a.kind == "complete")
    with pytest.raises(Invalid) as refused:
        engine.perform_action(case.code, actor=staff("solok.operator_marawa"), action=forward.id,
                              data=data_for(case, "complete"), now=NOW)  # fmt: skip
    assert refused.value.code == "data_ganda_undecided"


def test_escalated_to_the_database_administrator_and_resolved_by_merging(registered_twice):
    case = apply_marawa()
    case.refresh_from_db()
    escalate = next(a for a in case.step.actions if a.kind == "escalate")
    engine.perform_action(case.code, actor=staff("solok.operator_marawa"), action=escalate.id,
                          note="Data ganda di SIAK", now=NOW)  # fmt: skip
    finding = case.findings.get()
    assert finding.state == "escalated"
    office = Office.objects.get(code="solok")
    with pytest.raises(Forbidden):  # the operator does not resolve
        services.resolve_finding(office, finding.pk, user=user("solok.operator_marawa"),
                                 how="merge", reason="Satu orang")  # fmt: skip
    services.resolve_finding(
        office,
        finding.pk,
        user=user("solok.admin_database"),
        how="merge",
        keep="registry",
        reason="Satu orang, NIK kedua dinonaktifkan",
        now=NOW,
    )
    finding.refresh_from_db()
    assert finding.state == "resolved" and finding.decided_by.username == "solok.admin_database"
    second = Resident.objects.get(nik=BUDI_B)
    assert second.status == "inactive" and second.merged_into.nik == BUDI_A
    change = RegistryChange.objects.get(resident=second, kind="merged")
    assert change.reason.startswith("Satu orang") and change.by.username == "solok.admin_database"
    assert CaseEvent.objects.filter(case=case, kind=EventKind.REGISTRY,
                                    action="resolve_merge").exists()  # fmt: skip
    assert not CaseFlag.objects.filter(case=case, code="data_ganda").exists()
    # back to the operator at step 3, who may now go on
    case.refresh_from_db()
    back = next(a for a in case.step.actions if a.kind == "complete")
    engine.perform_action(case.code, actor=staff("solok.admin_database"), action=back.id, now=NOW)
    case.refresh_from_db()
    assert case.step.number == 3
    assert engine.allowed_actions(case, staff("solok.operator_marawa"))


def test_not_a_duplicate_needs_a_reason_and_the_pair_is_ignored_from_then_on(registered_twice):
    case = apply_marawa()
    finding = case.findings.get()
    office = Office.objects.get(code="solok")
    with pytest.raises(Invalid):
        services.decide_not_duplicate(office, finding.pk, user=user("solok.operator_marawa"),
                                      reason="")  # fmt: skip
    services.decide_not_duplicate(
        office,
        finding.pk,
        user=user("solok.operator_marawa"),
        reason="Kembar identik, ibu sudah dikonfirmasi",
        now=NOW,
    )
    assert NotDuplicate.objects.count() == 1
    assert not CaseFlag.objects.filter(case=case, code="data_ganda").exists()
    later = apply_marawa()
    assert not later.findings.exists()


def test_a_record_held_by_another_regency_is_shown_masked_and_resolved_only_there(seeded):
    register("1808010101200001", budi("1808011708900003"), region="18.08")  # Way Kanan's
    case = apply_marawa(nik=BUDI_B)
    finding = case.findings.get()
    assert finding.record["nik"].startswith("1808") and "•" in finding.record["nik"]
    assert not finding.record["ours"] and "mother_name" not in finding.record
    with pytest.raises(Forbidden) as elsewhere:
        services.resolve_finding(Office.objects.get(code="solok"), finding.pk,
                                 user=user("solok.admin_database"), how="inactivate",
                                 reason="Bukan wewenang kami")  # fmt: skip
    assert elsewhere.value.code == "record_elsewhere"


def test_a_death_already_recorded_flags_a_later_request(seeded):
    register("1302010101200003", budi(BUDI_A, status="alive"))
    LocalRegistry().record_death(BUDI_A, date(2026, 10, 1), now=NOW)
    case = apply_marawa(nik=BUDI_A, name="Budi Santoso")
    assert [f.rule for f in case.findings.all()] == ["deceased"]


def test_another_office_cannot_decide_the_finding(registered_twice):
    case = apply_marawa()
    finding = case.findings.get()
    with pytest.raises(Exception) as other:
        services.decide_not_duplicate(
            Office.objects.get(code="waykanan"),
            finding.pk,
            user=user("waykanan.kasi"),
            reason="Bukan duplikat",
        )
    assert getattr(other.value, "code", "") == "finding_unknown"


def test_a_finding_no_longer_found_is_cleared_when_the_data_changes(registered_twice):
    service = Service.objects.get(office__code="balangan", code="ktp-el")
    register("6311010101200001", budi("6311011708900004"), region="63.11")
    register("6311010101200002", budi("6311011708900005", "Budi Santosa"), region="63.11")
    case = engine.submit_case(service=service, actor=engine.Actor.applicant("Budi"),
                              applicant_name="Budi Santosa", applicant_nik="6311011708900005",
                              now=NOW)  # fmt: skip
    assert case.findings.filter(state="open").exists()
    first = case.findings.first()
    DuplicateFinding.objects.filter(pk=first.pk).update(record_ref="999999")  # a record since gone
    services.check_case(case, now=NOW)
    assert case.findings.filter(record_ref="999999", state="cleared").exists()


def test_a_look_up_needs_the_role_is_logged_masked_and_shows_another_regency_masked(
    registered_twice,
):
    from layan.population.models import RegistryAccess

    office = Office.objects.get(code="solok")
    register("1808010101200001", budi("1808011708900003"), region="18.08")
    answer = services.look_up(office, user("solok.operator_marawa"), nik=BUDI_A)
    assert answer["person"]["name"] == "Budi Santoso" and answer["person"]["ours"]
    assert answer["person"]["mother_name"] == "Siti Aminah"
    elsewhere = services.look_up(office, user("solok.operator_marawa"), nik="1808011708900003")
    assert not elsewhere["person"]["ours"] and "mother_name" not in elsewhere["person"]
    assert "•" in elsewhere["person"]["nik"]
    family = services.look_up(office, user("solok.admin_database"), kk="1302010101200001")
    assert [m["nik"] for m in family["family"]["members"]] == [BUDI_A]
    assert services.look_up(office, user("solok.operator_marawa"),
                            kk="1808010101200001")["family"] is None  # fmt: skip
    log = list(RegistryAccess.objects.filter(office=office).values_list("query", flat=True))
    assert log and all(BUDI_A not in q for q in log) and any("1302••••" in q for q in log)
    with pytest.raises(Forbidden):
        services.look_up(office, user("solok.petugas_distribusi"), nik=BUDI_A)
    with pytest.raises(Forbidden):  # another office's officer has no role here
        services.look_up(office, user("waykanan.operator_siak"), nik=BUDI_A)
