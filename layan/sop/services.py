"""Storing SOP definitions as versions; the presets (one file per seed flow) ship in
``layan/sop/presets``. ``layan sop load`` and the console's editor (``layan.sop.editing``) store
through :func:`load_definition`, so the same content is the same version (the same checksum)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop as N_

from layan.core.errors import Invalid
from layan.offices.models import Office, Role
from layan.sop.definition import SopDefinition, SopError, read_file
from layan.sop.models import Origin, Sop, SopStep, SopVersion

PRESETS_DIR = Path(__file__).resolve().parent / "presets"


def checksum(definition: SopDefinition) -> str:
    canonical = json.dumps(definition.as_json(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def load_definition(
    definition: SopDefinition,
    *,
    source_text: str = "",
    source_name: str = "",
    user=None,
    origin: str = Origin.FILE,
    reason: str = "",
    effective_at: datetime | None = None,
    approved_by=None,
    approved_at: datetime | None = None,
    skip_known: bool = True,
) -> tuple[SopVersion, bool]:
    """Store ``definition`` as the next version of its flow, taking effect at ``effective_at``
    (now by default). With ``skip_known`` (a file), content stored before is not stored again.
    Returns the version and whether it is new. Locks the flow's row: two publishes of one flow
    take numbers one after the other."""
    try:
        office = Office.objects.get(code=definition.office)
    except Office.DoesNotExist:
        raise Invalid(
            _("Office %(office)s does not exist; load its catalogue first.")
            % {"office": definition.office},
            "office_missing",
        ) from None
    digest = checksum(definition)
    with transaction.atomic():
        sop, _created = Sop.objects.select_for_update().get_or_create(
            office=office, code=definition.code, defaults={"name": definition.name}
        )
        existing = sop.versions.filter(checksum=digest).order_by("-number").first()
        if existing is not None and skip_known:
            return existing, False
        roles = _ensure_roles(office, definition)
        if sop.name != definition.name:
            sop.name = definition.name
            sop.save(update_fields=["name"])
        number = (sop.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = SopVersion.objects.create(
            sop=sop,
            number=number,
            checksum=digest,
            definition=definition.as_json(),
            source_text=source_text,
            source_name=source_name,
            step_count=len(definition.steps),
            total_minutes=definition.total_minutes,
            created_by=user,
            origin=origin,
            reason=reason,
            effective_at=effective_at or timezone.now(),
            approved_by=approved_by,
            approved_at=approved_at,
        )
        SopStep.objects.bulk_create(
            SopStep(
                version=version,
                key=step.key,
                number=step.number,
                position=position,
                role=roles[step.role],
                acting_role=roles.get(definition.acting_role(step)),
                activity=step.activity,
                minutes=step.minutes,
                output=step.output[:300],
                side=step.side,
                visible_to_applicant=step.visible,
                applicant_text=step.applicant_text[:300],
            )
            for position, step in enumerate(definition.all_steps, start=1)
        )
    return version, True


def role_problems(office: Office, definition: SopDefinition, file: str = "") -> list[SopError]:
    """The flow's swimlanes that clash with the office's roles: a code the office already uses
    for another kind of role (staff are given roles by code, across every flow)."""
    kinds = dict(office.roles.values_list("code", "kind"))
    problems = []
    for role in definition.roles:
        kind = kinds.get(role.code)
        if kind is not None and kind != role.kind:
            template = N_("role %(role)s is a %(kind)s role in this office, not %(declared)s")
            params = {"role": role.code, "kind": kind, "declared": role.kind}
            problems.append(
                SopError(file, None, template % params, template, tuple(params.items()), "roles")
            )
    return problems


def _ensure_roles(office: Office, definition: SopDefinition) -> dict[str, Role]:
    roles: dict[str, Role] = {}
    for declared in definition.roles:
        role, _created = Role.objects.get_or_create(
            office=office,
            code=declared.code,
            defaults={"name": declared.label, "kind": declared.kind},
        )
        if role.kind != declared.kind:
            raise Invalid(
                _("Role %(role)s is a %(kind)s role in this office, not %(declared)s.")
                % {"role": declared.code, "kind": role.kind, "declared": declared.kind},
                "role_kind",
            )
        roles[declared.code] = role
    return roles


def load_file(path: str | Path, *, user=None) -> tuple[SopVersion, bool]:
    definition, errors = read_file(path)
    if errors:
        raise Invalid("\n".join(str(e) for e in errors), "sop_invalid")
    text = Path(path).read_text(encoding="utf-8")
    return load_definition(definition, source_text=text, source_name=Path(path).name, user=user)
