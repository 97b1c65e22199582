"""Benchmark: the population registry at the size of a regency of a million people.

    .venv/bin/python bench/registry.py [--residents 1000000] [--backend postgres|sqlite]
                                       [--applications 400] [--seed 5] [--data DIR]

It creates a throw-away database (PostgreSQL ``layan_bench_registry`` on the server
``LAYAN_BENCH_POSTGRES`` names, default ``postgres://postgres@127.0.0.1:5432``; or SQLite in a
temporary directory with ``--backend sqlite``) and migrates it. It generates a synthetic
population of about ``--residents`` people for Way Kanan (``layan.registry.synthetic``, 1 % of
them planted again under another NIK), writes it as a SIAK export (CSV) and imports that file with
the importer (``layan.registry.imports``: rows/s). Then it measures, in-process:

- the duplicate check of one application (``find_duplicates`` with the default rules), p50/p95
  over ``--applications`` people: residents applying again, planted duplicates, new people;
- a NIK look-up (``LocalRegistry.by_nik``) and a NIK issued (``issue_nik``), p50/p95;
- the full scan (``layan.registry.scan``), with its recall and precision on the planted pairs;

and prints the plan of the candidate query (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on
SQLite) and of the NIK issuance's serial look-up. ``--data DIR`` keeps the generated CSV there and
reuses it on the next run (the other backend). Bounded by its arguments; no network beyond the
database on loopback. Exits 0 with ``SKIPPED`` when PostgreSQL is not reachable.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("LAYAN_BENCH_POSTGRES") or "postgres://postgres@127.0.0.1:5432"
DB_NAME = "layan_bench_registry"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
WAY_KANAN = [
    ("18.08.01", "Blambangan Umpu"), ("18.08.02", "Kasui"), ("18.08.03", "Banjit"),
    ("18.08.04", "Baradatu"), ("18.08.05", "Bahuga"), ("18.08.06", "Pakuan Ratu"),
    ("18.08.07", "Negeri Agung"), ("18.08.08", "Way Tuba"), ("18.08.09", "Rebang Tangkas"),
    ("18.08.10", "Gunung Labuhan"), ("18.08.11", "Negara Batin"), ("18.08.12", "Negeri Besar"),
    ("18.08.13", "Buay Bahuga"), ("18.08.14", "Bumi Agung"), ("18.08.15", "Umpu Semenguk"),
]  # fmt: skip


def prepare_database(backend: str, data_dir: str) -> bool:
    os.environ["LAYAN_DATA_DIR"] = data_dir
    os.environ["LAYAN_TASK_BACKEND"] = "immediate"
    os.environ["DJANGO_SETTINGS_MODULE"] = "layan.settings"
    os.environ.pop("DATABASE_URL", None)
    if backend == "postgres":
        import psycopg

        try:
            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
                c.execute(f'CREATE DATABASE "{DB_NAME}"')
        except psycopg.OperationalError as exc:
            print(f"SKIPPED: PostgreSQL at {PG_SERVER} is not reachable ({exc.__class__.__name__})")
            return False
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{DB_NAME}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return True


def population_file(residents: int, seed: int, data: Path) -> tuple[Path, dict]:
    """The SIAK CSV of the population and what was planted in it (generated once per size and
    seed into ``data``)."""
    from layan.registry.synthetic import generate

    path = data / f"population-{residents}-{seed}.csv"
    meta = data / f"population-{residents}-{seed}.json"
    if path.exists() and meta.exists():
        print(f"reusing {path.name}")
        return path, json.loads(meta.read_text())
    started = time.perf_counter()
    population = generate("18.08", WAY_KANAN, families=round(residents / 3.8), seed=seed,
                          now=NOW, duplicates=0.01, reused_niks=0.0005)  # fmt: skip
    generated = time.perf_counter() - started
    rows = population.write_csv(path)
    info = {
        "rows": rows,
        "generated_s": round(generated, 1),
        "planted": [(p.kind, p.original, p.duplicate) for p in population.planted],
        "twins": population.twins,
        "reused": [
            {"nik": r.nik, "name": r.person.name, "birth_date": r.person.birth_date.isoformat(),
             "sex": r.person.sex, "mother_name": r.person.mother_name}
            for r in population.reused
        ],
    }  # fmt: skip
    meta.write_text(json.dumps(info))
    print(f"generated {rows:,} residents in {generated:.0f} s -> {path.name}")
    return path, info


def backend_cpu() -> float | None:
    """The CPU seconds the database connection's server process has used (PostgreSQL on this
    machine), or None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples) * 1000, p95 * 1000


