"""The rule for a person's name, the same for every channel (WhatsApp, counter, API).

A name is what the person writes, with the spaces tidied: between 2 and 120 characters, at least
one letter, and no ``*`` (a masked name such as "B*** S***" copied from a notice is not a name).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 120
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


class PersonNameError(ValueError):
    def __init__(self, code: str, message):
        super().__init__(str(message))
        self.code = code
        self.message = message


def clean_person_name(raw: str) -> str:
    """The name with single spaces; raises :class:`PersonNameError` when it breaks the rule."""
    name = " ".join((raw or "").split())
    if not name:
        raise PersonNameError("name_required", _("The applicant's name is required."))
    if len(name) > MAX_LENGTH:
        raise PersonNameError(
            "name_long", _("The applicant's name is too long (at most 120 characters).")
        )
    if len(name) < 2 or not _LETTER.search(name) or "*" in name:
        raise PersonNameError(
            "name_invalid",
            _("Write the applicant's name in letters (at least 2 characters, no '*')."),
        )
    return name
