"""Every service of the five seed offices, from ``POST /api/v1/cases`` to completion through the
API alone: each step by the token of its own role (the one the request detail names), with the
requirement checks, a file for a photo requirement, the data entry, the signature, the card
serial and the hand-over, as an integration or a field app would do it."""

from __future__ import annotations

import io
import json
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from PIL import Image

from layan.api.models import ApiToken
from layan.cases.models import Case, Status
from layan.documents.kinds import kind_of
from layan.documents.models import Document, RegisterEntry
from layan.offices.models import Office, Role, Service, StaffRole
from tests.filling import form_data
from tests.signing import PASSPHRASE, keys_for_signers

pytestmark = pytest.mark.django_db
FORWARD = ("complete", "approve")
OPEN = ("submitted", "in_progress", "waiting_applicant")
SERVICES = [
    ("solok", "ktp-el"),
    ("solok", "kia"),
    ("waykanan", "kk-baru"),
    ("waykanan", "skpwni"),
    ("waykanan", "ktp-el-penggantian"),
    ("waykanan", "kia-baru"),
    ("waykanan", "akta-kelahiran"),
    ("waykanan", "akta-kematian"),
    ("waykanan", "pengaduan"),
    ("balangan", "ktp-el"),
    ("balangan", "kk"),
    ("balangan", "kia"),
    ("balangan", "akta-kelahiran"),
    ("balangan", "akta-kematian"),
    ("balangan", "akta-perkawinan"),
    ("balangan", "akta-perceraian"),
    ("balangan", "pengakuan-anak"),
    ("balangan", "pengesahan-anak"),
    ("metro", "dukcapil-siaga"),
    ("keliling", "kk"),
    ("keliling", "akta-kelahiran"),
    ("keliling", "akta-kematian"),
    ("keliling", "pindah-datang"),
]


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), "white").save(out, "JPEG")
    return out.getvalue()


class Api:
    """One office's officers, each with a token of their own role."""

    def __init__(self, client, office: Office):
        self.client = client
        self.tokens: dict[str, str] = {}
        for role in Role.objects.filter(office=office, kind=Role.Kind.STAFF):
            holder = StaffRole.objects.filter(role=role).select_related("user").first()
            if holder is not None:
                raw = ApiToken.issue(holder.user, "walker")[1]
                self.tokens[role.code] = f"Bearer {raw}"

    def call(self, method: str, url: str, role: str, body=None, expect: int = 200, **extra):
        kwargs = {"HTTP_AUTHORIZATION": self.tokens[role], **extra}
        if body is not None and "data" not in extra:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(self.client, method)(url, **kwargs)
        assert response.status_code == expect, (method, url, role, response.content[:400])
        return (
            response.json() if response["Content-Type"].startswith("application/json") else response
        )


