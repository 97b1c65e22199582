"""The engine announces what happened once the request row holds its new state, exactly once per
change; receivers run as part of the transaction, isolated, or after the commit, and only those
that are part of the transaction by design can make an officer's action fail."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pytest
from django.db import transaction

from layan.cases import events, flags, services
from layan.cases.models import Case, CaseEvent, CaseFlag, Status
from layan.cases.services import Actor
from layan.core.errors import RecordingFailed
from layan.core.events import EVENTS, after_commit, isolated
from layan.registry.models import Region
from tests.cases.test_engine import MONDAY_9, act, submit
from tests.factories import staff

CASE_EVENTS = [
    events.request_submitted,
    events.step_entered,
    events.documents_requested,
    events.documents_received,
    events.request_completed,
    events.request_rejected,
    events.request_flagged,
]


@contextmanager
def heard():
    """Every case event sent meanwhile, with the request as the database holds it then."""
    seen: list[dict] = []

    def listen(signal):
        def receiver(sender, case, event, **kwargs):
            row = Case.objects.select_related("current_step").get(pk=case.pk)
            seen.append(
                {
                    "event": signal.name,
                    "kind": event.kind,
                    "saved_event": CaseEvent.objects.filter(pk=event.pk).exists(),
                    "status": row.status,
                    "at": row.current_step.key if row.current_step else None,
                    "step_due_at": row.step_due_at,
                    "due_at": row.due_at,
                    "version": row.version,
                    **{k: v for k, v in kwargs.items() if k not in ("actor", "step")},
                    "entered": kwargs["step"].key if "step" in kwargs else None,
                }
            )

        return receiver

    receivers = {signal: listen(signal) for signal in CASE_EVENTS}
    for signal, receiver in receivers.items():
        signal.connect(receiver, dispatch_uid=f"test-{signal.name}")
    try:
        yield seen
    finally:
        for signal in receivers:
            signal.disconnect(dispatch_uid=f"test-{signal.name}")


def test_submission_announces_the_request_then_each_step_entered_with_the_saved_state(office):
    with heard() as seen:
        case = submit(office)
    assert [(s["event"], s["kind"], s["entered"]) for s in seen] == [
        ("request_submitted", "submit", None),
        ("step_entered", "submit", "1"),  # the intake step, passed straight through
        ("step_entered", "intake", "2"),
    ]
    for item in seen:
        assert item["saved_event"] and item["status"] == Status.SUBMITTED and item["at"] == "2"
        assert (item["step_due_at"], item["due_at"]) == (case.step_due_at, case.due_at)


def test_each_action_is_announced_once_after_the_request_holds_its_new_step(office, people):
    case = submit(office)
    with heard() as seen:
        moved = act(case, people["operator"], "complete")
    (entered,) = seen
    assert entered["event"] == "step_entered" and entered["kind"] == "complete"
    assert entered["entered"] == entered["at"] == "3" and entered["version"] == moved.version
    assert entered["step_due_at"] == moved.step_due_at and entered["status"] == Status.IN_PROGRESS


def test_completion_is_announced_once_with_the_closed_request(office, people):
    case = submit(office)
    case = act(case, people["operator"], "complete")
    case = act(case, people["kasi"], "approve")
    with heard() as seen:
        done = act(case, people["kadis"], "approve")
    assert [(s["event"], s["kind"]) for s in seen] == [
        ("step_entered", "approve"),  # the automatic receipt step
        ("request_completed", "auto"),
    ]
    assert all(s["status"] == Status.COMPLETED and s["at"] is None for s in seen)
    assert seen[0]["entered"] == "5"
    assert done.status == Status.COMPLETED


def test_rejection_request_for_documents_and_their_answer_are_announced(office, people):
    case = submit(office)
    with heard() as seen:
        waiting = act(case, people["operator"], "request_documents", note="KK buram")
    (asked,) = seen
    assert asked["event"] == "documents_requested" and asked["items"] == []
    assert asked["status"] == Status.WAITING_APPLICANT
    with heard() as seen:
        services.documents_received(waiting.code, actor=Actor.applicant("Siti"), now=MONDAY_9)
    assert [(s["event"], s["status"]) for s in seen] == [("documents_received", "in_progress")]
    with heard() as seen:
        act(waiting, people["operator"], "reject", note="Bukan warga")
    assert [(s["event"], s["status"], s["at"]) for s in seen] == [
        ("request_rejected", Status.REJECTED, None)
    ]


def test_a_flag_is_announced_once_with_its_registered_flag(office):
    case = submit(office)
    with heard() as seen:
        assert services.flag_case(case, flags.NIK_REGION_UNKNOWN, "cek NIK")
        assert not services.flag_case(case, flags.NIK_REGION_UNKNOWN, "cek NIK lagi")
    (flagged,) = seen
    assert flagged["event"] == "request_flagged" and flagged["flag"] == flags.NIK_REGION_UNKNOWN
    assert flagged["note"] == "cek NIK"


def test_a_flag_nobody_registered_is_refused(office):
    case = submit(office)
    with pytest.raises(LookupError):
        services.flag_case(case, "made_up", "?")
    assert not CaseFlag.objects.filter(case=case).exists()


def test_a_failing_isolated_receiver_leaves_the_action_committed_and_is_logged(
    office, people, caplog
):
    case = submit(office)

    @isolated
    def broken(sender, case, **kwargs):
        CaseFlag.objects.create(case=case, code="partial", created_at=MONDAY_9)
        raise RuntimeError("notice template broken")

    events.step_entered.connect(broken, dispatch_uid="test-broken-isolated")
    try:
        with caplog.at_level(logging.ERROR):
            moved = act(case, people["operator"], "complete")
    finally:
        events.step_entered.disconnect(dispatch_uid="test-broken-isolated")
    assert Case.objects.get(pk=case.pk).current_step.key == "3" == moved.current_step.key
    assert not CaseFlag.objects.filter(code="partial").exists()  # its own write was undone
    assert "notice template broken" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_failing_after_commit_receiver_leaves_the_action_committed_and_is_logged(
    make_office, caplog
):
    office = make_office("aftercommit")
    operator = staff(office, "operator")
    case = submit(office)
    ran = []

    @after_commit
    def broken(sender, case, **kwargs):
        ran.append(transaction.get_connection().in_atomic_block)
        raise RuntimeError("the outside world is down")

    events.step_entered.connect(broken, dispatch_uid="test-broken-after-commit")
    try:
        with caplog.at_level(logging.ERROR):
            act(case, operator, "complete")
    finally:
        events.step_entered.disconnect(dispatch_uid="test-broken-after-commit")
    assert ran == [False]  # it ran once, after the commit
    assert Case.objects.get(pk=case.pk).current_step.key == "3"
    assert "the outside world is down" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_an_after_commit_receiver_does_not_run_when_the_change_rolls_back(make_office):
    office = make_office("rollback")
    operator = staff(office, "operator")
    case = submit(office)
    ran = []

    @after_commit
    def record(sender, **kwargs):
        ran.append(1)

    events.step_entered.connect(record, dispatch_uid="test-after-commit-rollback")
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            act(case, operator, "complete")
            raise RuntimeError("the caller's own transaction fails later")
    finally:
        events.step_entered.disconnect(dispatch_uid="test-after-commit-rollback")
    assert ran == [] and Case.objects.get(pk=case.pk).current_step.key == "2"


def test_a_failing_receiver_that_is_part_of_the_transaction_rolls_the_action_back(office, people):
    case = submit(office)

    def broken(sender, case, **kwargs):
        raise RuntimeError("register counter unavailable")

    events.step_entered.connect(broken, dispatch_uid="test-broken-in-transaction")
    try:
        with pytest.raises(RecordingFailed) as raised:
            act(case, people["operator"], "complete")
    finally:
        events.step_entered.disconnect(dispatch_uid="test-broken-in-transaction")
    assert raised.value.status == 503 and raised.value.code == "recording_failed"
    row = Case.objects.get(pk=case.pk)
    assert row.current_step.key == "2" and row.version == case.version
    assert not row.events.filter(kind="complete").exists()


def test_every_domain_event_names_what_it_provides():
    assert {"request_completed", "document_issued", "message_undeliverable"} <= set(EVENTS)
    for event in EVENTS.values():
        assert event.provides and event.__doc__, event.name


def test_an_announcement_must_provide_exactly_its_arguments(office):
    case = submit(office)
    with pytest.raises(TypeError):
        events.request_completed.announce(sender=Case, case=case)


def test_the_region_flag_is_raised_by_the_engine_for_any_channel(office):
    Region.objects.create(code="18", name="LAMPUNG", level=1)
    Region.objects.create(code="18.08.01", name="BLAMBANGAN UMPU", level=3)
    known = submit(office, applicant_nik="1808014501150001")
    unknown = submit(office, applicant_nik="1899014501150001")
    assert not known.flags.exists()
    (flag,) = unknown.flags.all()
    assert flag.code == "nik_region_unknown" and "18.99.01" in flag.note
    assert flag.label == str(flags.NIK_REGION_UNKNOWN.label)
