from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from layan.core import backup


class Command(BaseCommand):
    help = (
        "Back up the database and every stored file into one .tar.gz archive with a manifest "
        "(docs/storage-and-backup.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", help="the archive to write, e.g. layan-2026-05-01.tar.gz")
        parser.add_argument("--database", default="default", help="the database alias")

    def handle(self, *args, output, database, **options):
        target = Path(output)
        if target.exists():
            raise CommandError(
                _("%(path)s already exists; choose another name.") % {"path": target}
            )
        try:
            manifest = backup.create_backup(target, using=database)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _("Backup written to %(path)s: the %(vendor)s database and %(count)d files.")
            % {
                "path": target,
                "vendor": manifest["database"]["vendor"],
                "count": manifest["file_count"],
            }
        )
