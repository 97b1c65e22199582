"""``layan check --deploy``: a demo-like configuration gives the list of problems and fails; a
production one passes."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from layan.core import checks, readiness

pytestmark = pytest.mark.django_db

GOOD = {
    "SECRET_KEY": "n7#Qv0-very-long-random-production-key-zX9!pL2mK8@rT4wY6^bN1&hJ3",
    "DEBUG": False,
    "ALLOWED_HOSTS": ["layan.example.go.id"],
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_HSTS_SECONDS": 31536000,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "WHATSAPP_APP_SECRET": "0123456789abcdef0123456789abcdef",
    "WHATSAPP_VERIFY_TOKEN": "a-random-verify-token-of-this-office",
    "LAYAN_STANDIN": False,
    "LAYAN_TASK_BACKEND": "db",
    "LAYAN_METRICS_TOKEN": "scrape-token",
    "LAYAN_TRUSTED_PROXIES": 1,
}


def ids(messages) -> set[str]:
    return {message.id for message in messages}


@pytest.fixture
def good(settings, tmp_path):
    for name, value in GOOD.items():
        setattr(settings, name, value)
    settings.MEDIA_ROOT = tmp_path
    return settings


def test_the_test_configuration_is_not_fit_for_production(settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = True
    settings.SECRET_KEY = "django-insecure-layan-var"
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.SESSION_COOKIE_SECURE = False
    settings.LAYAN_METRICS_TOKEN = ""
    settings.LAYAN_TASK_BACKEND = "immediate"
    found = ids(checks.check_settings()) | ids(checks.check_services())
    assert {f"layan.E00{n}" for n in range(1, 9)} | {"layan.E010", "layan.W002"} <= found


def test_demo_secrets_are_refused(good):
    good.WHATSAPP_APP_SECRET = "demo-app-secret"
    good.WHATSAPP_VERIFY_TOKEN = "demo-verify-token"
    assert ids(checks.check_settings()) - {"layan.W001"} == {"layan.E006", "layan.E007"}


def test_the_command_fails_with_the_list(settings):
    settings.LAYAN_TASK_BACKEND = "immediate"  # as the suite runs it, unless on RQ
    with pytest.raises(SystemCheckError) as failure:
        call_command("check", deploy=True, stdout=io.StringIO(), stderr=io.StringIO())
    report = str(failure.value)
    for code in ("layan.E001", "layan.E006", "layan.E008", "layan.E010"):
        assert code in report


def test_a_production_configuration_passes(good):
    assert ids(checks.check_settings()) <= {"layan.W001"}  # the tests may run on SQLite
    assert ids(checks.check_services()) == set()
    out = io.StringIO()
    call_command("check", deploy=True, stdout=out, stderr=io.StringIO())
    assert "layan.E" not in out.getvalue()


def test_storage_that_cannot_be_written_is_an_error(good, monkeypatch):
    def refuse():
        raise PermissionError("read-only file system")

    monkeypatch.setattr(readiness, "storage_probe", refuse)
    assert ids(checks.check_services()) == {"layan.E009"}


def test_an_unreachable_redis_is_an_error(good):
    good.LAYAN_TASK_BACKEND = "rq"
    good.REDIS_URL = "redis://127.0.0.1:1/0"
    assert ids(checks.check_services()) == {"layan.E011"}


def test_a_metrics_directory_that_cannot_be_written_is_an_error(good, monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "missing"))
    assert ids(checks.check_services()) == {"layan.E012"}
