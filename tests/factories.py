"""Small builders for tests: an office with a hand-written SOP, staff holding roles."""

from __future__ import annotations

import textwrap

from django.contrib.auth import get_user_model

from layan.offices.models import Office, Role, Service, StaffRole
from layan.sop.definition import parse_text
from layan.sop.services import load_definition

SIMPLE_SOP = """
format: 1
office: {office}
code: simple
name: Contoh alur
deadline: {{working_days: 1}}
roles:
  - {{code: pemohon, label: Pemohon, kind: applicant}}
  - {{code: operator, label: Operator, kind: staff}}
  - {{code: kasi, label: Kasi, kind: staff}}
  - {{code: kadis, label: Kadis, kind: staff}}
  - {{code: admin_db, label: Administrator Database, kind: staff, column: false}}
steps:
  - number: 1
    activity: Pemohon mengirim berkas
    role: pemohon
    minutes: 5
    intake: true
    actions: [{{kind: complete}}]
  - number: 2
    activity: Operator memeriksa kelengkapan
    role: operator
    minutes: 10
    actions:
      - {{kind: complete}}
      - {{kind: request_documents}}
      - {{kind: reject}}
      - {{kind: escalate, to: data_ganda}}
  - number: 3
    activity: Kasi memverifikasi
    role: kasi
    minutes: 10
    actions:
      - {{kind: approve}}
      - {{kind: return, to: 2}}
  - number: 4
    activity: Kadis menandatangani
    role: kadis
    minutes: 5
    actions:
      - {{kind: approve}}
      - {{kind: return, to: 3}}
  - number: 5
    activity: Pemohon menerima dokumen
    role: pemohon
    minutes: 1
    auto: true
    actions: [{{kind: complete}}]
side_steps:
  - key: data_ganda
    activity: Penyelesaian data ganda
    role: admin_db
    minutes: 30
    actions: [{{kind: complete, to: 2}}]
"""


def make_office(code: str = "testoffice", sop_text: str | None = None, hours=None) -> Office:
    office = Office.objects.create(
        code=code,
        name=f"Disdukcapil {code}",
        region_code="18.08",
        timezone="Asia/Jakarta",
        hours=hours
        or {
            "mon": "07:30-16:00",
            "tue": "07:30-16:00",
            "wed": "07:30-16:00",
            "thu": "07:30-16:00",
            "fri": "07:30-16:30",
        },
    )
    text = textwrap.dedent(sop_text or SIMPLE_SOP).format(office=code)
    definition, errors = parse_text(text, "test.yaml")
    assert not errors, errors
    version, _ = load_definition(definition)
    Service.objects.create(
        office=office,
        code="svc",
        name="Layanan uji",
        prefix="UJI",
        sop=version.sop,
        output="Dokumen",
    )
    return office


def staff(office: Office, *role_codes: str, username: str | None = None):
    User = get_user_model()
    user = User.objects.create_user(
        username=username or f"{office.code}.{'-'.join(role_codes) or 'none'}",
        password="x-pass-123",
    )
    for code in role_codes:
        StaffRole.objects.create(user=user, role=Role.objects.get(office=office, code=code))
    return user
