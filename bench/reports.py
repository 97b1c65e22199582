"""Benchmark: the office reports and the console at the scale of a district for years.

    .venv/bin/python bench/reports.py [--requests 1000000] [--days 730] [--backend postgres]
                                      [--repeat 15] [--keep | --reuse] [--database NAME]
                                      [--load-only] [--no-backfill] [--only TEXT]

**Database.** PostgreSQL ``layan_bench_reports`` (``--database``) on the server
``LAYAN_BENCH_POSTGRES`` names (default ``postgres://postgres@127.0.0.1:5432``), or SQLite with
``--backend sqlite`` (in a temporary directory, or in ``var/bench-reports/`` with ``--keep`` or
``--reuse``). It is migrated and given the seed offices, their staff (``<office>.<role>``, the
all-roles ``<office>.semua`` and ``demo.semua``) and the demo's region table.

**History.** ``--requests`` requests over ``--days`` days before today, across the five offices
(Way Kanan weighted higher), each walked through its own SOP the way the engine writes it: the
submission and intake, one event per action of the step's officer (a demo user holding the
step's role, sometimes an all-roles one), claims, waits on the applicant, returns, escalations
(complaints, Solok's duplicate data), rejections; the step passages with working minutes around
the SOP's standard, on the office's calendar; the signed document of a signing step (a few
superseded, some revoked), the card's print and hand-over, the signed PDF sent on WhatsApp, the
register book line, a survey for a third of the completed. Applicants have valid NIKs of the
office's kecamatan (birth dates, +40 for women); data entry fills the service's own fields
(desa/kelurahan from a few dozen names per office). Requests of the last days are open at some
step (some claimed, some waiting on the applicant, the late ones flagged as the SLA sweep does).
Every row satisfies the database's constraints. Rows go in with COPY (PostgreSQL, then VACUUM
ANALYZE) or executemany in chunks (SQLite, with bulk-load pragmas, then ANALYZE).

``--reuse`` keeps the loaded database and, on a later run with the same ``--requests``,
``--days`` and ``--seed``, migrates it and measures again without loading (the generator's
arguments are kept in the table ``bench_reports_load``); ``--keep`` leaves the database after
the run, which otherwise drops it; ``--load-only`` stops after the load.

**Measurements.** First ``layan.reports.rollups.fill_all()`` fills the rollups (the reports read
them): the backfill of the whole period from nothing (``--no-backfill``: from where they stopped),
then one day of every office is filled again, timed alone. Then, after waiting (at most
``--quiet-wait`` s) for other processes to leave the machine idle, in process, for Way Kanan,
p50/p95 over ``--repeat`` runs (at most ``--budget`` s each): the report selectors (rekap, SLA,
complaints, IKM for last month and for the last year; backlog, head card, the five offices
compared), the console's pages through Django's test client (the report page, the queue page
of an operator, a kasi and the all-roles officer, the closed requests, the supervisor's page, an
open and a completed request page) and the API's report calls with a token; with the number of
SQL queries of each and the machine's CPU while it ran. Last, the EXPLAIN of the slowest SQL
query any measurement made.

Bounded by its arguments; no network beyond the database on loopback. Exits 0 with ``SKIPPED``
when PostgreSQL is not reachable.
"""

from __future__ import annotations

import argparse
import base64
import inspect
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("LAYAN_BENCH_POSTGRES") or "postgres://postgres@127.0.0.1:5432"
DB_NAME = "layan_bench_reports"
SQLITE_DIR = ROOT / "var" / "bench-reports"
META_TABLE = "bench_reports_load"
GENERATOR = 3  # bump when the generator's output changes: a kept database is then reloaded
PASSWORD = "bench-pass-123"  # noqa: S105 (the throw-away database's demo users)


# ------------------------------------------------------------------------------ the database


@dataclass
class Target:
    backend: str
    name: str  # PostgreSQL database name, or the SQLite data directory
    keep: bool
    reuse: bool
    wanted: dict  # the generator's arguments
    reused: bool = False


def _pg_loaded(name: str, wanted: dict) -> bool | None:
    """Whether database ``name`` holds a finished load with ``wanted`` arguments (None: it does
    not exist)."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as c:
        if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            return None
    try:
        with psycopg.connect(f"{PG_SERVER}/{name}", connect_timeout=3) as c:
            row = c.execute(f"SELECT value FROM {META_TABLE} WHERE name = 'args'").fetchone()  # noqa: S608
    except psycopg.Error:
        return False
    return row is not None and json.loads(row[0]) == wanted


def _sqlite_loaded(path: Path, wanted: dict) -> bool | None:
    if not path.exists():
        return None
    try:
        with sqlite3.connect(path) as c:
            row = c.execute(f"SELECT value FROM {META_TABLE} WHERE name = 'args'").fetchone()  # noqa: S608
    except sqlite3.Error:
        return False
    return row is not None and json.loads(row[0]) == wanted


def prepare_database(target: Target, data_dir: str) -> bool:
    """Create (or, with ``--reuse``, find) the database and set Django up on it; False when
    PostgreSQL is not reachable."""
    os.environ["LAYAN_DATA_DIR"] = data_dir
    os.environ["LAYAN_TASK_BACKEND"] = "immediate"
    # Pages are timed for a signed-in officer; the two-step sign-in is not what is measured.
    os.environ["LAYAN_REQUIRE_2FA"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "layan.settings"
    os.environ.pop("DATABASE_URL", None)
    if target.backend == "postgres":
        import psycopg

        try:
            loaded = _pg_loaded(target.name, target.wanted)
            target.reused = bool(target.reuse and loaded)
            if not target.reused:
                with psycopg.connect(
                    f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3
                ) as c:
                    c.execute(f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)')
                    c.execute(f'CREATE DATABASE "{target.name}"')
        except psycopg.OperationalError as exc:
            print(f"SKIPPED: PostgreSQL at {PG_SERVER} is not reachable ({exc.__class__.__name__})")
            return False
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{target.name}"
    else:
        path = Path(data_dir) / "layan.sqlite3"
        target.reused = bool(target.reuse and _sqlite_loaded(path, target.wanted))
        if not target.reused:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)  # a reused one gets new migrations
    if not target.reused:
        from layan.demo.loader import (
            create_demo_staff,
            create_demo_teams,
            load_demo_regions,
            load_presets,
        )

        load_presets()
        create_demo_staff(PASSWORD)
        create_demo_teams(PASSWORD)
        load_demo_regions()
    return True


def drop_database(target: Target) -> None:
    from django.db import connections

    connections.close_all()
    if target.backend == "postgres":
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)')


def record_load(wanted: dict, counts: dict) -> None:
    """Mark the load as finished, with its arguments (what ``--reuse`` compares)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {META_TABLE} (name varchar(40) PRIMARY KEY, value text)")
        for name, value in (
            ("args", wanted),
            ("counts", counts),
            ("loaded_at", datetime.now(UTC).isoformat()),
        ):
            cursor.execute(
                f"INSERT INTO {META_TABLE} (name, value) VALUES (%s, %s)",  # noqa: S608
                [name, json.dumps(value)],
            )


def load_info() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name, value FROM {META_TABLE}")  # noqa: S608
        return {name: json.loads(value) for name, value in cursor.fetchall()}


# ------------------------------------------------------------------------------ places, people

