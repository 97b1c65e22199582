"""The registry listens to the engine:

- a request that comes in, enters a registry-check step or has its data-entry form saved is
  checked for Data Ganda (isolated: a registry that fails never blocks the officer; the request
  is then checked the next time);
- an escalation from a registry-check step hands its open findings to the database
  administrator;
- a completed request changes the registry by its service's effect (isolated; a failure flags the
  request ``registry_failed`` with the reason, so nobody believes the registry changed).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import receiver

from layan.cases import events as case_events
from layan.cases.models import EventKind
from layan.cases.services import Actor, flag_case, record_registry_note
from layan.core.errors import LayanError
from layan.core.events import contained, isolated
from layan.population import services

logger = logging.getLogger(__name__)


@receiver(case_events.request_submitted, dispatch_uid="population-check-submitted")
@isolated
def check_submitted(sender, case, event, actor, **kwargs) -> None:
    services.check_case(case, now=event.at)


@receiver(case_events.step_entered, dispatch_uid="population-check-step")
@isolated
def check_at_registry_step(sender, case, event, actor, step, **kwargs) -> None:
    if step.registry_check:
        services.check_case(case, now=event.at)


@receiver(case_events.request_changed, dispatch_uid="population-check-data")
@isolated
def check_saved_data(sender, case, actor, events, **kwargs) -> None:
    if any(e.kind == EventKind.ESCALATE for e in events):
        services.escalated(case, now=events[-1].at)
    if any(e.kind == EventKind.DATA for e in events) and case.is_open:
        services.check_case(case, now=events[-1].at)


@receiver(case_events.request_completed, dispatch_uid="population-apply-completion")
def registry_follows(sender, case, event, actor, **kwargs) -> None:
    done = failure = ""
    try:
        with transaction.atomic():
            done = services.apply_completion(case, by=actor.user, now=event.at)
    except Exception as exc:
        logger.exception("the registry could not follow request %s", case.code)
        failure = str(exc) if isinstance(exc, LayanError) else exc.__class__.__name__
    with contained("recording the registry change"):
        if done:
            record_registry_note(
                case, actor=Actor.system(), action="registry_changed", note=done, data={},
                now=event.at,
            )  # fmt: skip
        elif failure:
            flag_case(case, services.REGISTRY_FAILED, failure, now=event.at)
