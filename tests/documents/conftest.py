"""Seed offices, demo staff with every role, and a helper that walks a request to a step."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from layan.cases import services as engine
from layan.cases.models import Case
from layan.offices.models import Office, Service
from tests.filling import data_for, form_data
from tests.signing import document_work, give_key


@pytest.fixture
def seeded(db):
    from layan.demo.loader import create_demo_staff, create_demo_teams, load_presets

    load_presets()
    create_demo_staff("demo-pass-123")
    create_demo_teams("demo-pass-123")


def officer(office_code: str):
    return get_user_model().objects.get(username=f"{office_code}.semua")


def new_case(office_code: str, service_code: str, **data) -> Case:
    service = Service.objects.get(office__code=office_code, code=service_code)
    return engine.submit_case(
        service=service,
        actor=engine.Actor.staff(officer(office_code)),
        applicant_name="Siti Rahmawati",
        applicant_nik="6311014506900001",
        submitter_kind="staff",
        form_data={**form_data(service), **data},
    )


def walk_to(case: Case, work: str) -> Case:
    """Take forward actions as the office's all-roles officer, doing each step's own work on the
    way, until the step does ``work`` (a document work, or ``visit``)."""
    user = officer(case.office.code)
    for _ in range(20):
        case.refresh_from_db()
        if case.step.document == work or (work == "visit" and case.step.visit):
            return case
        if document_work(case, user):
            continue  # signing took the step forward
        action = next(
            a
            for a in engine.allowed_actions(case, engine.Actor.staff(user))
            if a.kind in ("complete", "approve")
        )
        engine.perform_action(
            case, actor=engine.Actor.staff(user), action=action.id, data=data_for(case, action.kind)
        )
    raise AssertionError(f"{case.code} never reached a {work} step")


@pytest.fixture
def balangan_at_signing(seeded):
    """A Balangan KK request at the Kadis's signing step, the Kadis holding a key."""
    office = Office.objects.get(code="balangan")
    give_key(officer("balangan"), office)
    return walk_to(new_case("balangan", "kk"), "sign")
