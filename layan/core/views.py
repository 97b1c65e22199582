import hmac
import ipaddress

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from layan.core import metrics, readiness
from layan.core.http import client_address


@require_GET
@never_cache
def healthz(request):
    """Liveness and database check for load balancers and the demo."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
@never_cache
def readyz(request):
    """Readiness: every check with its state; 200 when none failed, else 503."""
    ready, checks = readiness.run()
    degraded = any(item["state"] == readiness.DEGRADED for item in checks.values())
    status = "ok" if ready and not degraded else ("degraded" if ready else "fail")
    return JsonResponse({"status": status, "checks": checks}, status=200 if ready else 503)


def metrics_allowed(request) -> bool:
    """With ``LAYAN_METRICS_TOKEN`` set, only a request carrying it as a bearer token; without
    it, only requests from this machine (loopback)."""
    token = getattr(settings, "LAYAN_METRICS_TOKEN", "")
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        )
    address = client_address(request)
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@require_GET
@never_cache
def metrics_view(request):
    """Prometheus metrics (text exposition format)."""
    if not metrics_allowed(request):
        return JsonResponse({"error": "forbidden"}, status=403)
    return HttpResponse(metrics.scrape(), content_type=metrics.CONTENT_TYPE)
