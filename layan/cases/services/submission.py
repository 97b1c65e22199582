"""Creating a request: the same rules for every channel (WhatsApp, counter, field, API)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layan.cases import events, flags, sla
from layan.cases.codes import new_code
from layan.cases.models import ActorKind, Case, EventKind, IntakeChannel, Status, SubmitterKind
from layan.cases.services.transitions import (
    Actor,
    Change,
    enter,
    put_flag,
    step_row,
    user_role_codes,
)
from layan.core.errors import Conflict, Forbidden, Invalid
from layan.offices.models import Requirement, Role, Service
from layan.registry.names import PersonNameError, clean_person_name
from layan.registry.nik import Nik, NikError, parse_nik
from layan.registry.regions import district_known
from layan.sop.definition import SopDefinition


def submitter_kind_for(definition: SopDefinition, actor: Actor, *, on_behalf: bool) -> str:
    """Who submitted a request, from who acted and for whom.

    An officer submitting is office staff. A resident applying for themselves is the applicant;
    someone applying for another person is the field officer when the flow starts with a staff
    intake step (the Motor Keliling officer's visit, applying on the service phone), else a
    third-party reporter (a kelurahan officer, a social worker, a relative).
    """
    if actor.kind == ActorKind.STAFF:
        return SubmitterKind.STAFF
    if not on_behalf:
        return SubmitterKind.APPLICANT
    first = definition.first_step
    if first.intake and definition.role(first.role).kind == Role.Kind.STAFF:
        return SubmitterKind.FIELD_OFFICER
    return SubmitterKind.THIRD_PARTY


def channel_for(actor: Actor, submitter_kind: str) -> str:
    """How a request came in when the caller does not say: an officer's submission is an
    integration's (the console says counter or field itself); a resident's came by WhatsApp, a
    field officer's on the service phone from the field, a third party's as a report."""
    if actor.kind == ActorKind.STAFF:
        return IntakeChannel.API
    if submitter_kind == SubmitterKind.FIELD_OFFICER:
        return IntakeChannel.FIELD
    if submitter_kind == SubmitterKind.THIRD_PARTY:
        return IntakeChannel.REPORTER
    return IntakeChannel.WHATSAPP


def _nik(raw: str) -> Nik:
    try:
        return parse_nik(raw)
    except NikError as exc:
        raise Invalid(exc.message, exc.code) from exc


def _niks(service: Service, applicant_nik: str, form_data: dict[str, Any]) -> list[Nik]:
    """The applicant's NIK and every NIK requirement of the service given in ``form_data``,
    checked (a bad one is refused, naming its requirement); the values are stored cleaned."""
    found = [_nik(applicant_nik)] if applicant_nik else []
    for requirement in service.requirements.filter(kind=Requirement.Kind.NIK):
        raw = form_data.get(requirement.code)
        if raw in (None, ""):
            continue
        try:
            nik = parse_nik(str(raw))
        except NikError as exc:
            raise Invalid(
                _("%(label)s: %(problem)s") % {"label": requirement.label, "problem": exc.message},
                exc.code,
                field=requirement.code,
            ) from exc
        form_data[requirement.code] = nik.value
        found.append(nik)
    return found


def _region_flag(change: Change, niks: list[Nik]) -> None:
    """Flag the request when a NIK names a district that is not in the region table (a
    warning, not an error: the table may predate a region split; no table, no flag)."""
    for nik in niks:
        if district_known(nik.region) is False:
            note = _(
                "NIK %(nik)s: district %(region)s is not in the Kemendagri region table; "
                "check it against the applicant's documents."
            ) % {"nik": nik.value, "region": nik.region}
            put_flag(change, flags.NIK_REGION_UNKNOWN, note)
            return


def submit_case(
    *,
    service: Service,
    actor: Actor,
    applicant_name: str,
    applicant_nik: str = "",
    applicant_phone: str = "",
    on_behalf: bool = False,
    channel: str | None = None,
    intake_place: str = "",
    submitter_kind: str | None = None,
    submitter_name: str = "",
    submitter_phone: str = "",
    form_data: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Case:
    """Create a request at the start of its service's current SOP version.

    The intake steps (the applicant sending the files, the information bot, the field officer's
    visit) are completed by the submission itself; the request then waits at the first step the
    office works on. The applicant's name follows the one name rule
    (:func:`~layan.registry.names.clean_person_name`); the applicant's NIK and every NIK
    requirement are checked, and a NIK whose district is unknown flags the request. The kind of
    submitter is derived (:func:`submitter_kind_for`) unless given, and so is the channel
    (:func:`channel_for`); an officer cannot say a request came by WhatsApp.

    Locks nothing (the request is new); announces ``request_submitted``, then ``step_entered``
    for every step entered (and ``request_completed`` should the intake steps finish the flow),
    and ``request_flagged`` for a region flag.
    """
    now = now or timezone.now()
    office = service.office
    try:
        name = clean_person_name(applicant_name)
    except PersonNameError as exc:
        raise Invalid(exc.message, exc.code) from exc
    if form_data is not None and not isinstance(form_data, Mapping):
        raise Invalid(_("Form data must be an object."), "form_data")
    data = dict(form_data or {})
    niks = _niks(service, applicant_nik, data)
    if submitter_kind is not None and submitter_kind not in SubmitterKind.values:
        raise Invalid(_("Unknown kind of submitter."), "submitter_kind")
    if channel is not None and (
        channel not in IntakeChannel.values
        or (actor.is_staff and channel == IntakeChannel.WHATSAPP)
    ):
        raise Invalid(
            _("The channel must be one of: %(channels)s.")
            % {"channels": ", ".join(c for c in IntakeChannel.values if c != "whatsapp")},
            "channel_invalid",
        )
    if not service.is_active or not office.is_active:
        raise Invalid(_("This service is not open for applications."), "service_inactive")
    if actor.is_staff and not user_role_codes(actor.user, office):
        raise Forbidden(_("You hold no role in this office."), "office_role_required")
    version = service.sop.version_at(now)  # the latest version that has taken effect
    if version is None:
        raise Invalid(_("This service has no SOP loaded yet."), "sop_missing")
    definition = version.parsed
    if submitter_kind is None:
        submitter_kind = submitter_kind_for(definition, actor, on_behalf=on_behalf)
    channel = channel or channel_for(actor, submitter_kind)
    cal = sla.calendar_for(office)

    first = definition.first_step
    with transaction.atomic():
        case = None
        for _attempt in range(8):
            code = new_code(service.prefix)
            try:
                with transaction.atomic():  # a savepoint: a code collision is retried
                    case = Case.objects.create(
                        office=office,
                        service=service,
                        sop_version=version,
                        code=code,
                        status=Status.SUBMITTED,
                        current_step=step_row(version, first.key),
                        applicant_name=name,
                        applicant_nik=niks[0].value if applicant_nik else "",
                        applicant_phone=applicant_phone,
                        submitter_kind=submitter_kind,
                        submitter_name=submitter_name,
                        submitter_phone=submitter_phone,
                        submitted_by=actor.user if actor.is_staff else None,
                        channel=channel,
                        intake_place=" ".join((intake_place or "").split())[:120],
                        form_data=data,
                        created_at=now,
                        due_at=sla.case_due(cal, definition, now),
                    )
                break
            except IntegrityError:
                if not Case.objects.filter(code=code).exists():
                    raise
        if case is None:  # pragma: no cover - eight collisions in a row
            raise Conflict(_("Could not assign a tracking code; please try again."), "code_busy")

        change = Change(case, actor, now)

        def record():
            submitted = change.append(
                EventKind.SUBMIT, EventKind.SUBMIT, "", first.key, data={"service": service.code}
            )
            change.announce(events.request_submitted, submitted)
            return submitted

        enter(change, definition, first, cal, record)
        _region_flag(change, niks)
        change.save(bump=False)
    return case
