"""Layan's own deployment checks: ``layan check --deploy`` runs them with Django's.

Each problem that makes a production set-up unsafe or broken is an Error (the command then exits
non-zero with the list); a doubtful choice is a Warning. The messages are English msgids, so
they read in Indonesian once translated.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.translation import gettext as _

from layan.core import readiness

# The values the demo, the tests and the examples use: never a production secret.
DEMO_SECRETS = frozenset(
    {
        "",
        "demo-app-secret",
        "demo-verify-token",
        "test-app-secret",
        "test-verify-token",
        "change-me",
    }
)


def _weak_secret_key(key: str) -> bool:
    # Django's own rule (security.W009): long, varied, not the generated development key.
    return key.startswith("django-insecure") or len(key) < 50 or len(set(key)) < 5


@register(Tags.security, "layan", deploy=True)
def check_settings(app_configs=None, **kwargs):
    problems = []
    if _weak_secret_key(settings.SECRET_KEY):
        problems.append(
            Error(
                _("SECRET_KEY is not set, or is the development key, or is too short."),
                hint=_("Set SECRET_KEY to a random value of at least 50 characters."),
                id="layan.E001",
            )
        )
    if settings.DEBUG:
        problems.append(
            Error(
                _("DEBUG is on: error pages would show settings and residents' data."),
                hint=_("Remove DEBUG from the environment, or set it to false."),
                id="layan.E002",
            )
        )
    hosts = list(settings.ALLOWED_HOSTS)
    if not hosts or "*" in hosts:
        problems.append(
            Error(
                _("ALLOWED_HOSTS is empty or allows every host."),
                hint=_("Set ALLOWED_HOSTS to the site's own host names, separated by commas."),
                id="layan.E003",
            )
        )
    if not settings.SECURE_SSL_REDIRECT and not settings.SECURE_PROXY_SSL_HEADER:
        problems.append(
            Error(
                _("HTTPS is not enforced: neither a redirect nor the proxy's HTTPS header."),
                hint=_("Set SECURE_SSL=true behind a proxy that terminates TLS."),
                id="layan.E004",
            )
        )
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        problems.append(
            Error(
                _("The session and CSRF cookies may be sent over plain HTTP."),
                hint=_("Set SECURE_COOKIES=true."),
                id="layan.E005",
            )
        )
    if settings.WHATSAPP_APP_SECRET in DEMO_SECRETS:
        problems.append(
            Error(
                _("WHATSAPP_APP_SECRET is not set or is a demo value: webhooks cannot be trusted."),
                hint=_("Copy the App Secret from the Meta app's basic settings."),
                id="layan.E006",
            )
        )
    if settings.WHATSAPP_VERIFY_TOKEN in DEMO_SECRETS:
        problems.append(
            Error(
                _("WHATSAPP_VERIFY_TOKEN is not set or is a demo value."),
                hint=_("Choose a random verify token and enter the same one in the Meta app."),
                id="layan.E007",
            )
        )
    if settings.LAYAN_STANDIN:
        problems.append(
            Error(
                _("The stand-ins of WhatsApp and of the signing service are switched on."),
                hint=_("Remove LAYAN_STANDIN from the environment, or set it to false."),
                id="layan.E008",
            )
        )
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        problems.append(
            Warning(
                _("The database is SQLite: fine for one office's trial, not for production."),
                hint=_("Set DATABASE_URL to a PostgreSQL database."),
                id="layan.W001",
            )
        )
    if not getattr(settings, "LAYAN_METRICS_TOKEN", "") and settings.LAYAN_TRUSTED_PROXIES == 0:
        problems.append(
            Warning(
                _(
                    "/metrics has no token and no proxy is trusted: behind a proxy on this "
                    "machine every visitor would look local and could read the metrics."
                ),
                hint=_("Set LAYAN_METRICS_TOKEN, and LAYAN_TRUSTED_PROXIES=1 behind nginx."),
                id="layan.W002",
            )
        )
    return problems


@register(Tags.security, "layan", deploy=True)
def check_services(app_configs=None, **kwargs):
    """What the settings point at must answer: the file storage and the task queue."""
    problems = []
    try:
        readiness.storage_probe()
    except Exception as exc:  # noqa: BLE001 - whatever the storage refuses with
        problems.append(
            Error(
                _("The file storage cannot be written to (%(error)s).") % {"error": exc},
                hint=_("Check MEDIA_ROOT's owner and free space, or the S3 bucket and its keys."),
                id="layan.E009",
            )
        )
    backend = getattr(settings, "LAYAN_TASK_BACKEND", "db")
    if backend in ("immediate", "dummy"):
        problems.append(
            Error(
                _("LAYAN_TASK_BACKEND=%(backend)s does not run background tasks in a worker.")
                % {"backend": backend},
                hint=_("Set LAYAN_TASK_BACKEND to db (PostgreSQL) or rq (Redis)."),
                id="layan.E010",
            )
        )
    else:
        result = readiness.task_backend()
        if result.state == readiness.FAIL:
            problems.append(
                Error(
                    _("The task backend %(backend)s cannot be reached (%(error)s).")
                    % {"backend": backend, "error": result.detail.get("error", "")},
                    hint=_("Check REDIS_URL (rq) or DATABASE_URL (db), and that it is running."),
                    id="layan.E011",
                )
            )
    multiproc = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc and not os.access(multiproc, os.W_OK):
        problems.append(
            Error(
                _("PROMETHEUS_MULTIPROC_DIR %(path)s is not a writable directory.")
                % {"path": multiproc},
                hint=_("Create it, owned by the service user (see deploy/layan.tmpfiles.conf)."),
                id="layan.E012",
            )
        )
    return problems
