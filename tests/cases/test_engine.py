from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from layan.cases import services
from layan.cases.models import Case, CaseEvent, Status
from layan.cases.services import Actor
from layan.core.errors import Conflict, Forbidden, Invalid
from layan.offices.models import Service
from tests.factories import staff

WIB = ZoneInfo("Asia/Jakarta")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)


def submit(office, now=MONDAY_9, **kwargs):
    return services.submit_case(
        service=Service.objects.get(office=office),
        actor=Actor.applicant("Siti"),
        applicant_name=kwargs.pop("name", "Siti Aminah"),
        now=now,
        **kwargs,
    )


def act(case, user, action, note="", now=MONDAY_9, **kw):
    return services.perform_action(
        case.code, actor=Actor.staff(user), action=action, note=note, now=now, **kw
    )


def test_submission_completes_intake_and_waits_at_first_office_step(office):
    case = submit(office)
    assert case.status == Status.SUBMITTED
    assert case.current_step.key == "2"
    assert case.code.startswith("UJI-") and len(case.code) == 10
    kinds = list(case.events.values_list("kind", "from_step", "to_step"))
    assert kinds == [("submit", "", "1"), ("intake", "1", "2")]
    # Step 2 is due 10 working minutes after submission; the request one working day later.
    assert case.step_due_at == datetime(2026, 11, 23, 9, 10, tzinfo=WIB)
    assert case.due_at == datetime(2026, 11, 24, 9, 0, tzinfo=WIB)


def test_full_path_with_return_and_auto_receipt_completes(office, people):
    case = submit(office)
    case = act(case, people["operator"], "complete")
    assert (case.status, case.current_step.key) == (Status.IN_PROGRESS, "3")
    case = act(case, people["kasi"], "return", note="Nama ibu salah ketik")
    assert case.current_step.key == "2"
    case = act(case, people["operator"], "complete")
    case = act(case, people["kasi"], "approve")
    case = act(case, people["kadis"], "approve")
    # Step 5 (the applicant receiving) is automatic: the request is completed.
    assert case.status == Status.COMPLETED
    assert case.current_step is None and case.closed_at == MONDAY_9
    last = case.events.order_by("-seq").first()
    assert (last.kind, last.actor_kind, last.to_step) == ("auto", "system", "end")


def test_wrong_role_is_forbidden_and_changes_nothing(office, people):
    case = submit(office)
    with pytest.raises(Forbidden) as err:
        act(case, people["kasi"], "complete")
    assert err.value.code == "role_required"
    case.refresh_from_db()
    assert case.current_step.key == "2" and case.version == 1


def test_action_not_in_step_is_a_conflict(office, people):
    case = submit(office)
    with pytest.raises(Conflict) as err:
        act(case, people["operator"], "approve")
    assert err.value.code == "action_not_allowed"


@pytest.mark.parametrize("action", ["reject", "request_documents"])
def test_notes_are_required_for_reject_and_request_documents(office, people, action):
    case = submit(office)
    with pytest.raises(Invalid) as err:
        act(case, people["operator"], action, note="   ")
    assert err.value.code == "note_required"


def test_return_needs_a_note(office, people):
    case = act(submit(office), people["operator"], "complete")
    with pytest.raises(Invalid):
        act(case, people["kasi"], "return")


def test_stale_version_is_a_conflict(office, people):
    case = submit(office)
    seen = case.version
    act(case, people["operator"], "complete", expected_version=seen)
    with pytest.raises(Conflict) as err:
        act(case, people["operator"], "complete", expected_version=seen)
    assert err.value.code == "stale"


def test_reject_is_final(office, people):
    case = act(submit(office), people["operator"], "reject", note="Bukan warga kabupaten ini")
    assert case.status == Status.REJECTED and case.current_step is None
    with pytest.raises(Conflict) as err:
        act(case, people["operator"], "complete")
    assert err.value.code == "case_closed"


