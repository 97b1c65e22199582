"""Each document type renders from the request's form data, and its text holds that data;
missing data stops the render with the list of what is missing."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from layan.documents.rendering import MissingData, render_pdf
from tests.documents.conftest import new_case

# (office, service, name field, the distinctive value typed into it)
CASES = [
    ("balangan", "kk", "nama_kepala_keluarga", "ZULKARNAEN HAKIM"),
    ("waykanan", "akta-kelahiran", "nama_anak", "AISYAH PUTRI RAMADHANI"),
    ("waykanan", "akta-kematian", "nama_almarhum", "SUPARMAN BIN KARTO"),
    ("waykanan", "skpwni", "nama_pemohon", "HENDRA WIJAYA"),
    ("solok", "ktp-el", "nama_lengkap", "RAHMAT HIDAYAT"),
    ("solok", "kia", "nama_anak", "NAURA ZAHIRA"),
    ("balangan", "akta-perkawinan", "nama_suami", "ANDI SAPUTRA"),
    ("waykanan", "pengaduan", "answer", "Blangko KTP-el sudah tersedia kembali"),
]


def text_of(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(("office", "service", "field", "value"), CASES)
def test_each_document_type_renders_with_the_request_data(seeded, office, service, field, value):
    case = new_case(office, service, **{field: value})
    pdf = render_pdf(case)
    assert pdf.startswith(b"%PDF")
    text = " ".join(text_of(pdf).split())
    assert value in text
    assert case.code in text
    assert "DRAF" in text  # a draft carries its watermark


def test_the_kk_lists_every_family_member(seeded):
    members = [
        {"nama": name, "nik": f"630101150590000{i}", "jenis_kelamin": "L", "hubungan": "anak"}
        for i, name in enumerate(["BAYU", "CITRA", "DIMAS"], start=1)
    ]
    case = new_case("balangan", "kk", anggota=members)
    text = text_of(render_pdf(case))
    for member in members:
        assert member["nama"] in text and member["nik"] in text


def test_the_receipt_holds_the_tracking_code_and_is_no_draft(seeded):
    case = new_case("waykanan", "kk-baru")
    text = text_of(render_pdf(case, "tanda-terima"))
    assert case.code in text and "TANDA TERIMA" in text.upper() and "DRAF" not in text


def test_missing_required_fields_stop_the_render_with_their_labels(seeded):
    case = new_case("waykanan", "akta-kelahiran", nama_anak="", tempat_lahir="")
    with pytest.raises(MissingData) as error:
        render_pdf(case)
    assert error.value.code == "document_data_missing"
    assert error.value.details["missing"] == ["Nama lengkap anak", "Tempat lahir"]
    assert "Nama lengkap anak" in str(error.value)


def test_the_card_preview_is_drawn_at_card_size(seeded):
    from layan.documents.kinds import KINDS
    from layan.documents.rendering import render_html

    case = new_case("solok", "ktp-el")
    html = render_html(case, KINDS["ktp-el"])
    assert "width: 85.6mm; height: 53.98mm" in html


def test_the_receipt_lists_only_the_requirements_that_apply(seeded):
    case = new_case("solok", "ktp-el", reason="lost")
    text = " ".join(text_of(render_pdf(case, "tanda-terima")).split())
    assert "Surat Keterangan Hilang dari Polisi" in text
    assert "Foto KTP-el yang rusak" not in text
