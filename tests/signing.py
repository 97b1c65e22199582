"""Signing keys for tests: the signing officers of an office get a local key (demo CA)."""

from __future__ import annotations

from layan.documents.keys import create_local_key
from layan.documents.models import SigningKey
from layan.offices.models import StaffRole

PASSPHRASE = "rahasia-tte-123"


def give_key(user, office, passphrase: str = PASSPHRASE) -> SigningKey:
    return create_local_key(office=office, user=user, passphrase=passphrase)


def keys_for_signers(office, role: str = "kadis", passphrase: str = PASSPHRASE) -> list:
    """A key for every holder of ``role`` at ``office`` (the head of office)."""
    holders = StaffRole.objects.filter(role__office=office, role__code=role).select_related("user")
    return [give_key(holder.user, office, passphrase) for holder in holders]
