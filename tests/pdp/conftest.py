"""An office with a WhatsApp number and a resident's conversation, for the data-protection
tests."""

from __future__ import annotations

import pytest

from layan.offices.models import Channel


@pytest.fixture
def office(make_office):
    return make_office("pdp")


@pytest.fixture
def channel(office):
    return Channel.objects.create(
        office=office, phone="628110000001", phone_number_id="1100001", label="Layanan"
    )
