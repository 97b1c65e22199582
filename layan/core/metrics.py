"""Prometheus metrics: every metric Layan exports is named here.

Two kinds:

- **counted in the process** (counters, the latency histogram): incremented where things happen
  (the HTTP middleware, webhook intake, the outbox, finished tasks). With
  ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn's several processes, the worker beside them), every
  process writes its values to files in that directory and a scrape adds them up
  (prometheus_client's multiprocess mode); without it, the process's own registry is read.
- **read from the database at scrape time** (inbox lag, the outbox queues, overdue requests):
  the apps that own those tables register a *source* (:func:`register_source`), a function that
  yields metric families; every process answers the same, since the database does.

Apps above ``core`` import this module to count; ``core`` imports none of them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

__all__ = ["CONTENT_TYPE", "GaugeMetricFamily", "register_source", "scrape"]

CONTENT_TYPE = CONTENT_TYPE_LATEST

# The process's own registry (not prometheus_client's global one, which also carries the
# interpreter's own metrics and would clash in tests).
PROCESS = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "layan_http_requests",
    "HTTP requests answered, by method, view (URL name) and status class.",
    ["method", "view", "status"],
    registry=PROCESS,
)
HTTP_LATENCY = Histogram(
    "layan_http_request_duration_seconds",
    "Time to answer an HTTP request, by view (URL name).",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=PROCESS,
)
WEBHOOKS = Counter(
    "layan_webhook_events",
    "WhatsApp webhook POSTs by result: stored, bad_signature, bad_json.",
    ["result"],
    registry=PROCESS,
)
SENDS = Counter(
    "layan_outbox_sends",
    "Outbox send attempts by result: sent, retry, failed, undeliverable, template (resent as "
    "the approved template), paused (the number's token was refused).",
    ["result"],
    registry=PROCESS,
)
TASK_FAILURES = Counter(
    "layan_task_failures",
    "Background tasks that ended failed, by task.",
    ["task"],
    registry=PROCESS,
)


def webhook(result: str) -> None:
    WEBHOOKS.labels(result).inc()


def send(result: str) -> None:
    SENDS.labels(result).inc()


# --------------------------------------------------------------------------- database gauges

Source = Callable[[], Iterable[Metric]]
_sources: dict[str, Source] = {}


def register_source(name: str, source: Source) -> None:
    """Make ``source`` part of every scrape: a function yielding metric families (typically
    :class:`GaugeMetricFamily`) read from the database at that moment. Registered by the apps
    that own the tables, in their ``AppConfig.ready()``; registering a name again replaces it."""
    _sources[name] = source


class DatabaseCollector:
    """Reads the registered sources; one that fails is logged and left out of the scrape, and
    ``layan_metrics_source_up`` says which."""

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "layan_metrics_source_up", "1 when the source answered this scrape.", labels=["source"]
        )
        for name, source in sorted(_sources.items()):
            try:
                families = list(source())
            except Exception:  # noqa: BLE001 - a scrape answers with what it could read
                logger.exception("metrics source %s failed", name)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up


class _Scrape:
    def __init__(self, *collectors):
        self.collectors = collectors

    def collect(self) -> Iterable[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def scrape() -> bytes:
    """The text exposition of every metric: the processes' counters and the database gauges."""
    path = multiprocess_dir()
    counted = MultiProcessCollector(None, path=path) if path else PROCESS
    return generate_latest(_Scrape(counted, DatabaseCollector()))


# --------------------------------------------------------------------------- task failures


def _task_finished(sender, task_result, **kwargs) -> None:
    from django_tasks import TaskResultStatus

    if task_result.status == TaskResultStatus.FAILED:
        TASK_FAILURES.labels(task_result.task.module_path).inc()


def connect_signals() -> None:
    """Count failed tasks (django-tasks announces every finished task); called at start-up."""
    from django_tasks.signals import task_finished

    task_finished.connect(_task_finished, dispatch_uid="layan.core.metrics.task_failures")
