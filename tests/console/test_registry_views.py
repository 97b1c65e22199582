"""The population registry in the console: the request page's Data Ganda card and the SIAK
comparison, the decisions on it, the data-entry form filled from the registry (JSON for the
script, a filled page without it), NIK issuance, the registry pages (search, a resident's
history, the nightly scan's suspected duplicates) and the access log. Who may do what, another
office's officer gets 404, and every look-up is logged with the NIK masked.

Elements are found by ids, classes, names and URLs, never by interface text (it is translated).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from layan.cases import services as engine
from layan.offices.models import Office, Service
from layan.population import services
from layan.population.models import DuplicateFinding, RegistryAccess
from layan.registry.backend import FamilyData, LocalRegistry, PersonData
from layan.registry.models import NotDuplicate, Region, RegistryChange, Resident, SuspectedDuplicate
from tests.documents.conftest import new_case, officer, seeded  # noqa: F401 (a fixture)
from tests.population.test_data_ganda import BUDI_A, BUDI_B, budi, register, user
from tests.population.test_registry_follows import siaga_at_data_entry

pytestmark = pytest.mark.django_db


def apply_marawa(nik: str = BUDI_B, name: str = "Boedi Santoso"):
    """A MARAWA request (KTP-el) for ``name`` with ``nik``, applied for now."""
    service = Service.objects.get(office__code="solok", code="ktp-el")
    return engine.submit_case(
        service=service, actor=engine.Actor.applicant(name), applicant_name=name,
        applicant_nik=nik,
    )  # fmt: skip


ELSEWHERE_NIK = "1808011708900003"  # Budi again, held by Way Kanan (18.08)
KK = "1808012001230004"  # a Way Kanan family in the registry
HEAD = PersonData(nik="1808011203850002", name="Budi Santoso", sex="L",
                  birth_date=date(1985, 3, 12), birth_place="Way Kanan", religion="islam",
                  marital_status="kawin", relation="kepala", mother_name="Siti Aminah")  # fmt: skip
WIFE = PersonData(nik="1808016507880003", name="Sri Wahyuni", sex="P",
                  birth_date=date(1988, 7, 25), birth_place="Way Kanan", religion="islam",
                  marital_status="kawin", relation="istri")  # fmt: skip
CHILD = PersonData(nik="1808014501150001", name="Ayu Lestari", sex="P",
                   birth_date=date(2015, 1, 5), birth_place="Way Kanan", religion="islam",
                   marital_status="belum_kawin", relation="anak")  # fmt: skip


def client_of(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def page(username: str, url: str) -> str:
    response = client_of(username).get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


@pytest.fixture
def flagged(seeded):  # noqa: F811 (the imported fixture)
    """A Solok MARAWA request at step 3 for Budi under his second NIK: one finding held by
    Solok (his first record) and one held by Way Kanan (a third record)."""
    register("1302010101200001", budi(BUDI_A))
    register("1302010101200002", budi(BUDI_B, "Boedi Santoso"))
    register("1808010101200009", budi(ELSEWHERE_NIK), region="18.08")
    Region.objects.get_or_create(code="18.08", defaults={"name": "KAB. WAY KANAN", "level": 2})
    case = apply_marawa()
    case.refresh_from_db()
    assert case.step.registry_check
    return case


def finding(case, region: str) -> DuplicateFinding:
    return case.findings.get(record_region=region)


@pytest.fixture
def family(seeded):  # noqa: F811 (the imported fixture)
    LocalRegistry().register_family(
        FamilyData(kk_number=KK, head_nik=HEAD.nik, address="Jl. Merdeka No. 1", rt="002",
                   rw="005", village="Blambangan Umpu", members=(HEAD, WIFE, CHILD)),
        region="18.08",
    )  # fmt: skip


@pytest.fixture
def kk_request(family):
    case = new_case("waykanan", "kk-baru")
    assert case.step.data_entry
    return case


# --------------------------------------------------------------------------- the request page


def test_the_request_page_shows_each_finding_beside_its_record_and_the_siak_comparison(flagged):
    ours, theirs = finding(flagged, "13.02"), finding(flagged, "18.08")
    body = page("solok.operator_marawa", reverse("console:case", args=[flagged.code]))
    assert 'id="data-ganda"' in body
    assert f'id="finding-{ours.pk}"' in body and f'id="finding-{theirs.pk}"' in body
    assert BUDI_A in body  # Solok holds the first record: shown in full
    assert ELSEWHERE_NIK not in body and "1808••••••••0003" in body  # Way Kanan's: masked
    assert 'class="note elsewhere"' in body
    assert Region.objects.get(code="18.08").name in body
    assert 'class="differs"' in body and 'class="diff-mark"' in body  # Budi / Boedi
    assert body.count('action="' + reverse("console:finding_not_duplicate",
                                            args=[flagged.code, ours.pk])) == 1  # fmt: skip
    # the operator decides, but does not resolve
    assert reverse("console:finding_resolve", args=[flagged.code, ours.pk]) not in body
    assert 'id="kesesuaian"' in body  # step 3 is a registry-check step
    logged = RegistryAccess.objects.get(user__username="solok.operator_marawa")
    assert logged.kind == "lookup" and flagged.code in logged.query and BUDI_B not in logged.query


def test_the_database_administrator_gets_the_resolve_form_only_for_the_offices_record(flagged):
    ours, theirs = finding(flagged, "13.02"), finding(flagged, "18.08")
    body = page("solok.admin_database", reverse("console:case", args=[flagged.code]))
    assert reverse("console:finding_resolve", args=[flagged.code, ours.pk]) in body
    assert reverse("console:finding_resolve", args=[flagged.code, theirs.pk]) not in body


def test_a_role_that_does_not_look_up_sees_the_findings_but_not_the_registry(flagged):
    body = page("solok.petugas_distribusi", reverse("console:case", args=[flagged.code]))
    assert 'id="data-ganda"' in body and 'id="kesesuaian"' not in body
    assert "finding_not_duplicate" not in body and "/not-duplicate/" not in body
    assert not RegistryAccess.objects.exists()


def test_not_a_duplicate_needs_a_reason_then_records_who_and_why(flagged):
    ours = finding(flagged, "13.02")
    url = reverse("console:finding_not_duplicate", args=[flagged.code, ours.pk])
    client = client_of("solok.operator_marawa")
    client.post(url, {"reason": ""})
    ours.refresh_from_db()
    assert ours.state == "open"
    response = client.post(url, {"reason": "Kakak beradik, ibu sudah dikonfirmasi"})
    assert response.status_code == 302 and response["Location"].endswith(f"#finding-{ours.pk}")
    ours.refresh_from_db()
    assert ours.state == "not_duplicate" and ours.decided_by.username == "solok.operator_marawa"
    assert NotDuplicate.objects.count() == 1
    body = page("solok.operator_marawa", reverse("console:case", args=[flagged.code]))
    assert "Kakak beradik, ibu sudah dikonfirmasi" in body and 'class="decided"' in body
    assert url not in body  # decided: no form any more
    client.post(url, {"reason": "Sekali lagi, bukan duplikat"})  # decided: refused, unchanged
    ours.refresh_from_db()
    assert ours.reason == "Kakak beradik, ibu sudah dikonfirmasi"


def test_only_the_database_administrator_resolves_and_the_registry_follows(flagged):
    ours = finding(flagged, "13.02")
    url = reverse("console:finding_resolve", args=[flagged.code, ours.pk])
    post = {"how": "merge:registry", "reason": "Satu orang, NIK kedua dinonaktifkan"}
    client_of("solok.operator_marawa").post(url, post)
    ours.refresh_from_db()
    assert ours.state == "open"
    response = client_of("solok.admin_database").post(url, post)
    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.state == "resolved"
    second = Resident.objects.get(nik=BUDI_B)
    assert second.status == "inactive" and second.merged_into.nik == BUDI_A


def test_a_wrong_nik_correction_changes_nothing(flagged):
    ours = finding(flagged, "13.02")
    url = reverse("console:finding_resolve", args=[flagged.code, ours.pk])
    response = client_of("solok.admin_database").post(
        url, {"how": "correct_nik", "new_nik": "123", "reason": "NIK salah ketik"}, follow=True
    )
    assert response.status_code == 200 and 'class="msg msg-error"' in response.content.decode()
    ours.refresh_from_db()
    assert ours.state == "open"


def test_another_offices_officer_reaches_no_finding_or_registry_url_of_a_request(flagged):
    ours = finding(flagged, "13.02")
    client = client_of("waykanan.semua")
    code = flagged.code
    urls = [
        ("post", reverse("console:finding_not_duplicate", args=[code, ours.pk])),
        ("post", reverse("console:finding_resolve", args=[code, ours.pk])),
        ("post", reverse("console:issue_nik", args=[code])),
        ("get", reverse("console:prefill", args=[code]) + f"?by=nik&number={BUDI_A}"),
        ("get", reverse("console:prefill_json", args=[code]) + f"?nik={BUDI_A}"),
    ]
    for method, url in urls:
        response = getattr(client, method)(url, {"reason": "Bukan duplikat", "how": "inactivate"})
        assert response.status_code == 404, url
    ours.refresh_from_db()
    assert ours.state == "open" and not RegistryAccess.objects.exists()


def test_a_finding_of_another_request_is_not_reachable_through_this_one(flagged):
    other = new_case("solok", "ktp-el")
    url = reverse("console:finding_not_duplicate", args=[other.code, finding(flagged, "13.02").pk])
    response = client_of("solok.operator_marawa").post(url, {"reason": "Bukan duplikat"})
    assert response.status_code == 404


# --------------------------------------------------------------------------- pre-fill


def test_the_data_entry_form_offers_the_look_up_and_the_json_fills_the_member_table(kk_request):
    url = reverse("console:case", args=[kk_request.code])
    body = page("waykanan.operator_siak", url)
    assert 'id="registry-lookup"' in body and "console/registry.js" in body
    assert 'data-table="anggota"' in body
    answer = client_of("waykanan.operator_siak").get(
        reverse("console:prefill_json", args=[kk_request.code]), {"kk": KK}
    )
    assert answer.status_code == 200
    data = answer.json()
    assert data["found"] and data["match"] == {"anggota": "nik"}
    assert data["values"]["nomor_kk"] == KK and data["values"]["rt_rw"] == "002/005"
    members = data["values"]["anggota"]
    assert [m["nik"] for m in members] == [HEAD.nik, WIFE.nik, CHILD.nik]
    assert members[0]["nama"] == "Budi Santoso" and members[1]["jenis_kelamin"] == "P"
    logged = RegistryAccess.objects.get()
    assert (logged.kind, logged.found) == ("prefill", 3)
    assert KK not in logged.query and "1808••••" in logged.query


def test_a_look_up_by_nik_fills_from_the_persons_family(kk_request):
    answer = client_of("waykanan.operator_siak").get(
        reverse("console:prefill_json", args=[kk_request.code]), {"nik": WIFE.nik}
    )
    assert answer.json()["values"]["nomor_kk"] == KK


def test_the_look_up_refuses_a_bad_number_naming_the_field_and_a_role_without_look_ups(
    kk_request,
):
    url = reverse("console:prefill_json", args=[kk_request.code])
    bad = client_of("waykanan.operator_siak").get(url, {"kk": "12345"})
    assert bad.status_code == 422 and bad.json()["field"] == "kk"
    assert client_of("waykanan.operator_siak").get(url).json()["field"] == "nik"
    refused = client_of("waykanan.petugas_pengambilan").get(url, {"kk": KK})
    assert refused.status_code == 403 and refused.json()["code"] == "role_required"
    assert not RegistryAccess.objects.exists()


def test_without_javascript_the_page_comes_back_filled_with_the_differences_marked(kk_request):
    url = reverse("console:prefill", args=[kk_request.code])
    body = page("waykanan.operator_siak", f"{url}?by=kk&number={KK}")
    # the typed KK number stays and is marked; the registry's members come as new rows
    assert 'value="1808010101200001"' in body  # the example number typed before
    assert 'class="field differs-registry"' in body and 'class="registry-mark"' in body
    assert f'data-registry="{KK}"' in body
    for person in (HEAD, WIFE, CHILD):
        assert f'value="{person.nik}"' in body
    assert 'name="anggota-rows" value="4"' in body
    assert 'id="registry-lookup-status"' in body
    kk_request.refresh_from_db()
    assert kk_request.form_data["nomor_kk"] == "1808010101200001"  # nothing saved
    assert RegistryAccess.objects.get().kind == "prefill"


def test_the_look_up_box_is_only_at_the_data_entry_step_for_its_officer(kk_request):
    body = page("waykanan.kasi", reverse("console:case", args=[kk_request.code]))
    assert 'id="registry-lookup"' not in body


@pytest.fixture
def siaga(seeded):  # noqa: F811 (the imported fixture)
    Region.objects.bulk_create([
        Region(code="18", name="LAMPUNG", level=1),
        Region(code="18.72", name="KOTA METRO", level=2),
        Region(code="18.72.02", name="Metro Utara", level=3),
    ], ignore_conflicts=True)  # fmt: skip
    return siaga_at_data_entry()


def test_dukcapil_siaga_issues_a_nik_at_the_data_entry_step(siaga):
    url = reverse("console:case", args=[siaga.code])
    body = page("metro.operator", url)
    assert 'id="issue-nik"' in body
    response = client_of("metro.operator").post(
        reverse("console:issue_nik", args=[siaga.code]), {"version": siaga.version}, follow=True
    )
    siaga.refresh_from_db()
    nik = siaga.form_data["nik"]
    assert nik.startswith("187202") and len(nik) == 16
    body = response.content.decode()
    assert nik in body and 'id="issue-nik"' not in body  # shown, and no second NIK offered
    stale = client_of("metro.operator").post(
        reverse("console:issue_nik", args=[siaga.code]), {"version": siaga.version - 1}
    )
    assert stale.status_code == 302
    siaga.refresh_from_db()
    assert siaga.form_data["nik"] == nik


def test_nik_issuance_is_refused_to_another_role(siaga):
    client_of("metro.kasi").post(
        reverse("console:issue_nik", args=[siaga.code]), {"version": siaga.version}
    )
    siaga.refresh_from_db()
    assert not siaga.form_data.get("nik")


# --------------------------------------------------------------------------- the registry pages


def test_the_registry_search_lists_masked_links_the_offices_records_and_is_logged(family):
    url = reverse("console:registry")
    assert 'id="registry-search"' in page("waykanan.operator_siak", url)
    body = page("waykanan.operator_siak", f"{url}?kk={KK}")
    assert "1808••••••••0002" in body and HEAD.nik not in body  # NIKs masked in lists
    resident = Resident.objects.get(nik=HEAD.nik)
    assert reverse("console:registry_resident", args=[resident.pk]) in body
    body = page("waykanan.operator_siak", f"{url}?name=Budi+Santoso&birth_date=1985-03-12")
    assert "1808••••••••0002" in body
    kinds = list(RegistryAccess.objects.values_list("kind", "query"))
    assert [k for k, _q in kinds] == ["lookup", "lookup"]
    assert all(KK not in q and HEAD.nik not in q for _k, q in kinds)


def test_the_search_names_a_bad_field_and_needs_a_look_up_role(family):
    url = reverse("console:registry")
    body = page("waykanan.operator_siak", f"{url}?nik=123")
    assert 'id="search-error"' in body and 'id="q-nik" name="nik" value="123"' in body
    assert 'aria-invalid="true"' in body
    assert client_of("waykanan.petugas_pengambilan").get(url).status_code == 403
    assert client_of("waykanan.petugas_pengambilan").get(f"{url}?kk={KK}").status_code == 403
    assert not RegistryAccess.objects.exists()


def test_another_regencys_records_come_masked_and_its_family_not_at_all(family):
    url = reverse("console:registry")
    body = page("solok.operator_marawa", f"{url}?nik={HEAD.nik}")
    assert "1808••••••••0002" in body
    assert reverse("console:registry_resident", args=[Resident.objects.get(nik=HEAD.nik).pk]) \
        not in body  # fmt: skip
    body = page("solok.operator_marawa", f"{url}?kk={KK}")
    assert WIFE.name not in body


def test_a_residents_page_shows_the_registry_history_for_the_office_that_holds_it(family):
    head = Resident.objects.get(nik=HEAD.nik)
    LocalRegistry().record_move_out([CHILD.nik], "Kota Metro")
    url = reverse("console:registry_resident", args=[head.pk])
    body = page("waykanan.operator_siak", url)
    assert HEAD.nik in body and 'id="registry-history"' in body
    assert RegistryChange.objects.filter(resident=head).exists()
    assert body.count("<li>") >= 2  # registered, and the family's change
    assert 'id="family"' in body and "1808••••••••0001" in body
    logged = RegistryAccess.objects.get()
    assert logged.kind == "resident" and HEAD.nik not in logged.query
    assert client_of("solok.admin_database").get(url).status_code == 404  # Solok does not hold it
    assert client_of("waykanan.petugas_pengambilan").get(url).status_code == 403


def test_the_navigation_links_the_registry_for_the_roles_that_look_it_up(family):
    home = reverse("console:home")
    assert reverse("console:registry") in page("waykanan.operator_siak", home)
    assert reverse("console:registry") in page("waykanan.supervisor", home)
    assert reverse("console:registry") not in page("waykanan.petugas_pengambilan", home)


# --------------------------------------------------------------------------- suspected pairs


@pytest.fixture
def pairs(seeded):  # noqa: F811 (the imported fixture)
    """Two pairs the nightly scan found: both records Solok's, and one Solok's with one of Way
    Kanan's."""
    register("1302010101200001", budi(BUDI_A))
    register("1302010101200002", budi(BUDI_B, "Boedi Santoso"))
    register("1808010101200009", budi(ELSEWHERE_NIK), region="18.08")
    a, b, c = (Resident.objects.get(nik=n).pk for n in (BUDI_A, BUDI_B, ELSEWHERE_NIK))
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


