"""Benchmark: residents' first replies through the signed webhook, under load and under faults.

Simulated residents each send "halo" to one of the seed offices' WhatsApp numbers, through the
real signed webhook, at a fixed rate (open loop: a slow server does not slow the senders). The
Graph API is a small sink in this process: Layan's outbox sends its replies there, and the sink
notes when each resident's first reply arrives (and, like Meta, posts a signed "sent" status
webhook back for every message it takes). Figures: first-reply latency p50/p95/p99, replies per
second, and the exactly-once check: every resident answered, no message sent twice.

Set-ups (each started fresh, on loopback ports, and stopped at the end):

- ``embedded``: one ``layan demo`` process (SQLite, web and task worker in one process).
- ``scaleout``: PostgreSQL + Redis: ``layan serve`` (gunicorn, ``--web`` workers) and
  ``--workers`` × ``layan worker`` with ``LAYAN_TASK_BACKEND=rq``.
- ``split``: PostgreSQL, the database task backend: ``layan serve`` and ``layan worker``
  processes (woken by NOTIFY).

Faults (``--fault``), each bounded in time:

- ``kill-worker``: a burst of ``--burst`` conversations; a task worker is killed with SIGKILL in
  the middle of it and started again.
- ``graph-down``: the sink answers 503 for ``--down`` seconds under a steady load; messages queue,
  the office's backlog alert is raised, and the queue drains after the sink recovers.
- ``restart-postgres`` / ``restart-redis``: the server is restarted under load (needs the right to
  run ``pg_ctlcluster`` / ``redis-cli``); a webhook answered 200 was stored; non-200 answers are
  retried after a second, as Meta does.

    .venv/bin/python bench/conversations.py --setup embedded --rates 2,5,20,50,100
    .venv/bin/python bench/conversations.py --setup scaleout --rates 20,50,100 --workers 1,2
    .venv/bin/python bench/conversations.py --setup scaleout --fault kill-worker
    .venv/bin/python bench/conversations.py --setup embedded --fault graph-down --down 300
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from layan.whatsapp.signatures import sign  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from webhook_ingest import CLK_TCK, processes, wait_for_quiet  # noqa: E402


def _exit_on_signal(signum, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through the `finally` that stops Layan


LAYAN = str(ROOT / ".venv" / "bin" / "layan")
SECRET = "bench-app-secret"  # noqa: S105 - the set-up under test is started with it
PG = os.environ.get("LAYAN_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("LAYAN_BENCH_REDIS", "redis://127.0.0.1:6379/6")
# The seed offices' numbers whose bot answers "halo" (one resident talks to one number).
NUMBERS = [
    "628117961500",
    "628117961600",
    "628117961700",
    "628117961800",
    "6281100001302",
    "6281100006311",
    "6281100001872",
    "62753466353",
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --------------------------------------------------------------------------- the Graph sink


class Sink:
    """Meta's Graph API, as far as sending goes: takes messages, or answers 503 while down."""

    def __init__(self, webhook_url: str):
        self.webhook_url = webhook_url
        self.lock = threading.Lock()
        self.first: dict[str, float] = {}
        self.bodies: dict[str, list[str]] = defaultdict(list)
        self.taken = 0
        self.taken_at: list[tuple[str, float]] = []
        self.refused = 0
        self.down = False
        self.statuses: list[tuple[str, str, str, str]] = []
        self.status_ready = threading.Condition(self.lock)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        threading.Thread(target=self._post_statuses, daemon=True).start()

    def _handler(self):
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per answer and no Nagle: headers and body written apart would wait for
            # the client's delayed ACK (about 40 ms) on every send.
            wbufsize = 65536
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if sink.down:
                    with sink.lock:
                        sink.refused += 1
                    return self._answer(
                        503,
                        {
                            "error": {
                                "message": "Service temporarily unavailable",
                                "type": "OAuthException",
                                "code": 2,
                                "is_transient": True,
                            }
                        },
                    )
                payload = json.loads(raw or b"{}")
                to = str(payload.get("to") or payload.get("recipient") or "")
                kind = payload.get("type", "")
                text = json.dumps(payload.get(kind), sort_keys=True)
                wamid = f"wamid.SINK{uuid.uuid4().hex}"
                number = self.path.rstrip("/").split("/")[-2]
                with sink.lock:
                    sink.taken += 1
                    sink.taken_at.append((number, time.monotonic()))
                    sink.first.setdefault(to, time.monotonic())
                    sink.bodies[to].append(text)
                    callback = payload.get("biz_opaque_callback_data") or ""
                    sink.statuses.append((number, wamid, to, callback))
                    sink.status_ready.notify()
                self._answer(
                    200,
                    {
                        "messaging_product": "whatsapp",
                        "contacts": [{"input": to, "wa_id": to}],
                        "messages": [{"id": wamid}],
                    },
                )

        return Handler

    def _post_statuses(self) -> None:
        """Like Meta: a signed "sent" status for each message taken, a moment later."""
        with httpx.Client(timeout=10) as client:
            while True:
                with self.lock:
                    while not self.statuses:
                        self.status_ready.wait()
                    batch, self.statuses = self.statuses[:50], self.statuses[50:]
                by_number: dict[str, list] = defaultdict(list)
                for number, wamid, to, callback in batch:
                    item = {
                        "id": wamid,
                        "status": "sent",
                        "timestamp": str(int(time.time())),
                        "recipient_id": to,
                    }
                    if callback:
                        item["biz_opaque_callback_data"] = callback
                    by_number[number].append(item)
                for number, items in by_number.items():
                    body = json.dumps(envelope(number, {"statuses": items})).encode()
                    for _attempt in range(30):
                        try:
                            answer = client.post(
                                self.webhook_url,
                                content=body,
                                headers={
                                    "Content-Type": "application/json",
                                    "X-Hub-Signature-256": sign(body, SECRET),
                                },
                            )
                            if answer.status_code == 200:
                                break
                        except httpx.HTTPError:
                            pass
                        time.sleep(1)

    def stop(self) -> None:
        self.server.shutdown()


