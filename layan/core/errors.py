"""Errors that carry an HTTP status, a machine code and a message for people.

Services raise these; the API turns them into JSON ``{"code", "message"}`` and the console into
messages. Messages are translatable (Indonesian by default).
"""

from __future__ import annotations

from typing import Any


class LayanError(Exception):
    status = 400
    default_code = "error"

    def __init__(self, message: Any, code: str | None = None, **details: Any):
        super().__init__(str(message))
        self.message = message
        self.code = code or self.default_code
        self.details = details

    def __str__(self) -> str:
        return str(self.message)


class NotFound(LayanError):
    status = 404
    default_code = "not_found"


class Forbidden(LayanError):
    status = 403
    default_code = "forbidden"


class Conflict(LayanError):
    status = 409
    default_code = "conflict"


class Invalid(LayanError):
    status = 422
    default_code = "invalid"


class RecordingFailed(LayanError):
    """A part of the change that must be recorded with it (the register book) failed: the
    change was rolled back and may be tried again."""

    status = 503
    default_code = "recording_failed"
