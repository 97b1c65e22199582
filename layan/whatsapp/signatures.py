"""``X-Hub-Signature-256`` for WhatsApp Cloud API webhooks.

Meta signs every webhook POST with ``sha256=<hex HMAC-SHA256 of the raw body, keyed with the app
secret>``. The check must run on the raw bytes exactly as received (re-serialised JSON differs in
whitespace and escaping) and must be constant-time, so that an attacker cannot learn the expected
digest byte by byte from response timings.

Hex is case-insensitive: an upper-case digest is the same number, so :func:`verify` accepts it.
Meta sends lower case; accepting both costs nothing and avoids a false rejection if a proxy or a
test tool normalises the header. Everything else that is not exactly ``sha256=`` followed by 64 hex
digits is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re

PREFIX = "sha256="
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def sign(body: bytes, secret: str) -> str:
    """The header value Meta would send for ``body`` signed with ``secret``."""
    digest = hmac.new(secret.encode("utf-8"), bytes(body), hashlib.sha256).hexdigest()
    return PREFIX + digest


def verify(body: bytes, header: str | None, secret: str) -> bool:
    """True only when ``header`` is a valid signature of ``body`` under ``secret``.

    Never raises: a missing or empty header, another prefix, a digest of the wrong length or with
    non-hex characters, a non-bytes body and an empty secret (an unconfigured app secret must not
    make every forged request valid) all give False.
    """
    if not secret or not isinstance(secret, str):
        return False
    if not isinstance(body, bytes | bytearray | memoryview):
        return False
    if not header or not isinstance(header, str):
        return False
    header = header.strip()
    if not header.startswith(PREFIX):
        return False
    given = header[len(PREFIX) :]
    # The shape check comes first so that compare_digest only ever sees ASCII (it raises on other
    # str input) and so that a short or long digest is refused without comparing.
    if not _HEX64.fullmatch(given):
        return False
    expected = sign(bytes(body), secret)[len(PREFIX) :]
    return hmac.compare_digest(given.lower().encode("ascii"), expected.encode("ascii"))
