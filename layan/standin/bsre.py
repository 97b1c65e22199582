"""A local stand-in for the BSrE-style signing service (see :mod:`layan.documents.bsre`).

It keeps one key per registered NIK, checks HTTP basic auth against ``LAYAN_BSRE_USER`` /
``LAYAN_BSRE_PASSWORD``, and answers like the service: the signed file, or a 4xx with
``status_code`` and ``error``. Demo and tests only.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from layan.documents import pki, signing
from layan.documents.keys import demo_ca
from layan.standin.models import BsreAccount


def register(*, nik: str, name: str, organization: str, passphrase: str) -> BsreAccount:
    """Enrol a signer at the stand-in (the real service does this with the officer in person)."""
    ca = demo_ca()
    key, cert = pki.issue_signer(ca, name=name, organization=organization, nik=nik)
    account, _created = BsreAccount.objects.update_or_create(
        nik=nik,
        defaults={
            "name": name,
            "pkcs12": pki.pack_pkcs12(key, cert, [ca.certificate], passphrase, name=name),
            "certificate": pki.certificate_pem(cert),
        },
    )
    return account


def _error(status: int, code: int, message: str) -> JsonResponse:
    return JsonResponse({"status_code": code, "error": message}, status=status)


def _authorised(request) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        user, _sep, password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return secrets.compare_digest(user, settings.LAYAN_BSRE_USER) and secrets.compare_digest(
        password, settings.LAYAN_BSRE_PASSWORD
    )


@csrf_exempt
def sign_pdf(request):
    started = time.monotonic()
    if request.method != "POST":
        return _error(405, 405, "Method not allowed")
    if not _authorised(request):
        return _error(401, 401, "Unauthorized")
    try:
        body = json.loads(request.body or b"null")
        nik, passphrase = str(body["nik"]), str(body["passphrase"])
        props = body["signatureProperties"][0]
        pdf = base64.b64decode(body["file"][0], validate=True)
        image = base64.b64decode(props["imageBase64"]) if props.get("imageBase64") else None
        page = int(props["page"]) - 1
        x, y = float(props["originX"]), float(props["originY"])
        width, height = float(props["width"]), float(props["height"])
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error):
        return _error(400, 2001, "Parameter tidak lengkap atau tidak valid")
    account = BsreAccount.objects.filter(nik=nik).first()
    if account is None:
        return _error(400, 1111, "NIK tidak terdaftar")
    try:
        signer = signing.local_signer(bytes(account.pkcs12), passphrase)
    except pki.WrongPassphrase:
        return _error(400, 2031, "Passphrase anda salah")
    try:
        _count, _w, page_height = signing.page_geometry(pdf)
        box = (x, page_height - y - height, x + width, page_height - y)
        signed = signing.sign_pdf(
            pdf,
            signer,
            signing.Stamp(signer=account.name, title="", signed_at=timezone.now(), url=""),
            reason=str(props.get("reason") or ""),
            location=str(props.get("location") or ""),
            placement=(page, box),
            image=image,
        )
    except signing.SignatureFailed as exc:
        return _error(400, 2002, f"Dokumen tidak dapat ditandatangani: {exc}")
    return JsonResponse(
        {
            "file": [base64.b64encode(signed).decode()],
            "time": int((time.monotonic() - started) * 1000),
        }
    )
