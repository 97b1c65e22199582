"""The population registry through the API, answered like the console: a look-up needs a role
that looks the registry up (403), another office's request or finding is 404, bad input is 422
naming the field, a decided finding is 409; every look-up is in the office's access log (kind
``api``, the NIK masked); another regency's record comes masked."""

from __future__ import annotations

import json
from datetime import date

import pytest

from layan.cases import services as engine
from layan.offices.models import Service
from layan.population.models import RegistryAccess
from layan.registry.backend import FamilyData, LocalRegistry, PersonData
from layan.registry.models import Region, Resident
from tests.api.test_api_matrix import token, world  # noqa: F401 (a fixture)
from tests.documents.conftest import new_case, officer
from tests.population.test_data_ganda import BUDI_A, BUDI_B, budi, register
from tests.population.test_registry_follows import siaga_at_data_entry

pytestmark = pytest.mark.django_db

ELSEWHERE = "1808011708900003"  # Budi again, held by Way Kanan
KK = "1808012001230004"
HEAD = PersonData(nik="1808011203850002", name="Budi Santoso", sex="L",
                  birth_date=date(1985, 3, 12), relation="kepala",
                  mother_name="Siti Aminah")  # fmt: skip
WIFE = PersonData(nik="1808016507880003", name="Sri Wahyuni", sex="P",
                  birth_date=date(1988, 7, 25), relation="istri")  # fmt: skip


def get(client, path: str, auth: str, **params):
    return client.get(path, params, HTTP_AUTHORIZATION=auth)


def post(client, path: str, auth: str, body: dict):
    return client.post(
        path, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=auth
    )


@pytest.fixture
def population(world):  # noqa: F811 (the imported fixture)
    register("1302010101200001", budi(BUDI_A))
    register("1302010101200002", budi(BUDI_B, "Boedi Santoso"))
    register("1808010101200009", budi(ELSEWHERE), region="18.08")
    LocalRegistry().register_family(
        FamilyData(kk_number=KK, head_nik=HEAD.nik, address="Jl. Merdeka No. 1",
                   members=(HEAD, WIFE)),
        region="18.08",
    )  # fmt: skip


@pytest.fixture
def flagged(population):
    """A Solok MARAWA request at its registry-check step with one finding per record."""
    service = Service.objects.get(office__code="solok", code="ktp-el")
    case = engine.submit_case(
        service=service, actor=engine.Actor.applicant("Boedi Santoso"),
        applicant_name="Boedi Santoso", applicant_nik=BUDI_B,
    )  # fmt: skip
    assert case.findings.count() == 2
    return case


def test_residents_families_and_search_for_staff_with_a_look_up_role(client, population):
    operator = token("waykanan.operator_siak")
    base = "/api/v1/offices/waykanan/registry"
    person = get(client, f"{base}/residents/{HEAD.nik}", operator)
    assert person.status_code == 200, person.content
    assert person.json()["ours"] and person.json()["mother_name"] == "Siti Aminah"
    masked = get(client, f"{base}/residents/{BUDI_A}", operator).json()  # Solok's
    assert not masked["ours"] and masked["nik"] == "1302••••••••0001" and not masked["mother_name"]
    family = get(client, f"{base}/families/{KK}", operator)
    assert family.status_code == 200
    assert [m["nik"] for m in family.json()["members"]] == [HEAD.nik, WIFE.nik]
    found = get(client, f"{base}/search", operator, name="BOEDI SANTOSO", birth_date="1985-03-12")
    assert found.status_code == 200 and [r["nik"] for r in found.json()["results"]] == [HEAD.nik]
    log = list(RegistryAccess.objects.values_list("kind", "query", "user__username"))
    assert len(log) == 4 and {k for k, _q, _u in log} == {"api"}
    assert all(HEAD.nik not in q and KK not in q for _k, q, _u in log)


