"""Settings for the test suite: Layan's own, with tasks run inline and the Graph stand-in on."""

import os

os.environ.setdefault("LAYAN_TASK_BACKEND", "immediate")
if os.environ["LAYAN_TASK_BACKEND"] == "rq":
    # The suite on Redis (.ci/run): every job goes through RQ and Redis and runs at enqueue,
    # so tests see its effects as with the inline backend; a lone webhook is drained at once.
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/3")
    os.environ.setdefault("LAYAN_RQ_INLINE", "true")
    os.environ.setdefault("WHATSAPP_DRAIN_DEBOUNCE", "0")
os.environ.setdefault("LAYAN_STANDIN", "true")
os.environ.setdefault("WHATSAPP_APP_SECRET", "test-app-secret")
os.environ.setdefault("WHATSAPP_VERIFY_TOKEN", "test-verify-token")
os.environ.setdefault("WHATSAPP_ACCESS_TOKEN", "test-access-token")
# Two-factor sign-in off, as in the demo; tests/pdp turns it on.
os.environ.setdefault("LAYAN_REQUIRE_2FA", "false")

from layan.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each test process has its own cache (rate limits counted per test), unless a test asks for Redis.
if os.environ.get("LAYAN_TEST_CACHE") != "redis":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # noqa: F405
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Tests answer faster than any person; the reply limit has its own tests.
BOT_REPLIES_PER_MINUTE = 1000

# Signed PDFs and the demo CA of a test run go to a temporary directory, never into var/.
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

_RUN_DIR = Path(tempfile.mkdtemp(prefix="layan-tests-"))
MEDIA_ROOT = _RUN_DIR / "media"
LAYAN_SIGNING_DIR = _RUN_DIR / "signing"

# LAYAN_TEST_STORAGE=s3: the files of this run go to a fresh bucket on a local S3 server (moto
# on loopback, started for this test process and stopped when it exits) instead of MEDIA_ROOT.
if os.environ.get("LAYAN_TEST_STORAGE") == "s3":
    from tests.s3server import suite_storage  # noqa: E402

    STORAGES = {**STORAGES, "default": suite_storage()}  # noqa: F405
