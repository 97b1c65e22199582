"""Middleware every request passes first: its id (for the logs) and its metrics."""

from __future__ import annotations

import time

from django.core.signals import request_finished

from layan.core import logs, metrics

HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Gives the request an id: the one the proxy sent in ``X-Request-ID`` when it is sane,
    else a new one. It is on ``request.request_id``, on every log record written while the
    request runs, and in the response's ``X-Request-ID``.

    The id stays set until the request is finished (``request_finished``), so Django's own
    "Not Found" and "Internal Server Error" lines, written after the middleware, carry it too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = logs.sane_request_id(request.headers.get(HEADER))
        request.request_id = rid
        logs.request_id.set(rid)
        response = self.get_response(request)
        response.headers[HEADER] = rid
        return response


def _forget_request_id(**kwargs) -> None:
    logs.request_id.set(None)


request_finished.connect(_forget_request_id, dispatch_uid="layan.core.middleware.request_id")


def view_label(request) -> str:
    """The URL's name (``console:case``), else its route; ``unmatched`` for no URL at all, so
    a scan of random paths cannot grow the label set."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


class MetricsMiddleware:
    """Counts requests by method, view and status class, and times them by view."""

    METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        view = view_label(request)
        method = request.method if request.method in self.METHODS else "other"
        metrics.HTTP_REQUESTS.labels(method, view, f"{response.status_code // 100}xx").inc()
        metrics.HTTP_LATENCY.labels(view).observe(time.perf_counter() - started)
        return response
