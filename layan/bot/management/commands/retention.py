"""``layan retention [--dry-run] [--office CODE]``: apply the offices' retention policies now."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from layan.bot import retention
from layan.offices.models import Office


class Command(BaseCommand):
    help = (
        "Apply the retention policy of every office (or one): delete the attachments of requests "
        "closed long ago, blank old WhatsApp messages and delete their media, forget quiet "
        "conversations' state. --dry-run only counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")
        parser.add_argument("--office", metavar="CODE", help="only this office")

    def handle(self, *args, **options):
        offices = Office.objects.order_by("code")
        if options["office"]:
            offices = offices.filter(code=options["office"])
            if not offices.exists():
                raise CommandError(f"no office {options['office']!r}")
        dry_run = options["dry_run"]
        now = timezone.now()
        for office in offices:
            outcomes = retention.run_policy(office, now=now, dry_run=dry_run)
            self.stdout.write(f"{office.code}{' (dry run)' if dry_run else ''}:")
            for outcome in outcomes:
                purged = outcome.purged
                oldest = purged.oldest_kept.date().isoformat() if purged.oldest_kept else "-"
                verb = "would go" if dry_run else "removed"
                more = "" if purged.finished else ", more next run"
                self.stdout.write(
                    f"  {outcome.kind}: {purged.removed} {verb}, {purged.files} files"
                    f" (older than {outcome.cutoff.date().isoformat()}; oldest kept {oldest}"
                    f"{more})"
                )