def envelope(number: str, value: dict) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA-BENCH",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": number, "phone_number_id": number},
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def hello(number: str, wa_id: str) -> bytes:
    value = {
        "contacts": [{"profile": {"name": "Warga Uji"}, "wa_id": wa_id}],
        "messages": [
            {
                "from": wa_id,
                "id": f"wamid.IN{uuid.uuid4().hex}",
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": "halo"},
            }
        ],
    }
    return json.dumps(envelope(number, value)).encode()


# --------------------------------------------------------------------------- Layan processes


class Layan:
    """The set-up under test: its processes, their environment, start and stop."""

    def __init__(self, setup: str, web: int, workers: int, sink_port: int, keep_logs: Path):
        self.setup, self.web, self.workers = setup, web, workers
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="layan-bench-conv-"))
        self.logs = keep_logs
        self.procs: dict[str, subprocess.Popen] = {}
        self.sessions: set[int] = set()
        self.cpu_gone = 0.0  # CPU seconds of Layan processes that were killed or stopped
        self.env = {
            **os.environ,
            "LAYAN_DATA_DIR": str(self.dir),
            "WHATSAPP_GRAPH_URL": f"http://127.0.0.1:{sink_port}",
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_VERIFY_TOKEN": "bench-verify",
            "WHATSAPP_ACCESS_TOKEN": "bench-token",
            "LAYAN_STANDIN": "false",
            "LAYAN_REQUIRE_2FA": "false",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "layan.settings",
            "WHATSAPP_BACKLOG_ALERT_SECONDS": "60",
        }
        self.env.pop("DATABASE_URL", None)
        self.env.pop("LAYAN_TASK_BACKEND", None)
        if setup in ("scaleout", "split"):
            self.database = "layan_bench_conversations"
            self.env["DATABASE_URL"] = f"{PG}/{self.database}"
        if setup == "scaleout":
            self.env.update({"LAYAN_TASK_BACKEND": "rq", "REDIS_URL": REDIS})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, name: str, args: list[str]) -> None:
        out = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the process
        self.procs[name] = subprocess.Popen(  # noqa: S603 - our own commands
            [LAYAN, *args],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=self.dir,
            start_new_session=True,  # its CPU is counted by session (cpu_seconds)
        )
        self.sessions.add(self.procs[name].pid)

    def prepare(self) -> None:
        if self.setup == "embedded":
            return  # the demo sets itself up
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {self.database}")
        log(f"database {self.database}: migrate and load the seed offices")
        subprocess.run(  # noqa: S603
            [LAYAN, "demo", "--load-only"], env=self.env, check=True, capture_output=True
        )
        if self.setup == "scaleout":
            import redis

            redis.Redis.from_url(REDIS).flushdb()

    def start(self) -> None:
        if self.setup == "embedded":
            self._spawn("demo", ["demo", "--port", str(self.port)])
        else:
            self._spawn(
                "web",
                ["serve", "--port", str(self.port), "--workers", str(self.web), "--threads", "4"],
            )
            for index in range(self.workers):
                self.start_worker(index)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError("Layan did not start (see the logs)")

    def start_worker(self, index: int) -> None:
        args = ["worker"] + (["--no-scheduler"] if index else [])
        self._spawn(f"worker{index}", args)

    def worker_names(self) -> list[str]:
        return [n for n in self.procs if n.startswith("worker")] or ["demo"]

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        before = cpu_seconds(self.sessions)["layan"]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        time.sleep(0.2)
        self.cpu_gone += before - cpu_seconds(self.sessions)["layan"]

    def query(self, sql: str) -> list[tuple]:
        """Read the set-up's database directly (counts for the exactly-once check)."""
        if self.setup == "embedded":
            import sqlite3

            with sqlite3.connect(self.dir / "layan.sqlite3", timeout=30) as conn:
                return conn.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.env["DATABASE_URL"]) as conn:
            return conn.execute(sql).fetchall()

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------- CPU accounting