def walk(api: Api, service: Service, creator: str, code: str | None = None) -> dict:
    """Create a request as ``creator`` (or take request ``code``) and take it to its end, each
    step by its acting role."""
    url = "/api/v1/cases"
    body = {
        "office": service.office.code,
        "service": service.code,
        "applicant_name": "Siti Rahmawati",
        "applicant_nik": "1808014506900001",
        "channel": "counter",
    }
    if code is None:
        case = api.call("post", url, creator, body, expect=201)
    else:
        case = api.call("get", f"{url}/{code}", creator)
    code = case["code"]
    assert case["channel"] == "counter"
    card = kind_of(service).card
    seen = []
    while case["status"] in OPEN:
        assert len(seen) < 30, f"{code} did not finish: {seen}"
        role = case["acting_role"]["code"]
        seen.append((case["step"], role))
        case = api.call("get", f"{url}/{code}", role)  # what this role may do here
        if case["status"] == Status.WAITING_APPLICANT and case["step_role"] == role:
            # A staff step waiting for documents (not an applicant's step an officer records).
            case = api.call("post", f"{url}/{code}/documents-received", role, {"note": "loket"})
        for item in case["checklist"]:
            if not item["applies"] or item["verdict"] == "accepted":
                continue
            if item["kind"] in ("photo", "document") and not item["attachments"]:
                added = api.call(
                    "post", f"{url}/{code}/attachments", role, expect=201,
                    data={"requirement": item["requirement"], "file": io.BytesIO(photo())},
                )  # fmt: skip
                assert added["content_type"] == "image/jpeg"
            case = api.call(
                "post", f"{url}/{code}/checks", role,
                {"requirement": item["requirement"], "verdict": "accepted",
                 "version": case["version"]},
            )  # fmt: skip
        if case["data_entry"]:
            case = api.call(
                "put", f"{url}/{code}/data", role,
                {"values": form_data(service), "version": case["version"]},
            )  # fmt: skip
            assert case["form_errors"] == {}
        if case["visit_step"] and not any(v["outcome"] == "recorded" for v in case["visits"]):
            visit = api.call(
                "post", f"{url}/{code}/visits", role, expect=201,
                body={"starts_at": "2030-01-07T09:00:00+07:00",
                      "ends_at": "2030-01-07T11:00:00+07:00",
                      "place": "Jl. Imam Bonjol No. 26, Metro Pusat", "team": "Tim 1",
                      "version": case["version"]},
            )  # fmt: skip
            api.call("post", f"{url}/{code}/visits/{visit['id']}/outcome", role,
                     {"outcome": "recorded"})  # fmt: skip
            case = api.call("get", f"{url}/{code}", role)
        work, step = case["step_work"], case["step"]
        if work == "sign":
            case = api.call(
                "post", f"{url}/{code}/sign", role,
                {"passphrase": PASSPHRASE, "version": case["version"]},
            )  # fmt: skip
            assert case["documents"][0]["status"] == "active"
            if case["step"] != step:
                continue  # signing took the step forward
        elif work == "print" and card:
            case = api.call(
                "post", f"{url}/{code}/print", role,
                {"serial": "BLK-0001", "version": case["version"]},
            )  # fmt: skip
            assert case["handover"]["card_serial"] == "BLK-0001"
        elif work == "handover" and service.delivery != "pdf":
            case = api.call(
                "post", f"{url}/{code}/handover", role,
                {"received_by": "Siti Rahmawati", "relation": "pemohon",
                 "collected": ["old_card"], "version": case["version"]},
            )  # fmt: skip
            assert case["handover"]["handed_at"]
        forward = [a for a in case["allowed_actions"] if a["kind"] in FORWARD]
        assert forward, (code, step, role, case["allowed_actions"])
        note = "Jawaban atas pengaduan Anda." if service.is_complaint else "Selesai"
        case = api.call(
            "post", f"{url}/{code}/actions", role,
            {"action": forward[0]["id"], "note": note, "version": case["version"]},
        )  # fmt: skip
    assert case["status"] == Status.COMPLETED, (code, case["status"], seen)
    return case


@pytest.mark.parametrize(("office", "service"), SERVICES)
def test_every_seed_service_is_finished_through_the_api_alone(client, presets, office, service):
    office_obj = Office.objects.get(code=office)
    keys_for_signers(office_obj)
    api = Api(client, office_obj)
    svc = Service.objects.get(office=office_obj, code=service)
    creator = next(iter(api.tokens))
    done = walk(api, svc, creator)
    case = Case.objects.get(code=done["code"])
    assert case.channel == "counter" and case.status == Status.COMPLETED
    assert RegisterEntry.objects.filter(case=case).count() == 1
    definition = case.sop_version.parsed
    moves = case.events.filter(actor_kind="staff", kind__in=FORWARD).select_related("actor")
    assert moves.exists()
    for event in moves:  # each step by its own role's officer
        assert event.role == definition.acting_role(definition.step(event.from_step))
        assert event.actor.username == f"{office}.{event.role}"
    if case.documents.exists():
        document = case.documents.get(status=Document.Status.ACTIVE)
        pdf = api.call("get", f"/api/v1/cases/{case.code}/documents/{document.public_id}",
                       creator)  # fmt: skip
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_seed_services_are_the_walkers_list():
    """The walker covers every active service of the seed offices (the complaint flow too)."""
    from layan.demo.loader import load_presets

    load_presets()
    listed = set(SERVICES)
    actual = set(Service.objects.filter(is_active=True).values_list("office__code", "code"))
    assert actual == listed and len(listed) == 23


def test_a_kk_baru_goes_from_creation_to_a_verifiable_signed_pdf(client, presets):
    office = Office.objects.get(code="waykanan")
    keys_for_signers(office)
    api = Api(client, office)
    done = walk(api, Service.objects.get(office=office, code="kk-baru"), "operator_siak")
    (document,) = done["documents"]
    assert document["status"] == "active"
    page = client.get(urlparse(document["verification_url"]).path)
    assert page.status_code == 200
    book = api.call("get", "/api/v1/offices/waykanan/register?service=kk-baru", "operator_siak")
    assert [e["code"] for e in book["entries"]] == [done["code"]]
    assert get_user_model().objects.filter(api_tokens__name="walker").exists()
