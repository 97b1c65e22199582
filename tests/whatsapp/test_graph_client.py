"""The Graph API client against the stand-in (in-process) and against hand-made answers.

The stand-in answers through :class:`tests.standin.adapter.DjangoTransport`, so the client's
real request building and error parsing meet the stand-in's real Meta-shaped answers; cases the
stand-in cannot produce (network errors, redirects, odd bodies) use ``httpx.MockTransport``.
"""

from __future__ import annotations

import hashlib
import logging
from types import SimpleNamespace

import httpx
import pytest

from layan.standin import delivery, services
from layan.standin.models import SentMessage
from layan.whatsapp.graph import GraphClient, GraphError, classify, client_for
from tests.standin.adapter import TOKEN, DjangoTransport, graph_client

PNID = "106540352242922"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def text(body="Halo", to="6281234567890", **extra):
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": body},
        **extra,
    }


@pytest.fixture(autouse=True)
def _standin(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    webhooks: list[tuple[bytes, dict]] = []
    previous = delivery.set_deliverer(lambda body, headers: webhooks.append((body, headers)) or 200)
    yield webhooks
    delivery.set_deliverer(previous)


@pytest.fixture
def client():
    with graph_client() as graph:
        yield graph


def mock_client(handler, token=TOKEN) -> GraphClient:
    return GraphClient(
        base_url="https://graph.example/",
        version="v23.0",
        token=token,
        transport=httpx.MockTransport(handler),
    )


# ------------------------------------------------------------------------- sending


def test_send_returns_the_wamid_and_the_standin_keeps_the_message(client):
    wamid = client.send_message(PNID, text(biz_opaque_callback_data="outbox:7"))

    assert wamid.startswith("wamid.")
    sent = SentMessage.objects.get(wamid=wamid)
    assert (sent.phone_number_id, sent.recipient, sent.type) == (PNID, "6281234567890", "text")
    assert sent.payload["text"] == {"body": "Halo"}
    assert sent.callback_data == "outbox:7"


def test_send_to_a_business_scoped_user_id(client):
    payload = text()
    del payload["to"]
    payload["recipient"] = "ID.1234567890"
    wamid = client.send_message(PNID, payload)
    assert SentMessage.objects.get(wamid=wamid).recipient == "ID.1234567890"


def test_the_request_carries_the_bearer_token_and_json():
    transport = DjangoTransport()
    with graph_client(transport=transport) as graph:
        graph.send_message(PNID, text())
    request = transport.requests[0]
    assert request.url.path == f"/graph/v23.0/{PNID}/messages"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("rule", "kind", "retryable", "status", "code"),
    [
        ({"kind": "http_500"}, "server", True, 500, 2),
        ({"kind": "error", "code": 130429}, "rate_limited", True, 400, 130429),
        ({"kind": "error", "code": 131056}, "rate_limited", True, 400, 131056),
        ({"kind": "error", "code": 4}, "rate_limited", True, 429, 4),
        ({"kind": "error", "code": 80007}, "rate_limited", True, 429, 80007),
        ({"kind": "error", "code": 131047}, "window_closed", False, 400, 131047),
        ({"kind": "error", "code": 131026}, "undeliverable", False, 400, 131026),
        ({"kind": "error", "code": 190}, "auth", False, 401, 190),
        ({"kind": "error", "code": 131053}, "media", False, 400, 131053),
        ({"kind": "timeout", "seconds": 0.01}, "server", True, 504, None),
    ],
)
def test_standin_failures_map_to_kinds(client, rule, kind, retryable, status, code):
    services.add_failure(scope="messages", **rule)

    with pytest.raises(GraphError) as caught:
        client.send_message(PNID, text())

    error = caught.value
    assert (error.kind, error.retryable, error.http_status, error.code) == (
        kind,
        retryable,
        status,
        code,
    )
    if code not in (None, 2, 190):
        assert error.message.startswith(f"(#{code})")
        assert error.fbtrace_id
    assert not SentMessage.objects.exists()
    # The rule was used up: the next send goes through.
    assert client.send_message(PNID, text()).startswith("wamid.")


