"""What-if changes to the app, applied by monkeypatching inside a benchmark process only.

The app is not edited: each variant names a concrete change that bench/README.md recommends or
rules out, so that its gain can be measured before anyone makes it, in process
(bench/profile_webhook.py --variant NAME) or end to end under gunicorn
(bench/webhook_ingest.py --variant NAME, served by bench/variant_wsgi.py).
Apply after django.setup() and before the WSGI handler is created.

The variants follow the current intake: webhook POSTs take the WSGI fast path in layan/wsgi.py
(no middleware) to layan.whatsapp.intake.intake(), which calls ``inbox.store(body, payload)``:
one InboundEvent row, then ``inbox._schedule_drain`` on commit, which enqueues the debounced
``layan.whatsapp.inbox.drain_pending`` task. intake() does not use store()'s return value.
Each variant checks that what it replaces still exists, so that a change to the app makes it
fail loudly instead of measuring something else.
"""

from __future__ import annotations

import inspect


def _require(module, name: str, params: list[str] | None = None):
    """``module.name``, checked to exist (and to take ``params``, when given)."""
    target = getattr(module, name, None)
    if target is None:
        raise RuntimeError(f"variant out of date: {module.__name__}.{name} no longer exists")
    if params is not None and list(inspect.signature(target).parameters) != params:
        raise RuntimeError(
            f"variant out of date: {module.__name__}.{name}{inspect.signature(target)},"
            f" expected ({', '.join(params)})"
        )
    return target


def _no_health_check():
    """settings.py: ``dj_database_url.parse(..., conn_health_checks=False)``.

    Django then skips the ``SELECT 1`` it sends before the first query of every request: one
    round trip to PostgreSQL (and a wake-up of its backend) less per webhook."""
    from django.conf import settings
    from django.db import connections

    settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    connections["default"].settings_dict["CONN_HEALTH_CHECKS"] = False


def _raw_insert():
    """inbox.store(): one INSERT through ``connection.cursor()`` instead of
    ``InboundEvent.objects.create()`` (no model instance, no SQL compilation), keeping the
    debounced drain scheduled on commit."""
    from django.db import connection, transaction

    from layan.whatsapp import inbox
    from layan.whatsapp.parsing import phone_number_ids

    _require(inbox, "store", ["body", "payload"])
    _require(inbox, "_schedule_drain")
    sql = (
        "INSERT INTO whatsapp_inboundevent (received_at, body, phone_number_id, attempts,"
        " last_error) VALUES (now(), %s, %s, 0, '')"
    )

    def store(body, payload):
        ids = phone_number_ids(payload)
        with connection.cursor() as cursor:
            cursor.execute(sql, (body.decode("utf-8"), ids[0] if ids else ""))
        transaction.on_commit(inbox._schedule_drain)

    inbox.store = store


def _no_drain():
    """inbox.store() without scheduling the drain (the periodic sweep would find the events):
    measures what the debounced scheduling still costs per webhook."""
    from layan.whatsapp import inbox

    _require(inbox, "_schedule_drain")
    inbox._schedule_drain = lambda: None


VARIANTS = {
    "no-health-check": _no_health_check,
    "raw-insert": _raw_insert,
    "no-drain": _no_drain,
}
