"""Webhook ingest benchmark: how many signed WhatsApp webhooks Layan acknowledges per second.

One command, from the repository root:

    .venv/bin/python bench/webhook_ingest.py                 # the default configuration
    .venv/bin/python bench/webhook_ingest.py --workers 2,3,4 --threads 1,4 --concurrency 8,32

What it does (see bench/README.md):

1. drops and creates the PostgreSQL database ``layan_bench`` on the server named by
   ``LAYAN_BENCH_POSTGRES`` (default ``postgres://postgres@127.0.0.1:5432``; exits 0 with a
   message when PostgreSQL is unreachable), runs ``layan migrate`` and ``layan demo --load-only``;
2. for every (workers, threads, concurrency) combination: starts ``layan serve --server
   gunicorn`` (LAYAN_TASK_BACKEND=db, no task worker: ingest and acknowledgement only), waits
   for /healthz, runs the load generator (bench/loadgen.py, a separate process) and stops the
   server; then the same against the floor (bench/floor_app.py under gunicorn, same workers);
3. checks that the rows stored equal the 200 answers (nothing acknowledged without being
   stored; for Layan it also reports the task rows queued for the worker), and prints a summary
   with the layan/floor ratio and the targets.

Loopback only, bounded in requests and in seconds; servers are stopped in ``finally``.
Exit status: 0, or 1 when a stored-rows check failed, or 2 with --strict when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
# The PostgreSQL server, as a URL without a database name; the benchmark's databases are on it.
PG_SERVER_URL = os.environ.get("LAYAN_BENCH_POSTGRES") or "postgres://postgres@127.0.0.1:5432"
SECRET = "bench-app-secret-3f6c1a"  # noqa: S105 - a benchmark's own test secret
HOST = "127.0.0.1"

TARGET_RPS = 1000.0
TARGET_P99_MS = 100.0
TARGET_RATIO = 0.5
STEAL_LIMIT = 10.0  # % of a core taken by the hypervisor during a run: beyond, the run is noisy

LAYAN_TABLE = "whatsapp_inboundevent"
TASK_TABLE = "django_tasks_database_dbtaskresult"
FLOOR_TABLE = "bench_floor_event"


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


# --------------------------------------------------------------------------- database


def pg_url(database: str) -> str:
    """The URL of ``database`` on the configured server (any database name in it is replaced)."""
    parts = urllib.parse.urlsplit(PG_SERVER_URL)
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}/{database}{query}"


PG_ADMIN_URL = pg_url("postgres")


def pg_address() -> str:
    """The configured server as ``user@host:port``, for messages (never the password)."""
    parts = urllib.parse.urlsplit(PG_SERVER_URL)
    host = parts.hostname or urllib.parse.parse_qs(parts.query).get("host", ["localhost"])[0]
    if ":" in host:
        host = f"[{host}]"
    address = f"{host}:{parts.port or 5432}"
    return f"{parts.username}@{address}" if parts.username else address


def code_version() -> str:
    """The last commit of layan/ (read-only git), ``+dirty`` when layan/ has local changes: runs
    on different code do not compare, so each run records the code it measured."""
    try:
        head = subprocess.run(  # noqa: S603
            ["git", "log", "-1", "--format=%h", "--", "layan"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603
            ["git", "status", "--porcelain", "--", "layan"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def pg_connect(url: str, **kw):
    import psycopg

    return psycopg.connect(url, connect_timeout=3, **kw)


def pg_reachable() -> str | None:
    """The server version, or None when PostgreSQL cannot be reached."""
    try:
        with pg_connect(PG_ADMIN_URL) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:  # noqa: BLE001 - any failure means: skip
        log(f"PostgreSQL at {pg_address()} unreachable ({type(exc).__name__}: {exc})")
        return None


def create_database(name: str) -> None:
    with pg_connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def run_layan(args: list[str], env: dict, timeout: float = 600) -> None:
    cmd = [str(VENV_BIN / "layan"), *args]
    log("$ " + " ".join(["layan", *args]))
    proc = subprocess.run(  # noqa: S603 - the project's own command
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise RuntimeError(f"layan {' '.join(args)} failed with status {proc.returncode}")
    for line in proc.stdout.strip().splitlines()[-2:]:
        log("  " + line)


def count_rows(db_url: str, table: str) -> int:
    with pg_connect(db_url) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608


def reset_tables(db_url: str) -> None:
    with pg_connect(db_url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {LAYAN_TABLE}, {TASK_TABLE}, {FLOOR_TABLE} CASCADE")
        conn.execute(f"VACUUM ANALYZE {LAYAN_TABLE}")
        conn.execute(f"VACUUM ANALYZE {TASK_TABLE}")
        conn.execute(f"VACUUM ANALYZE {FLOOR_TABLE}")
        conn.execute("CHECKPOINT")


def phone_number_ids(db_url: str) -> list[str]:
    with pg_connect(db_url) as conn:
        rows = conn.execute(
            "SELECT phone_number_id FROM offices_channel WHERE phone_number_id <> '' ORDER BY id"
        ).fetchall()
    return [r[0] for r in rows]


# --------------------------------------------------------------------------- processes


def _die_with_parent() -> None:
    """In the server child, before exec: SIGTERM it when the benchmark dies, even by SIGKILL
    (Linux prctl PR_SET_PDEATHSIG), so that no server outlives the benchmark."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except Exception:  # noqa: BLE001, S110 - best effort; `finally` stops servers anyway
        pass