def cpu_seconds(sessions: set[int]) -> dict[str, float]:
    """CPU seconds so far of Layan's processes (by session, reaped children included),
    PostgreSQL, Redis, this benchmark (the residents and the Graph sink) and the machine."""
    out = {"layan": 0.0, "postgres": 0.0, "redis": 0.0, "bench": 0.0}
    for pid, comm, sid, cpu in processes():
        if pid == os.getpid():
            out["bench"] += cpu
        elif sid in sessions:
            out["layan"] += cpu
        elif comm.startswith(b"postgres"):
            out["postgres"] += cpu
        elif comm.startswith(b"redis-server"):
            out["redis"] += cpu
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    out["machine"] = (sum(parts[:8]) - parts[3] - parts[4]) / CLK_TCK
    return out


# --------------------------------------------------------------------------- the load


async def send_load(url: str, rate: float, seconds: float, prefix: str, sent: dict) -> dict:
    """POST one "halo" per new resident at ``rate`` per second for ``seconds``; a non-200 answer
    (or no answer) is retried after a second, as Meta retries, until stored."""
    answers: dict[str, int] = defaultdict(int)
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one(index: int) -> None:
            number = NUMBERS[index % len(NUMBERS)]
            wa_id = f"{prefix}{index:06d}"
            body = hello(number, wa_id)
            headers = {
                "Content-Type": "application/json",
                "X-Hub-Signature-256": sign(body, SECRET),
            }
            sent[wa_id] = time.monotonic()
            for _attempt in range(120):
                try:
                    answer = await client.post(url, content=body, headers=headers)
                    answers[str(answer.status_code)] += 1
                    if answer.status_code == 200:
                        return
                except httpx.HTTPError as exc:
                    answers[exc.__class__.__name__] += 1
                await asyncio.sleep(1.0)
            answers["gave_up"] += 1

        start = time.monotonic()
        tasks = []
        total = int(rate * seconds)
        for index in range(total):
            due = start + index / rate
            pause = due - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            tasks.append(asyncio.create_task(one(index)))
        await asyncio.gather(*tasks)
    return dict(answers)


