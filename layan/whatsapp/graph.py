"""A small synchronous client for the parts of Meta's Graph API that Layan uses.

Four calls: send a message, look up a media object, download its bytes, upload a file. Every
failure becomes one :class:`GraphError` whose ``kind`` tells the caller what to do next (retry
later, fall back to a template, stop and alert, give up), so the outbox and the media intake
decide on a word, not on Meta's hundreds of error codes.

Safety rules the callers rely on:

* the access token travels only in the ``Authorization`` header and is never put in a log line,
  an exception message or a URL (it is also scrubbed from Meta's own error texts);
* API calls never follow redirects: a 3xx from the Graph API is unexpected and is an error;
* media downloads follow at most a few redirects, only to ``http``/``https``, and the token is
  sent only to the origin Meta gave us, so a redirect cannot carry it to another host;
* downloads stream and stop after ``max_bytes + 1`` bytes, so a huge file cannot fill memory.
"""

from __future__ import annotations

import functools
import logging
import ssl
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

# Meta error codes grouped by what the caller should do. Sources: Cloud API error codes and
# Graph API throttling docs. 4/17/613/80007 are app/business/user call-rate limits, 130429 is
# throughput, 131048 spam rate limit, 131056 the per-recipient pair limit.
RATE_LIMIT_CODES = frozenset({4, 17, 613, 80007, 130429, 131048, 131056})
AUTH_CODES = frozenset({190})
MEDIA_CODES = frozenset({131052, 131053})
# 1 "unknown error" / 2 "service temporarily unavailable" / 131000 "something went wrong":
# Meta asks to retry these, whatever HTTP status carried them.
SERVER_CODES = frozenset({1, 2, 131000})
WINDOW_CLOSED = 131047
UNDELIVERABLE = 131026

KINDS = (
    "network",
    "server",
    "rate_limited",
    "window_closed",
    "undeliverable",
    "auth",
    "media",
    "permanent",
)
RETRYABLE_KINDS = frozenset({"network", "server", "rate_limited"})
MAX_REDIRECTS = 5


