"""Readiness: may this instance take traffic now? (``/readyz``; ``/healthz`` is liveness.)

Each check answers a :class:`Check`: ``ok``, ``degraded`` (worth a look, but taking this
instance out of the load balancer would not help, so it stays ready) or ``fail`` (not ready).
``core`` checks the database, the task backend and the file storage; the apps that own a
backlog register their own checks (:func:`register`) in their ``AppConfig.ready()``: the
WhatsApp inbox and outbox ages.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

logger = logging.getLogger(__name__)

OK, DEGRADED, FAIL = "ok", "degraded", "fail"


@dataclass
class Check:
    state: str
    detail: dict = field(default_factory=dict)


CheckFunction = Callable[[], Check]
_checks: dict[str, CheckFunction] = {}


def register(name: str, check: CheckFunction) -> None:
    """Add a readiness check (an app's backlog); registering a name again replaces it."""
    _checks[name] = check


def database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure means not ready
        return Check(FAIL, {"error": type(exc).__name__})
    return Check(OK)


def redis_ping(url: str, timeout: float = 1.0) -> None:
    """PING the Redis at ``url``; raises when it does not answer within ``timeout`` seconds."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def task_backend() -> Check:
    """The queue the background tasks go through: the database for "db", Redis for "rq"; the
    inline backends (tests, single-process set-ups) need nothing."""
    backend = getattr(settings, "LAYAN_TASK_BACKEND", "db")
    if backend == "rq":
        try:
            redis_ping(getattr(settings, "REDIS_URL", "redis://127.0.0.1:6379/0"))
        except Exception as exc:  # noqa: BLE001 - unreachable, refused, timed out
            return Check(FAIL, {"backend": backend, "error": type(exc).__name__})
        return Check(OK, {"backend": backend})
    if backend == "db":
        result = database()
        return Check(result.state, {"backend": backend, **result.detail})
    return Check(OK, {"backend": backend})


def storage_probe() -> None:
    """Write, read back and delete a tiny object through the default storage (where uploads and
    signed documents go); raises when any of it fails."""
    name = default_storage.save(f"layan-probe/{uuid.uuid4().hex}.txt", ContentFile(b"layan"))
    try:
        with default_storage.open(name, "rb") as handle:
            if handle.read() != b"layan":
                raise OSError("the storage gave back other bytes than were written")
    finally:
        default_storage.delete(name)


def storage() -> Check:
    try:
        storage_probe()
    except Exception as exc:  # noqa: BLE001 - permissions, full disk, S3 refusing
        return Check(FAIL, {"error": type(exc).__name__})
    return Check(OK)


BUILT_IN: dict[str, CheckFunction] = {
    "database": database,
    "tasks": task_backend,
    "storage": storage,
}


def run() -> tuple[bool, dict[str, dict]]:
    """Every check: (ready, {name: {"state": …, …detail}}); ready unless one failed."""
    results: dict[str, dict] = {}
    database_up = True
    for name, check in [*BUILT_IN.items(), *_checks.items()]:
        if not database_up and name not in BUILT_IN:
            results[name] = {"state": FAIL, "error": "database unreachable"}
            continue
        try:
            result = check()
        except Exception as exc:  # noqa: BLE001 - a broken check is a failed one
            logger.exception("readiness check %s failed", name)
            result = Check(FAIL, {"error": type(exc).__name__})
        if name == "database" and result.state == FAIL:
            database_up = False
        results[name] = {"state": result.state, **result.detail}
    return all(item["state"] != FAIL for item in results.values()), results
