"""Editing an office's catalogue: per service its name, output, questions, requirements,
data-entry fields and pickup items, and the office's bot texts, with the SOP editor's pattern:
a draft, its problems, a publish that makes a version (with who, when and why), the head of
office's approval when the office asks for it, and the change log.

The catalogue's rows are shared by every request of a service, so a publish says what each
change does to the requests under way:

- a new requirement is asked of the requests submitted from the publish on (``applies_from``);
  the requests under way are not asked for it;
- a change the engine says would break requests under way (a data-entry field they already
  filled removed or changed so their values no longer fit, a requirement they are waiting for
  removed) is refused, naming them (:func:`register_guard`, filled by the engine);
- everything else (words, a field added, a question) applies to every request.

The checks are the loader's (:func:`layan.offices.catalogue.validate_service`) on each service
as the file would state it; the bot texts are checked by the bot, which registers how to read,
check and store them (:func:`register_texts`): this app does not know the bot.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from layan.core.errors import Conflict, Forbidden, Invalid, NotFound
from layan.offices import changelog
from layan.offices.catalogue import (
    EDITABLE,
    checksum,
    content_of,
    question_choices,
    record_loaded,
    texts,
    validate_service,
)
from layan.offices.models import (
    CatalogueDraft,
    CatalogueVersion,
    ChangeLog,
    ChangeState,
    Office,
    Requirement,
    Service,
)
from layan.offices.problems import Problem
from layan.offices.service_form import apply_op, service_from_form
from layan.offices.staff import APPROVER_ROLE, EDITOR_ROLE, holds_role

CONDITION_OPS = ("in", "eq", "gte", "gt", "lte", "lt")
MAX_REASON = 1000

# The parts of a service whose change applies to every request, in the officers' words.
SERVICE_PARTS = (
    ("name", _lazy("name")),
    ("short_name", _lazy("short name")),
    ("output", _lazy("output document")),
    ("questions", _lazy("questions")),
    ("fields", _lazy("data-entry fields")),
    ("bring_on_pickup", _lazy("what to bring on pickup")),
)


# --------------------------------------------------------------------------------------------
# Registration points (filled by the apps above at start-up)


# (office, service, old entry, new entry) -> refusals in words for the administrator.
Guard = Callable[[Office, Service, dict[str, Any], dict[str, Any]], list[str]]
_GUARDS: dict[str, Guard] = {}


def register_guard(name: str, guard: Guard) -> None:
    """Ask ``guard`` about every changed service before a catalogue version is published."""
    _GUARDS[name] = guard


# --------------------------------------------------------------------------------------------
# Who may


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
    if not (can_edit(user, office) or can_approve(user, office)):
        raise Forbidden(
            _("Only the office administrator and the head of office may see drafts."),
            "admin_only",
        )


# --------------------------------------------------------------------------------------------
# Checking a draft


def _as_file(entry: Mapping[str, Any], service: Service) -> dict[str, Any]:
    """A draft's service entry as the catalogue file would state it (choices as mappings), with
    what the editor does not change taken from the service."""
    item = {
        "code": service.code,
        "prefix": service.prefix,
        "sop": service.sop.code if service.sop_id else "",
        "document": service.document or None,
        "delivery": service.delivery,
        "complaint": service.is_complaint,
        "registry": service.registry or None,
        "forms": service.forms,
        **{key: copy.deepcopy(entry.get(key)) for key in EDITABLE if key in entry},
    }
    questions = []
    for question in item.get("questions") or []:
        if isinstance(question, dict) and question.get("kind") == "choice":
            question = {**question, "choices": dict(question_choices(question))}
        questions.append(question)
    item["questions"] = questions
    item["fields"] = _fields_as_file(item.get("fields"))
    return item


def _fields_as_file(raw: Any) -> Any:
    if not isinstance(raw, list):
        return raw
    out = []
    for spec in raw:
        if isinstance(spec, dict):
            spec = dict(spec)
            if isinstance(spec.get("choices"), list):
                spec["choices"] = {str(v): str(label) for v, label in spec["choices"]}
            if isinstance(spec.get("columns"), list):
                spec["columns"] = _fields_as_file(spec["columns"])
        out.append(spec)
    return out


@dataclass
class Inspection:
    """A catalogue draft's problems: per service (all, and by item "requirement:code",
    "question:code", "field:code", "bring"), and per bot text key."""

    draft: CatalogueDraft
    by_service: dict[str, list[Problem]] = field(default_factory=dict)
    by_item: dict[tuple[str, str], list[Problem]] = field(default_factory=dict)
    texts: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return (
            sum(len(v) for v in self.by_service.values())
            + sum(len(v) for v in self.texts.values())
            + len(self.general)
        )

    @property
    def valid(self) -> bool:
        return self.count == 0


def _item_of(problem: Problem, code: str) -> str:
    """Which row of the service's form ``problem`` is about."""
    rest = problem.where.removeprefix(f"service {code}").lstrip(": ")
    for kind in ("requirement", "question", "field"):
        if rest.startswith(f"{kind} "):
            return f"{kind}:{rest.split(' ', 1)[1].split(':', 1)[0]}"
    if rest.startswith("bring_on_pickup"):
        return "bring"
    return ""