def _exit_on_signal(signum, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through the `finally` blocks that stop servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """A server subprocess in its own session (so its workers can be stopped with it)."""

    def __init__(self, name: str, cmd: list[str], env: dict, port: int, logdir: Path):
        self.name, self.cmd, self.env, self.port = name, cmd, env, port
        self.logpath = logdir / f"{name}-{port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        self._log = open(self.logpath, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(  # noqa: S603 - our own server commands
            self.cmd,
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only async-signal-safe work
        )
        deadline = time.monotonic() + timeout
        url = f"http://{HOST}:{self.port}/healthz"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not healthy after {timeout:.0f}s:\n{self.tail()}")

    def tail(self, n: int = 3000) -> str:
        try:
            return self.logpath.read_bytes()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            pgid = proc.pid  # its own session and process group (start_new_session)
            try:
                proc.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of master + workers
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)  # anything of this group still alive
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None


def layan_server(cfg: dict, env: dict, logdir: Path) -> Server:
    port = free_port()
    cmd = [
        str(VENV_BIN / "layan"), "serve", "--server", "gunicorn",
        "--host", HOST, "--port", str(port),
        "--workers", str(cfg["workers"]), "--threads", str(cfg["threads"]),
    ]  # fmt: skip
    return Server("layan", cmd, env, port, logdir)


def variant_server(cfg: dict, env: dict, logdir: Path, variants: str, cprofile: str | None):
    """Layan's app with what-if changes (bench/variants.py), gunicorn set up as `layan serve`."""
    port = free_port()
    cmd = [
        str(VENV_BIN / "gunicorn"),
        "--bind", f"{HOST}:{port}",
        "--workers", str(cfg["workers"]), "--threads", str(cfg["threads"]),
        "--worker-class", "gthread" if cfg["threads"] > 1 else "sync",
        "--keep-alive", "5",
        "--pythonpath", str(BENCH),
        "variant_wsgi:application",
    ]  # fmt: skip
    env = {**env, "LAYAN_BENCH_VARIANTS": "" if variants == "as-is" else variants}
    if cprofile:
        Path(cprofile).mkdir(parents=True, exist_ok=True)
        env["LAYAN_BENCH_CPROFILE"] = str(Path(cprofile).resolve())
    return Server("variant", cmd, env, port, logdir)


def floor_server(cfg: dict, env: dict, logdir: Path) -> Server:
    port = free_port()
    cmd = [
        str(VENV_BIN / "gunicorn"),
        "--bind", f"{HOST}:{port}",
        "--workers", str(cfg["workers"]), "--threads", str(cfg["threads"]),
        "--worker-class", "gthread" if cfg["threads"] > 1 else "sync",
        "--keep-alive", "5",
        "--pythonpath", str(BENCH),
        "floor_app:application",
    ]  # fmt: skip
    return Server("floor", cmd, env, port, logdir)


# --------------------------------------------------------------------------- CPU accounting

CLK_TCK = os.sysconf("SC_CLK_TCK")


