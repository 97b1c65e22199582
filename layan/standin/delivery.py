"""Where the stand-in's webhooks go: over HTTP to Layan's webhook, or to a function in tests.

Meta posts webhooks to a public URL; the stand-in posts to ``LAYAN_STANDIN_WEBHOOK_URL`` (the
demo server's own webhook by default). Tests cannot receive HTTP, so :func:`set_deliverer`
swaps in any ``(body, headers) -> status`` callable, e.g. a list collector or Django's test
client.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from django.conf import settings

DEFAULT_WEBHOOK_URL = "http://127.0.0.1:8000/webhooks/whatsapp"

Deliverer = Callable[[bytes, dict], int]
_deliverer: Deliverer | None = None


def set_deliverer(deliverer: Deliverer | None) -> Deliverer | None:
    """Route webhooks to ``deliverer`` (``None``: back to HTTP); the previous one, to restore."""
    global _deliverer
    previous, _deliverer = _deliverer, deliverer
    return previous


def deliver(body: bytes, headers: dict) -> int:
    """POST the exact signed bytes to the webhook; the HTTP status it answered."""
    if _deliverer is not None:
        return _deliverer(body, headers)
    url = getattr(settings, "LAYAN_STANDIN_WEBHOOK_URL", DEFAULT_WEBHOOK_URL)
    response = httpx.post(url, content=body, headers=headers, timeout=10.0)
    return response.status_code