def measure(
    layan: Layan, sink: Sink, rate: float, seconds: float, *, during=None, settle: float = 60.0
) -> dict:
    prefix = f"62899{uuid.uuid4().int % 100000:05d}"
    sent: dict[str, float] = {}
    with sink.lock:
        taken_before = sink.taken
    if during is not None:
        threading.Thread(target=during, daemon=True).start()
    cpu_before, gone_before = cpu_seconds(layan.sessions), layan.cpu_gone
    started = time.monotonic()
    answers = asyncio.run(send_load(f"{layan.url}/webhooks/whatsapp", rate, seconds, prefix, sent))
    load_end = time.monotonic()
    # Wait for the replies (bounded): every resident answered, or nothing new for 60 s.
    last_count, last_change = -1, time.monotonic()
    while time.monotonic() - load_end < 900:
        with sink.lock:
            count = sum(1 for wa in sent if wa in sink.first)
        if count == len(sent):
            break
        if count != last_count:
            last_count, last_change = count, time.monotonic()
        elif time.monotonic() - last_change > settle and not sink.down:
            break
        time.sleep(0.2)
    cpu_after = cpu_seconds(layan.sessions)
    cpu_after["layan"] += layan.cpu_gone - gone_before
    cpu_wall = time.monotonic() - started
    time.sleep(3)  # any second copy would arrive now
    with sink.lock:
        latencies = [sink.first[wa] - t for wa, t in sent.items() if wa in sink.first]
        per_resident = [sink.bodies.get(wa, []) for wa in sent]
        last_reply = max((sink.first[wa] for wa in sent if wa in sink.first), default=load_end)
        taken = sink.taken - taken_before
    counts = [len(b) for b in per_resident if b]
    usual = statistics.mode(counts) if counts else 0
    twice = sum(len(b) - len(set(b)) for b in per_resident)
    # None lost: every resident's "halo" is stored exactly once (a 200 means stored).
    rows = layan.query(
        "SELECT i.wa_id FROM whatsapp_inboundmessage m "
        "JOIN whatsapp_identity i ON i.id = m.identity_id"
    )
    mine = [wa for (wa,) in rows if wa.startswith(prefix)]
    stored, stored_residents = len(mine), len(set(mine))
    return {
        "rate": rate,
        "seconds": seconds,
        "residents": len(sent),
        "stored": stored,
        "stored_residents": stored_residents,
        "webhook_answers": answers,
        "answered": len(latencies),
        "unanswered": len(sent) - len(latencies),
        "sent_twice": twice,
        "replies_per_resident": usual,
        "first_reply_ms": {
            "p50": round(pct(latencies, 50) * 1000),
            "p95": round(pct(latencies, 95) * 1000),
            "p99": round(pct(latencies, 99) * 1000),
            "max": round(max(latencies, default=float("nan")) * 1000),
        },
        "replies_per_s": round(taken / max(last_reply - started, 1e-9), 1),
        # CPU milliseconds per resident answered (sizing: cores = rate x ms / 1000), and the
        # machine's busy share in % of one core over the run.
        "cpu_ms_per_resident": {  # 0 for a server restarted during the run (its count restarts)
            k: max(round(1000 * (cpu_after[k] - cpu_before[k]) / max(len(latencies), 1), 1), 0)
            for k in ("layan", "postgres", "redis", "bench")
        },
        "machine_busy_pct": round(100 * (cpu_after["machine"] - cpu_before["machine"]) / cpu_wall),
        "wall_s": round(time.monotonic() - started, 1),
    }


