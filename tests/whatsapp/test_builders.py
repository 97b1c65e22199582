"""Message builders: Meta's limits, fallbacks, text splitting, numbered replies, envelopes;
and the well-formedness of the template presets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layan.whatsapp import builders
from layan.whatsapp.builders import BuilderError, Option

HINT_EN = "Reply with the number of your choice."
TEMPLATES = Path(builders.__file__).resolve().parent / "presets" / "templates.yaml"


def opts(*titles: str, description: str = "") -> list[Option]:
    return [Option(id=f"opt-{i}", title=t, description=description) for i, t in enumerate(titles)]


def n_opts(n: int, title_length: int = 8) -> list[Option]:
    return [Option(id=f"o{i}", title=f"{i:0{title_length}d}") for i in range(1, n + 1)]


def assert_within_limits(content: dict) -> None:
    """Every limit Meta sets on the content this module can build."""
    kind = content["type"]
    payload = content[kind]
    if kind == "text":
        body = payload["body"]
        assert body.strip()
        assert len(body) <= 4096
    elif kind == "interactive":
        assert payload["body"]["text"].strip()
        assert len(payload["body"]["text"]) <= 1024
        if "header" in payload:
            assert payload["header"]["type"] == "text"
            assert 0 < len(payload["header"]["text"]) <= 60
        if "footer" in payload:
            assert 0 < len(payload["footer"]["text"]) <= 60
        action = payload["action"]
        if payload["type"] == "button":
            replies = [b["reply"] for b in action["buttons"]]
            assert 1 <= len(replies) <= 3
            titles = [r["title"] for r in replies]
            assert len(set(titles)) == len(titles)
            for reply in replies:
                assert 0 < len(reply["title"]) <= 20
                assert 0 < len(reply["id"]) <= 256
        else:
            assert payload["type"] == "list"
            assert 0 < len(action["button"]) <= 20
            rows = [row for section in action["sections"] for row in section["rows"]]
            assert 1 <= len(rows) <= 10
            assert len({row["id"] for row in rows}) == len(rows)
            for section in action["sections"]:
                assert len(section.get("title", "")) <= 24
            for row in rows:
                assert 0 < len(row["title"]) <= 24
                assert len(row.get("description", "")) <= 72
                assert 0 < len(row["id"]) <= 200
    elif kind in ("document", "image"):
        assert len(payload.get("caption", "")) <= 1024
    else:
        raise AssertionError(f"unexpected content type {kind}")


def assert_pieces_cover(pieces: list[str], body: str) -> None:
    """The pieces are substrings of body, in order, and only whitespace lies between them."""
    position = 0
    for piece in pieces:
        found = body.find(piece, position)
        assert found >= 0, piece[:40]
        assert body[position:found].strip() == ""
        position = found + len(piece)
    assert body[position:].strip() == ""


def bodies(messages: list[dict]) -> list[str]:
    return [m["text"]["body"] for m in messages]


# --- reply buttons, lists, numbered text --------------------------------------------------


def test_three_buttons_are_reply_buttons():
    [message] = builders.buttons("Lanjutkan?", opts("Ya", "Tidak", "Nanti"))
    assert message["type"] == "interactive"
    interactive = message["interactive"]
    assert interactive["type"] == "button"
    assert [b["reply"] for b in interactive["action"]["buttons"]] == [
        {"id": "opt-0", "title": "Ya"},
        {"id": "opt-1", "title": "Tidak"},
        {"id": "opt-2", "title": "Nanti"},
    ]
    assert all(b["type"] == "reply" for b in interactive["action"]["buttons"])
    assert interactive["body"] == {"text": "Lanjutkan?"}


def test_four_options_become_a_list():
    [message] = builders.buttons("Pilih layanan", n_opts(4))
    assert message["interactive"]["type"] == "list"
    [section] = message["interactive"]["action"]["sections"]
    assert [row["id"] for row in section["rows"]] == ["o1", "o2", "o3", "o4"]
    assert_within_limits(message)


def test_eleven_options_become_numbered_text():
    with translation.override("en"):
        messages = builders.buttons("Pilih layanan", n_opts(11))
    [message] = messages
    assert message["type"] == "text"
    body = message["text"]["body"]
    assert "1. 00000001" in body
    assert "11. 00000011" in body
    assert body.endswith(HINT_EN)


def test_button_title_of_20_characters_fits():
    [message] = builders.buttons("?", opts("x" * 20, "Tidak"))
    assert message["interactive"]["type"] == "button"
    assert message["interactive"]["action"]["buttons"][0]["reply"]["title"] == "x" * 20


def test_button_title_of_21_characters_falls_back_to_a_list_uncut():
    [message] = builders.buttons("?", opts("x" * 21, "Tidak"))
    assert message["interactive"]["type"] == "list"
    rows = message["interactive"]["action"]["sections"][0]["rows"]
    assert rows[0]["title"] == "x" * 21


def test_button_title_too_long_for_a_list_falls_back_to_numbered_text():
    with translation.override("en"):
        [message] = builders.buttons("?", opts("y" * 30, "Tidak"))
    assert message["type"] == "text"
    assert "1. " + "y" * 30 in message["text"]["body"]


def test_duplicate_button_titles_are_not_buttons():
    [message] = builders.buttons("?", [Option("a", "Sama"), Option("b", "Sama")])
    assert message["interactive"]["type"] == "list"


def test_list_row_title_24_fits_25_falls_back():
    [fits] = builders.choice_list("Pilih", "Lihat", opts("r" * 24, "Lain"))
    assert fits["interactive"]["type"] == "list"
    assert fits["interactive"]["action"]["sections"][0]["rows"][0]["title"] == "r" * 24
    [falls] = builders.choice_list("Pilih", "Lihat", opts("r" * 25, "Lain"))
    assert falls["type"] == "text"
    assert "1. " + "r" * 25 in falls["text"]["body"]


def test_list_of_ten_rows_fits_eleven_falls_back():
    [ten] = builders.choice_list("Pilih", "Lihat", n_opts(10))
    assert len(ten["interactive"]["action"]["sections"][0]["rows"]) == 10
    [eleven] = builders.choice_list("Pilih", "Lihat", n_opts(11))
    assert eleven["type"] == "text"


def test_list_description_is_shortened_to_72_with_an_ellipsis():
    long = (
        "Kartu Keluarga baru karena perkawinan, perceraian, pindah datang atau anggota baru lahir"
    )
    assert len(long) > 72
    options = [Option("kk", "Kartu Keluarga", long), Option("kia", "KIA", "Kartu Identitas Anak")]
    [message] = builders.choice_list("Pilih layanan", "Layanan", options, section_title="Layanan")
    section = message["interactive"]["action"]["sections"][0]
    first, second = section["rows"]
    assert len(first["description"]) <= 72
    assert first["description"].endswith("…")
    assert long.startswith(first["description"][:-1])
    assert second["description"] == "Kartu Identitas Anak"
    assert section["title"] == "Layanan"
    assert message["interactive"]["action"]["button"] == "Layanan"


def test_list_without_descriptions_has_no_description_key():
    [message] = builders.choice_list("Pilih", "Lihat", opts("A", "B"))
    rows = message["interactive"]["action"]["sections"][0]["rows"]
    assert all("description" not in row for row in rows)
    assert "title" not in message["interactive"]["action"]["sections"][0]


def test_list_button_label_too_long_falls_back_and_long_section_title_is_left_out():
    [message] = builders.choice_list("Pilih", "b" * 21, opts("A", "B"))
    assert message["type"] == "text"
    [message] = builders.choice_list("Pilih", "Lihat", opts("A", "B"), section_title="s" * 25)
    assert "title" not in message["interactive"]["action"]["sections"][0]


def test_header_and_footer_fit_or_move_into_the_body():
    [message] = builders.buttons("Isi", opts("Ya"), header="Judul", footer="Catatan")
    interactive = message["interactive"]
    assert list(interactive) == ["type", "header", "body", "footer", "action"]
    assert interactive["header"] == {"type": "text", "text": "Judul"}
    assert interactive["footer"] == {"text": "Catatan"} | {"type": "text"}
    [message] = builders.buttons("Isi", opts("Ya"), header="H" * 61, footer="F" * 61)
    interactive = message["interactive"]
    assert "header" not in interactive
    assert "footer" not in interactive
    assert interactive["body"]["text"] == "H" * 61 + "\n\nIsi\n\n" + "F" * 61


def test_a_long_interactive_body_sends_its_beginning_as_text_first():
    paragraphs = [f"Paragraf {i}. " + "kata " * 150 for i in range(6)]
    body = "\n\n".join(p.strip() for p in paragraphs)
    assert len(body) > 4096
    messages = builders.buttons(body, opts("Ya", "Tidak"))
    *leading, last = messages
    assert leading and all(m["type"] == "text" for m in leading)
    assert last["type"] == "interactive"
    for message in messages:
        assert_within_limits(message)
    pieces = bodies(leading) + [last["interactive"]["body"]["text"]]
    assert_pieces_cover(pieces, body)
    assert "\n\n".join(pieces) == body


def test_numbered_text_lines_and_hint():
    options = [Option("a", "Kartu Keluarga", "KK baru atau perubahan"), Option("b", "KIA")]
    with translation.override("en"):
        [message] = builders.numbered_text("Layanan apa yang Anda perlukan?", options)
    assert message["text"]["body"] == (
        "Layanan apa yang Anda perlukan?\n\n"
        "1. Kartu Keluarga — KK baru atau perubahan\n"
        "2. KIA\n\n" + HINT_EN
    )


def test_numbered_text_hint_is_translated():
    with translation.override("id"):
        [message] = builders.numbered_text("Pilih", opts("A"))
        expected = translation.gettext(HINT_EN)
    assert message["text"]["body"].endswith(expected)


def test_numbered_text_splits_when_long():
    options = [Option(f"o{i}", f"Pilihan {i}", "keterangan " * 10) for i in range(60)]
    messages = builders.numbered_text("Pilih", options)
    assert len(messages) > 1
    for message in messages:
        assert_within_limits(message)
    joined = "\n".join(bodies(messages))
    assert "60. Pilihan 59" in joined


@pytest.mark.parametrize(
    ("reply", "index"),
    [
        ("2", 1),
        (" 2 ", 1),
        ("2.", 1),
        ("2)", 1),
        ("no 2", 1),
        ("No. 2", 1),
        ("nomor 3", 2),
        ("#1", 0),
        ("02", 1),
        ("ktp-el", 1),
        ("  Kartu   KELUARGA ", 0),
        ("kia", 2),
    ],
)
def test_match_numbered_reply_picks(reply, index):
    options = opts("Kartu Keluarga", "KTP-el", "KIA")
    assert builders.match_numbered_reply(reply, options) is options[index]


@pytest.mark.parametrize("reply", ["", "  ", "0", "4", "12", "-1", "dua", "2 3", "kartu", None])
def test_match_numbered_reply_refuses(reply):
    assert builders.match_numbered_reply(reply, opts("Kartu Keluarga", "KTP-el", "KIA")) is None


# --- text splitting -----------------------------------------------------------------------


def test_short_text_is_one_message_unchanged():
    assert builders.text("  Halo\n\nApa kabar?  ") == [
        {"type": "text", "text": {"body": "  Halo\n\nApa kabar?  ", "preview_url": False}}
    ]
    [message] = builders.text("https://contoh.go.id", preview_url=True)
    assert message["text"]["preview_url"] is True


def test_text_of_exactly_4096_is_one_message():
    assert bodies(builders.text("a" * 4096)) == ["a" * 4096]


def test_text_splits_at_paragraph_boundaries():
    paragraphs = [f"Paragraf {i}: " + ("isi " * (100 + 37 * i)).strip() for i in range(12)]
    body = "\n\n".join(paragraphs)
    pieces = bodies(builders.text(body))
    assert len(pieces) > 1
    assert all(len(p) <= 4096 for p in pieces)
    assert "\n\n".join(pieces) == body
    for piece in pieces:
        assert all(part in paragraphs for part in piece.split("\n\n"))


def test_text_splits_a_long_paragraph_at_line_boundaries():
    lines = [f"Baris {i}: " + "x" * 90 for i in range(100)]
    body = "\n".join(lines)
    pieces = bodies(builders.text(body))
    assert len(pieces) == 3
    assert all(len(p) <= 4096 for p in pieces)
    assert "\n".join(pieces) == body
    for piece in pieces:
        assert all(line in lines for line in piece.split("\n"))


def test_text_splits_a_long_line_at_word_boundaries_never_mid_word():
    words = [("kata" * (1 + i % 5))[: 3 + (i * 7) % 17] for i in range(2000)]
    body = " ".join(words)
    assert len(body) > 8192
    pieces = bodies(builders.text(body))
    assert len(pieces) >= 3
    assert all(len(p) <= 4096 for p in pieces)
    assert " ".join(pieces) == body
    vocabulary = set(words)
    for piece in pieces:
        assert set(piece.split(" ")) <= vocabulary


def test_a_single_word_longer_than_the_limit_is_cut():
    word = "".join(chr(ord("a") + i % 26) for i in range(5000))
    pieces = bodies(builders.text(word))
    assert [len(p) for p in pieces] == [4096, 904]
    assert "".join(pieces) == word


def test_hard_cut_keeps_combining_marks_with_their_letter():
    word = "e\u0301" * 3000  # 6000 code points, "é" as e + combining acute
    pieces = bodies(builders.text(word))
    assert all(len(p) <= 4096 for p in pieces)
    assert "".join(pieces) == word
    assert all(not p.startswith("\u0301") for p in pieces)


def test_mixed_levels_keep_the_order_and_only_drop_separators():
    body = (
        "Pembuka singkat.\n\n"
        + "\n".join("baris " + "y" * 60 for _ in range(80))
        + "\n\n"
        + " ".join(["panjang"] * 700)
        + "\n\n"
        + "z" * 4500
        + "\n\nPenutup."
    )
    pieces = bodies(builders.text(body))
    assert all(0 < len(p) <= 4096 for p in pieces)
    assert_pieces_cover(pieces, body)
    assert re.sub(r"\s+", "", "".join(pieces)) == re.sub(r"\s+", "", body)


def test_blank_gaps_do_not_make_empty_messages():
    body = "a" * 4000 + "\n\n" + " " * 300 + "\n\n\n\n" + "b" * 10
    pieces = bodies(builders.text(body))
    assert pieces == ["a" * 4000, "b" * 10]


# --- media, templates, envelope -----------------------------------------------------------


def test_document_by_link_and_by_id():
    assert builders.document(link="https://x.go.id/kk.pdf", filename="KK.pdf", caption="KK") == {
        "type": "document",
        "document": {"link": "https://x.go.id/kk.pdf", "caption": "KK", "filename": "KK.pdf"},
    }
    assert builders.document(media_id="123", filename="KK.pdf") == {
        "type": "document",
        "document": {"id": "123", "filename": "KK.pdf"},
    }


def test_image_and_a_long_caption():
    message = builders.image(media_id="987", caption="kata " * 400)
    assert message["type"] == "image"
    assert message["image"]["id"] == "987"
    assert len(message["image"]["caption"]) <= 1024
    assert message["image"]["caption"].endswith("…")
    assert builders.image(link="http://x.id/a.jpg") == {
        "type": "image",
        "image": {"link": "http://x.id/a.jpg"},
    }


def test_template_components():
    message = builders.template(
        "layan_document_ready",
        "id",
        ["KK-7X3K9M", "Kartu\nKeluarga", "", 482913],
        button_url_params=["Q8ZK2M"],
    )
    assert message == {
        "type": "template",
        "template": {
            "name": "layan_document_ready",
            "language": {"code": "id", "policy": "deterministic"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "KK-7X3K9M"},
                        {"type": "text", "text": "Kartu Keluarga"},
                        {"type": "text", "text": "-"},
                        {"type": "text", "text": "482913"},
                    ],
                },
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": "0",
                    "parameters": [{"type": "text", "text": "Q8ZK2M"}],
                },
            ],
        },
    }


def test_template_without_parameters_has_no_components():
    assert builders.template("layan_x", "id") == {
        "type": "template",
        "template": {"name": "layan_x", "language": {"code": "id", "policy": "deterministic"}},
    }


def test_envelope_to_a_phone_number():
    content = builders.text("Halo")[0]
    assert builders.envelope(content, to="+62 812-3456-7890") == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "text",
        "text": {"body": "Halo", "preview_url": False},
    }


def test_envelope_to_a_business_scoped_user_id():
    content = builders.text("Halo")[0]
    message = builders.envelope(
        content, recipient="ID.13491208655302741918", callback_data="outbox:42", reply_to="wamid.X"
    )
    assert message == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "recipient": "ID.13491208655302741918",
        "type": "text",
        "text": {"body": "Halo", "preview_url": False},
        "biz_opaque_callback_data": "outbox:42",
        "context": {"message_id": "wamid.X"},
    }
    assert "to" not in message


def test_envelope_does_not_mutate_content():
    content = builders.text("Halo")[0]
    before = repr(content)
    message = builders.envelope(content, to="628123456789", reply_to="wamid.Y")
    assert repr(content) == before
    message["text"]["body"] = "diubah"
    assert content["text"]["body"] == "Halo"


@pytest.mark.parametrize(
    "call",
    [
        lambda: builders.buttons("Pilih", []),
        lambda: builders.choice_list("Pilih", "Lihat", []),
        lambda: builders.numbered_text("Pilih", []),
        lambda: builders.buttons("", opts("A")),
        lambda: builders.buttons(" \n ", opts("A")),
        lambda: builders.text(""),
        lambda: builders.text("   "),
        lambda: builders.buttons("Pilih", [Option("a", "A"), Option("a", "B")]),
        lambda: builders.buttons("Pilih", [Option("a", " ")]),
        lambda: builders.buttons("Pilih", [Option("", "A")]),
        lambda: builders.buttons("Pilih", [Option(" a", "A")]),
        lambda: builders.buttons("Pilih", [Option("a" * 201, "A")]),
        lambda: builders.choice_list("Pilih", " ", opts("A")),
        lambda: builders.document(filename="a.pdf"),
        lambda: builders.document(link="https://a/b", media_id="1", filename="a.pdf"),
        lambda: builders.document(link="https://a/b", filename=" "),
        lambda: builders.image(link="ftp://a/b"),
        lambda: builders.template("Layan Status", "id"),
        lambda: builders.template("layan_status", ""),
        lambda: builders.envelope(builders.text("a")[0]),
        lambda: builders.envelope(builders.text("a")[0], to="62812345678", recipient="ID.1"),
        lambda: builders.envelope(builders.text("a")[0], to="not a number"),
        lambda: builders.envelope(builders.text("a")[0], recipient=" "),
        lambda: builders.envelope(builders.text("a")[0], to="628123456", callback_data="x" * 513),
        lambda: builders.envelope({"type": "text"}, to="628123456"),
    ],
)
def test_impossible_input_raises_builder_error(call):
    with pytest.raises(BuilderError):
        call()


def test_builder_error_is_a_value_error_with_a_message():
    with pytest.raises(ValueError, match="at least one option"):
        builders.buttons("Pilih", [])


# --- properties ---------------------------------------------------------------------------

_words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Zl", "Zp")), max_size=30
)
_long_bodies = st.lists(
    st.tuples(_words, st.sampled_from([" ", " ", " ", "\n", "\n\n", "", "  "])),
    min_size=1,
    max_size=400,
).map(lambda parts: "".join(w + s for w, s in parts))
_bodies = st.one_of(
    st.text(min_size=1, max_size=200),
    _long_bodies,
    st.builds(lambda w, n: w * n, st.text(min_size=1, max_size=3), st.integers(1, 3000)),
).filter(lambda s: s.strip())

_option_titles = st.text(min_size=1, max_size=30).filter(lambda s: s.strip())


@st.composite
def _options(draw, max_size=14):
    titles = draw(st.lists(_option_titles, min_size=1, max_size=max_size))
    descriptions = draw(st.lists(st.text(max_size=100), min_size=len(titles), max_size=len(titles)))
    return [
        Option(id=f"id-{i}", title=title, description=description)
        for i, (title, description) in enumerate(zip(titles, descriptions, strict=True))
    ]


_decoration = st.one_of(st.none(), st.text(max_size=80))
_relaxed = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_relaxed
@given(body=_bodies)
def test_any_text_is_split_within_limits_and_loses_nothing_but_whitespace(body):
    messages = builders.text(body)
    for message in messages:
        assert_within_limits(message)
    assert_pieces_cover(bodies(messages), body.replace("\r\n", "\n"))


@_relaxed
@given(body=_bodies, options=_options(), header=_decoration, footer=_decoration)
def test_any_buttons_respect_every_limit(body, options, header, footer):
    messages = builders.buttons(body, options, header=header, footer=footer)
    assert messages
    for message in messages:
        assert_within_limits(message)
    if messages[-1]["type"] == "interactive":
        interactive = messages[-1]["interactive"]
        action = interactive["action"]
        ids = [b["reply"]["id"] for b in action.get("buttons", [])] or [
            row["id"] for section in action["sections"] for row in section["rows"]
        ]
        assert ids == [option.id for option in options]


@_relaxed
@given(
    body=_bodies,
    button=st.text(min_size=1, max_size=25).filter(lambda s: s.strip()),
    options=_options(),
    section_title=_decoration,
    header=_decoration,
    footer=_decoration,
)
def test_any_list_respects_every_limit(body, button, options, section_title, header, footer):
    messages = builders.choice_list(
        body, button, options, section_title=section_title, header=header, footer=footer
    )
    assert messages
    for message in messages:
        assert_within_limits(message)


@_relaxed
@given(body=_bodies, options=_options(max_size=40))
def test_numbered_text_respects_limits_and_every_number_matches(body, options):
    for message in builders.numbered_text(body, options):
        assert_within_limits(message)
    for number, option in enumerate(options, start=1):
        for reply in (str(number), f" {number} ", f"{number}.", f"no {number}"):
            assert builders.match_numbered_reply(reply, options) is option
    assert builders.match_numbered_reply(str(len(options) + 1), options) is None
    assert builders.match_numbered_reply("0", options) is None


@_relaxed
@given(caption=st.one_of(st.none(), st.text(max_size=2000)), by_link=st.booleans())
def test_any_media_caption_fits(caption, by_link):
    source = {"link": "https://x.go.id/a.pdf"} if by_link else {"media_id": "42"}
    assert_within_limits(builders.document(filename="a.pdf", caption=caption, **source))
    assert_within_limits(builders.image(caption=caption, **source))


# --- template presets ---------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")
REQUIRED_KEYS = {
    "status_update",
    "documents_needed",
    "ready_for_pickup",
    "document_ready",
    "completed",
    "rejected",
    "complaint_answer",
    "survey_invite",
    "staff_reply",
    "generic_notice",
}


def load_templates() -> list[dict]:
    return yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))


def test_template_presets_are_well_formed():
    templates = load_templates()
    keys = [t["key"] for t in templates]
    names = [t["name"] for t in templates]
    assert len(set(keys)) == len(keys)
    assert len(set(names)) == len(names)
    assert set(keys) >= REQUIRED_KEYS
    for t in templates:
        label = t["key"]
        assert set(t) <= {
            "key",
            "name",
            "category",
            "language",
            "body",
            "params",
            "buttons",
            "example",
        }, label
        assert re.fullmatch(r"layan_[a-z0-9_]+", t["name"]) and len(t["name"]) <= 512, label
        assert t["category"] == "UTILITY", label
        assert t["language"] == "id", label
        body, params, example = t["body"], t["params"], t["example"]
        assert 0 < len(body) < 1024, label
        numbers = [int(n) for n in _PLACEHOLDER.findall(body)]
        assert sorted(set(numbers)) == list(range(1, len(params) + 1)), label
        first_seen = list(dict.fromkeys(numbers))
        assert first_seen == sorted(first_seen), f"{label}: placeholders out of order"
        assert len(example) == len(params), label
        assert all(isinstance(v, str) and v.strip() and "\n" not in v for v in example), label
        assert all(re.fullmatch(r"[a-z_]+", p) for p in params), label
        # Meta refuses a body that starts or ends with a placeholder, or two in a row
        assert not re.match(r"^\s*\{\{", body) and not re.search(r"\}\}\s*$", body), label
        assert not re.search(r"\}\}\s*\{\{", body), label
        filled = _PLACEHOLDER.sub(lambda m, values=example: values[int(m.group(1)) - 1], body)
        assert len(filled) < 1024, label
        for button in t.get("buttons", []):
            assert button["type"] == "QUICK_REPLY", label
            assert 0 < len(button["text"]) <= 25, label


def test_template_presets_build_messages():
    for t in load_templates():
        message = builders.template(t["name"], t["language"], t["example"])
        assert message["template"]["name"] == t["name"]
        [component] = message["template"]["components"]
        assert [p["text"] for p in component["parameters"]] == t["example"]
