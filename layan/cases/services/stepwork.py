"""Working on the current step without moving the request: the requirement checklist, the
data-entry fields, files an officer adds, and the access log of who opened a request's
personal data."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layan.cases import files, flags
from layan.cases.models import Attachment, Case, CaseAccess, EventKind, RequirementCheck
from layan.cases.services.transitions import (
    Actor,
    Change,
    lock,
    lock_for_step,
    put_flag,
    user_role_codes,
)
from layan.core.errors import Conflict, Forbidden, Invalid
from layan.offices.fields import clean_values, fields_of
from layan.offices.models import Requirement

FILE_KINDS = (Requirement.Kind.PHOTO, Requirement.Kind.DOCUMENT)

MAX_REASON = 300


def check_requirement(
    case: Case | str,
    *,
    actor: Actor,
    requirement: str,
    verdict: str,
    reason: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Accept or reject one requirement of the request (the checklist); a rejection needs the
    reason the applicant will read. Locks the request for the step's officer."""
    now = now or timezone.now()
    reason = " ".join((reason or "").split())
    if verdict not in RequirementCheck.Verdict.values:
        raise Invalid(_("Choose accept or reject."), "verdict_invalid", field="verdict")
    if verdict == RequirementCheck.Verdict.REJECTED and not reason:
        raise Invalid(
            _("Give the reason for rejecting this requirement."), "reason_required", field="reason"
        )
    if len(reason) > MAX_REASON:
        raise Invalid(
            _("The reason is too long (at most 300 characters)."), "reason_long", field="reason"
        )
    with transaction.atomic():
        case = lock_for_step(case, actor, expected_version)
        if not case.service.requirements.filter(code=requirement).exists():
            raise Invalid(
                _("This service has no such requirement."),
                "requirement_unknown",
                field="requirement",
            )
        RequirementCheck.objects.update_or_create(
            case=case,
            requirement=requirement,
            defaults={
                "verdict": verdict,
                "reason": reason if verdict == RequirementCheck.Verdict.REJECTED else "",
                "checked_by": actor.user,
                "checked_at": now,
            },
        )
        key = case.current_step.key
        role = case.sop_version.parsed.acting_role(case.step) or ""
        change = Change(case, actor, now)
        change.append(
            EventKind.CHECK, EventKind.CHECK, key, key, reason,
            {"requirement": requirement, "verdict": verdict}, role,
        )  # fmt: skip
        change.save()
    return case


def save_form_data(
    case: Case | str,
    *,
    actor: Actor,
    values: Mapping[str, Any],
    expected_version: int | None = None,
    now: datetime | None = None,
) -> tuple[Case, dict[str, str]]:
    """Store the data-entry fields typed at a data-entry step.

    Every value is checked; valid ones are stored even when others are not, so an officer never
    loses what was typed, and the errors (by field code) come back to show next to the fields.
    The step cannot be completed while any error remains (see ``perform_action``). Locks the
    request for the step's officer.
    """
    now = now or timezone.now()
    if not isinstance(values, Mapping):
        raise Invalid(_("Form data must be an object."), "form_data", field="values")
    with transaction.atomic():
        case = lock_for_step(case, actor, expected_version)
        if not case.step.data_entry:
            raise Conflict(
                _("Data is entered at the data-entry step, not at step %(step)s.")
                % {"step": case.current_step.key},
                "not_data_entry",
            )
        specs = fields_of(case.service)
        cleaned, errors = clean_values(specs, values)
        changed = [
            spec.code
            for spec in specs
            if spec.code not in errors and case.form_data.get(spec.code) != cleaned[spec.code]
        ]
        if changed:
            case.form_data = {**case.form_data, **{code: cleaned[code] for code in changed}}
            key = case.current_step.key
            role = case.sop_version.parsed.acting_role(case.step) or ""
            change = Change(case, actor, now)
            change.append(EventKind.DATA, EventKind.DATA, key, key, "", {"fields": changed}, role)
            change.save()
    return case, errors


