"""Outreach visits ("jemput bola", Dukcapil Siaga): the officer of a visit step plans where and
when the team goes, and records what came of it; the step goes forward only once a visit is
recorded as done (:mod:`layan.cases.work`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layan.cases import events
from layan.cases.models import Case, EventKind, Visit
from layan.cases.services.transitions import Actor, Change, lock_for_step
from layan.core.errors import Conflict, Invalid, NotFound

DEFAULT_BRING = _("biometric recording kit (camera, fingerprint and iris scanner, signature pad)")


def _text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise Invalid(_("This field is required."), "required", field=field)
    if len(text) > limit:
        raise Invalid(_("Too long (at most %(n)s characters).") % {"n": limit}, "too_long",
                      field=field)  # fmt: skip
    return text


def _coordinate(value, field: str, bound: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        number = None
    if number is None or not -bound <= number <= bound:
        raise Invalid(_("Not a coordinate."), "location_invalid", field=field)
    return number


def _at_visit_step(case: Case | str, actor: Actor, expected_version: int | None) -> Case:
    case = lock_for_step(case, actor, expected_version)
    if not case.step.visit:
        raise Conflict(_("The request is not at a visit step."), "not_visit_step")
    return case


def schedule_visit(
    case: Case | str,
    *,
    actor: Actor,
    starts_at: datetime,
    ends_at: datetime,
    place: str,
    team: str,
    bring: str = "",
    latitude=None,
    longitude=None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Visit:
    """Plan a visit at the request's visit step (one planned visit at a time).

    Locks the request for the step's officer; announces ``visit_scheduled`` (the reporter and
    the applicant are told the plan)."""
    now = now or timezone.now()
    place = _text(place, "place", 300)
    team = _text(team, "team", 200)
    bring = _text(bring, "bring", 300, required=False) or str(DEFAULT_BRING)
    lat, lon = _coordinate(latitude, "latitude", 90), _coordinate(longitude, "longitude", 180)
    if (lat is None) != (lon is None):
        raise Invalid(_("Give both latitude and longitude."), "location_invalid", field="longitude")
    if starts_at is None or ends_at is None or timezone.is_naive(starts_at):
        raise Invalid(_("Give the day and the hours of the visit."), "time_invalid",
                      field="starts_at")  # fmt: skip
    if ends_at <= starts_at:
        raise Invalid(_("The visit must end after it starts."), "time_invalid", field="ends_at")
    with transaction.atomic():
        case = _at_visit_step(case, actor, expected_version)
        if case.visits.filter(outcome=Visit.Outcome.PLANNED).exists():
            raise Conflict(
                _("A visit is already planned: record what came of it first."), "visit_planned"
            )
        visit = Visit.objects.create(
            case=case,
            office_id=case.office_id,
            step_key=case.current_step.key,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place,
            latitude=lat,
            longitude=lon,
            team=team,
            bring=bring,
            planned_by=actor.user,
            created_at=now,
        )
        change = Change(case, actor, now)
        key = case.current_step.key
        role = case.sop_version.parsed.acting_role(case.step) or ""
        record = change.append(
            EventKind.VISIT, EventKind.VISIT, key, key, place,
            {"visit": visit.pk, "outcome": visit.outcome, "starts_at": starts_at.isoformat()}, role,
        )  # fmt: skip
        change.announce(events.visit_scheduled, record, visit=visit)
        change.save()
    return visit


def record_visit(
    case: Case | str,
    visit_id: int,
    *,
    actor: Actor,
    outcome: str,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Visit:
    """Record what came of a planned visit; a failed visit needs the reason.

    Locks the request for the visit step's officer, then the visit; announces
    ``visit_recorded``."""
    now = now or timezone.now()
    if outcome not in Visit.Outcome.values or outcome == Visit.Outcome.PLANNED:
        raise Invalid(_("Choose what came of the visit."), "outcome_invalid", field="outcome")
    note = _text(note, "note", 300, required=outcome in Visit.NEEDS_REASON)
    with transaction.atomic():
        case = _at_visit_step(case, actor, expected_version)
        visit = Visit.objects.select_for_update().filter(pk=visit_id, case=case).first()
        if visit is None:
            raise NotFound(_("Visit not found."), "visit_not_found")
        if visit.outcome != Visit.Outcome.PLANNED:
            raise Conflict(_("This visit's outcome is recorded already."), "visit_closed")
        visit.outcome, visit.outcome_note = outcome, note
        visit.recorded_by, visit.recorded_at = actor.user, now
        visit.save(update_fields=["outcome", "outcome_note", "recorded_by", "recorded_at"])
        change = Change(case, actor, now)
        key = case.current_step.key
        role = case.sop_version.parsed.acting_role(case.step) or ""
        record = change.append(
            EventKind.VISIT, EventKind.VISIT, key, key, note,
            {"visit": visit.pk, "outcome": outcome}, role,
        )  # fmt: skip
        change.announce(events.visit_recorded, record, visit=visit)
        change.save()
    return visit
