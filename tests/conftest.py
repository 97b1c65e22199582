from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def presets(db):
    """Every seed office with its SOP presets, services and one demo user per role."""
    from layan.core.demo import create_demo_staff, load_presets

    load_presets()
    create_demo_staff("demo-pass-123")


@pytest.fixture
def make_office(db):
    from tests.factories import make_office

    return make_office
