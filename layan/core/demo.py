"""The seed offices, their SOP presets and one demo user per role: what ``layan demo`` loads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from layan.core.errors import Invalid
from layan.offices.catalogue import PRESETS_DIR, load_office, load_services, read_catalogue
from layan.offices.models import Role, StaffRole
from layan.sop.definition import read_file
from layan.sop.services import load_definition
from layan.whatsapp.services import install_default_templates

SOP_PRESETS_DIR = Path(__file__).resolve().parents[1] / "sop" / "presets"
DEMO_OFFICES = ("solok", "waykanan", "balangan", "metro", "keliling")


@dataclass
class LoadReport:
    offices: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)


def load_presets(report: LoadReport | None = None) -> LoadReport:
    """Load every office catalogue and SOP preset shipped with Layan (idempotent)."""
    report = report or LoadReport()
    catalogues = []
    for path in sorted(PRESETS_DIR.glob("*.yaml")):
        data, errors = read_catalogue(path)
        if errors:
            raise Invalid("\n".join(errors), "catalogue_invalid")
        catalogues.append(data)
    sops = []
    for path in sorted(SOP_PRESETS_DIR.glob("*.yaml")):
        definition, errors = read_file(path)
        if errors:
            raise Invalid("\n".join(str(e) for e in errors), "sop_invalid")
        sops.append((path, definition))
    with transaction.atomic():
        offices = {data["code"]: load_office(data) for data in catalogues}
        for path, definition in sops:
            version, new = load_definition(
                definition, source_text=path.read_text(encoding="utf-8"), source_name=path.name
            )
            if new:
                report.new_versions.append(str(version))
        for data in catalogues:
            load_services(offices[data["code"]], data)
        for office in offices.values():
            install_default_templates(office)
    report.offices = sorted(offices)
    return report


def create_demo_staff(password: str) -> list[str]:
    """One user per staff role per office, named ``<office>.<role>``, plus ``admin``."""
    User = get_user_model()
    usernames = []
    with transaction.atomic():
        for role in Role.objects.filter(kind=Role.Kind.STAFF).select_related("office"):
            username = f"{role.office.code}.{role.code}"
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": role.name[:150], "is_staff": role.code == "admin"},
            )
            if created:
                user.set_password(password)
                user.save()
            StaffRole.objects.get_or_create(user=user, role=role)
            usernames.append(username)
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(password)
            admin.save()
    return ["admin", *sorted(usernames)]
