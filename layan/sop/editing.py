"""Editing a flow: the office administrator's draft, its problems, and publishing it as a version.

The rules, each in one place:

- Only the office administrator (role ``admin``) edits, imports, discards and publishes; the head
  of office (role ``kadis``) reads drafts and, when the office asks for it
  (``Office.change_approval``), approves them. Another office's flow is not found.
- A draft's problems are the loader's own (:func:`layan.sop.definition.check_data`, the same
  checks as ``layan sop validate``) plus the office's (a role code the office uses for another
  kind of role); a draft with any problem cannot be published.
- A publish is a new version (requests under way keep theirs; new requests take the new one once
  its effective moment has come), with who, when and why; it is refused when nothing changed,
  and when a registered guard says requests under way would be stranded (the engine refuses to
  remove a step requests are waiting at: :func:`register_guard`).
- With approval on, publishing submits the draft; a second person holding ``kadis`` approves it
  (the version is then stored) or sends it back with a reason.
- Every publish, submission, approval, sending back, discard and import is in the office's
  change log (:mod:`layan.offices.changelog`).

Every change locks the flow's row (and its draft): two administrators publishing at once get
one version each, in turn, or a conflict when the draft changed under them (its ``revision``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from layan.core.errors import Conflict, Forbidden, Invalid, NotFound
from layan.offices import changelog
from layan.offices.models import ChangeLog, Office, StaffRole
from layan.offices.staff import APPROVER_ROLE, EDITOR_ROLE, holds_role
from layan.sop import drafts
from layan.sop.definition import (
    SopDefinition,
    SopError,
    check_data,
    dump_yaml,
    load_yaml,
    to_data,
)
from layan.sop.diff import Diff, diff
from layan.sop.models import DraftState, Origin, Sop, SopDraft, SopVersion
from layan.sop.services import checksum, load_definition, role_problems

MAX_REASON = 1000
MAX_IMPORT = 200_000  # characters of a YAML file imported into a draft

# (flow, base version, new definition, removed steps as (key, activity)) -> refusals, in words
# for the administrator; registered by the engine (requests under way are its business).
Guard = Callable[[Sop, SopVersion | None, SopDefinition, list[tuple[str, str]]], list[str]]
_GUARDS: dict[str, Guard] = {}


def register_guard(name: str, guard: Guard) -> None:
    """Ask ``guard`` before any version of a flow is published (registering a name again
    replaces it)."""
    _GUARDS[name] = guard


# --------------------------------------------------------------------------------------------
# Who may do what


def can_edit(user, office: Office) -> bool:
    return holds_role(user, office, EDITOR_ROLE)


def can_approve(user, office: Office) -> bool:
    return holds_role(user, office, APPROVER_ROLE)


def check_editor(user, office: Office) -> None:
    if not can_edit(user, office):
        raise Forbidden(
            _("Only the office administrator may change SOPs and the catalogue."), "admin_only"
        )


def check_reader(user, office: Office) -> None:
    """The administrator and the head of office read drafts and their problems."""
    if not (can_edit(user, office) or can_approve(user, office)):
        raise Forbidden(
            _("Only the office administrator and the head of office may see drafts."),
            "admin_only",
        )


def flow(office: Office, code: str) -> Sop:
    found = Sop.objects.filter(office=office, code=code).first()
    if found is None:
        raise NotFound(_("SOP not found."), "sop_not_found")
    return found


def version_of(sop: Sop, number: int) -> SopVersion:
    found = sop.versions.filter(number=number).first()
    if found is None:
        raise NotFound(
            _("Version %(n)s of this SOP not found.") % {"n": number}, "version_not_found"
        )
    return found


# --------------------------------------------------------------------------------------------
# A draft and its problems


@dataclass
class Inspection:
    """A draft as the editor shows it: its definition as far as it can be built (the preview),
    every problem, and those problems by step key and by section."""

    draft: SopDraft
    definition: SopDefinition | None
    problems: list[SopError]
    by_step: dict[str, list[SopError]] = field(default_factory=dict)
    by_section: dict[str, list[SopError]] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.definition is not None and not self.problems

    @property
    def checksum(self) -> str | None:
        return checksum(self.definition) if self.valid else None

    def problems_at(self, key: str) -> list[SopError]:
        return self.by_step.get(key, [])


def problems_of(office: Office, sop: Sop, data: Any) -> tuple[SopDefinition | None, list[SopError]]:
    """Every problem of ``data`` as the next version of ``sop``: the loader's checks, the
    office's roles, and that it is this office's flow."""
    name = f"{sop.code}.yaml"
    definition, problems = check_data(data, name)
    if isinstance(data, dict) and (data.get("office"), data.get("code")) != (office.code, sop.code):
        template = N_("this is the flow %(got)s, not %(flow)s of office %(office)s")
        params = {
            "got": f"{data.get('office')}/{data.get('code')}",
            "flow": sop.code,
            "office": office.code,
        }
        problems = [
            *problems,
            SopError(name, None, template % params, template, tuple(params.items()), "flow"),
        ]
    if definition is not None:
        problems = [*problems, *role_problems(office, definition, name)]
    return definition, problems


def inspect(draft: SopDraft) -> Inspection:
    definition, problems = problems_of(draft.sop.office, draft.sop, draft.data)
    result = Inspection(draft, definition, problems)
    for problem in problems:
        if problem.step is not None:
            result.by_step.setdefault(problem.step, []).append(problem)
        else:
            result.by_section.setdefault(problem.section, []).append(problem)
    return result


def draft_of(sop: Sop) -> SopDraft | None:
    return SopDraft.objects.filter(sop=sop).select_related("sop__office", "base_version").first()


def _start(sop: Sop, user) -> SopDraft:
    base = sop.versions.order_by("-number").first()
    if base is None:
        raise NotFound(_("This SOP has no version to start from."), "version_not_found")
    definition = base.parsed
    return SopDraft.objects.create(
        sop=sop,
        data=to_data(definition),
        origins=[step.key for step in definition.steps],
        base_version=base,
        created_by=user,
        updated_by=user,
    )


def open_draft(sop: Sop, user) -> SopDraft:
    """The flow's draft, started from its latest version when there is none (administrator)."""
    check_editor(user, sop.office)
    with transaction.atomic():
        Sop.objects.select_for_update().get(pk=sop.pk)
        draft = draft_of(sop)
        return draft if draft is not None else _start(sop, user)


