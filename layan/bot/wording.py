"""The bot's shipped wording (``presets/texts.yaml``) and its rules: keys, placeholders, the
command words, and what an office's own wording of a text may contain.

No database here: the office's texts (:class:`~layan.bot.models.BotText`) are checked against
these rules, and :class:`~layan.bot.texts.Texts` puts them over these defaults.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEXTS_FILE = Path(__file__).resolve().parent / "presets" / "texts.yaml"
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@cache
def catalogue() -> dict[str, Any]:
    return yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))


def text_keys() -> list[str]:
    return sorted(catalogue()["texts"])


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def check_override(key: str, text: str) -> None:
    """Refuse an office text for an unknown key or with placeholders its default lacks."""
    default = catalogue()["texts"].get(key)
    if default is None:
        raise ValueError(f"unknown bot text {key!r}")
    value = default[DEFAULT_LANGUAGE]
    if isinstance(value, list):
        raise ValueError("this text is a list of answers; change it in texts.yaml")
    extra = placeholders(text) - placeholders(value)
    if extra:
        raise ValueError(
            "unknown placeholder(s) "
            + ", ".join("{" + name + "}" for name in sorted(extra))
            + "; allowed: "
            + (", ".join("{" + n + "}" for n in sorted(placeholders(value))) or "none")
        )


def fill(text: str, params: dict[str, Any]) -> str:
    return _PLACEHOLDER.sub(
        lambda m: str(params[m.group(1)]) if m.group(1) in params else m.group(0), text
    )


def command_words() -> dict[str, set[str]]:
    return {name: {normalize(w) for w in words} for name, words in catalogue()["commands"].items()}


def normalize(text: str) -> str:
    """Lower case, single spaces, no surrounding punctuation: how commands are compared."""
    return " ".join((text or "").casefold().split()).strip(" .!?,*_")
