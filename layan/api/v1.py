"""JSON API v1 (OpenAPI at ``/api/docs``).

Offices and SOPs are public information (a published SOP is a public document); everything about
requests needs a staff token: ``Authorization: Bearer <token>`` from ``layan token create``.
Errors are ``{"code", "message", "details"}`` with the message in Indonesian.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from layan.api import schemas as s
from layan.api.models import ApiToken, hash_token
from layan.bot import selectors as bot_selectors
from layan.bot import services as bot_services
from layan.cases import selectors, services
from layan.cases.models import Case
from layan.cases.services import Actor
from layan.core.errors import LayanError, NotFound
from layan.core.http import client_address
from layan.documents.services import sign_document
from layan.offices.models import Channel, Office, Service
from layan.sop.definition import SopDefinition, Step, resolve_target


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        token_row = (
            ApiToken.objects.select_related("user")
            .filter(digest=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if token_row is None:
            return None
        now = timezone.now()
        if token_row.last_used_at is None or (now - token_row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token_row.pk).update(last_used_at=now)
        request.user = token_row.user
        return token_row.user


api = NinjaAPI(
    title="Layan API",
    version="1",
    description=__doc__,
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
ERRORS = {403: s.ErrorOut, 404: s.ErrorOut, 409: s.ErrorOut, 422: s.ErrorOut, 503: s.ErrorOut}


def _error(request, status: int, code: str, message: str, details=None):
    return api.create_response(
        request, {"code": code, "message": message, "details": details or {}}, status=status
    )


@api.exception_handler(LayanError)
def layan_error(request, exc: LayanError):
    return _error(request, exc.status, exc.code, str(exc.message), exc.details)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    return _error(
        request,
        422,
        "invalid_input",
        _("The request data is not valid."),
        {"errors": [{"loc": e.get("loc"), "msg": e.get("msg")} for e in exc.errors]},
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return _error(request, 401, "unauthorized", _("A valid staff token is required."))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
    message = _("The request body is not valid JSON.") if exc.status_code == 400 else str(exc)
    return _error(request, exc.status_code, codes.get(exc.status_code, "error"), message)


# --------------------------------------------------------------------------- offices & SOPs


def _service_out(service: Service) -> dict:
    return {
        "code": service.code,
        "name": service.name,
        "prefix": service.prefix,
        "output": service.output,
        "delivery": service.delivery,
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
    }


@api.get("/v1/offices", response=list[s.OfficeOut], tags=["offices"])
def list_offices(request):
    """Active offices with their services and WhatsApp numbers."""
    offices = Office.objects.filter(is_active=True).prefetch_related(
        Prefetch(
            "services",
            queryset=Service.objects.filter(is_active=True)
            .select_related("sop")
            .prefetch_related("requirements"),
        ),
        Prefetch(
            "channels",
            queryset=Channel.objects.filter(is_active=True).prefetch_related("services"),
        ),
    )
    return [
        {
            "code": o.code,
            "name": o.name,
            "short_name": o.short_name,
            "region_code": o.region_code,
            "timezone": o.timezone,
            "hours": o.hours,
            "services": [_service_out(svc) for svc in o.services.all()],
            "channels": [
                {
                    "phone": c.phone,
                    "phone_number_id": c.phone_number_id,
                    "label": c.label,
                    "services": [svc.code for svc in c.services.all()],
                }
                for c in o.channels.all()
            ],
        }
        for o in offices
    ]


def _action_out(definition: SopDefinition, step: Step, action) -> dict:
    return {
        "id": action.id,
        "kind": action.kind,
        "label": action.label,
        "to": resolve_target(definition, step, action),
        "note_required": action.note_required,
    }


def _step_out(definition: SopDefinition, step: Step) -> dict:
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
        "actions": [_action_out(definition, step, a) for a in step.actions],
    }


@api.get(
    "/v1/offices/{office}/services/{service}/sop",
    response={200: s.SopOut, 404: s.ErrorOut},
    tags=["offices"],
)
def service_sop(request, office: str, service: str):
    """The SOP a new request of this service follows: steps, roles, minutes and totals."""
    svc = (
        Service.objects.select_related("sop", "office")
        .filter(office__code=office, code=service, is_active=True)
        .first()
    )
    version = svc.sop.current_version if svc else None
    if version is None:
        raise NotFound(_("Service not found."), "service_not_found")
    definition = version.parsed
    return {
        "office": svc.office.code,
        "service": svc.code,
        "code": svc.sop.code,
        "name": definition.name,
        "version": version.number,
        "step_count": version.step_count,
        "total_minutes": version.total_minutes,
        "deadline": definition.deadline,
        "roles": [r.__dict__ for r in definition.roles],
        "steps": [_step_out(definition, st) for st in definition.steps],
        "side_steps": [_step_out(definition, st) for st in definition.side_steps],
    }


# --------------------------------------------------------------------------- cases


def _summary(case: Case, flags: list[str] | None = None) -> dict:
    step = case.current_step
    return {
        "code": case.code,
        "office": case.office.code,
        "service": case.service.code,
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


def _detail(case: Case, user) -> dict:
    case = selectors.case_for(user, case.code)
    definition = case.sop_version.parsed
    step = definition.step(case.current_step.key) if case.current_step else None
    return {
        **_summary(case),
        "sop_version": case.sop_version.number,
        "step_activity": step.activity if step else None,
        "applicant_nik": case.applicant_nik,
        "applicant_phone": case.applicant_phone,
        "submitter_kind": case.submitter_kind,
        "submitter_name": case.submitter_name,
        "submitter_phone": case.submitter_phone,
        "form_data": case.form_data,
        "closed_at": case.closed_at,
        "paused": case.paused_at is not None,
        "allowed_actions": [
            _action_out(definition, step, a)
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
    }


class CaseFilters(Schema):
    office: str | None = None
    service: str | None = None
    status: str | None = None
    step: str | None = None
    role: str | None = None
    mine: bool = False
    overdue: bool | None = None
    q: str | None = None
    limit: int = 50
    offset: int = 0


@api.get("/v1/cases", response={200: s.CaseListOut, **ERRORS}, auth=BearerToken(), tags=["cases"])
def list_cases(request, filters: Query[CaseFilters]):
    """Requests of the caller's offices, most urgent first."""
    f = selectors.CaseFilter(
        office=filters.office,
        service=filters.service,
        status=filters.status,
        step=filters.step,
        role=filters.role,
        assigned_to_id=request.user.pk if filters.mine else None,
        overdue=filters.overdue,
        query=filters.q,
    )
    qs = f.apply(selectors.visible_cases(request.user)).prefetch_related("flags")
    limit = max(1, min(filters.limit, 200))
    offset = max(0, filters.offset)
    return {
        "count": qs.count(),
        "results": [_summary(c) for c in qs[offset : offset + limit]],
    }


