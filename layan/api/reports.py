"""An office's reports, the same figures as the console's Laporan page, for the office's own
readers (supervisor, administrator, head of office, head of division): the rekap, the SLA per
step, the IKM, the complaints, the backlog, the head of office's summary, and each report as
Excel, CSV or PDF."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Literal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from layan.api.base import ERRORS, PDF, XLSX, staff
from layan.cases import selectors as case_selectors
from layan.core.errors import NotFound
from layan.reports import exports, sections, selectors
from layan.reports.services import check_reader

router = Router(tags=["reports"])


class ReportQuery(Schema):
    period: Literal["day", "week", "month", "quarter", "year"] = "month"
    day: date | None = None  # a day in the period (today in the office's time zone if left out)
    service: str = ""


class ReportPeriodOut(Schema):
    start: date
    end: date


class SlaStepOut(Schema):
    service: str
    step: str
    number: int
    role: str
    passed: int
    median_minutes: float | None
    p90_minutes: float | None
    standard_minutes: int | None
    within_standard: float | None


class SlaGroupOut(Schema):
    key: str
    label: str
    passed: int
    median_minutes: float | None
    within_standard: float | None


class SlaOut(Schema):
    office: str
    period: ReportPeriodOut
    steps: list[SlaStepOut]
    roles: list[SlaGroupOut]
    officers: list[SlaGroupOut]
    completed: int
    completed_within_deadline: int


class IkmServiceOut(Schema):
    service: str
    respondents: int
    population: int
    minimum_sample: int
    element_nrr: list[float | None]
    index: float | None
    grade: str
    words: str
    weakest_element: int | None


class IkmReportOut(Schema):
    office: str
    period: ReportPeriodOut
    services: list[IkmServiceOut]
    total: IkmServiceOut


def _office(request, office: str):
    """The office ``office`` of the token's user (404 for another's), if they read its reports
    (403 otherwise)."""
    found = case_selectors.offices_of(request.user).filter(code=office).first()
    if found is None:
        raise NotFound(_("Office not found."), "office_not_found")
    check_reader(request.user, found)
    return found


def _office_and_period(request, office: str, query: ReportQuery):
    found = _office(request, office)
    day = query.day or timezone.localdate(timezone=found.tz)
    return found, selectors.period_of(query.period, day)


def _group(g) -> dict:
    return {
        "key": g.key, "label": g.label, "passed": g.passed, "median_minutes": g.median,
        "within_standard": g.within_share,
    }  # fmt: skip


@router.get("/offices/{office}/reports/sla", response={200: SlaOut, **ERRORS}, auth=staff)
def sla(request, office: str, query: Query[ReportQuery]):
    """Per SOP step: passages left in the period, median and p90 working minutes beside the
    standard (Mutu Baku), the share within it, the slowest first; the same per role and per
    officer; completed requests and how many finished by the SOP's overall deadline."""
    found, period = _office_and_period(request, office, query)
    report = selectors.sla_report(found, period, service=query.service)
    return {
        "office": found.code,
        "period": {"start": period.start, "end": period.end},
        "steps": [
            {
                "service": f.service,
                "step": f.step,
                "number": f.number,
                "role": f.role,
                "passed": f.passed,
                "median_minutes": f.median,
                "p90_minutes": f.p90,
                "standard_minutes": f.standard,
                "within_standard": f.within_share,
            }  # fmt: skip
            for f in report.steps
        ],
        "roles": [_group(g) for g in report.roles],
        "officers": [_group(g) for g in report.officers],
        "completed": report.closed,
        "completed_within_deadline": report.closed_within,
    }


def _ikm(row) -> dict:
    r = row.result
    return {
        "service": row.service, "respondents": r.respondents, "population": row.population,
        "minimum_sample": row.minimum, "element_nrr": list(r.element_nrr), "index": r.index,
        "grade": r.grade, "words": r.words, "weakest_element": r.weakest,
    }  # fmt: skip


@router.get("/offices/{office}/reports/ikm", response={200: IkmReportOut, **ERRORS}, auth=staff)
def ikm(request, office: str, query: Query[ReportQuery]):
    """The satisfaction index (PermenPAN-RB 14/2017) per service and for the office: the NRR of
    U1–U9, the IKM (25–100), its grade and words, the weakest element, the respondents beside
    the regulation's minimum sample for the period's completed requests."""
    found, period = _office_and_period(request, office, query)
    rows, total = selectors.ikm_report(found, period)
    return {
        "office": found.code,
        "period": {"start": period.start, "end": period.end},
        "services": [_ikm(r) for r in rows],
        "total": _ikm(total),
    }


class RekapRowOut(Schema):
    service: str
    name: str
    received: int
    completed: int
    rejected: int
    cancelled: int
    open: int
    issued: int
    superseded: int
    revoked: int
    printed: int
    handed_over: int
    delivered: int


class CountOut(Schema):
    code: str
    label: str
    count: int


class RekapOut(Schema):
    office: str
    period: ReportPeriodOut
    services: list[RekapRowOut]
    total: RekapRowOut
    by_channel: list[CountOut]
    by_submitter: list[CountOut]
    by_district: list[CountOut]
    by_village: list[CountOut]


def _counts(rows) -> list[dict]:
    return [{"code": code, "label": label, "count": n} for code, label, n in rows]


