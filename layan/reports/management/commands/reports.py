from django.core.management.base import BaseCommand

from layan.cases.models import Case
from layan.reports import rollups
from layan.reports.services import backfill


class Command(BaseCommand):
    help = "Report tables: 'backfill' rebuilds every request's step passages from its history."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        fill = sub.add_parser("backfill", help="rebuild the step passages (idempotent)")
        fill.add_argument("--office", default="", help="only this office's requests (code)")
        fill.add_argument(
            "--rollups", action="store_true", help="then refill the daily rollups from the start"
        )

    def handle(self, *args, **options):
        cases = Case.objects.select_related("office", "sop_version").order_by("pk")
        if options["office"]:
            cases = cases.filter(office__code=options["office"])
        done = backfill(cases.iterator(chunk_size=500))
        self.stdout.write(f"step passages rebuilt for {done} requests")
        if options["rollups"]:
            days = rollups.fill_all(reset=True)
            self.stdout.write(", ".join(f"{name}: {n} days" for name, n in days.items()))
