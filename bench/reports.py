"""Benchmark: the office reports at the scale of a district for years.

    .venv/bin/python bench/reports.py [--requests 1000000] [--days 730] [--backend postgres]
                                      [--repeat 15] [--keep]

It creates a throw-away database (PostgreSQL ``layan_bench_reports`` on the server
``LAYAN_BENCH_POSTGRES`` names, default ``postgres://postgres@127.0.0.1:5432``; or SQLite in a
temporary directory with ``--backend sqlite``), migrates it, loads the seed offices and their
staff, then bulk-loads ``--requests`` requests spread over ``--days`` days before today across
the five offices: a realistic mix of services and channels, mostly completed, some rejected or
cancelled, the recent ones open; for each, its history (submission, one event per step, a wait
on the applicant for about one in ten) and its step passages with working minutes around the
SOP's standard (one in six slower than the standard), and a survey for about a third of the
completed ones. Rows go in with COPY (PostgreSQL) or executemany (SQLite); about 10 events per
request.

Then it measures, in-process (no HTTP server; Django's test client for pages), for Way Kanan:
each report query (rekap, SLA per step, complaints, IKM, backlog, the head of office's card)
for last month and for the last year, the console's report page, its queue page and a request
page, p50/p95 over ``--repeat`` runs; the rollups' fill of one day (all offices) and their
backfill of the whole period; and prints the EXPLAIN of the slowest report query. Bounded by
its arguments; no network beyond the database on loopback. Exits 0 with ``SKIPPED`` when
PostgreSQL is not reachable.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("LAYAN_BENCH_POSTGRES") or "postgres://postgres@127.0.0.1:5432"
DB_NAME = "layan_bench_reports"


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
    from layan.demo.loader import create_demo_staff, create_demo_teams, load_presets

    load_presets()
    create_demo_staff("bench-pass-123")
    create_demo_teams("bench-pass-123")
    return True


# ------------------------------------------------------------------------------ the generator


def columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


def writer(connection, backend: str):
    """A function (table, cols, rows) that appends rows as fast as the backend allows."""
    if backend == "postgres":
        raw = connection.connection

        def write(table, cols, rows):
            with raw.cursor() as cursor:
                names = ", ".join(f'"{c}"' for c in cols)
                with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)

        return write

    def write(table, cols, rows):
        names = ", ".join(f'"{c}"' for c in cols)
        marks = ", ".join("%s" for _ in cols)
        sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608 (model tables)
        with connection.cursor() as cursor:
            cursor.executemany(sql, list(rows))

    return write


def generate(requests: int, days: int, backend: str, seed: int = 14) -> dict:
    import json

    from django.db import connection, transaction
    from django.utils import timezone

    from layan.bot.models import SurveyResponse
    from layan.cases.models import Case, CaseEvent
    from layan.offices.models import Service
    from layan.reports.models import StepPassage

    rng = random.Random(seed)
    now = timezone.now()
    services = []
    for service in Service.objects.filter(is_active=True).select_related("office", "sop"):
        version = service.sop.current_version
        steps = list(version.steps.order_by("number", "pk"))
        parsed = version.parsed
        specs = {s.key: s for s in parsed.all_steps}
        services.append((service, version, steps, parsed, specs))
    weights = [5 if s[0].office.code == "waykanan" else 3 for s in services]
    write = writer(connection, backend)
    case_cols, event_cols = columns(Case), columns(CaseEvent)
    passage_cols, survey_cols = columns(StepPassage), columns(SurveyResponse)
    counts = {"requests": 0, "events": 0, "passages": 0, "surveys": 0}
    chunk = 20_000
    case_id = event_id = passage_id = survey_id = 0
    started = time.monotonic()
    for first in range(0, requests, chunk):
        cases, events, passages, surveys = [], [], [], []
        for _ in range(min(chunk, requests - first)):
            case_id += 1
            service, version, steps, parsed, specs = rng.choices(services, weights)[0]
            office = service.office
            age = rng.random() ** 1.3 * days  # a little more recent than old
            created = now - timedelta(days=age)
            created = created.replace(hour=rng.randint(0, 8), minute=rng.randint(0, 59))
            at = created
            status = "completed"
            roll = rng.random()
            if roll < 0.05:
                status = "rejected"
            elif roll < 0.07:
                status = "cancelled"
            stop = len(steps)
            if age < 3 and rng.random() < 0.7:
                status, stop = "in_progress", rng.randint(0, len(steps) - 1)
            seq = 1
            event_id += 1
            row_event = {
                "id": event_id, "case_id": case_id, "seq": seq, "at": at, "actor_id": None,
                "actor_kind": "applicant", "actor_name": "", "role": "", "action": "submit",
                "kind": "submit", "from_step": "", "to_step": steps[0].key,
                "status": "in_progress", "note": "", "data": json.dumps({}),
                "step_due_at": None, "due_at": None,
            }  # fmt: skip
            events.append(row_event)
            current = None
            for index, step in enumerate(steps):
                if index >= stop:
                    current = step
                    break
                spec = specs.get(step.key)
                standard = spec.minutes if spec else None
                slow = rng.random() < 1 / 6
                minutes = max(
                    0.5, rng.lognormvariate(0, 0.5) * (standard or 10) * (2.5 if slow else 0.6)
                )
                waited = 0.0
                if rng.random() < 0.1:
                    waited = rng.uniform(120, 2000)
                left = at + timedelta(minutes=minutes + waited)
                passage_id += 1
                passages.append({
                    "id": passage_id, "case_id": case_id, "office_id": office.pk,
                    "service_id": service.pk, "step": step.key, "step_number": step.number or 0,
                    "role": (parsed.acting_role(spec) or spec.role) if spec else "",
                    "entered_seq": seq, "entered_at": at, "left_at": left,
                    "working_minutes": round(minutes, 2), "waited_minutes": round(waited, 2),
                    "standard_minutes": standard, "left_by_id": None, "left_how": "complete",
                })  # fmt: skip
                seq += 1
                event_id += 1
                nxt = steps[index + 1].key if index + 1 < len(steps) else "end"
                last = index == len(steps) - 1 or (status == "rejected" and index == 1)
                events.append({
                    **row_event, "id": event_id, "seq": seq, "at": left, "actor_kind": "staff",
                    "action": "complete",
                    "kind": "reject" if status == "rejected" and last else "complete",
                    "from_step": step.key, "to_step": "end" if last else nxt,
                    "status": status if last else "in_progress",
                })  # fmt: skip
                at = left
                if last:
                    break
            closed = at if status in ("completed", "rejected", "cancelled") else None
            due = created + timedelta(days=1, hours=rng.randint(0, 48))
            nik_region = {"waykanan": "180801", "balangan": "631101", "solok": "137101",
                          "keliling": "131201", "metro": "187201"}[office.code]  # fmt: skip
            cases.append({
                "id": case_id, "office_id": office.pk, "service_id": service.pk,
                "sop_version_id": version.pk, "code": f"BR{case_id:09d}", "status": status,
                "current_step_id": current.pk if current and not closed else None,
                "applicant_name": "Warga Bench", "applicant_nik": f"{nik_region}0101900001",
                "applicant_phone": "", "submitter_kind": "applicant", "submitter_name": "",
                "submitter_phone": "", "submitted_by_id": None,
                "channel": rng.choices(["whatsapp", "counter", "field", "api"], [6, 3, 1, 1])[0],
                "intake_place": "", "form_data": json.dumps({"desa_kelurahan": "Desa Bench"}),
                "assigned_to_id": None, "claimed_at": None, "created_at": created,
                "updated_at": at, "closed_at": closed, "step_entered_at": None if closed else at,
                "step_due_at": None, "due_at": due, "paused_at": None, "step_remaining": None,
                "due_remaining": None, "version": seq,
            })  # fmt: skip
            if status == "completed" and rng.random() < 0.33:
                survey_id += 1
                answers = [min(4, max(1, round(rng.gauss(3.3, 0.6)))) for _ in range(9)]
                surveys.append({
                    "id": survey_id, "case_id": case_id, "office_id": office.pk,
                    "service_id": service.pk, "submitted_at": at + timedelta(hours=2),
                    **{f"u{i}": v for i, v in enumerate(answers, start=1)},
                })  # fmt: skip
        with transaction.atomic():
            write(Case._meta.db_table, case_cols, ([r.get(c) for c in case_cols] for r in cases))
            write(
                CaseEvent._meta.db_table,
                event_cols,
                ([r.get(c) for c in event_cols] for r in events),
            )
            write(
                StepPassage._meta.db_table,
                passage_cols,
                ([r.get(c) for c in passage_cols] for r in passages),
            )
            write(
                SurveyResponse._meta.db_table,
                survey_cols,
                ([r.get(c) for c in survey_cols] for r in surveys),
            )
        counts["requests"] += len(cases)
        counts["events"] += len(events)
        counts["passages"] += len(passages)
        counts["surveys"] += len(surveys)
        print(
            f"  loaded {counts['requests']:,} requests ({time.monotonic() - started:.0f} s)",
            flush=True,
        )
    if backend == "postgres":
        with connection.cursor() as cursor:
            for model in (Case, CaseEvent, StepPassage, SurveyResponse):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
                )
            cursor.execute("ANALYZE")
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


# ------------------------------------------------------------------------------ measuring


def timed(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    runs.sort()
    p95 = runs[min(len(runs) - 1, round(0.95 * (len(runs) - 1)))]
    return statistics.median(runs), p95


def measure(repeat: int, backend: str) -> list[tuple[str, float, float]]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from layan.cases.models import Case
    from layan.offices.models import Office
    from layan.reports import selectors

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    office = Office.objects.get(code="waykanan")
    now = timezone.now()
    today = timezone.localdate(timezone=office.tz)
    month = selectors.period_of("month", today.replace(day=1) - timedelta(days=1))
    year = selectors.Period(today - timedelta(days=365), today)
    rows = []
    for label, period in (("month", month), ("year", year)):
        for name, fn in (
            ("rekap", lambda p=period: selectors.rekap(office, p)),
            ("sla", lambda p=period: selectors.sla_report(office, p)),
            ("complaints", lambda p=period: selectors.complaints_report(office, p)),
            ("ikm", lambda p=period: selectors.ikm_report(office, p)),
        ):
            rows.append((f"{name} ({label})", *timed(fn, repeat)))
    rows.append(("backlog (now)", *timed(lambda: selectors.backlog(office, now), repeat)))
    rows.append(("head card", *timed(lambda: selectors.head_card(office, now), repeat)))
    kabid, operator = (
        get_user_model().objects.get(username=f"waykanan.{role}")
        for role in ("kabid", "operator_online")
    )
    client = Client()
    client.force_login(kabid)
    query = f"?period=month&day={month.start.isoformat()}"
    rows.append(
        (
            "page /console/reports/ (month)",
            *timed(lambda: client.get("/console/reports/" + query), max(3, repeat // 3)),
        )
    )
    other = Client()
    other.force_login(operator)
    rows.append(("page /console/ (queue)", *timed(lambda: other.get("/console/"), repeat)))
    code = (
        Case.objects.filter(office=office, status="in_progress")
        .values_list("code", flat=True)
        .first()
    )
    if code:
        rows.append(("page request", *timed(lambda: other.get(f"/console/r/{code}/"), repeat)))
    return rows


def explain(backend: str) -> str:
    from django.db import connection
    from django.utils import timezone

    from layan.offices.models import Office
    from layan.reports import selectors
    from layan.reports.models import StepPassage

    office = Office.objects.get(code="waykanan")
    today = timezone.localdate(timezone=office.tz)
    start, end = selectors.Period(today - timedelta(days=365), today).bounds(office)
    query = StepPassage.objects.filter(
        office=office, left_at__gte=start, left_at__lt=end
    ).values_list("service__code", "step", "working_minutes")
    sql, params = query.query.sql_with_params()
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if backend == "postgres" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def rollup_figures() -> list[tuple[str, float]]:
    from django.utils import timezone

    from layan.offices.models import Office
    from layan.reports import rollups

    offices = list(Office.objects.all())
    day = timezone.localdate() - timedelta(days=2)
    start = time.perf_counter()
    for office in offices:
        rollups.fill_intake_day(office, day)
        rollups.fill_steps_day(office, day)
    one_day = time.perf_counter() - start
    start = time.perf_counter()
    rollups.fill_all(reset=True)
    whole = time.perf_counter() - start
    return [
        ("rollups: one day, all offices (s)", one_day),
        ("rollups: backfill of the period (s)", whole),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--skip-rollups", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="layan-bench-reports-") as data_dir:
        if not prepare_database(args.backend, data_dir):
            return 0
        print(f"loading {args.requests:,} requests over {args.days} days ({args.backend}) ...")
        counts = generate(args.requests, args.days, args.backend)
        print(f"loaded: {counts}")
        print(f"\n{'measure':44} {'p50 ms':>9} {'p95 ms':>9}")
        for name, p50, p95 in measure(args.repeat, args.backend):
            print(f"{name:44} {p50:9.1f} {p95:9.1f}")
        if not args.skip_rollups:
            for name, seconds in rollup_figures():
                print(f"{name:44} {seconds:9.2f}")
        print("\nplan of the SLA query (a year of Way Kanan's passages):")
        print(explain(args.backend))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
