"""/metrics: who may read it, the counters where things happen, and the gauges read from the
database at scrape time (also across processes, in prometheus_client's multiprocess mode)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.signals import task_finished
from prometheus_client.parser import text_string_to_metric_families

from layan.cases import services
from layan.cases.models import Case
from layan.core import metrics
from layan.offices.models import Channel, Service
from layan.whatsapp import outbox
from layan.whatsapp.graph import GraphError
from tests.core.test_readyz import pending_event, queue_message
from tests.whatsapp import harness

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def read(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample as {(name, sorted labels): value}."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return read(response.content.decode())


# --------------------------------------------------------------------------- who may read


def test_without_a_token_only_loopback_may_read(client, settings):
    settings.LAYAN_METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, settings):
    settings.LAYAN_METRICS_TOKEN = ""
    settings.LAYAN_TRUSTED_PROXIES = 1
    outside = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert outside.status_code == 403


def test_with_a_token_only_its_bearer_may_read(client, settings):
    settings.LAYAN_METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 403  # loopback is not enough then
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    right = client.get(
        "/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"}, REMOTE_ADDR="10.0.0.7"
    )
    assert right.status_code == 200


# --------------------------------------------------------------------------- counted


def test_http_requests_are_counted_by_view_and_status_class(client):
    before = scrape(client)
    client.get("/healthz")
    client.get("/no/such/page")
    after = scrape(client)
    key = {"method": "GET", "view": "healthz", "status": "2xx"}
    assert value(after, "layan_http_requests_total", **key) == (
        value(before, "layan_http_requests_total", **key) + 1
    )
    missing = {"method": "GET", "view": "unmatched", "status": "4xx"}
    assert value(after, "layan_http_requests_total", **missing) >= 1
    assert value(after, "layan_http_request_duration_seconds_count", view="healthz") >= 1


def test_webhooks_are_counted_by_result(client, monkeypatch):
    from layan.whatsapp import inbox

    monkeypatch.setattr(inbox, "_schedule_drain", lambda: None)
    before = scrape(client)
    harness.post(client, {"object": "whatsapp_business_account", "entry": []})
    harness.post(client, {"entry": []}, signature="sha256=" + "0" * 64)
    harness.post(client, None, raw=b"{oops")
    after = scrape(client)
    for result in ("stored", "bad_signature", "bad_json"):
        name = "layan_webhook_events_total"
        assert value(after, name, result=result) == value(before, name, result=result) + 1


class FakeGraph:
    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)

    def send_message(self, phone_number_id, envelope):
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture
def channel(make_office):
    return Channel.objects.create(
        office=make_office(), phone="0811-2222", phone_number_id="628112222", label="Layanan"
    )


def test_sends_are_counted_by_result(client, channel):
    before = scrape(client)
    queue_message(channel, 0)
    queue_message(channel, 0)
    graph = FakeGraph("wamid.1", GraphError("server", "try later", http_status=500))
    outbox.dispatch(channel.pk, client=graph, sleep=lambda _: None)
    after = scrape(client)
    name = "layan_outbox_sends_total"
    assert value(after, name, result="sent") == value(before, name, result="sent") + 1
    assert value(after, name, result="retry") == value(before, name, result="retry") + 1


def test_failed_tasks_are_counted(client):
    before = scrape(client)
    result = SimpleNamespace(
        id="t1",
        status=TaskResultStatus.FAILED,
        backend="default",
        task=SimpleNamespace(module_path="layan.example.tasks.fails"),
    )
    try:
        raise RuntimeError("boom")
    except RuntimeError:  # django-tasks logs the failure with its traceback
        task_finished.send(sender=None, task_result=result)
    task_finished.send(
        sender=None, task_result=SimpleNamespace(**{**vars(result), "status": "SUCCESSFUL"})
    )
    after = scrape(client)
    name, task = "layan_task_failures_total", "layan.example.tasks.fails"
    assert value(after, name, task=task) == value(before, name, task=task) + 1


# --------------------------------------------------------------------------- from the database


def test_inbox_and_outbox_gauges(client, channel):
    pending_event(90)
    queue_message(channel, 45)
    samples = scrape(client)
    assert value(samples, "layan_inbox_pending_events") == 1
    assert value(samples, "layan_inbox_oldest_pending_seconds") >= 90
    assert value(samples, "layan_outbox_queued_messages", number="0811-2222") == 1
    assert value(samples, "layan_outbox_oldest_queued_seconds", number="0811-2222") >= 45
    assert value(samples, "layan_outbox_sending_paused", number="0811-2222") == 0
    Channel.objects.filter(pk=channel.pk).update(sending_paused_at=timezone.now())
    samples = scrape(client)
    assert value(samples, "layan_outbox_sending_paused", number="0811-2222") == 1
    assert value(samples, "layan_metrics_source_up", source="whatsapp") == 1


def test_overdue_requests_per_office(client, make_office):
    office = make_office("lateoffice")
    make_office("calmoffice")
    case = services.submit_case(
        service=Service.objects.get(office=office),
        actor=services.Actor.applicant("Siti"),
        applicant_name="Siti Aminah",
    )
    samples = scrape(client)
    assert value(samples, "layan_requests_overdue", office="lateoffice") == 0
    Case.objects.filter(pk=case.pk).update(step_due_at=timezone.now() - timedelta(minutes=5))
    samples = scrape(client)
    assert value(samples, "layan_requests_overdue", office="lateoffice") == 1
    assert ("layan_requests_overdue", (("office", "calmoffice"),)) in samples


def test_a_failing_source_is_left_out_and_reported(client, monkeypatch):
    def broken():
        raise RuntimeError("database gone")

    monkeypatch.setitem(metrics._sources, "broken", broken)
    samples = scrape(client)
    assert value(samples, "layan_metrics_source_up", source="broken") == 0
    assert ("layan_metrics_source_up", (("source", "whatsapp"),)) in samples


def test_multiprocess_mode_adds_up_every_process(client, tmp_path, monkeypatch):
    """Two processes count into PROMETHEUS_MULTIPROC_DIR; a scrape anywhere sees the sum."""
    program = "from layan.core import metrics; metrics.webhook('stored'); metrics.send('sent')"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run(  # noqa: S603 - fixed argv, no shell
            [sys.executable, "-c", program], env=env, cwd=ROOT, check=True, timeout=60
        )
    assert list(tmp_path.glob("counter_*.db"))
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape(client)
    assert value(samples, "layan_webhook_events_total", result="stored") == 2
    assert value(samples, "layan_outbox_sends_total", result="sent") == 2
    # the database gauges are still read by the scraping process
    assert ("layan_inbox_pending_events", ()) in samples
