"""The retention policy of every office, run daily by the worker (docs/data-protection.md).

Each app deletes its own data through its ``purge_*`` service; this module, the lowest app that
sees them all, runs them in order with the office's policy and logs each kind's result
(``offices.RetentionRun``). It owns one kind itself: what the bot remembers of a conversation
(``Conversation.state``: an application being filled in, the last replies, the rate limit's
stamps) is forgotten once the conversation has been quiet for the policy's days; only the
resident's chosen language stays.

Never touched: requests and their history, checklist verdicts, register books, issued and
signed documents, hand-overs, survey answers, identities and conversations themselves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django_tasks import task

from layan.cases import retention as case_retention
from layan.offices import retention as policy
from layan.offices.models import Office, RetentionRun
from layan.whatsapp import retention as whatsapp_retention
from layan.whatsapp.models import Conversation

logger = logging.getLogger(__name__)

KEPT_STATE = ("lang",)  # the resident's chosen language is a preference, not a conversation
_LANGUAGE_ONLY = [{}, *({"lang": code} for code in ("id", "en"))]


def expired_state(office: Office, before: datetime):
    pending = Conversation.objects.filter(channel__office=office, updated_at__lt=before)
    for state in _LANGUAGE_ONLY:
        pending = pending.exclude(state=state)
    return pending


def purge_state(office: Office, before: datetime, *, dry_run: bool = False) -> policy.Purged:
    """Forget what the bot keeps of the office's conversations quiet since before ``before``."""
    pending = expired_state(office, before)
    if dry_run:
        purged = policy.would_purge(pending)
    else:

        def handle(ids: list[int]) -> int:
            with transaction.atomic():
                # A conversation that came alive meanwhile is left alone (its turn holds the lock).
                rows = Conversation.objects.select_for_update().filter(
                    pk__in=ids, updated_at__lt=before
                )
                for conversation in rows:
                    state = conversation.state if isinstance(conversation.state, dict) else {}
                    kept = {k: state[k] for k in KEPT_STATE if k in state}
                    # update(), not save(): forgetting is not activity (updated_at stays).
                    Conversation.objects.filter(pk=conversation.pk).update(state=kept)
            return 0

        purged = policy.in_batches(pending, handle)
    kept = Conversation.objects.filter(channel__office=office).exclude(pk__in=pending.values("pk"))
    for state in _LANGUAGE_ONLY:
        kept = kept.exclude(state=state)
    purged.oldest_kept = kept.aggregate(at=Min("updated_at"))["at"]
    return purged


@dataclass
class Outcome:
    kind: str
    cutoff: datetime
    purged: policy.Purged


def run_policy(office: Office, *, now: datetime | None = None, dry_run: bool = False):
    """Apply ``office``'s retention policy; one :class:`Outcome` per kind, logged unless
    ``dry_run`` (which changes nothing)."""
    now = now or timezone.now()
    cut = policy.cutoffs(policy.policy_for(office), now)
    Kind = RetentionRun.Kind
    outcomes = [
        # The media before the attachments, each keeping a file the other still names.
        Outcome(
            Kind.MEDIA,
            cut.messages,
            whatsapp_retention.purge_media(office, cut.messages, dry_run=dry_run),
        ),
        Outcome(
            Kind.ATTACHMENTS,
            cut.attachments,
            case_retention.purge_attachments(
                office,
                cut.attachments,
                dry_run=dry_run,
                file_in_use=whatsapp_retention.media_uses_file,
            ),
        ),
        Outcome(
            Kind.MESSAGES,
            cut.messages,
            whatsapp_retention.purge_messages(office, cut.messages, dry_run=dry_run),
        ),
        Outcome(Kind.STATE, cut.state, purge_state(office, cut.state, dry_run=dry_run)),
    ]
    if not dry_run:
        for outcome in outcomes:
            policy.record(
                office, outcome.kind, cutoff=outcome.cutoff, purged=outcome.purged, now=now
            )
    return outcomes


def run_all(*, now: datetime | None = None, dry_run: bool = False, offices=None) -> dict:
    """Every office's policy (inactive offices' data too); an office whose run fails is logged
    and the others go on. Per office code, the number of rows removed."""
    now = now or timezone.now()
    removed: dict[str, int] = {}
    for office in offices if offices is not None else Office.objects.order_by("code"):
        try:
            outcomes = run_policy(office, now=now, dry_run=dry_run)
        except Exception:
            logger.exception("retention of %s failed; the next run tries again", office.code)
            continue
        removed[office.code] = sum(outcome.purged.removed for outcome in outcomes)
    return removed


@task()
def apply_retention() -> dict:
    """Daily: every office's retention policy (bounded batches; the next day goes on)."""
    return run_all()