def test_window_closed_keeps_metas_details(client):
    services.add_failure(scope="messages", code=131047)
    with pytest.raises(GraphError) as caught:
        client.send_message(PNID, text())
    assert "24 hours" in caught.value.details
    assert caught.value.subcode == 2494010


def test_expired_token_is_an_auth_error():
    with graph_client(token="expired") as graph, pytest.raises(GraphError) as caught:
        graph.send_message(PNID, text())
    assert (caught.value.kind, caught.value.code, caught.value.http_status) == ("auth", 190, 401)
    assert not caught.value.retryable


@pytest.mark.parametrize(
    "payload",
    [
        text(body="x" * 4097),
        text(messaging_product="sms"),
        {"messaging_product": "whatsapp", "type": "text", "text": {"body": "no recipient"}},
        {"messaging_product": "whatsapp", "to": "62812", "type": "carrier_pigeon"},
        {"messaging_product": "whatsapp", "to": "62812", "type": "image", "image": {}},
        {
            "messaging_product": "whatsapp",
            "to": "62812",
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "Pilih"},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": str(i), "title": f"Pilihan {i}"}}
                        for i in range(4)
                    ]
                },
            },
        },
        {
            "messaging_product": "whatsapp",
            "to": "62812",
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": "Pilih layanan"},
                "action": {
                    "button": "Layanan",
                    "sections": [
                        {"rows": [{"id": str(i), "title": f"Layanan {i}"} for i in range(11)]}
                    ],
                },
            },
        },
    ],
    ids=["long-text", "product", "no-recipient", "type", "media-ref", "4-buttons", "11-rows"],
)
def test_invalid_payload_is_permanent_code_100(client, payload):
    with pytest.raises(GraphError) as caught:
        client.send_message(PNID, payload)
    assert (caught.value.kind, caught.value.code, caught.value.http_status) == (
        "permanent",
        100,
        400,
    )
    assert caught.value.details
    assert not caught.value.retryable


def test_valid_interactive_messages_pass(client):
    buttons = {
        "messaging_product": "whatsapp",
        "to": "62812",
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Lanjut?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "y", "title": "Ya"}},
                    {"type": "reply", "reply": {"id": "n", "title": "Tidak"}},
                    {"type": "reply", "reply": {"id": "b", "title": "Bantuan"}},
                ]
            },
        },
    }
    rows = [{"id": str(i), "title": f"Layanan {i}", "description": "d" * 72} for i in range(10)]
    listing = {
        "messaging_product": "whatsapp",
        "to": "62812",
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Pilih"},
            "action": {"button": "Layanan", "sections": [{"title": "Semua", "rows": rows}]},
        },
    }
    assert client.send_message(PNID, buttons)
    assert client.send_message(PNID, listing)
    assert client.send_message(PNID, text(body="x" * 4096))


# ------------------------------------------------------------------------- transport failures


@pytest.mark.parametrize(
    "exc", [httpx.ReadTimeout("read timed out"), httpx.ConnectError("connection refused")]
)
def test_network_errors_are_retryable(exc):
    def handler(request):
        raise exc

    with mock_client(handler) as graph, pytest.raises(GraphError) as caught:
        graph.send_message(PNID, text())
    assert caught.value.kind == "network"
    assert caught.value.retryable
    assert caught.value.http_status is None


@pytest.mark.parametrize(
    ("status", "kind"), [(502, "server"), (404, "permanent"), (429, "rate_limited"), (401, "auth")]
)
def test_non_json_error_bodies_still_give_the_status(status, kind):
    def handler(request):
        return httpx.Response(status, html="<html>Bad Gateway</html>")

    with mock_client(handler) as graph, pytest.raises(GraphError) as caught:
        graph.send_message(PNID, text())
    assert (caught.value.kind, caught.value.http_status, caught.value.code) == (kind, status, None)


