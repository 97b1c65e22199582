"""Changing an office's SOPs and catalogue through the API: what the console's editors do, for
integrations, through the same services and checks (``layan.sop.editing``,
``layan.offices.editing``).

A flow's draft is the SOP format's mapping (``docs/sop-format.md``); saving it needs the
revision the caller read (409 when it changed since), its problems are the loader's own, and
publishing needs a reason and may name the moment the version takes effect. Only the office
administrator (role ``admin``) changes; the head of office (``kadis``) approves when the office
asks for it. Another office's flow is 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status

from layan.api.base import ERRORS, staff
from layan.cases import selectors
from layan.core.errors import Invalid, NotFound
from layan.offices import editing as catalogue
from layan.sop import diff as sop_diff
from layan.sop import editing
from layan.sop.definition import to_data
from layan.sop.services import checksum

router = Router(tags=["editing"], auth=staff)

MAX_INT = 2_147_483_647
YAML = "application/yaml"


# --------------------------------------------------------------------------------------------
# Schemas


class ProblemOut(Schema):
    step: str | None = Field(description="the step key (a number, or a side step's key)")
    section: str = Field(description="flow, identity, deadline, roles, side_steps or step")
    message: str = Field(description="in the caller's language (Indonesian by default)")


class DraftOut(Schema):
    flow: str
    revision: int
    state: str = Field(description="editing, or submitted (waiting for the head of office)")
    base_version: int | None
    data: dict[str, Any] = Field(description="the SOP format's mapping (docs/sop-format.md)")
    valid: bool
    checksum: str | None = Field(description="of the definition, when it has no problems")
    problems: list[ProblemOut]
    removed_steps: list[str] = Field(description="the base version's steps the draft drops")
    decline_note: str


class DraftIn(Schema):
    revision: int = Field(ge=0, le=MAX_INT, description="the revision the change was made on")
    data: dict[str, Any]


class ValidateIn(Schema):
    data: dict[str, Any]


class ValidationOut(Schema):
    valid: bool
    checksum: str | None
    problems: list[ProblemOut]


class ImportIn(Schema):
    yaml: str = Field(max_length=editing.MAX_IMPORT, description="a file of the SOP format")
    revision: int | None = Field(None, ge=0, le=MAX_INT)


class PublishIn(Schema):
    revision: int = Field(ge=0, le=MAX_INT)
    reason: str = Field(max_length=editing.MAX_REASON)
    effective_at: datetime | None = Field(None, description="default: now")


class PublishOut(Schema):
    submitted: bool = Field(description="true: waiting for the head of office's approval")
    version: int | None


class ApproveIn(Schema):
    revision: int | None = Field(None, ge=0, le=MAX_INT)


class DeclineIn(Schema):
    note: str = Field(max_length=editing.MAX_REASON)
    revision: int | None = Field(None, ge=0, le=MAX_INT)


class VersionOut(Schema):
    number: int
    checksum: str
    origin: str
    created_at: datetime
    created_by: str
    effective_at: datetime
    reason: str
    approved_by: str
    current: bool
    step_count: int
    total_minutes: int


class VersionDetailOut(VersionOut):
    data: dict[str, Any] = Field(description="the version in the SOP format")


class DiffQuery(Schema):
    a: str = Field(description="a version number, or draft")
    b: str = Field(description="a version number, or draft")


class DiffOut(Schema):
    flow: list[dict[str, Any]]
    roles: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    side_steps: list[dict[str, Any]]
    total_minutes: dict[str, int]


# --------------------------------------------------------------------------------------------
# Finding things


def _office(request, office: str):
    found = selectors.offices_of(request.user).filter(code=office).first()
    if found is None:
        raise NotFound(_("Office not found."), "office_not_found")
    return found


def _flow(request, office: str, flow: str):
    return editing.flow(_office(request, office), flow)


def _name(user) -> str:
    return user.get_username() if user is not None else ""


def _version_out(version, current) -> dict:
    return {
        "number": version.number,
        "checksum": version.checksum,
        "origin": version.origin,
        "created_at": version.created_at,
        "created_by": _name(version.created_by),
        "effective_at": version.effective_at,
        "reason": version.reason,
        "approved_by": _name(version.approved_by),
        "current": current is not None and current.pk == version.pk,
        "step_count": version.step_count,
        "total_minutes": version.total_minutes,
    }


def _problems(problems) -> list[dict]:
    return [{"step": p.step, "section": p.section, "message": p.translated()} for p in problems]


def _draft_out(draft) -> dict:
    inspection = editing.inspect(draft)
    definition = inspection.definition
    removed = editing.removed_steps(draft, definition) if definition is not None else []
    return {
        "flow": draft.sop.code,
        "revision": draft.revision,
        "state": draft.state,
        "base_version": draft.base_version.number if draft.base_version else None,
        "data": draft.data if isinstance(draft.data, dict) else {},
        "valid": inspection.valid,
        "checksum": inspection.checksum,
        "problems": _problems(inspection.problems),
        "removed_steps": [key for key, _activity in removed],
        "decline_note": draft.decline_note,
    }


def _aware(moment: datetime | None, office) -> datetime | None:
    if moment is None:
        return None
    if timezone.is_naive(moment):
        return timezone.make_aware(moment, office.tz)
    return moment


# --------------------------------------------------------------------------------------------
# Flows


@router.get("/offices/{office}/sops/{flow}/versions", response={200: list[VersionOut], **ERRORS})
def versions(request, office: str, flow: str):
    """The flow's versions, newest first: who published them, when they take effect, why."""
    sop = _flow(request, office, flow)
    current = sop.current_version
    return [_version_out(v, current) for v in editing.history(sop)]


