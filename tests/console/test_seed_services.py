"""Every service of every seed office can be found and finished from the console alone.

The demo's sample request of each service is searched for, its requirements accepted, its data
typed at the data-entry step and each step's forward action taken, all through the console's
HTTP views as the office's all-roles demo officer, until the request is completed.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from layan.cases.models import Case, Status
from layan.offices.fields import fields_of
from tests.filling import form_post
from tests.signing import PASSPHRASE, give_key

OFFICES = ("solok", "waykanan", "balangan", "metro", "keliling")
FORWARD = ("complete", "approve")


@pytest.fixture
def demo_world(db, settings, tmp_path):
    from layan.demo.loader import (
        create_demo_requests,
        create_demo_staff,
        create_demo_teams,
        load_presets,
    )

    settings.MEDIA_ROOT = tmp_path / "media"
    load_presets()
    create_demo_staff("demo-pass-123")
    create_demo_teams("demo-pass-123")
    create_demo_requests()


def finish(client: Client, case: Case) -> list[str]:
    """Walk ``case`` to its end through the console; returns the steps passed."""
    from django.contrib.auth import get_user_model

    from layan.cases.services import Actor, allowed_actions

    user = get_user_model().objects.get(pk=int(client.session["_auth_user_id"]))
    passed = []
    for _ in range(40):
        case.refresh_from_db()
        if not case.is_open:
            return passed
        page = client.get(reverse("console:case", args=[case.code]))
        assert page.status_code == 200
        step = case.step
        for row in page.context["rows"]:
            if row.applies and not (row.check and row.check.verdict == "accepted"):
                client.post(
                    reverse("console:check", args=[case.code, row.requirement.code]),
                    {"version": case.version, "verdict": "accepted"},
                )
                case.refresh_from_db()
        if step.data_entry:
            response = client.post(
                reverse("console:save_data", args=[case.code]),
                {**form_post(fields_of(case.service)), "version": case.version},
            )
            assert response.status_code == 302, response.context["inputs"]
            case.refresh_from_db()
        if step.visit:
            do_visit(client, case)
            case.refresh_from_db()
        if step.document:
            do_document_work(client, case, step)
            case.refresh_from_db()
            if not case.is_open or case.step.key != step.key:
                passed.append(step.key)  # signing took the step forward
                continue
        actions = [a for a in allowed_actions(case, Actor.staff(user)) if a.kind in FORWARD]
        assert actions, f"{case.code}: no forward action at step {step.key} for {user}"
        if case.status == Status.WAITING_APPLICANT and page.context["step_is_staff"]:
            client.post(reverse("console:documents_received", args=[case.code]))
            case.refresh_from_db()
        client.post(
            reverse("console:act", args=[case.code, actions[0].id]),
            {"version": case.version, "note": "Selesai diperiksa"},
        )
        case.refresh_from_db()
        assert case.current_step_id is None or case.step.key != step.key or not case.is_open, (
            f"{case.code} did not move from step {step.key}"
        )
        passed.append(step.key)
    raise AssertionError(f"{case.code} did not finish")


def do_visit(client: Client, case: Case) -> None:
    """Plan the outreach visit on the request page and record the resident as recorded."""
    planned = client.post(
        reverse("console:schedule_visit", args=[case.code]),
        {"version": case.version, "day": "2030-01-07", "start": "09:00", "end": "11:00",
         "place": "Jl. Imam Bonjol No. 26", "team": "Tim perekaman 1"},
    )  # fmt: skip
    assert planned.status_code == 302
    visit = case.visits.get(outcome="planned")
    case.refresh_from_db()
    client.post(
        reverse("console:visit_outcome", args=[case.code, visit.pk]),
        {"version": case.version, "outcome": "recorded"},
    )
    assert case.visits.filter(outcome="recorded").exists()


def do_document_work(client: Client, case: Case, step) -> None:
    """Sign with the passphrase, record the card serial, record the hand-over: as the console's
    documents card offers them at the step."""
    page = client.get(reverse("console:case", args=[case.code]))
    if step.document == "sign":
        assert page.context["signing_key"] is not None
        response = client.post(
            reverse("console:sign", args=[case.code]),
            {"version": case.version, "passphrase": PASSPHRASE},
        )
        assert response.status_code == 302
        assert case.documents.filter(status="active").exists(), case.code
    elif step.document == "print" and page.context["doc_kind"].card:
        client.post(
            reverse("console:record_print", args=[case.code]),
            {"version": case.version, "serial": f"BLK-{case.pk:06d}"},
        )
        assert case.handover.card_serial
    elif step.document == "handover" and case.service.delivery != "pdf":
        client.post(
            reverse("console:record_handover", args=[case.code]),
            {"version": case.version, "received_by": case.applicant_name,
             "collected": ["old_card"]},
        )  # fmt: skip
        case.refresh_from_db()
        assert case.handover.handed_at is not None


@pytest.mark.parametrize("office", OFFICES)
def test_an_officer_finds_and_finishes_a_request_of_each_service(demo_world, office):
    from django.contrib.auth import get_user_model

    from layan.offices.models import Office

    client = Client()
    officer = get_user_model().objects.get(username=f"{office}.semua")
    give_key(officer, Office.objects.get(code=office))
    client.force_login(officer)
    cases = Case.objects.filter(office__code=office).select_related("service")
    assert cases.count() == Case.objects.filter(office__code=office).values("service").count()
    assert {c.service_id for c in cases} == set(
        cases.first().office.services.filter(is_active=True).values_list("pk", flat=True)
    )
    for case in cases:
        found = client.get(reverse("console:queue", args=["all"]), {"q": case.code})
        assert [c.code for c in found.context["page"].object_list] == [case.code]
        finish(client, case)
        case.refresh_from_db()
        assert case.status == Status.COMPLETED, case.code
        # Completed requests are in their service's register book, numbered from 1 a year.
        assert case.register_entry.number >= 1
