"""What every web surface (console, API, public pages) reads of a request the same way."""

from __future__ import annotations

from django.conf import settings


def client_address(request) -> str | None:
    """The address of the person's client: for the access log and the rate limits.

    ``REMOTE_ADDR``, unless Layan runs behind ``LAYAN_TRUSTED_PROXIES`` reverse proxies (nginx):
    then the address the nearest proxy saw, from ``X-Forwarded-For`` (an address the client put
    there itself is never taken).
    """
    hops = settings.LAYAN_TRUSTED_PROXIES
    if hops > 0:
        chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        chain = [part for part in chain if part]
        if len(chain) >= hops:
            return chain[-hops]
    return request.META.get("REMOTE_ADDR") or None