def test_the_suspected_duplicates_are_listed_for_the_administrators_of_either_regency(pairs):
    home, across = pairs
    url = reverse("console:registry_suspects")
    body = page("solok.admin_database", url)
    assert reverse("console:registry_pair", args=[home.pk]) in body
    assert reverse("console:registry_pair", args=[across.pk]) in body
    assert BUDI_A not in body and "1302••••••••0001" in body
    body = page("waykanan.admin", url)
    assert reverse("console:registry_pair", args=[across.pk]) in body
    assert reverse("console:registry_pair", args=[home.pk]) not in body
    assert client_of("solok.operator_marawa").get(url).status_code == 403
    assert (
        client_of("waykanan.admin")
        .get(reverse("console:registry_pair", args=[home.pk]))
        .status_code
        == 404
    )


def test_a_pair_side_by_side_masks_the_other_regencys_record_and_resolves_only_the_offices(pairs):
    _home, across = pairs
    url = reverse("console:registry_pair", args=[across.pk])
    body = page("solok.admin_database", url)
    assert BUDI_A in body and ELSEWHERE_NIK not in body and "1808••••••••0003" in body
    assert 'value="inactivate:first"' in body and 'value="inactivate:second"' not in body
    assert RegistryAccess.objects.get().kind == "resident"
    resolve = reverse("console:registry_pair_resolve", args=[across.pk])
    client_of("solok.admin_database").post(
        resolve, {"how": "inactivate:second", "reason": "Bukan wewenang kami"}
    )
    assert Resident.objects.get(nik=ELSEWHERE_NIK).status == "alive"
    client_of("solok.operator_marawa").post(
        resolve, {"how": "inactivate:first", "reason": "Data ganda"}
    )
    assert Resident.objects.get(nik=BUDI_A).status == "alive"