def test_api_calls_do_not_follow_redirects():
    seen = []

    def handler(request):
        seen.append(request.url)
        return httpx.Response(302, headers={"Location": "https://elsewhere.example/steal"})

    with mock_client(handler) as graph, pytest.raises(GraphError) as caught:
        graph.send_message(PNID, text())
    assert caught.value.kind == "permanent"
    assert caught.value.http_status == 302
    assert len(seen) == 1


def test_success_without_a_wamid_is_an_error():
    handler = lambda request: httpx.Response(200, json={"messages": []})  # noqa: E731
    with mock_client(handler) as graph, pytest.raises(GraphError) as caught:
        graph.send_message(PNID, text())
    assert caught.value.kind == "permanent"


def test_ids_are_escaped_in_paths():
    seen = []

    def handler(request):
        seen.append(request.url.raw_path)
        return httpx.Response(200, json={"url": "https://x.example/m", "id": "1"})

    with mock_client(handler) as graph:
        graph.media_info("../../me/accounts")
        with pytest.raises(GraphError):
            graph.media_info("..")
    assert seen == [b"/v23.0/..%2F..%2Fme%2Faccounts"]


def test_meta_codes_win_over_http_status():
    assert classify(400, 130429) == "rate_limited"
    assert classify(500, 131047) == "window_closed"
    assert classify(400, 1) == "server"
    assert classify(400, 100, transient=True) == "server"
    assert classify(400, 100) == "permanent"
    assert classify(503, None) == "server"


# ------------------------------------------------------------------------- media


