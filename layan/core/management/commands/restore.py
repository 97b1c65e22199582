from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from layan.core import backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `layan backup`: check the archive, load the database, put the "
        "files back into the configured storage (docs/storage-and-backup.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("input", help="the archive written by `layan backup`")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds data"
        )
        parser.add_argument("--database", default="default", help="the database alias")

    def handle(self, *args, input, force, database, **options):
        source = Path(input)
        if not source.is_file():
            raise CommandError(_("%(path)s does not exist.") % {"path": source})
        try:
            summary = backup.restore_backup(source, using=database, force=force)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        manifest = summary.manifest
        self.stdout.write(
            _(
                "Restored the backup of %(created)s (Layan %(version)s): the database and "
                "%(count)d files."
            )  # fmt: skip
            % {
                "created": manifest["created_at"],
                "version": manifest["layan_version"],
                "count": len(summary.files),
            }
        )
