"""An office's own wording of the bot's texts, as the catalogue editor reads, checks and stores
it (``layan.offices.catalogue.register_texts``, filled in ``BotConfig.ready``): the same rules
as the admin's *Bot texts* (:func:`layan.bot.wording.check_override`)."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from layan.bot.models import BotText
from layan.bot.wording import LANGUAGES, catalogue, check_override


class OfficeTexts:
    def defaults(self) -> list[tuple[str, str, str]]:
        """Every text an office may change (not the lists of answers), with its defaults."""
        out = []
        for key, entry in catalogue()["texts"].items():
            default = entry.get("id")
            if isinstance(default, str):
                out.append((key, default, str(entry.get("en") or "")))
        return out

    def check(self, key: str, text: str) -> str | None:
        try:
            check_override(key, text)
        except ValueError as exc:
            return str(exc)
        return None

    def current(self, office) -> dict[str, dict[str, str]]:
        own: dict[str, dict[str, str]] = {}
        for key, language, text in BotText.objects.filter(office=office).values_list(
            "key", "language", "text"
        ):
            own.setdefault(key, {})[language] = text
        return own

    def store(self, office, texts: Mapping[str, Mapping[str, str]]) -> None:
        with transaction.atomic():
            keep = []
            for key, languages in texts.items():
                for language, text in languages.items():
                    if language not in LANGUAGES:
                        continue
                    row, _created = BotText.objects.update_or_create(
                        office=office, key=key, language=language, defaults={"text": text}
                    )
                    keep.append(row.pk)
            BotText.objects.filter(office=office).exclude(pk__in=keep).delete()
