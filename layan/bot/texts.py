"""The bot's words: shipped defaults (``presets/texts.yaml``) under each office's own wording.

Texts are data, not code, so an office can change what residents read without a release. A text
is found by key and language: the office's :class:`~layan.bot.models.BotText` row if it has one,
else the default in that language, else the Indonesian default. Placeholders are ``{name}``; a
missing value leaves the placeholder visible rather than failing, so a mistyped office text never
stops a reply.
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


class Texts:
    """The texts of one office in one language (the office's rows are read once)."""

    def __init__(self, office_id: int | None, language: str = DEFAULT_LANGUAGE):
        from layan.bot.models import BotText

        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self.overrides: dict[str, str] = {}
        if office_id is not None:
            rows = BotText.objects.filter(office_id=office_id, language=self.language)
            self.overrides = dict(rows.values_list("key", "text"))

    @classmethod
    def of(cls, conversation, office_id: int | None = None) -> Texts:
        """The texts a conversation is held in (its office, the language the resident chose)."""
        office_id = office_id if office_id is not None else conversation.channel.office_id
        return cls(office_id, (conversation.state or {}).get("lang", DEFAULT_LANGUAGE))

    def raw(self, key: str) -> Any:
        if key in self.overrides:
            return self.overrides[key]
        entry = catalogue()["texts"][key]
        return entry.get(self.language) or entry[DEFAULT_LANGUAGE]

    def __call__(self, key: str, **params: Any) -> str:
        return fill(self.raw(key), params)

    def status(self, status: str) -> str:
        entry = catalogue()["statuses"].get(status) or {}
        return entry.get(self.language) or entry.get(DEFAULT_LANGUAGE) or status

    def weekdays(self) -> list[str]:
        names = catalogue()["calendar"]["weekdays"]
        return names.get(self.language) or names[DEFAULT_LANGUAGE]

    def months(self) -> list[str]:
        names = catalogue()["calendar"]["months"]
        return names.get(self.language) or names[DEFAULT_LANGUAGE]
