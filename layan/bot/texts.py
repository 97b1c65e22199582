"""The bot's words: shipped defaults (``presets/texts.yaml``) under each office's own wording.

Texts are data, not code, so an office can change what residents read without a release. A text
is found by key and language: the office's :class:`~layan.bot.models.BotText` row if it has one,
else the default in that language, else the Indonesian default. Placeholders are ``{name}``; a
missing value leaves the placeholder visible rather than failing, so a mistyped office text never
stops a reply. The shipped wording and its rules live in :mod:`layan.bot.wording`.
"""

from __future__ import annotations

from typing import Any

from layan.bot.models import BotText
from layan.bot.wording import DEFAULT_LANGUAGE, LANGUAGES, catalogue, fill


class Texts:
    """The texts of one office in one language (the office's rows are read once)."""

    def __init__(self, office_id: int | None, language: str = DEFAULT_LANGUAGE):
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
