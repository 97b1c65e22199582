"""The SOP presets reproduce their seed tables.

Every preset in ``layan/sop/presets`` is checked against an expectation written here by hand from
its seed (the shared seeds beside the repository, ``tests.environment.SEEDS``): step count, the
performing role of each step, its standard minutes and output, the total, the deadline, and the
branches the seed text states. When the seeds are present, each step's activity must also be the
seed's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from layan.sop.definition import END, SopDefinition, read_file
from tests.environment import SEEDS

ROOT = Path(__file__).resolve().parents[2]
PRESETS = ROOT / "layan" / "sop" / "presets"
OFFICES = ROOT / "layan" / "offices" / "presets"


@dataclass(frozen=True)
class Flow:
    seed: str  # seed file prefix
    office: str
    code: str
    columns: tuple[tuple[str, str], ...]  # (role code, column header) in table order
    steps: tuple[tuple[str, int | None, str | None], ...]  # (role, minutes, output)
    total: int
    deadline: dict | None


WAYKANAN_DAY = {"unit": "working_days", "amount": 1}

EXPECTED: dict[str, Flow] = {
    "solok-marawa.yaml": Flow(
        seed="000",
        office="solok",
        code="marawa",
        columns=(
            ("pemohon", "Pemohon/Operator Nagari"),
            ("bot", "Layanan Bot Informasi dan Persyaratan"),
            ("operator_marawa", "Operator Marawa"),
            ("kasi", "Kasi/JabFung/ Kabid"),
            ("petugas_distribusi", "Petugas Distribusi Online"),
        ),
        steps=(
            ("bot", 5, "Informasi Tata Cara Layanan Online dan Info Persyaratan"),
            ("pemohon", 3, "Kelengkapan dokumen"),
            ("operator_marawa", 2, "Draft KTP-el / KIA"),
            ("kasi", 2, "Draft KTP-el / KIA"),
            ("operator_marawa", 3, "KTP-el / KIA"),
            ("petugas_distribusi", 2, "KTP-el / KIA"),
            ("pemohon", 1, "KTP-el / KIA"),
        ),
        total=18,
        deadline=None,
    ),
    "waykanan-kk-baru.yaml": Flow(
        seed="001",
        office="waykanan",
        code="kk-baru",
        columns=(
            ("pemohon", "PEMOHON"),
            ("operator_online", "Operator Pelayanan Online"),
            ("operator_siak", "Petugas/Operator"),
            ("kasi", "Kasi"),
            ("kabid", "Kabid"),
            ("kadis", "Kadis"),
            ("petugas_pengambilan", "Petugas Pengambilan"),
        ),
        steps=(
            ("pemohon", 5, "Berkas Permohonan"),
            ("operator_siak", 10, "Berkas Permohonan dan Koreksi"),
            ("kasi", 5, "Berkas Permohonan dan Koreksi"),
            ("kabid", 5, "Kartu Keluarga"),
            ("kadis", 5, "Kartu Keluarga"),
            ("petugas_pengambilan", 10, "Kartu Keluarga"),
            ("operator_online", 5, "KK Baru"),
        ),
        total=45,
        deadline=WAYKANAN_DAY,
    ),
    "waykanan-skpwni.yaml": Flow(
        seed="001",
        office="waykanan",
        code="skpwni",
        columns=(
            ("pemohon", "PEMOHON"),
            ("operator_online", "Operator Pelayanan Online"),
            ("operator_siak", "Petugas/Operator"),
            ("kasi", "Kasi"),
            ("kabid", "Kabid"),
            ("kadis", "Kadis"),
            ("petugas_pengambilan", "Petugas Pengambilan"),
        ),
        steps=(
            ("pemohon", 5, "Berkas Permohonan dan Koreksi"),
            ("operator_siak", 10, "Berkas Permohonan dan Koreksi"),
            ("kasi", 5, "Berkas Permohonan dan Koreksi"),
            ("kabid", 5, "Surat Keterangan Pindah dan Koreksi"),
            ("kadis", 5, "Surat Keterangan Pindah dan Koreksi"),
            ("petugas_pengambilan", 10, "Surat Keterangan Pindah atau paraf hierarkhi"),
            ("operator_online", 5, "Surat Keterangan Pindah"),
        ),
        total=45,
        deadline=WAYKANAN_DAY,
    ),
    "waykanan-ktp-el-penggantian.yaml": Flow(
        seed="001",
        office="waykanan",
        code="ktp-el-penggantian",
        columns=(
            ("pemohon", "PEMOHON"),
            ("petugas_pelayanan_1", "Petugas Pelayanan 1"),
            ("operator_ktp", "Operator Kartu Tanda Penduduk"),
            ("petugas_pelayanan_2", "Petugas Pelayanan 2"),
        ),
        steps=(
            ("pemohon", 5, "Berkas Permohonan"),
            (
                "petugas_pelayanan_1",
                10,
                "Operator memastikan hasil perekaman tersimpan dalam server",
            ),
            ("operator_ktp", 5, "KTP-EI sudah cetak siap distribusi"),
            ("petugas_pelayanan_2", 5, "KTP Baru"),
        ),
        total=25,
        deadline=WAYKANAN_DAY,
    ),
    "waykanan-kia-baru.yaml": Flow(
        seed="001",
        office="waykanan",
        code="kia-baru",
        columns=(
            ("pemohon", "PEMOHON"),
            ("operator_online", "Operator Pelayanan Online"),
            ("kasi", "KASI IDENTITAS PENDUDUK"),
            ("petugas_pelayanan_2", "PETUGAS 2"),
        ),
        steps=(
            ("pemohon", 2, "Berkas Permohonan dan Koreksi"),
            ("operator_online", 5, "Berkas Permohonan dan Koreksi"),
            ("kasi", 10, None),
            ("petugas_pelayanan_2", 10, "Berkas Permohonan dan Koreksi"),
            ("petugas_pelayanan_2", 2, "KIA"),
        ),
        total=29,
        deadline=WAYKANAN_DAY,
    ),
    "waykanan-akta-kelahiran.yaml": Flow(
        seed="001",
        office="waykanan",
        code="akta-kelahiran",
        columns=(
            ("pemohon", "Masyarakat /Pemohon"),
            ("operator_online", "Petugas Pelayanan Online"),
            ("operator_capil", "Operator"),
            ("petugas_penyerahan", "Petugas Penyerahan Dokumen"),
            ("kasi", "Kasi"),
            ("kabid", "Kepala Bidang"),
            ("kadis", "Kepala Dinas"),
        ),
        steps=(
            ("pemohon", 10, "Berkas persyaratan"),
            ("operator_online", 10, "Berkas persyaratan"),
            ("kasi", 5, "Berkas persyaratan"),
            ("kabid", 5, "Berkas persyaratan"),
            ("kasi", 5, "Berkas persyaratan, blanko akta kelahiran dan buku register"),
            (
                "operator_capil",
                15,
                "Berkas persyaratan akta kelahiran, buku register yang sudah dicetak",
            ),
            ("pemohon", 5, "Berkas persyaratan, blanko akta kelahiran dan buku register"),
            (
                "petugas_penyerahan",
                10,
                "Berkas persyaratan akta kelahiran, buku register yang sudah dicetak",
            ),
            (
                "kadis",
                5,
                "Berkas persyaratan akta kelahiran, buku register yang sudah ditandatangani",
            ),
            ("petugas_penyerahan", 10, "Akta Kelahiran"),
        ),
        total=80,
        deadline=WAYKANAN_DAY,
    ),
    "waykanan-akta-kematian.yaml": Flow(
        seed="001",
        office="waykanan",
        code="akta-kematian",
        columns=(
            ("pemohon", "Masyarakat /Pemohon"),
            ("operator_online", "Petugas Pelayanan Online"),
            ("operator_capil", "Operator"),
            ("petugas_penyerahan", "Petugas Penyerahan Dokumen"),
            ("kasi", "Kasi"),
            ("kabid", "Kepala Bidang"),
            ("kadis", "Kepala Dinas"),
        ),
        steps=(
            ("pemohon", 10, "Berkas persyaratan"),
            ("operator_online", 10, "Berkas persyaratan"),
            ("kasi", 5, "Berkas persyaratan"),
            ("kabid", 5, "Berkas persyaratan"),
            ("kasi", 5, "Berkas persyaratan, blanko akta kematian dan buku register"),
            (
                "operator_capil",
                15,
                "Berkas persyaratan akta kematian, buku register yang sudah dicetak",
            ),
            ("pemohon", 5, "Berkas persyaratan, blanko akta kematian dan buku register"),
            (
                "petugas_penyerahan",
                10,
                "Berkas persyaratan akta kematian, buku register yang sudah dicetak",
            ),
            (
                "kadis",
                5,
                "Berkas persyaratan akta kematian, buku register yang sudah ditandatangani",
            ),
            ("petugas_penyerahan", 10, "Akta Kematian"),
        ),
        total=80,
        deadline=WAYKANAN_DAY,
    ),
    "waykanan-pengaduan.yaml": Flow(
        seed="001",
        office="waykanan",
        code="pengaduan",
        columns=(
            ("pelapor", "PELAPOR"),
            ("petugas_aduan", "PETUGAS PENERIMA ADUAN"),
            ("pejabat_pengaduan", "PEJABAT PENGELOLA PENGADUAN"),
            ("tim_penjawab", "TIM PENJAWAB ADUAN"),
        ),
        steps=(
            ("pelapor", 5, None),
            ("petugas_aduan", 5, None),
            ("petugas_aduan", 10, None),
            ("petugas_aduan", 10, None),
            ("tim_penjawab", 10, "Solusi"),
            ("pejabat_pengaduan", 10, "Solusi"),
            ("petugas_aduan", 10, "solusi"),
        ),
        total=60,
        deadline=WAYKANAN_DAY,
    ),
    "balangan-dik-jamila.yaml": Flow(
        seed="002",
        office="balangan",
        code="dik-jamila",
        columns=(
            ("operator_layanan", "OPERATOR LAYANAN"),
            ("operator_siak", "OPERATOR SIAK"),
            ("kasi", "KASI"),
            ("kabid", "KABID"),
            ("kadis", "KEPALA DINAS"),
        ),
        steps=(
            ("operator_layanan", 5, "Berkas lengkap"),
            ("operator_siak", 5, "Berkas lengkap dan benar"),
            ("operator_siak", 15, "Draft Dokumen Kependudukan dan/atau Pencatatan Sipil"),
            ("kasi", 10, "Draft Dokumen Kependudukan dan/atau Pencatatan Sipil"),
            ("kabid", 10, "Draft Dokumen Kependudukan dan/atau Pencatatan Sipil"),
            ("kadis", 10, "Dokumen yang telah dibubuh TTE (Tanda Tangan Elektronik)"),
            ("operator_siak", 10, "Dokumen telah di cetak/didownload"),
            ("operator_layanan", 5, "Dokumen diterima Pemohon"),
        ),
        total=70,
        deadline=None,
    ),
    "metro-dukcapil-siaga.yaml": Flow(
        seed="003",
        office="metro",
        code="dukcapil-siaga",
        columns=(
            ("pemohon", "PEMOHON"),
            ("petugas_dukcapil", "Petugas Dukcapil"),
            ("kasi", "KASI"),
            ("operator", "Operator"),
            ("kabid", "KABID"),
            ("kadis", "KADIS"),
            ("petugas_perekaman", "Petugas perekaman"),
        ),
        steps=(
            ("pemohon", 0, None),
            ("petugas_dukcapil", 5, None),
            ("kasi", 5, "Draft Dokumen KK"),
            ("operator", 5, "Draft Dokumen KK"),
            ("kabid", 2, "Draft Dokumen KK"),
            ("kadis", 1, "KK (Kartu Keluarga)"),
            ("petugas_perekaman", 5, "Biometrik hasil perekaman pemohon"),
            ("operator", 2, "KK dan KTP"),
            (
                "petugas_dukcapil",
                1,
                "- Pemberian KK dan KTP Kepada Pemohon - Arsip berkas persyaratan",
            ),
        ),
        total=26,
        deadline=None,
    ),
    "keliling-motor-keliling.yaml": Flow(
        seed="004",
        office="keliling",
        code="motor-keliling",
        columns=(
            ("petugas_khusus", "PETUGAS KHUSUS"),
            ("masyarakat", "JORONG / MASYARAKAT"),
            ("operator_wa", "OPERATOR WHATSAPP"),
            ("petugas_verifikasi", "PETUGAS VERIFIKASI"),
            ("operator_entri", "OPERATOR ENTRI"),
            ("kasi_teknis", "KASI TEKHNIS"),
            ("kadis", "KADIS"),
        ),
        steps=(
            (
                "petugas_khusus",
                None,
                "Petugas Khusus mengoperasikan Motor Pelayanan Keliling dilengkapi dengan"
                " peralatan untuk pelayanan dokumen kependudukan",
            ),
            ("masyarakat", None, "Foto Berkas dan kelengkapan"),
            (
                "operator_wa",
                None,
                "Foto Berkas dan kelengkapan sudah diprint oleh operator WA untuk diverifikasi",
            ),
            (
                "petugas_verifikasi",
                None,
                "Foto Berkas dan kelengkapan sudah diprint oleh operator WA sudah diverifikasi",
            ),
            (
                "operator_entri",
                None,
                "Foto Berkas dan kelengkapan sudah diprint oleh operator WA sudah diverifikasi"
                " lalu diinput ke SIAK dan cetak DRAF dilanjutkan ke Kasi Teknis",
            ),
            (
                "kasi_teknis",
                None,
                "Dokumen asli sudah diverifikasi lalu diinput ke SIAK dan cetak DRAF, sudah"
                " diajukan TTE ke Kadis",
            ),
            (
                "kadis",
                None,
                "Dokumen asli sudah diverifikasi lalu diinput ke SIAK dan cetak DRAF, sudah TTE"
                " oleh Kadis",
            ),
            (
                "operator_wa",
                None,
                "Dokumen asli sudah diverifikasi lalu diinput ke SIAK dan cetak DRAF, sudah TTE"
                " oleh Kadis dan PDF dokumen dikirim ke pemohon untuk dicetak",
            ),
            ("masyarakat", None, "PDF dokumen asli dikirim ke pemohon untuk dicetak"),
            ("masyarakat", None, "Dokumen asli sudah dicetak oleh pemohon"),
        ),
        total=0,
        deadline={"unit": "calendar_days", "amount": 7, "text": "Maksimal 1 Minggu"},
    ),
}

# First-line completeness checks: an incomplete file goes back to the applicant.
FIRST_LINE_CHECKS = [
    ("solok-marawa.yaml", "3"),
    ("waykanan-kk-baru.yaml", "2"),
    ("waykanan-skpwni.yaml", "2"),
    ("waykanan-ktp-el-penggantian.yaml", "2"),
    ("waykanan-kia-baru.yaml", "2"),
    ("waykanan-akta-kelahiran.yaml", "2"),
    ("waykanan-akta-kematian.yaml", "2"),
    ("waykanan-pengaduan.yaml", "2"),
    ("balangan-dik-jamila.yaml", "1"),
    ("metro-dukcapil-siaga.yaml", "2"),
    ("keliling-motor-keliling.yaml", "3"),
]

# Officer checks that correct/verify and send the file back one level: (file, step, to).
RETURNS = [
    ("solok-marawa.yaml", "4", "3"),
    ("waykanan-kk-baru.yaml", "3", "2"),
    ("waykanan-kk-baru.yaml", "4", "3"),
    ("waykanan-kk-baru.yaml", "5", "4"),
    ("waykanan-skpwni.yaml", "3", "2"),
    ("waykanan-skpwni.yaml", "4", "3"),
    ("waykanan-ktp-el-penggantian.yaml", "3", "2"),
    ("waykanan-kia-baru.yaml", "3", "2"),
    ("waykanan-akta-kelahiran.yaml", "3", "2"),
    ("waykanan-akta-kelahiran.yaml", "4", "3"),
    ("waykanan-akta-kematian.yaml", "3", "2"),
    ("waykanan-akta-kematian.yaml", "4", "3"),
    ("balangan-dik-jamila.yaml", "2", "1"),
    ("balangan-dik-jamila.yaml", "4", "3"),
    ("balangan-dik-jamila.yaml", "5", "4"),
    ("metro-dukcapil-siaga.yaml", "3", "2"),
    ("metro-dukcapil-siaga.yaml", "5", "4"),
    ("keliling-motor-keliling.yaml", "4", "3"),
    ("keliling-motor-keliling.yaml", "6", "5"),
]

# Where the table starts with the applicant (or the bot / field visit): the intake steps.
INTAKE = {
    "solok-marawa.yaml": ["1", "2"],
    "waykanan-kk-baru.yaml": ["1"],
    "waykanan-skpwni.yaml": ["1"],
    "waykanan-ktp-el-penggantian.yaml": ["1"],
    "waykanan-kia-baru.yaml": ["1"],
    "waykanan-akta-kelahiran.yaml": ["1"],
    "waykanan-akta-kematian.yaml": ["1"],
    "waykanan-pengaduan.yaml": ["1"],
    "balangan-dik-jamila.yaml": [],
    "metro-dukcapil-siaga.yaml": ["1"],
    "keliling-motor-keliling.yaml": ["1", "2"],
}

# "Pemohon menerima …": the applicant's closing steps complete by themselves.
AUTO = {
    "solok-marawa.yaml": ["7"],
    "keliling-motor-keliling.yaml": ["9", "10"],
}


def load(name: str) -> SopDefinition:
    definition, errors = read_file(PRESETS / name)
    assert not errors, "\n".join(str(e) for e in errors)
    assert definition is not None
    return definition


def targets(definition: SopDefinition, key: str, kind: str) -> list[str | None]:
    return [a.target for a in definition.step(key).actions if a.kind == kind]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_there_is_one_preset_per_seed_flow():
    assert sorted(p.name for p in PRESETS.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_preset_is_a_valid_sop_of_its_office(name):
    definition = load(name)
    expected = EXPECTED[name]
    assert (definition.office, definition.code) == (expected.office, expected.code)
    assert name == f"{expected.office}-{expected.code}.yaml"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_preset_reproduces_the_seed_table(name):
    definition = load(name)
    expected = EXPECTED[name]
    assert len(definition.steps) == len(expected.steps)
    for step, (role, minutes, output) in zip(definition.steps, expected.steps, strict=True):
        assert step.role == role, f"step {step.key}"
        assert step.minutes == minutes, f"step {step.key}"
        assert (step.output or None) == output, f"step {step.key}"
    assert definition.total_minutes == expected.total


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_swimlanes_are_the_seed_columns_in_order(name):
    definition = load(name)
    columns = tuple((r.code, r.label) for r in definition.roles if r.column)
    assert columns == EXPECTED[name].columns


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_deadline_is_the_one_the_seed_states(name):
    definition = load(name)
    expected = EXPECTED[name].deadline
    if expected is None:
        assert definition.deadline is None
    else:
        assert {k: definition.deadline[k] for k in expected} == expected


def test_solok_data_ganda_goes_to_the_database_administrator_and_back():
    definition = load("solok-marawa.yaml")
    assert targets(definition, "3", "escalate") == ["data_ganda"]
    assert targets(definition, "3", "request_documents") == [None]
    side = definition.step("data_ganda")
    assert side.side and side.number is None
    assert side.role == "admin_database"
    assert definition.role("admin_database").column is False
    assert definition.role("admin_database").kind == "staff"
    assert targets(definition, "data_ganda", "complete") == ["3"]
    # Side steps are not rows of the table: the total stays the seed's 18 minutes.
    assert definition.total_minutes == 18


def test_solok_information_bot_is_the_first_intake_step():
    definition = load("solok-marawa.yaml")
    step = definition.step("1")
    assert definition.role(step.role).kind == "bot"
    assert step.intake


@pytest.mark.parametrize("name,key", FIRST_LINE_CHECKS)
def test_first_line_check_can_ask_the_applicant_for_missing_documents(name, key):
    definition = load(name)
    assert "request_documents" in {a.kind for a in definition.step(key).actions}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_first_staff_step_can_refuse_the_application(name):
    definition = load(name)
    first_staff = next(
        s for s in definition.steps if definition.role(s.role).kind == "staff" and not s.intake
    )
    reject = [a for a in first_staff.actions if a.kind == "reject"]
    assert reject and reject[0].label.startswith("Tolak")


@pytest.mark.parametrize("name,key,to", RETURNS)
def test_officer_check_returns_one_level_down(name, key, to):
    definition = load(name)
    assert to in targets(definition, key, "return")
    assert {a.kind for a in definition.step(key).actions} & {"approve", "complete"}


def test_balangan_checks_return_to_the_previous_role():
    definition = load("balangan-dik-jamila.yaml")
    returns = {s.key: [a.target for a in s.actions if a.kind == "return"] for s in definition.steps}
    assert {k: v for k, v in returns.items() if v} == {"2": ["1"], "4": ["3"], "5": ["4"]}


def test_pengaduan_simple_complaint_ends_at_step_3_complex_one_goes_on_to_step_4():
    definition = load("waykanan-pengaduan.yaml")
    assert targets(definition, "3", "complete") == [END]
    assert targets(definition, "3", "escalate") == ["4"]
    assert definition.step("5").role == "tim_penjawab"
    assert definition.step("6").role == "pejabat_pengaduan"
    assert targets(definition, "7", "complete") == [END]


def test_waykanan_kia_verification_sends_an_incomplete_file_back_to_the_applicant():
    definition = load("waykanan-kia-baru.yaml")
    kinds = {a.kind for a in definition.step("2").actions}
    assert {"approve", "request_documents"} <= kinds


@pytest.mark.parametrize("name", ["waykanan-akta-kelahiran.yaml", "waykanan-akta-kematian.yaml"])
def test_akta_register_signing_waits_for_the_applicant_at_the_counter(name):
    definition = load(name)
    step = definition.step("7")
    assert definition.role(step.role).kind == "applicant"
    assert not step.intake and not step.auto
    assert step.assisted_by == "petugas_penyerahan"
    assert step.visible and step.applicant_text


def test_keliling_field_visit_is_a_staff_intake_step_and_the_flow_has_a_week():
    definition = load("keliling-motor-keliling.yaml")
    first = definition.step("1")
    assert first.intake and definition.role(first.role).kind == "staff"
    assert all(step.minutes is None for step in definition.steps)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_intake_and_closing_applicant_steps(name):
    definition = load(name)
    assert [s.key for s in definition.steps if s.intake] == INTAKE[name]
    assert [s.key for s in definition.steps if s.auto] == AUTO.get(name, [])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_step_says_what_the_applicant_is_told(name):
    raw = yaml.safe_load((PRESETS / name).read_text(encoding="utf-8"))
    for step in raw["steps"] + raw.get("side_steps", []):
        where = step.get("number", step.get("key"))
        assert isinstance(step.get("applicant"), dict), f"step {where}"
        assert isinstance(step["applicant"].get("visible"), bool), f"step {where}"
    definition = load(name)
    for step in definition.all_steps:
        if step.visible:
            assert step.applicant_text, f"step {step.key}"
    # The resident hears when the request is received and when it is finished.
    assert definition.steps[-1].visible


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_role_codes_are_short_lowercase_keys(name):
    definition = load(name)
    for role in definition.roles:
        assert re.fullmatch(r"[a-z][a-z0-9_]{1,23}", role.code), role.code


def test_an_office_uses_one_code_per_position_across_its_flows():
    by_office: dict[str, dict[str, set[str]]] = {}
    for name in EXPECTED:
        definition = load(name)
        for role in definition.roles:
            codes = by_office.setdefault(definition.office, {})
            codes.setdefault(squash(role.label).lower(), set()).add(role.code)
    for office, labels in by_office.items():
        for label, codes in labels.items():
            assert len(codes) == 1, f"{office}: {label!r} has codes {sorted(codes)}"
    waykanan = {
        role.code for name in EXPECTED if name.startswith("waykanan-") for role in load(name).roles
    }
    assert {"kasi", "kabid", "kadis", "operator_online"} <= waykanan


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_activities_are_the_seeds_own_words(name):
    if not SEEDS.is_dir():
        pytest.skip(f"seeds not available at {SEEDS}")
    expected = EXPECTED[name]
    [seed_file] = SEEDS.glob(f"{expected.seed}_*.txt")
    seed = squash(seed_file.read_text(encoding="utf-8"))
    definition = load(name)
    for step in definition.steps:
        assert squash(step.activity) in seed, f"step {step.key}: {step.activity!r}"


# -- office catalogues --------------------------------------------------------------------------


def flows_by_office() -> dict[str, set[str]]:
    flows: dict[str, set[str]] = {}
    for path in PRESETS.glob("*.yaml"):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        flows.setdefault(raw["office"], set()).add(raw["code"])
    return flows


def catalogue_names() -> list[str]:
    return sorted(p.name for p in OFFICES.glob("*.yaml"))


def test_there_is_one_catalogue_per_office_with_flows():
    assert [name.removesuffix(".yaml") for name in catalogue_names()] == sorted(flows_by_office())


@pytest.mark.parametrize("name", catalogue_names())
def test_every_service_runs_on_a_flow_of_its_office_and_every_flow_is_offered(name):
    catalogue = yaml.safe_load((OFFICES / name).read_text(encoding="utf-8"))
    flows = flows_by_office()[catalogue["code"]]
    used = set()
    for service in catalogue["services"]:
        assert service["sop"] in flows, f"{service['code']}: unknown flow {service['sop']}"
        used.add(service["sop"])
    assert used == flows


@pytest.mark.parametrize("name", catalogue_names())
def test_catalogue_codes_prefixes_and_channels_are_consistent(name):
    catalogue = yaml.safe_load((OFFICES / name).read_text(encoding="utf-8"))
    assert name == f"{catalogue['code']}.yaml"
    services = [s["code"] for s in catalogue["services"]]
    prefixes = [s["prefix"] for s in catalogue["services"]]
    assert len(set(services)) == len(services)
    assert len(set(prefixes)) == len(prefixes)
    assert all(re.fullmatch(r"[A-Z]{2,4}", p) for p in prefixes)
    offered = set()
    for channel in catalogue["channels"]:
        digits = re.sub(r"\D", "", channel["phone"])
        assert channel["phone_number_id"] == "62" + digits.removeprefix("0")
        offered |= set(channel["services"])
    assert offered == set(services)


def test_waykanan_kia_photos_are_asked_only_from_age_five():
    catalogue = yaml.safe_load((OFFICES / "waykanan.yaml").read_text(encoding="utf-8"))
    kia = next(s for s in catalogue["services"] if s["code"] == "kia-baru")
    photo = next(r for r in kia["requirements"] if r["code"] == "pas_foto")
    assert photo["when"] == {"question": "child_age", "gte": 5}
    assert "(untuk umur >5th)" in photo["label"]