def inspect(draft: CatalogueDraft) -> Inspection:
    result = Inspection(draft)
    data = draft.data if isinstance(draft.data, dict) else {}
    services = {s.code: s for s in draft.office.services.select_related("sop")}
    entries = data.get("services") if isinstance(data.get("services"), list) else []
    seen = set()
    for entry in entries:
        code = entry.get("code") if isinstance(entry, dict) else None
        if code not in services or code in seen:
            result.general.append(
                _("The draft names a service the office does not have: %(code)s") % {"code": code}
            )
            continue
        seen.add(code)
        problems = validate_service(_as_file(entry, services[code]))
        result.by_service[code] = problems
        for problem in problems:
            result.by_item.setdefault((code, _item_of(problem, code)), []).append(problem)
    raw_texts = data.get("texts") if isinstance(data.get("texts"), dict) else {}
    known = {key for key, _id, _en in texts().defaults()}
    for key, languages in raw_texts.items():
        if key not in known or not isinstance(languages, dict):
            result.texts.setdefault(key, []).append(
                _("There is no bot text %(key)s.") % {"key": key}
            )
            continue
        for language, text in languages.items():
            if language not in ("id", "en") or not isinstance(text, str):
                result.texts.setdefault(key, []).append(_("Only Indonesian and English texts."))
                continue
            problem = texts().check(key, text)
            if problem:
                result.texts.setdefault(key, []).append(problem)
    result.by_service = {k: v for k, v in result.by_service.items() if v}
    return result


# --------------------------------------------------------------------------------------------
# What a change does to the requests under way


@dataclass(frozen=True)
class Impact:
    service: str  # code ("" for the bot texts)
    kind: str  # "refused", "new_only" or "all"
    message: str


def _by_code(items: Any) -> dict[str, dict]:
    return {i.get("code"): i for i in items or [] if isinstance(i, dict) and i.get("code")}


def impact(draft: CatalogueDraft, *, guards: bool = True) -> list[Impact]:
    """What publishing the draft does, per service: what is refused (and why, naming the
    requests), what applies to new requests only, what applies to every request."""
    office = draft.office
    current = {e["code"]: e for e in content_of(office)["services"]}
    data = draft.data if isinstance(draft.data, dict) else {}
    services = {s.code: s for s in office.services.all()}
    impacts: list[Impact] = []
    for entry in data.get("services") or []:
        code = entry.get("code") if isinstance(entry, dict) else None
        old = current.get(code)
        if old is None or code not in services:
            continue
        new = {key: entry.get(key) for key in ("code", *EDITABLE)}
        if new == old:
            continue
        if guards:
            for guard in _GUARDS.values():
                impacts += [
                    Impact(code, "refused", message)
                    for message in guard(office, services[code], old, new)
                ]
        old_reqs, new_reqs = _by_code(old["requirements"]), _by_code(new["requirements"])
        for rcode, req in new_reqs.items():
            if rcode not in old_reqs:
                impacts.append(
                    Impact(
                        code,
                        "new_only",
                        _(
                            "New requirement %(label)s: asked of the requests submitted from now"
                            " on; the requests under way are not asked for it."
                        )
                        % {"label": req.get("label") or rcode},
                    )
                )
        changed = [str(label) for key, label in SERVICE_PARTS if old.get(key) != new.get(key)]
        changed += [
            _("requirement %(label)s") % {"label": (old_reqs[rcode] or {}).get("label") or rcode}
            for rcode in old_reqs
            if rcode not in new_reqs or old_reqs[rcode] != new_reqs[rcode]
        ]
        if changed:
            impacts.append(
                Impact(
                    code,
                    "all",
                    _("Applies to every request, also those under way: %(what)s.")
                    % {"what": ", ".join(changed)},
                )
            )
    if (data.get("texts") or {}) != texts().current(office):
        impacts.append(Impact("", "all", _("The bot's texts change for every conversation.")))
    return impacts