@api.post("/v1/cases", response={201: s.CaseOut, **ERRORS}, auth=BearerToken(), tags=["cases"])
def create_case(request, payload: s.CaseIn):
    """Submit a request on someone's behalf (counter, field officer, third-party report)."""
    service = (
        Service.objects.select_related("office", "sop")
        .filter(office__code=payload.office, code=payload.service)
        .first()
    )
    if service is None or not selectors.offices_of(request.user).filter(pk=service.office_id):
        raise NotFound(_("Service not found."), "service_not_found")
    case = services.submit_case(
        service=service,
        actor=Actor.staff(request.user),
        applicant_name=payload.applicant_name,
        applicant_nik=payload.applicant_nik,
        applicant_phone=payload.applicant_phone,
        submitter_kind=payload.submitter_kind,
        submitter_name=payload.submitter_name or request.user.get_username(),
        submitter_phone=payload.submitter_phone,
        form_data=payload.form_data,
    )
    return Status(201, _detail(case, request.user))


@api.get(
    "/v1/cases/{code}", response={200: s.CaseOut, **ERRORS}, auth=BearerToken(), tags=["cases"]
)
def get_case(request, code: str):
    """One request with its events, due times and the actions the caller may take (the opening
    is written to the office's access log)."""
    case = selectors.case_for(request.user, code)
    services.record_access(case, user=request.user, kind="api", ip=client_address(request))
    return _detail(case, request.user)


@api.post(
    "/v1/cases/{code}/actions",
    response={200: s.CaseOut, **ERRORS},
    auth=BearerToken(),
    tags=["cases"],
)
def act(request, code: str, payload: s.ActionIn):
    """Take an action of the current step: 403 without its role, 409 when stale or not
    possible here, 422 for a missing note or bad data."""
    case = selectors.case_for(request.user, code)
    case = services.perform_action(
        case,
        actor=Actor.staff(request.user),
        action=payload.action,
        note=payload.note,
        data=payload.data,
        expected_version=payload.version,
    )
    return _detail(case, request.user)