@router.get("/offices/{office}/reports/rekap", response={200: RekapOut, **ERRORS}, auth=staff)
def rekap(request, office: str, query: Query[ReportQuery]):
    """Rekap penerbitan: per service the requests received in the period and where they stand,
    documents issued / superseded / revoked, cards printed, hand-overs, PDFs sent on WhatsApp;
    the requests by channel, submitter, kecamatan (from the NIK) and desa (from data entry)."""

    found, period = _office_and_period(request, office, query)
    report = selectors.rekap(found, period, service=query.service)
    return {
        "office": found.code,
        "period": {"start": period.start, "end": period.end},
        "services": [asdict(row) for row in report.rows],
        "total": asdict(report.total),
        "by_channel": _counts(report.by_channel),
        "by_submitter": _counts(report.by_submitter),
        "by_district": _counts(report.by_district),
        "by_village": [{"code": name, "label": name, "count": n} for name, n in report.by_village],
    }


class ComplaintOut(Schema):
    code: str
    received_at: datetime
    category: str
    status: str
    escalated: bool
    working_minutes: float | None
    within_time: bool | None
    answer: str


class ComplaintsOut(Schema):
    office: str
    period: ReportPeriodOut
    received: int
    answered: int
    answered_within_time: int
    escalated: int
    median_minutes: float | None
    p90_minutes: float | None
    by_category: list[CountOut]
    complaints: list[ComplaintOut]


@router.get(
    "/offices/{office}/reports/complaints", response={200: ComplaintsOut, **ERRORS}, auth=staff
)
def complaints(request, office: str, query: Query[ReportQuery]):
    """Laporan hasil pengaduan: complaints received in the period, by category; answered, within
    the flow's time, escalated; the answer time in working minutes (median, p90); each complaint
    with its answer."""
    found, period = _office_and_period(request, office, query)
    report = selectors.complaints_report(found, period)
    return {
        "office": found.code,
        "period": {"start": period.start, "end": period.end},
        "received": report.received,
        "answered": report.answered,
        "answered_within_time": report.answered_within,
        "escalated": report.escalated,
        "median_minutes": report.median,
        "p90_minutes": report.p90,
        "by_category": [{"code": n, "label": n, "count": c} for n, c in report.by_category],
        "complaints": [
            {
                "code": line.code,
                "received_at": line.received_at,
                "category": line.category,
                "status": line.status,
                "escalated": line.escalated,
                "working_minutes": line.minutes,
                "within_time": line.within,
                "answer": line.answer,
            }  # fmt: skip
            for line in report.lines
        ],
    }


class BacklogStepOut(Schema):
    service: str
    service_name: str
    step: str
    number: int
    counts: list[int]  # open requests per age bucket, as ``buckets`` names them
    total: int


class BacklogDayOut(Schema):
    day: date
    total: int


class BacklogOut(Schema):
    office: str
    at: datetime
    buckets: list[str]  # the age buckets, in days since the request came in: "0–1", …, "≥ 15"
    steps: list[BacklogStepOut]
    total: int
    trend_period: ReportPeriodOut
    trend: list[BacklogDayOut]


@router.get("/offices/{office}/reports/backlog", response={200: BacklogOut, **ERRORS}, auth=staff)
def backlog(request, office: str, query: Query[ReportQuery]):
    """The open requests now by service and step and by age (days since they came in), the
    fullest steps first (one service's with ``service``); and the open total at the end of each
    day that has a snapshot, over the period up to today (at least the last 30 days)."""
    found, period = _office_and_period(request, office, query)
    figures = sections.backlog(found, period, timezone.now(), query.service)
    return {
        "office": found.code,
        "at": figures.at,
        "buckets": figures.bucket_labels,
        "steps": [
            {
                "service": row.service,
                "service_name": row.service_name,
                "step": row.step,
                "number": row.number,
                "counts": list(row.counts),
                "total": row.total,
            }  # fmt: skip
            for row in figures.rows
        ],
        "total": figures.total,
        "trend_period": {"start": figures.trend_period.start, "end": figures.trend_period.end},
        "trend": [{"day": day, "total": total} for day, total in figures.trend],
    }


class IkmBriefOut(Schema):
    respondents: int
    index: float | None
    grade: str
    words: str


class SummaryOut(Schema):
    office: str
    at: datetime
    intake_today: int
    overdue_now: int
    completed_this_month: int
    ikm_quarter: IkmBriefOut


@router.get("/offices/{office}/reports/summary", response={200: SummaryOut, **ERRORS}, auth=staff)
def summary(request, office: str):
    """The head of office's card: the requests that came in today, the open requests past
    their deadline now, this month's completions and this quarter's IKM (the office's time
    zone)."""
    found = _office(request, office)
    now = timezone.now()
    card = selectors.head_card(found, now)
    ikm = card.ikm_quarter
    return {
        "office": found.code,
        "at": now,
        "intake_today": card.intake_today,
        "overdue_now": card.overdue_now,
        "completed_this_month": card.completed_this_month,
        "ikm_quarter": {
            "respondents": ikm.respondents,
            "index": ikm.index,
            "grade": ikm.grade,
            "words": ikm.words,
        },  # fmt: skip
    }


class ExportQuery(ReportQuery):
    format: Literal["xlsx", "csv", "pdf"] = "xlsx"


@router.get(
    "/offices/{office}/reports/{kind}/export",
    response={200: bytes, **ERRORS},
    auth=staff,
    openapi_extra={
        "responses": {
            "200": {
                "description": "The report as Excel, CSV or PDF",
                "content": {
                    XLSX: {"schema": {"type": "string", "format": "binary"}},
                    "text/csv": {"schema": {"type": "string"}},
                    PDF: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def export(request, office: str, kind: Literal["rekap", "sla", "complaints", "ikm", "backlog"],
           query: Query[ExportQuery]):  # fmt: skip
    """The report ``kind`` as the console downloads it: Excel (one sheet per table), CSV, or
    PDF (A4, the office's letterhead, the period, the service, the tables and the charts)."""

    found, period = _office_and_period(request, office, query)
    body, media, name = exports.download(kind, found, period, query.service, query.format)
    response = HttpResponse(body, content_type=media)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
