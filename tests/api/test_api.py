"""The JSON API through Django's test client, on the seed offices."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from layan.api.models import ApiToken
from layan.offices.models import Service
from tests.filling import form_data

pytestmark = pytest.mark.django_db


def bearer(username: str) -> dict[str, str]:
    user = get_user_model().objects.get(username=username)
    _token, raw = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(client, url, body, auth):
    return client.post(url, data=json.dumps(body), content_type="application/json", **auth)


def new_kk_case(client, auth, name="Ani") -> str:
    body = {"office": "waykanan", "service": "kk-baru", "applicant_name": name}
    response = post(client, "/api/v1/cases", body, auth)
    assert response.status_code == 201, response.content
    return response.json()["code"]


SEED_FLOWS = [
    # office, service, steps, total minutes
    ("solok", "ktp-el", 7, 18),
    ("waykanan", "kk-baru", 7, 45),
    ("waykanan", "skpwni", 7, 45),
    ("waykanan", "ktp-el-penggantian", 4, 25),
    ("waykanan", "kia-baru", 5, 29),
    ("waykanan", "akta-kelahiran", 10, 80),
    ("waykanan", "akta-kematian", 10, 80),
    ("waykanan", "pengaduan", 7, 60),
    ("balangan", "kk", 8, 70),
    ("metro", "dukcapil-siaga", 9, 26),
    ("keliling", "kk", 10, 0),
]


@pytest.mark.parametrize(("office", "service", "steps", "minutes"), SEED_FLOWS)
def test_sop_endpoint_returns_each_seed_flows_steps_and_total(
    client, presets, office, service, steps, minutes
):
    response = client.get(f"/api/v1/offices/{office}/services/{service}/sop")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["step_count"] == steps == len(body["steps"])
    assert body["total_minutes"] == minutes == sum(s["minutes"] or 0 for s in body["steps"])
    assert all(s["role_label"] for s in body["steps"])


def test_keliling_flow_is_bounded_by_one_week(client, presets):
    body = client.get("/api/v1/offices/keliling/services/kk/sop").json()
    assert body["deadline"]["unit"] == "calendar_days" and body["deadline"]["amount"] == 7


def test_offices_lists_services_and_channels(client, presets):
    offices = {o["code"]: o for o in client.get("/api/v1/offices").json()}
    assert set(offices) >= {"solok", "waykanan", "balangan", "metro", "keliling"}
    waykanan = offices["waykanan"]
    numbers = {c["phone_number_id"]: c["services"] for c in waykanan["channels"]}
    assert "kk-baru" in numbers["628117961500"]
    assert "62753466353" in {c["phone_number_id"] for c in offices["keliling"]["channels"]}
    kia = next(s for s in waykanan["services"] if s["code"] == "kia-baru")
    assert any(r["condition"] for r in kia["requirements"])


def test_unknown_service_sop_is_404_json(client, presets):
    response = client.get("/api/v1/offices/waykanan/services/nope/sop")
    assert response.status_code == 404
    assert response.json()["code"] == "service_not_found"


def test_kk_baru_from_submission_to_completion_with_a_return(client, presets):
    auth = {
        role: bearer(f"waykanan.{role}")
        for role in (
            "operator_online",
            "operator_siak",
            "kasi",
            "kabid",
            "kadis",
            "petugas_pengambilan",
        )
    }
    created = post(
        client,
        "/api/v1/cases",
        {
            "office": "waykanan",
            "service": "kk-baru",
            "applicant_name": "Budi Santoso",
            "applicant_nik": "1808011505900003",
            "submitter_kind": "staff",
        },
        auth["operator_online"],
    )
    assert created.status_code == 201, created.content
    case = created.json()
    code = case["code"]
    assert code.startswith("KK-") and case["step"] == "2" and case["status"] == "submitted"
    typed = form_data(Service.objects.get(office__code="waykanan", code="kk-baru"))
    assert case["due_at"] and case["step_due_at"]

    def do(role, action, note="", expect=200):
        response = post(
            client,
            f"/api/v1/cases/{code}/actions",
            # The data typed at the data-entry step (step 2) travels with its completion.
            {"action": action, "note": note, "data": typed if role == "operator_siak" else {}},
            auth[role],
        )
        assert response.status_code == expect, response.content
        return response.json()

    # Wrong role: the Kasi cannot type the data.
    denied = do("kasi", "complete", expect=403)
    assert denied["code"] == "role_required" and denied["message"]
    assert do("operator_siak", "complete")["step"] == "3"
    # Past the data-entry step the data cannot be changed through an action.
    changed = post(
        client,
        f"/api/v1/cases/{code}/actions",
        {"action": "approve", "data": {"nama_kepala_keluarga": ""}},
        auth["kasi"],
    )
    assert changed.status_code == 422 and changed.json()["code"] == "not_data_entry"
    # A return needs a note (422), then goes back to the operator.
    assert do("kasi", "return", expect=422)["code"] == "note_required"
    back = do("kasi", "return", note="Nama kepala keluarga salah eja")
    assert back["step"] == "2"
    assert do("operator_siak", "complete")["step"] == "3"
    assert do("kasi", "approve")["step"] == "4"
    assert do("kabid", "approve")["step"] == "5"
    # The Kadis's step goes forward only by signing: a plain approve is refused.
    assert do("kadis", "approve", expect=422)["code"] == "document_unsigned"
    from django.contrib.auth import get_user_model

    from layan.offices.models import Office
    from tests.signing import PASSPHRASE, give_key

    give_key(
        get_user_model().objects.get(username="waykanan.kadis"), Office.objects.get(code="waykanan")
    )
    wrong = post(client, f"/api/v1/cases/{code}/sign", {"passphrase": "salah"}, auth["kadis"])
    assert wrong.status_code == 422 and wrong.json()["code"] == "wrong_passphrase"
    signed = post(client, f"/api/v1/cases/{code}/sign", {"passphrase": PASSPHRASE}, auth["kadis"])
    assert signed.status_code == 200, signed.content
    assert signed.json()["step"] == "6"
    assert do("petugas_pengambilan", "complete")["step"] == "7"
    done = do("operator_online", "complete")
    assert done["status"] == "completed" and done["step"] is None
    assert done["allowed_actions"] == []
    # The history tells the whole story, each step by its own role.
    moves = [
        (e["role"], e["action"], e["from_step"], e["to_step"])
        for e in done["events"]
        if e["kind"] not in ("submit", "intake", "registry")
    ]
    assert moves == [
        ("operator_siak", "complete", "2", "3"),
        ("kasi", "return", "3", "2"),
        ("operator_siak", "complete", "2", "3"),
        ("kasi", "approve", "3", "4"),
        ("kabid", "approve", "4", "5"),
        ("kadis", "sign", "5", "5"),
        ("kadis", "approve", "5", "6"),
        ("petugas_pengambilan", "complete", "6", "7"),
        ("operator_online", "complete", "7", "end"),
    ]
    assert done["events"][0]["action"] == "submit"
    # On completion the registry follows: the new family card is recorded in the history.
    assert [e["action"] for e in done["events"] if e["kind"] == "registry"] == ["registry_changed"]
    # Terminal: any further action is a conflict.
    assert do("operator_online", "complete", expect=409)["code"] == "case_closed"


def test_stale_version_gets_409(client, presets):
    auth = bearer("waykanan.operator_siak")
    code = new_kk_case(client, auth)
    url = f"/api/v1/cases/{code}/actions"
    typed = form_data(Service.objects.get(office__code="waykanan", code="kk-baru"))
    first = post(client, url, {"action": "complete", "version": 1, "data": typed}, auth)
    assert first.status_code == 200
    again = post(client, url, {"action": "complete", "version": 1, "data": typed}, auth)
    assert again.status_code == 409 and again.json()["code"] == "stale"


def test_bad_input_is_422_with_indonesian_message(client, presets):
    auth = bearer("waykanan.operator_siak")
    response = post(
        client,
        "/api/v1/cases",
        {
            "office": "waykanan",
            "service": "kk-baru",
            "applicant_name": "Ani",
            "applicant_nik": "1808013102900001",
        },
        auth,
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "nik_date"
    assert "tanggal" in body["message"].lower()
    missing = post(client, "/api/v1/cases", {"office": "waykanan"}, auth)
    assert missing.status_code == 422 and missing.json()["code"] == "invalid_input"


def test_malformed_json_is_400_not_500(client, presets):
    auth = bearer("waykanan.operator_siak")
    response = client.post(
        "/api/v1/cases", data="{not json", content_type="application/json", **auth
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_no_or_wrong_token_is_401(client, presets):
    assert client.get("/api/v1/cases").status_code == 401
    bad = client.get("/api/v1/cases", HTTP_AUTHORIZATION="Bearer lyn_nope")
    assert bad.status_code == 401 and bad.json()["code"] == "unauthorized"


def test_other_offices_requests_are_invisible(client, presets):
    mine = bearer("waykanan.operator_siak")
    code = new_kk_case(client, mine)
    stranger = bearer("solok.operator_marawa")
    assert client.get(f"/api/v1/cases/{code}", **stranger).status_code == 404
    assert client.get("/api/v1/cases", **stranger).json()["count"] == 0
    act = post(client, f"/api/v1/cases/{code}/actions", {"action": "complete"}, stranger)
    assert act.status_code == 404
    # Nor can they file a request in another office.
    other = post(
        client,
        "/api/v1/cases",
        {"office": "waykanan", "service": "kk-baru", "applicant_name": "X"},
        stranger,
    )
    assert other.status_code == 404


def test_case_list_filters_by_role_status_and_mine(client, presets):
    auth = bearer("waykanan.operator_siak")
    for name in ("Ani", "Budi", "Citra"):
        new_kk_case(client, auth, name)
    listed = client.get("/api/v1/cases?role=operator_siak&status=submitted", **auth).json()
    assert listed["count"] == 3
    claimed = client.post("/api/v1/offices/waykanan/queues/operator_siak/claim-next", **auth)
    assert claimed.status_code == 200 and claimed.json()["assigned_to"] == "waykanan.operator_siak"
    assert client.get("/api/v1/cases?mine=true", **auth).json()["count"] == 1
    assert client.get("/api/v1/cases?role=kasi", **auth).json()["count"] == 0
    assert client.get("/api/v1/cases?status=bogus", **auth).status_code == 422


def test_claim_next_on_empty_queue_is_204(client, presets):
    auth = bearer("waykanan.kasi")
    assert client.post("/api/v1/offices/waykanan/queues/kasi/claim-next", **auth).status_code == 204


def test_healthz(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"


def test_openapi_document_lists_the_endpoints(client, db):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/v1/offices",
        "/api/v1/cases",
        "/api/v1/cases/{code}",
        "/api/v1/cases/{code}/actions",
        "/api/v1/offices/{office}/services/{service}/sop",
    ):
        assert path in paths


def test_documents_requested_then_received_at_the_counter(client, presets):
    auth = bearer("waykanan.operator_siak")
    code = new_kk_case(client, auth)
    url = f"/api/v1/cases/{code}/actions"
    bad = post(
        client,
        url,
        {"action": "request_documents", "note": "Kurang", "data": {"items": ["nope"]}},
        auth,
    )
    assert bad.status_code == 422 and bad.json()["code"] == "items_invalid"
    from layan.offices.models import Requirement

    item = (
        Requirement.objects.filter(service__office__code="waykanan", service__code="kk-baru")
        .first()
        .code
    )
    asked = post(
        client,
        url,
        {"action": "request_documents", "note": "Foto buram", "data": {"items": [item]}},
        auth,
    ).json()
    assert asked["status"] == "waiting_applicant" and asked["paused"] is True
    assert asked["events"][-1]["kind"] == "request_documents"
    assert asked["form_data"] == {}
    back = post(
        client, f"/api/v1/cases/{code}/documents-received", {"note": "Diserahkan di loket"}, auth
    )
    assert back.status_code == 200, back.content
    body = back.json()
    assert body["status"] == "in_progress" and body["paused"] is False and body["step"] == "2"
    again = post(client, f"/api/v1/cases/{code}/documents-received", {}, auth)
    assert again.status_code == 409 and again.json()["code"] == "not_waiting"


def test_claim_and_release_a_request(client, presets):
    auth = bearer("waykanan.operator_siak")
    code = new_kk_case(client, auth)
    claimed = client.post(f"/api/v1/cases/{code}/claim", **auth)
    assert claimed.status_code == 200 and claimed.json()["assigned_to"]
    other = bearer("waykanan.operator_capil")
    assert client.post(f"/api/v1/cases/{code}/claim", **other).status_code == 403
    released = client.post(f"/api/v1/cases/{code}/release", **auth)
    assert released.status_code == 200 and released.json()["assigned_to"] is None


def test_api_docs_are_served_locally_without_a_cdn(client, db):
    page = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "https://" not in page


def test_a_nik_of_an_unknown_region_flags_a_request_created_through_the_api(client, presets):
    from layan.registry.models import Region

    Region.objects.create(code="18.08.01", name="BLAMBANGAN UMPU", level=3)
    auth = bearer("waykanan.operator_siak")
    body = {"office": "waykanan", "service": "kk-baru", "applicant_name": "Ani Lestari"}
    known = post(client, "/api/v1/cases", {**body, "applicant_nik": "1808014501150001"}, auth)
    unknown = post(client, "/api/v1/cases", {**body, "applicant_nik": "1899014501150001"}, auth)
    assert known.status_code == unknown.status_code == 201
    assert known.json()["flags"] == []
    assert unknown.json()["flags"] == ["nik_region_unknown"]
    assert unknown.json()["submitter_kind"] == "staff"  # derived by the engine
    bad = post(client, "/api/v1/cases", {**body, "applicant_nik": "18080145011500"}, auth)
    assert bad.status_code == 422 and bad.json()["code"] == "nik_length"


def test_a_failing_part_of_the_transaction_is_a_clear_503_and_changes_nothing(client, presets):
    from layan.cases import events
    from layan.cases.models import Case

    auth = bearer("waykanan.operator_siak")
    code = new_kk_case(client, auth)
    before = client.get(f"/api/v1/cases/{code}", **auth).json()

    def broken(sender, **kwargs):
        raise RuntimeError("register counter unavailable")

    events.step_entered.connect(broken, dispatch_uid="test-api-broken")
    try:
        response = post(
            client,
            f"/api/v1/cases/{code}/actions",
            {
                "action": "complete",
                "data": form_data(Service.objects.get(code="kk-baru", office__code="waykanan")),
            },
            auth,
        )
    finally:
        events.step_entered.disconnect(dispatch_uid="test-api-broken")
    assert response.status_code == 503
    assert response.json()["code"] == "recording_failed"
    assert "tidak ada yang diubah" in response.json()["message"].lower()
    case = Case.objects.get(code=code)
    assert case.current_step.key == before["step"] and case.version == before["version"]
    assert "503" in client.get("/api/openapi.json").content.decode()


def test_no_two_api_schemas_share_a_name():
    """django-ninja names an OpenAPI component by its class name: two schemas of one name would
    silently document one of them with the other's fields."""
    import importlib
    import pkgutil
    from collections import defaultdict

    from ninja import Schema

    import layan.api

    where = defaultdict(set)
    for module_info in pkgutil.iter_modules(layan.api.__path__):
        module = importlib.import_module(f"layan.api.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Schema) and value is not Schema:
                where[value.__name__].add(f"{value.__module__}.{value.__qualname__}")
    assert {name: places for name, places in where.items() if len(places) > 1} == {}
