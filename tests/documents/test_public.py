"""The public verification page (four states, the upload check, the rate limit), delivery of
the signed PDF inside and outside the 24-hour window, the PIN download and the register book."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from layan.bot.models import CaseContact
from layan.documents.models import Document, RegisterEntry
from layan.documents.services import deliver, revoke, sign_document
from layan.whatsapp.models import Conversation, Identity, OutboxMessage
from tests.documents.conftest import new_case, officer
from tests.signing import PASSPHRASE


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


@pytest.fixture
def graph_standin(settings):
    """The Graph client talks to the in-process stand-in (uploads and sends are real calls)."""
    from django.test import Client

    from layan.standin import delivery
    from layan.whatsapp import graph
    from tests.standin.adapter import DjangoTransport

    settings.WHATSAPP_GRAPH_URL = "http://testserver/graph"
    transport = DjangoTransport(Client())
    previous = graph.set_default_transport(transport)
    previous_deliverer = delivery.set_deliverer(lambda body, headers: 200)
    yield transport
    graph.set_default_transport(previous)
    delivery.set_deliverer(previous_deliverer)


def _signed(case):
    return sign_document(case, user=officer("balangan"), passphrase=PASSPHRASE)


def state(response) -> str:
    return response.content.decode().split('data-state="', 1)[1].split('"', 1)[0]


def test_the_verification_page_shows_active_superseded_revoked_and_not_found(
    client, balangan_at_signing
):
    case = balangan_at_signing
    first = _signed(case)
    page = client.get(f"/v/{first.public_id}")
    assert page.status_code == 200 and state(page) == "active"
    body = page.content.decode()
    assert first.number in body and first.signer_name in body
    # Minimal data: the NIK is masked, the rest of the request is not shown.
    assert first.subject_nik and "•" in first.subject_nik and first.subject_nik in body
    assert case.applicant_phone not in body or not case.applicant_phone

    case.refresh_from_db()
    case.current_step = case.sop_version.steps.get(key="6")
    case.save(update_fields=["current_step"])
    second = _signed(case)
    assert state(client.get(f"/v/{first.public_id}")) == "superseded"
    revoke(second, user=officer("balangan"), reason="Data salah")
    assert state(client.get(f"/v/{second.public_id}")) == "revoked"
    missing = client.get("/v/abcdefghijklmnopqrstuvwxyz")
    assert missing.status_code == 404 and state(missing) == "not_found"


def test_the_upload_check_tells_identical_and_valid_from_changed(client, balangan_at_signing):
    document = _signed(balangan_at_signing)
    data = document.file.read()
    same = client.post(
        f"/v/{document.public_id}", {"file": SimpleUploadedFile("a.pdf", data)}
    ).content.decode()
    assert 'data-identical="yes"' in same and 'data-signature="valid"' in same
    tampered = bytearray(data)
    index = tampered.find(b"stream") + 20
    tampered[index] = (tampered[index] + 1) % 256
    changed = client.post(
        f"/v/{document.public_id}", {"file": SimpleUploadedFile("b.pdf", bytes(tampered))}
    ).content.decode()
    assert 'data-identical="no"' in changed and 'data-signature="invalid"' in changed


def test_the_verification_page_is_rate_limited(client, settings, balangan_at_signing):
    settings.LAYAN_VERIFY_PER_MINUTE = 3
    codes = [client.get("/v/nothinghere").status_code for _ in range(5)]
    assert codes == [404, 404, 404, 429, 429]


def _conversation(case, *, last_inbound):
    channel = case.office.channels.first()
    identity = Identity.objects.create(wa_id="6281234567890", name="Siti")
    conversation = Conversation.objects.create(
        channel=channel, identity=identity, last_inbound_at=last_inbound
    )
    CaseContact.objects.create(case=case, conversation=conversation, kind="applicant")
    return conversation


def test_inside_the_window_the_signed_pdf_goes_as_a_document(
    balangan_at_signing, django_capture_on_commit_callbacks, graph_standin
):
    case = balangan_at_signing
    _conversation(case, last_inbound=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        document = _signed(case)  # delivery, then sending, run after the commit
    rows = list(OutboxMessage.objects.filter(case=case, content__type="document"))
    assert len(rows) == 1
    row = rows[0]
    assert row.upload == document.file.name
    # Sent through the Graph stand-in: the file was uploaded and the media id filled in.
    assert row.status != OutboxMessage.Status.QUEUED, row.last_error
    assert row.content["document"]["id"]
    assert row.content["document"]["filename"].endswith(".pdf")
    paths = [r.url.path for r in graph_standin.requests]
    assert any(p.endswith("/media") for p in paths) and any(p.endswith("/messages") for p in paths)
    # Delivering again adds nothing: the outbox key is per document and conversation.
    count = OutboxMessage.objects.filter(case=case).count()
    deliver(document.pk)
    assert OutboxMessage.objects.filter(case=case).count() == count


def test_outside_the_window_a_template_with_a_link_and_a_one_time_pin(
    client, balangan_at_signing, django_capture_on_commit_callbacks, graph_standin
):
    case = balangan_at_signing
    _conversation(case, last_inbound=timezone.now() - timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        document = _signed(case)
    row = OutboxMessage.objects.get(case=case, template_key="document_ready")
    assert row.as_template and row.content["type"] == "template"
    code, title, link, pin = row.template_params
    assert code == case.code and title == document.title and len(pin) == 6
    path = link.split("://", 1)[1].split("/", 1)[1]
    wrong = "000000" if pin != "000000" else "111111"
    refused = client.post(f"/{path}", {"pin": wrong})
    assert refused.status_code == 200 and refused["Content-Type"].startswith("text/html")
    got = client.post(f"/{path}", {"pin": pin})
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    assert got.content == document.file.open("rb").read()
    again = client.post(f"/{path}", {"pin": pin})
    assert again["Content-Type"].startswith("text/html")  # the PIN works once


def test_completion_writes_the_register_book_with_running_numbers(seeded):
    from layan.documents.services import enter_register

    cases = [new_case("waykanan", "kia-baru") for _ in range(3)]
    entries = [enter_register(case) for case in cases]
    assert [e.number for e in entries] == [1, 2, 3]
    assert enter_register(cases[0]).number == 1  # once per request


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_register_numbers_stay_unique_and_gapless_under_concurrency_on_postgres(seeded):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…)")
    from layan.cases.models import Case
    from layan.documents.services import enter_register

    codes = [new_case("waykanan", "kia-baru").code for _ in range(16)]
    barrier = threading.Barrier(8)
    errors = []

    def work(chunk):
        try:
            barrier.wait(timeout=10)
            for code in chunk:
                enter_register(Case.objects.select_related("office", "service").get(code=code))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=work, args=(codes[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    numbers = sorted(RegisterEntry.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 17))
    assert Document.objects.count() == 0


def test_a_delivery_that_cannot_be_made_flags_the_request_and_the_signature_stands(
    balangan_at_signing, django_capture_on_commit_callbacks, graph_standin
):
    from layan.whatsapp.models import MessageTemplate

    case = balangan_at_signing
    _conversation(case, last_inbound=timezone.now() - timedelta(days=3))
    MessageTemplate.objects.filter(office=case.office, key="document_ready").delete()
    with django_capture_on_commit_callbacks(execute=True):
        _signed(case)  # the task fails (logged); the officer's signature is not undone
    assert Document.objects.filter(case=case, status="active").exists()
    assert case.flags.filter(code="delivery_failed").exists()
