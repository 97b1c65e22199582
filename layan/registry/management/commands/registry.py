"""``layan registry import FILE``, ``layan registry scan`` and ``layan registry synthetic``."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from layan.registry import imports, scan, synthetic
from layan.registry.dedup import RuleError, parse_rules


class Command(BaseCommand):
    help = "The population registry: import a SIAK export, scan for duplicates, or generate."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        load = sub.add_parser("import", help="check and store a SIAK export (CSV or .xlsx)")
        load.add_argument("file")
        load.add_argument("--region", help="the holding regency PP.KK (default: the file's)")
        load.add_argument("--dry-run", action="store_true", help="only check the file")
        load.add_argument("--report", help="also write the errors and findings to this CSV")
        look = sub.add_parser("scan", help="the full duplicate scan of the registry")
        look.add_argument("--rules", help="a YAML file with the duplicates: block to use")
        make = sub.add_parser("synthetic", help="generate a synthetic population")
        make.add_argument("--region", default="18.08")
        make.add_argument("--families", type=int, default=1000)
        make.add_argument("--seed", type=int, default=1)
        make.add_argument("--duplicates", type=float, default=0.01,
                          help="fraction of residents planted again under another NIK")  # fmt: skip
        make.add_argument("--csv", help="write a SIAK-format CSV instead of storing")

    def handle(self, *args, **options):
        action = options["subcommand"]
        if action == "import":
            return self.run_import(options)
        if action == "scan":
            return self.run_scan(options)
        return self.run_synthetic(options)

    def run_import(self, options):
        try:
            result = imports.import_file(
                options["file"], region=options["region"], dry_run=options["dry_run"]
            )
        except imports.ImportFileError as exc:
            raise CommandError(str(exc)) from None
        for problem in result.errors:
            self.stderr.write(_("error: %(problem)s") % {"problem": problem})
        for problem in result.findings:
            self.stdout.write(_("finding: %(problem)s") % {"problem": problem})
        if options["report"]:
            write_report(options["report"], result)
        summary = _(
            "%(rows)d rows, %(families)d families, regency %(region)s: %(errors)d errors, "
            "%(findings)d findings, %(seconds).1f s (%(rate)d rows/s)."
        ) % {
            "rows": result.rows, "families": result.families, "region": result.region,
            "errors": result.error_count, "findings": result.finding_count,
            "seconds": result.seconds, "rate": result.rows_per_second,
        }  # fmt: skip
        self.stdout.write(summary)
        if result.error_count > len(result.errors):
            self.stdout.write(
                _("Only the first %(n)d errors are listed.") % {"n": len(result.errors)}
            )
        if not result.ok:
            raise CommandError(_("Nothing was stored: correct the errors and import again."))
        if result.stored:
            self.stdout.write(
                _("Stored %(residents)d residents in %(families)d families.")
                % {"residents": result.residents, "families": result.families}
            )
        else:
            self.stdout.write(_("Checked only (--dry-run): nothing was stored."))

    def run_scan(self, options):
        rules = None
        if options["rules"]:
            try:
                data = yaml.safe_load(Path(options["rules"]).read_text(encoding="utf-8"))
                if isinstance(data, dict) and "duplicates" in data:
                    data = data["duplicates"]
                rules = parse_rules(data)
            except (OSError, yaml.YAMLError, RuleError) as exc:
                raise CommandError(str(exc)) from None
        counts = scan.scan(rules)
        self.stdout.write(
            _(
                "%(residents)d residents, %(pairs)d pairs compared in %(seconds).1f s: "
                "%(found)d suspected duplicates (%(new)d new, %(refreshed)d still open, "
                "%(resolved)d already decided, %(not_duplicate)d marked not duplicate)."
            )
            % counts.as_dict()
        )

    def run_synthetic(self, options):
        population = synthetic.generate(
            options["region"], families=options["families"], seed=options["seed"],
            duplicates=options["duplicates"],
        )  # fmt: skip
        if options["csv"]:
            rows = population.write_csv(options["csv"])
            self.stdout.write(f"{rows} rows written to {options['csv']}")
            return
        counts = population.store()
        self.stdout.write(
            f"{counts['residents']} residents in {counts['families']} families stored, "
            f"{len(population.planted)} planted duplicates"
        )


def write_report(path: str, result: imports.ImportResult) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, delimiter=";")
        out.writerow(("line", "column", "kind", "code", "problem"))
        for kind, problems in (("error", result.errors), ("finding", result.findings)):
            for p in problems:
                out.writerow((p.line, p.column, kind, p.code, p.message))
