"""Property tests of the engine: random officers take random actions on random seed flows."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from layan.cases import services
from layan.cases.models import TERMINAL, Case, Status
from layan.cases.services import Actor
from layan.core.errors import Conflict, Forbidden, Invalid, LayanError
from layan.offices.models import Service, StaffRole
from tests.filling import form_data

START = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def expected_outcome(case: Case, user, action: str, note: str) -> type[LayanError] | None:
    """What the engine should do, derived from the SOP alone."""
    if not case.is_open:
        return Conflict
    definition = case.sop_version.parsed
    step = definition.step(case.current_step.key)
    chosen = step.action(action)
    if chosen is None:
        return Conflict
    if definition.acting_role(step) not in set(
        StaffRole.objects.filter(user=user, role__office=case.office).values_list(
            "role__code", flat=True
        )
    ):
        return Forbidden
    if chosen.note_required and not note.strip():
        return Invalid
    if chosen.kind in ("complete", "approve") and _document_work_pending(case, step):
        return Invalid
    return None


def _document_work_pending(case: Case, step) -> bool:
    """The SOP's document and visit steps refuse to go forward before their work (this test
    never signs, records a card serial, a hand-over or a visit)."""
    from layan.documents.kinds import kind_of

    if step.visit:
        return True
    if step.document == "sign":
        return True
    if step.document == "print":
        return kind_of(case.service).card
    return step.document == "handover" and case.service.delivery != "pdf"


def snapshot(case: Case):
    return list(
        case.events.order_by("seq").values_list(
            "seq", "action", "from_step", "to_step", "status", "note", "step_due_at", "due_at"
        )
    )


class EngineProperties(TestCase):
    @classmethod
    def setUpTestData(cls):
        from layan.demo.loader import create_demo_staff, load_presets

        load_presets()
        create_demo_staff("x-pass-123")
        cls.services = list(Service.objects.select_related("office").order_by("pk"))

    moves = 0

    @classmethod
    def tearDownClass(cls):
        # The strategy must really drive requests, not only collect refusals: at least one
        # accepted move per example on average (runs seen: 96 to 180 over 60 examples).
        assert cls.moves >= 60, cls.moves
        super().tearDownClass()

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def test_any_sequence_keeps_the_case_consistent(self, data):
        service = data.draw(st.sampled_from(self.services), label="service")
        office = service.office
        holders = list(StaffRole.objects.filter(role__office=office).select_related("user", "role"))
        definition = service.sop.current_version.parsed
        action_ids = sorted({a.id for s in definition.all_steps for a in s.actions})
        now = START
        case = services.submit_case(
            service=service,
            actor=Actor.applicant(),
            applicant_name="Warga Uji",
            form_data=form_data(service),  # the data-entry rule has its own tests
            now=now,
        )
        history = snapshot(case)
        for _ in range(data.draw(st.integers(1, 30), label="length")):
            now += timedelta(minutes=data.draw(st.integers(0, 600), label="wait"))
            current = Case.objects.get(pk=case.pk)
            fitting = []
            if current.is_open:
                step = definition.step(current.current_step.key)
                role = definition.acting_role(step)
                fitting = [h for h in holders if h.role.code == role]
            if fitting and data.draw(st.booleans(), label="plausible"):
                # Half the time, someone who may act picks one of the step's actions, so
                # flows really move forward, back, sideways and to their ends.
                holder = data.draw(st.sampled_from(fitting), label="who")
                move = data.draw(st.sampled_from([a.id for a in step.actions]), label="action")
            else:
                holder = data.draw(st.sampled_from(holders), label="who")
                move = data.draw(
                    st.sampled_from([*action_ids, "claim", "documents_received"]), label="action"
                )
            note = data.draw(st.sampled_from(["", "Catatan petugas"]), label="note")
            before = Case.objects.get(pk=case.pk)
            was_terminal = before.status in TERMINAL
            error = None
            try:
                if move == "claim":
                    services.claim(case.code, user=holder.user, now=now)
                elif move == "documents_received":
                    services.documents_received(case.code, actor=Actor.applicant(), now=now)
                else:
                    expected = expected_outcome(before, holder.user, move, note)
                    try:
                        services.perform_action(
                            case.code,
                            actor=Actor.staff(holder.user),
                            action=move,
                            note=note,
                            now=now,
                        )
                    except LayanError as exc:
                        error = exc
                    assert (type(error) if error else None) is expected, (move, holder, error)
                    if error:
                        raise error
            except LayanError:
                after = Case.objects.get(pk=case.pk)
                # A refused action changes nothing.
                assert after.version == before.version
                assert snapshot(after) == history
                continue
            case = Case.objects.get(pk=case.pk)
            type(self).moves += 1
            events = snapshot(case)
            # Events only ever append: the old history is a prefix, numbered without gaps.
            assert events[: len(history)] == history
            assert [e[0] for e in events] == list(range(1, len(events) + 1))
            history = events
            # Terminal states are final.
            assert not was_terminal
            # Exactly one current step while open, none once closed.
            if case.status in TERMINAL:
                assert case.current_step is None and case.closed_at is not None
                assert case.step_due_at is None
            else:
                assert case.current_step is not None
                assert case.current_step.version_id == case.sop_version_id
                assert case.step_entered_at is not None
            # Clocks: paused exactly while waiting on the applicant; due times never precede
            # the moment the step was entered.
            assert (case.status == Status.WAITING_APPLICANT) == (case.paused_at is not None)
            if case.is_open and case.paused_at is None:
                assert case.step_due_at is not None and case.due_at is not None
                assert case.step_due_at >= case.step_entered_at
            if case.paused_at is not None:
                assert case.step_remaining is None or case.step_remaining >= 0
            last = case.events.order_by("-seq").first()
            assert last.status == case.status
