"""Two small offices with one service each, officers per role, and requests with files; for
the browser tests, a real demo and Debian's Chromium per test module."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from tests.console.browser_support import PASSWORD, launch
from tests.demo_process import running_demo
from tests.factories import SIMPLE_SOP, make_office, staff

# The factory flow with its step 2 as the data-entry step.
ENTRY_SOP = SIMPLE_SOP.replace(
    "    role: operator\n    minutes: 10\n",
    "    role: operator\n    minutes: 10\n    data_entry: true\n",
)
FIELDS = [
    {"code": "nama_kepala", "label": "Nama kepala keluarga", "kind": "text"},
    {"code": "nik_kepala", "label": "NIK kepala keluarga", "kind": "nik"},
    {"code": "tanggal_lahir", "label": "Tanggal lahir", "kind": "date"},
    {
        "code": "jenis_kelamin",
        "label": "Jenis kelamin",
        "kind": "choice",
        "choices": [["L", "Laki-laki"], ["P", "Perempuan"]],
    },
    {
        "code": "anggota",
        "label": "Anggota keluarga",
        "kind": "table",
        "min_rows": 1,
        "columns": [
            {"code": "nama", "label": "Nama", "kind": "text"},
            {"code": "nik", "label": "NIK", "kind": "nik"},
        ],
    },
    {"code": "catatan", "label": "Catatan", "kind": "textarea", "required": False},
]
VALID = {
    "nama_kepala": "Budi Santoso",
    "nik_kepala": "1808011708900001",
    "tanggal_lahir": "1990-08-17",
    "jenis_kelamin": "L",
    "anggota-rows": "1",
    "anggota-0-nama": "Budi Santoso",
    "anggota-0-nik": "1808011708900001",
}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)


@dataclass
class World:
    office: object
    other: object
    operator: object
    kasi: object
    supervisor: object
    admin: object
    stranger: object  # an operator of the other office
    nobody: object  # signed in, no role anywhere

    def client(self, user) -> Client:
        client = Client()
        client.force_login(user)
        return client


def setup_office(code: str):
    from layan.offices.models import Requirement, Role

    office = make_office(code, sop_text=ENTRY_SOP)
    for extra in ("admin", "supervisor"):
        Role.objects.create(office=office, code=extra, name=extra.title(), kind=Role.Kind.STAFF)
    service = office.services.get()
    service.fields = FIELDS
    service.save()
    Requirement.objects.create(service=service, code="ktp", label="Foto KTP-el", kind="photo")
    Requirement.objects.create(service=service, code="kk_lama", label="KK lama", kind="photo")
    Requirement.objects.create(
        service=service, code="nik_ayah", label="NIK ayah", kind="nik", required=False
    )
    return office


def make_request(office, name: str = "Siti Rahmawati", nik: str = "1808015708900002", files=True):
    from layan.cases.models import Attachment
    from layan.cases.services import Actor, submit_case

    case = submit_case(
        service=office.services.get(),
        actor=Actor.applicant(name),
        applicant_name=name,
        applicant_nik=nik,
        applicant_phone="6281200000001",
        form_data={"nik_ayah": "1808011708600003"},
    )
    if files:
        for code in ("ktp", "kk_lama"):
            item = Attachment(
                case=case,
                requirement=code,
                original_name=f"{code}.png",
                content_type="image/png",
                size=len(PNG),
                sha256=hashlib.sha256(PNG).hexdigest(),
                uploaded_at=timezone.now(),
            )
            item.file.save(f"{code}.png", ContentFile(PNG), save=False)
            item.save()
    return case


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    office = setup_office("alpha")
    other = setup_office("beta")
    return World(
        office=office,
        other=other,
        operator=staff(office, "operator"),
        kasi=staff(office, "kasi"),
        supervisor=staff(office, "supervisor"),
        admin=staff(office, "admin"),
        stranger=staff(other, "operator"),
        nobody=staff(office, username="nobody"),
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A real ``layan demo`` for the browser tests of one module."""
    with running_demo(tmp_path_factory.mktemp("console-demo"), PASSWORD) as running:
        yield running


@pytest.fixture(scope="module")
def browser(demo):
    """Debian's Chromium under Playwright, for the browser tests of one module."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()
