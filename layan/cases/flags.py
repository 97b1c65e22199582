"""The flags a request can carry, as a registry: a code, the label officers read, and what it
asks of them.

A flag marks an open request for staff (queues filter on it, the request page shows it). Each
flag is registered once, by the app that raises it, at import of the module that raises it (so
the registry is complete once Django has loaded the apps); :func:`~layan.cases.services.flag_case`
refuses a code nobody registered. Officers see the label, never the code. ``docs/architecture.md``
lists every flag with the app that raises it (a test keeps the list true). OpenCRVS's
``FlagConfig`` is the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Flag:
    code: str
    label: str | Promise
    help: str | Promise = ""
    # Cleared by the engine when the request enters another step (a step clock's flag).
    cleared_on_step: bool = False
    # Cleared by the engine when the request closes (the clocks' flags).
    cleared_on_close: bool = False

    def __str__(self) -> str:
        return str(self.label)


_FLAGS: dict[str, Flag] = {}


def register(
    code: str,
    label: str | Promise,
    *,
    help: str | Promise = "",
    cleared_on_step: bool = False,
    cleared_on_close: bool = False,
) -> Flag:
    """Register a flag; registering the same flag again returns it, a different one with the
    same code is an error."""
    flag = Flag(code, label, help, cleared_on_step, cleared_on_close)
    known = _FLAGS.get(code)
    if known is not None and known != flag:
        raise ValueError(f"flag {code!r} is registered twice with different settings")
    _FLAGS[code] = flag
    return flag


def get(code: str) -> Flag:
    """The registered flag; a code nobody registered is a programming error."""
    try:
        return _FLAGS[code]
    except KeyError:
        raise LookupError(f"flag {code!r} is not registered") from None


def label(code: str) -> str:
    """What officers read for a stored flag code (the code itself if it is no longer known)."""
    flag = _FLAGS.get(code)
    return str(flag.label) if flag is not None else code


def registered() -> list[Flag]:
    return sorted(_FLAGS.values(), key=lambda flag: flag.code)


def codes(*, step: bool = False, close: bool = False) -> list[str]:
    """Codes of the flags the engine clears on entering a step (``step``) or on closing."""
    return sorted(
        f.code
        for f in _FLAGS.values()
        if (step and f.cleared_on_step) or (close and f.cleared_on_close)
    )


# The engine's own flags.
STEP_OVERDUE = register(
    "step_overdue",
    _("Step late"),
    help=_("The current step is past its standard time (Mutu Baku)."),
    cleared_on_step=True,
    cleared_on_close=True,
)
OVERDUE = register(
    "overdue",
    _("Request late"),
    help=_("The request is past the SOP's overall deadline."),
    cleared_on_close=True,
)
CONSENT_DENIED = register(
    "consent_denied",
    _("Applicant denies applying"),
    help=_(
        "The applicant answered on WhatsApp that they did not ask the field officer to apply "
        "for them: the supervisor checks with the officer and the applicant."
    ),
)
NIK_REGION_UNKNOWN = register(
    "nik_region_unknown",
    _("NIK region unknown"),
    help=_(
        "A NIK of the request names a district that is not in the Kemendagri region table: "
        "check it against the applicant's documents."
    ),
)