def read_draft(sop: Sop, user) -> SopDraft:
    """The flow's draft for reading (administrator or head of office); 404 when there is none
    and the reader may not start one."""
    check_reader(user, sop.office)
    draft = draft_of(sop)
    if draft is None:
        if not can_edit(user, sop.office):
            raise NotFound(_("This SOP has no draft."), "draft_not_found")
        return open_draft(sop, user)
    return draft


def _lock_draft(sop: Sop, revision: int | None, *, editing: bool = True) -> SopDraft:
    Sop.objects.select_for_update().get(pk=sop.pk)
    draft = SopDraft.objects.select_for_update().filter(sop=sop).first()
    if draft is None and revision is not None:  # published or discarded by someone meanwhile
        raise Conflict(
            _("The draft was published or discarded meanwhile: reload the page."), "draft_gone"
        )
    if draft is None:
        raise NotFound(_("This SOP has no draft."), "draft_not_found")
    if revision is not None and draft.revision != revision:
        raise Conflict(
            _(
                "The draft was changed meanwhile (revision %(now)s, yours %(yours)s): reload it"
                " and make your change again."
            )
            % {"now": draft.revision, "yours": revision},
            "draft_stale",
            revision=draft.revision,
        )
    if editing and draft.state == DraftState.SUBMITTED:
        raise Conflict(
            _("The draft waits for the head of office's approval; it cannot be changed now."),
            "draft_submitted",
        )
    return draft


def save_draft(
    sop: Sop,
    user,
    data: Any,
    *,
    revision: int | None,
    origins: list[str] | None = None,
) -> SopDraft:
    """Replace the draft's content (administrator). ``revision`` is the one the caller edited;
    a draft changed since is a conflict. Locks the flow and its draft."""
    check_editor(user, sop.office)
    if not isinstance(data, dict):
        raise Invalid(_("The draft must be a mapping of the SOP format."), "draft_invalid")
    with transaction.atomic():
        if draft_of(sop) is None:
            _start(sop, user)
        draft = _lock_draft(sop, revision)
        draft.data = data
        if origins is not None:
            draft.origins = list(origins)
        elif len(draft.origins) != len(data.get("steps") or []):
            draft.origins = _origins_by_words(draft, data)
        draft.revision += 1
        draft.updated_by = user
        draft.decline_note = ""
        draft.save()
    return draft


