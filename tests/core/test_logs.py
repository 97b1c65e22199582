"""Structured logs: one JSON object per line with the request's id, and quiet chatty loggers."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django_tasks import TaskResultStatus
from django_tasks.signals import task_finished, task_started

from layan.core import logs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_lines():
    """A handler like the production one (JSON, request id filter) on the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_a_record_is_one_json_object_with_its_fields(json_lines):
    logging.getLogger("layan.example").warning("%s pesan", "dua")
    try:
        raise ValueError("rusak")
    except ValueError:
        logging.getLogger("layan.example").exception("gagal")
    first, second = json_lines()
    assert set(first) == {"time", "level", "logger", "message", "request_id", "exception"}
    assert first["level"] == "WARNING" and first["logger"] == "layan.example"
    assert first["message"] == "dua pesan"
    assert first["request_id"] is None and first["exception"] is None
    assert first["time"].endswith("+00:00")
    assert second["level"] == "ERROR"
    assert "ValueError: rusak" in second["exception"]


@pytest.mark.django_db
def test_every_record_of_a_request_carries_its_id(client, json_lines):
    response = client.get("/no/such/page", headers={"X-Request-ID": "req-abc.123"})
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-abc.123"
    records = [line for line in json_lines() if line["logger"] == "django.request"]
    assert records and all(line["request_id"] == "req-abc.123" for line in records)
    assert logs.request_id.get() is None  # nothing leaks past the request


@pytest.mark.django_db
@pytest.mark.parametrize("given", [None, "", "x" * 500, "bad id\nwith newline", "<script>"])
def test_an_absent_or_insane_request_id_is_replaced(client, given):
    headers = {} if given is None else {"X-Request-ID": given}
    response = client.get("/healthz", headers=headers)
    rid = response["X-Request-ID"]
    assert rid != given and len(rid) == 32 and int(rid, 16) >= 0


def test_sane_request_ids_are_kept():
    for value in ("abc", "0f9e-11aa", "nginx:7f3a/2", "a" * 128):
        assert logs.sane_request_id(value) == value
    assert logs.sane_request_id("a" * 129) != "a" * 129


def test_chatty_loggers_are_quiet_and_failures_still_show(caplog):
    assert not logging.getLogger("weasyprint.progress").isEnabledFor(logging.INFO)
    assert logging.getLogger("weasyprint.progress").isEnabledFor(logging.WARNING)
    for name in ("django_tasks", "django_tasks_db"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO)
        assert logging.getLogger(name).isEnabledFor(logging.ERROR)
    result = SimpleNamespace(
        id="t1", backend="default", task=SimpleNamespace(module_path="layan.example.tasks.x")
    )
    caplog.set_level(logging.NOTSET)  # caplog's own handler: let the loggers' levels decide
    with caplog.at_level(logging.DEBUG, logger="layan"):
        task_started.send(sender=None, task_result=SimpleNamespace(**vars(result), status="RUN"))
        task_finished.send(
            sender=None, task_result=SimpleNamespace(**vars(result), status="SUCCESSFUL")
        )
        task_finished.send(
            sender=None,
            task_result=SimpleNamespace(**vars(result), status=TaskResultStatus.FAILED),
        )
    from_tasks = [r for r in caplog.records if r.name == "django_tasks"]
    assert [r.levelname for r in from_tasks] == ["ERROR"]


def test_the_json_format_is_chosen_by_the_environment():
    program = (
        "import django, logging; django.setup(); logging.getLogger('layan.example').warning('halo')"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "LAYAN_LOG_FORMAT": "json",
    }
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", program],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["message"] == "halo" and line["level"] == "WARNING"