@api.post(
    "/v1/cases/{code}/sign",
    response={200: s.CaseOut, **ERRORS},
    auth=BearerToken(),
    tags=["documents"],
)
def sign_case(request, code: str, payload: s.SignIn):
    """The head of office signs the request's document at its signing step (PAdES, with the
    key unlocked by the passphrase), and the step goes forward. 422 ``wrong_passphrase`` signs
    nothing. The passphrase is not stored or logged."""
    case = selectors.case_for(request.user, code)
    sign_document(
        case, user=request.user, passphrase=payload.passphrase, expected_version=payload.version
    )
    return _detail(selectors.case_for(request.user, code), request.user)


@api.post(
    "/v1/cases/{code}/claim",
    response={200: s.CaseOut, **ERRORS},
    auth=BearerToken(),
    tags=["queues"],
)
def claim_case(request, code: str, version: int | None = None):
    case = selectors.case_for(request.user, code)
    case = services.claim(case, user=request.user, expected_version=version)
    return _detail(case, request.user)


@api.post(
    "/v1/cases/{code}/release",
    response={200: s.CaseOut, **ERRORS},
    auth=BearerToken(),
    tags=["queues"],
)
def release_case(request, code: str):
    case = selectors.case_for(request.user, code)
    return _detail(services.release(case, user=request.user), request.user)


@api.post(
    "/v1/cases/{code}/documents-received",
    response={200: s.CaseOut, **ERRORS},
    auth=BearerToken(),
    tags=["cases"],
)
def documents_received(request, code: str, payload: s.NoteIn):
    """Record that the applicant supplied what was asked (e.g. at the counter)."""
    case = selectors.case_for(request.user, code)
    case = services.documents_received(
        case,
        actor=Actor.staff(request.user),
        note=payload.note,
        data=payload.data,
    )
    return _detail(case, request.user)


@api.post(
    "/v1/offices/{office}/queues/{role}/claim-next",
    response={200: s.CaseOut, 204: None, **ERRORS},
    auth=BearerToken(),
    tags=["queues"],
)
def claim_next(request, office: str, role: str):
    """Claim the most urgent unclaimed request waiting for ``role``; 204 when none is waiting."""
    office_obj = selectors.offices_of(request.user).filter(code=office).first()
    if office_obj is None:
        raise NotFound(_("Office not found."), "office_not_found")
    case = services.claim_next(office=office_obj, role=role, user=request.user)
    if case is None:
        return Status(204, None)
    return _detail(case, request.user)


# --------------------------------------------------------------------------- staff inbox


def _conversation_out(conversation, now) -> dict:
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


def _conversation(request, pk: int):
    conversation = bot_selectors.conversations_for(request.user).filter(pk=pk).first()
    if conversation is None:
        raise NotFound(_("Conversation not found."), "conversation_not_found")
    return conversation


@api.get(
    "/v1/conversations",
    response={200: list[s.ConversationOut], **ERRORS},
    auth=BearerToken(),
    tags=["inbox"],
)
def list_conversations(request, handed_over: bool = True):
    """Conversations of your offices; by default those handed to an officer, oldest first."""
    now = timezone.now()
    if handed_over:
        qs = bot_selectors.handed_over_conversations(request.user, now)
    else:
        qs = bot_selectors.conversations_for(request.user).order_by("-last_inbound_at")
    return [_conversation_out(c, now) for c in qs[:200]]


@api.get(
    "/v1/conversations/{pk}",
    response={200: s.ConversationDetailOut, **ERRORS},
    auth=BearerToken(),
    tags=["inbox"],
)
def get_conversation(request, pk: int):
    """One conversation with its latest 100 messages both ways."""
    conversation = _conversation(request, pk)
    out = _conversation_out(conversation, timezone.now())
    out["messages"] = bot_selectors.chat_messages(conversation, limit=100)
    return out


@api.post(
    "/v1/conversations/{pk}/reply",
    response={200: s.ConversationOut, **ERRORS},
    auth=BearerToken(),
    tags=["inbox"],
)
def reply_conversation(request, pk: int, payload: s.ReplyIn):
    """Write to the resident: free text inside the 24-hour window, the office's notice template
    outside it."""
    conversation = _conversation(request, pk)
    bot_services.staff_reply(conversation, user=request.user, text=payload.text)
    return _conversation_out(conversation, timezone.now())


@api.post(
    "/v1/conversations/{pk}/release",
    response={200: s.ConversationOut, **ERRORS},
    auth=BearerToken(),
    tags=["inbox"],
)
def release_conversation(request, pk: int):
    """Give the conversation back to the bot (the resident is told)."""
    conversation = bot_services.release(_conversation(request, pk), user=request.user)
    return _conversation_out(conversation, timezone.now())
