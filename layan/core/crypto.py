"""Secrets encrypted at rest (docs/data-protection.md).

A secret Layan must read back (a WhatsApp number's access token) is stored as
``enc1:<Fernet token>``. The keys come from ``LAYAN_ENCRYPTION_KEYS``: comma-separated Fernet keys
(32 bytes, url-safe base64; ``layan secrets generate-key`` makes one). The first key encrypts,
every key decrypts, so a key is rotated by putting a new one first, running ``layan secrets
rotate`` (every stored secret re-encrypted with the first key) and then dropping the old one.

Without keys, the development and demo set-ups (``DEBUG``, or no ``SECRET_KEY`` of their own)
use a key derived from ``SECRET_KEY``; a production set-up refuses to store a secret until keys
are configured (:func:`encryption_configured` tells the deploy checks).

:class:`EncryptedTextField` encrypts on save and decrypts on read; a value without the prefix is
legacy plaintext and is read as it is, so a data migration can encrypt existing rows.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "enc1:"
INSECURE_SECRET_PREFIX = "django-insecure-"  # noqa: S105 - the development key's prefix


class EncryptionNotConfigured(ImproperlyConfigured):
    """No key to encrypt with (production without ``LAYAN_ENCRYPTION_KEYS``)."""


class SecretUnreadable(Exception):
    """A stored secret none of the configured keys opens (a key was dropped too early, or the
    keys of another installation are configured)."""


def configured_keys() -> list[str]:
    """The keys of ``LAYAN_ENCRYPTION_KEYS``, first (encrypting) key first."""
    value = getattr(settings, "LAYAN_ENCRYPTION_KEYS", None) or []
    if isinstance(value, str):
        value = value.split(",")
    return [key.strip() for key in value if key and key.strip()]


def encryption_configured() -> bool:
    """Whether real keys are configured (not the key derived from ``SECRET_KEY``)."""
    return bool(configured_keys())


def derived_key_allowed() -> bool:
    """A key derived from ``SECRET_KEY`` is good enough for DEBUG and the demo only (which run
    without a ``SECRET_KEY`` of their own)."""
    return bool(settings.DEBUG) or str(settings.SECRET_KEY).startswith(INSECURE_SECRET_PREFIX)


def derive_key(secret: str) -> str:
    """A Fernet key derived from ``secret`` (HKDF-SHA256, bound to this purpose)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"layan encryption at rest")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode())).decode()


def generate_key() -> str:
    return Fernet.generate_key().decode()


@functools.lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for index, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except ValueError:
            raise ImproperlyConfigured(
                f"LAYAN_ENCRYPTION_KEYS: key {index} is not a Fernet key (32 bytes in url-safe "
                "base64; `layan secrets generate-key` makes one)"
            ) from None
    return MultiFernet(fernets)


def keyring() -> MultiFernet:
    """The configured keys, or the derived key where that is allowed."""
    keys = configured_keys()
    if not keys:
        if not derived_key_allowed():
            raise EncryptionNotConfigured(
                "LAYAN_ENCRYPTION_KEYS is not set: secrets cannot be stored encrypted "
                "(see docs/data-protection.md)"
            )
        keys = [derive_key(str(settings.SECRET_KEY))]
    return _fernet(tuple(keys))


def is_encrypted(value: str | None) -> bool:
    return bool(value) and value.startswith(PREFIX)


def encrypt(plaintext: str) -> str:
    """``enc1:<token>`` of ``plaintext`` under the first key."""
    return PREFIX + keyring().encrypt(plaintext.encode()).decode()


def decrypt(value: str) -> str:
    """The plaintext of an ``enc1:`` value; any other value is legacy plaintext, returned as is."""
    if not is_encrypted(value):
        return value
    try:
        return keyring().decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "a stored secret cannot be decrypted with any key of LAYAN_ENCRYPTION_KEYS "
            "(was the key it was encrypted with removed before `layan secrets rotate`?)"
        ) from None


class EncryptedTextField(models.TextField):
    """Text stored encrypted (``enc1:…``); read back as plaintext. An empty value stays empty
    (so ``blank`` and "not set" filters keep working); other lookups cannot match, as each
    encryption is different."""

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "" or is_encrypted(value):
            return value
        return encrypt(value)


def encrypted_fields(models_iterable) -> list[tuple[type[models.Model], str]]:
    """(model, field name) of every :class:`EncryptedTextField` among ``models_iterable``."""
    found = []
    for model in models_iterable:
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.append((model, field.name))
    return found


def reencrypt(model: type[models.Model], field: str, *, batch: int = 500) -> int:
    """Encrypt every non-empty value of ``model.field`` afresh with the first key (legacy
    plaintext too); the number of rows written. Raises :class:`SecretUnreadable` for a value no
    key opens (nothing of that row is changed)."""
    written = 0
    rows = model._base_manager.exclude(**{field: ""}).exclude(**{f"{field}__isnull": True})
    for pk, value in rows.order_by("pk").values_list("pk", field).iterator(chunk_size=batch):
        model._base_manager.filter(pk=pk).update(**{field: value})
        written += 1
    return written