# Desa, kelurahan or nagari names (a sample per kecamatan, for data entry), by the kecamatan's
# code in the demo's region table (``layan/demo/regions.csv``, Kemendagri codes and names).
VILLAGES: dict[str, tuple[str, ...]] = {
    # Kabupaten Way Kanan
    "18.08.01": ("Blambangan Umpu", "Tanjung Raja Giham", "Karang Umpu", "Sri Rejeki",
                 "Gedung Batin"),
    "18.08.02": ("Kasui Pasar", "Karang Lantang", "Jaya Tinggi"),
    "18.08.03": ("Pasar Banjit", "Bali Sadhar Utara", "Bali Sadhar Selatan", "Rantau Temiang"),
    "18.08.04": ("Tiuh Balak Pasar", "Setia Negara", "Gedung Rejo", "Bhakti Negara"),
    "18.08.05": ("Mesir Ilir", "Mesir Udik", "Bumi Harjo"),
    "18.08.06": ("Pakuan Ratu", "Negeri Ratu", "Gunung Cahya"),
    "18.08.07": ("Negeri Agung", "Tanjung Rejo"),
    "18.08.08": ("Way Tuba", "Say Umpu", "Bumi Dana"),
    "18.08.09": ("Rebang Tangkas", "Lebak Peniangan"),
    "18.08.10": ("Gunung Labuhan", "Sungai Tuha"),
    "18.08.11": ("Negara Batin", "Sri Menanti"),
    "18.08.12": ("Negeri Besar", "Kiling-Kiling"),
    "18.08.13": ("Bumi Agung Wates", "Tanjung Serupa"),
    "18.08.14": ("Bumi Agung", "Mulyo Sari"),
    "18.08.15": ("Gunung Sari", "Umpu Bhakti"),
    # Kabupaten Solok
    "13.02.03": ("Surian", "Lolo"),
    "13.02.04": ("Alahan Panjang", "Salimpat", "Sungai Nanam"),
    "13.02.05": ("Aia Luo", "Supayang"),
    "13.02.06": ("Koto Laweh", "Bukit Sileh", "Batu Banyak"),
    "13.02.07": ("Cupak", "Talang", "Koto Gaek Guguak", "Jawi-Jawi"),
    "13.02.08": ("Muaro Paneh", "Dilam", "Kinari"),
    "13.02.09": ("Bukit Tandang", "Siaro"),
    "13.02.10": ("Selayo", "Koto Baru", "Saok Laweh", "Gaung"),
    "13.02.11": ("Singkarak", "Sumani", "Saniang Baka", "Kacang"),
    "13.02.12": ("Sulit Air", "Tanjung Balik"),
    "13.02.13": ("Paninggahan", "Muaro Pingai"),
    "13.02.17": ("Talang Babungo", "Sariak Alahan Tigo"),
    "13.02.18": ("Simanau", "Batu Bajanjang"),
    "13.02.19": ("Kampung Batu Dalam", "Simpang Tanjung Nan IV"),
    # Kabupaten Pasaman Barat (the Motor Keliling)
    "13.12.01": ("Air Bangis", "Sikabau"),
    "13.12.02": ("Ujung Gading", "Rabi Jonggor"),
    "13.12.03": ("Lingkuang Aua", "Aia Gadang", "Koto Baru"),
    "13.12.04": ("Talu", "Sinuruik", "Kajai"),
    "13.12.05": ("Kinali", "Katiagan"),
    "13.12.06": ("Muaro Kiawai", "Batang Lingkin"),
    "13.12.07": ("Batahan", "Desa Baru"),
    "13.12.08": ("Parit", "Sungai Aua"),
    "13.12.09": ("Sungai Aur", "Aia Manggih"),
    "13.12.10": ("Kapa", "Koto Pinang"),
    "13.12.11": ("Sasak",),
    # Kabupaten Balangan
    "63.11.01": ("Juai", "Lalayau", "Mungkur Uyam"),
    "63.11.02": ("Halong", "Mauya", "Uren"),
    "63.11.03": ("Awayan", "Pudak", "Tundai"),
    "63.11.04": ("Batumandi", "Mampari", "Bakung"),
    "63.11.05": ("Lampihong Kanan", "Lampihong Kiri", "Kusambi Hulu"),
    "63.11.06": ("Paringin Kota", "Paringin Timur", "Batu Piring", "Lasung Batu"),
    "63.11.07": ("Balida", "Hujan Mas", "Murung Ilung"),
    "63.11.08": ("Tebing Tinggi", "Dayak Pitap"),
    # Kota Metro
    "18.72.01": ("Metro", "Imopuro", "Hadimulyo Barat", "Hadimulyo Timur", "Yosomulyo"),
    "18.72.02": ("Banjarsari", "Purwosari", "Purwoasri", "Karangrejo"),
    "18.72.03": ("Mulyojati", "Mulyosari", "Ganjar Agung", "Ganjar Asri"),
    "18.72.04": ("Iringmulyo", "Yosodadi", "Yosorejo", "Tejoagung", "Tejosari"),
    "18.72.05": ("Margorejo", "Rejomulyo", "Sumbersari", "Margodadi"),
}  # fmt: skip
# The kecamatan of the regency's seat (more of the office's residents live there).
SEATS = ("18.08.01", "13.02.07", "13.12.03", "63.11.06", "18.72.01")


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


MEN = words(
    "Ahmad Budi Joko Rudi Agus Hendra Andi Yusuf Rizki Fajar Dedi Eko Hasan Imam Irfan Kurniawan "
    "Muhammad Nanda Rahmat Saiful Taufik Wahyu Zainal Arif Bambang Darmawan Firman Gilang Hamdan "
    "Syahrul Iwan Sugeng Slamet Heru Zulkifli Fauzan Ilham Riko Yoga"
)
WOMEN = words(
    "Siti Dewi Rina Sri Nur Ani Fitri Indah Lestari Maya Nurul Putri Ratna Sari Wulan Yanti "
    "Aisyah Dian Eka Fatimah Hartini Kartika Lina Mega Novi Rahmawati Suryani Titin Umi Zahra "
    "Nadia Salsabila Yuliana Rosmiati Juwita Anisa Melati Halimah Marlina Desi"
)
SURNAMES = words(
    "Saputra Pratama Wijaya Santoso Hidayat Gunawan Setiawan Kusuma Ramadhan Lubis Nasution "
    "Siregar Harahap Syahputra Permana Rahman Hakim Maulana Firmansyah Hasibuan Efendi Yulianti "
    "Susanti Wahyuni Handayani Anggraini Puspita Rahayu Safitri Kurnia Fadhilah Zulaikha Amalia"
)
STREETS = (
    "Jl. Lintas Sumatera",
    "Jl. Merdeka",
    "Jl. Pahlawan",
    "Jl. Sudirman",
    "Jl. Ahmad Yani",
    "Jl. Imam Bonjol",
    "Jl. Diponegoro",
    "Jl. Pramuka",
    "Jl. Veteran",
    "Jl. Kartini",
)
SETTLEMENTS = ("Dusun", "Jorong", "Kampung", "Lingkungan")
JOBS = (
    "Petani/Pekebun",
    "Wiraswasta",
    "Pelajar/Mahasiswa",
    "Mengurus Rumah Tangga",
    "Karyawan Swasta",
    "Pedagang",
    "Buruh Harian Lepas",
    "Guru",
    "Pegawai Negeri Sipil",
    "Belum/Tidak Bekerja",
)
COMPLAINTS = (
    "Nama ibu kandung di KK tertulis salah, mohon diperbaiki.",
    "Sudah dua minggu KTP-el belum jadi, padahal sudah perekaman.",
    "Petugas di loket tidak ramah dan meminta syarat yang tidak ada di SOP.",
    "Pesan WhatsApp saya tidak dibalas sejak kemarin.",
    "Tanggal lahir di akta kelahiran anak saya keliru.",
    "NIK saya tidak aktif waktu mendaftar BPJS.",
    "Data saya ganda di dua KK yang berbeda.",
)
ANSWERS = (
    "Data pada KK sudah kami perbaiki; PDF KK yang baru kami kirim untuk dicetak.",
    "KTP-el Anda sudah dicetak dan dapat diambil di loket pengambilan.",
    "Mohon maaf atas keterlambatan; berkas Anda sudah kami proses hari ini.",
    "Keluhan tentang petugas sudah kami teruskan ke Kepala Bidang dan ditindaklanjuti.",
    "Layanan WhatsApp sudah normal kembali; silakan kirim ulang permohonan Anda.",
    "Perbaikan tanggal lahir pada akta memerlukan penetapan pengadilan; syaratnya kami kirim.",
    "NIK Anda sudah aktif kembali; silakan coba mendaftar lagi.",
    "Data ganda sudah diselesaikan oleh Administrator Database.",
)
ASK_NOTES = (
    "Mohon kirim ulang foto KK yang lebih jelas.",
    "Foto KTP-el terpotong, mohon kirim ulang.",
    "Surat keterangan dari desa belum dilampirkan.",
    "Formulir belum ditandatangani, mohon dikirim ulang.",
)
RETURN_NOTES = (
    "Nama ibu tidak sesuai dengan akta, mohon diperiksa.",
    "Alamat belum lengkap.",
    "Nomor KK keliru, mohon dicek ulang.",
)
REJECT_NOTES = (
    "Bukan warga wilayah ini.",
    "Persyaratan tidak dilengkapi setelah diminta.",
    "Permohonan ganda: dokumen sudah pernah diterbitkan.",
)
REVOKE_NOTES = (
    "Salah ketik nama pada dokumen.",
    "Diterbitkan ganda.",
    "Data berubah atas permintaan pemohon.",
)
RELATIONS = ("Suami", "Istri", "Anak", "Orang tua", "Saudara")


