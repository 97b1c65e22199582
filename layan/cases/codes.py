"""Tracking codes: ``PREFIX-XXXXXX`` with six Crockford base32 characters.

Crockford's alphabet leaves out I, L, O and U so a code read aloud or typed on a phone is not
confused; :func:`normalize_code` maps the look-alikes back when a resident types one.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 6
CODE_RE = re.compile(rf"^[A-Z]{{2,4}}-[{ALPHABET}]{{{LENGTH}}}$")
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_code(prefix: str) -> str:
    return f"{prefix}-" + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_code(raw: str) -> str | None:
    """Turn what a person typed (``kk 7x3k9m``, ``KK-7X3K9M``) into a code, or None."""
    text = re.sub(r"[\s_.\-]+", "-", (raw or "").strip().upper()).strip("-")
    match = re.match(r"^([A-Z]{2,4})-?([0-9A-Z]{6})$", text)
    if not match:
        return None
    prefix, body = match.groups()
    body = body.translate(_LOOKALIKES)
    if any(ch not in ALPHABET for ch in body):
        return None
    return f"{prefix}-{body}"