# --------------------------------------------------------------------------------------------
# Drafts


def draft_of(office: Office) -> CatalogueDraft | None:
    return CatalogueDraft.objects.filter(office=office).select_related("office").first()


def _latest(office: Office) -> CatalogueVersion | None:
    return office.catalogue_versions.order_by("-number").first()


def _start(office: Office, user) -> CatalogueDraft:
    if _latest(office) is None:  # the catalogue as it is: the first version to compare with
        record_loaded(office)
    return CatalogueDraft.objects.create(
        office=office,
        data=content_of(office),
        base_version=_latest(office),
        created_by=user,
        updated_by=user,
    )


def open_draft(office: Office, user) -> CatalogueDraft:
    check_editor(user, office)
    with transaction.atomic():
        Office.objects.select_for_update().get(pk=office.pk)
        return draft_of(office) or _start(office, user)


def read_draft(office: Office, user) -> CatalogueDraft:
    check_reader(user, office)
    draft = draft_of(office)
    if draft is None:
        if not can_edit(user, office):
            raise NotFound(_("The catalogue has no draft."), "draft_not_found")
        return open_draft(office, user)
    return draft


def _lock(office: Office, revision: int | None, *, editing: bool = True) -> CatalogueDraft:
    Office.objects.select_for_update().get(pk=office.pk)
    draft = CatalogueDraft.objects.select_for_update().filter(office=office).first()
    if draft is None and revision is not None:  # published or discarded by someone meanwhile
        raise Conflict(
            _("The draft was published or discarded meanwhile: reload the page."), "draft_gone"
        )
    if draft is None:
        raise NotFound(_("The catalogue has no draft."), "draft_not_found")
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
    if editing and draft.state == ChangeState.SUBMITTED:
        raise Conflict(
            _("The draft waits for the head of office's approval; it cannot be changed now."),
            "draft_submitted",
        )
    return draft


def save_draft(office: Office, user, data: Any, *, revision: int | None) -> CatalogueDraft:
    """Replace the catalogue draft's content (administrator); locks the office's draft."""
    check_editor(user, office)
    if not isinstance(data, dict) or not isinstance(data.get("services"), list):
        raise Invalid(_("The draft must have the office's services."), "draft_invalid")
    with transaction.atomic():
        if draft_of(office) is None:
            _start(office, user)
        draft = _lock(office, revision)
        draft.data = data
        draft.revision += 1
        draft.updated_by = user
        draft.decline_note = ""
        draft.save()
    return draft


def entry(draft: CatalogueDraft, code: str) -> dict[str, Any]:
    for item in (draft.data or {}).get("services") or []:
        if isinstance(item, dict) and item.get("code") == code:
            return item
    raise NotFound(_("Service not found."), "service_not_found")


def edit_service(
    office: Office,
    user,
    code: str,
    *,
    revision: int,
    form: Mapping[str, str] | None = None,
    op: str = "",
) -> CatalogueDraft:
    """The catalogue editor's change of one service: its form, then one row operation."""
    check_editor(user, office)
    with transaction.atomic():
        draft = _lock(office, revision)
        data = copy.deepcopy(draft.data)
        current = entry(draft, code) and next(
            i for i in data["services"] if isinstance(i, dict) and i.get("code") == code
        )
        try:
            if form is not None:
                current.update(service_from_form(form, current))
        except ValueError:
            raise Conflict(
                _("The page shows an older draft: reload it and make your change again."),
                "draft_stale",
                revision=draft.revision,
            ) from None
        if op:
            current.update(apply_op(current, op))
        return save_draft(office, user, data, revision=revision)


def edit_texts(office: Office, user, *, revision: int, form: Mapping[str, str]) -> CatalogueDraft:
    """The office's own bot texts from the form (an empty text: the default again)."""
    check_editor(user, office)
    with transaction.atomic():
        draft = _lock(office, revision)
        data = copy.deepcopy(draft.data)
        own: dict[str, dict[str, str]] = {}
        for key, _id, _en in texts().defaults():
            for language in ("id", "en"):
                text = (form.get(f"t-{key}-{language}") or "").strip()
                if text:
                    own.setdefault(key, {})[language] = text
        data["texts"] = own
        return save_draft(office, user, data, revision=revision)