@dataclass
class Person:
    name: str
    nik: str
    female: bool
    born: date


def make_nik(rng: random.Random, district: str, born: date, female: bool) -> str:
    """A NIK by :mod:`layan.registry.nik`'s rules: district code, birth date (day + 40 for
    women), a serial that is never 0000."""
    day = born.day + (40 if female else 0)
    return f"{district.replace('.', '')}{day:02d}{born.month:02d}{born.year % 100:02d}" + (
        f"{rng.randint(1, 9999):04d}"
    )


def make_person(rng, district: str, today: date, *, age: tuple[int, int] = (17, 75), female=None):
    female = rng.random() < 0.5 if female is None else female
    born = today - timedelta(days=rng.randint(age[0] * 365, age[1] * 365))
    first = rng.choice(WOMEN if female else MEN)
    name = first if rng.random() < 0.2 else f"{first} {rng.choice(SURNAMES)}"
    return Person(name, make_nik(rng, district, born, female), female, born)


# ------------------------------------------------------------------------------ the flows


@dataclass
class Flow:
    """A service with what the generator needs of it, read once."""

    service: object
    office: object
    version_id: int
    parsed: object
    rows: dict  # step key -> SopStep pk
    kind: object  # the document type (documents.kinds.Kind) or None
    fields: list
    questions: list
    requirements: list  # (code, kind) of typed requirements
    channel_id: int | None
    staff: dict  # role code -> [(user id, username)] with weights
    weights: dict
    readers: list  # supervisors and administrators (who revoke documents)
    cal: object
    region: str  # the regency code PP.KK
    districts: list  # (code PP.KK.DD, name, villages)
    district_weights: list
    data_entry: bool = False
    signs: bool = False


def flows() -> list[Flow]:
    from django.contrib.auth import get_user_model

    from layan.cases.sla import calendar_for
    from layan.demo.loader import demo_districts
    from layan.documents.kinds import kind_of
    from layan.offices.fields import fields_of
    from layan.offices.models import Channel, Service, StaffRole
    from layan.registry.models import Region

    names = dict(Region.objects.filter(level=Region.Level.DISTRICT).values_list("code", "name"))
    users = {u.username: u.pk for u in get_user_model().objects.all()}
    holders: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for office, role, username in StaffRole.objects.values_list(
        "role__office__code", "role__code", "user__username"
    ):
        holders.setdefault((office, role), []).append((users[username], username))
    out = []
    for service in (
        Service.objects.filter(is_active=True)
        .select_related("office", "sop")
        .order_by("office__code", "position", "code")
    ):
        office = service.office
        version = service.sop.current_version
        parsed = version.parsed
        staff, weights = {}, {}
        for role in {parsed.acting_role(s) for s in parsed.all_steps} - {None}:
            people = sorted(holders.get((office.code, role), []), key=lambda p: p[1])
            # the role's own officer mostly, the all-roles officers now and then
            staff[role] = people
            weights[role] = [
                1 if u.endswith(".semua") else 12 for _pk, u in people
            ]  # fmt: skip
        channel = (
            Channel.objects.filter(office=office, services=service).values_list("pk", flat=True)
        ).first() or Channel.objects.filter(office=office).values_list("pk", flat=True).first()
        # the kecamatan of the office's regency, its seat first
        codes = sorted(demo_districts(office), key=lambda code: (code not in SEATS, code))
        places = [(c, names.get(c, c), VILLAGES.get(c) or (names.get(c, c),)) for c in codes]
        out.append(
            Flow(
                service=service,
                office=office,
                version_id=version.pk,
                parsed=parsed,
                rows=dict(version.steps.values_list("key", "pk")),
                kind=kind_of(service),
                fields=fields_of(service),
                questions=list(service.questions),
                requirements=[
                    (r.code, r.kind)
                    for r in service.requirements.all()
                    if r.kind in ("nik", "text")
                ],
                channel_id=channel,
                staff=staff,
                weights=weights,
                readers=[
                    pk
                    for role in ("supervisor", "admin")
                    for pk, _u in holders.get((office.code, role), [])
                ],
                cal=calendar_for(office),
                region=codes[0][:5],
                districts=places,
                district_weights=[4] + [1] * (len(places) - 1),
                data_entry=any(s.data_entry for s in parsed.all_steps),
                signs=any(s.document == "sign" for s in parsed.all_steps),
            )
        )
    return out


# ------------------------------------------------------------------------------ the generator


@dataclass
class Ids:
    """The next id of every table the generator writes (continuing after existing rows)."""

    case: int = 0
    event: int = 0
    passage: int = 0
    survey: int = 0
    document: int = 0
    handover: int = 0
    register: int = 0
    flag: int = 0

    def next(self, name: str) -> int:
        value = getattr(self, name) + 1
        setattr(self, name, value)
        return value


@dataclass
class Batch:
    cases: list = field(default_factory=list)
    events: list = field(default_factory=list)
    passages: list = field(default_factory=list)
    surveys: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    handovers: list = field(default_factory=list)
    registers: list = field(default_factory=list)
    outbox: list = field(default_factory=list)
    flags: list = field(default_factory=list)


CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # layan.cases.codes


def tracking_code(prefix: str, case_id: int) -> str:
    """``PREFIX-XXXXXX``, unique per request: the id through a bijection of [0, 32**6)."""
    mixed = (case_id * 0x2C9277B5 + 0x1234567) % (32**6)
    body = ""
    for _ in range(6):
        mixed, digit = divmod(mixed, 32)
        body += CODE_ALPHABET[digit]
    return f"{prefix}-{body}"


