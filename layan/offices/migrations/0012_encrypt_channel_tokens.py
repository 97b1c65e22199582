"""A WhatsApp number's access token is encrypted at rest (layan.core.crypto): the column becomes
text (a token grows when encrypted) and the tokens stored so far are encrypted."""

import logging

from django.db import migrations

import layan.core.crypto

logger = logging.getLogger(__name__)


def encrypt_tokens(apps, schema_editor):
    """Re-save every stored token: read as plaintext (legacy values pass through), written
    encrypted. Without keys in production the tokens stay as they are until
    ``layan secrets rotate`` runs with LAYAN_ENCRYPTION_KEYS set."""
    Channel = apps.get_model("offices", "Channel")
    try:
        layan.core.crypto.keyring()
    except layan.core.crypto.EncryptionNotConfigured:
        if Channel.objects.exclude(access_token="").exists():
            logger.warning(
                "LAYAN_ENCRYPTION_KEYS is not set: access tokens left unencrypted; "
                "set the keys and run `layan secrets rotate`"
            )
        return
    layan.core.crypto.reencrypt(Channel, "access_token")


class Migration(migrations.Migration):
    dependencies = [
        ("offices", "0011_retention_policy"),
    ]

    operations = [
        migrations.AlterField(
            model_name="channel",
            name="access_token",
            field=layan.core.crypto.EncryptedTextField(
                blank=True,
                help_text="Overrides WHATSAPP_ACCESS_TOKEN for this number when set.",
                verbose_name="access token",
            ),
        ),
        migrations.RunPython(encrypt_tokens, migrations.RunPython.noop, elidable=True),
    ]