class GraphError(Exception):
    """One failed Graph API call, classified.

    ``kind`` is what the caller branches on (see :data:`KINDS`); the raw ``http_status``,
    ``code``, ``subcode``, ``message``, ``details`` and ``fbtrace_id`` are kept for the log and for
    Meta support. ``retryable`` is true for the kinds where the same request may succeed later.
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        http_status: int | None = None,
        code: int | None = None,
        subcode: int | None = None,
        details: str = "",
        fbtrace_id: str | None = None,
    ):
        if kind not in KINDS:
            raise ValueError(f"unknown GraphError kind {kind!r}")
        self.kind = kind
        self.message = message
        self.http_status = http_status
        self.code = code
        self.subcode = subcode
        self.details = details
        self.fbtrace_id = fbtrace_id
        super().__init__(str(self))

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE_KINDS

    def __str__(self) -> str:
        parts = [self.kind]
        if self.http_status is not None:
            parts.append(f"HTTP {self.http_status}")
        if self.code is not None:
            parts.append(f"code {self.code}" + (f"/{self.subcode}" if self.subcode else ""))
        text = f"[{', '.join(parts)}] {self.message}"
        if self.details:
            text += f" ({self.details})"
        return text

    def __repr__(self) -> str:
        return f"GraphError({self!s})"


def classify(http_status: int | None, code: int | None, *, transient: bool = False) -> str:
    """The :class:`GraphError` kind for an HTTP status and a Meta error code.

    Meta's code wins over the HTTP status (it answers 400 for throughput limits and 131047 alike);
    the status decides only when the code says nothing specific.
    """
    if code in RATE_LIMIT_CODES:
        return "rate_limited"
    if code == WINDOW_CLOSED:
        return "window_closed"
    if code == UNDELIVERABLE:
        return "undeliverable"
    if code in AUTH_CODES:
        return "auth"
    if code in MEDIA_CODES:
        return "media"
    if http_status == 429:
        return "rate_limited"
    if http_status == 401:
        return "auth"
    if code in SERVER_CODES or transient:
        return "server"
    if http_status is not None and http_status >= 500:
        return "server"
    return "permanent"


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class GraphClient:
    """Graph API calls for one access token (one WhatsApp Business Account or number).

    ``base_url`` may carry a path (the local stand-in lives under ``…/graph``). ``transport`` is
    for tests. The client holds a connection pool: reuse it for a batch and :meth:`close` it, or
    use it as a context manager.
    """

    def __init__(
        self,
        *,
        base_url: str,
        version: str,
        token: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ):
        self._token = token or ""
        self._http = httpx.Client(
            base_url=f"{base_url.rstrip('/')}/{version.strip('/')}/",
            timeout=timeout,
            transport=transport,
            verify=tls_context(),
            follow_redirects=False,
            headers={"Accept": "application/json"},
        )

    # ------------------------------------------------------------------ public calls

    def send_message(self, phone_number_id: str, payload: dict) -> str:
        """Send one message; the wamid Meta assigned (``messages[0].id``)."""
        data = self._call("POST", f"{_segment(phone_number_id)}/messages", json=payload)
        try:
            wamid = data["messages"][0]["id"]
        except (KeyError, IndexError, TypeError):
            wamid = None
        if not isinstance(wamid, str) or not wamid:
            raise GraphError("permanent", "send response without messages[0].id", http_status=200)
        return wamid

    def media_info(self, media_id: str) -> dict:
        """``url``, ``mime_type``, ``sha256``, ``file_size`` (int) and ``id`` of a media object.

        The URL is valid for about five minutes: download right away.
        """
        data = self._call("GET", _segment(media_id))
        url = data.get("url")
        if not isinstance(url, str) or not url:
            raise GraphError("media", "media info without url", http_status=200)
        return {
            "url": url,
            "mime_type": str(data.get("mime_type") or ""),
            "sha256": str(data.get("sha256") or ""),
            "file_size": _as_int(data.get("file_size")) or 0,
            "id": str(data.get("id") or media_id),
        }

    def download(self, url: str, *, max_bytes: int) -> bytes:
        """The bytes at a media URL from :meth:`media_info`, at most ``max_bytes`` of them.

        Raises ``GraphError(kind="media")`` with ``max_bytes`` in its details when the file is
        bigger (reading stops at ``max_bytes + 1``, or at once when Content-Length says so).
        """
        current = httpx.URL(url)
        origin = _origin(current)
        for _hop in range(MAX_REDIRECTS + 1):
            if current.scheme not in ("http", "https"):
                raise GraphError("media", f"refusing media URL with scheme {current.scheme!r}")
            # The token goes only to the origin Meta named; a redirect elsewhere gets none.
            headers = self._auth() if _origin(current) == origin else {}
            # Media is compressed already; identity keeps a small gzip body from inflating
            # far past max_bytes inside one chunk.
            headers["Accept-Encoding"] = "identity"
            try:
                with self._http.stream("GET", current, headers=headers) as response:
                    if 300 <= response.status_code < 400:
                        location = response.headers.get("Location", "")
                        if not location:
                            raise GraphError(
                                "media",
                                "redirect without Location",
                                http_status=response.status_code,
                            )
                        current = current.join(location)
                        continue
                    if response.status_code >= 400:
                        response.read()
                        raise self._error_from(response)
                    return _read_capped(response, max_bytes)
            except httpx.TransportError as exc:
                raise self._transport_error(exc, "GET media") from None
        raise GraphError("media", f"more than {MAX_REDIRECTS} redirects for a media download")

    def upload_media(
        self, phone_number_id: str, content: bytes, *, mime_type: str, filename: str
    ) -> str:
        """Upload a file for later sending by id; the media id."""
        data = self._call(
            "POST",
            f"{_segment(phone_number_id)}/media",
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename, content, mime_type)},
        )
        media_id = data.get("id")
        if media_id in (None, ""):
            raise GraphError("media", "upload response without id", http_status=200)
        return str(media_id)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:  # never show the token
        return f"<GraphClient {self._http.base_url}>"

    # ------------------------------------------------------------------ plumbing

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self._http.request(method, path, headers=self._auth(), **kwargs)
        except httpx.TransportError as exc:
            raise self._transport_error(exc, f"{method} {path}") from None
        if not response.is_success:
            error = self._error_from(response)
            logger.warning("Graph %s %s failed: %s", method, path, error)
            raise error
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            # A 2xx that is not Meta's JSON came from something in between (a proxy, a portal);
            # whether the call took effect is unknown, so do not invite a blind retry.
            raise GraphError(
                "permanent",
                "unexpected non-JSON success response",
                http_status=response.status_code,
            )
        return data

    def _transport_error(self, exc: httpx.TransportError, what: str) -> GraphError:
        # UnsupportedProtocol and friends will fail the same way again; the rest is the network.
        kind = "permanent" if isinstance(exc, httpx.UnsupportedProtocol) else "network"
        error = GraphError(kind, f"{type(exc).__name__}: {self._scrub(str(exc))}")
        logger.warning("Graph %s failed: %s", what, error)
        return error

    def _error_from(self, response: httpx.Response) -> GraphError:
        """Parse Meta's ``{"error": {...}}``; any other body still gives the HTTP status."""
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            reason = response.reason_phrase or "error"
            return GraphError(classify(status, None), f"HTTP {status} {reason}", http_status=status)
        code = _as_int(error.get("code"))
        error_data = error.get("error_data")
        details = ""
        if isinstance(error_data, dict):
            details = str(error_data.get("details") or "")
        elif isinstance(error_data, str):
            details = error_data
        fbtrace = error.get("fbtrace_id")
        return GraphError(
            classify(status, code, transient=error.get("is_transient") is True),
            self._scrub(str(error.get("message") or f"HTTP {status}")),
            http_status=status,
            code=code,
            subcode=_as_int(error.get("error_subcode")),
            details=self._scrub(details),
            fbtrace_id=str(fbtrace) if fbtrace else None,
        )

    def _scrub(self, text: str) -> str:
        if self._token and len(self._token) >= 4:
            text = text.replace(self._token, "[token]")
        return text


