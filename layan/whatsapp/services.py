"""Per-office WhatsApp data: the approved message templates."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.db import transaction

from layan.offices.models import Office
from layan.whatsapp.models import MessageTemplate

TEMPLATES_FILE = Path(__file__).resolve().parent / "presets" / "templates.yaml"


def default_templates() -> list[dict]:
    return yaml.safe_load(TEMPLATES_FILE.read_text(encoding="utf-8"))


@transaction.atomic
def install_default_templates(office: Office) -> int:
    """Give the office every default template it does not have yet (its own names are kept)."""
    created = 0
    for item in default_templates():
        _row, new = MessageTemplate.objects.get_or_create(
            office=office,
            key=item["key"],
            defaults={
                "name": item["name"],
                "language": item.get("language", "id"),
                "category": item.get("category", "UTILITY"),
                "body": item["body"],
                "params": item.get("params", []),
                "buttons": item.get("buttons", []),
            },
        )
        if not new and not _row.buttons and item.get("buttons"):
            MessageTemplate.objects.filter(pk=_row.pk).update(buttons=item["buttons"])
        created += new
    return created
