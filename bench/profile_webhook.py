"""Where a webhook request's server CPU goes: the real WSGI application, in process, no HTTP.

Calls ``layan.wsgi.application`` directly (one WSGI environ per pre-built signed body, the same
bodies as bench/loadgen.py; ``close()`` on each response, as a server does) against the
PostgreSQL database ``layan_bench`` left by bench/webhook_ingest.py (run that first; the server
is the one ``LAYAN_BENCH_POSTGRES`` names, as for webhook_ingest.py). Prints the server CPU and
wall time per request, serially, with no HTTP server, no client and no other request competing,
so it is far less noisy than the end-to-end benchmark. Also times the floor's
work (the signature check + one INSERT with psycopg) the same way.

    .venv/bin/python bench/profile_webhook.py                         # the app as is
    .venv/bin/python bench/profile_webhook.py --variant raw-insert    # a what-if (variants.py)
    .venv/bin/python bench/profile_webhook.py --profile --sort tottime
    .venv/bin/python bench/profile_webhook.py --compare as-is raw-insert,no-health-check --rounds 5

``--compare`` runs each variant spec in its own process, ``--rounds`` times, interleaved, and
prints the minimum and median CPU per request of each (the minimum is the least disturbed by
other work on the machine).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from loadgen import build_bodies  # noqa: E402
from variants import VARIANTS  # noqa: E402
from webhook_ingest import pg_url, speed_probe  # noqa: E402

from layan.whatsapp.signatures import sign, verify  # noqa: E402

SECRET = "bench-app-secret-3f6c1a"  # noqa: S105 - a benchmark's own test secret


def environ_for(body: bytes, sig: str) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/webhooks/whatsapp",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "facebookexternalua",
        "HTTP_ACCEPT": "*/*",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_HUB_SIGNATURE_256": sig,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def variant_names(spec: str) -> list[str]:
    names = [n for n in spec.split(",") if n and n != "as-is"]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variant(s) {unknown}; known: as-is, {', '.join(VARIANTS)}")
    return names


def measure(args) -> dict:
    db_url = pg_url(args.db)
    os.environ.update(
        DATABASE_URL=db_url,
        LAYAN_TASK_BACKEND="db",
        DEBUG="false",
        WHATSAPP_APP_SECRET=SECRET,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE="layan.settings",
        LAYAN_DATA_DIR=os.environ.get(
            "LAYAN_DATA_DIR", os.path.join(tempfile.gettempdir(), "layan-bench-profile")
        ),
    )
    import django

    django.setup()
    for name in variant_names(args.variant):
        VARIANTS[name]()
    from layan.wsgi import application

    warm = 200
    n = args.requests
    bodies = build_bodies(n + warm, os.urandom(4).hex(), ["6281100006311"], 450)
    sigs = [sign(b, SECRET) for b in bodies]

    def call(i):
        out = []
        response = application(environ_for(bodies[i], sigs[i]), lambda s, h: out.append(s))
        body = b"".join(response)
        if hasattr(response, "close"):
            response.close()  # as a WSGI server does (Django: fires request_finished)
        if not out[0].startswith("200"):
            raise SystemExit(f"unexpected answer {out[0]}: {body[:200]!r}")

    for i in range(warm):  # imports, connection, URL resolver and translation caches
        call(i)
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    t0, c0 = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for i in range(warm, warm + n):
        call(i)
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    result = {
        "variant": args.variant,
        "layan_cpu_ms": 1000 * cpu / n,
        "layan_wall_ms": 1000 * wall / n,
        "probe_ms": speed_probe(),
    }

    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor_event (id bigserial PRIMARY KEY,"
            " received_at timestamptz NOT NULL DEFAULT now(), body text NOT NULL)"
        )
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(n):
            body = bodies[i]
            if not verify(body, sigs[i], SECRET):
                raise SystemExit("floor: bad signature")
            conn.execute("INSERT INTO bench_floor_event (body) VALUES (%s)", (body.decode(),))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    result.update(floor_cpu_ms=1000 * cpu / n, floor_wall_ms=1000 * wall / n)
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats(args.sort).print_stats(args.limit)
    return result


def compare(args) -> None:
    rows: dict[str, list[dict]] = {spec: [] for spec in args.compare}
    for spec in args.compare:
        variant_names(spec)
    for r in range(args.rounds):
        for spec in args.compare:
            cmd = [
                sys.executable, __file__, "--json", "--variant", spec,
                "--requests", str(args.requests), "--db", args.db,
            ]  # fmt: skip
            out = subprocess.run(  # noqa: S603 - our own script
                cmd, capture_output=True, text=True, check=True, timeout=600
            )
            res = json.loads(out.stdout.strip().splitlines()[-1])
            rows[spec].append(res)
            print(
                f"round {r + 1}: {spec:<55} {res['layan_cpu_ms']:.3f} ms CPU,"
                f" {res['layan_wall_ms']:.3f} ms wall (probe {res['probe_ms']:.1f} ms)",
                flush=True,
            )
    print()
    print(f"{'variant':<55} {'CPU ms/req min':>14} {'median':>7} {'wall min':>8}  vs first")
    base = None
    floors = [x["floor_cpu_ms"] for runs in rows.values() for x in runs]
    for spec, runs in rows.items():
        cpus = [x["layan_cpu_ms"] for x in runs]
        best = min(cpus)
        if base is None:
            base = best
        print(
            f"{spec:<55} {best:>14.3f} {statistics.median(cpus):>7.3f}"
            f" {min(x['layan_wall_ms'] for x in runs):>8.3f}  {100 * (best / base - 1):+.0f}%"
        )
    floor_label = "floor work (HMAC + psycopg INSERT)"
    print(f"{floor_label:<55} {min(floors):>14.3f} {statistics.median(floors):>7.3f}")
    probes = [x["probe_ms"] for runs in rows.values() for x in runs]
    print(
        f"({args.rounds} rounds x {args.requests} requests, serial, in process; speed probe"
        f" {min(probes):.1f}..{max(probes):.1f} ms over the rounds)"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--db", default="layan_bench")
    p.add_argument("--variant", default="as-is", help="comma-joined names from bench/variants.py")
    p.add_argument("--profile", action="store_true", help="cProfile (CPU clock) to stderr")
    p.add_argument("--sort", default="cumulative")
    p.add_argument("--limit", type=int, default=45)
    p.add_argument("--json", action="store_true", help="print the result as one JSON line")
    p.add_argument("--compare", nargs="+", metavar="SPEC", help="variant specs to compare")
    p.add_argument("--rounds", type=int, default=3, help="with --compare")
    args = p.parse_args()
    if args.compare:
        compare(args)
        return
    res = measure(args)
    if args.json:
        print(json.dumps(res))
        return
    print(
        f"layan webhook [{args.variant}]: {res['layan_cpu_ms']:.3f} ms CPU,"
        f" {res['layan_wall_ms']:.3f} ms wall per request (in process, serial)"
    )
    print(
        f"floor work:    {res['floor_cpu_ms']:.3f} ms CPU, {res['floor_wall_ms']:.3f} ms wall"
        " per request"
    )


if __name__ == "__main__":
    main()