def rand_hex(rng: random.Random, n: int) -> str:
    return rng.randbytes(n // 2).hex()


def public_id(rng: random.Random) -> str:
    return base64.b32encode(rng.randbytes(16)).decode().rstrip("=").lower()


class Walker:
    """Walks one request through its SOP as the engine records it."""

    def __init__(
        self, rng: random.Random, now: datetime, ids: Ids, batch: Batch, counters: dict, flows
    ):
        self.rng, self.now, self.ids, self.batch, self.counters = rng, now, ids, batch, counters
        self.elsewhere = sorted({d for flow in flows for d in flow.districts})

    # -- the request's data

    def form(self, flow: Flow, applicant: Person, district, village: str) -> tuple[dict, dict]:
        """(what the applicant answered at submission, what data entry types in)."""
        rng, today = self.rng, self.now.date()
        code, name, _villages = district
        answers: dict = {}
        for question in flow.questions:
            kind = question.get("kind")
            if kind == "choice":
                choices = question.get("choices") or []
                items = list(choices.items()) if isinstance(choices, dict) else list(choices)
                answers[question["code"]] = str(rng.choice(items)[0]) if items else ""
            elif kind == "number":
                answers[question["code"]] = rng.randint(0, 17)
            elif kind == "date":
                answers[question["code"]] = (today - timedelta(days=rng.randint(1, 60))).isoformat()
            else:
                answers[question["code"]] = f"{village}, Kec. {name}"
        for req_code, kind in flow.requirements:
            if kind == "nik":
                answers[req_code] = applicant.nik
            else:
                answers[req_code] = rng.choice(COMPLAINTS)
        entry: dict = {}
        kk = f"{code.replace('.', '')}{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}" + (
            f"{rng.randint(5, 24):02d}{rng.randint(1, 9999):04d}"
        )
        people = {"": applicant}
        for spec in flow.fields:
            if spec.kind == "table":
                count = max(spec.min_rows, 1, min(spec.max_rows, rng.choice((1, 2, 3, 4, 5))))
                entry[spec.code] = [
                    {
                        col.code: self.value(col, people if i == 0 else {}, district, village, kk)
                        for col in spec.columns
                    }
                    for i in range(count)
                ]
            else:
                entry[spec.code] = answers.get(spec.code) or self.value(
                    spec, people, district, village, kk
                )
        return answers, entry

    def person(self, people: dict, code: str, district) -> Person:
        """Who a field is about: the applicant, or the child, father, mother, … it names."""
        key = ""
        for prefix in ("nik_", "nama_"):
            if code.startswith(prefix):
                key = code[len(prefix) :]
        if code.endswith(("_ayah", "_ibu", "_anak")):
            key = code.rsplit("_", 1)[1]
        if key in ("lengkap", "pemohon", "kepala_keluarga"):
            key = ""
        if key not in people:
            young = (0, 16) if key == "anak" else (20, 80)
            people[key] = make_person(self.rng, district[0], self.now.date(), age=young)
        return people[key]

    def value(self, spec, people: dict, district, village: str, kk: str):
        rng, code, kind = self.rng, spec.code, spec.kind
        if kind == "nik":
            return self.person(people, code, district).nik
        if kind == "kk":
            return kk
        if kind == "date":
            return self.person(people, code, district).born.isoformat()
        if kind == "choice":
            if code == "jenis_kelamin":
                return "P" if self.person(people, code, district).female else "L"
            return rng.choice(spec.choices)[0] if spec.choices else ""
        if kind == "number":
            return rng.randint(1, 5)
        if code == "desa_kelurahan":
            return village
        if code == "kecamatan":
            return district[1]
        if code.startswith("nama") or code == "nama":
            return self.person(people, code, district).name
        if "alamat" in code:
            return f"{rng.choice(SETTLEMENTS + STREETS)} {rng.randint(1, 40)}, {village}"
        if code == "rt_rw":
            return f"{rng.randint(1, 15):03d}/{rng.randint(1, 8):03d}"
        if code == "kode_pos":
            return f"{rng.randint(10000, 99999)}"
        if "tempat" in code:
            return district[1]
        if "pekerjaan" in code:
            return rng.choice(JOBS)
        if code == "destination":
            return f"{rng.choice(STREETS)}, Kota Bandar Lampung"
        return f"{spec.label} {rng.randint(1, 999)}"[:100]

    # -- one request

    def request(self, flow: Flow, created: datetime, *, stay_open: bool, reject: bool) -> None:
        rng, now, ids, batch = self.rng, self.now, self.ids, self.batch
        parsed, office = flow.parsed, flow.office
        case_id = ids.next("case")
        district = rng.choices(flow.districts, flow.district_weights)[0]
        # one in thirty moved in: a NIK issued in a kecamatan of another office
        nik_district = rng.choice(self.elsewhere) if rng.random() < 0.03 else district
        village = rng.choice(district[2])
        applicant = make_person(rng, nik_district[0], created.date())
        answers, entry = self.form(flow, applicant, district, village)
        channel = rng.choices(
            ("whatsapp", "counter", "field", "api", "reporter"), (60, 30, 8, 2, 3)
        )[0]
        if office.code == "keliling":  # the motor goes to the jorong
            channel = rng.choices(("whatsapp", "field", "counter"), (4, 5, 1))[0]
        phone = ""
        if channel in ("whatsapp", "reporter") or rng.random() < 0.7:
            phone = f"628{rng.randint(11, 59)}{rng.randint(10_000_000, 99_999_999)}"
        first_staff = next((r for r in (parsed.acting_role(s) for s in parsed.steps) if r), None)
        submitted_by, submitter_kind, submitter_name, submitter_phone = None, "applicant", "", ""
        if channel in ("counter", "field", "api") and flow.staff.get(first_staff):
            submitted_by, username = flow.staff[first_staff][0]
            submitter_kind = "field_officer" if channel == "field" else "staff"
            submitter_name = username
        elif channel == "reporter":
            submitter_kind = "third_party"
            submitter_name = make_person(rng, district[0], created.date()).name
            submitter_phone = f"628{rng.randint(11, 59)}{rng.randint(10_000_000, 99_999_999)}"
        due = sla_case_due(flow, created)
        state = Walk(case_id=case_id, at=created, due=due)

        def append(kind, action, frm, to, status, *, at, actor=None, actor_name="",
                   actor_kind="staff", role="", note="", data=None):  # fmt: skip
            state.seq += 1
            state.status = status
            at = state.last_at = max(at, state.last_at)
            batch.events.append({
                "id": ids.next("event"), "case_id": case_id, "seq": state.seq, "at": at,
                "actor_id": actor, "actor_kind": actor_kind, "actor_name": actor_name,
                "role": role, "action": action, "kind": kind, "from_step": frm, "to_step": to,
                "status": status, "note": note, "data": json.dumps(data or {}),
                "step_due_at": None if status in ("completed", "rejected") else state.step_due,
                "due_at": due,
            })  # fmt: skip
            return state.seq

        def passage(step, left_at, minutes, waited, by, how):
            batch.passages.append({
                "id": ids.next("passage"), "case_id": case_id, "office_id": office.pk,
                "service_id": flow.service.pk, "step": step.key, "step_number": step.number or 0,
                "role": parsed.acting_role(step) or "", "entered_seq": state.entered_seq,
                "entered_at": state.entered_at, "left_at": left_at,
                "working_minutes": round(minutes, 4), "waited_minutes": round(waited, 4),
                "standard_minutes": step.minutes, "left_by_id": by, "left_how": how,
            })  # fmt: skip

        step = parsed.first_step
        state.step_due = step_due(flow, step, created, due)
        append("submit", "submit", "", step.key, self.entering_status(flow, step, "submitted"),
               at=created, actor_name=applicant.name, actor_kind="applicant",
               data={"service": flow.service.code})  # fmt: skip
        state.entered_seq, state.entered_at = state.seq, created
        staff_moves, returned, form_done = 0, False, False
        stop_after = rng.randint(0, 6) if stay_open else None
        escalate_share = 0.3 if flow.service.is_complaint else 0.03
        closed = None
        for _guard in range(40):
            acting = parsed.acting_role(step)
            if acting is None:  # intake and automatic steps pass on arrival
                forward = next(a for a in step.actions if a.kind in ("complete", "approve"))
                target = resolve(parsed, step, forward)
                how = "intake" if step.intake else "auto"
                by_kind, by_name = (
                    ("applicant", applicant.name) if step.intake else ("system", "layan")
                )
                at = state.at
                passage(step, at, 0.0, 0.0, None, how)
                if target == "end":
                    append(how, forward.id, step.key, "end", "completed", at=at,
                           actor_kind=by_kind, actor_name=by_name)  # fmt: skip
                    closed = ("completed", at)
                    break
                nxt = parsed.step(target)
                state.step_due = step_due(flow, nxt, at, due)
                append(how, forward.id, step.key, target,
                       self.entering_status(flow, nxt, state.status), at=at,
                       actor_kind=by_kind, actor_name=by_name)  # fmt: skip
                state.entered_seq, state.entered_at, step = state.seq, at, nxt
                continue
            people = flow.staff.get(acting)
            user, username = rng.choices(people, flow.weights[acting])[0] if people else (None, "")
            standard = step.minutes
            slow = rng.random() < 1 / 6
            minutes = max(
                0.5, rng.lognormvariate(0, 0.5) * (standard or 10) * (2.5 if slow else 0.6)
            )
            waits_on_entry = state.status == "waiting_applicant"
            ask = next((a for a in step.actions if a.kind == "request_documents"), None)
            asks = ask is not None and not waits_on_entry and rng.random() < 0.1
            waited = rng.uniform(60, 2500) if waits_on_entry else (
                rng.uniform(120, 2000) if asks else 0.0
            )  # fmt: skip
            # Times on the office's calendar: the passage's working minutes are what the
            # reports would compute from these events.
            at, cal = state.at, flow.cal
            if asks:
                asked = cal.add_working_minutes(at, minutes * 0.3)
                resumed = cal.add_working_minutes(asked, waited)
                left = cal.add_working_minutes(resumed, minutes * 0.7)
            else:
                left = cal.add_working_minutes(at, minutes + waited)
            if (stop_after is not None and staff_moves >= stop_after) or left >= now:
                self.leave_open(flow, state, step, acting, user, username, append, ask)
                break
            staff_moves += 1
            if not waits_on_entry and rng.random() < 0.3:
                append("claim", "claim", step.key, step.key, "in_progress",
                       at=at + timedelta(minutes=minutes * 0.1), actor=user,
                       actor_name=username, role=acting)  # fmt: skip
            if asks:
                append("request_documents", ask.id, step.key, step.key, "waiting_applicant",
                       at=asked, actor=user, actor_name=username, role=acting,
                       note=rng.choice(ASK_NOTES), data={"items": []})  # fmt: skip
                append("resume", "documents_received", step.key, step.key, "in_progress",
                       at=resumed, actor_kind="applicant")  # fmt: skip
            self.step_work(flow, state, step, acting, user, username, left, applicant,
                           append)  # fmt: skip
            action = self.choose(step, flow, reject, returned, escalate_share, staff_moves)
            if action.kind == "return":
                returned = True
            target = resolve(parsed, step, action)
            note, data = "", {}
            if action.kind == "reject":
                note = rng.choice(REJECT_NOTES)
            elif action.kind == "return":
                note = rng.choice(RETURN_NOTES)
            elif action.note_required:
                note = rng.choice(ANSWERS)
            if step.data_entry and action.kind in ("complete", "approve") and not form_done:
                data, form_done = entry, True
            if waits_on_entry:  # the clock stood still until the applicant came
                passage(step, left, 0.0, minutes + waited, user, action.kind)
            else:
                passage(step, left, minutes, waited, user, action.kind)
            state.at = left
            if action.kind == "reject" or target == "end":
                status = "rejected" if action.kind == "reject" else "completed"
                state.step_due = None
                append(action.kind, action.id, step.key, "end" if target == "end" else "",
                       status, at=left, actor=user, actor_name=username, role=acting,
                       note=note, data=data)  # fmt: skip
                closed = (status, left)
                break
            nxt = parsed.step(target)
            state.step_due = step_due(flow, nxt, left, due)
            append(action.kind, action.id, step.key, target,
                   self.entering_status(flow, nxt, "in_progress"), at=left, actor=user,
                   actor_name=username, role=acting, note=note, data=data)  # fmt: skip
            state.entered_seq, state.entered_at, step = state.seq, left, nxt
        form_data = {**answers, **entry} if form_done else answers
        if closed is None and state.open_step is None:  # the guard ran out: leave it open
            self.leave_open(flow, state, step, parsed.acting_role(step), None, "",
                            append, None)  # fmt: skip
        status = closed[0] if closed else state.status
        closed_at = closed[1] if closed else None
        open_step = state.open_step
        batch.cases.append({
            "id": case_id, "office_id": office.pk, "service_id": flow.service.pk,
            "sop_version_id": flow.version_id,
            "code": tracking_code(flow.service.prefix, case_id), "status": status,
            "current_step_id": flow.rows[open_step.key] if open_step else None,
            "applicant_name": applicant.name, "applicant_nik": applicant.nik,
            "applicant_phone": phone, "submitter_kind": submitter_kind,
            "submitter_name": submitter_name, "submitter_phone": submitter_phone,
            "submitted_by_id": submitted_by, "channel": channel,
            "intake_place": f"{village}, Kec. {district[1]}" if channel == "field" else "",
            "form_data": json.dumps(form_data), "assigned_to_id": state.assigned,
            "claimed_at": state.claimed_at, "created_at": created,
            "updated_at": max(e["at"] for e in batch.events[-state.seq:]),
            "closed_at": closed_at,
            "step_entered_at": state.entered_at if open_step else None,
            "step_due_at": state.step_due if open_step else None, "due_at": due,
            "paused_at": state.paused_at, "step_remaining": state.step_remaining,
            "due_remaining": state.due_remaining, "version": state.seq,
        })  # fmt: skip
        if open_step and status in ("submitted", "in_progress"):
            self.flag_late(flow, state, open_step, append)
        if status == "completed":
            self.complete(flow, state, applicant, phone, closed_at)

    def entering_status(self, flow: Flow, step, status: str) -> str:
        """The status a request has on entering ``step``: waiting at an applicant's step."""
        role = flow.parsed.role(step.role)
        if not (step.intake or step.auto) and role.kind == "applicant":
            return "waiting_applicant"
        if status == "waiting_applicant":
            return "in_progress"
        return status

    def choose(self, step, flow: Flow, reject: bool, returned: bool, escalate: float, moves: int):
        rng, kinds = self.rng, {a.kind: a for a in step.actions}
        if reject and "reject" in kinds:
            return kinds["reject"]
        if "escalate" in kinds and rng.random() < escalate:
            return kinds["escalate"]
        if "return" in kinds and not returned and moves > 1 and rng.random() < 0.03:
            return kinds["return"]
        return next(a for a in step.actions if a.kind in ("complete", "approve"))

    def step_work(self, flow, state, step, role, user, username, left, applicant, append):
        """The step's document work, just before its action: the signature, the card's print,
        the hand-over."""
        rng, ids, batch = self.rng, self.ids, self.batch
        at = left - timedelta(seconds=rng.randint(10, 120))
        at = max(at, state.at)
        if step.document == "sign" and flow.kind is not None:
            docs = []
            if rng.random() < 0.01:  # signed before, then corrected and signed again
                docs.append(at - timedelta(minutes=rng.randint(20, 600)))
            docs.append(at)
            previous = state.document  # signed again after a return: the old one is superseded
            for signed in docs:
                doc = self.document(flow, state, signed, user, applicant)
                if previous is not None:
                    previous["status"] = "superseded"
                    previous["superseded_by_id"] = doc["id"]
                previous = doc
                data = {"document": doc["public_id"], "number": doc["number"]}
                append("document", "sign", step.key, step.key, state.status, at=signed,
                       actor=user, actor_name=username, role=role, data=data)  # fmt: skip
            state.document = previous
        elif step.document == "print" and flow.kind is not None and flow.kind.card:
            key = ("card", flow.office.pk)
            self.counters[key] = self.counters.get(key, 0) + 1
            serial = f"{flow.region.replace('.', '')}{self.counters[key]:09d}"
            if state.handover is None:
                state.handover = {
                    "id": ids.next("handover"), "case_id": state.case_id, "received_by": "",
                    "relation": "", "collected": "[]", "note": "", "handed_at": None,
                    "handed_by_id": None,
                }  # fmt: skip
                batch.handovers.append(state.handover)
            # printed again after a return: the new blank's serial replaces the old one
            state.handover.update(card_serial=serial, printed_at=at, printed_by_id=user)
            append("document", "print", step.key, step.key, state.status, at=at, actor=user,
                   actor_name=username, role=role, data={"card_serial": serial})  # fmt: skip
        elif step.document == "handover" and flow.service.delivery != "pdf":
            handover = state.handover
            if handover is None:
                handover = {
                    "id": ids.next("handover"), "case_id": state.case_id, "card_serial": "",
                    "printed_at": None, "printed_by_id": None, "relation": "", "note": "",
                    "collected": "[]",
                }  # fmt: skip
                batch.handovers.append(handover)
                state.handover = handover
            relative = rng.random() < 0.15
            handover["received_by"] = (
                make_person(rng, flow.districts[0][0], at.date()).name
                if relative
                else applicant.name
            )
            handover["relation"] = rng.choice(RELATIONS) if relative else ""
            collected = ["old_card"] if rng.random() < 0.4 else []
            handover["collected"] = json.dumps(collected)
            handover["handed_at"], handover["handed_by_id"] = at, user
            data = {"received_by": handover["received_by"], "collected": collected}
            append("document", "handover", step.key, step.key, state.status, at=at, actor=user,
                   actor_name=username, role=role, data=data)  # fmt: skip

    def document(self, flow: Flow, state, signed: datetime, user, applicant: Person) -> dict:
        from layan.registry.nik import mask_nik

        rng, kind, office = self.rng, flow.kind, flow.office
        year = signed.astimezone(office.tz).year
        key = ("document", office.pk, kind.code, year)
        self.counters[key] = self.counters.get(key, 0) + 1
        pid = public_id(rng)
        region = office.region_code.replace(".", "")
        doc = {
            "id": self.ids.next("document"), "public_id": pid, "case_id": state.case_id,
            "office_id": office.pk, "kind": kind.code,
            "title": str(kind.title) if kind.code != "kutipan" else flow.service.output,
            "number": f"{region}-{kind.code.upper()}-{year}-{self.counters[key]:06d}",
            "status": "active", "file": f"documents/{year}/{pid}.pdf",
            "sha256": rand_hex(rng, 64), "size": rng.randint(60_000, 220_000),
            "subject_name": applicant.name, "subject_nik": mask_nik(applicant.nik),
            "signing_key_id": None, "signer_name": office.head_name or "Kepala Dinas",
            "signer_title": office.head_title, "signed_at": signed, "issued_by_id": user,
            "issued_at": signed, "superseded_by_id": None, "revoked_at": None,
            "revoked_reason": "", "revoked_by_id": None,
        }  # fmt: skip
        self.batch.documents.append(doc)
        return doc

    def leave_open(self, flow, state, step, role, user, username, append, ask) -> None:
        """The request rests at ``step`` now: waiting on the applicant, in an officer's hands or
        in the role's queue."""
        rng, now = self.rng, self.now
        state.open_step = step
        since = state.entered_at
        state.step_due = sla_step_due(flow, step, since, state.due)
        if state.status == "waiting_applicant":
            state.paused_at = since
        elif ask is not None and rng.random() < 0.2:
            asked = since + (now - since) * rng.random() * 0.5
            append("request_documents", ask.id, step.key, step.key, "waiting_applicant",
                   at=asked, actor=user, actor_name=username, role=role or "",
                   note=rng.choice(ASK_NOTES), data={"items": []})  # fmt: skip
            state.paused_at = asked
        elif user is not None and rng.random() < 0.35:
            claimed = since + (now - since) * rng.random() * 0.3
            append("claim", "claim", step.key, step.key, "in_progress", at=claimed, actor=user,
                   actor_name=username, role=role or "")  # fmt: skip
            state.assigned, state.claimed_at = user, claimed
        if state.paused_at is not None:
            cal = flow.cal
            if state.step_due is not None:
                state.step_remaining = cal.working_minutes_between(state.paused_at, state.step_due)
            state.due_remaining = cal.working_minutes_between(state.paused_at, state.due)

    def flag_late(self, flow, state, step, append) -> None:
        """The SLA sweep's flags and alerts on a request whose running clock has passed."""
        now = self.now
        for code, due, note in (
            ("step_overdue", state.step_due, f"Step {step.key} is past its standard time."),
            ("overdue", state.due, "The request is past its overall deadline."),
        ):
            if due is None or due >= now:
                continue
            at = min(now, max(due + timedelta(minutes=10), state.entered_at))
            self.batch.flags.append({
                "id": self.ids.next("flag"), "case_id": state.case_id, "code": code,
                "note": note, "created_at": at,
            })  # fmt: skip
            append(
                "alert",
                "alert",
                step.key,
                step.key,
                state.status,
                at=at,
                actor_kind="system",
                actor_name="layan",
                note=note,
                data={"flag": code},
            )
        self.batch.cases[-1]["version"] = state.seq

    def complete(self, flow: Flow, state, applicant: Person, phone: str, closed_at) -> None:
        """What a completion leaves: the register line, the PDF sent, a revocation, a survey."""
        rng, now, office, batch = self.rng, self.now, flow.office, self.batch
        doc, handover = state.document, state.handover
        if doc is not None and rng.random() < 0.004:
            revoked = closed_at + timedelta(days=rng.uniform(1, 60))
            if revoked < now and flow.readers:
                doc.update(status="revoked", revoked_at=revoked,
                           revoked_reason=rng.choice(REVOKE_NOTES),
                           revoked_by_id=rng.choice(flow.readers))  # fmt: skip
        entered = handover["handed_at"] if handover and handover.get("handed_at") else closed_at
        year = entered.astimezone(office.tz).year
        key = ("register", flow.service.pk, year)
        self.counters[key] = self.counters.get(key, 0) + 1
        batch.registers.append({
            "id": self.ids.next("register"), "office_id": office.pk,
            "service_id": flow.service.pk, "year": year, "number": self.counters[key],
            "case_id": state.case_id, "document_id": doc["id"] if doc else None,
            "entered_at": entered, "applicant_name": applicant.name,
            "applicant_nik": applicant.nik, "output": flow.service.output,
            "delivery": flow.service.delivery,
            "card_serial": handover["card_serial"] if handover else "",
            "received_by": handover.get("received_by", "") if handover else "",
        })  # fmt: skip
        if doc is not None and flow.service.delivery == "pdf" and phone and flow.channel_id:
            sent = doc["signed_at"] + timedelta(seconds=rng.randint(5, 600))
            accepted = sent + timedelta(seconds=rng.uniform(0.5, 4))
            delivered = accepted + timedelta(seconds=rng.uniform(1, 90))
            read = delivered + timedelta(minutes=rng.uniform(1, 900))
            status = rng.choices(("read", "delivered", "sent"), (60, 35, 5))[0]
            if status == "read" and read > now:
                status = "delivered"
            if delivered > now:
                status = "sent"
            code = batch.cases[-1]["code"]
            batch.outbox.append({
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "idempotency_key": f"document:{doc['public_id']}:{state.case_id}",
                "channel_id": flow.channel_id, "conversation_id": None,
                "case_id": state.case_id, "to": phone, "to_user_id": "",
                "content": json.dumps({"type": "document", "document": {
                    "filename": f"{doc['title']} {code}.pdf",
                    "caption": f"{doc['title']} no. {doc['number']}, ditandatangani secara "
                               f"elektronik. Permohonan {code}.",
                }}),
                "template_key": "document_ready",
                "template_params": json.dumps([code, doc["title"], "", ""]),
                "upload": doc["file"], "as_template": False, "status": status, "attempts": 1,
                "next_attempt_at": sent, "last_error": "", "error_code": None,
                "wamid": "wamid." + rand_hex(rng, 48), "created_at": sent,
                "accepted_at": accepted,
                "delivered_at": delivered if status in ("delivered", "read") else None,
                "read_at": read if status == "read" else None, "failed_at": None,
            })  # fmt: skip
        if rng.random() < 0.33:
            answered = closed_at + timedelta(hours=rng.uniform(1, 30))
            if answered < now:
                answers = [min(4, max(1, round(rng.gauss(3.3, 0.6)))) for _ in range(9)]
                batch.surveys.append({
                    "id": self.ids.next("survey"), "case_id": state.case_id,
                    "office_id": office.pk, "service_id": flow.service.pk,
                    "submitted_at": answered,
                    **{f"u{i}": v for i, v in enumerate(answers, start=1)},
                })  # fmt: skip


@dataclass
class Walk:
    case_id: int
    at: datetime
    due: datetime
    seq: int = 0
    last_at: datetime = datetime.min.replace(tzinfo=UTC)
    status: str = "submitted"
    entered_seq: int = 0
    entered_at: datetime | None = None
    step_due: datetime | None = None
    open_step: object = None
    paused_at: datetime | None = None
    step_remaining: float | None = None
    due_remaining: float | None = None
    assigned: int | None = None
    claimed_at: datetime | None = None
    document: dict | None = None
    handover: dict | None = None


def resolve(parsed, step, action) -> str:
    from layan.sop.definition import END, resolve_target

    target = resolve_target(parsed, step, action)
    return "end" if target in (END, None) else target


def step_due(flow: Flow, step, entered: datetime, due: datetime) -> datetime:
    """When the step is due (its standard minutes, wall clock: close enough for history; the
    request's own deadline when the step has no standard)."""
    if step.minutes is None:
        return due
    return entered + timedelta(minutes=step.minutes)


def sla_step_due(flow: Flow, step, entered: datetime, due: datetime) -> datetime:
    """The step's due time as the engine sets it (for the step a request rests at)."""
    from layan.cases import sla

    return sla.step_due(flow.cal, step, entered) or due


def sla_case_due(flow: Flow, created: datetime) -> datetime:
    from layan.cases import sla

    return sla.case_due(flow.cal, flow.parsed, created)


def columns(model) -> list[tuple[str, object, str]]:
    """(column, default, type) of every concrete field; the default fills what the generator
    does not write (so a new column with a default does not break it)."""
    out = []
    for f in model._meta.concrete_fields:
        default = f.get_default() if f.has_default() else None
        if isinstance(default, dict | list):
            default = json.dumps(default)
        out.append((f.column, default, f.get_internal_type()))
    return out


def writer(connection, backend: str):
    """A function (table, cols, rows) that appends rows as fast as the backend allows."""
    if backend == "postgres":
        raw = connection.connection

        def write(table, cols, rows):
            with raw.cursor() as cursor:
                names = ", ".join(f'"{c}"' for c, _d, _t in cols)
                with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row([row.get(c, d) for c, d, _t in cols])

        return write

    def write(table, cols, rows):
        names = ", ".join(f'"{c}"' for c, _d, _t in cols)
        marks = ", ".join("?" for _ in cols)
        sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608 (model tables)
        data = [[row.get(c, d) for c, d, _t in cols] for row in rows]
        # datetimes as Django stores them on SQLite (UTC, no offset), UUIDs as hex
        moments = [i for i, (_c, _d, t) in enumerate(cols) if t == "DateTimeField"]
        uuids = [i for i, (_c, _d, t) in enumerate(cols) if t == "UUIDField"]
        for values in data:
            for i in moments:
                value = values[i]
                if value is not None:
                    if value.tzinfo is not UTC:
                        value = value.astimezone(UTC)
                    values[i] = value.replace(tzinfo=None).isoformat(" ")
            for i in uuids:
                if values[i] is not None:
                    values[i] = values[i].hex
        cursor = connection.connection.cursor()
        for start in range(0, len(data), 50_000):
            cursor.executemany(sql, data[start : start + 50_000])

    return write


def generate(requests: int, days: int, backend: str, seed: int) -> dict:
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from layan.bot.models import SurveyResponse
    from layan.cases.models import Case, CaseEvent, CaseFlag
    from layan.documents.models import Document, Handover, RegisterEntry
    from layan.reports.models import StepPassage
    from layan.whatsapp.models import OutboxMessage

    rng = random.Random(seed)
    now = timezone.now()
    all_flows = flows()
    weights = [5 if f.office.code == "waykanan" else 3 for f in all_flows]
    tables = {
        "cases": Case, "events": CaseEvent, "passages": StepPassage, "surveys": SurveyResponse,
        "documents": Document, "handovers": Handover, "registers": RegisterEntry,
        "outbox": OutboxMessage, "flags": CaseFlag,
    }  # fmt: skip
    ids = Ids(**{
        name: model.objects.aggregate(m=Max("pk"))["m"] or 0
        for name, model in (
            ("case", Case), ("event", CaseEvent), ("passage", StepPassage),
            ("survey", SurveyResponse), ("document", Document), ("handover", Handover),
            ("register", RegisterEntry), ("flag", CaseFlag),
        )
    })  # fmt: skip
    cols = {name: columns(model) for name, model in tables.items()}
    if backend == "sqlite":
        with connection.cursor() as cursor:  # a bulk load: no fsync, a big cache
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-400000")
            cursor.execute("PRAGMA temp_store=MEMORY")
    write = writer(connection, backend)
    counts = dict.fromkeys(tables, 0)
    counters: dict = {}
    chunk = 10_000
    started = time.monotonic()
    # Requests in order of submission, so the running numbers follow time like the engine's.
    ages = sorted((rng.random() ** 1.3 * days for _ in range(requests)), reverse=True)
    for first in range(0, requests, chunk):
        batch = Batch()
        walker = Walker(rng, now, ids, batch, counters, all_flows)
        for age in ages[first : first + chunk]:
            flow = rng.choices(all_flows, weights)[0]
            created = (now - timedelta(days=age)).astimezone(flow.office.tz)
            # office hours for the counter and the field, any time for WhatsApp
            created = created.replace(hour=rng.randint(7, 15), minute=rng.randint(0, 59))
            if created > now:
                created = now - timedelta(minutes=rng.randint(1, 300))
            walker.request(
                flow,
                created.astimezone(UTC),
                stay_open=age < 3 and rng.random() < 0.7,
                reject=rng.random() < 0.05,
            )
        with transaction.atomic():
            for name, model in tables.items():
                rows = getattr(batch, name)
                write(model._meta.db_table, cols[name], rows)
                counts[name] += len(rows)
        elapsed = time.monotonic() - started
        print(f"  loaded {counts['cases']:,} requests ({elapsed:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        if backend == "postgres":
            for model in tables.values():
                table = model._meta.db_table
                if model is OutboxMessage:
                    continue
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
                )
            # what autovacuum does after a table's inserts: statistics and the visibility map
            # (which lets counts read an index alone)
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("ANALYZE")
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


# ------------------------------------------------------------------------------ measuring


@dataclass
class Measure:
    group: str
    name: str
    fn: object
    repeat: int
    p50: float = 0.0
    p95: float = 0.0
    runs: int = 0
    queries: int = 0
    busy: float = 0.0  # the machine's CPU while it was timed, % of one core (all processes)
    slowest: tuple[float, str] = (0.0, "")


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:8]]
    return sum(parts) - parts[3] - parts[4], sum(parts)


