"""Storing SOP definitions as versions; the presets (one file per seed flow) ship in
``layan/sop/presets``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from layan.core.errors import Invalid
from layan.offices.models import Office, Role
from layan.sop.definition import SopDefinition, read_file
from layan.sop.models import Sop, SopStep, SopVersion

PRESETS_DIR = Path(__file__).resolve().parent / "presets"


def checksum(definition: SopDefinition) -> str:
    canonical = json.dumps(definition.as_json(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def load_definition(
    definition: SopDefinition, *, source_text: str = "", source_name: str = "", user=None
) -> tuple[SopVersion, bool]:
    """Store ``definition`` as the next version of its flow; unchanged content is not stored
    again. Returns the version and whether it is new."""
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
        existing = sop.versions.filter(checksum=digest).first()
        if existing is not None:
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
