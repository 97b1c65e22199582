"""Layan's WSGI application with what-if changes (bench/variants.py) and an optional profiler.

Served by gunicorn from bench/webhook_ingest.py when ``--variant`` is given (same gunicorn
settings as ``layan serve``). Environment:

- ``LAYAN_BENCH_VARIANTS``: comma-separated names from bench/variants.py (may be empty: the app
  as is, served like ``layan serve`` does);
- ``LAYAN_BENCH_CPROFILE``: a directory; each worker then profiles its requests with a CPU-time
  clock (time.process_time: waiting on PostgreSQL or the client does not count) and writes
  ``<pid>.prof`` there every 500 requests (read with ``python -m pstats``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layan.settings")

import django  # noqa: E402

django.setup()

from variants import VARIANTS  # noqa: E402

for _name in filter(None, os.environ.get("LAYAN_BENCH_VARIANTS", "").split(",")):
    VARIANTS[_name]()

from layan.wsgi import application as _application  # noqa: E402

_profile_dir = os.environ.get("LAYAN_BENCH_CPROFILE")

if _profile_dir:
    import cProfile
    import time

    _state = {"profiler": None, "n": 0}

    def application(environ, start_response):
        if _state["profiler"] is None:
            _state["profiler"] = cProfile.Profile(time.process_time)
        prof = _state["profiler"]
        prof.enable()
        try:
            response = _application(environ, start_response)
            body = b"".join(response)
            if hasattr(response, "close"):
                response.close()
            return [body]
        finally:
            prof.disable()
            _state["n"] += 1
            if _state["n"] % 500 == 0:
                prof.dump_stats(os.path.join(_profile_dir, f"{os.getpid()}.prof"))
else:
    application = _application