def discard_draft(office: Office, user, *, revision: int | None = None) -> None:
    check_editor(user, office)
    with transaction.atomic():
        _lock(office, revision, editing=False).delete()
        changelog.record(office, ChangeLog.Subject.CATALOGUE, ChangeLog.Action.DISCARDED, user)


# --------------------------------------------------------------------------------------------
# Publishing


def _ready(draft: CatalogueDraft) -> None:
    result = inspect(draft)
    if not result.valid:
        raise Invalid(
            _("The draft has %(n)s problem(s); fix them before publishing.") % {"n": result.count},
            "draft_invalid",
        )
    latest = _latest(draft.office)
    if checksum(draft.data) == checksum(content_of(draft.office)) or (
        latest is not None and latest.checksum == checksum(draft.data)
    ):
        raise Invalid(_("Nothing changed in the catalogue."), "catalogue_unchanged")
    refused = [i.message for i in impact(draft) if i.kind == "refused"]
    if refused:
        raise Invalid(" ".join(refused), "requests_under_way", problems=refused)


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid(_("Say why the catalogue changes."), "reason_required", field="reason")
    if len(reason) > MAX_REASON:
        raise Invalid(_("The reason is too long."), "reason_long", field="reason")
    return reason


def apply_content(office: Office, content: Mapping[str, Any], *, now=None, new_only=True) -> None:
    """Make ``content`` the office's catalogue rows: each service's editable part, its
    requirements (a new one asked only of requests from ``now`` when ``new_only``), and the
    bot texts."""
    now = now or timezone.now()
    services = {s.code: s for s in office.services.all()}
    for item in content.get("services") or []:
        service = services[item["code"]]
        for key in ("name", "short_name", "output"):
            setattr(service, key, str(item.get(key) or ""))
        for key in ("questions", "fields", "bring_on_pickup"):
            setattr(service, key, copy.deepcopy(item.get(key) or []))
        service.save()
        keep = []
        existing = {r.code: r for r in service.requirements.all()}
        for position, req in enumerate(item.get("requirements") or [], start=1):
            row = existing.get(req["code"]) or Requirement(
                service=service, code=req["code"], applies_from=now if new_only else None
            )
            row.label = req["label"]
            row.kind = req["kind"]
            row.required = bool(req.get("required", True))
            row.condition = req.get("when")
            row.position = position
            row.save()
            keep.append(req["code"])
        service.requirements.exclude(code__in=keep).delete()
    if "texts" in content:
        texts().store(office, content.get("texts") or {})


