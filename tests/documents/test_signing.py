"""Signing: PAdES signatures that pyHanko's validator trusts under the demo CA, tampering
detected, a wrong passphrase signs nothing, superseding and revocation."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F
from pyhanko.pdf_utils.reader import PdfFileReader

from layan.cases.models import Status
from layan.core.errors import Forbidden, Invalid
from layan.documents import signing
from layan.documents.keys import trust_roots_pem
from layan.documents.models import Document, SigningKey
from layan.documents.services import revoke, sign_document
from tests.documents.conftest import officer
from tests.signing import PASSPHRASE


def _sign(case):
    return sign_document(case, user=officer("balangan"), passphrase=PASSPHRASE)


def test_signed_pdf_validates_as_intact_valid_and_trusted_under_the_demo_ca(balangan_at_signing):
    document = _sign(balangan_at_signing)
    data = document.file.read()
    result = signing.validate(data, trust_roots_pem())
    assert result.signed and result.intact and result.valid and result.trusted, result
    assert result.covers_whole_file
    # PAdES, set explicitly (pyHanko's default would be adbe.pkcs7.detached).
    assert result.subfilter == "/ETSI.CAdES.detached"
    sig = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    assert sig.field_name == "TTE"
    # The visible stamp has an appearance on the last page.
    assert "/AP" in sig.sig_field


def test_signing_moves_the_step_forward_and_keeps_the_passphrase_nowhere(balangan_at_signing):
    case = balangan_at_signing
    document = _sign(case)
    case.refresh_from_db()
    assert case.step.key == "7" and case.status == Status.IN_PROGRESS
    event = case.events.get(action="sign")
    assert event.data["document"] == document.public_id
    stored = [str(v) for row in case.events.values_list("data", "note") for v in row]
    assert not any(PASSPHRASE in v for v in stored)
    key = SigningKey.objects.get(user=officer("balangan"))
    assert PASSPHRASE.encode() not in bytes(key.pkcs12)


def test_a_tampered_pdf_fails_validation(balangan_at_signing):
    data = bytearray(_sign(balangan_at_signing).file.read())
    # Change one byte of the signed content (inside the first page's stream area).
    index = data.find(b"stream") + 20
    data[index] = (data[index] + 1) % 256
    result = signing.validate(bytes(data), trust_roots_pem())
    assert not result.ok
    assert not result.intact or not result.valid


def test_a_pdf_signed_under_another_ca_is_intact_but_not_trusted(balangan_at_signing):
    from layan.documents import pki

    other = pki.create_ca("Other CA")
    result = signing.validate(_sign(balangan_at_signing).file.read(), other.pem)
    assert result.intact and not result.trusted and not result.ok


def test_a_wrong_passphrase_signs_nothing(balangan_at_signing):
    case = balangan_at_signing
    version = case.version
    with pytest.raises(Invalid) as error:
        sign_document(case, user=officer("balangan"), passphrase="bukan-ini")
    assert error.value.code == "wrong_passphrase"
    case.refresh_from_db()
    assert case.version == version and case.step.key == "6"
    assert not Document.objects.exists()
    assert not case.events.filter(action="sign").exists()


def test_a_plain_approve_cannot_skip_the_signature(balangan_at_signing):
    from layan.cases import services as engine

    with pytest.raises(Invalid) as error:
        engine.perform_action(
            balangan_at_signing,
            actor=engine.Actor.staff(officer("balangan")),
            action="complete",
        )
    assert error.value.code == "document_unsigned"


def test_signing_again_supersedes_and_revoking_needs_a_reason(balangan_at_signing):
    case = balangan_at_signing
    first = _sign(case)
    # A corrected document is signed again at the signing step (here: the step set back).
    case.refresh_from_db()
    case.current_step = case.sop_version.steps.get(key="6")
    case.save(update_fields=["current_step"])
    second = _sign(case)
    first.refresh_from_db()
    assert first.status == Document.Status.SUPERSEDED and first.superseded_by == second
    assert second.status == Document.Status.ACTIVE and second.number != first.number
    with pytest.raises(Invalid):
        revoke(second, user=officer("balangan"), reason=" ")
    revoke(second, user=officer("balangan"), reason="Salah tulis nama")
    second.refresh_from_db()
    assert second.status == Document.Status.REVOKED and second.revoked_reason


def test_a_request_that_moves_while_the_key_is_opened_is_a_conflict_not_a_signature(
    balangan_at_signing, monkeypatch
):
    """A double submit: the request changed between the checks and the lock."""
    from layan.cases.models import Case
    from layan.core.errors import Conflict
    from layan.documents import services

    real = services._signer_for

    def meanwhile(key, passphrase):
        signer = real(key, passphrase)
        Case.objects.filter(pk=balangan_at_signing.pk).update(version=F("version") + 1)
        return signer

    monkeypatch.setattr(services, "_signer_for", meanwhile)
    with pytest.raises(Conflict) as error:
        _sign(balangan_at_signing)
    assert error.value.code == "stale"
    assert not Document.objects.exists()


def test_revoking_without_the_supervisor_or_admin_role_is_refused_by_the_service(
    balangan_at_signing,
):
    document = _sign(balangan_at_signing)
    kadis = get_user_model().objects.get(username="balangan.kadis")  # signs, may not revoke
    with pytest.raises(Forbidden) as refused:
        revoke(document, user=kadis, reason="Salah tulis nama")
    assert refused.value.code == "role_required"
    other_office = get_user_model().objects.get(username="waykanan.supervisor")
    with pytest.raises(Forbidden):
        revoke(document, user=other_office, reason="Salah tulis nama")
    document.refresh_from_db()
    assert document.status == Document.Status.ACTIVE
    revoke(document, user=get_user_model().objects.get(username="balangan.supervisor"),
           reason="Salah tulis nama")  # fmt: skip
    document.refresh_from_db()
    assert document.status == Document.Status.REVOKED
