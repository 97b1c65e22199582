"""Models as the API's JSON: one function per shape, shared by every endpoint that answers it."""

from __future__ import annotations

from django.urls import reverse

from layan.bot import selectors as bot_selectors
from layan.cases import selectors, services
from layan.cases.models import Attachment, Case, Visit
from layan.cases.services import Actor
from layan.documents import selectors as doc_selectors
from layan.documents.models import Document
from layan.documents.rendering import verification_url
from layan.offices.fields import Field, clean_values, fields_of
from layan.offices.models import Service
from layan.population import selectors as population
from layan.population.models import DuplicateFinding
from layan.sop.definition import SopDefinition, Step, resolve_target


def field_out(spec: Field) -> dict:
    return {
        "code": spec.code,
        "label": spec.label,
        "kind": spec.kind,
        "required": spec.required,
        "choices": [{"value": value, "label": label} for value, label in spec.choices],
        "columns": [field_out(column) for column in spec.columns],
        "min_rows": spec.min_rows,
        "max_rows": spec.max_rows,
        "help": spec.help,
    }


def service_out(service: Service) -> dict:
    return {
        "code": service.code,
        "name": service.name,
        "prefix": service.prefix,
        "output": service.output,
        "document": service.document,
        "delivery": service.delivery,
        "complaint": service.is_complaint,
        "sop": service.sop.code,
        "forms": service.forms,
        "questions": service.questions,
        "requirements": [
            {
                "code": r.code,
                "label": r.label,
                "kind": r.kind,
                "required": r.required,
                "condition": r.condition,
            }
            for r in service.requirements.all()
        ],
        "fields": [field_out(spec) for spec in fields_of(service)],
    }


def action_out(definition: SopDefinition, step: Step, action) -> dict:
    return {
        "id": action.id,
        "kind": action.kind,
        "label": action.label,
        "to": resolve_target(definition, step, action),
        "note_required": action.note_required,
    }


def step_out(definition: SopDefinition, step: Step) -> dict:
    return {
        "key": step.key,
        "number": step.number,
        "side": step.side,
        "activity": step.activity,
        "role": step.role,
        "role_label": definition.role(step.role).label,
        "minutes": step.minutes,
        "requirements": list(step.requirements),
        "output": step.output,
        "intake": step.intake,
        "auto": step.auto,
        "visible_to_applicant": step.visible,
        "applicant_text": step.applicant_text,
        "actions": [action_out(definition, step, a) for a in step.actions],
    }


def summary(case: Case, flags: list[str] | None = None) -> dict:
    step = case.current_step
    return {
        "code": case.code,
        "office": case.office.code,
        "service": case.service.code,
        "channel": case.channel,
        "status": case.status,
        "step": step.key if step else None,
        "step_role": step.role.code if step else None,
        "applicant_name": case.applicant_name,
        "assigned_to": case.assigned_to.get_username() if case.assigned_to else None,
        "created_at": case.created_at,
        "step_due_at": case.step_due_at,
        "due_at": case.due_at,
        "flags": flags if flags is not None else [f.code for f in case.flags.all()],
        "version": case.version,
    }


def attachment_out(case: Case, attachment: Attachment) -> dict:
    return {
        "id": attachment.pk,
        "requirement": attachment.requirement,
        "name": attachment.original_name or attachment.file.name.rsplit("/", 1)[-1],
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_at": attachment.uploaded_at,
        "url": reverse("api-v1:case_attachment", args=[case.code, attachment.pk]),
    }


def document_out(case: Case, document: Document) -> dict:
    return {
        "public_id": document.public_id,
        "kind": document.kind,
        "title": document.title,
        "number": document.number,
        "status": document.status,
        "issued_at": document.issued_at,
        "signed_at": document.signed_at,
        "signer_name": document.signer_name,
        "revoked_reason": document.revoked_reason,
        "download_url": reverse("api-v1:case_document", args=[case.code, document.public_id]),
        "verification_url": verification_url(document.public_id),
    }


def visit_out(visit: Visit) -> dict:
    return {
        "id": visit.pk,
        "case": visit.case.code,
        "step": visit.step_key,
        "starts_at": visit.starts_at,
        "ends_at": visit.ends_at,
        "place": visit.place,
        "latitude": float(visit.latitude) if visit.latitude is not None else None,
        "longitude": float(visit.longitude) if visit.longitude is not None else None,
        "team": visit.team,
        "bring": visit.bring,
        "outcome": visit.outcome,
        "outcome_note": visit.outcome_note,
        "recorded_at": visit.recorded_at,
        "reminded_at": visit.reminded_at,
    }


