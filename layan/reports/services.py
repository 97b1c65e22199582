"""Keeping the report tables in step with the requests: the passages of a request are rebuilt
from its events (idempotent: rebuilding gives the same rows), on every move of the engine and
by ``layan reports backfill``."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layan.cases.models import Case
from layan.cases.sla import calendar_for
from layan.core.errors import Forbidden
from layan.offices.models import Office, Service, StaffRole
from layan.reports import rollups
from layan.reports.models import BacklogSnapshot, StepPassage
from layan.reports.selectors import backlog, case_passages

# Who reads an office's reports: its supervisors and administrators, the head of office (kadis)
# and the heads of division (kabid) who sign the "Laporan".
READERS = ("supervisor", "admin", "kadis", "kabid")


def reads_reports(role_codes) -> bool:
    return bool(set(role_codes) & set(READERS))


def can_read(user, office: Office) -> bool:
    codes = StaffRole.objects.filter(user=user, role__office=office).values_list(
        "role__code", flat=True
    )
    return reads_reports(codes)


def check_reader(user, office: Office) -> None:
    """Raise :class:`Forbidden` unless ``user`` may read ``office``'s reports."""
    if not can_read(user, office):
        raise Forbidden(
            _("Only supervisors, administrators and the heads of office read the reports."),
            "role_required",
        )


def passage_rows(case: Case, cal=None) -> list[StepPassage]:
    """The closed passages of ``case`` as unsaved rows, with the SOP step's number, role and
    standard minutes of the request's own SOP version."""
    definition = case.sop_version.parsed
    steps = {step.key: step for step in definition.all_steps}
    rows = []
    for passage in case_passages(case, cal):
        step = steps.get(passage.step)
        rows.append(
            StepPassage(
                case=case,
                office_id=case.office_id,
                service_id=case.service_id,
                step=passage.step,
                step_number=step.number if step else 0,
                role=(definition.acting_role(step) or "") if step else "",
                entered_seq=passage.entered_seq,
                entered_at=passage.entered_at,
                left_at=passage.left_at,
                working_minutes=passage.working_minutes,
                waited_minutes=passage.waited_minutes,
                standard_minutes=step.minutes if step else None,
                left_by_id=passage.left_by_id,
                left_how=passage.left_how,
            )
        )
    return rows


PASSAGE_FIELDS = (
    "entered_seq", "step", "step_number", "role", "entered_at", "left_at", "working_minutes",
    "waited_minutes", "standard_minutes", "left_by_id", "left_how",
)  # fmt: skip


def record_passages(case: Case, cal=None, *, now=None) -> int:
    """Rebuild the passages of ``case`` from its history, if they changed, and mark the days
    they were counted on stale where a filled rollup counted them differently; how many
    passages there are."""
    rows = passage_rows(case, cal)
    new = {tuple(getattr(row, f) for f in PASSAGE_FIELDS) for row in rows}
    old = set(StepPassage.objects.filter(case=case).values_list(*PASSAGE_FIELDS))
    if new == old:
        return len(rows)
    left = PASSAGE_FIELDS.index("left_at")
    tz = case.office.tz
    with transaction.atomic():
        StepPassage.objects.filter(case=case).delete()
        StepPassage.objects.bulk_create(rows)
        changed = {passage[left].astimezone(tz).date() for passage in new ^ old}
        rollups.mark_stale(case.office, changed, now or timezone.now())
    return len(rows)


def mark_request_days(case: Case, now) -> int:
    """A request changed: the days its intake and closing were counted on are stale (its
    outcome, its data or its category may count differently now)."""
    tz = case.office.tz
    days = [case.created_at.astimezone(tz).date()]
    if case.closed_at is not None:
        days.append(case.closed_at.astimezone(tz).date())
    return rollups.mark_stale(case.office, days, now)


def mark_document_days(documents, now) -> int:
    """Documents changed status (superseded, revoked): the days they were issued are stale."""
    marked = 0
    for document in documents:
        day = document.issued_at.astimezone(document.office.tz).date()
        marked += rollups.mark_stale(document.office, [day], now)
    return marked


def backfill(cases: Iterable[Case] | None = None, *, chunk: int = 500) -> int:
    """Rebuild the passages of every request (or of ``cases``); how many requests."""
    if cases is None:
        cases = Case.objects.select_related("office", "sop_version").order_by("pk")
        cases = cases.iterator(chunk_size=chunk)
    calendars: dict[int, object] = {}
    done = 0
    for case in cases:
        cal = calendars.get(case.office_id)
        if cal is None:
            cal = calendars[case.office_id] = calendar_for(case.office)
        record_passages(case, cal)
        done += 1
    return done


def snapshot_backlog(office: Office, now) -> int:
    """Store ``office``'s backlog of ``now`` as the snapshot of that day (in the office's time
    zone), replacing an earlier one of the same day; how many rows."""

    day = now.astimezone(office.tz).date()
    services = dict(Service.objects.filter(office=office).values_list("code", "pk"))
    rows = [
        BacklogSnapshot(
            office=office,
            day=day,
            service_id=services[row.service],
            step=row.step,
            step_number=row.number,
            bucket=bucket,
            count=count,
            taken_at=now,
        )  # fmt: skip
        for row in backlog(office, now)
        for bucket, count in enumerate(row.counts)
        if count
    ]
    with transaction.atomic():
        BacklogSnapshot.objects.filter(office=office, day=day).delete()
        BacklogSnapshot.objects.bulk_create(rows)
    return len(rows)
