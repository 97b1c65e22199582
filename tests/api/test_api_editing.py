"""Changing SOPs and the catalogue through the API, with the console's checks: drafts with
their revision, the loader's problems, publishing with a reason and an effective moment, the
head of office's approval, versions, the diff, YAML export and import; who may, and another
office's flow not found. On the seed offices (Way Kanan's KIA baru)."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from layan.api.models import ApiToken
from layan.cases.models import Case
from layan.offices.models import Office, Service
from tests.api.test_api_walker import Api, walk
from tests.signing import keys_for_signers

pytestmark = pytest.mark.django_db

FLOW = "/api/v1/offices/waykanan/sops/kia-baru"


def bearer(username: str) -> dict[str, str]:
    user = get_user_model().objects.get(username=username)
    _token, raw = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def send(client, method, url, body, auth):
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json", **auth
    )


@pytest.fixture
def admin(presets):
    return bearer("waykanan.admin")


def test_an_integration_edits_validates_and_publishes_a_flow(client, admin):
    draft = client.get(f"{FLOW}/draft", **admin).json()
    assert draft["valid"] and draft["base_version"] == 1 and draft["problems"] == []
    data = copy.deepcopy(draft["data"])
    data["steps"][2]["minutes"] = 15
    checked = send(client, "post", f"{FLOW}/validate", {"data": data}, admin).json()
    assert checked["valid"] and checked["checksum"]
    saved = send(
        client, "put", f"{FLOW}/draft", {"revision": draft["revision"], "data": data}, admin
    )
    assert saved.status_code == 200
    published = send(
        client,
        "post",
        f"{FLOW}/draft/publish",
        {"revision": saved.json()["revision"], "reason": "Kasi butuh lima menit lagi"},
        admin,
    )
    assert published.status_code == 200, published.content
    assert published.json() == {"submitted": False, "version": 2}
    versions = client.get(f"{FLOW}/versions", **admin).json()
    assert [(v["number"], v["current"], v["origin"]) for v in versions] == [
        (2, True, "api"),
        (1, False, "file"),
    ]
    assert versions[0]["checksum"] == checked["checksum"]
    assert versions[0]["created_by"] == "waykanan.admin"
    assert versions[0]["reason"] == "Kasi butuh lima menit lagi"
    changes = client.get(f"{FLOW}/diff?a=1&b=2", **admin).json()
    changed = [row for row in changes["steps"] if row["status"] != "same"]
    assert [(r["changed"], r["old"]["minutes"], r["new"]["minutes"]) for r in changed] == [
        (["minutes"], 10, 15)
    ]
    assert changes["total_minutes"] == {"old": 29, "new": 34}


def test_a_draft_with_problems_says_where_and_cannot_be_published(client, admin):
    draft = client.get(f"{FLOW}/draft", **admin).json()
    data = copy.deepcopy(draft["data"])
    data["steps"][2]["actions"][1]["to"] = 4  # the Kasi "returns" forward
    saved = send(
        client, "put", f"{FLOW}/draft", {"revision": draft["revision"], "data": data}, admin
    )
    body = saved.json()
    assert not body["valid"]
    assert [(p["step"], p["section"]) for p in body["problems"]] == [("3", "step")]
    refused = send(
        client,
        "post",
        f"{FLOW}/draft/publish",
        {"revision": body["revision"], "reason": "x"},
        admin,
    )
    assert refused.status_code == 422 and refused.json()["code"] == "draft_invalid"


def test_a_stale_revision_is_a_conflict(client, admin):
    draft = client.get(f"{FLOW}/draft", **admin).json()
    body = {"revision": draft["revision"], "data": draft["data"]}
    assert send(client, "put", f"{FLOW}/draft", body, admin).status_code == 200
    stale = send(client, "put", f"{FLOW}/draft", body, admin)
    assert stale.status_code == 409 and stale.json()["code"] == "draft_stale"


def test_export_and_import_give_the_same_checksum(client, admin):
    exported = client.get(f"{FLOW}/versions/1/yaml", **admin)
    assert exported.status_code == 200 and exported["Content-Type"].startswith("application/yaml")
    imported = send(
        client, "post", f"{FLOW}/draft/import", {"yaml": exported.content.decode()}, admin
    ).json()
    version = client.get(f"{FLOW}/versions/1", **admin).json()
    assert imported["checksum"] == version["checksum"]
    assert version["data"]["identity"]["number"] == "800/19-a/SOP/DISDUKCAPIL/2022"


def test_a_version_for_later_is_not_taken_by_new_requests_yet(client, admin):
    draft = client.get(f"{FLOW}/draft", **admin).json()
    data = copy.deepcopy(draft["data"])
    data["steps"][1]["minutes"] = 7
    saved = send(
        client, "put", f"{FLOW}/draft", {"revision": draft["revision"], "data": data}, admin
    )
    later = (timezone.now() + timedelta(days=2)).isoformat()
    body = {"revision": saved.json()["revision"], "reason": "Mulai lusa", "effective_at": later}
    assert send(client, "post", f"{FLOW}/draft/publish", body, admin).status_code == 200
    versions = client.get(f"{FLOW}/versions", **admin).json()
    assert [(v["number"], v["current"]) for v in versions] == [(2, False), (1, True)]
    sop = client.get("/api/v1/offices/waykanan/services/kia-baru/sop").json()
    assert sop["version"] == 1


def test_approval_by_the_head_of_office_a_second_person(client, admin):
    Office.objects.filter(code="waykanan").update(change_approval=True)
    kadis = bearer("waykanan.kadis")
    draft = client.get(f"{FLOW}/draft", **admin).json()
    data = copy.deepcopy(draft["data"])
    data["steps"][1]["minutes"] = 7
    saved = send(
        client, "put", f"{FLOW}/draft", {"revision": draft["revision"], "data": data}, admin
    )
    body = {"revision": saved.json()["revision"], "reason": "Verifikasi lebih teliti"}
    submitted = send(client, "post", f"{FLOW}/draft/publish", body, admin).json()
    assert submitted == {"submitted": True, "version": None}
    assert send(client, "post", f"{FLOW}/draft/approve", {}, admin).status_code == 403
    approved = send(client, "post", f"{FLOW}/draft/approve", {}, kadis)
    assert approved.status_code == 200, approved.content
    assert approved.json()["approved_by"] == "waykanan.kadis"


def test_who_may_change_a_flow(client, admin):
    operator = bearer("waykanan.operator_online")
    assert client.get(f"{FLOW}/draft", **operator).status_code == 403
    stranger = bearer("solok.admin")
    assert client.get(f"{FLOW}/draft", **stranger).status_code == 404
    assert client.get(f"{FLOW}/versions", **stranger).status_code == 404
    assert client.get(f"{FLOW}/draft").status_code == 401


def test_the_catalogue_through_the_api(client, admin):
    draft = client.get("/api/v1/offices/waykanan/catalogue/draft", **admin).json()
    data = copy.deepcopy(draft["data"])
    kia = next(s for s in data["services"] if s["code"] == "kia-baru")
    kia["requirements"].append(
        {
            "code": "surat_lahir",
            "label": "Surat keterangan lahir",
            "kind": "photo",
            "required": True,
        }
    )
    saved = send(
        client,
        "put",
        "/api/v1/offices/waykanan/catalogue/draft",
        {"revision": draft["revision"], "data": data},
        admin,
    ).json()
    assert saved["valid"]
    assert [(i["service"], i["kind"]) for i in saved["impacts"]] == [("kia-baru", "new_only")]
    published = send(
        client,
        "post",
        "/api/v1/offices/waykanan/catalogue/draft/publish",
        {"revision": saved["revision"], "reason": "Tambah surat lahir"},
        admin,
    )
    assert published.status_code == 200 and published.json()["version"] == 2
    versions = client.get("/api/v1/offices/waykanan/catalogue/versions", **admin).json()
    assert [v["number"] for v in versions] == [2, 1]
    changes = client.get("/api/v1/offices/waykanan/catalogue/diff?a=1&b=2", **admin).json()
    assert changes[0]["service"] == "kia-baru"
    assert changes[0]["changes"][0]["key"] == "surat_lahir"


def test_a_draft_is_discarded(client, admin):
    assert client.get(f"{FLOW}/draft", **admin).status_code == 200
    assert client.delete(f"{FLOW}/draft", **admin).status_code == 204
    assert client.delete(f"{FLOW}/draft", **admin).status_code == 404


def test_way_kanan_changes_kia_baru_and_requests_finish_on_their_own_versions(client, admin):
    """The issue's walk-through: the administrator adds a Kabid check after the Kasi's that
    returns one level down, changes the Kasi's minutes and publishes; the request submitted
    before finishes on version 1's five steps, a new one on version 2's six."""
    office = Office.objects.get(code="waykanan")
    keys_for_signers(office)
    api = Api(client, office)
    service = Service.objects.get(office=office, code="kia-baru")
    body = {
        "office": "waykanan",
        "service": "kia-baru",
        "applicant_name": "Rina Lestari",
        "applicant_nik": "1808014506900001",
        "channel": "counter",
    }
    old = api.call("post", "/api/v1/cases", "operator_online", body, expect=201)

    draft = client.get(f"{FLOW}/draft", **admin).json()
    data = copy.deepcopy(draft["data"])
    data["roles"].append({"code": "kabid", "label": "KABID", "kind": "staff"})
    data["steps"][2]["minutes"] = 8
    data["steps"].insert(
        3,
        {
            "number": 4,
            "activity": "Verifikasi akhir oleh Kabid",
            "role": "kabid",
            "minutes": 5,
            "actions": [
                {"kind": "approve", "label": "Sesuai, cetak KIA"},
                {"kind": "return", "to": 3, "label": "Tidak sesuai, kembalikan ke Kasi"},
            ],
        },
    )
    for number, step in enumerate(data["steps"], start=1):
        step["number"] = number
    saved = send(
        client, "put", f"{FLOW}/draft", {"revision": draft["revision"], "data": data}, admin
    )
    assert saved.json()["problems"] == []
    published = send(
        client,
        "post",
        f"{FLOW}/draft/publish",
        {"revision": saved.json()["revision"], "reason": "Verifikasi Kabid sebelum cetak"},
        admin,
    )
    assert published.json() == {"submitted": False, "version": 2}

    new = walk(api, service, "operator_online")
    finished_old = walk(api, service, "operator_online", code=old["code"])
    old_case, new_case = Case.objects.get(code=old["code"]), Case.objects.get(code=new["code"])
    assert (old_case.sop_version.number, new_case.sop_version.number) == (1, 2)
    assert finished_old["status"] == new["status"] == "completed"
    old_steps = list(old_case.events.exclude(from_step="").values_list("from_step", flat=True))
    new_steps = list(new_case.events.exclude(from_step="").values_list("from_step", flat=True))
    assert "6" not in old_steps and "6" in new_steps
    kabid = new_case.events.filter(from_step="4", kind="approve").get()
    assert kabid.role == "kabid"
