"""The request endpoints beyond the actions, each answered like the console answers: another
office's request is 404 (codes cannot be probed), a role that does not work the step is 403, a
stale version is 409, bad input is 422 naming the field, and the right officer succeeds."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from PIL import Image

from layan.api.models import ApiToken
from layan.cases import services as engine
from layan.offices.models import Office, Service
from tests.documents.conftest import new_case, officer, walk_to
from tests.filling import form_data
from tests.signing import PASSPHRASE, keys_for_signers

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    from layan.demo.loader import create_demo_staff, create_demo_teams, load_presets

    load_presets()
    create_demo_staff("demo-pass-123")
    create_demo_teams("demo-pass-123")
    keys_for_signers(Office.objects.get(code="waykanan"))


def token(username: str) -> str:
    user = get_user_model().objects.get(username=username)
    return "Bearer " + ApiToken.issue(user, "matrix")[1]


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(out, "JPEG")
    return out.getvalue()


@dataclass
class Row:
    name: str
    service: str
    work: str  # where the request must stand: "data" (data entry) or a document work
    owner: str  # the role that works that step
    method: str
    path: str
    good: dict[str, Any]
    bad: dict[str, Any]
    bad_field: str
    versioned: bool = True
    expect: int = 200


ROWS = [
    Row("data", "kk-baru", "data", "operator_siak", "put", "data",
        {"values": "FORM"}, {"values": {"nomor_kk": "12"}}, "nomor_kk"),
    Row("check", "kk-baru", "data", "operator_siak", "post", "checks",
        {"requirement": "REQ", "verdict": "accepted"},
        {"requirement": "REQ", "verdict": "rejected", "reason": ""}, "reason"),
    Row("print", "ktp-el-penggantian", "print", "operator_ktp", "post", "print",
        {"serial": "BLK-77"}, {"serial": "<?>"}, "serial"),
    Row("handover", "ktp-el-penggantian", "handover", "petugas_pelayanan_2", "post", "handover",
        {"received_by": "Siti", "collected": ["old_card"]},
        {"received_by": "Siti", "collected": ["passport"]}, "collected"),
    Row("sign", "kk-baru", "sign", "kadis", "post", "sign",
        {"passphrase": PASSPHRASE}, {"passphrase": ""}, "passphrase"),
]  # fmt: skip


def names(details: dict, field: str) -> bool:
    """Whether an error's details name ``field`` (a service's check, or the input schema's)."""
    return (
        details.get("field") == field
        or field in (details.get("fields") or {})
        or any(field in (e.get("loc") or []) for e in details.get("errors") or [])
    )


def at_work(row: Row):
    case = new_case("waykanan", row.service)
    return case if row.work == "data" else walk_to(case, row.work)


def call(client, row: Row, case, auth: str, body: dict):
    url = f"/api/v1/cases/{case.code}/{row.path}"
    return getattr(client, row.method)(
        url, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=auth
    )


def body_for(row: Row, case, payload: dict, version: int | None) -> dict:
    body = dict(payload)
    if body.get("values") == "FORM":
        body["values"] = form_data(case.service)
    if body.get("requirement") == "REQ":
        body["requirement"] = case.service.requirements.first().code
    if row.versioned and version is not None:
        body["version"] = version
    return body


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_each_endpoint_checks_office_role_version_and_input(client, world, row):
    case = at_work(row)
    owner = token(f"waykanan.{row.owner}")
    stranger = token("balangan.semua")  # another office's officer holding every role there
    other_role = token("waykanan.supervisor")
    good = body_for(row, case, row.good, case.version)

    answer = call(client, row, case, stranger, good)
    assert answer.status_code == 404, answer.content
    answer = call(client, row, case, other_role, good)
    assert answer.status_code == 403 and answer.json()["code"] == "role_required", answer.content
    stale = body_for(row, case, row.good, case.version - 1)
    answer = call(client, row, case, owner, stale)
    assert answer.status_code == 409 and answer.json()["code"] == "stale", answer.content
    bad = body_for(row, case, row.bad, case.version)
    answer = call(client, row, case, owner, bad)
    assert answer.status_code == 422, answer.content
    assert names(answer.json()["details"], row.bad_field), answer.json()
    case.refresh_from_db()  # valid data-entry values were kept: a new version
    assert answer.json()["details"].get("version", case.version) == case.version
    answer = call(client, row, case, owner, body_for(row, case, row.good, case.version))
    assert answer.status_code == row.expect, answer.content


