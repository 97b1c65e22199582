"""PAdES signatures with pyHanko: signing a rendered PDF and validating a signed one.

The signature is PAdES baseline B-B (``ETSI.CAdES.detached``, set explicitly: pyHanko's default
is the older ``adbe.pkcs7.detached``), or B-T when a timestamp authority is configured
(``LAYAN_TSA_URL``). The visible stamp on the last page carries the signer, the date and a QR
code to the public verification page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import SimpleSigner
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import QRStampStyle
from pyhanko_certvalidator import ValidationContext

from layan.documents.pki import WrongPassphrase

FIELD_NAME = "TTE"
# Bottom right of an A4 page (portrait or landscape), in PDF points from the bottom left.
STAMP_WIDTH, STAMP_HEIGHT, STAMP_MARGIN = 250, 74, 28


class SignatureFailed(RuntimeError):
    """The signature could not be made (bad input PDF, timestamp authority down, …)."""


@dataclass(frozen=True)
class Stamp:
    signer: str
    title: str
    signed_at: datetime
    url: str


@dataclass(frozen=True)
class Validation:
    """What a validator says of the document's (last) signature."""

    signed: bool
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    covers_whole_file: bool = False
    signer: str = ""
    signed_at: datetime | None = None
    subfilter: str = ""
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.valid and self.trusted


def local_signer(pkcs12_data: bytes, passphrase: str) -> SimpleSigner:
    """A pyHanko signer from the stored archive; :class:`WrongPassphrase` if it does not open."""
    try:
        return SimpleSigner.load_pkcs12_data(pkcs12_data, [], (passphrase or "").encode())
    except ValueError as exc:  # pyHanko's answer to an archive that does not open
        raise WrongPassphrase("the passphrase does not open this key") from exc


class LocalSigner:
    """Signs with a key kept here (opened with the passphrase for this one signature)."""

    def __init__(self, signer: SimpleSigner):
        self.signer = signer

    def sign(self, pdf: bytes, stamp: Stamp, office) -> bytes:
        from django.conf import settings

        return sign_pdf(
            pdf,
            self.signer,
            stamp,
            tsa_url=settings.LAYAN_TSA_URL,
            location=office.short_name or office.name,
        )


def stamp_style() -> QRStampStyle:
    return QRStampStyle(
        stamp_text=(
            "Ditandatangani secara elektronik oleh\n%(signer)s\n%(title)s\n"
            "Tanggal: %(ts)s\nPeriksa keaslian: pindai QR"
        ),
        timestamp_format="%d-%m-%Y %H:%M %Z",
        border_width=1,
        background=None,
        inner_content_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MIN,
            y_align=AxisAlignment.ALIGN_MID,
            margins=Margins.uniform(2),
        ),
    )


def page_geometry(pdf: bytes) -> tuple[int, float, float]:
    """(page count, width, height) of the last page, in points."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    count = int(reader.root["/Pages"]["/Count"])
    box = reader.find_page_for_modification(count - 1)[0].get_object()["/MediaBox"]
    return count, float(box[2]), float(box[3])


def stamp_box(count: int, width: float) -> tuple[int, tuple[float, float, float, float]]:
    """Where the signature stamp goes: (page index, box) at the bottom right of the last page
    of a document with ``count`` pages, the last ``width`` points wide."""
    x2 = width - STAMP_MARGIN
    return count - 1, (x2 - STAMP_WIDTH, STAMP_MARGIN, x2, STAMP_MARGIN + STAMP_HEIGHT)


def sign_pdf(
    pdf: bytes,
    signer: signers.Signer,
    stamp: Stamp,
    *,
    tsa_url: str = "",
    reason: str = "Dokumen kependudukan diterbitkan",
    location: str = "",
    placement: tuple[int, tuple[float, float, float, float]] | None = None,
    image: bytes | None = None,
) -> bytes:
    """``pdf`` with a PAdES signature and a visible stamp (default: bottom right of the last
    page, with the QR to ``stamp.url``; with ``image``, that picture is the stamp instead)."""
    try:
        page_index, box = placement or stamp_box(*page_geometry(pdf)[:2])
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        field_spec = fields.SigFieldSpec(FIELD_NAME, on_page=page_index, box=box)
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason,
            location=location or None,
            name=stamp.signer,
            use_pades_lta=False,
        )
        timestamper = timestamps.HTTPTimeStamper(tsa_url, timeout=10) if tsa_url else None
        style = stamp_style() if image is None else _image_style(image)
        pdf_signer = signers.PdfSigner(
            meta,
            signer=signer,
            timestamper=timestamper,
            stamp_style=style,
            new_field_spec=field_spec,
        )
        out = pdf_signer.sign_pdf(
            writer,
            appearance_text_params={
                "url": stamp.url,
                "signer": stamp.signer,
                "title": stamp.title,
            },
        )
    except (SigningError, PdfReadError, OSError, ValueError, KeyError) as exc:
        raise SignatureFailed(str(exc)) from exc
    return out.getvalue()


def _image_style(image: bytes):
    from PIL import Image
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.stamp import TextStampStyle

    return TextStampStyle(
        stamp_text="%(signer)s\n%(ts)s",
        background=PdfImage(Image.open(io.BytesIO(image)).convert("RGB")),
        background_opacity=1,
        border_width=0,
    )


def trust_context(roots_pem: bytes) -> ValidationContext:
    """Trust exactly these roots; no fetching of revocation data (the demo CA publishes none)."""
    roots = list(load_certs_from_pemder_data(roots_pem)) if roots_pem else []
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")


def validate(pdf: bytes, roots_pem: bytes) -> Validation:
    """Validate the last signature of ``pdf`` against the trust roots (PEM, may be several)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = reader.embedded_signatures
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        return Validation(signed=False, problem=f"not a readable PDF: {exc}")
    if not embedded:
        return Validation(signed=False, problem="no signature")
    sig = embedded[-1]
    try:
        status = validate_pdf_signature(sig, trust_context(roots_pem))
    except Exception as exc:  # noqa: BLE001 - a broken signature is an answer, not a crash
        return Validation(signed=True, problem=f"{exc.__class__.__name__}: {exc}")
    coverage = getattr(status, "coverage", None)
    return Validation(
        signed=True,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        covers_whole_file=bool(coverage is not None and coverage.name == "ENTIRE_FILE"),
        signer=status.signing_cert.subject.human_friendly if status.signing_cert else "",
        signed_at=status.signer_reported_dt,
        subfilter=str(sig.sig_object.get("/SubFilter", "")),
    )