def add_attachment(
    case: Case | str,
    *,
    actor: Actor,
    requirement: str,
    filename: str,
    content: bytes,
    now: datetime | None = None,
) -> Attachment:
    """A file an officer adds to an open request for one of its photo or document
    requirements (``""``: a file for no requirement), e.g. the paper the resident brought to
    the counter, photographed.

    Checked like WhatsApp media (:mod:`layan.cases.files`): a refusal is :class:`Invalid` with
    code ``file_<reason>``. Locks the request; the file is recorded in the history without a new
    version (an added file does not make a colleague's open page stale).
    """
    now = now or timezone.now()
    if not actor.is_staff:
        raise Forbidden(_("Only office staff may add files here."), "staff_required")
    try:
        mime, ext = files.check_upload(content)
    except files.FileRefused as refused:
        raise Invalid(refused.message, f"file_{refused.reason}", field="file") from None
    name = PurePath((filename or "").replace("\\", "/")).name.strip()[:200] or f"berkas.{ext}"
    with transaction.atomic():
        case = lock(case)
        if not user_role_codes(actor.user, case.office):
            raise Forbidden(_("You hold no role in this office."), "office_role_required")
        if not case.is_open:
            raise Conflict(_("This request is already closed."), "case_closed")
        if (
            requirement
            and not case.service.requirements.filter(code=requirement, kind__in=FILE_KINDS).exists()
        ):
            raise Invalid(
                _("This service has no photo or document requirement %(code)s.")
                % {"code": requirement},
                "requirement_unknown",
                field="requirement",
            )
        attachment = Attachment(
            case=case,
            requirement=requirement,
            original_name=name,
            content_type=mime,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_at=now,
        )
        stored = f"{requirement or 'berkas'}-{uuid.uuid4().hex[:12]}.{ext}"
        attachment.file.save(stored, ContentFile(content), save=False)
        try:
            attachment.save()
            key = case.current_step.key
            change = Change(case, actor, now)
            change.append(
                EventKind.ATTACH, EventKind.ATTACH, key, key, "",
                {"requirement": requirement, "file": name, "attachment": attachment.pk},
            )  # fmt: skip
            change.save(bump=False, fields=[])
        except BaseException:
            attachment.file.delete(save=False)
            raise
    return attachment


def record_consent(
    case: Case | str, *, agreed: bool, actor: Actor, now: datetime | None = None
) -> bool:
    """The applicant's answer to a field officer's application made for them: they agree, or
    they did not ask for it (the request is then flagged for the supervisor). Only the first
    answer counts; returns whether this one was recorded.

    Locks the request; the answer goes into the history without a new version.
    """
    now = now or timezone.now()
    with transaction.atomic():
        case = lock(case)
        if case.events.filter(kind=EventKind.CONSENT).exists():
            return False
        key = case.current_step.key if case.current_step_id else ""
        change = Change(case, actor, now)
        change.append(EventKind.CONSENT, EventKind.CONSENT, key, key, "", {"agreed": agreed})
        if not agreed:
            note = _("The applicant answered on WhatsApp: “Bukan saya” (I did not ask for this).")
            put_flag(change, flags.CONSENT_DENIED, str(note))
        change.save(bump=False, fields=[])
    return True


def record_registry_note(
    case: Case | str,
    *,
    actor: Actor,
    action: str,
    note: str,
    data: Mapping[str, Any],
    now: datetime | None = None,
) -> None:
    """Record in the request's history what was decided about it against the population
    registry (a duplicate finding decided or resolved, a NIK issued, the registry changed at
    completion). Locks the request; no new version (it changes nothing an officer acts on)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = lock(case)
        key = case.current_step.key if case.current_step_id else ""
        change = Change(case, actor, now)
        change.append(action, EventKind.REGISTRY, key, key, str(note)[:300], dict(data))
        change.save(bump=False, fields=[])


def record_access(case: Case, *, user, kind: str, detail: str = "", ip: str | None = None) -> None:
    """Log that ``user`` opened the personal data of ``case`` (page, file or API)."""
    CaseAccess.objects.create(
        case=case,
        office_id=case.office_id,
        user=user,
        at=timezone.now(),
        kind=kind,
        detail=detail[:200],
        ip_address=ip or None,
    )
