"""A request's passage through its SOP's steps, read from its history (pure functions).

Every step a request rested at is one :class:`Passage`: when it entered, when it left, who moved
it on and how, and the working minutes it spent there on the office's calendar with the clock
stopped while the office waited on the applicant (the engine's own rule, :mod:`layan.cases.sla`).
These are the figures the SLA report sets against the SOP's Mutu Baku, step by step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from layan.offices.calendar import WorkingCalendar
from layan.sop.definition import END

WAITING = "waiting_applicant"


class EventLike(Protocol):
    seq: int
    at: datetime
    kind: str
    from_step: str
    to_step: str
    status: str
    actor_id: int | None


@dataclass(frozen=True)
class Passage:
    step: str
    entered_seq: int
    entered_at: datetime
    left_at: datetime | None  # None: the request is still at the step
    working_minutes: float  # working minutes at the step, the waits left out (so far if open)
    waited_minutes: float  # working minutes the step waited on the applicant
    left_by_id: int | None = None  # the officer whose action moved the request on
    left_how: str = ""  # the kind of that event (complete, approve, return, reject, auto, …)


def _moves(event: EventLike) -> bool:
    return event.to_step != event.from_step


def passages(
    events: Iterable[EventLike], cal: WorkingCalendar, now: datetime | None = None
) -> list[Passage]:
    """The passages of one request, in order, from its events ordered by ``seq``. The step the
    request rests at comes last with ``left_at`` None, counted up to ``now`` (if given)."""
    done: list[Passage] = []
    step = ""
    entered_seq, entered_at = 0, None
    pauses: list[tuple[datetime, datetime]] = []
    paused_since: datetime | None = None

    def close(at: datetime, event: EventLike | None) -> None:
        spans = [*pauses, (paused_since, at)] if paused_since is not None else pauses
        waited = sum(cal.working_minutes_between(a, b) for a, b in spans)
        total = cal.working_minutes_between(entered_at, at)
        done.append(
            Passage(
                step=step,
                entered_seq=entered_seq,
                entered_at=entered_at,
                left_at=at if event is not None else None,
                working_minutes=round(max(total - waited, 0.0), 4),
                waited_minutes=round(waited, 4),
                left_by_id=event.actor_id if event is not None else None,
                left_how=event.kind if event is not None else "",
            )
        )

    for event in events:
        if _moves(event):
            if step:
                close(event.at, event)
            step, pauses, paused_since = "", [], None
            if event.to_step and event.to_step != END:
                step, entered_seq, entered_at = event.to_step, event.seq, event.at
                if event.status == WAITING:
                    paused_since = event.at
            continue
        if not step:
            continue
        if event.status == WAITING and paused_since is None:
            paused_since = event.at
        elif event.status != WAITING and paused_since is not None:
            pauses.append((paused_since, event.at))
            paused_since = None
    if step and now is not None:
        close(max(now, entered_at), None)
    return done
