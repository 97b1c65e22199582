from __future__ import annotations

import pytest
from django.test import Client

from layan.standin import delivery, phone
from layan.whatsapp import graph
from tests.standin.adapter import DjangoTransport


@pytest.fixture
def bot_world(presets, settings, tmp_path, monkeypatch):
    """The seed offices and their staff; the phone simulator's webhooks, the Graph client and the
    stand-in's status webhooks all served in-process, on commit, as in production."""
    settings.MEDIA_ROOT = tmp_path
    settings.WHATSAPP_GRAPH_URL = "http://testserver/graph"
    previous_transport = graph.set_default_transport(DjangoTransport(Client()))
    webhook = Client()

    def to_webhook(body: bytes, headers: dict) -> int:
        return webhook.post(
            "/webhooks/whatsapp",
            data=body,
            content_type=headers["Content-Type"],
            headers={"X-Hub-Signature-256": headers["X-Hub-Signature-256"]},
        ).status_code

    monkeypatch.setattr(phone, "post_webhook", to_webhook)
    previous_deliverer = delivery.set_deliverer(to_webhook)
    yield
    graph.set_default_transport(previous_transport)
    delivery.set_deliverer(previous_deliverer)
