"""The BSrE-style signing-service client, tested against the local stand-in that speaks the same
protocol: a remote key signs a request's document, a wrong passphrase signs nothing, and the
service's refusals come back as clear errors."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from layan.core.errors import Invalid
from layan.documents import bsre, signing
from layan.documents.keys import trust_roots_pem
from layan.documents.models import Document, SigningKey
from layan.documents.pki import WrongPassphrase
from layan.documents.services import sign_document
from layan.offices.models import Office
from layan.standin import bsre as standin
from tests.documents.conftest import new_case, officer, walk_to
from tests.standin.adapter import DjangoTransport

NIK = "6311011206700001"
PASS = "bsre-rahasia-99"


@pytest.fixture
def service(settings):
    settings.LAYAN_BSRE_URL = "http://testserver/bsre"
    settings.LAYAN_BSRE_USER, settings.LAYAN_BSRE_PASSWORD = "layan", "client-secret"
    transport = DjangoTransport(Client())
    previous = bsre.set_default_transport(transport)
    yield transport
    bsre.set_default_transport(previous)


@pytest.fixture
def remote_key(seeded, service):
    office = Office.objects.get(code="balangan")
    account = standin.register(
        nik=NIK, name=office.head_name, organization=office.name, passphrase=PASS
    )
    from layan.documents.pki import load_pem_certificates

    cert = load_pem_certificates(account.certificate.encode())[0]
    return SigningKey.objects.create(
        office=office,
        user=officer("balangan"),
        kind=SigningKey.Kind.REMOTE,
        name=office.head_name,
        title=office.head_title,
        nik=NIK,
        certificate=account.certificate,
        fingerprint="-",
        not_after=cert.not_valid_after_utc,
    )


def test_a_remote_key_signs_through_the_service_and_validates(remote_key, service):
    case = walk_to(new_case("balangan", "kk"), "sign")
    document = sign_document(case, user=officer("balangan"), passphrase=PASS)
    result = signing.validate(document.file.read(), trust_roots_pem())
    assert result.ok and result.subfilter == "/ETSI.CAdES.detached", result
    request = service.requests[-1]
    assert request.url.path == "/bsre/api/v2/sign/pdf"
    assert request.headers["authorization"].startswith("Basic ")
    case.refresh_from_db()
    assert case.step.key == "7"


def test_a_wrong_passphrase_at_the_service_signs_nothing(remote_key, service):
    case = walk_to(new_case("balangan", "kk"), "sign")
    with pytest.raises(Invalid) as error:
        sign_document(case, user=officer("balangan"), passphrase="keliru-sekali")
    assert error.value.code == "wrong_passphrase"
    assert not Document.objects.exists()
    case.refresh_from_db()
    assert case.step.key == "6"


def test_the_client_reports_the_services_refusals(seeded, service):
    pdf = base64.b64decode(base64.b64encode(b"%PDF-1.4 not really"))
    client = bsre.BsreClient()
    props = {"tampilan": "INVISIBLE", "page": 1, "originX": 0, "originY": 0,
             "width": 10, "height": 10}  # fmt: skip
    with pytest.raises(signing.SignatureFailed, match="1111"):
        client.sign_pdf(nik="0000000000000000", passphrase="x", pdf=pdf, properties=props)
    with pytest.raises(signing.SignatureFailed, match="401"):
        bsre.BsreClient(password="wrong-client-secret").sign_pdf(
            nik=NIK, passphrase="x", pdf=pdf, properties=props
        )
    assert issubclass(WrongPassphrase, ValueError)