def test_look_ups_answer_403_404_and_422_like_the_console(client, population):
    base = "/api/v1/offices/waykanan/registry"
    no_role = token("waykanan.petugas_pengambilan")
    answer = get(client, f"{base}/residents/{HEAD.nik}", no_role)
    assert answer.status_code == 403 and answer.json()["code"] == "role_required"
    stranger = token("balangan.semua")
    assert get(client, f"{base}/residents/{HEAD.nik}", stranger).status_code == 404
    operator = token("waykanan.operator_siak")
    unknown = get(client, f"{base}/residents/1808010101990009", operator)
    assert unknown.status_code == 404 and unknown.json()["code"] == "resident_unknown"
    elsewhere = get(client, "/api/v1/offices/waykanan/registry/families/1302010101200001",
                    operator)  # fmt: skip
    assert elsewhere.status_code == 404  # another regency's family is not shown
    bad = get(client, f"{base}/residents/12345", operator)
    assert bad.status_code == 422 and bad.json()["details"]["field"] == "nik"
    bad = get(client, f"{base}/families/kk", operator)
    assert bad.status_code == 422 and bad.json()["details"]["field"] == "kk"
    bad = get(client, f"{base}/search", operator, name="Budi", birth_date="17-08-1990")
    assert bad.status_code == 422
    assert any("birth_date" in e["loc"] for e in bad.json()["details"]["errors"])
    assert client.get(f"{base}/residents/{HEAD.nik}").status_code == 401
    assert RegistryAccess.objects.filter(kind="api").count() == 2  # unknown NIK, family elsewhere


def test_the_request_detail_lists_its_findings_and_the_comparison_sets_them_beside(client, flagged):
    operator = token("solok.operator_marawa")
    detail = get(client, f"/api/v1/cases/{flagged.code}", operator).json()
    findings = {f["record_region"]: f for f in detail["findings"]}
    assert findings["13.02"]["record"]["nik"] == BUDI_A
    assert findings["18.08"]["record"]["nik"] == "1808••••••••0003"
    assert findings["13.02"]["rule"] == "same_person_other_nik"
    assert findings["13.02"]["state"] == "open" and findings["13.02"]["level"] == "block"
    compared = get(client, f"/api/v1/cases/{flagged.code}/registry/comparison", operator)
    assert compared.status_code == 200
    person = compared.json()[0]
    assert person["found"] and person["key"] == "applicant"
    name = next(r for r in person["rows"] if r["field"] == "name")
    assert (name["stated"], name["registry"], name["differs"]) == (
        "Boedi Santoso", "Boedi Santoso", False,
    )  # fmt: skip
    assert RegistryAccess.objects.get().kind == "api"
    no_role = token("solok.petugas_distribusi")
    path = f"/api/v1/cases/{flagged.code}/registry/comparison"
    assert get(client, path, no_role).status_code == 403
    assert get(client, path, token("waykanan.semua")).status_code == 404


def test_deciding_a_finding_through_the_api(client, flagged):
    ours = flagged.findings.get(record_region="13.02")
    theirs = flagged.findings.get(record_region="18.08")
    path = f"/api/v1/cases/{flagged.code}/findings"
    operator = token("solok.operator_marawa")
    stranger = token("waykanan.semua")
    reason = {"reason": "Kakak beradik, sudah dikonfirmasi"}
    assert post(client, f"{path}/{ours.pk}/not-duplicate", stranger, reason).status_code == 404
    answer = post(client, f"{path}/{ours.pk}/not-duplicate", token("solok.petugas_distribusi"),
                  reason)  # fmt: skip
    assert answer.status_code == 403 and answer.json()["code"] == "role_required"
    short = post(client, f"{path}/{ours.pk}/not-duplicate", operator, {"reason": "no"})
    assert short.status_code == 422 and short.json()["details"]["field"] == "reason"
    missing = post(client, f"{path}/{ours.pk}/not-duplicate", operator, {})
    assert missing.status_code == 422
    done = post(client, f"{path}/{ours.pk}/not-duplicate", operator, reason)
    assert done.status_code == 200 and done.json()["state"] == "not_duplicate"
    assert done.json()["decided_by"] == "solok.operator_marawa"
    again = post(client, f"{path}/{ours.pk}/not-duplicate", operator, reason)
    assert again.status_code == 409 and again.json()["code"] == "finding_decided"
    assert post(client, f"{path}/999999/not-duplicate", operator, reason).status_code == 404
    admin = token("solok.admin_database")
    resolve = {"how": "inactivate", "reason": "Bukan wewenang kami"}
    elsewhere = post(client, f"{path}/{theirs.pk}/resolve", admin, resolve)
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "record_elsewhere"
    decided = post(client, f"{path}/{ours.pk}/resolve", admin, resolve)
    assert decided.status_code == 409


