"""Requests an officer takes for a resident: at the counter, in the field (Motor Keliling), or
through an integration on their behalf.

The request is created by the engine (the intake steps are done by the submission), the files
the officer photographed or scanned are attached after the same checks as WhatsApp media, the
resident's own WhatsApp number (when given) hears every notice, and a number to deliver to (a
village officer, the field officer) hears them too and receives the signed PDF. A resident
applied for in the field is asked on WhatsApp whether they agree (:mod:`layan.bot.consent`).
Everything happens in one transaction: a refused file leaves no request behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layan.bot import consent
from layan.bot.contacts import follow_by_phone
from layan.bot.models import CaseContact
from layan.bot.texts import Texts
from layan.bot.turn import format_datetime, normalize_phone
from layan.cases import files
from layan.cases.models import Case, IntakeChannel, SubmitterKind
from layan.cases.services import Actor, add_attachment, submit_case
from layan.core.errors import Invalid
from layan.offices.models import Service
from layan.whatsapp import outbox

OFFICER_CHANNELS = (IntakeChannel.COUNTER, IntakeChannel.FIELD, IntakeChannel.REPORTER,
                    IntakeChannel.API)  # fmt: skip


def phone_or_error(raw: str, field: str) -> str:
    """An Indonesian mobile number as WhatsApp writes it, "" for none; else :class:`Invalid`."""
    if not (raw or "").strip():
        return ""
    phone = normalize_phone(raw)
    if phone is None:
        raise Invalid(
            _("Write a mobile number such as 0812 3456 7890."), "phone_invalid", field=field
        )
    return phone


def take_request(
    *,
    service: Service,
    user,
    channel: str,
    applicant_name: str,
    applicant_nik: str = "",
    applicant_phone: str = "",
    answers: Mapping[str, Any] | None = None,
    uploads: Iterable[tuple[str, str, bytes]] = (),
    intake_place: str = "",
    deliver_to: str = "",
    submitter_kind: str | None = None,
    submitter_name: str = "",
    now: datetime | None = None,
) -> Case:
    """Create the request ``user`` takes for a resident; ``uploads`` are (requirement code,
    file name, content). The submitter is the officer (a field officer in the field) unless
    ``submitter_kind`` says otherwise (an integration relaying a third party's report). Raises
    :class:`Invalid` naming the field (a file: ``file:<code>``)."""
    now = now or timezone.now()
    if channel not in OFFICER_CHANNELS:
        raise Invalid(_("Choose how the request came in."), "channel_invalid", field="channel")
    phone = phone_or_error(applicant_phone, "applicant_phone")
    deliver = phone_or_error(deliver_to, "deliver_to")
    uploads = list(uploads)
    for requirement, _name, content in uploads:
        try:
            files.check_upload(content)
        except files.FileRefused as refused:
            raise Invalid(
                refused.message, f"file_{refused.reason}", field=f"file:{requirement}"
            ) from None
    field = channel == IntakeChannel.FIELD
    actor = Actor.staff(user)
    with transaction.atomic():
        case = submit_case(
            service=service,
            actor=actor,
            applicant_name=applicant_name,
            applicant_nik=applicant_nik,
            applicant_phone=phone,
            channel=channel,
            intake_place=intake_place,
            submitter_kind=submitter_kind
            or (SubmitterKind.FIELD_OFFICER if field else SubmitterKind.STAFF),
            submitter_name=submitter_name or user.get_full_name() or user.get_username(),
            submitter_phone=deliver,
            form_data=answers or {},
            now=now,
        )
        for requirement, name, content in uploads:
            add_attachment(
                case, actor=actor, requirement=requirement, filename=name, content=content, now=now
            )
        resident = follow_by_phone(case, phone, CaseContact.Kind.APPLICANT) if phone else None
        if deliver and deliver != phone:
            follow_by_phone(case, deliver, CaseContact.Kind.SUBMITTER)
        if field and resident is not None:
            consent.ask(case, resident, officer=user.get_full_name() or user.get_username())
    return case


def received_items(case: Case) -> str:
    """What the office has received for the request, in the requirements' own words."""
    filed = {a.requirement for a in case.attachments.all() if a.requirement}
    typed = {code for code, value in (case.form_data or {}).items() if value not in ("", None)}
    labels = [r.label for r in case.service.requirements.all() if r.code in filed | typed]
    return ", ".join(labels) or "-"


def send_receipt(case: Case, *, now: datetime | None = None) -> int:
    """Tell the resident's WhatsApp the tracking code and what was received (the receipt, as
    a message); how many conversations were written to."""
    now = now or timezone.now()
    sent = 0
    for contact in case.contacts.filter(kind=CaseContact.Kind.APPLICANT).select_related(
        "conversation__channel__office", "conversation__identity"
    ):
        conversation = contact.conversation
        t = Texts.of(conversation, case.office_id)
        text = t(
            "receipt",
            code=case.code,
            service=case.service.name,
            items=received_items(case),
            due=format_datetime(t, case.office, case.due_at),
        )
        outbox.notify(
            conversation=conversation,
            key=f"receipt:{case.pk}:{conversation.pk}:{int(now.timestamp())}",
            text=text,
            template_key="status_update",
            template_params=[case.code, text],
            case=case,
            now=now,
        )
        sent += 1
    return sent
