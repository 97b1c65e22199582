"""Public pages: the verification page a document's QR leads to, and the PIN download.

Both are open to anyone, so both are rate-limited per client address and show only what a
checker needs: the document type, number, date, signer and a masked NIK.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters

from layan.core.errors import LayanError
from layan.core.http import client_address
from layan.documents import selectors, services, signing
from layan.documents.keys import trust_roots_pem

MAX_UPLOAD = 16 * 1024 * 1024
PDF_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


def pdf_response(data: bytes, filename: str, *, download: bool = False) -> HttpResponse:
    """A PDF (a document's personal data): never cached, and locked down if opened inline."""
    response = HttpResponse(data, content_type="application/pdf")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Content-Security-Policy"] = PDF_POLICY
    response["Cache-Control"] = "private, no-store"
    return response


def _limited(request, bucket: str) -> bool:
    """True when this address made more than the allowed look-ups in the current minute."""
    address = client_address(request) or ""
    key = f"rate:{bucket}:{address}"
    cache.add(key, 0, timeout=60)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=60)
        count = 1
    return count > settings.LAYAN_VERIFY_PER_MINUTE


def _too_many(request):
    response = render(request, "documents/too_many.html", status=429)
    response["Retry-After"] = "60"
    return response


@csrf_exempt  # a public form without a session; nothing changes state
def verify(request, public_id: str):
    if _limited(request, "verify"):
        return _too_many(request)
    document = selectors.by_public_id(public_id)
    check = None
    if request.method == "POST" and document is not None:
        upload = request.FILES.get("file")
        if upload is None or upload.size > MAX_UPLOAD:
            check = {"error": _("Choose a PDF file of at most 16 MB.")}
        else:
            data = upload.read()
            validation = signing.validate(data, trust_roots_pem())
            check = {
                "identical": hashlib.sha256(data).hexdigest() == document.sha256,
                "validation": validation,
            }
    status = 200 if document is not None else 404
    return render(
        request,
        "documents/verify.html",
        {"document": document, "public_id": public_id, "check": check},
        status=status,
    )


@csrf_exempt
@sensitive_post_parameters("pin")
def download(request, token: str):
    """The resident's link from the ``document_ready`` template: the PIN gives the PDF once."""
    if _limited(request, "download"):
        return _too_many(request)
    error = ""
    if request.method == "POST":
        try:
            document = services.redeem(token, request.POST.get("pin", ""))
        except LayanError as exc:
            error = str(exc)
        else:
            try:
                with document.file.open("rb") as handle:
                    return pdf_response(handle.read(), f"{document.number}.pdf", download=True)
            except FileNotFoundError:
                raise Http404(_("The file is missing from storage.")) from None
    return render(request, "documents/download.html", {"error": error}, status=200)