def _store(
    draft: CatalogueDraft, *, user, reason: str, origin: str, approved_by=None
) -> CatalogueVersion:
    office = draft.office
    now = timezone.now()
    apply_content(office, draft.data, now=now)
    content = content_of(office)
    number = (office.catalogue_versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = CatalogueVersion.objects.create(
        office=office,
        number=number,
        checksum=checksum(content),
        data=content,
        origin=origin,
        reason=reason,
        created_by=user,
        approved_by=approved_by,
        approved_at=now if approved_by is not None else None,
    )
    changelog.record(
        office,
        ChangeLog.Subject.CATALOGUE,
        ChangeLog.Action.PUBLISHED,
        user,
        number=number,
        reason=reason,
        details={
            "checksum": version.checksum,
            "approved_by": approved_by.get_username() if approved_by is not None else "",
            "origin": origin,
        },
    )
    draft.delete()
    return version


@dataclass(frozen=True)
class Published:
    version: CatalogueVersion | None = None
    draft: CatalogueDraft | None = None

    @property
    def submitted(self) -> bool:
        return self.version is None


def publish(
    office: Office, user, *, revision: int | None, reason: str, origin: str = "editor"
) -> Published:
    """Publish the catalogue draft (administrator): the services' rows and the bot texts
    change now, or, when the office asks for approval, the draft waits for the head of office.
    Locks the office's draft; refused while it has problems, when nothing changed, or when a
    change would break requests under way."""
    check_editor(user, office)
    reason = _reason(reason)
    with transaction.atomic():
        draft = _lock(office, revision)
        _ready(draft)
        office.refresh_from_db(fields=["change_approval"])
        if office.change_approval:
            draft.state = ChangeState.SUBMITTED
            draft.submitted_by = user
            draft.submitted_at = timezone.now()
            draft.reason = reason
            draft.decline_note = ""
            draft.revision += 1
            draft.save()
            changelog.record(
                office, ChangeLog.Subject.CATALOGUE, ChangeLog.Action.SUBMITTED, user, reason=reason
            )
            return Published(draft=draft)
        return Published(version=_store(draft, user=user, reason=reason, origin=origin))


def _second_person(draft: CatalogueDraft, user) -> None:
    if not can_approve(user, draft.office):
        raise Forbidden(_("Only the head of office may approve a change."), "kadis_only")
    if draft.submitted_by_id == user.pk:
        raise Forbidden(
            _("A second person must approve: you submitted this change yourself."),
            "second_person_required",
        )


def approve(office: Office, user, *, revision: int | None = None) -> CatalogueVersion:
    with transaction.atomic():
        draft = _lock(office, revision, editing=False)
        if draft.state != ChangeState.SUBMITTED:
            raise Conflict(_("This draft is not waiting for approval."), "draft_not_submitted")
        _second_person(draft, user)
        _ready(draft)
        changelog.record(
            office,
            ChangeLog.Subject.CATALOGUE,
            ChangeLog.Action.APPROVED,
            user,
            reason=draft.reason,
        )
        return _store(
            draft, user=draft.submitted_by, reason=draft.reason, origin="editor", approved_by=user
        )


def decline(office: Office, user, *, note: str, revision: int | None = None) -> CatalogueDraft:
    note = " ".join((note or "").split())
    if not note:
        raise Invalid(_("Say why the change is sent back."), "reason_required", field="note")
    with transaction.atomic():
        draft = _lock(office, revision, editing=False)
        if draft.state != ChangeState.SUBMITTED:
            raise Conflict(_("This draft is not waiting for approval."), "draft_not_submitted")
        if draft.submitted_by_id != user.pk:
            _second_person(draft, user)
        draft.state = ChangeState.EDITING
        draft.decline_note = note[:MAX_REASON]
        draft.revision += 1
        draft.save()
        changelog.record(
            office, ChangeLog.Subject.CATALOGUE, ChangeLog.Action.DECLINED, user, reason=note
        )
    return draft


# --------------------------------------------------------------------------------------------
# Versions


def history(office: Office) -> list[CatalogueVersion]:
    return list(
        office.catalogue_versions.select_related("created_by", "approved_by").order_by("-number")
    )


def version_of(office: Office, number: int) -> CatalogueVersion:
    found = office.catalogue_versions.filter(number=number).first()
    if found is None:
        raise NotFound(
            _("Version %(n)s of the catalogue not found.") % {"n": number}, "version_not_found"
        )
    return found


@dataclass(frozen=True)
class ServiceChange:
    code: str
    name: str
    changes: tuple[tuple[str, str, Any, Any], ...]  # (what, key, old, new)


def compare(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[ServiceChange]:
    """Per service, what changed between two catalogue contents (requirements, questions,
    fields and pickup items by code or position, and the words); the bot texts as a service
    with the code ``""``."""
    old_services = {e.get("code"): e for e in before.get("services") or []}
    result = []
    for new in after.get("services") or []:
        code = new.get("code")
        old = old_services.get(code) or {}
        changes: list[tuple[str, str, Any, Any]] = []
        for key in ("name", "short_name", "output"):
            if old.get(key) != new.get(key):
                changes.append((key, "", old.get(key), new.get(key)))
        for key in ("requirements", "questions", "fields"):
            a, b = _by_code(old.get(key)), _by_code(new.get(key))
            for item_code in [*a, *(c for c in b if c not in a)]:
                if a.get(item_code) != b.get(item_code):
                    changes.append((key, item_code, a.get(item_code), b.get(item_code)))
        if old.get("bring_on_pickup") != new.get("bring_on_pickup"):
            changes.append(
                ("bring_on_pickup", "", old.get("bring_on_pickup"), new.get("bring_on_pickup"))
            )
        if changes:
            result.append(ServiceChange(code, new.get("name") or code, tuple(changes)))
    old_texts, new_texts = before.get("texts") or {}, after.get("texts") or {}
    text_changes = tuple(
        ("texts", key, old_texts.get(key), new_texts.get(key))
        for key in sorted(set(old_texts) | set(new_texts))
        if old_texts.get(key) != new_texts.get(key)
    )
    if text_changes:
        result.append(ServiceChange("", "", text_changes))
    return result
