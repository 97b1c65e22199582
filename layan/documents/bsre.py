"""Client of an external signing service with the BSrE-style interface (``esign`` API v2).

``POST {LAYAN_BSRE_URL}/api/v2/sign/pdf`` with HTTP basic auth and a JSON body::

    {"nik": "6311…", "passphrase": "…",
     "signatureProperties": [{"tampilan": "VISIBLE", "imageBase64": "<png>", "page": 1,
                              "originX": 400.0, "originY": 740.0, "width": 170.0,
                              "height": 74.0, "location": "…", "reason": "…"}],
     "file": ["<base64 pdf>"]}

answers ``{"file": ["<base64 signed pdf>"], "time": <ms>}``; a refusal is a 4xx with
``{"status_code": <code>, "error": "<message>"}`` (2031: wrong passphrase; 1111: NIK not
registered). ``originX``/``originY`` are measured from the page's top left corner. The key never
leaves the service: Layan sends the passphrase with each request and keeps neither.

:mod:`layan.standin.bsre` is a local stand-in that speaks the same protocol, for the tests.
"""

from __future__ import annotations

import base64
import io
import logging

import httpx
import segno
from django.conf import settings

from layan.documents.pki import WrongPassphrase
from layan.documents.signing import SignatureFailed, Stamp, page_geometry, stamp_box

logger = logging.getLogger(__name__)

SIGN_PATH = "/api/v2/sign/pdf"
WRONG_PASSPHRASE_CODES = {2031}

_transport: httpx.BaseTransport | None = None


def set_default_transport(transport: httpx.BaseTransport | None) -> httpx.BaseTransport | None:
    """Route the client through ``transport`` (tests: the in-process stand-in)."""
    global _transport
    previous, _transport = _transport, transport
    return previous


class BsreClient:
    def __init__(
        self,
        base_url: str | None = None,
        user: str | None = None,
        password: str | None = None,
        *,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = (base_url if base_url is not None else settings.LAYAN_BSRE_URL).rstrip("/")
        if not self.base_url:
            raise SignatureFailed("no signing service configured (LAYAN_BSRE_URL)")
        self._client = httpx.Client(
            auth=(
                user if user is not None else settings.LAYAN_BSRE_USER,
                password if password is not None else settings.LAYAN_BSRE_PASSWORD,
            ),
            timeout=timeout,
            transport=transport or _transport,
        )

    def __repr__(self) -> str:  # never show credentials
        return f"BsreClient({self.base_url!r})"

    def sign_pdf(self, *, nik: str, passphrase: str, pdf: bytes, properties: dict) -> bytes:
        body = {
            "nik": nik,
            "passphrase": passphrase,
            "signatureProperties": [properties],
            "file": [base64.b64encode(pdf).decode()],
        }
        try:
            response = self._client.post(self.base_url + SIGN_PATH, json=body)
        except httpx.HTTPError as exc:
            raise SignatureFailed(
                f"signing service unreachable: {exc.__class__.__name__}"
            ) from None
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code != 200:
            code = data.get("status_code")
            message = str(data.get("error") or response.reason_phrase)[:200]
            logger.warning("signing service refused (%s %s)", response.status_code, code)
            if code in WRONG_PASSPHRASE_CODES:
                raise WrongPassphrase(message)
            raise SignatureFailed(f"{code or response.status_code}: {message}")
        files = data.get("file") or []
        if not files:
            raise SignatureFailed("the signing service answered without a file")
        try:
            return base64.b64decode(files[0], validate=True)
        except ValueError:
            raise SignatureFailed("the signing service answered with a broken file") from None


def stamp_image(stamp: Stamp) -> bytes:
    """The picture the service puts in the signature box: the QR to the verification page."""
    out = io.BytesIO()
    segno.make(stamp.url, error="m").save(out, kind="png", scale=4, border=1)
    return out.getvalue()


class RemoteSigner:
    """Signs through the external service with the officer's NIK and passphrase."""

    def __init__(self, key, passphrase: str, client: BsreClient | None = None):
        self.key = key
        self._passphrase = passphrase
        self.client = client

    def sign(self, pdf: bytes, stamp: Stamp, office) -> bytes:
        count, width, height = page_geometry(pdf)
        page_index, (x1, y1, x2, y2) = stamp_box(count, width)
        properties = {
            "tampilan": "VISIBLE",
            "imageBase64": base64.b64encode(stamp_image(stamp)).decode(),
            "page": page_index + 1,
            "originX": x1,
            "originY": height - y2,  # from the top left, as the service measures
            "width": x2 - x1,
            "height": y2 - y1,
            "location": office.short_name or office.name,
            "reason": "Dokumen kependudukan diterbitkan",
        }
        client = self.client or BsreClient()
        return client.sign_pdf(
            nik=self.key.nik, passphrase=self._passphrase, pdf=pdf, properties=properties
        )