@router.get(
    "/offices/{office}/sops/{flow}/versions/{number}",
    response={200: VersionDetailOut, **ERRORS},
)
def version(request, office: str, flow: str, number: int = Path(..., ge=1, le=MAX_INT)):
    """One version, with its content in the SOP format."""
    sop = _flow(request, office, flow)
    found = editing.version_of(sop, number)
    return {**_version_out(found, sop.current_version), "data": to_data(found.parsed)}


@router.get(
    "/offices/{office}/sops/{flow}/versions/{number}/yaml",
    response={200: None, **ERRORS},
    openapi_extra={
        "responses": {
            "200": {
                "description": "The version as a YAML file of the SOP format",
                "content": {YAML: {"schema": {"type": "string"}}},
            }
        }
    },
)
def version_yaml(request, office: str, flow: str, number: int = Path(..., ge=1, le=MAX_INT)):
    """The version as a file of the SOP format: importing it gives the same checksum."""
    sop = _flow(request, office, flow)
    name, text = editing.export_yaml(editing.version_of(sop, number))
    response = HttpResponse(text, content_type=f"{YAML}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _side(request, sop, value: str):
    if value == "draft":
        draft = editing.read_draft(sop, request.user)
        definition = editing.inspect(draft).definition
        if definition is None:
            raise Invalid(
                _("The draft cannot be compared until its steps are complete."), "draft_invalid"
            )
        return definition
    if not value.isdigit() or int(value) > MAX_INT:
        raise Invalid(_("Name a version number or draft."), "version_invalid")
    return editing.version_of(sop, int(value)).parsed


@router.get("/offices/{office}/sops/{flow}/diff", response={200: DiffOut, **ERRORS})
def diff(request, office: str, flow: str, query: Query[DiffQuery]):
    """Two versions (or a version and the draft) side by side: flow, roles, steps with their
    minutes, actions and texts."""
    sop = _flow(request, office, flow)
    return sop_diff.as_json(
        editing.compare(_side(request, sop, query.a), _side(request, sop, query.b))
    )


@router.get("/offices/{office}/sops/{flow}/draft", response={200: DraftOut, **ERRORS})
def get_draft(request, office: str, flow: str):
    """The flow's draft with its problems (started from the latest version when there is none;
    the administrator, or the head of office reading a submitted one)."""
    sop = _flow(request, office, flow)
    return _draft_out(editing.read_draft(sop, request.user))


@router.put("/offices/{office}/sops/{flow}/draft", response={200: DraftOut, **ERRORS})
def put_draft(request, office: str, flow: str, body: DraftIn):
    """Replace the draft's content (409 when its revision moved on since ``revision``)."""
    sop = _flow(request, office, flow)
    editing.open_draft(sop, request.user)
    return _draft_out(editing.save_draft(sop, request.user, body.data, revision=body.revision))


@router.delete("/offices/{office}/sops/{flow}/draft", response={204: None, **ERRORS})
def delete_draft(request, office: str, flow: str):
    """Discard the draft."""
    sop = _flow(request, office, flow)
    editing.discard_draft(sop, request.user)
    return Status(204, None)


@router.post("/offices/{office}/sops/{flow}/validate", response={200: ValidationOut, **ERRORS})
def validate(request, office: str, flow: str, body: ValidateIn):
    """The problems of a content as this flow's next version (nothing is saved)."""
    sop = _flow(request, office, flow)
    editing.check_reader(request.user, sop.office)
    definition, problems = editing.problems_of(sop.office, sop, body.data)
    valid = definition is not None and not problems
    return {
        "valid": valid,
        "checksum": checksum(definition) if valid else None,
        "problems": _problems(problems),
    }


@router.post("/offices/{office}/sops/{flow}/draft/import", response={200: DraftOut, **ERRORS})
def import_draft(request, office: str, flow: str, body: ImportIn):
    """A YAML file of the SOP format as the draft (its problems, if any, are kept and shown)."""
    sop = _flow(request, office, flow)
    return _draft_out(editing.import_draft(sop, request.user, body.yaml, revision=body.revision))


@router.post("/offices/{office}/sops/{flow}/draft/publish", response={200: PublishOut, **ERRORS})
def publish(request, office: str, flow: str, body: PublishIn):
    """Publish the draft as a new version taking effect at ``effective_at`` (now by default),
    or submit it to the head of office when the office asks for approval."""
    sop = _flow(request, office, flow)
    result = editing.publish(
        sop,
        request.user,
        revision=body.revision,
        reason=body.reason,
        effective_at=_aware(body.effective_at, sop.office),
        origin="api",
    )
    return {
        "submitted": result.submitted,
        "version": result.version.number if result.version else None,
    }


@router.post("/offices/{office}/sops/{flow}/draft/approve", response={200: VersionOut, **ERRORS})
def approve(request, office: str, flow: str, body: ApproveIn):
    """The head of office (a second person) approves the submitted draft: it is published."""
    sop = _flow(request, office, flow)
    found = editing.approve(sop, request.user, revision=body.revision)
    return _version_out(found, sop.current_version)


@router.post("/offices/{office}/sops/{flow}/draft/decline", response={200: DraftOut, **ERRORS})
def decline(request, office: str, flow: str, body: DeclineIn):
    """Send the submitted draft back with a reason (the head of office, or its submitter)."""
    sop = _flow(request, office, flow)
    return _draft_out(editing.decline(sop, request.user, note=body.note, revision=body.revision))


# --------------------------------------------------------------------------------------------
# The catalogue


class CatalogueProblemOut(Schema):
    service: str
    item: str = Field(description="requirement:code, question:code, field:code, bring or empty")
    message: str


class ImpactOut(Schema):
    service: str
    kind: str = Field(description="refused, new_only (new requests only) or all")
    message: str


class CatalogueDraftOut(Schema):
    revision: int
    state: str
    data: dict[str, Any] = Field(description="services (their editable part) and texts")
    valid: bool
    problems: list[CatalogueProblemOut]
    text_problems: dict[str, list[str]]
    impacts: list[ImpactOut]
    decline_note: str


class CatalogueDraftIn(Schema):
    revision: int = Field(ge=0, le=MAX_INT)
    data: dict[str, Any]


class ReasonIn(Schema):
    revision: int = Field(ge=0, le=MAX_INT)
    reason: str = Field(max_length=catalogue.MAX_REASON)


class CatalogueVersionOut(Schema):
    number: int
    checksum: str
    origin: str
    created_at: datetime
    created_by: str
    reason: str
    approved_by: str


class CatalogueDiffQuery(Schema):
    a: int = Field(ge=1, le=MAX_INT)
    b: int = Field(ge=1, le=MAX_INT)


class ServiceChangeOut(Schema):
    service: str
    changes: list[dict[str, Any]]


def _catalogue_out(draft) -> dict:
    inspection = catalogue.inspect(draft)
    problems = [
        {"service": code, "item": item, "message": p.translated()}
        for (code, item), items in inspection.by_item.items()
        for p in items
    ] + [{"service": "", "item": "", "message": text} for text in inspection.general]
    return {
        "revision": draft.revision,
        "state": draft.state,
        "data": draft.data if isinstance(draft.data, dict) else {},
        "valid": inspection.valid,
        "problems": problems,
        "text_problems": inspection.texts,
        "impacts": [
            {"service": i.service, "kind": i.kind, "message": i.message}
            for i in catalogue.impact(draft)
        ],
        "decline_note": draft.decline_note,
    }


def _catalogue_version_out(version) -> dict:
    return {
        "number": version.number,
        "checksum": version.checksum,
        "origin": version.origin,
        "created_at": version.created_at,
        "created_by": _name(version.created_by),
        "reason": version.reason,
        "approved_by": _name(version.approved_by),
    }


@router.get("/offices/{office}/catalogue/draft", response={200: CatalogueDraftOut, **ERRORS})
def catalogue_draft(request, office: str):
    """The catalogue's draft, its problems and what publishing it does to requests under way."""
    return _catalogue_out(catalogue.read_draft(_office(request, office), request.user))


@router.put("/offices/{office}/catalogue/draft", response={200: CatalogueDraftOut, **ERRORS})
def put_catalogue_draft(request, office: str, body: CatalogueDraftIn):
    """Replace the catalogue draft's content (409 when its revision moved on)."""
    found = _office(request, office)
    catalogue.open_draft(found, request.user)
    return _catalogue_out(
        catalogue.save_draft(found, request.user, body.data, revision=body.revision)
    )


@router.delete("/offices/{office}/catalogue/draft", response={204: None, **ERRORS})
def delete_catalogue_draft(request, office: str):
    catalogue.discard_draft(_office(request, office), request.user)
    return Status(204, None)


@router.post("/offices/{office}/catalogue/draft/publish", response={200: PublishOut, **ERRORS})
def publish_catalogue(request, office: str, body: ReasonIn):
    """Publish the catalogue draft, or submit it when the office asks for approval; refused
    with the requests named when a change would break requests under way."""
    result = catalogue.publish(
        _office(request, office),
        request.user,
        revision=body.revision,
        reason=body.reason,
        origin="api",
    )
    return {
        "submitted": result.submitted,
        "version": result.version.number if result.version else None,
    }


@router.post(
    "/offices/{office}/catalogue/draft/approve", response={200: CatalogueVersionOut, **ERRORS}
)
def approve_catalogue(request, office: str, body: ApproveIn):
    found = catalogue.approve(_office(request, office), request.user, revision=body.revision)
    return _catalogue_version_out(found)


@router.post(
    "/offices/{office}/catalogue/draft/decline", response={200: CatalogueDraftOut, **ERRORS}
)
def decline_catalogue(request, office: str, body: DeclineIn):
    draft = catalogue.decline(
        _office(request, office), request.user, note=body.note, revision=body.revision
    )
    return _catalogue_out(draft)


@router.get(
    "/offices/{office}/catalogue/versions", response={200: list[CatalogueVersionOut], **ERRORS}
)
def catalogue_versions(request, office: str):
    found = _office(request, office)
    catalogue.check_reader(request.user, found)
    return [_catalogue_version_out(v) for v in catalogue.history(found)]


@router.get("/offices/{office}/catalogue/diff", response={200: list[ServiceChangeOut], **ERRORS})
def catalogue_diff(request, office: str, query: Query[CatalogueDiffQuery]):
    """Per service what changed between two catalogue versions (the bot texts as service "")."""
    found = _office(request, office)
    catalogue.check_reader(request.user, found)
    before = catalogue.version_of(found, query.a).data
    after = catalogue.version_of(found, query.b).data
    return [
        {
            "service": change.code,
            "changes": [
                {"what": what, "key": key, "old": old, "new": new}
                for what, key, old, new in change.changes
            ],
        }
        for change in catalogue.compare(before, after)
    ]