def test_resolving_a_finding_through_the_api(client, flagged):
    ours = flagged.findings.get(record_region="13.02")
    path = f"/api/v1/cases/{flagged.code}/findings/{ours.pk}/resolve"
    admin = token("solok.admin_database")
    body = {"how": "merge", "keep": "registry", "reason": "Satu orang, NIK kedua dinonaktifkan"}
    refused = post(client, path, token("solok.operator_marawa"), body)
    assert refused.status_code == 403
    bad = post(client, path, admin, {**body, "how": "delete"})
    assert bad.status_code == 422 and bad.json()["details"]["field"] == "how"
    bad = post(client, path, admin, {**body, "how": "correct_nik", "new_nik": "1302"})
    assert bad.status_code == 422 and bad.json()["details"]["field"] == "new_nik"
    done = post(client, path, admin, body)
    assert done.status_code == 200 and done.json()["state"] == "resolved"
    assert Resident.objects.get(nik=BUDI_B).merged_into.nik == BUDI_A


def test_prefill_fills_a_kk_request_from_the_registry(client, population):
    case = new_case("waykanan", "kk-baru")
    path = f"/api/v1/cases/{case.code}/registry/prefill"
    operator = token("waykanan.operator_siak")
    answer = get(client, path, operator, kk=KK)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["found"] and body["match"] == {"anggota": "nik"}
    assert [m["nik"] for m in body["values"]["anggota"]] == [HEAD.nik, WIFE.nik]
    assert RegistryAccess.objects.get().kind == "api"
    nothing = get(client, path, operator, kk="1808019999999999")
    assert nothing.status_code == 200 and nothing.json() == {
        "found": False, "values": {}, "match": {"anggota": "nik"},
    }  # fmt: skip
    assert get(client, path, operator).json()["details"]["field"] == "nik"
    assert get(client, path, operator, nik="abc").status_code == 422
    assert get(client, path, token("waykanan.petugas_pengambilan"), kk=KK).status_code == 403
    assert get(client, path, token("balangan.semua"), kk=KK).status_code == 404


def test_a_nik_is_issued_for_a_dukcapil_siaga_resident(client, world):  # noqa: F811
    Region.objects.bulk_create([
        Region(code="18.72", name="KOTA METRO", level=2),
        Region(code="18.72.02", name="Metro Utara", level=3),
    ], ignore_conflicts=True)  # fmt: skip
    case = siaga_at_data_entry()
    path = f"/api/v1/cases/{case.code}/registry/nik"
    assert post(client, path, token("waykanan.semua"), {}).status_code == 404
    assert post(client, path, token("metro.kasi"), {}).status_code == 403
    stale = post(client, path, token("metro.operator"), {"version": case.version - 1})
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    issued = post(client, path, token("metro.operator"), {"version": case.version})
    assert issued.status_code == 201, issued.content
    nik = issued.json()["nik"]
    case.refresh_from_db()
    assert case.form_data["nik"] == nik and issued.json()["version"] == case.version
    again = post(client, path, token("metro.operator"), {"version": case.version})
    assert again.status_code == 409 and again.json()["code"] == "nik_present"
    other = new_case("waykanan", "kk-baru")
    no_issue = post(client, f"/api/v1/cases/{other.code}/registry/nik", token("waykanan.semua"),
                    {})  # fmt: skip
    assert no_issue.status_code == 409 and no_issue.json()["code"] == "no_nik_issuance"
    assert officer("metro")
