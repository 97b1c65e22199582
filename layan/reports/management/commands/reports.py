from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date

from layan.cases.models import Case
from layan.offices.models import Office
from layan.reports import rollups, selectors
from layan.reports.services import backfill


class Command(BaseCommand):
    help = (
        "Report tables: 'backfill' rebuilds every request's step passages from its history; "
        "'fill' brings the rollups up to date (what the worker does every hour); 'check' "
        "compares each report read from the rollups with the same report read from the raw rows."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        again = sub.add_parser("backfill", help="rebuild the step passages (idempotent)")
        again.add_argument("--office", default="", help="only this office's requests (code)")
        again.add_argument(
            "--rollups", action="store_true", help="then refill the rollups from the start"
        )
        sub.add_parser("fill", help="fill the rollups forward and refill the stale days")
        check = sub.add_parser("check", help="rollups against the raw rows; exit 1 on a mismatch")
        check.add_argument("--office", default="", help="only this office (code)")
        check.add_argument("--period", default="month", choices=selectors.PERIODS)
        check.add_argument("--day", default="", help="a day of the period (YYYY-MM-DD)")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "fill":
            days = rollups.fill_all()
            self.stdout.write(", ".join(f"{name}: {n} days" for name, n in days.items()))
            return
        if action == "check":
            self.check_reports(options)
            return
        cases = Case.objects.select_related("office", "sop_version").order_by("pk")
        if options["office"]:
            cases = cases.filter(office__code=options["office"])
        done = backfill(cases.iterator(chunk_size=500))
        self.stdout.write(f"step passages rebuilt for {done} requests")
        if options["rollups"]:
            days = rollups.fill_all(reset=True)
            self.stdout.write(", ".join(f"{name}: {n} days" for name, n in days.items()))

    def check_reports(self, options):
        offices = Office.objects.order_by("code")
        if options["office"]:
            offices = offices.filter(code=options["office"])
        if not offices:
            raise CommandError(f"no office {options['office']!r}")
        day = parse_date(options["day"]) if options["day"] else None
        if options["day"] and day is None:
            raise CommandError(f"not a day: {options['day']!r} (YYYY-MM-DD)")
        wrong = 0
        for office in offices:
            period = selectors.period_of(
                options["period"], day or timezone.localdate(timezone=office.tz)
            )
            reports = {
                "rekap": lambda o=office, p=period: selectors.rekap(o, p),
                "sla": lambda o=office, p=period: selectors.sla_report(o, p),
                "ikm": lambda o=office, p=period: selectors.ikm_report(o, p),
                "complaints": lambda o=office, p=period: selectors.complaints_report(o, p),
            }
            for name, report in reports.items():
                rolled = report()
                with rollups.raw_only():
                    raw = report()
                same = rolled == raw
                wrong += not same
                self.stdout.write(
                    f"{office.code} {period.start}–{period.end} {name}: "
                    + ("same" if same else "DIFFERENT")
                )
        if wrong:
            raise CommandError(f"{wrong} report(s) differ from the raw rows")
