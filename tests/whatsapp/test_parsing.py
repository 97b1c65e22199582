"""Webhook parsing (``layan.whatsapp.parsing``): Meta's own examples, identities keyed on the BSUID,
hand-written cases the spec lacks, and fuzzing for "never raises".

The spec's 16 webhook examples (``POST /whatsapp/webhooks`` in v23.0) are 13 ``messages`` changes
and 3 group events; none carries a status, an audio/voice note, a document, a video or a sticker,
and none carries a BSUID field. Those are covered by the hand-written fixtures below.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layan.whatsapp.parsing import (
    KINDS,
    ErrorInfo,
    Identity,
    MediaRef,
    Message,
    ParsedWebhook,
    StatusUpdate,
    parse_webhook,
    phone_number_ids,
)
from tests.whatsapp.spec import SPEC_AVAILABLE, webhook_examples

PNID = "106540352242922"  # metadata.phone_number_id in every spec example
DISPLAY = "15550783881"
SHEENA = Identity(
    key="16505551234",
    wa_id="16505551234",
    user_id=None,
    phone="16505551234",
    name="Sheena Nelson",
)

needs_spec = pytest.mark.skipif(not SPEC_AVAILABLE, reason="Meta's OpenAPI spec is not available")


def ts(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def assert_sane(result: ParsedWebhook) -> None:
    """What every caller may rely on, whatever the input was."""
    assert isinstance(result, ParsedWebhook)
    for message in result.messages:
        assert isinstance(message, Message)
        assert isinstance(message.message_id, str) and message.message_id.strip()
        assert isinstance(message.identity.key, str) and message.identity.key.strip()
        assert message.identity.key in (message.identity.user_id, message.identity.wa_id)
        assert isinstance(message.phone_number_id, str) and message.phone_number_id
        assert message.kind in KINDS
        assert isinstance(message.type, str)
        assert message.timestamp is None or message.timestamp.tzinfo is not None
        assert message.text is None or isinstance(message.text, str)
        assert message.media is None or isinstance(message.media.id, str)
        assert all(isinstance(error, ErrorInfo) for error in message.errors)
    for status in result.statuses:
        assert isinstance(status, StatusUpdate)
        assert isinstance(status.message_id, str) and status.message_id.strip()
        assert status.status and status.status == status.status.lower()
        assert status.timestamp is None or status.timestamp.tzinfo is not None
        assert all(isinstance(error, ErrorInfo) for error in status.errors)
    assert all(isinstance(change, dict) for change in result.other)
    assert all(isinstance(note, str) and note for note in result.problems)


# --- the spec's examples --------------------------------------------------------------------

UNSUPPORTED_ERROR = ErrorInfo(
    code=131051,
    title="Message type unknown",
    message="Message type unknown",
    details="Message type is currently not supported.",
)

# Per example: the messages it must yield (fields not named must be empty) or the raw changes it
# must hand back in ``other``.
EXPECTED: dict[str, dict] = {
    "Text Message": {
        "messages": [
            {
                "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                "type": "text",
                "kind": "text",
                "timestamp": ts(1749416383),
                "text": "Does it come in another color?",
            }
        ]
    },
    "Text Message with Context (Product Inquiry)": {
        "messages": [
            {
                "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTA2NTUwRkNEMDdFQjJCRUU0NQA=",
                "type": "text",
                "kind": "text",
                "timestamp": ts(1750016800),
                "text": "Is this still available?",
                "context_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA",
            }
        ]
    },
    "Text Message from Click to WhatsApp Ad": {
        "messages": [
            {
                "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUQ0N0VFMDA2MTQ0RkJFNkNDNAA=",
                "type": "text",
                "kind": "text",
                "timestamp": ts(1750275992),
                "text": "Hello! Can I get more info on this?",
                "referral": ("ad", "120226305854810726"),
            }
        ]
    },
    "Reaction Message": {
        "messages": [
            {
                "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                "type": "reaction",
                "kind": "reaction",
                "timestamp": ts(1749419544),
                "reaction": {
                    "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA",
                    "emoji": "\N{THUMBS UP SIGN}",
                },
            }
        ]
    },
    "Image Message": {
        "messages": [
            {
                "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                "type": "image",
                "kind": "image",
                "timestamp": ts(1744344496),
                "text": "Taj Mahal",
                "media": MediaRef(
                    id="1003383421387256",
                    mime_type="image/jpeg",
                    sha256="SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=",
                    filename=None,
                    caption="Taj Mahal",
                ),
            }
        ]
    },
    "Location Message": {
        "messages": [
            {
                "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTU2MjZEMDBGRkE3MENEMDE0RQA=",
                "type": "location",
                "kind": "location",
                "timestamp": ts(1744344496),
                "location": {
                    "latitude": 37.44221496582,
                    "longitude": -122.16165924072,
                    "name": "Philz Coffee",
                    "address": "101 Forest Ave, Palo Alto, CA 94301",
                },
            }
        ]
    },
    "Contact Sharing Message": {
        "messages": [
            {
                "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                "type": "contacts",
                "kind": "contacts",
                "timestamp": ts(1744344496),
                # The shared card, not the sender: the sender stays Sheena.
                "contacts": ["Lucía Gómez"],
            }
        ]
    },
    "Unsupported Message": {
        "messages": [
            {
                "message_id": "wamid.HBgLMTQyMDU1NTA3NDkVAgASGBI5N0MwRjg0RTVBNUI1RDA2OTkA",
                "type": "unsupported",
                "kind": "unsupported",
                "timestamp": ts(1750090702),
                "errors": (UNSUPPORTED_ERROR,),
            }
        ]
    },
    "Button Message": {
        "messages": [
            {
                "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUU0M0MxQzQzMUJCMTMwNUZFOQA=",
                "type": "button",
                "kind": "button",
                "timestamp": ts(1750091045),
                "text": "Unsubscribe",
                "reply_id": "Unsubscribe",
                "context_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJFNjk2OTMwNEZCQjhGMzUyQUYA",
            }
        ]
    },
    "Interactive List Reply Message": {
        "messages": [
            {
                "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUJDQ0NDM0FEODY4ODkzOTc5RgA=",
                "type": "interactive",
                "kind": "list_reply",
                "timestamp": ts(1749854575),
                "text": "Priority Mail Express",
                "reply_id": "priority_express",
                "context_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJGMzEyNzhENTZDMzNGODlDRDgA",
            }
        ]
    },
    "Interactive Button Reply Message": {
        "messages": [
            {
                "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTZBQzg0MzQ4QjRCM0NGNkVGOAA=",
                "type": "interactive",
                "kind": "button_reply",
                "timestamp": ts(1750025136),
                "text": "Cancel",
                "reply_id": "cancel-button",
                "context_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA",
            }
        ]
    },
    "Order Message": {
        "messages": [
            {
                "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTEyQjFGNzI1QTQxMjI5QTMyOQA=",
                "type": "order",
                "kind": "order",
                "timestamp": ts(1750096325),
            }
        ]
    },
    "System Message": {
        "messages": [
            {
                "message_id": "wamid.HBgLMTk4MzU1NTE5NzQVAgASGAoxMTgyMDg2MjY3AA==",
                "type": "system",
                "kind": "system",
                "timestamp": ts(1750269342),
                # System messages come without ``contacts``: the identity is the message's own.
                "identity": Identity(
                    key="16505551234",
                    wa_id="16505551234",
                    user_id=None,
                    phone="16505551234",
                    name=None,
                ),
            }
        ]
    },
    # Group events are other webhook fields than "messages": handed back raw.
    "Group Create Message": {"other": ["group_lifecycle_update"]},
    "Group Settings Update": {"other": ["group_settings_update"]},
    # Sic: the spec's example says "group_participants_update" (the enum says
    # "group_participant_update") and its group type says "group_create".
    "Group Remove Participants": {"other": ["group_participants_update"]},
}

EMPTY_FIELDS = {
    "identity": SHEENA,
    "phone_number_id": PNID,
    "display_phone_number": DISPLAY,
    "text": None,
    "reply_id": None,
    "media": None,
    "location": None,
    "contacts": None,
    "reaction": None,
    "context_id": None,
    "referral": None,
    "errors": (),
}


def project(message: Message) -> dict:
    """The fields the expectations talk about, in comparable form."""
    referral = message.referral
    return {
        "message_id": message.message_id,
        "type": message.type,
        "kind": message.kind,
        "timestamp": message.timestamp,
        "identity": message.identity,
        "phone_number_id": message.phone_number_id,
        "display_phone_number": message.display_phone_number,
        "text": message.text,
        "reply_id": message.reply_id,
        "media": message.media,
        "location": message.location,
        "contacts": (
            None
            if message.contacts is None
            else [card.get("name", {}).get("formatted_name") for card in message.contacts]
        ),
        "reaction": message.reaction,
        "context_id": message.context_id,
        "referral": (
            None if referral is None else (referral.get("source_type"), referral.get("source_id"))
        ),
        "errors": message.errors,
    }


@needs_spec
def test_spec_has_exactly_the_sixteen_known_webhook_examples():
    assert sorted(webhook_examples()) == sorted(EXPECTED)
    assert len(EXPECTED) == 16


@needs_spec
def test_spec_examples_carry_no_statuses_so_those_are_hand_written_here():
    for payload in webhook_examples().values():
        for entry in payload["entry"]:
            for change in entry["changes"]:
                assert "statuses" not in change["value"]


@needs_spec
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_spec_example_parses_to_exactly_the_expected_records(name):
    payload = webhook_examples()[name]
    expected = EXPECTED[name]

    result = parse_webhook(payload)

    assert_sane(result)
    assert result.problems == []
    assert result.statuses == []
    assert [project(m) for m in result.messages] == [
        {**EMPTY_FIELDS, **fields} for fields in expected.get("messages", [])
    ]
    assert [change["field"] for change in result.other] == expected.get("other", [])
    assert phone_number_ids(payload) == [PNID]


@needs_spec
def test_spec_example_message_keeps_its_raw_dict():
    payload = webhook_examples()["Order Message"]
    [message] = parse_webhook(payload).messages
    raw = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message.raw == raw
    assert message.raw["order"]["product_items"][0]["product_retailer_id"] == "di9ozbzfi4"


@needs_spec
def test_spec_group_event_is_handed_back_as_the_raw_change():
    payload = webhook_examples()["Group Create Message"]
    result = parse_webhook(payload)
    assert result.other == [payload["entry"][0]["changes"][0]]


# --- hand-written fixtures for what the spec lacks ------------------------------------------

WA = "6281234567890"  # an Indonesian mobile number as Meta writes it
BSUID = "ID.13491208655302741918"


def contact(wa_id: str | None = WA, name: str | None = "Siti", user_id: str | None = None) -> dict:
    found: dict = {"profile": {"name": name}} if name is not None else {"profile": {}}
    if wa_id is not None:
        found["wa_id"] = wa_id
    if user_id is not None:
        found["user_id"] = user_id
    return found


def msg(type_: str | None = "text", mid: str = "wamid.A1", sender: str | None = WA, **fields):
    found: dict = {"id": mid, "timestamp": "1750000000", **fields}
    if type_ is not None:
        found["type"] = type_
    if sender is not None:
        found["from"] = sender
    return found


def envelope(
    messages=(),
    statuses=None,
    contacts=None,
    *,
    field="messages",
    phone_number_id=PNID,
    errors=None,
) -> dict:
    value: dict = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY, "phone_number_id": phone_number_id},
    }
    if messages:
        value["messages"] = list(messages)
        value["contacts"] = [contact()] if contacts is None else contacts
    elif contacts is not None:
        value["contacts"] = contacts
    if statuses is not None:
        value["statuses"] = list(statuses)
    if errors is not None:
        value["errors"] = errors
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "419561257915477", "changes": [{"value": value, "field": field}]}],
    }


def only_message(payload) -> Message:
    result = parse_webhook(payload)
    assert_sane(result)
    assert result.problems == []
    [message] = result.messages
    return message


def test_text_message_from_a_phone_sender():
    message = only_message(envelope([msg(text={"body": "Halo, mau urus KK"})]))
    assert message.kind == "text"
    assert message.text == "Halo, mau urus KK"
    assert message.identity == Identity(key=WA, wa_id=WA, user_id=None, phone=WA, name="Siti")
    assert message.timestamp == ts(1750000000)
    assert message.phone_number_id == PNID


def test_voice_note_is_kind_voice():
    audio = {"id": "m-1", "mime_type": "audio/ogg; codecs=opus", "sha256": "abc=", "voice": True}
    message = only_message(envelope([msg("audio", audio=audio)]))
    assert message.type == "audio"
    assert message.kind == "voice"
    assert message.media == MediaRef(
        id="m-1",
        mime_type="audio/ogg; codecs=opus",
        sha256="abc=",
        filename=None,
        caption=None,
        voice=True,
    )
    assert message.text is None


def test_audio_file_without_voice_flag_is_kind_audio():
    message = only_message(envelope([msg("audio", audio={"id": "m-2", "voice": False})]))
    assert message.kind == "audio"
    assert message.media.voice is False


def test_sticker_keeps_the_animated_flag():
    sticker = {"id": "st-1", "mime_type": "image/webp", "animated": True}
    message = only_message(envelope([msg("sticker", sticker=sticker)]))
    assert message.kind == "sticker"
    assert message.media.animated is True
    assert message.text is None


def test_document_keeps_filename_and_caption_as_text():
    document = {"id": "d-1", "mime_type": "application/pdf", "filename": "kk.pdf", "caption": "KK"}
    message = only_message(envelope([msg("document", document=document)]))
    assert message.kind == "document"
    assert message.media.filename == "kk.pdf"
    assert message.text == "KK"


def test_video_caption_is_the_text():
    message = only_message(envelope([msg("video", video={"id": "v-1", "caption": "rekaman"})]))
    assert message.kind == "video"
    assert message.text == "rekaman"


def test_media_without_id_keeps_its_kind_and_notes_the_problem():
    result = parse_webhook(envelope([msg("image", image={"mime_type": "image/jpeg"})]))
    [message] = result.messages
    assert message.kind == "image"
    assert message.media is None
    assert any("media id" in note for note in result.problems)


def test_reaction_and_reaction_removal():
    reacted = only_message(
        envelope([msg("reaction", reaction={"message_id": "wamid.OUT", "emoji": "🙏"})])
    )
    assert reacted.reaction == {"message_id": "wamid.OUT", "emoji": "🙏"}
    removed = only_message(envelope([msg("reaction", reaction={"message_id": "wamid.OUT"})]))
    assert removed.reaction == {"message_id": "wamid.OUT", "emoji": None}
    assert removed.text is None


def test_location_with_string_coordinates_becomes_numbers():
    location = {"latitude": "-5.45", "longitude": "105.26", "name": "Disdukcapil"}
    message = only_message(envelope([msg("location", location=location)]))
    assert message.location == {
        "latitude": -5.45,
        "longitude": 105.26,
        "name": "Disdukcapil",
        "address": None,
    }


def test_list_reply_gives_row_id_and_title():
    interactive = {
        "type": "list_reply",
        "list_reply": {"id": "svc-kk", "title": "Kartu Keluarga", "description": "baru"},
    }
    message = only_message(
        envelope([msg("interactive", interactive=interactive, context={"id": "wamid.MENU"})])
    )
    assert (message.kind, message.reply_id, message.text) == (
        "list_reply",
        "svc-kk",
        "Kartu Keluarga",
    )
    assert message.context_id == "wamid.MENU"


def test_button_reply_gives_button_id_and_title():
    interactive = {"type": "button_reply", "button_reply": {"id": "yes", "title": "Ya"}}
    message = only_message(envelope([msg("interactive", interactive=interactive)]))
    assert (message.kind, message.reply_id, message.text) == ("button_reply", "yes", "Ya")


def test_template_quick_reply_button_gives_payload_and_text():
    message = only_message(envelope([msg("button", button={"payload": "RATE_4", "text": "Puas"})]))
    assert (message.kind, message.reply_id, message.text) == ("button", "RATE_4", "Puas")


def test_flow_reply_is_unsupported():
    interactive = {"type": "nfm_reply", "nfm_reply": {"response_json": "{}", "name": "flow"}}
    message = only_message(envelope([msg("interactive", interactive=interactive)]))
    assert message.kind == "unsupported"
    assert message.text is None and message.reply_id is None


def test_metas_legacy_unknown_type_is_unsupported():
    # The spec maps both "unsupported" and "unknown" to UnsupportedMessage (error 131051).
    errors = [{"code": 131051, "title": "Message type unknown"}]
    message = only_message(envelope([msg("unknown", errors=errors)]))
    assert message.kind == "unsupported"
    assert message.errors == (ErrorInfo(131051, "Message type unknown", "", ""),)


def test_type_we_do_not_know_is_unknown_and_keeps_the_raw_type():
    message = only_message(envelope([msg("hologram", hologram={"x": 1})]))
    assert (message.type, message.kind, message.text) == ("hologram", "unknown", None)
    assert message.raw["hologram"] == {"x": 1}


def test_missing_type_is_unknown_with_empty_type():
    message = only_message(envelope([msg(None)]))
    assert (message.type, message.kind) == ("", "unknown")


def test_request_welcome_is_its_own_kind():
    message = only_message(envelope([msg("request_welcome")]))
    assert message.kind == "request_welcome"


def test_group_message_is_kind_group():
    message = only_message(envelope([msg(text={"body": "halo grup"}, group_id="GRP-1")]))
    assert message.kind == "group"
    assert message.type == "text"


def test_user_id_only_sender_has_no_phone():
    # A resident with a username: Meta withholds the phone number and sends only the BSUID.
    payload = envelope(
        [msg(sender=None, from_user_id=BSUID, text={"body": "halo"})],
        contacts=[contact(wa_id=None, user_id=BSUID, name="Budi")],
    )
    message = only_message(payload)
    assert message.identity == Identity(
        key=BSUID, wa_id=None, user_id=BSUID, phone=None, name="Budi"
    )


def test_identity_is_keyed_on_user_id_with_phone_kept_as_attribute():
    payload = envelope(
        [msg(from_user_id=BSUID, text={"body": "halo"})],
        contacts=[contact(user_id=BSUID)],
    )
    message = only_message(payload)
    assert message.identity == Identity(key=BSUID, wa_id=WA, user_id=BSUID, phone=WA, name="Siti")


def test_identity_without_user_id_is_keyed_on_wa_id():
    message = only_message(envelope([msg(text={"body": "x"})]))
    assert message.identity.key == WA
    assert message.identity.user_id is None


def test_contact_user_id_is_used_when_the_message_has_only_from():
    payload = envelope([msg(text={"body": "x"})], contacts=[contact(user_id=BSUID)])
    message = only_message(payload)
    assert (message.identity.key, message.identity.phone) == (BSUID, WA)


def test_bsuid_in_from_without_from_user_id_is_taken_as_the_user_id():
    message = only_message(envelope([msg(sender=BSUID, text={"body": "x"})], contacts=[]))
    assert message.identity == Identity(key=BSUID, wa_id=None, user_id=BSUID, phone=None, name=None)


def test_each_message_gets_its_own_contact():
    other = "6289876543210"
    payload = envelope(
        [
            msg(mid="wamid.1", text={"body": "a"}),
            msg(mid="wamid.2", sender=other, text={"body": "b"}),
        ],
        contacts=[contact(wa_id=other, name="Andi"), contact()],
    )
    result = parse_webhook(payload)
    assert [(m.message_id, m.identity.key, m.identity.name) for m in result.messages] == [
        ("wamid.1", WA, "Siti"),
        ("wamid.2", other, "Andi"),
    ]


def test_message_without_matching_contact_takes_identity_from_the_message():
    payload = envelope([msg(text={"body": "x"})], contacts=[contact(wa_id="6280000000000")])
    message = only_message(payload)
    assert message.identity == Identity(key=WA, wa_id=WA, user_id=None, phone=WA, name=None)


def test_message_without_id_or_sender_is_skipped_and_the_rest_kept():
    payload = envelope(
        [
            msg(mid="", text={"body": "no id"}),
            msg(mid="wamid.ok", text={"body": "kept"}),
            msg(mid="wamid.nobody", sender=None, text={"body": "no sender"}),
            "not a message",
        ]
    )
    result = parse_webhook(payload)
    assert_sane(result)
    assert [m.message_id for m in result.messages] == ["wamid.ok"]
    assert len(result.problems) == 3
    assert any("wamid.nobody" in note for note in result.problems)


def test_text_only_where_it_makes_sense():
    payload = envelope(
        [
            msg("order", mid="wamid.o", order={"text": "catatan", "product_items": []}),
            msg("system", mid="wamid.s", system={"body": "User changed number"}),
            msg("location", mid="wamid.l", location={"latitude": 1, "longitude": 2}),
            msg("audio", mid="wamid.a", audio={"id": "a", "caption": "no captions on audio"}),
        ]
    )
    assert [m.text for m in parse_webhook(payload).messages] == [None, None, None, None]


def test_messages_and_statuses_of_several_changes_keep_their_number():
    first = envelope([msg(mid="wamid.1", text={"body": "a"})])
    second = envelope([msg(mid="wamid.2", text={"body": "b"})], phone_number_id="999")
    first["entry"].append(second["entry"][0])
    result = parse_webhook(first)
    assert [(m.message_id, m.phone_number_id) for m in result.messages] == [
        ("wamid.1", PNID),
        ("wamid.2", "999"),
    ]


# --- statuses (the spec has no examples of them) --------------------------------------------


def status(state, mid="wamid.OUT1", seconds="1750000100", **fields) -> dict:
    return {"id": mid, "status": state, "timestamp": seconds, "recipient_id": WA, **fields}


def test_statuses_are_parsed_in_the_order_given_even_when_out_of_order():
    payload = envelope(
        statuses=[
            status("read", seconds="1750000300"),
            status("sent", seconds="1750000100"),
            status("delivered", seconds="1750000200"),
            status("read", seconds="1750000300"),  # a retry: deduplication is the caller's job
        ]
    )
    result = parse_webhook(payload)
    assert_sane(result)
    assert result.problems == []
    assert [(s.status, s.timestamp) for s in result.statuses] == [
        ("read", ts(1750000300)),
        ("sent", ts(1750000100)),
        ("delivered", ts(1750000200)),
        ("read", ts(1750000300)),
    ]
    assert {s.message_id for s in result.statuses} == {"wamid.OUT1"}
    assert all(s.phone_number_id == PNID for s in result.statuses)


def test_failed_status_carries_its_error_codes():
    errors = [
        {
            "code": 131047,
            "title": "Re-engagement message",
            "message": "Re-engagement message",
            "error_data": {"details": "More than 24 hours have passed since the last reply."},
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
        },
        {"code": "131026", "title": "Message undeliverable"},
    ]
    [update] = parse_webhook(envelope(statuses=[status("failed", errors=errors)])).statuses
    assert update.status == "failed"
    assert [e.code for e in update.errors] == [131047, 131026]
    assert update.errors[0].details == "More than 24 hours have passed since the last reply."
    assert update.errors[1] == ErrorInfo(131026, "Message undeliverable", "", "")


def test_status_keeps_recipient_bsuid_and_callback_data():
    payload = envelope(
        statuses=[
            status(
                "delivered",
                recipient_user_id=BSUID,
                biz_opaque_callback_data="case-42",
                pricing={"billable": False},
            )
        ],
        contacts=[contact(user_id=BSUID)],
    )
    [update] = parse_webhook(payload).statuses
    assert (update.recipient_id, update.recipient_user_id, update.callback_data) == (
        WA,
        BSUID,
        "case-42",
    )
    assert update.raw["pricing"] == {"billable": False}


def test_status_sent_to_a_bsuid_may_lack_recipient_id():
    payload = envelope(statuses=[{"id": "wamid.X", "status": "sent", "recipient_user_id": BSUID}])
    [update] = parse_webhook(payload).statuses
    assert (update.recipient_id, update.recipient_user_id, update.timestamp) == (None, BSUID, None)


def test_new_status_values_are_kept_lowercased():
    payload = envelope(statuses=[status("DELIVERED"), status("played"), status(" Warning ")])
    assert [s.status for s in parse_webhook(payload).statuses] == ["delivered", "played", "warning"]


def test_status_without_id_or_value_is_skipped_with_a_note():
    payload = envelope(statuses=[status("sent", mid=""), status(""), status(5), 7, status("read")])
    result = parse_webhook(payload)
    assert [s.status for s in result.statuses] == ["read"]
    assert len(result.problems) == 4


def test_change_level_errors_become_problems():
    errors = [{"code": 130501, "title": "Unsupported", "error_data": {"details": "whatever"}}]
    result = parse_webhook(envelope(errors=errors))
    assert result.messages == [] and result.statuses == []
    assert any("130501" in note and "whatever" in note for note in result.problems)


def test_other_fields_are_handed_back_raw():
    payload = envelope(field="message_template_status_update")
    result = parse_webhook(payload)
    assert result.other == [payload["entry"][0]["changes"][0]]
    assert result.messages == [] and result.problems == []


# --- timestamps -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "-1", -1, "1.5", 1.5, "1e9", True, None, [], {}, "9" * 30, "9" * 5000, "١٢٣"],
)
def test_bad_timestamps_become_none(raw):
    message = only_message(envelope([msg(timestamp=raw, text={"body": "x"})]))
    assert message.timestamp is None


def test_integer_timestamp_is_accepted():
    message = only_message(envelope([msg(timestamp=1750000000, text={"body": "x"})]))
    assert message.timestamp == ts(1750000000)


# --- malformed input ------------------------------------------------------------------------


def _value(**value) -> dict:
    return {"entry": [{"changes": [{"field": "messages", "value": value}]}]}


MALFORMED = {
    "none": None,
    "list": [],
    "string": "x",
    "number": 5,
    "empty object": {},
    "entry not a list": {"entry": 5},
    "entry item not an object": {"entry": [5]},
    "changes not a list": {"entry": [{"changes": "x"}]},
    "change not an object": {"entry": [{"changes": [None]}]},
    "value not an object": {"entry": [{"changes": [{"field": "messages", "value": []}]}]},
    "missing metadata": _value(messages=[msg(text={"body": "x"})], contacts=[contact()]),
    "metadata not an object": _value(metadata="x", messages=[msg(text={"body": "x"})]),
    "phone_number_id not a string": _value(
        metadata={"phone_number_id": {"x": 1}}, statuses=[status("sent")]
    ),
    "messages not a list": _value(metadata={"phone_number_id": PNID}, messages={"id": "wamid.1"}),
    "statuses not a list": _value(metadata={"phone_number_id": PNID}, statuses="sent"),
    "message not an object": _value(metadata={"phone_number_id": PNID}, messages=[[1, 2]]),
    "another product": {"object": "instagram", "entry": envelope([msg()])["entry"]},
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_input_gives_empty_results_and_problems(name):
    result = parse_webhook(MALFORMED[name])
    assert_sane(result)
    assert result.messages == [] and result.statuses == [] and result.other == []
    assert result.problems


def test_wrong_types_inside_a_message_do_not_lose_it():
    weird = msg(
        "interactive",
        interactive=["not", "a", "dict"],
        context="wamid.X",
        referral=5,
        errors={"code": 1},
    )
    message = only_message(envelope([weird], contacts=[7, None, "x"]))
    assert message.kind == "unsupported"
    assert (message.context_id, message.referral, message.errors) == (None, None, ())
    assert message.identity == Identity(key=WA, wa_id=WA, user_id=None, phone=WA, name=None)


def test_integer_ids_are_read_as_strings():
    payload = envelope([msg(mid=123, sender=6281234567890, text={"body": "x"})], contacts=[])
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = 42
    message = only_message(payload)
    assert (message.message_id, message.identity.key, message.phone_number_id) == ("123", WA, "42")


# --- phone_number_ids -----------------------------------------------------------------------


def test_phone_number_ids_in_order_without_repeats_across_fields():
    payload = envelope([msg()])
    for number, field in (
        ("222", "messages"),
        (PNID, "messages"),
        ("333", "group_lifecycle_update"),
    ):
        payload["entry"].append(envelope(phone_number_id=number, field=field)["entry"][0])
    payload["entry"].append({"changes": [{"field": "messages", "value": {"metadata": 5}}]})
    assert phone_number_ids(payload) == [PNID, "222", "333"]


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_phone_number_ids_never_raises(name):
    found = phone_number_ids(MALFORMED[name])
    assert isinstance(found, list)
    assert all(isinstance(number, str) for number in found)


# --- fuzzing --------------------------------------------------------------------------------

# Meta's key names, so that arbitrary values also land where the parser looks.
# fmt: off
KEYS = (
    "object", "entry", "changes", "field", "value", "metadata", "phone_number_id",
    "display_phone_number", "contacts", "profile", "name", "wa_id", "user_id", "messages",
    "statuses", "errors", "error_data", "details", "code", "id", "from", "from_user_id",
    "timestamp", "type", "text", "body", "image", "audio", "voice", "interactive",
    "button_reply", "list_reply", "button", "payload", "reaction", "emoji", "location",
    "latitude", "context", "group_id", "status", "recipient_id", "recipient_user_id",
    "biz_opaque_callback_data",
)
# fmt: on

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children, max_size=6
        ),
    ),
    max_leaves=40,
)


def check_never_raises(payload) -> ParsedWebhook:
    result = parse_webhook(payload)
    assert_sane(result)
    numbers = phone_number_ids(payload)
    assert all(isinstance(number, str) and number for number in numbers)
    assert len(numbers) == len(set(numbers))
    return result


@settings(max_examples=500, deadline=None)
@given(payload=json_values)
def test_fuzz_arbitrary_json_never_raises(payload):
    check_never_raises(payload)


@settings(max_examples=200, deadline=None)
@given(payload=json_values)
def test_fuzz_arbitrary_json_inside_a_valid_envelope_never_raises(payload):
    check_never_raises({"object": "whatsapp_business_account", "entry": [{"changes": [payload]}]})
    check_never_raises(envelope(messages=[payload], statuses=[payload], contacts=[payload]))


def _paths(node, prefix=()):
    """Every location inside a JSON value, the root included."""
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _paths(child, (*prefix, index))


def _replace(root, path, new):
    if not path:
        return new
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return root


def _delete(root, path):
    if not path:
        return root
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return root


_SPEC_EXAMPLES = webhook_examples() if SPEC_AVAILABLE else {}


@needs_spec
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_mutated_spec_examples_never_raise(data):
    name = data.draw(st.sampled_from(sorted(_SPEC_EXAMPLES)), label="example")
    payload = copy.deepcopy(_SPEC_EXAMPLES[name])
    for _ in range(data.draw(st.integers(min_value=1, max_value=4), label="mutations")):
        path = data.draw(st.sampled_from(list(_paths(payload))), label="path")
        if path and data.draw(st.booleans(), label="delete"):
            payload = _delete(payload, path)
        else:
            payload = _replace(payload, path, data.draw(json_values, label="new value"))
    check_never_raises(payload)


anything = st.text(max_size=12)
maybe = st.one_of(st.none(), anything)
message_types = st.one_of(
    st.sampled_from(
        (
            "text",
            "image",
            "document",
            "audio",
            "video",
            "sticker",
            "location",
            "contacts",
            "interactive",
            "button",
            "reaction",
            "order",
            "system",
            "request_welcome",
            "unsupported",
            "unknown",
        )
    ),
    anything,
)


@st.composite
def random_message(draw) -> dict:
    type_ = draw(message_types)
    found = {
        "id": draw(anything),
        "from": draw(maybe),
        "from_user_id": draw(maybe),
        "timestamp": draw(anything),
        "type": type_,
        "context": {"from": draw(anything), "id": draw(anything)},
        type_: {
            "id": draw(anything),
            "body": draw(anything),
            "caption": draw(anything),
            "mime_type": draw(anything),
            "sha256": draw(anything),
            "filename": draw(anything),
            "voice": draw(st.booleans()),
            "animated": draw(st.booleans()),
            "type": draw(st.sampled_from(("button_reply", "list_reply", "nfm_reply")) | anything),
            "button_reply": {"id": draw(anything), "title": draw(anything)},
            "list_reply": {"id": draw(anything), "title": draw(anything)},
            "payload": draw(anything),
            "text": draw(anything),
            "message_id": draw(anything),
            "emoji": draw(anything),
            "latitude": draw(anything),
            "longitude": draw(anything),
        },
    }
    if draw(st.booleans()):
        found["group_id"] = draw(anything)
    return found


@st.composite
def random_envelope(draw) -> dict:
    messages = draw(st.lists(random_message(), max_size=4))
    contacts = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "profile": st.fixed_dictionaries({"name": anything}),
                    "wa_id": maybe,
                    "user_id": maybe,
                }
            ),
            max_size=3,
        )
    )
    statuses = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "id": anything,
                    "status": anything,
                    "timestamp": anything,
                    "recipient_id": maybe,
                    "recipient_user_id": maybe,
                    "biz_opaque_callback_data": maybe,
                    "errors": st.lists(
                        st.fixed_dictionaries(
                            {
                                "code": st.one_of(st.integers(), anything),
                                "title": anything,
                                "message": anything,
                                "error_data": st.fixed_dictionaries({"details": anything}),
                            }
                        ),
                        max_size=2,
                    ),
                }
            ),
            max_size=3,
        )
    )
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": draw(anything), "phone_number_id": draw(anything)},
        "contacts": contacts,
        "messages": messages,
        "statuses": statuses,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": draw(anything), "changes": [{"field": "messages", "value": value}]}],
    }


@settings(max_examples=300, deadline=None)
@given(payload=random_envelope())
def test_fuzz_well_formed_envelopes_with_random_strings(payload):
    result = check_never_raises(payload)
    value = payload["entry"][0]["changes"][0]["value"]
    # Every record is accounted for: parsed, or skipped with a note.
    if value["metadata"]["phone_number_id"].strip():
        parsed = len(result.messages) + len(result.statuses)
        skipped = len(value["messages"]) + len(value["statuses"]) - parsed
        assert len(result.problems) >= skipped
    for message in result.messages:
        assert message.message_id and message.identity.key
