from __future__ import annotations

from datetime import date, datetime
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


class ChoiceOut(Schema):
    value: str
    label: str


class FieldOut(Schema):
    """A data-entry field: what the officer types at the SOP's data-entry step."""

    code: str
    label: str
    kind: str = Field(description="text, textarea, nik, kk, number, date, choice or table")
    required: bool
    choices: list[ChoiceOut] = Field(description="for a choice: its options, in order")
    columns: list[FieldOut] = Field(description="for a table: the fields of one row")
    min_rows: int
    max_rows: int
    help: str


class ServiceOut(Schema):
    code: str
    name: str
    prefix: str
    output: str
    document: str = Field(description="the output's document type (see docs/documents.md)")
    delivery: str
    complaint: bool
    sop: str
    forms: list[str]
    questions: list[dict[str, Any]]
    requirements: list[RequirementOut]
    fields: list[FieldOut]


class ChannelOut(Schema):
    phone: str
    phone_number_id: str
    label: str
    services: list[str]


FieldOut.model_rebuild()


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
    channel: str | None = Field(
        None, description="counter, field, reporter or api (the default): how it came in"
    )
    intake_place: str = Field("", description="for a field visit: the jorong, nagari, kelurahan")
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


class RoleRefOut(Schema):
    code: str
    label: str


class AttachmentOut(Schema):
    id: int
    requirement: str = Field(description="the requirement it is for ('' for none)")
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    url: str = Field(description="download through the API (logged in the access log)")


class ChecklistItemOut(Schema):
    requirement: str
    label: str
    kind: str
    required: bool
    applies: bool = Field(description="whether its condition holds for the applicant's answers")
    value: str = Field(description="a typed requirement's value (text, NIK)")
    verdict: str | None = Field(description="accepted, rejected, or null: not checked yet")
    reason: str
    checked_at: datetime | None
    attachments: list[AttachmentOut]


class DocumentOut(Schema):
    public_id: str
    kind: str
    title: str
    number: str
    status: str = Field(description="active, superseded or revoked")
    issued_at: datetime
    signed_at: datetime | None
    signer_name: str
    revoked_reason: str
    download_url: str = Field(description="the signed PDF through the API (logged)")
    verification_url: str = Field(description="the public verification page of its QR code")


class HandoverOut(Schema):
    card_serial: str
    printed_at: datetime | None
    received_by: str
    relation: str
    collected: list[str]
    note: str
    handed_at: datetime | None


class VisitOut(Schema):
    id: int
    case: str
    step: str
    starts_at: datetime
    ends_at: datetime
    place: str
    latitude: float | None
    longitude: float | None
    team: str
    bring: str
    outcome: str = Field(
        description="planned, recorded, already_recorded, not_found, again or cancelled"
    )
    outcome_note: str
    recorded_at: datetime | None
    reminded_at: datetime | None


class VisitIn(Schema):
    starts_at: datetime = Field(description="with its time zone, e.g. 2026-12-07T09:00:00+07:00")
    ends_at: datetime
    place: str
    team: str
    bring: str = ""
    latitude: float | None = None
    longitude: float | None = None
    version: int | None = None


class VisitOutcomeIn(Schema):
    outcome: str = Field(description="recorded, already_recorded, not_found, again, cancelled")
    note: str = Field("", description="needed unless the resident was recorded")
    version: int | None = None


class CaseSummaryOut(Schema):
    code: str
    office: str
    service: str
    channel: str
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
    acting_role: RoleRefOut | None = Field(
        description="the staff role that may act at the current step (also when it records an "
        "applicant's step for them)"
    )
    data_entry: bool = Field(description="the current step is the data-entry step")
    step_work: str = Field(description="the current step's document work: sign, print, handover")
    visit_step: bool = Field(description="the current step is an outreach visit (jemput bola)")
    applicant_nik: str
    applicant_phone: str
    submitter_kind: str
    submitter_name: str
    submitter_phone: str
    form_data: dict[str, Any]
    form_errors: dict[str, str] = Field(
        description="per data-entry field code, what is wrong with its stored value"
    )
    checklist: list[ChecklistItemOut]
    other_attachments: list[AttachmentOut]
    documents: list[DocumentOut]
    handover: HandoverOut | None
    visits: list[VisitOut]
    closed_at: datetime | None
    paused: bool
    allowed_actions: list[ActionOut]
    events: list[EventOut]
    findings: list[FindingOut] = Field(
        description="the Data Ganda findings of the people the request names"
    )