def test_files_and_documents_are_only_reachable_in_the_callers_office(client, world):
    case = walk_to(new_case("waykanan", "kk-baru"), "handover")  # signed: it has a document
    document = case.documents.get(status="active")
    owner, stranger = token("waykanan.operator_siak"), token("balangan.semua")
    unknown = client.post(
        f"/api/v1/cases/{case.code}/attachments",
        {"requirement": "no_such_paper", "file": io.BytesIO(jpeg())},
        HTTP_AUTHORIZATION=owner,
    )
    assert unknown.status_code == 422 and names(unknown.json()["details"], "requirement")
    requirement = next(
        r.code for r in case.service.requirements.all() if r.kind in ("photo", "document")
    )
    upload = client.post(
        f"/api/v1/cases/{case.code}/attachments",
        {"requirement": requirement, "file": io.BytesIO(jpeg())},
        HTTP_AUTHORIZATION=owner,
    )
    assert upload.status_code == 201, upload.content
    pk = upload.json()["id"]
    paths = [
        f"/api/v1/cases/{case.code}/attachments/{pk}",
        f"/api/v1/cases/{case.code}/documents/{document.public_id}",
        f"/api/v1/cases/{case.code}/receipt",
    ]
    for path in paths:
        assert client.get(path, HTTP_AUTHORIZATION=stranger).status_code == 404, path
        mine = client.get(path, HTTP_AUTHORIZATION=owner)
        assert mine.status_code == 200, (path, mine.content[:200])
        assert mine["Cache-Control"] == "private, no-store"
    assert case.accesses.filter(kind="file").count() == 3  # each opening logged
    revoke = f"/api/v1/cases/{case.code}/documents/{document.public_id}/revoke"
    body = json.dumps({"reason": "Salah tulis nama"})
    for auth, expected in ((stranger, 404), (owner, 403)):
        answer = client.post(revoke, body, content_type="application/json",
                             HTTP_AUTHORIZATION=auth)  # fmt: skip
        assert answer.status_code == expected, answer.content
    blank = client.post(revoke, json.dumps({"reason": " "}), content_type="application/json",
                        HTTP_AUTHORIZATION=token("waykanan.supervisor"))  # fmt: skip
    assert blank.status_code == 422 and blank.json()["details"]["field"] == "reason"
    done = client.post(revoke, body, content_type="application/json",
                       HTTP_AUTHORIZATION=token("waykanan.supervisor"))  # fmt: skip
    assert done.status_code == 200 and done.json()["status"] == "revoked"
    book = "/api/v1/offices/waykanan/register?service=kk-baru"
    assert client.get(book, HTTP_AUTHORIZATION=stranger).status_code == 404
    assert client.get(book, HTTP_AUTHORIZATION=owner).status_code == 200
    pdf = client.get(book + "&format=pdf", HTTP_AUTHORIZATION=owner)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    bad = client.get(book + "&format=doc", HTTP_AUTHORIZATION=owner)
    assert bad.status_code == 422 and bad.json()["details"]["field"] == "format"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"MZ\x90\x00 not a photo", "file_type_not_allowed"),
        (b"\xff\xd8\xff\xe0 broken jpeg", "file_image_invalid"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog", "file_pdf_invalid"),  # cut short
        (b"", "file_empty"),
    ],
)
def test_a_bad_upload_is_refused_with_its_reason(client, world, content, reason):
    case = new_case("waykanan", "kk-baru")
    requirement = next(
        r.code for r in case.service.requirements.all() if r.kind in ("photo", "document")
    )
    answer = client.post(
        f"/api/v1/cases/{case.code}/attachments",
        {"requirement": requirement, "file": io.BytesIO(content)},
        HTTP_AUTHORIZATION=token("waykanan.operator_siak"),
    )
    assert answer.status_code == 422 and answer.json()["code"] == reason, answer.content
    assert answer.json()["details"]["field"] == "file"
    assert not case.attachments.exists()


def test_a_decompression_bomb_and_a_file_too_large_are_refused(client, world, settings):
    case = new_case("waykanan", "kk-baru")
    requirement = next(
        r.code for r in case.service.requirements.all() if r.kind in ("photo", "document")
    )
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, "PNG")  # 144 megapixels in a few kB
    auth = token("waykanan.operator_siak")
    answer = client.post(
        f"/api/v1/cases/{case.code}/attachments",
        {"requirement": requirement, "file": io.BytesIO(bomb.getvalue())},
        HTTP_AUTHORIZATION=auth,
    )
    assert answer.status_code == 422 and answer.json()["code"] == "file_image_too_big"
    settings.WHATSAPP_MEDIA_MAX_BYTES = {"image": 100, "document": 100}
    answer = client.post(
        f"/api/v1/cases/{case.code}/attachments",
        {"requirement": requirement, "file": io.BytesIO(jpeg())},
        HTTP_AUTHORIZATION=auth,
    )
    assert answer.status_code == 422 and answer.json()["code"] == "file_too_large"
    assert not case.attachments.exists()


def test_a_closed_request_takes_no_more_files(client, world):
    case = new_case("waykanan", "kk-baru")
    engine.perform_action(
        case, actor=engine.Actor.staff(officer("waykanan")), action="reject", note="Bukan warga"
    )
    requirement = Service.objects.get(office__code="waykanan", code="kk-baru").requirements
    answer = client.post(
        f"/api/v1/cases/{case.code}/attachments",
        {"requirement": requirement.first().code, "file": io.BytesIO(jpeg())},
        HTTP_AUTHORIZATION=token("waykanan.operator_siak"),
    )
    assert answer.status_code == 409 and answer.json()["code"] == "case_closed"