def edit_draft(
    sop: Sop,
    user,
    *,
    revision: int,
    form: Mapping[str, str] | None = None,
    op: str = "",
) -> SopDraft:
    """The editor's change: the form's values, then one structural operation (``op``)."""
    check_editor(user, sop.office)
    with transaction.atomic():
        draft = _lock_draft(sop, revision)
        data, origins = draft.data, list(draft.origins)
        if form is not None:
            try:
                data = drafts.from_form(form, data)
            except drafts.StaleForm:
                raise Conflict(
                    _("The page shows an older draft: reload it and make your change again."),
                    "draft_stale",
                    revision=draft.revision,
                ) from None
        if op.startswith("add_action:") and op.count(":") == 2 and form is not None:
            _name, kind, index = op.split(":")  # the kind comes from the step's "new action"
            op = f"{op}:{form.get(f'{kind}-{index}-new_action', '')}"
        if op:
            data, origins = drafts.apply(data, origins, op)
        return save_draft(sop, user, data, revision=revision, origins=origins)


def _origins_by_words(draft: SopDraft, data: dict[str, Any]) -> list[str]:
    base = draft.base_version
    pairs = [(s.key, s.activity) for s in base.parsed.steps] if base is not None else []
    return drafts.match_origins(data, pairs)


def import_draft(sop: Sop, user, text: str, *, revision: int | None = None) -> SopDraft:
    """A YAML file (the documented format) as the flow's draft. A file that is not YAML, or
    not this office's flow, is refused; any other problem is kept in the draft and shown."""
    check_editor(user, sop.office)
    if len(text) > MAX_IMPORT:
        raise Invalid(_("The file is too large."), "file_too_large", field="file")
    data, errors = load_yaml(text, f"{sop.code}.yaml")
    if errors:
        raise Invalid(errors[0].translated(), "yaml_invalid", field="file")
    if not isinstance(data, dict):
        raise Invalid(
            _("The file must be a mapping with format, office, code, name, roles, steps."),
            "draft_invalid",
            field="file",
        )
    if (data.get("office"), data.get("code")) != (sop.office.code, sop.code):
        raise Invalid(
            _("This file is the flow %(got)s, not %(flow)s of office %(office)s.")
            % {
                "got": f"{data.get('office')}/{data.get('code')}",
                "flow": sop.code,
                "office": sop.office.code,
            },
            "wrong_flow",
            field="file",
        )
    with transaction.atomic():
        if draft_of(sop) is None:
            _start(sop, user)
        draft = _lock_draft(sop, revision)
        draft = save_draft(
            sop,
            user,
            data,
            revision=draft.revision,
            origins=_origins_by_words(draft, data),
        )
        changelog.record(
            sop.office,
            ChangeLog.Subject.SOP,
            ChangeLog.Action.IMPORTED,
            user,
            code=sop.code,
            details={"revision": draft.revision},
        )
    return draft


def discard_draft(sop: Sop, user, *, revision: int | None = None) -> None:
    check_editor(user, sop.office)
    with transaction.atomic():
        draft = _lock_draft(sop, revision, editing=False)
        draft.delete()
        changelog.record(
            sop.office, ChangeLog.Subject.SOP, ChangeLog.Action.DISCARDED, user, code=sop.code
        )


# --------------------------------------------------------------------------------------------
# Publishing


def removed_steps(draft: SopDraft, definition: SopDefinition) -> list[tuple[str, str]]:
    """The base version's steps the draft no longer has, as (key, activity)."""
    base = draft.base_version
    if base is None:
        return []
    old = base.parsed
    kept = set(draft.origins)
    removed = [(s.key, s.activity) for s in old.steps if s.key not in kept]
    new_side = {s.key for s in definition.side_steps}
    removed += [(s.key, s.activity) for s in old.side_steps if s.key not in new_side]
    return removed


