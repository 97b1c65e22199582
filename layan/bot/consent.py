"""The applicant's consent to a field officer's application made for them (Motor Keliling).

When an officer applies in the field for a resident who has their own WhatsApp number, the
resident is asked whether they asked for it: *Ya, saya setuju* or *Bukan saya*. The answer goes
into the request's history; "Bukan saya" flags it for the supervisor
(:func:`layan.cases.services.record_consent`). A tap on the message's buttons works, and so does
a tap on the quick-reply buttons of the template sent outside the 24-hour window.
"""

from __future__ import annotations

from layan.bot.models import CaseContact
from layan.bot.texts import Texts
from layan.bot.turn import Turn
from layan.bot.wording import normalize
from layan.cases.models import Case, EventKind, IntakeChannel
from layan.cases.services import Actor, record_consent
from layan.whatsapp import builders, outbox
from layan.whatsapp.builders import Option
from layan.whatsapp.models import Conversation


def ask(case: Case, conversation: Conversation, *, officer: str) -> None:
    """Ask the applicant of ``case`` on ``conversation`` whether they asked ``officer`` to
    apply for them (through the outbox, in the caller's transaction)."""
    t = Texts.of(conversation, case.office_id)
    office = case.office.short_name or case.office.name
    text = t("consent_request", officer=officer, office=office, service=case.service.name,
             code=case.code)  # fmt: skip
    outbox.notify(
        conversation=conversation,
        key=f"consent:{case.pk}:{conversation.pk}",
        contents=builders.buttons(
            text,
            [
                Option(f"consent:yes:{case.code}", t("button_consent_yes")),
                Option(f"consent:no:{case.code}", t("button_consent_no")),
            ],
        ),
        template_key="consent_request",
        template_params=[f"{officer} ({office})", case.service.name, case.code],
        case=case,
    )


def pending(conversation: Conversation) -> Case | None:
    """The latest field application made for this resident that they have not answered."""
    return (
        Case.objects.filter(
            channel=IntakeChannel.FIELD,
            contacts__conversation__identity_id=conversation.identity_id,
            contacts__kind=CaseContact.Kind.APPLICANT,
            office_id=conversation.channel.office_id,
        )
        .exclude(events__kind=EventKind.CONSENT)
        .select_related("office", "service")
        .order_by("-created_at")
        .first()
    )


def answer(turn: Turn, value: str) -> None:
    """A tap on *Ya, saya setuju* (``yes:CODE``) or *Bukan saya* (``no:CODE``)."""
    verdict, _sep, code = value.partition(":")
    case = (
        Case.objects.filter(
            code=code,
            office=turn.office,
            contacts__conversation__identity_id=turn.identity.pk,
            contacts__kind=CaseContact.Kind.APPLICANT,
        )
        .select_related("office", "service")
        .first()
    )
    turn.reset()
    if case is None or verdict not in ("yes", "no"):
        turn.say(turn.t("consent_none"))
        return
    _record(turn, case, verdict == "yes")


def template_reply(turn: Turn) -> bool:
    """A tap on the template's quick-reply buttons (they come back as their text)."""
    if turn.kind != "button":
        return False
    words = {
        normalize(turn.t("button_consent_yes")): True,
        normalize(turn.t("button_consent_no")): False,
    }
    if turn.word not in words:
        return False
    case = pending(turn.conversation)
    if case is None:
        return False
    turn.reset()
    _record(turn, case, words[turn.word])
    return True


def _record(turn: Turn, case: Case, agreed: bool) -> None:
    actor = Actor.applicant(turn.identity.name or case.applicant_name)
    if not record_consent(case, agreed=agreed, actor=actor, now=turn.now):
        turn.say(turn.t("consent_already", code=case.code))
        return
    turn.say(turn.t("consent_thanks" if agreed else "consent_denied", code=case.code))
