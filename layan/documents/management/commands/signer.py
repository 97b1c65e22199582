"""``layan signer create``: a signing key for an officer (the demo CA issues the certificate).

The passphrase is asked twice on the terminal, or read from the environment variable named by
``--passphrase-env`` (for scripts); it is never a command-line argument, which other users of
the machine could read.
"""

import getpass
import os
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from layan.documents.keys import create_local_key
from layan.offices.models import Office


class Command(BaseCommand):
    help = "Manage signing keys: 'create' makes a local key and certificate for an officer."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a signing key (demo CA)")
        create.add_argument("--office", required=True, help="office code, e.g. balangan")
        create.add_argument("--user", required=True, help="user name of the signer")
        create.add_argument("--name", default="", help="name on the certificate (default: head)")
        create.add_argument("--title", default="", help="title under the signature")
        create.add_argument("--nip", default="")
        create.add_argument("--nik", default="")
        create.add_argument(
            "--passphrase-env", default="", help="read the passphrase from this variable"
        )

    def handle(self, *args, **options):
        office = Office.objects.filter(code=options["office"]).first()
        if office is None:
            raise CommandError(f"no office {options['office']!r}")
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user {options['user']!r}")
        passphrase = self._passphrase(options["passphrase_env"])
        try:
            key = create_local_key(
                office=office,
                user=user,
                passphrase=passphrase,
                name=options["name"],
                title=options["title"],
                nip=options["nip"],
                nik=options["nik"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        from django.conf import settings

        self.stdout.write(
            f"signing key {key.pk} for {user.username} at {office.code}: {key.name}\n"
            f"certificate SHA-256 {key.fingerprint}, valid until {key.not_after:%Y-%m-%d}\n"
            f"demo CA: {settings.LAYAN_SIGNING_DIR / 'demo-ca.pem'}"
        )

    def _passphrase(self, env_name: str) -> str:
        if env_name:
            value = os.environ.get(env_name, "")
            if not value:
                raise CommandError(f"environment variable {env_name} is empty")
            return value
        if not sys.stdin.isatty():
            raise CommandError("no terminal to ask the passphrase: use --passphrase-env NAME")
        first = getpass.getpass("Passphrase: ")
        if first != getpass.getpass("Again: "):
            raise CommandError("the passphrases differ")
        return first
