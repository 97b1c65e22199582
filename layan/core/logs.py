"""Logs an operator can search: one JSON object per line, each carrying its request's id.

``LAYAN_LOG_FORMAT=json`` picks :class:`JsonFormatter` (the demo and the tests keep the plain
lines). :class:`layan.core.middleware.RequestIdMiddleware` gives every request an id (the proxy's
``X-Request-ID`` when it looks sane, else a new one) and :class:`RequestIdFilter` puts it on every
record logged while that request runs, in whichever thread or logger.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

# The id of the request this thread (or task) is serving; None outside a request.
request_id: ContextVar[str | None] = ContextVar("layan_request_id", default=None)

# What a proxy or client may hand us: letters, digits and a few separators, not too long, so a
# header cannot inject newlines or megabytes into the logs.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=/-]{0,127}")


def sane_request_id(value: str | None) -> str:
    """``value`` when it is a sane request id, else a new random one (32 hex digits)."""
    if value and _SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record (``-`` outside a request); never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id,
    exception (the formatted traceback, or null)."""

    def format(self, record: logging.LogRecord) -> str:
        exception = None
        if record.exc_info:
            exception = self.formatException(record.exc_info)
        elif record.exc_text:
            exception = record.exc_text
        rid = getattr(record, "request_id", None) or request_id.get()
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": None if rid in (None, "-") else rid,
            "exception": exception,
        }
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
