from __future__ import annotations

import pytest

from tests.standin.adapter import simulator_in_process


@pytest.fixture
def bot_world(presets, settings, tmp_path, monkeypatch):
    """The seed offices and their staff; the phone simulator's webhooks, the Graph client and the
    stand-in's status webhooks all served in-process, on commit, as in production."""
    with simulator_in_process(settings, tmp_path, monkeypatch):
        yield
