"""Benchmark: render and sign one document (WeasyPrint + pyHanko PAdES), p50/p95 over 50 runs,
then documents per second with 2 worker processes.

    .venv/bin/python bench/documents.py [--runs 50] [--workers 2] [--per-worker 25]

It sets up a throw-away embedded installation (SQLite in a temporary LAYAN_DATA_DIR, the seed
offices, a demo signing key) and walks Balangan Kartu Keluarga requests (four family members)
to the Kadis's signing step. Phase 1 times ``sign_document`` end to end, as the console calls
it: the key opened with the passphrase (PKCS#12, 200,000 PBKDF2 rounds), the final PDF
rendered, signed, stored, the numbered document row written and the step moved on. Phase 2
forks the worker processes, each rendering and signing the same request's document in a loop
(no database writes), and reports documents per second over all of them. Bounded: at most
runs + workers × per-worker signatures; no network.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(data_dir: str) -> None:
    os.environ["LAYAN_DATA_DIR"] = data_dir
    os.environ.setdefault("LAYAN_TASK_BACKEND", "immediate")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layan.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from layan.demo.loader import create_demo_staff, create_demo_teams, load_presets

    load_presets()
    create_demo_staff("bench-pass-123")
    create_demo_teams("bench-pass-123")


PASSPHRASE = "bench-tte-2026"  # noqa: S105 - a throw-away benchmark key


def cases_at_signing(count: int):
    from django.contrib.auth import get_user_model

    from layan.cases import services as engine
    from layan.documents.keys import create_local_key
    from layan.offices.models import Office, Service
    from tests.filling import data_for, form_data

    office = Office.objects.get(code="balangan")
    user = get_user_model().objects.get(username="balangan.semua")
    create_local_key(office=office, user=user, passphrase=PASSPHRASE)
    service = Service.objects.get(office=office, code="kk")
    data = form_data(service)
    data["anggota"] = [
        {**data["anggota"][0], "nama": name, "nik": f"63110115059000{i:02d}"}
        for i, name in enumerate(["AHMAD FAUZI", "SITI AMINAH", "RIZKY", "NADIA"], start=1)
    ]
    actor = engine.Actor.staff(user)
    out = []
    for _ in range(count):
        case = engine.submit_case(
            service=service, actor=actor, applicant_name="Ahmad Fauzi",
            submitter_kind="staff", form_data=data,
        )  # fmt: skip
        while case.step.document != "sign":
            action = next(
                a for a in engine.allowed_actions(case, actor) if a.kind in ("complete", "approve")
            )
            case = engine.perform_action(
                case, actor=actor, action=action.id, data=data_for(case, action.kind)
            )
        out.append(case)
    return user, out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def phase_one(user, cases) -> list[float]:
    from layan.documents.services import sign_document

    # One untimed warm-up: WeasyPrint loads its fonts on the first render of a process.
    sign_document(cases[0], user=user, passphrase=PASSPHRASE)
    timings = []
    for case in cases[1:]:
        start = time.perf_counter()
        sign_document(case, user=user, passphrase=PASSPHRASE)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def _worker(case_pk: int, user_pk: int, count: int, queue) -> None:
    from django.db import connections
    from django.utils import timezone

    from layan.cases.models import Case
    from layan.documents import signing
    from layan.documents.kinds import kind_of
    from layan.documents.models import SigningKey
    from layan.documents.rendering import Final, render_pdf

    connections.close_all()  # never share the parent's connection
    case = Case.objects.select_related("office", "service").get(pk=case_pk)
    key = SigningKey.objects.get(user_id=user_pk, office=case.office, is_active=True)
    kind = kind_of(case.service)
    render_pdf(case, kind, final=Final("WARMUP", "warmup", timezone.now()))
    start = time.perf_counter()
    for i in range(count):
        now = timezone.now()
        pdf = render_pdf(case, kind, final=Final(f"B-{os.getpid()}-{i}", f"bench{i}", now))
        signer = signing.LocalSigner(signing.local_signer(bytes(key.pkcs12), PASSPHRASE))
        stamp = signing.Stamp(key.name, key.title, now, f"http://127.0.0.1/v/bench{i}")
        signer.sign(pdf, stamp, case.office)
    queue.put((count, time.perf_counter() - start))


def phase_two(case, user, workers: int, per_worker: int) -> tuple[float, float]:
    import multiprocessing

    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [
        context.Process(target=_worker, args=(case.pk, user.pk, per_worker, queue))
        for _ in range(workers)
    ]
    wall = time.perf_counter()
    for process in processes:
        process.start()
    results = [queue.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    wall = time.perf_counter() - wall
    total = sum(count for count, _elapsed in results)
    slowest = max(elapsed for _count, elapsed in results)
    return total / slowest, total / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--per-worker", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="layan-bench-docs-") as data_dir:
        setup(data_dir)
        print(f"cpus: {os.cpu_count()}; preparing {args.runs + 1} requests at the signing step…")
        user, cases = cases_at_signing(args.runs + 1)
        timings = phase_one(user, cases)
        print(
            f"render + sign (sign_document, end to end), {len(timings)} runs: "
            f"p50 {statistics.median(timings):.0f} ms, p95 {percentile(timings, 0.95):.0f} ms, "
            f"min {min(timings):.0f} ms, max {max(timings):.0f} ms "
            f"(target p50 < 300 ms: {'met' if statistics.median(timings) < 300 else 'MISSED'})"
        )
        rate, wall_rate = phase_two(cases[0], user, args.workers, args.per_worker)
        print(
            f"{args.workers} worker processes × {args.per_worker} render + sign: "
            f"{rate:.1f} documents/s ({wall_rate:.1f}/s including process start)"
        )


if __name__ == "__main__":
    main()