def processes():
    """(pid, command name, session id, CPU seconds) of every process on the machine. The CPU
    is utime + stime plus cutime + cstime: the time of reaped children (a PostgreSQL backend or
    a gunicorn worker that exited is counted in its parent, not lost)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                raw = f.read()
        except OSError:
            continue
        comm = raw[raw.index(b"(") + 1 : raw.rindex(b")")]
        fields = raw[raw.rindex(b")") + 2 :].split()
        # fields[0] is state (field 3): session is field 6, utime..cstime fields 14-17
        yield int(entry), comm, int(fields[3]), sum(int(x) for x in fields[11:15]) / CLK_TCK


def cpu_snapshot(loadgen_pid: int, server_sid: int) -> dict:
    """CPU seconds so far of: the load generator, the server (its session), PostgreSQL
    processes, and the whole machine (busy = not idle/iowait)."""
    out = {"client": 0.0, "server": 0.0, "postgres": 0.0}
    for pid, comm, sid, cpu in processes():
        if pid == loadgen_pid:
            out["client"] += cpu
        elif sid == server_sid:
            out["server"] += cpu
        elif comm.startswith(b"postgres"):
            out["postgres"] += cpu
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + parts[4]
    out["machine_busy"] = (sum(parts[:8]) - idle) / CLK_TCK
    out["steal"] = parts[7] / CLK_TCK  # time the hypervisor did not run our vCPUs
    return out


def machine_busy(interval: float = 1.0) -> float:
    """Busy CPU over ``interval`` seconds, in % of one core (200 = both cores of 2)."""

    def read():
        with open("/proc/stat") as f:
            parts = [int(x) for x in f.readline().split()[1:8]]
        return sum(parts) - parts[3] - parts[4], sum(parts)

    b0, t0 = read()
    time.sleep(interval)
    b1, t1 = read()
    ncpu = os.cpu_count() or 1
    return 100.0 * ncpu * (b1 - b0) / max(1, t1 - t0)


def speed_probe(rounds: int = 7) -> float:
    """Milliseconds of CPU for a fixed pure-Python workload (median of ``rounds``).

    On a virtual machine the same work can take twice as long from one minute to the next;
    every run records this so that figures taken at different moments can be compared: a run
    with a higher probe ran on a slower machine."""
    times = []
    for _ in range(rounds):
        c0 = time.process_time()
        d: dict = {}
        for i in range(100_000):
            d[i % 1000] = str(i)
        json.dumps(d)
        times.append(1000 * (time.process_time() - c0))
        time.sleep(0.02)
    return sorted(times)[len(times) // 2]


def wait_for_quiet(max_wait: float, threshold: float = 35.0) -> float:
    """Wait (at most ``max_wait`` s) until the machine is idle for 3 s in a row, so that a run
    is not disturbed by other load on the machine. Returns the last busy reading."""
    deadline = time.monotonic() + max_wait
    quiet = 0
    busy = machine_busy()
    warned = False
    while time.monotonic() < deadline:
        quiet = quiet + 1 if busy < threshold else 0
        if quiet >= 3:
            return busy
        if not warned and busy >= threshold:
            log(f"machine busy ({busy:.0f}% of a core used by other processes); waiting")
            warned = True
        busy = machine_busy()
    log(f"WARNING: machine still busy ({busy:.0f}% of a core) after {max_wait:.0f}s; measuring")
    return busy


# --------------------------------------------------------------------------- one measurement


def measure(server: Server, args, numbers: list[str]) -> dict:
    cmd = [
        sys.executable, str(BENCH / "loadgen.py"),
        "--host", HOST, "--port", str(server.port), "--secret", SECRET,
        "--requests", str(args.requests), "--duration", str(args.duration),
        "--warmup", str(args.warmup), "--concurrency", str(server.concurrency),
        "--numbers", ",".join(numbers), "--run-id", os.urandom(6).hex(),
    ]  # fmt: skip
    proc = subprocess.Popen(  # noqa: S603 - our own load generator
        cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, preexec_fn=_die_with_parent
    )
    cpu0 = cpu1 = None
    result = None
    t_start = t_end = None
    try:
        for line in proc.stdout:
            line = line.strip()
            if line == "START":
                cpu0, t_start = cpu_snapshot(proc.pid, server.proc.pid), time.monotonic()
            elif line == "END":
                cpu1, t_end = cpu_snapshot(proc.pid, server.proc.pid), time.monotonic()
            elif line.startswith("{"):
                result = json.loads(line)
        proc.wait(timeout=args.duration + args.duration + 120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0 or result is None:
        raise RuntimeError(f"load generator failed (status {proc.returncode})")
    if cpu0 and cpu1:
        wall = t_end - t_start
        cpu = {k: 100.0 * (cpu1[k] - cpu0[k]) / wall for k in cpu0}
        cpu["other"] = (
            cpu["machine_busy"] - cpu["client"] - cpu["server"] - cpu["postgres"] - cpu["steal"]
        )
        result["cpu_pct"] = cpu
    return result


def run_config(cfg: dict, args, env: dict, db_url: str, numbers: list[str], logdir: Path):
    rows = {}
    kinds = [] if args.no_layan else ["layan"]
    kinds += [f"layan+{v}" for v in args.variant]
    kinds += [] if args.no_floor else ["floor"]
    for kind in kinds:
        if kind == "floor" and args.floor_workers:
            cfg_k = {**cfg, "workers": args.floor_workers}
        else:
            cfg_k = cfg
        reset_tables(db_url)
        if args.quiet_wait > 0:
            wait_for_quiet(args.quiet_wait)
        if kind == "layan":
            server = layan_server(cfg_k, env, logdir)
        elif kind == "floor":
            server = floor_server(cfg_k, env, logdir)
        else:
            server = variant_server(cfg_k, env, logdir, kind.split("+", 1)[1], args.cprofile)
        server.concurrency = cfg["concurrency"]
        label = f"{kind} W={cfg_k['workers']} T={cfg_k['threads']} C={cfg['concurrency']}"
        log(f"{label}: starting on port {server.port}")
        try:
            commit = code_version()
            server.start()
            probe = speed_probe()
            res = measure(server, args, numbers)
            res["probe_ms"] = probe
            res["commit"] = commit
        finally:
            server.stop()
        table = FLOOR_TABLE if kind == "floor" else LAYAN_TABLE
        res["stored"] = count_rows(db_url, table)
        res["check_ok"] = res["stored"] == res["ok_total"]
        if kind != "floor":
            # Task rows queued for the (not running) worker: the inbox drain is debounced, so
            # far fewer than events; none at all would mean nothing ever processes them.
            res["tasks"] = count_rows(db_url, TASK_TABLE)
            if res["stored"] and not res["tasks"]:
                log(f"{label}: WARNING: {res['stored']} events stored but no task queued")
        res.update({**cfg_k, "kind": kind, "concurrency": cfg["concurrency"]})
        cpu = res.get("cpu_pct", {})
        log(
            f"{label}: {res['rps']:.0f} ev/s  p50 {res['p50_ms']:.1f}  p95 {res['p95_ms']:.1f}"
            f"  p99 {res['p99_ms']:.1f} ms  probe {res['probe_ms']:.1f} ms"
            f"  non-200 {res['non_200']}  stored {res['stored']}"
            f" / 200s {res['ok_total']}"
            + (f" / tasks {res['tasks']}" if "tasks" in res else "")
            + f"  {'OK' if res['check_ok'] else 'MISMATCH'}  cpu%: "
            + " ".join(f"{k} {v:.0f}" for k, v in cpu.items())
        )
        if not res["check_ok"]:
            log("server log tail:\n" + server.tail())
        rows[kind] = res
    return rows


# --------------------------------------------------------------------------- report


def pair_key(pair: dict) -> tuple:
    r = pair.get("layan") or next(iter(pair.values()))
    return (r["workers"], r["threads"], r["concurrency"])


def stolen(run: dict) -> bool:
    """True when the hypervisor took more than STEAL_LIMIT % of a core during the run: its
    figures say more about the host than about the server under test."""
    return run.get("cpu_pct", {}).get("steal", 0.0) > STEAL_LIMIT


def median_run(runs: list[dict]) -> dict:
    """The run with the median events/s (the lower one of an even count), with the spread.
    Runs with heavy steal are left out when at least one run without remains."""
    clean = [r for r in runs if not stolen(r)] or runs
    ordered = sorted(clean, key=lambda r: r["rps"])
    r = dict(ordered[(len(ordered) - 1) // 2])
    r["check_ok"] = all(x["check_ok"] for x in runs)
    dropped = len(runs) - len(clean)
    r["spread"] = (
        f"  (median of {len(clean)}: {ordered[0]['rps']:.0f}..{ordered[-1]['rps']:.0f} ev/s"
        + (f"; {dropped} run(s) with steal > {STEAL_LIMIT:.0f}% left out" if dropped else "")
        + ")"
        if len(runs) > 1
        else ("  (steal!)" if stolen(r) else "")
    )
    return r


def summary(results: list[dict], args) -> bool:
    head = (
        f"{'W':>2} {'T':>2} {'C':>3} {'events/s':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
        f" {'non200':>6} {'done':>6} {'stored=200s':>11} {'cpu% cli/srv/pg/oth':>20}"
        f" {'srv ms/ev':>9} {'probe':>5} {'l/f':>5} {'target':>6}  server"
    )
    print()
    print(head)
    print("-" * (len(head) + 12))
    met_any = False
    groups: dict[tuple, dict[str, list[dict]]] = {}
    for pair in results:
        for kind, r in pair.items():
            groups.setdefault((pair_key(pair)), {}).setdefault(kind, []).append(r)
    for runs_by_kind in groups.values():
        merged = {kind: median_run(runs) for kind, runs in runs_by_kind.items()}
        floor_runs = runs_by_kind.get("floor")
        for kind, r in merged.items():
            cpu = r.get("cpu_pct", {})
            cpu_s = "/".join(
                f"{cpu.get(k, float('nan')):.0f}" for k in ("client", "server", "postgres", "other")
            )
            srv_ms = 10.0 * cpu.get("server", float("nan")) / r["rps"] if r["rps"] else float("nan")
            ratio = ""
            verdict = ""
            if kind != "floor":
                ok_rps = (
                    r["rps"] >= TARGET_RPS and r["p99_ms"] < TARGET_P99_MS and r["non_200"] == 0
                )
                ok_ratio = True
                if floor_runs:
                    # paired: each run against the floor run next to it in time, then the median
                    pairs = list(zip(runs_by_kind[kind], floor_runs, strict=False))
                    pairs = [(x, f) for x, f in pairs if not (stolen(x) or stolen(f))] or pairs
                    rr = statistics.median(
                        x["rps"] / f["rps"] if f["rps"] else float("nan") for x, f in pairs
                    )
                    ratio = f"{rr:.2f}"
                    ok_ratio = rr >= TARGET_RATIO
                met = ok_rps and ok_ratio and r["check_ok"]
                if kind == "layan":
                    met_any = met_any or met
                verdict = "MET" if met else "missed"
            print(
                f"{r['workers']:>2} {r['threads']:>2} {r['concurrency']:>3}"
                f" {r['rps']:>9.0f} {r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} {r['p99_ms']:>7.1f}"
                f" {r['non_200']:>6} {r['completed']:>6}"
                f" {('yes' if r['check_ok'] else 'NO'):>11} {cpu_s:>20} {srv_ms:>9.2f}"
                f" {r.get('probe_ms', float('nan')):>5.1f} {ratio:>5} {verdict:>6}"
                f"  {kind}{r['spread']}"
            )
    print()
    print(
        f"targets: >= {TARGET_RPS:.0f} events/s with p99 < {TARGET_P99_MS:.0f} ms, no errors,"
        f" and >= {TARGET_RATIO:.0%} of the floor's events/s (l/f = layan/floor: with --repeat,"
        " the median of the ratios of runs taken one after the other)"
    )
    print(
        "cpu%: CPU used during the measured phase, % of one core (200 = all of 2 cores), by the"
        " load generator / the server under test / PostgreSQL / anything else on the machine;"
        " srv ms/ev = server CPU milliseconds per acknowledged event; probe = ms of a fixed"
        " CPU workload just before the run (machine speed at that moment: lower is faster);"
        f" runs during which the hypervisor stole > {STEAL_LIMIT:.0f}% of a core are left out of"
        " the medians when possible"
    )
    print(
        f"bounds: {args.requests} measured requests or {args.duration:.0f} s, after {args.warmup}"
        " warm-up requests; 'done' = measured requests answered"
    )
    return met_any


def machine_info(pg_version: str) -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    python = sys.version.split()[0]
    return f"nproc {os.cpu_count()}, CPU {model}, PostgreSQL {pg_version}, Python {python}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--workers", default="3", help="gunicorn workers; a comma list tries each")
    p.add_argument("--threads", default="1", help="threads per worker (1 = sync); comma list")
    p.add_argument("--concurrency", default="16", help="client connections; comma list")
    p.add_argument("--requests", type=int, default=20000, help="measured requests per run (max)")
    p.add_argument("--duration", type=float, default=60.0, help="measured seconds per run (max)")
    p.add_argument("--warmup", type=int, default=1000, help="warm-up requests per run")
    p.add_argument("--repeat", type=int, default=3, help="runs per configuration (median shown)")
    p.add_argument("--floor-workers", type=int, default=0, help="floor workers (default: same)")
    p.add_argument("--no-floor", action="store_true", help="do not measure the floor")
    p.add_argument("--no-layan", action="store_true", help="do not measure `layan serve` as is")
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        help="also measure Layan with what-if changes from bench/variants.py, served by"
        " bench/variant_wsgi.py (comma-joined names, or as-is); repeatable",
    )
    p.add_argument("--cprofile", help="variant servers: write per-worker CPU profiles here")
    p.add_argument("--db", default="layan_bench", help="database name (dropped and recreated)")
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        help="before each run, wait up to this many seconds for the machine to be idle (0: don't)",
    )
    p.add_argument(
        "--strict", action="store_true", help="exit 2 when no configuration meets the targets"
    )
    args = p.parse_args(argv)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit_on_signal)
    pg_version = pg_reachable()
    if pg_version is None:
        print(
            f"SKIPPED: the webhook ingest benchmark needs PostgreSQL at {pg_address()}"
            " (set LAYAN_BENCH_POSTGRES to another server URL, without a database name)."
        )
        return 0
    log(machine_info(pg_version))

    db_url = pg_url(args.db)
    datadir = Path(tempfile.mkdtemp(prefix="layan-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "LAYAN_TASK_BACKEND": "db",
        "DEBUG": "false",
        "WHATSAPP_APP_SECRET": SECRET,
        "LAYAN_DATA_DIR": str(datadir),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LAYAN_WEB_WORKERS": "",  # the command line decides
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("LAYAN_WEB_WORKERS")
    configs = [
        {"workers": w, "threads": t, "concurrency": c}
        for w, t, c in itertools.product(
            int_list(args.workers), int_list(args.threads), int_list(args.concurrency)
        )
    ]
    sys.path.insert(0, str(BENCH))
    from variants import VARIANTS

    for spec in args.variant:
        unknown = [v for v in spec.split(",") if v != "as-is" and v not in VARIANTS]
        if unknown:
            p.error(f"unknown variant(s) {unknown}; known: as-is, {', '.join(sorted(VARIANTS))}")
    results = []
    status = 0
    try:
        log(f"database {args.db}: drop, create, migrate, load the seed offices")
        create_database(args.db)
        run_layan(["migrate", "--no-input", "-v", "0"], env)
        run_layan(["demo", "--load-only"], env)
        with pg_connect(db_url, autocommit=True) as conn:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id bigserial PRIMARY KEY,"
                " received_at timestamptz NOT NULL DEFAULT now(), body text NOT NULL)"
            )
        numbers = phone_number_ids(db_url) or None
        log(f"{len(numbers or [])} seeded phone numbers; {len(configs)} configuration(s)")
        for cfg in configs:
            for _ in range(args.repeat):  # kinds alternate within a repetition: fair to noise
                results.append(run_config(cfg, args, env, db_url, numbers or [], datadir))
    finally:
        shutil.rmtree(datadir, ignore_errors=True)
    if any(not r["check_ok"] for pair in results for r in pair.values()):
        status = 1
    met = summary(results, args)
    print(machine_info(pg_version))
    commits = sorted({r.get("commit", "?") for pair in results for r in pair.values()})
    print(f"code: {', '.join(commits)}")
    if len(commits) > 1:
        print("WARNING: the code changed during the benchmark; runs on different commits")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"machine": machine_info(pg_version), "commits": commits, "results": results},
                indent=1,
            )
        )
    if status:
        print("FAILED: some run stored a different number of rows than it acknowledged")
    elif args.strict and not met:
        status = 2
    return status


if __name__ == "__main__":
    sys.exit(main())
