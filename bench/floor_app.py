"""The floor: the least a webhook endpoint can do and still be correct.

Checks ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body, constant-time) with the product's
own ``layan.whatsapp.signatures.verify``, which imports only hashlib, hmac and re (no Django, no
settings), inserts the raw body into ``bench_floor_event`` of the same database with psycopg
(autocommit: one round trip, one commit), answers 200. No framework, no JSON parsing, no ORM,
one connection per worker thread kept open. Served by gunicorn with the same worker count and
class as Layan:

    DATABASE_URL=postgres://... WHATSAPP_APP_SECRET=... gunicorn bench.floor_app:application
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root

from layan.whatsapp.signatures import verify  # noqa: E402

SECRET = os.environ["WHATSAPP_APP_SECRET"]
DSN = os.environ["DATABASE_URL"]
TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS bench_floor_event ("
    " id bigserial PRIMARY KEY,"
    " received_at timestamptz NOT NULL DEFAULT now(),"
    " body text NOT NULL)"
)
INSERT_SQL = "INSERT INTO bench_floor_event (body) VALUES (%s)"

_local = threading.local()
OK = b'{"status": "ok"}'
FORBIDDEN = b'{"error": "invalid signature"}'


def _connection() -> psycopg.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(DSN, autocommit=True)
    return conn


def _answer(start_response, status: str, body: bytes):
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/healthz":
        _connection().execute("SELECT 1")
        return _answer(start_response, "200 OK", OK)
    if environ["REQUEST_METHOD"] != "POST":
        return _answer(start_response, "405 Method Not Allowed", b"{}")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    if not verify(body, environ.get("HTTP_X_HUB_SIGNATURE_256"), SECRET):
        return _answer(start_response, "403 Forbidden", FORBIDDEN)
    _connection().execute(INSERT_SQL, (body.decode("utf-8"),))
    return _answer(start_response, "200 OK", OK)
