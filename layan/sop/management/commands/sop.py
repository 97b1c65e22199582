from django.core.management.base import BaseCommand, CommandError

from layan.core.errors import LayanError
from layan.sop.definition import read_file
from layan.sop.services import load_file


class Command(BaseCommand):
    help = "Validate or load SOP definition files (see docs/sop-format.md)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        validate = sub.add_parser("validate", help="check files; exit status 1 on any problem")
        validate.add_argument("files", nargs="+")
        load = sub.add_parser("load", help="validate and store as new versions")
        load.add_argument("files", nargs="+")

    def handle(self, *args, **options):
        files = options["files"]
        problems = 0
        for path in files:
            definition, errors = read_file(path)
            for error in errors:
                self.stderr.write(str(error))
            problems += len(errors)
            if errors:
                continue
            if options["subcommand"] == "validate":
                steps, minutes = len(definition.steps), definition.total_minutes
                self.stdout.write(f"{path}: ok ({steps} steps, {minutes} minutes)")
                continue
            try:
                version, new = load_file(path)
            except LayanError as exc:
                self.stderr.write(f"{path}: {exc}")
                problems += 1
                continue
            state = "loaded as" if new else "unchanged:"
            self.stdout.write(f"{path}: {state} {version}")
        if problems:
            raise CommandError(f"{problems} problem(s) in {len(files)} file(s)", returncode=1)