def machine_busy(interval: float = 1.0) -> float:
    """Busy CPU of the whole machine over ``interval`` s, in % of one core (200 = both of 2)."""
    b0, t0 = cpu_ticks()
    time.sleep(interval)
    b1, t1 = cpu_ticks()
    return 100.0 * (os.cpu_count() or 1) * (b1 - b0) / max(1, t1 - t0)


def wait_for_quiet(max_wait: float, threshold: float = 35.0) -> None:
    """Wait (at most ``max_wait`` s) until other processes leave the machine idle for 3 s in a
    row, so the measurements are not theirs."""
    deadline, quiet, said = time.monotonic() + max_wait, 0, False
    while time.monotonic() < deadline:
        busy = machine_busy()
        quiet = quiet + 1 if busy < threshold else 0
        if quiet >= 3:
            return
        if not said:
            print(f"machine busy ({busy:.0f}% of a core); waiting up to {max_wait:.0f} s")
            said = True
    print(f"WARNING: still busy after {max_wait:.0f} s; measuring anyway")


def timed(m: Measure, budget: float) -> None:
    m.fn()  # warm
    b0, t0 = cpu_ticks()
    runs: list[float] = []
    deadline = time.monotonic() + budget
    while len(runs) < m.repeat and (len(runs) < 3 or time.monotonic() < deadline):
        start = time.perf_counter()
        m.fn()
        runs.append((time.perf_counter() - start) * 1000)
    b1, t1 = cpu_ticks()
    m.busy = 100.0 * (os.cpu_count() or 1) * (b1 - b0) / max(1, t1 - t0)
    runs.sort()
    m.runs = len(runs)
    m.p50 = statistics.median(runs)
    m.p95 = runs[min(len(runs) - 1, round(0.95 * (len(runs) - 1)))]


