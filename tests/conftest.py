from __future__ import annotations

import pytest


@pytest.fixture
def presets(db):
    """Every seed office with its SOP presets, services and one demo user per role."""
    from layan.demo.loader import create_demo_staff, load_presets

    load_presets()
    create_demo_staff("demo-pass-123")


@pytest.fixture
def make_office(db):
    from tests.factories import make_office

    return make_office