def timed(calls) -> tuple[float, float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def applications(count: int, info: dict, seed: int) -> list:
    """People applying: a third residents again, a third planted duplicates, a third new people
    (a registered person's name on a new birth date)."""
    from layan.registry.dedup import Person
    from layan.registry.models import Resident

    rng = random.Random(seed)
    top = Resident.objects.order_by("-pk").values_list("pk", flat=True).first()
    people = []
    niks = [dup for _kind, _orig, dup in info["planted"]]
    picked = rng.sample(niks, min(count // 3, len(niks)))
    chosen = Resident.objects.filter(nik__in=picked)
    chosen = list(chosen) + [
        r for r in (Resident.objects.filter(pk=rng.randint(1, top)).first()
                    for _ in range(count - len(picked))) if r
    ]  # fmt: skip
    for index, r in enumerate(chosen):
        born = r.birth_date
        nik = r.nik
        if index >= count * 2 // 3:  # a new person: another birth date, no NIK yet
            born = born + timedelta(days=rng.randint(40, 400))
            nik = ""
        people.append(Person(name=r.name, birth_date=born, sex=r.sex, nik=nik,
                             mother_name=r.mother_name, father_name=r.father_name,
                             birth_place=r.birth_place, role="applicant"))  # fmt: skip
    return people


def explain(backend: str, sql: str, params) -> str:
    from django.db import connection

    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if backend == "postgres" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def candidate_query(person) -> tuple[str, list]:
    """The SQL the check of ``person`` runs (captured, with its parameters)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from layan.registry.backend import LocalRegistry
    from layan.registry.services import rules_of

    keys = rules_of(None).search_keys(person)
    with CaptureQueriesContext(connection) as captured:
        LocalRegistry().candidates(keys)
    return captured.captured_queries[-1]["sql"], []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--applications", type=int, default=400)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--data", help="keep the generated CSV here and reuse it")
    parser.add_argument("--skip-scan", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="layan-bench-registry-") as tmp:
        if not prepare_database(args.backend, tmp):
            return 0
        from django.db import connection

        from layan.registry.backend import LocalRegistry, PersonData
        from layan.registry.dedup import Person
        from layan.registry.imports import import_file
        from layan.registry.models import Resident, SuspectedDuplicate
        from layan.registry.scan import scan
        from layan.registry.services import find_duplicates, rules_of

        data = Path(args.data) if args.data else Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        path, info = population_file(args.residents, args.seed, data)
        figures: list[tuple[str, str]] = [("residents", f"{info['rows']:,}")]

        print(f"importing {path.name} into {args.backend} ...")
        load = os.getloadavg()[0]
        cpu, server = time.process_time(), backend_cpu()
        result = import_file(path, now=NOW)
        cpu = time.process_time() - cpu
        server = backend_cpu() - server if server is not None else None
        assert result.ok, result.errors[:5]
        figures.append(("import", f"{result.rows:,} rows in {result.seconds:.0f} s = "
                                  f"{result.rows_per_second:,.0f} rows/s"))  # fmt: skip
        busy = f"Python {cpu:.0f} s" + (f", PostgreSQL {server:.0f} s" if server else "")
        figures.append(("import: CPU", f"{busy}; load average {load:.1f} -> "
                                       f"{os.getloadavg()[0]:.1f}"))  # fmt: skip
        print(figures[-2][1], figures[-1][1])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if args.backend == "postgres" else "ANALYZE")

        rules, registry = rules_of(None), LocalRegistry()
        people = applications(args.applications, info, args.seed)
        for person in people[:20]:  # warm the caches and the connection
            find_duplicates(person, rules, registry)
        sizes = []

        def check(person):
            def run():
                sizes.append(len(find_duplicates(person, rules, registry)))

            return run

        cpu = time.process_time()
        p50, p95 = timed(check(p) for p in people)
        cpu = (time.process_time() - cpu) / len(people) * 1000
        figures.append(("check of one application (find_duplicates)",
                        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(people)} "
                        f"({cpu:.1f} ms CPU each)"))  # fmt: skip
        keys = [len(registry.candidates(rules.search_keys(p))) for p in people]
        figures.append(("candidates per check", f"median {statistics.median(keys):.0f}, max "
                                                f"{max(keys)}"))  # fmt: skip
        niks = list(
            Resident.objects.order_by("?").values_list("nik", flat=True)[: args.applications]
        )
        p50, p95 = timed((lambda n=n: registry.by_nik(n)) for n in niks)
        figures.append(("NIK look-up (by_nik)", f"p50 {p50:.2f} ms, p95 {p95:.2f} ms"))
        rng = random.Random(args.seed)
        births = [date(2026, 11, rng.randint(1, 28)) for _ in range(100)]
        p50, p95 = timed(
            (lambda b=b: registry.issue_nik(PersonData(name="BAYI", birth_date=b, sex="P"),
                                            region="18.08", district="18.08.04"))
            for b in births
        )  # fmt: skip
        figures.append(("NIK issued (issue_nik)", f"p50 {p50:.2f} ms, p95 {p95:.2f} ms"))
        reused = [Person(name=r["name"], birth_date=date.fromisoformat(r["birth_date"]),
                         sex=r["sex"], nik=r["nik"], mother_name=r["mother_name"])
                  for r in info["reused"]]  # fmt: skip
        blocked = sum(
            any(m.rule == "nik_other_person" for m in find_duplicates(p, rules, registry))
            for p in reused
        )
        figures.append(("NIKs stated by another person blocked", f"{blocked}/{len(reused)}"))

        if not args.skip_scan:
            print("scanning ...")
            load = os.getloadavg()[0]
            cpu = time.process_time()
            counts = scan(now=NOW)
            cpu = time.process_time() - cpu
            ids = dict(Resident.objects.values_list("nik", "pk"))
            planted = {tuple(sorted((ids[o], ids[d]))) for _k, o, d in info["planted"]}
            twins = {tuple(sorted((ids[a], ids[b]))) for a, b in info["twins"]}
            found = dict(
                (((a, b), level) for a, b, level in
                 SuspectedDuplicate.objects.values_list("first_id", "second_id", "level"))
            )  # fmt: skip
            hits = planted & set(found)
            blocks = {k for k, level in found.items() if level == "block"}
            figures.append(("full scan", f"{counts.seconds:.0f} s ({cpu:.0f} s CPU, load "
                                         f"{load:.1f}), {counts.pairs:,} pairs checked, "
                                         f"{counts.found:,} found"))  # fmt: skip
            figures.append(("scan recall / precision",
                            f"{len(hits)}/{len(planted)} = {len(hits) / len(planted):.3f} / "
                            f"{len(hits)}/{len(found)} = {len(hits) / max(1, len(found)):.3f} "
                            f"(block {len(blocks & planted)}/{len(blocks)}); twins flagged "
                            f"{len(twins & set(found))}/{len(twins)}"))  # fmt: skip

        print(f"\n{args.backend}: {info['rows']:,} residents")
        for name, value in figures:
            print(f"  {name:44} {value}")
        example = next(p for p in people if p.nik)
        sql, params = candidate_query(example)
        print(f"\nplan of the candidate query ({example.name}, {example.birth_date}):")
        print(explain(args.backend, sql, params))
        prefix = "180804151126"  # the NIKs issue_nik finds taken for a prefix
        serial = Resident.objects.filter(
            nik__gte=f"{prefix}0000", nik__lte=f"{prefix}9999"
        ).values_list("nik")
        sql, params = serial.query.sql_with_params()
        print("\nplan of the NIK issuance's look-up of the serials taken:")
        print(explain(args.backend, sql, params))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
