"""/readyz: each check with its state; 503 when one fails, 200 when only degraded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from layan.core import readiness
from layan.offices.models import Channel
from layan.whatsapp.inbox import MAX_ATTEMPTS
from layan.whatsapp.models import Conversation, Identity, InboundEvent, OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(make_office):
    office = make_office()
    return Channel.objects.create(
        office=office, phone="0811-1111", phone_number_id="628111111", label="Layanan"
    )


def queue_message(channel, age_seconds: float) -> OutboxMessage:
    identity, _ = Identity.objects.get_or_create(key="6281200001", wa_id="6281200001")
    conversation, _ = Conversation.objects.get_or_create(channel=channel, identity=identity)
    row = OutboxMessage.objects.create(
        idempotency_key=f"test:{OutboxMessage.objects.count()}",
        channel=channel,
        conversation=conversation,
        to=identity.wa_id,
        content={"type": "text", "text": {"body": "halo"}},
        next_attempt_at=timezone.now(),
    )
    OutboxMessage.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(seconds=age_seconds)
    )
    return row


def pending_event(age_seconds: float, attempts: int = 0) -> InboundEvent:
    event = InboundEvent.objects.create(body="{}", attempts=attempts)
    InboundEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timedelta(seconds=age_seconds)
    )
    return event


def test_ready_when_everything_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) >= {"database", "tasks", "storage", "inbox", "outbox"}
    assert all(check["state"] == "ok" for check in body["checks"].values())
    assert response["Cache-Control"].startswith("max-age=0")


def test_an_old_unprocessed_inbox_event_makes_it_not_ready(client, settings):
    settings.LAYAN_READY_INBOX_SECONDS = 120
    first = pending_event(60)
    assert client.get("/readyz").status_code == 200
    # the oldest pending event is the first stored (the lowest id, on the pending index)
    InboundEvent.objects.filter(pk=first.pk).update(
        received_at=timezone.now() - timedelta(seconds=300)
    )
    pending_event(10)
    response = client.get("/readyz")
    assert response.status_code == 503
    inbox = response.json()["checks"]["inbox"]
    assert inbox["state"] == "fail" and inbox["pending"] == 2 and inbox["oldest_seconds"] >= 300


def test_an_event_that_used_up_its_attempts_is_counted_but_does_not_block(client):
    pending_event(3600, attempts=MAX_ATTEMPTS)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["inbox"]["abandoned"] == 1


def test_an_old_queued_message_makes_it_not_ready(client, settings, channel):
    settings.LAYAN_READY_OUTBOX_SECONDS = 600
    queue_message(channel, 30)
    assert client.get("/readyz").json()["checks"]["outbox"]["state"] == "ok"
    queue_message(channel, 900)
    response = client.get("/readyz")
    assert response.status_code == 503
    outbox = response.json()["checks"]["outbox"]
    assert outbox["state"] == "fail" and outbox["late_numbers"] == ["0811-1111"]


def test_a_paused_number_is_degraded_not_unready(client, channel):
    queue_message(channel, 7200)
    Channel.objects.filter(pk=channel.pk).update(sending_paused_at=timezone.now())
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["outbox"] == {
        "state": "degraded",
        "oldest_seconds": 0.0,
        "limit_seconds": 600,
        "paused_numbers": ["0811-1111"],
    }


def test_storage_that_refuses_writes_fails(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only")

    monkeypatch.setattr(readiness.default_storage, "save", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {"state": "fail", "error": "PermissionError"}


def test_the_storage_probe_leaves_nothing_behind(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    readiness.storage_probe()
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


def test_rq_backend_pings_redis_with_a_short_timeout(settings):
    settings.LAYAN_TASK_BACKEND = "rq"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    result = readiness.task_backend()
    assert result.state == "fail" and result.detail["backend"] == "rq"


def test_rq_backend_ready_when_redis_answers(settings):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.LAYAN_TASK_BACKEND = "rq"
    settings.REDIS_URL = url
    assert readiness.task_backend().state == "ok"


def test_database_down_fails_and_skips_the_backlog_checks(monkeypatch):
    monkeypatch.setitem(readiness.BUILT_IN, "database", lambda: readiness.Check(readiness.FAIL))
    ready, checks = readiness.run()
    assert not ready
    assert checks["inbox"] == {"state": "fail", "error": "database unreachable"}


def test_readyz_needs_no_sign_in_and_no_language_redirect(client):
    response = client.get("/readyz", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"


def test_the_probes_answer_plain_http_when_https_is_enforced(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/readyz").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/console/").status_code == 301
