"""Every staff role × every action × every step of every seed flow, through the API.

An action is allowed exactly where the SOP says: the step's performing role (or, for a step the
applicant performs, the officer who records it) may take the step's own actions (200); anyone
else gets 403 for them; an action the step does not have is 409 for everybody.
"""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from layan.api.models import ApiToken
from layan.cases import services
from layan.cases.models import Case, Status
from layan.cases.services import Actor
from layan.cases.work import missing as step_work_missing
from layan.offices.models import Role, Service, StaffRole
from layan.sop.models import SopStep
from tests.filling import form_data

pytestmark = pytest.mark.django_db

FLOWS = [
    ("solok", "marawa"),
    ("waykanan", "kk-baru"),
    ("waykanan", "skpwni"),
    ("waykanan", "ktp-el-penggantian"),
    ("waykanan", "kia-baru"),
    ("waykanan", "akta-kelahiran"),
    ("waykanan", "akta-kematian"),
    ("waykanan", "pengaduan"),
    ("balangan", "dik-jamila"),
    ("metro", "dukcapil-siaga"),
    ("keliling", "motor-keliling"),
]


@pytest.mark.parametrize(("office", "flow"), FLOWS)
def test_only_the_sops_role_may_take_each_action(client, presets, office, flow):
    service = Service.objects.filter(office__code=office, sop__code=flow).first()
    version = service.sop.current_version
    definition = version.parsed
    roles = list(Role.objects.filter(office__code=office, kind=Role.Kind.STAFF))
    tokens = {}
    for role in roles:
        holder = StaffRole.objects.filter(role=role).select_related("user").first().user
        tokens[role.code] = "Bearer " + ApiToken.issue(holder)[1]
    every_action = sorted({a.id for s in definition.all_steps for a in s.actions} | {"escalate"})
    case = services.submit_case(
        service=service,
        actor=Actor.applicant(),
        applicant_name="Uji",
        form_data=form_data(service),  # typed data: data-entry steps may be completed
    )
    checked = allowed = 0
    for step in definition.all_steps:
        if step.intake or step.auto:
            continue  # done by the submission or the system, never by an officer
        # Put the request at this step (a test shortcut; the engine itself never jumps).
        Case.objects.filter(pk=case.pk).update(
            current_step=SopStep.objects.get(version=version, key=step.key),
            status=Status.IN_PROGRESS,
            paused_at=None,
        )
        case.refresh_from_db()
        owner = definition.acting_role(step)
        here = {a.id for a in step.actions}
        # The owner's forward actions at a sign/print/hand-over/visit step wait for it (422).
        gated = step_work_missing(case, step) is not None
        forward = {a.id for a in step.actions if a.kind in ("complete", "approve")}
        for role in roles:
            for action in every_action:
                owned = role.code == owner
                expected = 409 if action not in here else 200 if owned else 403
                if expected == 200 and gated and action in forward:
                    expected = 422
                with transaction.atomic():
                    response = client.post(
                        f"/api/v1/cases/{case.code}/actions",
                        data=json.dumps({"action": action, "note": "Catatan uji"}),
                        content_type="application/json",
                        HTTP_AUTHORIZATION=tokens[role.code],
                    )
                    transaction.set_rollback(True)
                assert response.status_code == expected, (
                    f"{flow} step {step.key}: {role.code} {action} → "
                    f"{response.status_code} {response.content[:200]!r}"
                )
                checked += 1
                allowed += expected in (200, 422)
        assert any(r.code == owner for r in roles), f"nobody holds {owner} at step {step.key}"
    assert allowed >= len(definition.steps) - sum(s.intake or s.auto for s in definition.steps)
    assert checked > allowed
