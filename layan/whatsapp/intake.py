"""Webhook intake: check the signature, check the JSON, store the raw event. Nothing more.

Both the Django view and the WSGI fast path (``layan.wsgi``) answer through :func:`intake`, so
the rules live in one place; the fast path only skips the middleware a machine-to-machine POST
does not need, because Meta may deliver up to a thousand events a second per number.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from django.conf import settings

from layan.core import metrics
from layan.whatsapp import inbox
from layan.whatsapp.signatures import verify

logger = logging.getLogger(__name__)

PATH = "/webhooks/whatsapp"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict


OK = Answer(200, {"status": "ok"})


def intake(body: bytes, signature: str | None) -> Answer:
    if not verify(body, signature, settings.WHATSAPP_APP_SECRET):
        logger.warning("webhook with a missing or wrong signature refused")
        metrics.webhook("bad_signature")
        return Answer(403, {"error": "invalid signature"})
    try:
        payload = json.loads(body.decode("utf-8"))  # Meta sends UTF-8; anything else is refused
    except (UnicodeDecodeError, ValueError):
        metrics.webhook("bad_json")
        return Answer(400, {"error": "malformed JSON"})
    if not isinstance(payload, dict):
        metrics.webhook("bad_json")
        return Answer(400, {"error": "expected a JSON object"})
    inbox.store(body, payload)  # stored before we acknowledge
    metrics.webhook("stored")
    return OK