# --------------------------------------------------------------------------- faults


def fault_kill_worker(layan: Layan, sink: Sink, args) -> dict:
    names = layan.worker_names()
    victim = names[-1]
    seconds = args.burst / args.burst_rate

    def killer():
        time.sleep(seconds / 2)
        log(f"SIGKILL {victim}")
        if victim == "demo":
            layan.kill("demo")
            time.sleep(2)
            layan._spawn("demo", ["demo", "--port", str(layan.port)])
        else:
            layan.kill(victim)
            time.sleep(2)
            layan.start_worker(int(victim.removeprefix("worker")))
        log(f"{victim} started again")

    # What the killed worker had claimed waits out its lease (the inbox's 2 minutes, the outbox's
    # in-flight claim) and is taken up by the 10-s sweep: wait for that, not only 60 s.
    result = measure(layan, sink, args.burst_rate, seconds, during=killer, settle=180.0)
    result["fault"] = f"SIGKILL {victim} at {seconds / 2:.0f} s, restarted 2 s later"
    return result


def fault_graph_down(layan: Layan, sink: Sink, args) -> dict:
    lead = 20.0
    seconds = lead + args.down + 20.0
    timeline: dict[str, float] = {}

    def outage():
        time.sleep(lead)
        sink.down = True
        timeline["down"] = time.monotonic()
        log(f"Graph down for {args.down:.0f} s")
        time.sleep(args.down)
        sink.down = False
        timeline["up"] = time.monotonic()
        log("Graph up again")

    result = measure(layan, sink, args.steady_rate, seconds, during=outage)
    alerts = layan.query("SELECT count(*) FROM core_alert WHERE kind = 'whatsapp_backlog'")[0][0]
    result["fault"] = f"Graph API answering 503 for {args.down:.0f} s"
    result["refused_by_graph"] = sink.refused
    # The drain after recovery: messages the sink took from "up" to the last of them, per number
    # (Layan paces each number below WHATSAPP_SEND_RATE).
    with sink.lock:
        after = [(n, t) for n, t in sink.taken_at if t >= timeline.get("up", float("inf"))]
    if after:
        span = max(t for _, t in after) - timeline["up"]
        per_number = defaultdict(int)
        for number, _ in after:
            per_number[number] += 1
        result["drain"] = {
            "messages": len(after),
            "seconds": round(span, 1),
            "busiest_number_messages": max(per_number.values()),
            "busiest_number_per_s": round(max(per_number.values()) / max(span, 1e-9), 1),
        }
    result["backlog_alerts_raised"] = alerts
    result["backlog_alerts_open_after"] = layan.query(
        "SELECT count(*) FROM core_alert WHERE kind = 'whatsapp_backlog' AND resolved_at IS NULL"
    )[0][0]
    return result


