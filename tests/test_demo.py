"""`layan demo` starts from nothing: migrates, loads the seeds, serves and runs tasks."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the demo is the embedded SQLite set-up",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return response.status, response.read()


def test_demo_serves_seed_offices_and_runs_the_task_worker(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "LAYAN_DATA_DIR": str(tmp_path),
        "LAYAN_TASK_BACKEND": "db",
        "LAYAN_DEMO_PASSWORD": "rahasia-demo",
        "DJANGO_SETTINGS_MODULE": "layan.settings",
    }
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "layan.cli", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"demo did not start:\n{proc.stdout.read()}")
                time.sleep(0.5)
        assert status == 200 and json.loads(body)["status"] == "ok"
        status, body = get(f"http://127.0.0.1:{port}/api/v1/offices")
        codes = {o["code"] for o in json.loads(body)}
        assert codes == {"solok", "waykanan", "balangan", "metro", "keliling"}
        status, body = get(f"http://127.0.0.1:{port}/")
        assert b"Way Kanan" in body
        # The worker in the same process runs the periodic SLA sweep.
        database = sqlite3.connect(tmp_path / "layan.sqlite3", timeout=10)
        deadline = time.monotonic() + 30
        done = 0
        while time.monotonic() < deadline and not done:
            done = database.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult"
                " WHERE status = 'SUCCESSFUL'"
            ).fetchone()[0]
            time.sleep(0.5)
        database.close()
        assert done >= 1
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert "waykanan.kasi" in out
    assert "rahasia-demo" not in out  # the password is not printed when it is not the default