class CaseListOut(Schema):
    count: int
    results: list[CaseSummaryOut]


class NoteIn(Schema):
    note: str = ""
    data: dict[str, Any] = {}


class DataIn(Schema):
    values: dict[str, Any] = Field(description="data-entry field code -> value (tables: rows)")
    version: int | None = None


class CheckIn(Schema):
    requirement: str
    verdict: str = Field(description="accepted or rejected")
    reason: str = Field("", description="needed to reject: the applicant reads it")
    version: int | None = None


class PrintIn(Schema):
    serial: str = Field(description="the card blank's serial number")
    version: int | None = None


class HandoverIn(Schema):
    received_by: str
    relation: str = ""
    collected: list[str] = Field([], description="old_card, damaged_card, police_letter")
    note: str = ""
    version: int | None = None


class RevokeIn(Schema):
    reason: str


class RegisterEntryOut(Schema):
    number: int
    entered_at: datetime
    code: str
    applicant_name: str
    applicant_nik: str
    output: str
    delivery: str
    document_number: str
    card_serial: str
    received_by: str


class RegisterOut(Schema):
    office: str
    service: str
    year: int
    entries: list[RegisterEntryOut]


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


# --------------------------------------------------------------------------- the registry


class RegistryPersonOut(Schema):
    """A registry record as the caller's office may see it: all of it when the office's regency
    holds it (``ours``), otherwise the masked NIK, name, birth date, status and region."""

    nik: str = Field(description="masked (digits 5–12 hidden) unless ours")
    name: str
    birth_date: date | None
    status: str = Field(description="alive, deceased, moved or inactive")
    region: str = Field(description="the regency that holds the record (PP.KK)")
    ours: bool
    birth_place: str = ""
    sex: str = ""
    religion: str = ""
    marital_status: str = ""
    relation: str = ""
    father_name: str = ""
    mother_name: str = ""
    kk_number: str = ""
    address: str = ""
    rt: str = ""
    rw: str = ""
    village: str = ""
    village_code: str = ""


class RegistryFamilyOut(Schema):
    kk_number: str
    head_nik: str
    address: str
    rt: str
    rw: str
    village: str
    region: str
    members: list[RegistryPersonOut]


class RegistrySearchOut(Schema):
    results: list[RegistryPersonOut]


class FindingOut(Schema):
    """A Data Ganda finding: the person as the request states them beside the registry record a
    rule matched (another regency's record masked), and what was decided."""

    id: int
    person_key: str = Field(description="where the request names the person: applicant, child, "
                            "member:2, …")  # fmt: skip
    person: dict[str, Any]
    record: dict[str, Any] = Field(description="empty when the NIK itself does not fit")
    record_region: str
    rule: str
    level: str = Field(description="block (stops the check step until decided) or warn")
    score: float
    state: str = Field(description="open, not_duplicate, escalated, resolved or cleared")
    reason: str
    decided_by: str | None
    decided_at: datetime | None
    found_at: datetime


class ComparedRowOut(Schema):
    field: str
    label: str
    stated: str
    registry: str
    differs: bool


class ComparedPersonOut(Schema):
    key: str
    role: str
    name: str
    found: bool = Field(description="whether the office's registry holds a record of the NIK")
    differences: int
    rows: list[ComparedRowOut]


class PrefillOut(Schema):
    found: bool
    values: dict[str, Any] = Field(description="data-entry field code -> value (tables: rows)")
    match: dict[str, str] = Field(description="table code -> the column that holds the NIK")


class NotDuplicateIn(Schema):
    reason: str = Field(description="why the two are different people (at least 5 characters)")


class ResolveIn(Schema):
    how: str = Field(description="merge, inactivate or correct_nik")
    keep: str = Field("registry", description="merge: the record kept, registry or request")
    new_nik: str = Field("", description="correct_nik: the found record's correct NIK")
    reason: str


class IssueNikIn(Schema):
    version: int | None = None


class IssuedNikOut(Schema):
    nik: str
    version: int


CaseOut.model_rebuild()
