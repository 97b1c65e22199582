"""Named domain events, and the three ways a receiver runs.

An app announces what happened through a :class:`DomainEvent` (a Django signal with a name and
the arguments it provides) once its change is final: its rows are saved, its transaction is still
open. Apps above it listen; the sender never imports them. A receiver chooses how it runs:

``@receiver(event)``
    Inside the sender's transaction, as part of it. If it fails, the whole change rolls back and
    the caller gets :class:`~layan.core.errors.RecordingFailed` (a clear error, not a 500). Only
    for what must commit or fail together with the change: the register book's running number
    of a completed request.

``@receiver(event)`` over ``@isolated``
    Inside the transaction, in a savepoint of its own. If it fails, its own writes are undone,
    the failure is logged and the change commits without them. For writes that should exist
    exactly when the change committed but must never block it: notices in the durable outbox.

``@receiver(event)`` over ``@after_commit``
    After the transaction commits (never when it rolls back). Its failure is logged and cannot
    touch the change. For everything that talks to the outside world or takes locks in another
    order: enqueueing tasks, the bot's conversation state.

Django's ``user_logged_in`` (sent at the end of ``login()``) and Wagtail's ``wagtail.signals``
are the models; ``docs/architecture.md`` lists every event and its receivers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager
from functools import wraps

from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

from layan.core.errors import LayanError, RecordingFailed

logger = logging.getLogger(__name__)

EVENTS: dict[str, DomainEvent] = {}


class DomainEvent(Signal):
    """A signal with a name and the keyword arguments every sending provides."""

    def __init__(self, name: str, provides: tuple[str, ...], doc: str = ""):
        super().__init__()
        if name in EVENTS:
            raise ValueError(f"domain event {name!r} is defined twice")
        self.name = name
        self.provides = provides
        self.__doc__ = doc
        EVENTS[name] = self

    def __repr__(self) -> str:
        return f"<DomainEvent {self.name}>"

    def announce(self, sender, **kwargs) -> None:
        """Send the event to its receivers, inside the caller's transaction.

        A receiver that is part of the transaction and fails makes the change fail: a
        :class:`LayanError` it raised passes as it is; anything else is logged and becomes
        :class:`RecordingFailed`, so the caller's transaction rolls back with a clear error.
        """
        if set(kwargs) != set(self.provides):
            raise TypeError(f"{self.name} provides {self.provides}, got {tuple(kwargs)}")
        try:
            self.send(sender=sender, **kwargs)
        except LayanError:
            raise
        except Exception as exc:
            logger.exception("a receiver of %s failed; the change is rolled back", self.name)
            raise RecordingFailed(
                _("The change could not be recorded; nothing was changed. Try again."),
                "recording_failed",
                event=self.name,
            ) from exc


Receiver = Callable[..., None]


@contextmanager
def contained(what: str):
    """Run a block in a savepoint of its own: if it fails, its writes are undone and the
    failure is logged (naming ``what``); the surrounding transaction goes on."""
    try:
        with transaction.atomic():
            yield
    except Exception:
        logger.exception("%s failed; the change stands without it", what)


def isolated(func: Receiver) -> Receiver:
    """Run the receiver in a savepoint: its failure undoes only its own writes and is logged."""

    @wraps(func)
    def receiver(sender, **kwargs) -> None:
        with contained(func.__qualname__):
            func(sender, **kwargs)

    return receiver


def after_commit(func: Receiver) -> Receiver:
    """Run the receiver once the sender's transaction has committed; its failure is logged."""

    @wraps(func)
    def receiver(sender, **kwargs) -> None:
        def run() -> None:
            try:
                func(sender, **kwargs)
            except Exception:
                logger.exception("%s failed after the commit", func.__qualname__)

        transaction.on_commit(run)

    return receiver
