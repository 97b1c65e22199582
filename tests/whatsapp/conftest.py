from __future__ import annotations

import pytest
from django.test import Client

from layan.standin import delivery
from layan.whatsapp import graph
from tests.standin.adapter import DjangoTransport

WAYKANAN_KK = "628117961500"  # Way Kanan's number for KK and SKPWNI (its SOP 800/109)
RESIDENT = "6281234567890"


@pytest.fixture
def channel_world(transactional_db, settings):
    """The seed offices, with the Graph client talking to the stand-in in-process and the
    stand-in's status webhooks posted back to the real webhook view.

    Transactional: the inbox, the outbox and the stand-in act on commit, as in production.
    """
    from layan.demo.loader import load_presets

    load_presets()
    settings.WHATSAPP_GRAPH_URL = "http://testserver/graph"
    transport = DjangoTransport(Client())
    previous_transport = graph.set_default_transport(transport)
    webhook_client = Client()

    def post_back(body: bytes, headers: dict) -> int:
        return webhook_client.post(
            "/webhooks/whatsapp", data=body, content_type="application/json", headers=headers
        ).status_code

    previous_deliverer = delivery.set_deliverer(post_back)
    yield transport
    graph.set_default_transport(previous_transport)
    delivery.set_deliverer(previous_deliverer)
