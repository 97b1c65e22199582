"""`layan demo` starts from nothing: migrates, loads the seeds, serves and runs tasks."""

from __future__ import annotations

import json
import os
import sqlite3
import time
import urllib.request

import pytest

from tests.demo_process import running_demo

pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the demo is the embedded SQLite set-up",
)


def get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return response.status, response.read()


def test_demo_serves_seed_offices_and_runs_the_task_worker(tmp_path):
    with running_demo(tmp_path, "rahasia-demo") as demo:
        status, body = get(demo.url("/healthz"))
        assert status == 200 and json.loads(body)["status"] == "ok"
        status, body = get(demo.url("/api/v1/offices"))
        codes = {o["code"] for o in json.loads(body)}
        assert codes == {"solok", "waykanan", "balangan", "metro", "keliling"}
        status, body = get(demo.url("/"))
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
    out = demo.log()
    assert "waykanan.kasi" in out
    assert "rahasia-demo" not in out  # the password is not printed when it is not the default
