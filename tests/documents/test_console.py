"""The documents card and the register book in the console, through its HTTP views."""

from __future__ import annotations

import io

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from layan.documents.models import Document
from tests.documents.conftest import new_case, officer
from tests.signing import PASSPHRASE


def _client(office: str) -> Client:
    client = Client()
    client.force_login(officer(office))
    return client


def test_the_kadis_signs_from_the_console_and_a_wrong_passphrase_is_refused(balangan_at_signing):
    case = balangan_at_signing
    client = _client("balangan")
    page = client.get(reverse("console:case", args=[case.code]))
    assert b'name="passphrase"' in page.content
    draft = client.get(reverse("console:draft", args=[case.code]))
    assert draft.status_code == 200 and draft["Content-Type"] == "application/pdf"
    refused = client.post(
        reverse("console:sign", args=[case.code]),
        {"version": case.version, "passphrase": "salah"},
        follow=True,
    )
    assert "Passphrase salah" in refused.content.decode()
    assert not Document.objects.exists()
    client.post(
        reverse("console:sign", args=[case.code]),
        {"version": case.version, "passphrase": PASSPHRASE},
    )
    document = Document.objects.get()
    issued = client.get(reverse("console:issued", args=[case.code, document.public_id]))
    assert issued.content == document.file.open("rb").read()
    # Another office's officer cannot reach it.
    other = _client("waykanan")
    assert (
        other.get(reverse("console:issued", args=[case.code, document.public_id])).status_code
        == 404
    )
    assert other.get(reverse("console:draft", args=[case.code])).status_code == 404


def test_the_draft_lists_what_is_missing(seeded):
    case = new_case("waykanan", "akta-kelahiran", nama_anak="")
    response = _client("waykanan").get(reverse("console:draft", args=[case.code]), follow=True)
    assert "Nama lengkap anak" in response.content.decode()


def test_the_register_book_and_its_exports(seeded):
    from layan.documents.services import enter_register

    cases = [new_case("waykanan", "kia-baru") for _ in range(2)]
    for case in cases:
        enter_register(case)
    client = _client("waykanan")
    page = client.get(reverse("console:register"), {"service": "kia-baru"})
    body = page.content.decode()
    assert page.status_code == 200 and all(c.code in body for c in cases)
    xlsx = client.get(reverse("console:register_export", args=["xlsx"]), {"service": "kia-baru"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = [r for r in sheet.iter_rows(min_row=5, values_only=True) if r[0]]
    assert [(r[0], r[2]) for r in rows] == [(1, cases[0].code), (2, cases[1].code)]
    pdf = client.get(reverse("console:register_export", args=["pdf"]), {"service": "kia-baru"})
    assert pdf.content.startswith(b"%PDF")
    # Other offices' books are not reachable by service code.
    assert (
        _client("balangan")
        .get(reverse("console:register_export", args=["pdf"]), {"service": "kia-baru"})
        .status_code
        == 404
    )
