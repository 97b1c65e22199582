"""``layan secrets``: keys of the secrets encrypted at rest (docs/data-protection.md)."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from layan.core import crypto


class Command(BaseCommand):
    help = "Generate an encryption key, or re-encrypt every stored secret with the first key."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("generate-key", help="print a new key for LAYAN_ENCRYPTION_KEYS")
        sub.add_parser(
            "rotate",
            help="re-encrypt every encrypted field with the first key of LAYAN_ENCRYPTION_KEYS "
            "(plaintext left from before encryption is encrypted too)",
        )

    def handle(self, *args, **options):
        if options["subcommand"] == "generate-key":
            self.stdout.write(crypto.generate_key())
            return
        if not crypto.encryption_configured() and crypto.derived_key_allowed():
            self.stderr.write("LAYAN_ENCRYPTION_KEYS is not set: the key derived from SECRET_KEY")
        total = 0
        for model, field in crypto.encrypted_fields(apps.get_models()):
            label = f"{model._meta.label}.{field}"
            try:
                count = crypto.reencrypt(model, field)
            except crypto.SecretUnreadable as exc:
                raise CommandError(f"{label}: {exc}") from None
            except crypto.EncryptionNotConfigured as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"{label}: {count} re-encrypted")
            total += count
        self.stdout.write(f"{total} secrets re-encrypted with the first key")
