"""Secrets at rest: the column holds no plaintext, keys rotate, a wrong key says so clearly."""

from __future__ import annotations

import importlib
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection

from layan.core import crypto
from layan.offices.models import Channel

TOKEN = "EAAG-channel-secret-token-0123456789"
KEY1 = crypto.generate_key()
KEY2 = crypto.generate_key()


def raw_token(channel: Channel) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM offices_channel WHERE id = %s", [channel.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def keys(settings):
    settings.LAYAN_ENCRYPTION_KEYS = [KEY1]
    return settings


def test_the_column_holds_no_plaintext(channel, keys):
    channel.access_token = TOKEN
    channel.save()
    stored = raw_token(channel)
    assert stored.startswith("enc1:")
    assert TOKEN not in stored
    assert Channel.objects.get(pk=channel.pk).access_token == TOKEN
    assert Channel.objects.filter(pk=channel.pk).values_list("access_token", flat=True)[0] == TOKEN
    # an empty token stays empty (the "no token of its own" case)
    Channel.objects.filter(pk=channel.pk).update(access_token="")
    assert raw_token(channel) == ""
    assert Channel.objects.filter(access_token="").count() == 1


def test_each_encryption_differs(channel, keys):
    assert crypto.encrypt(TOKEN) != crypto.encrypt(TOKEN)


def test_rotation_with_two_keys(channel, settings):
    settings.LAYAN_ENCRYPTION_KEYS = [KEY1]
    channel.access_token = TOKEN
    channel.save()
    before = raw_token(channel)
    settings.LAYAN_ENCRYPTION_KEYS = [KEY2, KEY1]  # the new key first, the old one still reads
    assert Channel.objects.get(pk=channel.pk).access_token == TOKEN
    call_command("secrets", "rotate", stdout=StringIO())
    after = raw_token(channel)
    assert after != before and after.startswith("enc1:")
    settings.LAYAN_ENCRYPTION_KEYS = [KEY2]  # the old key dropped
    assert Channel.objects.get(pk=channel.pk).access_token == TOKEN


def test_a_wrong_key_gives_a_clear_error(channel, settings):
    settings.LAYAN_ENCRYPTION_KEYS = [KEY1]
    channel.access_token = TOKEN
    channel.save()
    settings.LAYAN_ENCRYPTION_KEYS = [KEY2]
    with pytest.raises(crypto.SecretUnreadable, match="LAYAN_ENCRYPTION_KEYS"):
        Channel.objects.get(pk=channel.pk)
    with pytest.raises(CommandError, match="offices.Channel.access_token"):
        call_command("secrets", "rotate", stdout=StringIO())


def test_a_malformed_key_is_named(settings):
    settings.LAYAN_ENCRYPTION_KEYS = [KEY1, "not-a-key"]
    with pytest.raises(crypto.ImproperlyConfigured, match="key 2 is not a Fernet key"):
        crypto.encrypt("x")


def test_the_key_derived_from_secret_key_only_in_development(settings):
    settings.LAYAN_ENCRYPTION_KEYS = []
    assert not crypto.encryption_configured()
    settings.DEBUG = False
    settings.SECRET_KEY = "django-insecure-layan-var"  # the demo's own key
    assert crypto.decrypt(crypto.encrypt("x")) == "x"
    settings.SECRET_KEY = "a-production-secret-key-of-enough-length-0123456789"
    with pytest.raises(crypto.EncryptionNotConfigured):
        crypto.encrypt("x")
    settings.DEBUG = True
    assert crypto.decrypt(crypto.encrypt("x")) == "x"
    settings.LAYAN_ENCRYPTION_KEYS = [KEY1]
    assert crypto.encryption_configured()


def test_legacy_plaintext_is_read_and_the_data_migration_encrypts_it(channel, keys):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE offices_channel SET access_token = %s WHERE id = %s", [TOKEN, channel.pk]
        )
    assert Channel.objects.get(pk=channel.pk).access_token == TOKEN  # passes through
    migration = importlib.import_module("layan.offices.migrations.0012_encrypt_channel_tokens")
    migration.encrypt_tokens(django_apps, None)
    assert raw_token(channel).startswith("enc1:")
    assert Channel.objects.get(pk=channel.pk).access_token == TOKEN


def test_the_data_migration_leaves_plaintext_without_keys_in_production(channel, settings):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE offices_channel SET access_token = %s WHERE id = %s", [TOKEN, channel.pk]
        )
    settings.LAYAN_ENCRYPTION_KEYS = []
    settings.DEBUG = False
    settings.SECRET_KEY = "a-production-secret-key-of-enough-length-0123456789"
    migration = importlib.import_module("layan.offices.migrations.0012_encrypt_channel_tokens")
    migration.encrypt_tokens(django_apps, None)
    assert raw_token(channel) == TOKEN


def test_generate_key_prints_a_usable_key(capsys, settings):
    call_command("secrets", "generate-key")
    key = capsys.readouterr().out.strip()
    settings.LAYAN_ENCRYPTION_KEYS = [key]
    assert crypto.decrypt(crypto.encrypt("x")) == "x"
