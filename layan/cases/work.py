"""Step work the engine does not do itself, checked before a step may go forward.

An SOP step may ask for document work (``document: sign | print | handover``): the head of
office's signature, the card blank's serial, the hand-over record. That work belongs to the
documents app, above the engine; it registers one check per kind of work at start-up
(``AppConfig.ready``), and the engine asks it through :func:`missing` without importing it. A
step whose kind of work has no registered check cannot go forward: the engine fails closed
rather than let a request past work nobody can check.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from layan.cases.models import Visit

# (case, step) -> None when the work is done, else (error code, message for the officer).
Check = Callable[..., tuple[str, str] | None]

_CHECKS: dict[str, Check] = {}
# Checks of apps above the engine that apply to any step they care about (the registry check).
_GUARDS: dict[str, Check] = {}


def register(work: str, check: Check) -> None:
    """Make ``check`` the judge of ``work`` (one of the SOP's document work kinds)."""
    _CHECKS[work] = check


def register_guard(name: str, check: Check) -> None:
    """Ask ``check`` too before any step goes forward (it answers None for steps it does not
    care about); registering the same name again replaces it."""
    _GUARDS[name] = check


def missing(case, step) -> tuple[str, str] | None:
    """What the step's work still lacks, as (code, message); None when done or none asked.

    A visit step (``visit: true``) is the engine's own: it needs a visit recorded as done."""
    if step.visit and not case.visits.filter(step_key=step.key, outcome__in=Visit.DONE).exists():
        return "visit_not_recorded", _(
            "Record the outreach visit first: the resident's data must be recorded."
        )
    for guard in _GUARDS.values():
        problem = guard(case, step)
        if problem is not None:
            return problem
    if not step.document:
        return None
    check = _CHECKS.get(step.document)
    if check is None:
        return "step_work_unchecked", _(
            "This step's work (%(work)s) cannot be checked here; the request stays at this step."
        ) % {"work": step.document}
    return check(case, step)
