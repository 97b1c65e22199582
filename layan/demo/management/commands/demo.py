import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from layan.api.models import ApiToken
from layan.core.management.commands.serve import serve
from layan.core.periodic import Scheduler
from layan.core.workers import start_task_worker, stop_task_worker
from layan.demo.loader import (
    create_demo_history,
    create_demo_outreach,
    create_demo_registry,
    create_demo_requests,
    create_demo_signers,
    create_demo_staff,
    create_demo_teams,
    load_demo_regions,
    load_presets,
)

WALKTHROUGH_USERS = ("waykanan.operator_online", "waykanan.kasi", "waykanan.petugas_pelayanan_2")


class Command(BaseCommand):
    help = (
        "Set up the demo (migrate, load the seed offices, SOP presets and demo staff) and run "
        "the web server and a task worker in one process."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--load-only", action="store_true", help="set up, then exit")

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        report = load_presets()
        regions = load_demo_regions()  # before the samples: their NIKs' kecamatan get names
        users = create_demo_staff(settings.LAYAN_DEMO_PASSWORD)
        teams = create_demo_teams(settings.LAYAN_DEMO_PASSWORD)
        samples = create_demo_requests()
        signers = create_demo_signers(settings.LAYAN_DEMO_PASSPHRASE)
        outreach = create_demo_outreach(settings.LAYAN_DEMO_PASSPHRASE) if samples else []
        history = create_demo_history()  # after the outreach sample: it walks the open ones
        # After the samples and the history: only the stories told here meet the registry.
        registry = create_demo_registry()
        demo_ca_path = settings.LAYAN_SIGNING_DIR / "demo-ca.pem"
        self.stdout.write(
            f"offices: {', '.join(report.offices)}; new SOP versions: {len(report.new_versions)};"
            + (f" {regions} regions of the seed offices;" if regions else "")
            + f" sample requests: {samples}"
            + (f" ({', '.join(outreach)} waiting for an outreach visit)" if outreach else "")
            + (f"; {history} requests of the last four weeks for the reports" if history else "")
            + (
                f"; {registry.residents} residents in the population registry"
                if registry.residents
                else ""
            )
        )
        if registry.flagged:
            self.stdout.write(
                f"Data Ganda: Solok request {', '.join(registry.flagged)} at step 3 "
                "(solok.operator_marawa, then solok.admin_database)"
            )
        if registry.family:
            self.stdout.write(
                f"KK baru filled from the registry: KK {registry.family} (waykanan.operator_siak)"
            )
        if registry.without_nik:
            self.stdout.write(
                f"Dukcapil Siaga without a NIK: {registry.without_nik} (metro.operator, "
                "'Terbitkan NIK')"
            )
        if options["load_only"]:
            self.stdout.write(f"{len(users)} demo users; password from LAYAN_DEMO_PASSWORD")
            return
        base = f"http://{options['host']}:{options['port']}"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Layan demo",
                    f"  home         {base}/",
                    f"  console      {base}/console/   (staff: see the users below)",
                    f"  phone        {base}/dev/phone/   (a resident's WhatsApp)",
                    f"  API docs     {base}/api/docs",
                    f"  admin        {base}/admin/   (admin / {self._password_hint()})",
                    f"  health       {base}/healthz",
                    "",
                    f"Demo staff (password: {self._password_hint()}), one per role and office:",
                    *self._columns([u for u in users if u != "admin"]),
                    "",
                    "Every staff role of one office (a whole flow from the console alone), and",
                    "demo.semua with every role of every office (switch offices at the top):",
                    *self._columns(teams),
                    "",
                    f"Signing (TTE) passphrase of the demo heads of office: "
                    f"{settings.LAYAN_DEMO_PASSPHRASE}",
                    f"  ({len(signers)} signers; demo CA: {demo_ca_path})",
                    "",
                    "API tokens of this run (Authorize in the API docs), for the Way Kanan KIA",
                    "walk-through in docs/resident-bot.md:",
                    *self._tokens(WALKTHROUGH_USERS),
                    "",
                    "Ctrl+C stops the demo.",
                ]
            )
        )
        scheduler = Scheduler()
        scheduler.start()
        worker = start_task_worker(threads=int(os.environ.get("LAYAN_TASK_THREADS", "2")))
        try:
            serve(options["host"], options["port"])
        finally:
            scheduler.stop()
            stop_task_worker(worker)

    @staticmethod
    def _tokens(usernames: tuple[str, ...]) -> list[str]:
        lines = []
        for user in get_user_model().objects.filter(username__in=usernames).order_by("username"):
            _row, raw = ApiToken.issue(user, "demo walk-through")
            lines.append(f"  {user.username:<32} {raw}")
        return lines

    @staticmethod
    def _password_hint() -> str:
        default = settings.LAYAN_DEMO_PASSWORD == "demo"  # noqa: S105 - the documented demo value
        return "demo" if default else "$LAYAN_DEMO_PASSWORD"

    @staticmethod
    def _columns(names: list[str], per_line: int = 3) -> list[str]:
        width = max((len(n) for n in names), default=0) + 2
        return [
            "  " + "".join(n.ljust(width) for n in names[i : i + per_line]).rstrip()
            for i in range(0, len(names), per_line)
        ]
