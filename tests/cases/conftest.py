"""The hand-written office of ``tests.factories`` (one simple SOP) and its officers."""

from __future__ import annotations

import pytest

from tests.factories import staff


@pytest.fixture
def office(make_office):
    return make_office()


@pytest.fixture
def people(office):
    return {code: staff(office, code) for code in ("operator", "kasi", "kadis", "admin_db")}