def count_queries(m: Measure) -> None:
    """The measure's SQL queries, once, and its slowest SELECT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        m.fn()
    m.queries = len(captured.captured_queries)
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            seconds = float(query["time"])
            if seconds > m.slowest[0]:
                m.slowest = (seconds, sql)


def measures(repeat: int) -> list[Measure]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from layan.api.models import ApiToken
    from layan.cases.models import Case
    from layan.offices.models import Office
    from layan.reports import selectors

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    office = Office.objects.get(code="waykanan")
    offices = list(Office.objects.order_by("code"))
    now = timezone.now()
    today = timezone.localdate(timezone=office.tz)
    month = selectors.period_of("month", today.replace(day=1) - timedelta(days=1))
    year = selectors.Period(today - timedelta(days=365), today)
    slow = max(3, repeat // 3)
    out = []
    for label, period, times in (("month", month, repeat), ("year", year, slow)):
        for name, fn in (
            ("rekap", lambda p=period: selectors.rekap(office, p)),
            ("sla", lambda p=period: selectors.sla_report(office, p)),
            ("complaints", lambda p=period: selectors.complaints_report(office, p)),
            ("ikm", lambda p=period: selectors.ikm_report(office, p)),
        ):
            out.append(Measure("report", f"{name} ({label})", fn, times))
    out += [
        Measure("report", "backlog (now)", lambda: selectors.backlog(office, now), repeat),
        Measure("report", "head card", lambda: selectors.head_card(office, now), repeat),
        Measure(
            "report",
            "compare 5 offices (month)",
            lambda: selectors.compare_offices(offices, month),
            repeat,
        ),
    ]
    users = get_user_model().objects

    def client(username: str) -> Client:
        c = Client()
        c.force_login(users.get(username=username))
        return c

    def page(c: Client, url: str, **headers):
        def get():
            response = c.get(url, **headers)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return get

    kabid = client("waykanan.kabid")
    query = f"?period=month&day={month.start.isoformat()}"
    out.append(
        Measure(
            "page", "/console/reports/ (month)", page(kabid, "/console/reports/" + query), repeat
        )
    )
    for username in ("waykanan.operator_online", "waykanan.kasi", "waykanan.semua"):
        role = username.split(".")[1]
        out.append(
            Measure(
                "page", f"/console/ queue ({role})", page(client(username), "/console/"), repeat
            )
        )
    out.append(
        Measure(
            "page",
            "/console/queue/closed/ (operator_online)",
            page(client("waykanan.operator_online"), "/console/queue/closed/"),
            repeat,
        )
    )
    out.append(
        Measure(
            "page",
            "/console/supervisor/",
            page(client("waykanan.supervisor"), "/console/supervisor/"),
            repeat,
        )
    )
    operator = client("waykanan.operator_online")
    cases = Case.objects.filter(office=office)
    open_code = (
        cases.filter(status="in_progress", current_step__acting_role__code="operator_online")
        .order_by("-version", "pk")
        .values_list("code", flat=True)
        .first()
    )
    done_code = (
        cases.filter(status="completed", documents__isnull=False)
        .order_by("-closed_at")
        .values_list("code", flat=True)
        .first()
    )
    for label, code in (("open", open_code), ("completed", done_code)):
        if code:
            out.append(
                Measure(
                    "page", f"request page ({label})", page(operator, f"/console/r/{code}/"), repeat
                )
            )
    _token, raw = ApiToken.issue(users.get(username="waykanan.kabid"), name="bench")
    api = Client()
    for kind in ("rekap", "sla", "complaints", "ikm"):
        url = f"/api/v1/offices/waykanan/reports/{kind}{query}"
        out.append(
            Measure(
                "api",
                f"GET …/reports/{kind} (month)",
                page(api, url, HTTP_AUTHORIZATION=f"Bearer {raw}"),
                repeat,
            )  # fmt: skip
        )
    return out


def explain(sql: str, backend: str) -> str:
    from django.db import connection

    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if backend == "postgres" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def fill_one_day(rollups, offices, day: date) -> None:
    """Every rollup of one day of every office, filled again (the nightly work of one day)."""
    if hasattr(rollups, "fill_days"):
        for rollup in rollups.ROLLUPS.values():
            for office in offices:
                rollups.fill_days(rollup, office, day, day)
        return
    for office in offices:  # the rollups of one table per day
        for filler in rollups.FILLERS.values():
            filler(office, day)


def rollup_figures(backfill: bool) -> list[tuple[str, float]]:
    """The rollups filled before anything is measured (the reports read them): the backfill of
    the whole period from nothing, or (``backfill`` false, a kept database) from where they
    stopped; then one more day of every office, timed alone."""
    from django.utils import timezone

    from layan.offices.models import Office
    from layan.reports import rollups

    reset = backfill and "reset" in inspect.signature(rollups.fill_all).parameters
    start = time.perf_counter()
    rollups.fill_all(**({"reset": True} if reset else {}))
    whole = time.perf_counter() - start
    offices = list(Office.objects.all())
    day = timezone.localdate() - timedelta(days=2)
    start = time.perf_counter()
    fill_one_day(rollups, offices, day)
    one_day = time.perf_counter() - start
    label = "backfill of the whole period" if backfill else "fill from where they stopped"
    return [
        (f"rollups: {label} (s)", whole),
        ("rollups: one day, all offices (s)", one_day),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--database", default=DB_NAME, help="PostgreSQL database name")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--budget", type=float, default=60, help="seconds per measure at most")
    parser.add_argument("--keep", action="store_true", help="leave the database after the run")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database and reuse a matching one"
    )
    parser.add_argument(
        "--no-backfill",
        action="store_true",
        help="fill the rollups from where they stopped instead of from nothing",
    )
    parser.add_argument("--only", default="", help="measure only names containing this text")
    parser.add_argument(
        "--load-only", action="store_true", help="load (or find, with --reuse) and stop"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120,
        help="seconds to wait at most for other processes to leave the machine idle",
    )
    args = parser.parse_args()
    wanted = {"requests": args.requests, "days": args.days, "seed": args.seed, "gen": GENERATOR}
    keep = args.keep or args.reuse
    sqlite_kept = args.backend == "sqlite" and keep
    if sqlite_kept:
        SQLITE_DIR.mkdir(parents=True, exist_ok=True)
    name = args.database if args.backend == "postgres" else str(SQLITE_DIR)
    target = Target(args.backend, name, keep, args.reuse, wanted)
    data_dir = str(SQLITE_DIR) if sqlite_kept else tempfile.mkdtemp(prefix="layan-bench-reports-")
    prepared = False
    try:
        prepared = prepare_database(target, data_dir)
        if not prepared:
            return 0
        if target.reused:
            info = load_info()
            print(f"reusing the database loaded at {info.get('loaded_at')}: {info.get('counts')}")
        else:
            print(f"loading {args.requests:,} requests over {args.days} days ({args.backend}) ...")
            counts = generate(args.requests, args.days, args.backend, args.seed)
            print(f"loaded: {counts}")
            record_load(wanted, counts)
        if args.load_only:
            return 0
        print()
        for label, seconds in rollup_figures(backfill=not args.no_backfill):
            print(f"{label:46} {seconds:9.2f}", flush=True)
        chosen = [m for m in measures(args.repeat) if args.only in m.name]
        if args.quiet_wait > 0:
            wait_for_quiet(args.quiet_wait)
        head = f"{'measure':46} {'p50 ms':>9} {'p95 ms':>9} {'runs':>5} {'queries':>8} {'cpu%':>5}"
        print("\n" + head)
        for m in chosen:
            timed(m, args.budget)
            count_queries(m)
            print(
                f"{m.name:46} {m.p50:9.1f} {m.p95:9.1f} {m.runs:5} {m.queries:8} {m.busy:5.0f}",
                flush=True,
            )
        worst = max(chosen, key=lambda m: m.slowest[0], default=None)
        if worst is not None and worst.slowest[1]:
            seconds, sql = worst.slowest
            print(f"\nslowest query ({seconds * 1000:.1f} ms, in '{worst.name}'):")
            print(sql if len(sql) < 3000 else sql[:3000] + " …")
            print("\nits plan:")
            print(explain(sql, args.backend))
    finally:
        if prepared and not keep:
            drop_database(target)
        elif prepared:
            print(
                f"\nkept: {'database ' + target.name if args.backend == 'postgres' else data_dir}"
            )
        if not sqlite_kept:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
