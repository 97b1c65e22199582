from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class ErrorOut(Schema):
    code: str = Field(description="machine-readable error code")
    message: str = Field(description="for people, in Indonesian by default")
    details: dict[str, Any] = {}


class RequirementOut(Schema):
    code: str
    label: str
    kind: str
    required: bool
    condition: dict[str, Any] | None


class ServiceOut(Schema):
    code: str
    name: str
    prefix: str
    output: str
    delivery: str
    sop: str
    forms: list[str]
    questions: list[dict[str, Any]]
    requirements: list[RequirementOut]


class ChannelOut(Schema):
    phone: str
    phone_number_id: str
    label: str
    services: list[str]


class OfficeOut(Schema):
    code: str
    name: str
    short_name: str
    region_code: str
    timezone: str
    hours: dict[str, Any]
    services: list[ServiceOut]
    channels: list[ChannelOut]


class ActionOut(Schema):
    id: str
    kind: str
    label: str
    to: str | None
    note_required: bool


class StepOut(Schema):
    key: str
    number: int | None
    side: bool
    activity: str
    role: str
    role_label: str
    minutes: int | None
    requirements: list[str]
    output: str
    intake: bool
    auto: bool
    visible_to_applicant: bool
    applicant_text: str
    actions: list[ActionOut]


class RoleOut(Schema):
    code: str
    label: str
    kind: str
    column: bool


class SopOut(Schema):
    office: str
    service: str
    code: str
    name: str
    version: int
    step_count: int
    total_minutes: int
    deadline: dict[str, Any] | None
    roles: list[RoleOut]
    steps: list[StepOut]
    side_steps: list[StepOut]


class CaseIn(Schema):
    office: str
    service: str
    applicant_name: str
    applicant_nik: str = ""
    applicant_phone: str = ""
    submitter_kind: str | None = Field(
        None, description="applicant, field_officer, third_party or staff; derived when left out"
    )
    submitter_name: str = ""
    submitter_phone: str = ""
    form_data: dict[str, Any] = {}


class ActionIn(Schema):
    action: str
    note: str = ""
    data: dict[str, Any] = {}
    version: int | None = Field(
        None, description="the version the caller saw; a newer one makes the action a conflict"
    )


class SignIn(Schema):
    passphrase: str = Field(..., min_length=1, max_length=200, description="never stored")
    version: int | None = None


class EventOut(Schema):
    seq: int
    at: datetime
    actor: str
    actor_kind: str
    role: str
    action: str
    kind: str
    from_step: str
    to_step: str
    status: str
    note: str
    step_due_at: datetime | None
    due_at: datetime | None


class CaseSummaryOut(Schema):
    code: str
    office: str
    service: str
    status: str
    step: str | None
    step_role: str | None
    applicant_name: str
    assigned_to: str | None
    created_at: datetime
    step_due_at: datetime | None
    due_at: datetime | None
    flags: list[str]
    version: int


class CaseOut(CaseSummaryOut):
    sop_version: int
    step_activity: str | None
    applicant_nik: str
    applicant_phone: str
    submitter_kind: str
    submitter_name: str
    submitter_phone: str
    form_data: dict[str, Any]
    closed_at: datetime | None
    paused: bool
    allowed_actions: list[ActionOut]
    events: list[EventOut]


class CaseListOut(Schema):
    count: int
    results: list[CaseSummaryOut]


class NoteIn(Schema):
    note: str = ""
    data: dict[str, Any] = {}


class ConversationOut(Schema):
    id: int
    office: str
    channel: str
    name: str
    phone: str
    handed_over_at: datetime | None
    last_inbound_at: datetime | None
    window_open: bool


class ChatMessageOut(Schema):
    direction: str = Field(description="in (from the resident) or out (to the resident)")
    at: datetime
    kind: str
    text: str
    status: str = ""


class ConversationDetailOut(ConversationOut):
    messages: list[ChatMessageOut]


class ReplyIn(Schema):
    text: str