def fault_restart(layan: Layan, sink: Sink, args, what: str) -> dict:
    seconds = 60.0

    def restart():
        time.sleep(20)
        log(f"restarting {what}")
        started = time.monotonic()
        if what == "postgres":
            import psycopg

            with psycopg.connect(f"{PG}/postgres") as conn:  # Debian's "15/main"
                cluster = conn.execute("SHOW cluster_name").fetchone()[0].split("/")
            subprocess.run(["pg_ctlcluster", *cluster, "restart"], check=True)  # noqa: S603,S607
        else:
            # Shut down without saving, the queued jobs are lost (the database's leases and the
            # periodic sweep bring the work back); it is started again with its own settings.
            import redis

            server = redis.Redis.from_url(REDIS)
            config = server.info("server").get("config_file") or ""
            again = ["redis-server", config] if config else ["redis-server"]
            for key in ("bind", "port", "save", "appendonly", "dir", "logfile", "maxmemory-policy"):
                value = server.config_get(key).get(key, "")
                again += [f"--{key}", *(value.split() if key == "bind" else [value])]
            subprocess.run(["redis-cli", "-u", REDIS, "shutdown", "nosave"], check=False)  # noqa: S603,S607
            time.sleep(1)
            subprocess.run([*again, "--daemonize", "yes"], check=True, cwd=tempfile.gettempdir())  # noqa: S603
        log(f"{what} back after {time.monotonic() - started:.1f} s")

    result = measure(layan, sink, args.steady_rate, seconds, during=restart)
    result["fault"] = f"{what} restarted at 20 s"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setup", choices=["embedded", "scaleout", "split"], default="embedded")
    parser.add_argument("--rates", default="2,5,20,50,100", help="messages per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per rate")
    parser.add_argument("--web", type=int, default=2, help="web worker processes")
    parser.add_argument("--workers", default="2", help="task worker processes, e.g. 1,2")
    parser.add_argument(
        "--fault",
        choices=["kill-worker", "graph-down", "restart-postgres", "restart-redis"],
    )
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--burst-rate", type=float, default=50.0)
    parser.add_argument("--steady-rate", type=float, default=5.0)
    parser.add_argument("--down", type=float, default=300.0)
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60.0,
        help="seconds to wait at most, before each rate, for the machine to settle",
    )
    parser.add_argument("--logs", default=str(ROOT / "bench" / "results" / "conversations"))
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _exit_on_signal)
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    results = []
    for workers in [int(w) for w in args.workers.split(",")]:
        layan_box: dict[str, Layan] = {}
        port = free_port()
        sink = Sink(f"http://127.0.0.1:{port}/webhooks/whatsapp")
        layan = Layan(args.setup, args.web, workers, sink.port, logs)
        layan.port = port
        layan_box["l"] = layan
        try:
            layan.prepare()
            log(f"starting {args.setup} ({args.web} web, {workers} task workers)")
            layan.start()
            warm = measure(layan, sink, 2, 3)  # first requests load code and caches
            log(f"warm-up: {warm['answered']}/{warm['residents']} answered")
            if args.fault == "kill-worker":
                runs = [fault_kill_worker(layan, sink, args)]
            elif args.fault == "graph-down":
                runs = [fault_graph_down(layan, sink, args)]
            elif args.fault in ("restart-postgres", "restart-redis"):
                runs = [fault_restart(layan, sink, args, args.fault.split("-")[1])]
            else:
                runs = []
                for rate in [float(r) for r in args.rates.split(",")]:
                    wait_for_quiet(args.quiet_wait, threshold=60.0)
                    log(f"{rate:g}/s for {args.duration:g} s")
                    runs.append(measure(layan, sink, rate, args.duration))
                    log(json.dumps(runs[-1]))
            stored = layan.query("SELECT count(*) FROM whatsapp_inboundmessage")[0][0]
            for run in runs:
                run.update(setup=args.setup, web=args.web, task_workers=workers)
                print(json.dumps(run), flush=True)
            log(f"inbound messages stored: {stored}")
            results.extend(runs)
        finally:
            layan.stop()
            sink.stop()
    print(
        "\n| set-up | workers | rate/s | residents | stored | answered | twice | p50 ms | p95 ms "
        "| p99 ms | replies/s | CPU ms/resident: Layan, PostgreSQL, Redis |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        ms, cpu = r["first_reply_ms"], r["cpu_ms_per_resident"]
        print(
            f"| {r['setup']}{' (' + r['fault'] + ')' if r.get('fault') else ''} "
            f"| {r['task_workers']} | {r['rate']:g} | {r['residents']} | {r['stored']} "
            f"| {r['answered']} "
            f"| {r['sent_twice']} | {ms['p50']} | {ms['p95']} | {ms['p99']} "
            f"| {r['replies_per_s']} "
            f"| {cpu['layan']:g}, {cpu['postgres']:g}, {cpu['redis']:g} |"
        )


if __name__ == "__main__":
    main()