def _segment(value: str) -> str:
    """One URL path segment: ids come from webhooks and the database, so escape, never trust."""
    value = str(value)
    if not value or value in (".", ".."):
        raise GraphError("permanent", "empty or invalid id in a Graph API path")
    return quote(value, safe="")


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


class MediaTooLarge(GraphError):
    """A download stopped because the file is bigger than the caller's limit."""

    def __init__(self, response: httpx.Response, details: str):
        super().__init__(
            "media", "media file too large", http_status=response.status_code, details=details
        )


def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = _as_int(response.headers.get("Content-Length"))
    if declared is not None and declared > max_bytes:
        raise MediaTooLarge(response, f"Content-Length {declared} exceeds max_bytes {max_bytes}")
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes():  # as received: a chunk_size would buffer past the cap
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise MediaTooLarge(response, f"more than max_bytes {max_bytes}")
    return b"".join(chunks)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's one TLS context for Graph calls. Building one reads the whole CA bundle
    (tens of milliseconds), which a client made per dispatch would pay on every send."""
    return httpx.create_ssl_context()


_default_transport: httpx.BaseTransport | None = None


def set_default_transport(transport: httpx.BaseTransport | None) -> httpx.BaseTransport | None:
    """Route every client from :func:`client_for` through ``transport`` (tests use an in-process
    transport to the stand-in); returns the previous one so it can be restored."""
    global _default_transport
    previous, _default_transport = _default_transport, transport
    return previous


def client_for(channel=None) -> GraphClient:
    """A client for ``channel`` (its own ``access_token`` when it has one) or the default token."""
    token = getattr(channel, "access_token", "") or settings.WHATSAPP_ACCESS_TOKEN
    return GraphClient(
        base_url=settings.WHATSAPP_GRAPH_URL,
        version=settings.WHATSAPP_API_VERSION,
        token=token,
        timeout=float(getattr(settings, "WHATSAPP_GRAPH_TIMEOUT", 10.0)),
        transport=_default_transport,
    )
