"""An officer's own choices (the console's language)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from layan.core.errors import Invalid
from layan.offices.models import StaffPreference


def language_of(user) -> str:
    preference = StaffPreference.objects.filter(user=user).first()
    return preference.language if preference else settings.LANGUAGE_CODE


def choose_language(user, language: str) -> str:
    """Keep ``language`` as the officer's console language."""
    if language not in dict(settings.LANGUAGES):
        raise Invalid(_("Unknown language."), "language_invalid", field="language")
    StaffPreference.objects.update_or_create(user=user, defaults={"language": language})
    return language
