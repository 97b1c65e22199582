"""An officer's own choices (the console's language) and what they hold in an office."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from layan.core.errors import Invalid
from layan.offices.models import Office, StaffPreference, StaffRole


def language_of(user) -> str:
    preference = StaffPreference.objects.filter(user=user).first()
    return preference.language if preference else settings.LANGUAGE_CODE


def choose_language(user, language: str) -> str:
    """Keep ``language`` as the officer's console language."""
    if language not in dict(settings.LANGUAGES):
        raise Invalid(_("Unknown language."), "language_invalid", field="language")
    StaffPreference.objects.update_or_create(user=user, defaults={"language": language})
    return language


# Who changes an office's SOPs and catalogue, and who approves when the office asks for it.
EDITOR_ROLE = "admin"
APPROVER_ROLE = "kadis"


def holds_role(user, office, code: str) -> bool:
    """Whether ``user`` holds the staff role ``code`` in ``office``."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return StaffRole.objects.filter(
        user=user, role__office=office, role__code=code, role__kind="staff"
    ).exists()


def offices_where(user, code: str):
    """The active offices where ``user`` holds the staff role ``code``."""
    return Office.objects.filter(
        is_active=True,
        roles__code=code,
        roles__kind="staff",
        roles__holders__user=user,
    ).distinct()
