"""Working minutes per step, read from a request's history: the office calendar (weekends,
national holidays), the clock stopped while the office waits on the applicant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from layan.offices.calendar import WorkingCalendar
from layan.reports.passages import passages

JAKARTA = ZoneInfo("Asia/Jakarta")
HOURS = {d: ((time(8), time(16)),) for d in range(5)}  # Mon–Fri 08.00–16.00
CAL = WorkingCalendar(tz=JAKARTA, hours=HOURS, national_holidays=True)


@dataclass
class E:
    seq: int
    at: datetime
    kind: str
    from_step: str
    to_step: str
    status: str = "in_progress"
    actor_id: int | None = None


def at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=JAKARTA)


def test_a_step_across_a_weekend_counts_only_working_hours():
    events = [
        E(1, at("2026-11-06", 15), "submit", "", "check"),  # Friday 15.00
        E(2, at("2026-11-09", 9), "complete", "check", "sign", actor_id=7),  # Monday 09.00
    ]
    (check,) = passages(events, CAL)
    assert check.step == "check" and check.working_minutes == 120  # Fri 15–16, Mon 8–9
    assert check.left_by_id == 7 and check.left_how == "complete" and check.waited_minutes == 0


def test_a_national_holiday_is_not_counted():
    events = [
        E(1, at("2026-08-14", 15), "submit", "", "check"),  # Friday before 17 August
        E(2, at("2026-08-18", 9), "complete", "check", "end", "completed"),  # Tuesday
    ]
    (check,) = passages(events, CAL)
    assert check.working_minutes == 120  # Monday 17 August (Hari Kemerdekaan) is closed


def test_the_clock_stops_while_the_office_waits_on_the_applicant():
    events = [
        E(1, at("2026-11-09", 8), "submit", "", "check"),  # Monday 08.00
        E(2, at("2026-11-09", 10), "request_documents", "check", "check", "waiting_applicant"),
        E(3, at("2026-11-10", 12), "claim", "check", "check", "waiting_applicant"),
        E(4, at("2026-11-11", 10), "resume", "check", "check"),  # Wednesday 10.00
        E(5, at("2026-11-11", 11), "complete", "check", "sign"),
    ]
    check, *_ = passages(events, CAL)
    assert check.working_minutes == 120 + 60  # Mon 8–10 and Wed 10–11
    assert check.waited_minutes == 360 + 480 + 120  # Mon 10–16, all Tuesday, Wed 8–10


def test_a_return_and_a_second_pass_are_two_passages_and_the_open_step_counts_up_to_now():
    events = [
        E(1, at("2026-11-09", 8), "submit", "", "check"),
        E(2, at("2026-11-09", 9), "complete", "check", "approve"),
        E(3, at("2026-11-09", 10), "return", "approve", "check"),
        E(4, at("2026-11-09", 12), "complete", "check", "approve"),
    ]
    done = passages(events, CAL)
    assert [(p.step, p.working_minutes) for p in done] == [
        ("check", 60), ("approve", 60), ("check", 120),
    ]  # fmt: skip
    with_open = passages(events, CAL, now=at("2026-11-09", 15))
    assert with_open[-1].step == "approve" and with_open[-1].left_at is None
    assert with_open[-1].working_minutes == 180


def test_a_rejected_or_completed_request_has_no_open_passage():
    events = [
        E(1, at("2026-11-09", 8), "submit", "", "check"),
        E(2, at("2026-11-09", 9), "reject", "check", "end", "rejected"),
    ]
    assert [p.step for p in passages(events, CAL, now=at("2026-11-10", 8))] == ["check"]


steps = st.sampled_from(["a", "b", "c"])


@st.composite
def histories(draw):
    """A random history: moves between steps, waits and answers, at random working times."""
    now = at("2026-11-02", 8)
    step = draw(steps)
    events = [E(1, now, "submit", "", step)]
    waiting = False
    for seq in range(2, draw(st.integers(1, 25)) + 2):
        now += timedelta(minutes=draw(st.integers(0, 3000)))
        choice = draw(st.sampled_from(["move", "wait", "answer", "claim", "end"]))
        if choice == "move":
            target = draw(steps)
            events.append(E(seq, now, "complete", step, target))
            step, waiting = target, False
        elif choice == "wait":
            waiting = True
            events.append(E(seq, now, "request_documents", step, step, "waiting_applicant"))
        elif choice == "answer":
            waiting = False
            events.append(E(seq, now, "resume", step, step))
        elif choice == "claim":
            status = "waiting_applicant" if waiting else "in_progress"
            events.append(E(seq, now, "claim", step, step, status))
        else:
            events.append(E(seq, now, "complete", step, "end", "completed"))
            break
    return events, now


@given(histories())
def test_property_passages_tile_the_history_and_split_work_from_waiting(history):
    events, last = history
    done = passages(events, CAL, now=last)
    # Back to back: each passage starts where the previous one ended.
    for before, after in zip(done, done[1:], strict=False):
        assert after.entered_at == before.left_at
    assert done[0].entered_at == events[0].at
    for passage in done:
        end = passage.left_at or last
        total = CAL.working_minutes_between(passage.entered_at, end)
        assert abs(passage.working_minutes + passage.waited_minutes - total) < 0.01
        assert passage.working_minutes >= 0 and passage.waited_minutes >= 0
    # A history without waits has no waited minutes at all.
    if all(e.status != "waiting_applicant" for e in events):
        assert all(p.waited_minutes == 0 for p in done)