def _ready(draft: SopDraft) -> SopDefinition:
    """The draft's definition when it may become a version; else why not."""
    result = inspect(draft)
    if not result.valid:
        raise Invalid(
            _("The draft has %(n)s problem(s); fix them before publishing.")
            % {"n": len(result.problems)},
            "draft_invalid",
            problems=[str(p) for p in result.problems],
        )
    definition = result.definition
    current = draft.sop.versions.order_by("-number").first()
    if current is not None and current.checksum == checksum(definition):
        raise Invalid(
            _("Nothing changed: the draft is version %(n)s as it is.") % {"n": current.number},
            "sop_unchanged",
        )
    refusals = []
    removed = removed_steps(draft, definition)
    for guard in _GUARDS.values():
        refusals += guard(draft.sop, draft.base_version, definition, removed)
    if refusals:
        raise Invalid(" ".join(refusals), "requests_under_way", problems=refusals)
    return definition


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid(_("Say why the SOP changes."), "reason_required", field="reason")
    if len(reason) > MAX_REASON:
        raise Invalid(_("The reason is too long."), "reason_long", field="reason")
    return reason


def _when(effective_at: datetime | None, now: datetime) -> datetime:
    return now if effective_at is None or effective_at < now else effective_at


@dataclass(frozen=True)
class Published:
    """What a publish did: stored ``version``, or submitted the draft for approval."""

    version: SopVersion | None = None
    draft: SopDraft | None = None

    @property
    def submitted(self) -> bool:
        return self.version is None


def _store(
    draft: SopDraft,
    definition: SopDefinition,
    *,
    user,
    reason: str,
    effective_at: datetime,
    origin: str,
    approved_by=None,
    now: datetime,
) -> SopVersion:
    version, _new = load_definition(
        definition,
        source_text=dump_yaml(to_data(definition)),
        source_name=f"{definition.office}-{definition.code}.yaml",
        user=user,
        origin=origin,
        reason=reason,
        effective_at=effective_at,
        approved_by=approved_by,
        approved_at=now if approved_by is not None else None,
        skip_known=False,
    )
    changelog.record(
        draft.sop.office,
        ChangeLog.Subject.SOP,
        ChangeLog.Action.PUBLISHED,
        user,
        code=draft.sop.code,
        number=version.number,
        reason=reason,
        details={
            "checksum": version.checksum,
            "effective_at": effective_at.isoformat(),
            "approved_by": approved_by.get_username() if approved_by is not None else "",
            "origin": origin,
        },
    )
    draft.delete()
    return version


def publish(
    sop: Sop,
    user,
    *,
    revision: int | None,
    reason: str,
    effective_at: datetime | None = None,
    origin: str = Origin.EDITOR,
) -> Published:
    """Publish the draft (administrator): a new version taking effect at ``effective_at`` (now
    when absent or past), or, when the office asks for approval, the draft submitted to the head
    of office. Locks the flow and its draft; refused while the draft has problems, when nothing
    changed, or when a guard refuses (requests at a removed step)."""
    check_editor(user, sop.office)
    reason = _reason(reason)
    now = timezone.now()
    with transaction.atomic():
        draft = _lock_draft(sop, revision)
        definition = _ready(draft)
        when = _when(effective_at, now)
        office = sop.office
        office.refresh_from_db(fields=["change_approval"])
        if office.change_approval:
            draft.state = DraftState.SUBMITTED
            draft.submitted_by = user
            draft.submitted_at = now
            draft.reason = reason
            draft.effective_at = when
            draft.decline_note = ""
            draft.revision += 1
            draft.save()
            changelog.record(
                office,
                ChangeLog.Subject.SOP,
                ChangeLog.Action.SUBMITTED,
                user,
                code=sop.code,
                reason=reason,
                details={"effective_at": when.isoformat(), "checksum": checksum(definition)},
            )
            return Published(draft=draft)
        version = _store(
            draft, definition, user=user, reason=reason, effective_at=when, origin=origin, now=now
        )
        return Published(version=version)


def _check_second_person(draft: SopDraft, user) -> None:
    if not can_approve(user, draft.sop.office):
        raise Forbidden(_("Only the head of office may approve a change."), "kadis_only")
    if draft.submitted_by_id == user.pk:
        raise Forbidden(
            _("A second person must approve: you submitted this change yourself."),
            "second_person_required",
        )


