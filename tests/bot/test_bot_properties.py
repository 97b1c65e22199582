"""Property tests of the bot: any sequence of messages, on any seed number, leaves the
conversation in a known state, never raises, never floods the resident, and "menu" always works."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from layan.bot import engine
from layan.cases.models import Case
from layan.offices.models import Channel, Requirement
from layan.whatsapp.models import Conversation, Identity, InboundEvent, InboundMessage, MediaFile

START = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
FLOWS = {None, "apply", "status", "docs", "survey"}
WORDS = [
    "halo",
    "menu",
    "batal",
    "status",
    "status KK-ZZZZZZ",
    "1",
    "2",
    "3",
    "4",
    "9",
    "lewati",
    "lanjut",
    "kirim",
    "selesai",
    "ya",
    "english",
    "bahasa indonesia",
    "Budi Santoso",
    "petugas",
    "1808014501150001",
    "1808014513150001",
    "7",
    "0812 3456 7890",
    "",
    "survei",
    "🙏",
]
_ids = itertools.count()

message_strategy = st.one_of(
    st.tuples(st.just("text"), st.sampled_from(WORDS)),
    st.tuples(st.just("text"), st.text(max_size=40)),
    st.tuples(st.just("tap"), st.integers(min_value=0, max_value=12)),
    st.tuples(st.just("image"), st.booleans()),
    st.tuples(
        st.sampled_from(["sticker", "voice", "location", "reaction", "unsupported"]), st.none()
    ),
    st.tuples(st.just("guide"), st.none()),
)
# A resident who does what is asked, long enough to finish any seed application.
guided_run = st.one_of(st.just(0), st.integers(min_value=30, max_value=45)).map(
    lambda n: [("guide", None)] * n
)


def guided(conversation: Conversation) -> tuple[str, object]:
    """The answer the bot is waiting for, from the conversation state (and, for a requirement,
    its kind: a NIK or a text is typed, a photo or document sent)."""
    state = conversation.state or {}
    options = [option_id for option_id, _title in state.get("options") or []]
    if state.get("flow") != "apply":
        wanted = [o for o in options if o.startswith(("apply:", "svc:", "menu:services"))]
        return ("tap-id", wanted[0]) if wanted else ("text", "menu")
    field = state.get("field", "")
    data = state.get("data", {})
    if field in ("who", "confirm") or (field.startswith("q:") and options):
        return ("tap-id", options[0])
    if field == "name":
        return ("text", "Budi Santoso")
    if field == "nik":
        return ("text", "1808014501150001")
    if field.startswith("q:"):
        return ("text", "7")
    if field.startswith("r:"):
        if data.get("files", {}).get(field[2:]):
            return ("text", "lanjut")
        if "f:skip" in options:
            return ("text", "lewati")
        kind = (
            Requirement.objects.filter(
                service__office_id=conversation.channel.office_id,
                service__code=state.get("service"),
                code=field[2:],
            )
            .values_list("kind", flat=True)
            .first()
        )
        if kind == Requirement.Kind.NIK:
            return ("text", "1808014501150001")
        if kind == Requirement.Kind.TEXT:
            return ("text", "Keterangan dari pemohon")
        return ("image", True)
    return ("text", "lewati")


class BotProperties(TestCase):
    @classmethod
    def setUpTestData(cls):
        from layan.demo.loader import load_presets

        load_presets()
        cls.channels = list(Channel.objects.select_related("office").order_by("pk"))

    submitted = 0

    @classmethod
    def tearDownClass(cls):
        # The strategy must reach the end of applications, not only wander in menus.
        assert cls.submitted > 0, cls.submitted
        super().tearDownClass()

    def _message(self, conversation, kind, value, now) -> InboundMessage:
        event = InboundEvent.objects.create(
            body="{}", phone_number_id=conversation.channel.phone_number_id
        )
        if kind == "guide":
            kind, value = guided(conversation)
        from layan.whatsapp.inbox import without_nul

        value = without_nul(value)  # as the inbox stores what Meta sends
        fields = {"kind": kind, "text": "", "reply_id": ""}
        if kind == "tap-id":
            fields.update(kind="button_reply", reply_id=value)
        elif kind == "text":
            fields["text"] = value
        elif kind == "tap":
            options = (conversation.state or {}).get("options") or []
            if options:
                option_id, title = options[value % len(options)]
                fields.update(kind="button_reply", reply_id=option_id, text=title)
            else:
                fields.update(kind="text", text=str(value))
        message = InboundMessage.objects.create(
            message_id=f"wamid.P{next(_ids)}",
            event=event,
            conversation=conversation,
            identity=conversation.identity,
            sent_at=now,
            **fields,
        )
        if kind == "image":
            MediaFile.objects.create(
                message=message,
                media_id=f"m{message.pk}",
                status=MediaFile.Status.ACCEPTED if value else MediaFile.Status.REJECTED,
                reason="" if value else "type_not_allowed",
                file=f"whatsapp/test/{message.pk}.png" if value else "",
                mime_type="image/png",
                size=10,
            )
        return message

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def test_any_sequence_keeps_the_conversation_sound(self, data):
        channel = data.draw(st.sampled_from(self.channels), label="channel")
        identity = Identity.objects.create(key=f"62812{next(_ids):08d}", wa_id="628120000000")
        conversation = Conversation.objects.create(
            channel=channel, identity=identity, last_inbound_at=START
        )
        cases_before = Case.objects.count()
        messages = (
            data.draw(st.lists(message_strategy, max_size=15), label="before")
            + data.draw(guided_run, label="guided")
            + data.draw(st.lists(message_strategy, max_size=25), label="after")
        )
        for step, (kind, value) in enumerate(messages):
            now = START + timedelta(seconds=20 * step)
            message = self._message(conversation, kind, value, now)
            before = conversation.outbox.count()
            handed_over = conversation.handed_over_at is not None
            engine.handle(message, now=now)
            conversation.refresh_from_db()
            state = conversation.state
            json.dumps(state)
            assert state.get("flow") in FLOWS, state
            if state.get("flow") == "apply":
                assert state.get("field"), state
            sent = conversation.outbox.count() - before
            assert sent <= 4, (kind, value, sent)
            if handed_over:
                assert sent == 0  # an officer has the conversation: the bot is quiet
                Conversation.objects.filter(pk=conversation.pk).update(handed_over_at=None)
                conversation.refresh_from_db()
        # "menu" always answers with the menu and leaves every flow (once no officer has it).
        Conversation.objects.filter(pk=conversation.pk).update(handed_over_at=None)
        now = START + timedelta(hours=1)
        message = self._message(conversation, "text", "menu", now)
        engine.handle(message, now=now)
        conversation.refresh_from_db()
        assert conversation.state.get("flow") is None
        ids = [option_id for option_id, _title in conversation.state["options"]]
        assert "menu:status" in ids and "menu:human" in ids
        type(self).submitted += Case.objects.count() - cases_before
