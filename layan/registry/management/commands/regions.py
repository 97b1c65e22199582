from django.core.management.base import BaseCommand, CommandError

from layan.registry.regions import RegionFileError, load_file


class Command(BaseCommand):
    help = "Load the Kemendagri region table (kode,nama CSV) used to check NIK region codes."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        load = sub.add_parser("load", help="replace the region table with FILE")
        load.add_argument("file")
        load.add_argument("--villages", action="store_true", help="also store the villages")

    def handle(self, *args, **options):
        try:
            count = load_file(options["file"], villages=options["villages"])
        except (OSError, RegionFileError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{count} regions loaded")