def test_a_pair_is_marked_not_a_duplicate_or_merged(pairs):
    home, across = pairs
    client = client_of("solok.supervisor")
    client.post(reverse("console:registry_pair_not_duplicate", args=[across.pk]), {"reason": ""})
    across.refresh_from_db()
    assert across.state == "open"
    client.post(
        reverse("console:registry_pair_not_duplicate", args=[across.pk]),
        {"reason": "Dua orang berbeda, sudah dicek"},
    )
    across.refresh_from_db()
    assert across.state == "not_duplicate" and NotDuplicate.objects.count() == 1
    response = client_of("solok.admin_database").post(
        reverse("console:registry_pair_resolve", args=[home.pk]),
        {"how": "merge:first", "reason": "Satu orang, ejaan lama"},
    )
    assert response.status_code == 302
    home.refresh_from_db()
    assert home.state == "resolved"
    assert Resident.objects.get(nik=BUDI_B).merged_into.nik == BUDI_A
    body = page("solok.admin_database", reverse("console:registry_suspects"))
    assert reverse("console:registry_pair", args=[home.pk]) not in body


# --------------------------------------------------------------------------- the access log


def test_the_access_log_lists_the_registry_look_ups_beside_the_request_openings(family):
    page("waykanan.operator_siak", reverse("console:registry") + f"?kk={KK}")
    solok = Office.objects.get(code="solok")
    services.look_up(solok, user("solok.operator_marawa"), nik=HEAD.nik)
    body = page("waykanan.admin", reverse("console:access_log"))
    assert 'id="registry-log"' in body and "waykanan.operator_siak" in body
    assert "KK 1808••••••••0004" in body
    assert "solok.operator_marawa" not in body  # another office's look-up
    filtered = page("waykanan.admin", reverse("console:access_log") + "?user=nobody")
    assert "waykanan.operator_siak" not in filtered.split('id="registry-log"')[1]
    assert officer("waykanan")  # the all-roles officer exists (used by new_case)
