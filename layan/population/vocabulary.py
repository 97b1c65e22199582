"""The Data Ganda rules in words, for officers (the console, the API, the request's flag note).
An office's own rule, which has no words here, shows its name."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

RULES = {
    "nik_other_person": gettext_lazy("NIK already used by someone else"),
    "same_person_other_nik": gettext_lazy("The same person under another NIK"),
    "same_mother_and_birth": gettext_lazy("Same mother and date of birth"),
    "fuzzy_name_near_birth": gettext_lazy("Similar name, dates of birth close together"),
    "same_names_near_birth": gettext_lazy(
        "Similar name and mother's name, dates of birth close together"
    ),
    "deceased": gettext_lazy("Already recorded as deceased"),
    "nik_disagrees": gettext_lazy("NIK does not match the date of birth or sex"),
}


def rule_label(code: str) -> str:
    return str(RULES.get(code, code))