def test_media_upload_info_download_round_trip(client):
    media_id = client.upload_media(PNID, PNG, mime_type="image/png", filename="ktp.png")
    assert media_id.isdigit()

    info = client.media_info(media_id)
    assert info["id"] == media_id
    assert info["mime_type"] == "image/png"
    assert info["file_size"] == len(PNG)
    assert info["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert info["url"].startswith("http://testserver/graph/media/")

    content = client.download(info["url"], max_bytes=len(PNG))
    assert hashlib.sha256(content).hexdigest() == info["sha256"]
    assert content == PNG


def test_download_bigger_than_max_bytes_is_refused(client):
    media_id = client.upload_media(PNID, PNG, mime_type="image/png", filename="ktp.png")
    info = client.media_info(media_id)
    with pytest.raises(GraphError) as caught:
        client.download(info["url"], max_bytes=len(PNG) - 1)
    assert caught.value.kind == "media"
    assert "max_bytes" in caught.value.details
    assert not caught.value.retryable


def test_download_stops_reading_after_max_bytes_without_content_length():
    pulled = []

    def chunks():
        for _ in range(100):
            pulled.append(1)
            yield b"x" * 1000

    def handler(request):
        return httpx.Response(200, content=chunks())  # chunked: no Content-Length

    with mock_client(handler) as graph, pytest.raises(GraphError) as caught:
        graph.download("https://graph.example/media/1", max_bytes=2500)
    assert caught.value.kind == "media"
    assert "max_bytes" in caught.value.details
    assert len(pulled) <= 4  # stopped near max_bytes + 1, not at 100 000 bytes


def test_unknown_media_is_a_permanent_404(client):
    with pytest.raises(GraphError) as caught:
        client.media_info("999")
    assert (caught.value.kind, caught.value.http_status, caught.value.code) == (
        "permanent",
        404,
        100,
    )


def test_media_failures_are_injected_on_media_calls_only(client):
    services.add_failure(scope="media", kind="http_500")
    assert client.send_message(PNID, text())
    with pytest.raises(GraphError) as caught:
        client.upload_media(PNID, PNG, mime_type="image/png", filename="a.png")
    assert caught.value.kind == "server"
    assert client.upload_media(PNID, PNG, mime_type="image/png", filename="a.png")


def test_unsupported_upload_type_is_a_media_error(client):
    with pytest.raises(GraphError) as caught:
        client.upload_media(PNID, b"MZ\x90\x00", mime_type="application/x-msdownload", filename="x")
    assert (caught.value.kind, caught.value.code) == ("media", 131053)


def test_download_redirects_keep_the_token_on_its_origin_only():
    seen = []

    def handler(request):
        seen.append((str(request.url), request.headers.get("Authorization")))
        if request.url.host == "lookaside.example" and request.url.path == "/a":
            return httpx.Response(302, headers={"Location": "/b"})
        if request.url.host == "lookaside.example":
            return httpx.Response(302, headers={"Location": "https://cdn.example/c"})
        return httpx.Response(200, content=b"data")

    with mock_client(handler) as graph:
        assert graph.download("https://lookaside.example/a", max_bytes=10) == b"data"
    assert seen == [
        ("https://lookaside.example/a", f"Bearer {TOKEN}"),
        ("https://lookaside.example/b", f"Bearer {TOKEN}"),
        ("https://cdn.example/c", None),
    ]


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://lookaside.example/x"])
def test_download_redirects_only_to_http(target):
    def handler(request):
        return httpx.Response(302, headers={"Location": target})

    with mock_client(handler) as graph, pytest.raises(GraphError) as caught:
        graph.download("https://lookaside.example/a", max_bytes=10)
    assert caught.value.kind == "media"


def test_download_redirect_loops_end():
    def handler(request):
        return httpx.Response(302, headers={"Location": "/again"})

    with mock_client(handler) as graph, pytest.raises(GraphError) as caught:
        graph.download("https://lookaside.example/a", max_bytes=10)
    assert caught.value.kind == "media"


# ------------------------------------------------------------------------- the token


def test_the_token_never_reaches_logs_or_errors(caplog):
    secret = "EAAG-very-secret-token-1234567890"
    errors = []
    caplog.set_level(logging.DEBUG)

    def handler(request):
        if request.url.path.endswith("/messages"):
            # A server that echoes the token back in its error message.
            return httpx.Response(
                401,
                json={
                    "error": {
                        "message": f"Bad token {secret}",
                        "type": "OAuthException",
                        "code": 190,
                        "error_data": {"details": secret},
                    }
                },
            )
        raise httpx.ConnectError(f"failed with {secret}")

    graph = mock_client(handler, token=secret)
    for call in (
        lambda: graph.send_message(PNID, text()),
        lambda: graph.media_info("1"),
        lambda: graph.download("https://lookaside.example/a", max_bytes=1),
        lambda: graph.upload_media(PNID, PNG, mime_type="image/png", filename="a.png"),
    ):
        with pytest.raises(GraphError) as caught:
            call()
        errors.append(caught.value)
    with graph_client(token=secret) as standin, pytest.raises(GraphError) as caught:
        standin.send_message(PNID, {"messaging_product": "whatsapp"})
    errors.append(caught.value)

    for error in errors:
        for text_ in (str(error), repr(error), error.message, error.details, str(error.args)):
            assert secret not in text_
    assert secret not in repr(graph)
    assert secret not in caplog.text
    assert errors[0].kind == "auth"


# ------------------------------------------------------------------------- client_for


def test_client_for_uses_the_channels_own_token(settings):
    settings.WHATSAPP_GRAPH_URL = "http://testserver/graph"
    with client_for(SimpleNamespace(access_token="channel-token")) as graph:
        assert graph._token == "channel-token"
        assert str(graph._http.base_url) == "http://testserver/graph/v23.0/"
    with client_for(SimpleNamespace(access_token="")) as graph:
        assert graph._token == "test-access-token"
    with client_for() as graph:
        assert graph._token == "test-access-token"
