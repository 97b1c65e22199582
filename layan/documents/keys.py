"""Creating signing keys and knowing which CAs to trust.

``layan signer create`` and the demo use :func:`create_local_key`: the demo CA in
``LAYAN_SIGNING_DIR`` (made on first use) issues the signer's certificate, and the key is stored
only as PKCS#12 encrypted with the signer's passphrase.
"""

from __future__ import annotations

from datetime import UTC

from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.db import transaction

from layan.documents import pki
from layan.documents.models import SigningKey


def demo_ca() -> pki.CertificateAuthority:
    """The installation's demo CA, created on first use."""
    directory = settings.LAYAN_SIGNING_DIR
    ca = pki.load_ca(directory)
    if ca is None:
        ca = pki.create_ca()
        pki.save_ca(ca, directory)
    return ca


def trust_roots_pem() -> bytes:
    """PEM of every CA the verification trusts: the demo CA (if any) and ``LAYAN_TRUST_ROOTS``."""
    parts = []
    demo = settings.LAYAN_SIGNING_DIR / "demo-ca.pem"
    if demo.exists():
        parts.append(demo.read_bytes())
    for path in settings.LAYAN_TRUST_ROOTS:
        with open(path, "rb") as handle:
            parts.append(handle.read())
    return b"\n".join(parts)


def create_local_key(
    *, office, user, passphrase: str, name: str = "", title: str = "", nip: str = "", nik: str = ""
) -> SigningKey:
    """A new local signing key for ``user`` at ``office``; an earlier active one is retired."""
    if len(passphrase or "") < 8:
        raise ValueError("the passphrase needs at least 8 characters")
    ca = demo_ca()
    name = name or office.head_name or user.get_full_name() or user.username
    title = title or office.head_title or "Kepala Dinas Kependudukan dan Pencatatan Sipil"
    key, cert = pki.issue_signer(ca, name=name, organization=office.name, nik=nik)
    archive = pki.pack_pkcs12(key, cert, [ca.certificate], passphrase, name=name)
    with transaction.atomic():
        SigningKey.objects.filter(office=office, user=user, is_active=True).update(is_active=False)
        return SigningKey.objects.create(
            office=office,
            user=user,
            kind=SigningKey.Kind.LOCAL,
            name=name,
            title=title,
            nip=nip or office.head_nip,
            nik=nik,
            certificate=pki.certificate_pem(cert),
            chain=ca.pem.decode(),
            pkcs12=archive,
            fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
            not_after=cert.not_valid_after_utc.astimezone(UTC),
        )
