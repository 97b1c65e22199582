"""The registry's entry points for the apps above it: the configured backend and the duplicate
check of one person."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings

from layan.registry.backend import LocalRegistry, RegistryBackend
from layan.registry.dedup import Match, Person, RuleSet, check, parse_rules
from layan.registry.remote import RemoteRegistry


def get_backend() -> RegistryBackend:
    """The configured registry: ``LAYAN_REGISTRY`` is ``local`` (Layan's own tables, the
    default) or the base URL of a bridge speaking the protocol of ``docs/registry.md``."""
    where = getattr(settings, "LAYAN_REGISTRY", "local") or "local"
    if where == "local":
        return LocalRegistry()
    return RemoteRegistry(where)


def rules_of(config: Mapping[str, Any] | None) -> RuleSet:
    """An office's duplicate rules (its catalogue's ``duplicates:`` block; the defaults when it
    has none)."""
    return parse_rules(config)


def find_duplicates(
    person: Person, rules: RuleSet, backend: RegistryBackend | None = None
) -> list[Match]:
    """Every rule the registry's records match for ``person`` (the candidates found by the
    rules' search keys; pairs marked "bukan duplikat" are the caller's to leave out)."""
    backend = backend or get_backend()
    keys = rules.search_keys(person)
    if not keys:
        return []
    return check(person, backend.candidates(keys), rules)
