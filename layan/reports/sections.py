"""What each report shows, gathered once for the console page, the single-report PDFs and the
Laporan: the selectors' figures for one office and period, narrowed to one service where the
report is per service, with their charts (the same SVG in the page and in the PDF).

A report kind and the service filter:

- ``rekap`` and ``sla``: the selectors take the service;
- ``ikm``: the service's own row (and that row as the total);
- ``backlog``: the service's steps (the daily snapshots' trend stays the office's);
- ``complaints``: every complaint service of the office (the filter does not apply).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from layan.offices.models import Office
from layan.reports import charts, ikm, selectors

KINDS = ("rekap", "sla", "complaints", "ikm", "backlog")
FILTERED = ("rekap", "sla", "ikm", "backlog")  # the kinds the service filter narrows
TREND_DAYS = 30  # the backlog trend covers at least this many days


@dataclass(frozen=True)
class StepLine:
    """One row of the SLA table: the step's figures with its activity and role named."""

    figures: selectors.StepFigures
    activity: str
    role_label: str

    @property
    def late(self) -> bool:
        """The median is beyond the step's standard."""
        f = self.figures
        return f.standard is not None and f.median is not None and f.median > f.standard


@dataclass(frozen=True)
class Backlog:
    at: datetime  # the moment the open requests were counted
    rows: list[selectors.BacklogRow]
    bucket_labels: list[str]
    trend: list[tuple[date, int]]
    trend_period: selectors.Period  # the days the trend covers

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)

    @property
    def bucket_totals(self) -> list[int]:
        return [sum(column) for column in zip(*(r.counts for r in self.rows), strict=True)]


def trend_period(period: selectors.Period, today: date) -> selectors.Period:
    """The days of the backlog trend for a report ``period``: the period up to today (or its
    end), reaching back at least :data:`TREND_DAYS` days (a day's or a week's trend would be a
    column or seven)."""
    end = min(period.end, today)
    return selectors.Period(min(period.start, end - timedelta(days=TREND_DAYS - 1)), end)


def backlog(office: Office, period: selectors.Period, now: datetime, service: str = "") -> Backlog:
    """The open requests now by step and age (one service's steps when ``service`` is given)
    and the trend of the daily snapshots over :func:`trend_period`."""
    rows = selectors.backlog(office, now)
    if service:
        rows = [row for row in rows if row.service == service]
    days = trend_period(period, now.astimezone(office.tz).date())
    span = (days.end - days.start).days + 1
    return Backlog(
        at=now,
        rows=rows,
        bucket_labels=[selectors.bucket_label(i) for i in range(len(selectors.AGE_BUCKETS))],
        trend=list(selectors.backlog_trend(office, days.end, days=span)),
        trend_period=days,
    )


def ikm_report(
    office: Office, period: selectors.Period, service: str = ""
) -> tuple[list[selectors.IkmRow], selectors.IkmRow]:
    """The IKM per service and for the office; with ``service``, that service's row alone and
    as the total (no answers and no completions: an empty row)."""
    rows, total = selectors.ikm_report(office, period)
    if not service:
        return rows, total
    rows = [row for row in rows if row.service == service]
    if rows:
        return rows, rows[0]
    name = office.services.filter(code=service).values_list("name", flat=True).first() or service
    return [], selectors.IkmRow(service, name, ikm.ikm([]), 0, 0)


def step_lines(office: Office, steps: list[selectors.StepFigures]) -> list[StepLine]:
    """The SLA report's steps with the activity of each step (the service's current SOP) and
    the name of its role."""
    roles = dict(office.roles.values_list("code", "name"))
    activities: dict[tuple[str, str], str] = {}
    versions: dict[int, object] = {}
    for service in office.services.select_related("sop"):
        if not service.sop_id:
            continue
        if service.sop_id not in versions:
            versions[service.sop_id] = service.sop.current_version
        version = versions[service.sop_id]
        if version is not None:
            for step in version.parsed.all_steps:
                activities[(service.code, step.key)] = step.activity
    return [
        StepLine(f, activities.get((f.service, f.step), ""), roles.get(f.role, f.role))
        for f in steps
    ]


def has_complaints(office: Office) -> bool:
    return office.services.filter(is_complaint=True).exists()


def context(
    kind: str, office: Office, period: selectors.Period, service: str, now: datetime,
    *, every_line: bool = False,
) -> dict:  # fmt: skip
    """The template context of report ``kind``: its figures and charts, under the names the
    section templates (``reports/pdf/_<kind>.html`` and the console page) read. The complaints
    list the latest of them, or with ``every_line`` all (the complaints report's PDF)."""
    if kind == "rekap":
        rekap = selectors.rekap(office, period, service=service)
        return {
            "rekap": rekap,
            "rekap_chart": charts.rekap_chart(rekap.rows),
            "channel_chart": charts.channel_chart(rekap.by_channel),
        }
    if kind == "sla":
        sla = selectors.sla_report(office, period, service=service)
        return {
            "sla": sla,
            "sla_lines": step_lines(office, sla.steps),
            "sla_chart": charts.sla_chart(sla.steps),
        }
    if kind == "complaints":
        if not has_complaints(office):
            return {"complaints": None, "complaints_chart": ""}
        if every_line:
            complaints = selectors.complaints_report(office, period, limit=None)
        else:
            complaints = selectors.complaints_report(office, period)
        return {
            "complaints": complaints,
            "complaints_chart": charts.complaints_chart(complaints.by_category),
        }
    if kind == "ikm":
        rows, total = ikm_report(office, period, service)
        return {"ikm_rows": rows, "ikm_total": total, "ikm_chart": charts.ikm_chart(total.result)}
    if kind == "backlog":
        figures = backlog(office, period, now, service)
        return {"backlog": figures, "backlog_chart": charts.backlog_trend_chart(figures.trend)}
    raise ValueError(f"unknown report {kind!r}")


def everything(office: Office, period: selectors.Period, service: str, now: datetime) -> dict:
    """Every report's context at once (the console page)."""
    found: dict = {}
    for kind in KINDS:
        found.update(context(kind, office, period, service, now))
    return found
