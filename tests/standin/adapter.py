"""Run the real :class:`GraphClient` against the stand-in without a network.

:class:`DjangoTransport` is an httpx transport that hands each request to Django's test
``Client`` and converts the answer back, so the client's headers, multipart bodies, streaming and
error parsing all run for real while the stand-in answers in-process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
from django.test import Client

from layan.whatsapp.graph import GraphClient

BASE_URL = "http://testserver/graph"
VERSION = "v23.0"
TOKEN = "test-access-token"

# Set by the transport itself or by Django from the arguments of Client.generic.
_SKIP_HEADERS = {"host", "content-length", "content-type", "transfer-encoding"}


class DjangoTransport(httpx.BaseTransport):
    """An ``httpx`` transport backed by ``django.test.Client``; ``requests`` records each call."""

    def __init__(self, client: Client | None = None):
        self.client = client or Client()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _SKIP_HEADERS}
        response = self.client.generic(
            request.method,
            request.url.raw_path.decode("ascii"),  # path and query string
            data=body,
            content_type=request.headers.get("content-type", ""),
            secure=request.url.scheme == "https",
            headers=headers,
        )
        # The test client already closed the response (and, for streaming ones, closes it when
        # the content is consumed) with the connection-closing signal handler disconnected;
        # closing it again here would close the database connection inside the test's
        # transaction on PostgreSQL.
        streaming = response.streaming
        content = b"".join(response.streaming_content) if streaming else response.content
        return httpx.Response(
            response.status_code,
            headers=[(k, v) for k, v in response.items() if k.lower() != "content-length"],
            content=content,
            request=request,
        )


def graph_client(
    *, token: str = TOKEN, transport: httpx.BaseTransport | None = None
) -> GraphClient:
    """A :class:`GraphClient` talking to the stand-in through :class:`DjangoTransport`."""
    return GraphClient(
        base_url=BASE_URL, version=VERSION, token=token, transport=transport or DjangoTransport()
    )


@contextlib.contextmanager
def simulator_in_process(settings, tmp_path, monkeypatch) -> Iterator[list[tuple[bytes, dict]]]:
    """The phone simulator's webhook POSTs, the Graph client and the stand-in's status webhooks
    all served in-process by Django's test client, as in production. Yields the (body, headers)
    the simulator posted."""
    from layan.standin import delivery, phone
    from layan.whatsapp import graph

    settings.MEDIA_ROOT = tmp_path
    settings.WHATSAPP_GRAPH_URL = BASE_URL
    previous_transport = graph.set_default_transport(DjangoTransport(Client()))
    webhook = Client()

    def to_webhook(body: bytes, headers: dict) -> int:
        return webhook.post(
            "/webhooks/whatsapp",
            data=body,
            content_type=headers["Content-Type"],
            headers={"X-Hub-Signature-256": headers["X-Hub-Signature-256"]},
        ).status_code

    posted: list[tuple[bytes, dict]] = []

    def from_phone(body: bytes, headers: dict) -> int:
        posted.append((body, headers))
        return to_webhook(body, headers)

    monkeypatch.setattr(phone, "post_webhook", from_phone)
    previous_deliverer = delivery.set_deliverer(to_webhook)
    try:
        yield posted
    finally:
        graph.set_default_transport(previous_transport)
        delivery.set_deliverer(previous_deliverer)