def approve(sop: Sop, user, *, revision: int | None = None) -> SopVersion:
    """The head of office approves the submitted draft: it is stored as a version, taking effect
    at the moment asked for (or now, when that has passed). Locks the flow and its draft."""
    now = timezone.now()
    with transaction.atomic():
        draft = _lock_draft(sop, revision, editing=False)
        if draft.state != DraftState.SUBMITTED:
            raise Conflict(_("This draft is not waiting for approval."), "draft_not_submitted")
        _check_second_person(draft, user)
        definition = _ready(draft)
        changelog.record(
            sop.office,
            ChangeLog.Subject.SOP,
            ChangeLog.Action.APPROVED,
            user,
            code=sop.code,
            reason=draft.reason,
        )
        return _store(
            draft,
            definition,
            user=draft.submitted_by,
            reason=draft.reason,
            effective_at=_when(draft.effective_at, now),
            origin=Origin.EDITOR,
            approved_by=user,
            now=now,
        )


def decline(sop: Sop, user, *, note: str, revision: int | None = None) -> SopDraft:
    """Send the submitted draft back to editing with a reason: the head of office (a second
    person), or the administrator who submitted it (withdrawing it)."""
    note = " ".join((note or "").split())
    if not note:
        raise Invalid(_("Say why the change is sent back."), "reason_required", field="note")
    with transaction.atomic():
        draft = _lock_draft(sop, revision, editing=False)
        if draft.state != DraftState.SUBMITTED:
            raise Conflict(_("This draft is not waiting for approval."), "draft_not_submitted")
        if draft.submitted_by_id != user.pk:
            _check_second_person(draft, user)
        draft.state = DraftState.EDITING
        draft.decline_note = note[:MAX_REASON]
        draft.revision += 1
        draft.save()
        changelog.record(
            sop.office,
            ChangeLog.Subject.SOP,
            ChangeLog.Action.DECLINED,
            user,
            code=sop.code,
            reason=note,
        )
    return draft


def set_approval(office: Office, user, required: bool) -> None:
    """Switch the office's approval rule: the head of office switches it either way; the
    administrator may only switch it on."""
    if not can_approve(user, office) and not (required and can_edit(user, office)):
        raise Forbidden(
            _("Only the head of office may switch off the approval of changes."), "kadis_only"
        )
    holders = StaffRole.objects.filter(role__office=office, role__code=APPROVER_ROLE)
    if required and not holders.exists():
        raise Invalid(
            _("Nobody holds the head of office's role (kadis) in this office to approve changes."),
            "no_approver",
        )
    with transaction.atomic():
        locked = Office.objects.select_for_update().get(pk=office.pk)
        if locked.change_approval == required:
            return
        locked.change_approval = required
        locked.save(update_fields=["change_approval", "updated_at"])
        changelog.record(
            office,
            ChangeLog.Subject.SOP,
            ChangeLog.Action.SETTING,
            user,
            details={"change_approval": required},
        )
    office.change_approval = required


# --------------------------------------------------------------------------------------------
# Reading versions


def export_yaml(version: SopVersion) -> tuple[str, str]:
    """(file name, YAML text) of ``version`` in the documented format: the file it was loaded
    from, or its definition written out. Either loads to the same checksum."""
    name = f"{version.sop.office.code}-{version.sop.code}-v{version.number}.yaml"
    if version.source_text:
        definition, errors = check_data(load_yaml(version.source_text)[0])
        if not errors and definition is not None and checksum(definition) == version.checksum:
            return name, version.source_text
    return name, dump_yaml(to_data(version.parsed))


def compare(before: SopVersion | SopDefinition, after: SopVersion | SopDefinition) -> Diff:
    def definition(item):
        return item.parsed if isinstance(item, SopVersion) else item

    return diff(definition(before), definition(after))


def history(sop: Sop) -> list[SopVersion]:
    """The flow's versions, newest first, with who published and approved them."""
    return list(sop.versions.select_related("created_by", "approved_by").order_by("-number"))


def pending_effective(sop: Sop, now: datetime | None = None) -> list[SopVersion]:
    """Versions published to take effect later (not current yet)."""
    return list(sop.versions.filter(effective_at__gt=now or timezone.now()).order_by("number"))


def draft_yaml(draft: SopDraft) -> str:
    """The draft as a YAML file of the format (it may still have problems)."""
    return dump_yaml(draft.data) if isinstance(draft.data, dict) else ""
