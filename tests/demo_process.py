"""A real ``layan demo`` in its own process, for the tests that speak HTTP to it (the demo
test and the browser tests): a free loopback port, a fresh data directory, stopped at the end."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Demo:
    base: str
    data_dir: Path
    log_path: Path

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _wait_until_up(proc: subprocess.Popen, demo: Demo, seconds: float | None = None) -> None:
    # A busy machine loads the demo slower: LAYAN_DEMO_START_SECONDS sets the wait (default 300).
    seconds = seconds or float(os.environ.get("LAYAN_DEMO_START_SECONDS") or 300)
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(demo.url("/healthz"), timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            pytest.fail(f"layan demo exited with {proc.returncode}:\n{demo.log()[-6000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"layan demo did not answer /healthz within {seconds:.0f} s")
        time.sleep(0.5)


@contextlib.contextmanager
def running_demo(
    data_dir: Path,
    password: str = "rahasia-demo-1",  # noqa: S107 - a throw-away demo's password
) -> Iterator[Demo]:
    """``layan demo`` on a free loopback port with its data in ``data_dir``; stopped at the end.

    Its output goes to ``demo.log`` in ``data_dir`` (``Demo.log()``), also after it stopped.
    """
    port = free_port()
    env = {
        **os.environ,
        "LAYAN_DATA_DIR": str(data_dir),
        "LAYAN_TASK_BACKEND": "db",
        "LAYAN_DEMO_PASSWORD": password,
        "DJANGO_SETTINGS_MODULE": "layan.settings",
    }
    for name in (
        "DATABASE_URL",
        "LAYAN_STANDIN",
        "WHATSAPP_GRAPH_URL",
        "LAYAN_STANDIN_WEBHOOK_URL",
        "WHATSAPP_APP_SECRET",
        "WHATSAPP_VERIFY_TOKEN",
        "WHATSAPP_ACCESS_TOKEN",
        "LAYAN_PUBLIC_URL",
        "LAYAN_SIGNING_DIR",
    ):
        env.pop(name, None)  # `layan demo` points them at itself
    log_path = data_dir / "demo.log"
    # A file, not a pipe: a pipe nobody reads would fill up and block the server.
    with log_path.open("w") as log:
        proc = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "layan.cli", "demo", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    demo = Demo(f"http://127.0.0.1:{port}", data_dir, log_path)
    try:
        _wait_until_up(proc, demo)
        yield demo
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        output = demo.log()
        if "Traceback" in output:
            print(output[-8000:])  # shown by pytest when a test fails
