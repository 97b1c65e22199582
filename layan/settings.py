"""Settings for Layan, read from the environment.

Every knob an operator may turn is an environment variable; the defaults give the embedded
single-process demo (SQLite under ``LAYAN_DATA_DIR``, tasks in the same database).
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("LAYAN_DATA_DIR", "var")).resolve()

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # A development key, stable per data directory, so sessions survive a restart of the demo.
    # Production sets SECRET_KEY; the deploy check refuses the insecure prefix.
    SECRET_KEY = "django-insecure-layan-" + str(DATA_DIR)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "axes",
    "django_otp",  # two-factor sign-in of privileged staff (layan.console.two_factor)
    "django_otp.plugins.otp_totp",
    "ninja",  # serves the API docs (Swagger UI) from its own static files, not a CDN
    "layan.core",
    "layan.offices",
    "layan.sop",
    "layan.cases",
    "layan.registry",
    "layan.population",
    "layan.whatsapp",
    "layan.bot",
    "layan.api",
    "layan.documents",
    "layan.reports",
    "layan.console",
    "layan.demo",
]

MIDDLEWARE = [
    # First: the request's id for the logs, and its count and duration for /metrics.
    "layan.core.middleware.RequestIdMiddleware",
    "layan.core.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "layan.core.locale.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Two-factor sign-in: who passed it, then the console's and the admin's guard.
    "django_otp.middleware.OTPMiddleware",
    "layan.console.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "layan.core.security.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed sign-ins and refuses further tries (django-axes) before checking passwords.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "console:login"

ROOT_URLCONF = "layan.urls"
WSGI_APPLICATION = "layan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "layan.console.context.nav",
            ],
        },
    },
]


def _database_config() -> dict:
    url = os.environ.get("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        if config["ENGINE"] == "django.db.backends.postgresql":
            # PostgreSQL's JIT compiles a plan for tens of milliseconds before running it: more
            # than the console's and the reports' queries take (docs/deploy.md, PostgreSQL).
            config.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    else:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "layan.sqlite3")}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web server read while the worker writes; IMMEDIATE transactions take the
        # write lock up front so two writers queue on the busy timeout instead of deadlocking.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            " PRAGMA foreign_keys=ON;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
        # Each web and task thread keeps its connection: opening one runs the PRAGMAs and
        # registers Django's SQL functions, which cost the one-process demo about a tenth of its
        # time per conversation when every request and task opened its own.
        config["CONN_MAX_AGE"] = 600
        config["CONN_HEALTH_CHECKS"] = True

    return config


DATABASES = {"default": _database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background tasks (docs/deploy.md): "db" (django-tasks-db, the embedded default: the database
# is the queue), "rq" (Redis through django-tasks-rq; needs REDIS_URL), or inline backends.
_TASK_BACKENDS = {
    "db": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",
}
LAYAN_TASK_BACKEND = os.environ.get("LAYAN_TASK_BACKEND", "db")
if LAYAN_TASK_BACKEND not in _TASK_BACKENDS:
    raise RuntimeError(
        f"LAYAN_TASK_BACKEND={LAYAN_TASK_BACKEND!r}: expected one of {sorted(_TASK_BACKENDS)}"
    )
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[LAYAN_TASK_BACKEND]}}
# Redis: the RQ queues, and (unless LAYAN_CACHE_URL names another database) the shared cache.
REDIS_URL = os.environ.get("REDIS_URL", "")
if LAYAN_TASK_BACKEND == "rq":
    if not REDIS_URL:
        raise RuntimeError("LAYAN_TASK_BACKEND=rq needs REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {
        "default": {
            "URL": REDIS_URL,
            "DEFAULT_TIMEOUT": int(os.environ.get("LAYAN_TASK_TIMEOUT", "900")),
            # LAYAN_RQ_INLINE=true runs each job at enqueue, through Redis (the test suite).
            "ASYNC": not env_bool("LAYAN_RQ_INLINE", False),
        }
    }
    # One process runs jobs one after another (no fork per job): a job's effects are guarded by
    # leases in the database, so a killed worker loses nothing (docs/deploy.md).
    RQ = {"WORKER_CLASS": os.environ.get("LAYAN_RQ_WORKER_CLASS", "rq.worker.SimpleWorker")}
# Rate limits and caches are shared by every process when a cache server is configured;
# otherwise each process has its own (the one-process demo).
LAYAN_CACHE_URL = os.environ.get("LAYAN_CACHE_URL", REDIS_URL)
if LAYAN_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": LAYAN_CACHE_URL,
            "KEY_PREFIX": os.environ.get("LAYAN_CACHE_PREFIX", "layan"),
            "TIMEOUT": 300,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions live in the database (shared by every app server); "cache" keeps them in Redis too.
SESSION_ENGINE = {
    "db": "django.contrib.sessions.backends.db",
    "cached_db": "django.contrib.sessions.backends.cached_db",
}[os.environ.get("LAYAN_SESSIONS", "cached_db" if LAYAN_CACHE_URL else "db")]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from here after collectstatic
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# File storage (docs/storage-and-backup.md): attachments, WhatsApp media and signed PDFs live
# under MEDIA_ROOT, or in an S3-compatible bucket when LAYAN_S3_BUCKET is set. The objects are
# private and URLs are never handed out: every file goes through Layan's own views.
LAYAN_S3_BUCKET = os.environ.get("LAYAN_S3_BUCKET", "").strip()
if LAYAN_S3_BUCKET:
    from layan.core.storage import s3_storage

    STORAGES["default"] = s3_storage(
        bucket=LAYAN_S3_BUCKET,
        endpoint_url=os.environ.get("LAYAN_S3_ENDPOINT_URL"),
        access_key=os.environ.get("LAYAN_S3_ACCESS_KEY_ID"),
        secret_key=os.environ.get("LAYAN_S3_SECRET_ACCESS_KEY"),
        region=os.environ.get("LAYAN_S3_REGION", "us-east-1"),
        prefix=os.environ.get("LAYAN_S3_PREFIX", ""),
        acl=os.environ.get("LAYAN_S3_ACL", "private"),  # "" for a bucket with ACLs disabled
    )
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and bool(os.environ.get("SECRET_KEY")))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = int(os.environ.get("LAYAN_SESSION_SECONDS", str(10 * 3600)))  # a work day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("SECURE_SSL", False):
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Sign-in lockout (django-axes): this many failures for one user name from one address lock
# that pair for the cool-off time; a successful sign-in resets the count.
AXES_FAILURE_LIMIT = int(os.environ.get("LAYAN_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("LAYAN_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "console/locked_out.html"
AXES_VERBOSE = False

# Content security policy of every page (layan.core.security): only this site's own scripts,
# styles and images; pages listed in CSP_RELAXED_PATHS (third-party pages served from our own
# static files, such as the API docs) may also use inline scripts and styles.
CSP_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
CSP_RELAXED_PATHS = ["/api/docs", "/admin/"]

# Logs (layan.core.logs): "plain" lines, or "json" (one object per line with the request id).
LAYAN_LOG_FORMAT = os.environ.get("LAYAN_LOG_FORMAT", "plain")
if LAYAN_LOG_FORMAT not in ("plain", "json"):
    raise RuntimeError(f"LAYAN_LOG_FORMAT={LAYAN_LOG_FORMAT!r}: expected plain or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "layan.core.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "layan.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LAYAN_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},  # WeasyPrint's font subsetting is chatty at INFO
        "weasyprint.progress": {"level": "WARNING"},  # seven lines per document at INFO
        # Every task's start and end is INFO; a failed task is still logged at ERROR.
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
        "rq.worker": {"level": "WARNING"},
    },
}
# Operations (docs/deploy.md): /readyz fails when the oldest unprocessed webhook event or the
# oldest queued message of a sending number is older than these; /metrics wants this bearer
# token (without one, only loopback may read it).
LAYAN_READY_INBOX_SECONDS = int(os.environ.get("LAYAN_READY_INBOX_SECONDS", "120"))
LAYAN_READY_OUTBOX_SECONDS = int(os.environ.get("LAYAN_READY_OUTBOX_SECONDS", "600"))
LAYAN_METRICS_TOKEN = os.environ.get("LAYAN_METRICS_TOKEN", "")
# The probes and the scrape answer plain HTTP on the machine itself (no redirect to HTTPS).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# WhatsApp Cloud API (Graph). Per-number tokens stored on a channel override the access token.
WHATSAPP_APP_SECRET = os.environ.get("WHATSAPP_APP_SECRET", "")
WHATSAPP_VERIFY_TOKEN = os.environ.get("WHATSAPP_VERIFY_TOKEN", "")
WHATSAPP_ACCESS_TOKEN = os.environ.get("WHATSAPP_ACCESS_TOKEN", "")
WHATSAPP_GRAPH_URL = os.environ.get("WHATSAPP_GRAPH_URL", "https://graph.facebook.com").rstrip("/")
WHATSAPP_API_VERSION = os.environ.get("WHATSAPP_API_VERSION", "v23.0")
WHATSAPP_MEDIA_MAX_BYTES = {
    "image": int(os.environ.get("WHATSAPP_MAX_IMAGE_BYTES", 5 * 1024 * 1024)),
    "document": int(os.environ.get("WHATSAPP_MAX_DOCUMENT_BYTES", 16 * 1024 * 1024)),
}
# Under load one inbox drain works through the events of this many seconds (one task, not one
# per webhook); a lone message is drained at once.
WHATSAPP_DRAIN_DEBOUNCE = float(os.environ.get("WHATSAPP_DRAIN_DEBOUNCE", "0.05"))
# Administrators are alerted when a number's oldest unsent message is older than this.
WHATSAPP_BACKLOG_ALERT_SECONDS = int(os.environ.get("WHATSAPP_BACKLOG_ALERT_SECONDS", "180"))
WHATSAPP_SEND_RATE = float(os.environ.get("WHATSAPP_SEND_RATE", "70"))  # per number, per second
# The local stand-in of the Graph API (and the phone simulator): on in `layan demo` only.
# The resident bot (seconds): a conversation quiet this long restarts; an identical answer is
# not repeated within the repeat window; at most this many replies per resident per minute; a
# conversation handed to an officer goes back to the bot after the handover timeout.
BOT_STALE_AFTER = int(os.environ.get("BOT_STALE_AFTER", str(24 * 3600)))
BOT_REPEAT_WINDOW = int(os.environ.get("BOT_REPEAT_WINDOW", "300"))
BOT_REPLIES_PER_MINUTE = int(os.environ.get("BOT_REPLIES_PER_MINUTE", "20"))
BOT_HANDOVER_TIMEOUT = int(os.environ.get("BOT_HANDOVER_TIMEOUT", str(72 * 3600)))

LAYAN_STANDIN = env_bool("LAYAN_STANDIN", False)
LAYAN_STANDIN_WEBHOOK_URL = os.environ.get(
    "LAYAN_STANDIN_WEBHOOK_URL", "http://127.0.0.1:8000/webhooks/whatsapp"
)
if LAYAN_STANDIN:
    INSTALLED_APPS.append("layan.standin")

# Periodic work (the task API has no cron): seconds between runs of each periodic task.
LAYAN_PERIODIC_SECONDS = {
    "layan.cases.tasks.sweep_overdue": 60,
    "layan.whatsapp.tasks.sweep": 10,
    "layan.bot.tasks.remind_visits": 900,
    "layan.reports.tasks.snapshot_backlogs": 1800,
    "layan.reports.tasks.fill_rollups": 3600,
    "layan.core.tasks.prune_task_results": 3600,
    "layan.registry.tasks.scan_duplicates": 86400,  # the nightly full scan for Data Ganda
    "layan.bot.retention.apply_retention": 86400,  # the offices' retention policies (PDP)
}
LAYAN_DEMO_PASSWORD = os.environ.get("LAYAN_DEMO_PASSWORD", "demo")
LAYAN_DEMO_PASSPHRASE = os.environ.get("LAYAN_DEMO_PASSPHRASE", "tte-demo-2026")

# Documents (docs/documents.md). The public address is printed in every QR code.
LAYAN_PUBLIC_URL = os.environ.get("LAYAN_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
LAYAN_SIGNING_DIR = Path(os.environ.get("LAYAN_SIGNING_DIR", str(DATA_DIR / "signing")))
# PEM files of the CAs whose signatures the verification page trusts (besides the demo CA).
LAYAN_TRUST_ROOTS = env_list("LAYAN_TRUST_ROOTS")
LAYAN_TSA_URL = os.environ.get("LAYAN_TSA_URL", "")  # RFC 3161 timestamps: PAdES B-T
# The external signing service (BSrE style); when set, remote signing keys sign through it.
LAYAN_BSRE_URL = os.environ.get("LAYAN_BSRE_URL", "").rstrip("/")
LAYAN_BSRE_USER = os.environ.get("LAYAN_BSRE_USER", "")
LAYAN_BSRE_PASSWORD = os.environ.get("LAYAN_BSRE_PASSWORD", "")
# The population registry (docs/registry.md): "local" (Layan's tables) or a bridge's base URL.
LAYAN_REGISTRY = os.environ.get("LAYAN_REGISTRY", "local").rstrip("/") or "local"
LAYAN_REGISTRY_TOKEN = os.environ.get("LAYAN_REGISTRY_TOKEN", "")
LAYAN_DOWNLOAD_HOURS = int(os.environ.get("LAYAN_DOWNLOAD_HOURS", "72"))
LAYAN_DOWNLOAD_PIN_TRIES = int(os.environ.get("LAYAN_DOWNLOAD_PIN_TRIES", "5"))
# Reverse proxies in front of Layan (nginx): the client's address is then read from the
# X-Forwarded-For they set (layan.core.http.client_address); 0 trusts no such header.
LAYAN_TRUSTED_PROXIES = int(os.environ.get("LAYAN_TRUSTED_PROXIES", "0"))
# Public verification page: at most this many look-ups per address per minute.
LAYAN_VERIFY_PER_MINUTE = int(os.environ.get("LAYAN_VERIFY_PER_MINUTE", "30"))
# Data protection (docs/data-protection.md). Secrets stored in the database are encrypted with
# the first of these Fernet keys, decrypted with any (rotation: `layan secrets rotate`).
LAYAN_ENCRYPTION_KEYS = env_list("LAYAN_ENCRYPTION_KEYS")
# Retention: rows removed per transaction, and per kind, office and run at most.
LAYAN_RETENTION_BATCH = int(os.environ.get("LAYAN_RETENTION_BATCH", "500"))
LAYAN_RETENTION_MAX_ROWS = int(os.environ.get("LAYAN_RETENTION_MAX_ROWS", "20000"))
# Heads of office, administrators and whoever signs or revokes documents sign in to the console
# and the admin with a TOTP code as well (off in the demo and the test settings).
LAYAN_REQUIRE_2FA = env_bool("LAYAN_REQUIRE_2FA", True)
OTP_TOTP_ISSUER = "Layan"
if os.environ.get("LAYAN_TEMPLATE_DIR"):
    TEMPLATES[0]["DIRS"].insert(0, Path(os.environ["LAYAN_TEMPLATE_DIR"]))
