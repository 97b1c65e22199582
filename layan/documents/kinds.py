"""The document types Layan renders, and what each needs from a request's form data.

A service names its type in the office catalogue (``document: kk``); the HTML template of a type
is ``documents/<type>.html``, and an office restyles it by providing
``documents/<office code>/<type>.html`` in a template directory (``LAYAN_TEMPLATE_DIR``). The
required keys below are what the template prints in its main places: a render without them
stops with the list, in the labels of the service's own data-entry fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    code: str
    title: str
    landscape: bool = False
    required: tuple[str, ...] = ()
    # Keys of a table of people; the first present is used (KK members, people moving).
    rows: tuple[str, ...] = ()
    rows_required: bool = False
    card: bool = False
    # Signed by the head of office and verifiable at /v/<id>; the receipt is not.
    signed: bool = True
    labels: dict[str, str] | None = None


KINDS: dict[str, Kind] = {
    kind.code: kind
    for kind in (
        Kind(
            "kk",
            _("Kartu Keluarga"),
            landscape=True,
            required=(
                "nomor_kk",
                "nama_kepala_keluarga",
                "alamat",
                "desa_kelurahan",
                "kecamatan",
            ),
            rows=("anggota", "anggota_pindah"),
            rows_required=True,
        ),
        Kind(
            "akta-kelahiran",
            _("Kutipan Akta Kelahiran"),
            required=("nama_anak", "jenis_kelamin", "tempat_lahir", "tanggal_lahir", "nama_ibu"),
        ),
        Kind(
            "akta-kematian",
            _("Kutipan Akta Kematian"),
            required=("nik_almarhum", "nama_almarhum", "tanggal_meninggal", "tempat_meninggal"),
        ),
        Kind(
            "skpwni",
            _("Surat Keterangan Pindah WNI"),
            required=(
                "nomor_kk",
                "nama_kepala_keluarga",
                "nik_pemohon",
                "nama_pemohon",
                "alamat_asal",
                "destination",
            ),
            rows=("anggota_pindah",),
            rows_required=True,
        ),
        Kind(
            "ktp-el",
            _("KTP-el (pratinjau cetak)"),
            required=("nik", "nama_lengkap", "tempat_lahir", "tanggal_lahir", "jenis_kelamin"),
            card=True,
        ),
        Kind(
            "kia",
            _("Kartu Identitas Anak (pratinjau cetak)"),
            required=("nik_anak", "nama_anak", "tempat_lahir", "tanggal_lahir", "jenis_kelamin"),
            card=True,
        ),
        Kind(
            "jawaban-pengaduan",
            _("Surat Jawaban Pengaduan"),
            required=("answer",),
            labels={"answer": str(_("Jawaban pengaduan"))},
        ),
        Kind("kutipan", _("Kutipan Dokumen Pencatatan Sipil")),
        Kind("tanda-terima", _("Tanda Terima Berkas Permohonan"), signed=False),
    )
}

RECEIPT = "tanda-terima"
DEFAULT = "kutipan"


def kind_of(service) -> Kind:
    return KINDS.get(service.document or "", KINDS[DEFAULT])
