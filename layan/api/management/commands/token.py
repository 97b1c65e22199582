from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from layan.api.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for a staff user and print it (it is shown only once)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        create = sub.add_parser("create", help="create a token for USERNAME")
        create.add_argument("username")
        create.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args, **options):
        User = get_user_model()
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"no active user {options['username']!r}") from None
        _token, raw = ApiToken.issue(user, options["name"])
        self.stdout.write(raw)