def handover_out(case: Case) -> dict | None:
    handover = doc_selectors.handover_of(case)
    if handover is None:
        return None
    return {
        "card_serial": handover.card_serial,
        "printed_at": handover.printed_at,
        "received_by": handover.received_by,
        "relation": handover.relation,
        "collected": list(handover.collected or []),
        "note": handover.note,
        "handed_at": handover.handed_at,
    }


def checklist_out(case: Case) -> tuple[list[dict], list[dict]]:
    rows, others = selectors.checklist(case)
    items = [
        {
            "requirement": row.requirement.code,
            "label": row.requirement.label,
            "kind": row.requirement.kind,
            "required": row.requirement.required,
            "applies": row.applies,
            "value": row.value,
            "verdict": row.check.verdict if row.check else None,
            "reason": row.check.reason if row.check else "",
            "checked_at": row.check.checked_at if row.check else None,
            "attachments": [attachment_out(case, a) for a in row.attachments],
        }
        for row in rows
    ]
    return items, [attachment_out(case, a) for a in others]


def detail(case: Case, user) -> dict:
    """The request as ``user`` sees it: everything the console's request page shows."""
    case = selectors.case_for(user, case.code)
    definition = case.sop_version.parsed
    step = definition.step(case.current_step.key) if case.current_step else None
    acting = definition.acting_role(step) if step else None
    _cleaned, form_errors = clean_values(fields_of(case.service), case.form_data or {})
    checklist, others = checklist_out(case)
    return {
        **summary(case),
        "sop_version": case.sop_version.number,
        "step_activity": step.activity if step else None,
        "acting_role": {"code": acting, "label": definition.role(acting).label} if acting else None,
        "data_entry": bool(step and step.data_entry),
        "step_work": step.document if step else "",
        "visit_step": bool(step and step.visit),
        "applicant_nik": case.applicant_nik,
        "applicant_phone": case.applicant_phone,
        "submitter_kind": case.submitter_kind,
        "submitter_name": case.submitter_name,
        "submitter_phone": case.submitter_phone,
        "form_data": case.form_data,
        "form_errors": form_errors,
        "checklist": checklist,
        "other_attachments": others,
        "documents": [document_out(case, d) for d in case.documents.order_by("-issued_at")],
        "handover": handover_out(case),
        "visits": [visit_out(v) for v in case.visits.select_related("case").order_by("starts_at")],
        "closed_at": case.closed_at,
        "paused": case.paused_at is not None,
        "allowed_actions": [
            action_out(definition, step, a)
            for a in services.allowed_actions(case, Actor.staff(user))
        ],
        "events": [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor_name,
                "actor_kind": e.actor_kind,
                "role": e.role,
                "action": e.action,
                "kind": e.kind,
                "from_step": e.from_step,
                "to_step": e.to_step,
                "status": e.status,
                "note": e.note,
                "step_due_at": e.step_due_at,
                "due_at": e.due_at,
            }
            for e in case.events.all()
        ],
        "findings": [finding_out(f) for f in population.findings_for(case)],
    }


def conversation_out(conversation, now) -> dict:
    identity = conversation.identity
    return {
        "id": conversation.pk,
        "office": conversation.channel.office.code,
        "channel": conversation.channel.phone,
        "name": identity.name,
        "phone": identity.phone or identity.wa_id,
        "handed_over_at": conversation.handed_over_at,
        "last_inbound_at": conversation.last_inbound_at,
        "window_open": conversation.window_open(now),
    }


def conversation_detail(conversation, now) -> dict:
    return {
        **conversation_out(conversation, now),
        "messages": bot_selectors.chat_messages(conversation, limit=100),
    }


def finding_out(finding: DuplicateFinding) -> dict:
    user = finding.decided_by
    return {
        "id": finding.pk,
        "person_key": finding.person_key,
        "person": finding.person,
        "record": finding.record,
        "record_region": finding.record_region,
        "rule": finding.rule,
        "level": finding.level,
        "score": finding.score,
        "state": finding.state,
        "reason": finding.reason,
        "decided_by": user.get_username() if user else None,
        "decided_at": finding.decided_at,
        "found_at": finding.found_at,
    }


def compared_out(person) -> dict:
    """One person of :func:`layan.population.selectors.comparison`."""
    return {
        "key": person.key,
        "role": person.role,
        "name": person.name,
        "found": person.record is not None,
        "differences": person.differences,
        "rows": [
            {
                "field": name,
                "label": row.label,
                "stated": row.stated,
                "registry": row.registry,
                "differs": row.differs,
            }
            for (name, _label), row in zip(population.COMPARED, person.rows, strict=True)
        ],
    }
