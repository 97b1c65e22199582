"""What the suite finds outside the repository, each named once and overridable by the
environment: the shared seeds and data (read, never copied; the tests that need them skip when
they are absent) and Debian's Chromium for the browser tests."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The seeds and the MIT data (Meta's WhatsApp OpenAPI spec, Kemendagri region codes) lie beside
# the repository, in ``../shared``.
SHARED = Path(os.environ.get("LAYAN_SHARED_DIR") or ROOT.parent / "shared")
SEEDS = SHARED / "seeds"
WHATSAPP_SPEC = SHARED / "data" / "whatsapp" / "business-messaging-api_v23.0.yaml"
WILAYAH = SHARED / "data" / "wilayah" / "wilayah.csv"

# Debian's Chromium, never a downloaded browser; launched with the flags this machine needs.
CHROMIUM = os.environ.get("LAYAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