def test_request_documents_pauses_clocks_and_resume_restores_remaining_time(office, people):
    case = submit(office)  # step 2 due 09:10, request due Tue 09:00
    asked = datetime(2026, 11, 23, 9, 4, tzinfo=WIB)
    case = act(case, people["operator"], "request_documents", note="Foto KK buram", now=asked)
    assert case.status == Status.WAITING_APPLICANT and case.paused_at == asked
    assert case.step_remaining == pytest.approx(6)
    # The applicant answers the next morning: the step gets its remaining 6 minutes.
    answered = datetime(2026, 11, 24, 8, 0, tzinfo=WIB)
    case = services.documents_received(case.code, actor=Actor.applicant(), now=answered)
    assert case.status == Status.IN_PROGRESS and case.paused_at is None
    assert case.step_due_at == datetime(2026, 11, 24, 8, 6, tzinfo=WIB)
    assert case.current_step.key == "2"
    # The request lost no time either: it had 1 working day minus 4 minutes left.
    assert case.due_at > datetime(2026, 11, 25, 7, 30, tzinfo=WIB)


def test_escalation_to_side_step_and_back(office, people):
    case = act(submit(office), people["operator"], "escalate", note="Data ganda di SIAK")
    assert case.current_step.key == "data_ganda" and case.current_step.side
    with pytest.raises(Forbidden):
        act(case, people["operator"], "complete")
    case = act(case, people["admin_db"], "complete")
    assert case.current_step.key == "2"


def test_events_are_append_only(office, people):
    case = submit(office)
    event = case.events.first()
    event.note = "changed"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(case=case).update(note="x")
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(case=case).delete()


def test_invalid_nik_is_refused_with_its_reason(office):
    with pytest.raises(Invalid) as err:
        submit(office, applicant_nik="1808011302900")
    assert err.value.code == "nik_length"
    case = submit(office, applicant_nik="1808 0152 0290 0001")
    assert case.applicant_nik == "1808015202900001"


def test_claim_next_gives_most_urgent_and_never_twice(office, people):
    first = submit(office, now=MONDAY_9)
    second = submit(office, now=datetime(2026, 11, 23, 9, 30, tzinfo=WIB))
    other = staff(office, "operator", username="operator2")
    got1 = services.claim_next(office=office, role="operator", user=people["operator"])
    got2 = services.claim_next(office=office, role="operator", user=other)
    assert (got1.code, got2.code) == (first.code, second.code)
    assert services.claim_next(office=office, role="operator", user=other) is None
    with pytest.raises(Conflict):
        services.claim(first.code, user=other)


def test_claim_next_requires_the_role(office, people):
    submit(office)
    with pytest.raises(Forbidden):
        services.claim_next(office=office, role="operator", user=people["kasi"])


def test_sweep_flags_overdue_steps_once_and_records_alert(office, people):
    case = submit(office)
    late = datetime(2026, 11, 23, 10, 0, tzinfo=WIB)
    assert services.sweep_overdue(now=late) == 1
    assert services.sweep_overdue(now=late) == 0
    case.refresh_from_db()
    assert list(case.flags.values_list("code", flat=True)) == ["step_overdue"]
    alert = case.events.get(kind="alert")
    assert alert.actor_kind == "system" and "2" in alert.note
    # Moving on clears the step flag.
    case = act(case, people["operator"], "complete", now=late)
    assert not case.flags.filter(code="step_overdue").exists()


def test_waiting_requests_are_not_flagged(office, people):
    case = act(submit(office), people["operator"], "request_documents", note="Kurang KK")
    assert services.sweep_overdue(now=datetime(2026, 12, 1, 10, 0, tzinfo=WIB)) == 0
    assert Case.objects.get(pk=case.pk).flags.count() == 0


def test_request_keeps_its_sop_version_when_a_new_one_is_loaded(office, people):
    from layan.sop.definition import parse_text
    from layan.sop.services import load_definition
    from tests.factories import SIMPLE_SOP

    case = submit(office)
    changed = SIMPLE_SOP.format(office=office.code).replace(
        "minutes: 10\n    actions:\n      - {kind: complete}",
        "minutes: 20\n    actions:\n      - {kind: complete}",
    )
    definition, errors = parse_text(changed)
    assert not errors
    # Published (effective) at the moment the first request was submitted: from then on.
    version, new = load_definition(definition, effective_at=MONDAY_9)
    assert new and version.number == 2
    assert case.sop_version.number == 1
    case = act(case, people["operator"], "complete")
    assert case.sop_version.number == 1
    assert submit(office).sop_version.number == 2
