"""Contract: every request body the builders make validates against Meta's send schema.

The schema is ``#/components/schemas/Message`` of Meta's OpenAPI spec (v23.0), read in place from
the shared data folder (skipped when absent). Using it with a JSON Schema validator needs a few
repairs, made by :func:`prepare_schemas` on a copy, each for a named reason:

1. ``Message`` is a ``oneOf`` with an OpenAPI ``discriminator`` on ``type``; JSON Schema does not
   know discriminators, so :func:`validate` picks the mapped schema itself. Nested discriminators
   (template components and parameters) become ``if``/``then`` dispatches.
2. Its members put ``additionalProperties: false`` inside an ``allOf`` part, which rejects the
   properties of the other part (``BaseMessageProperties``): moved to ``unevaluatedProperties:
   false`` on the parent (Draft 2020-12).
3. The template button ``index`` pattern is ``^[2-6, 11-14]$``, a character-class typo that
   refuses index "0"; the description says 0-9, so it becomes ``^[0-9]$``.

And one extension, only in the ``current`` flavour: v23.0 predates business-scoped user ids.
Meta's current Messages API takes ``recipient`` (a BSUID) instead of ``to`` and passes
``biz_opaque_callback_data`` back in status webhooks; neither is in the v23.0 schema, so the
``current`` flavour adds them (``to`` or ``recipient`` required). The ``v23`` flavour is the spec
with only the repairs above; envelopes without those fields must pass both.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from layan.whatsapp import builders
from layan.whatsapp.builders import Option
from tests.environment import WHATSAPP_SPEC

SPEC_PATH = WHATSAPP_SPEC
TEMPLATES = Path(builders.__file__).resolve().parent / "presets" / "templates.yaml"
BASE_URI = "urn:meta:whatsapp:business-messaging-api:v23.0"
SCHEMAS = "#/components/schemas/"
BROKEN_INDEX_PATTERN = "^[2-6, 11-14]$"
PHONE = "6281234567890"
BSUID = "ID.13491208655302741918"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

pytestmark = pytest.mark.skipif(not SPEC_PATH.is_file(), reason=f"spec not found: {SPEC_PATH}")


# --- loading and preparing the schema -----------------------------------------------------


@functools.lru_cache(maxsize=1)
def load_spec() -> dict:
    """The whole spec (about 1 MB, parsed once). Shared: never mutate it."""
    if not SPEC_PATH.is_file():
        pytest.skip(f"spec not found: {SPEC_PATH}")
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)  # noqa: S506 - a safe loader, C or Python


def _walk(node: Any):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _name(ref: str) -> str:
    assert ref.startswith(SCHEMAS), ref
    return ref[len(SCHEMAS) :]


def prepare_schemas(spec: dict, *, unevaluated: bool = True, current: bool = False) -> dict:
    """A repaired copy of ``components.schemas`` (see the module docstring)."""
    schemas = copy.deepcopy(spec["components"]["schemas"])
    for node in _walk(schemas):
        # (2) additionalProperties: false inside allOf parts -> unevaluatedProperties on the parent
        if unevaluated and isinstance(node.get("allOf"), list):
            for part in node["allOf"]:
                if isinstance(part, dict) and part.get("additionalProperties") is False:
                    del part["additionalProperties"]
                    node["unevaluatedProperties"] = False
        # (3) the button index pattern
        if node.get("pattern") == BROKEN_INDEX_PATTERN:
            node["pattern"] = "^[0-9]$"
    # (1) nested discriminators (those without oneOf) -> if/then on the discriminating property.
    # Mapped schemas extend the base through allOf; they are pointed at a copy of the base
    # without the dispatch, so that the dispatch does not recurse into itself.
    for name, schema in list(schemas.items()):
        discriminator = schema.get("discriminator") if isinstance(schema, dict) else None
        if not discriminator or "mapping" not in discriminator or "oneOf" in schema:
            continue
        base = f"{name}__base"
        schemas[base] = {k: v for k, v in schema.items() if k != "discriminator"}
        for target in discriminator["mapping"].values():
            for part in schemas[_name(target)].get("allOf", []):
                if part.get("$ref") == SCHEMAS + name:
                    part["$ref"] = SCHEMAS + base
        prop = discriminator["propertyName"]
        schemas[name] = {
            "allOf": [{"$ref": SCHEMAS + base}]
            + [
                {
                    "if": {"required": [prop], "properties": {prop: {"const": value}}},
                    "then": {"$ref": target},
                }
                for value, target in discriminator["mapping"].items()
            ]
        }
    if current:
        common = schemas["BaseMessageProperties"]
        common["properties"]["recipient"] = {
            "type": "string",
            "description": "Business-scoped user id (BSUID) of the recipient, instead of `to`.",
        }
        common["properties"]["biz_opaque_callback_data"] = {"type": "string", "maxLength": 512}
        common["required"] = [r for r in common["required"] if r != "to"]
        common["anyOf"] = [{"required": ["to"]}, {"required": ["recipient"]}]
    return schemas


@functools.cache
def _validators(flavour: str) -> dict[str, Draft202012Validator]:
    """One validator per schema that ``Message`` maps a ``type`` to."""
    spec = load_spec()
    schemas = prepare_schemas(spec, unevaluated=flavour != "raw", current=flavour == "current")
    resource = Resource.from_contents(
        {"components": {"schemas": schemas}}, default_specification=DRAFT202012
    )
    registry = Registry().with_resource(BASE_URI, resource)
    mapping = spec["components"]["schemas"]["Message"]["discriminator"]["mapping"]
    validators = {}
    for kind, target in mapping.items():
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": BASE_URI + target,
        }
        Draft202012Validator.check_schema(schema)
        validators[kind] = Draft202012Validator(schema, registry=registry)
    return validators


def errors(message: dict, flavour: str = "v23") -> list[str]:
    """Why ``message`` does not validate against ``Message`` (empty list: it does)."""
    validators = _validators(flavour)
    kind = message.get("type")
    if kind not in validators:  # (1) the discriminator: the mapped schema or nothing
        return [f"type {kind!r} is not one of {sorted(validators)}"]
    found = validators[kind].iter_errors(message)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found]


def assert_valid(message: dict, flavour: str = "v23") -> None:
    problems = errors(message, flavour)
    assert problems == [], "\n".join(problems)


def assert_valid_everywhere(message: dict) -> None:
    """An envelope with a phone number and no callback data: valid as v23.0 and as current."""
    assert_valid(message, "v23")
    assert_valid(message, "current")


# --- everything the app can send ----------------------------------------------------------


def contents() -> dict[str, dict]:
    """One of each kind of content, by label."""
    three = [Option("ya", "Ya"), Option("tidak", "Tidak"), Option("nanti", "Tanya petugas")]
    services = [
        Option(f"svc:{code}", title, description)
        for code, title, description in [
            ("kk", "Kartu Keluarga", "KK baru, perubahan data, atau hilang/rusak " * 3),
            ("ktp", "KTP-el", "Penggantian karena hilang, rusak, atau perubahan data"),
            ("kia", "Kartu Identitas Anak", ""),
            ("akl", "Akta Kelahiran", "Akta kelahiran baru"),
        ]
    ]
    long_titles = [Option(f"o{i}", f"Pilihan dengan judul panjang nomor {i}") for i in range(3)]
    found: dict[str, dict] = {}
    found["text"] = builders.text("Selamat datang di layanan Disdukcapil.")[0]
    found["text with preview"] = builders.text("Cek: https://contoh.go.id", preview_url=True)[0]
    for i, piece in enumerate(builders.text("\n\n".join(["Paragraf " * 300] * 4))):
        found[f"split text {i}"] = piece
    found["buttons"] = builders.buttons("Apakah data sudah benar?", three)[0]
    found["buttons with header and footer"] = builders.buttons(
        "Apakah data sudah benar?", three[:2], header="Konfirmasi", footer="Disdukcapil"
    )[0]
    *leading, last = builders.buttons("kalimat panjang " * 200, three)
    found["buttons after a long body"] = last
    for i, piece in enumerate(leading):
        found[f"text before buttons {i}"] = piece
    found["buttons to list"] = builders.buttons("Pilih layanan", services)[0]
    found["list"] = builders.choice_list(
        "Layanan apa yang Anda perlukan?",
        "Pilih layanan",
        services,
        section_title="Layanan",
        header="Disdukcapil Way Kanan",
        footer="Semua layanan gratis",
    )[0]
    found["list of ten"] = builders.choice_list(
        "Pilih", "Lihat", [Option(f"r{i}", f"Baris {i}") for i in range(10)]
    )[0]
    found["numbered text"] = builders.numbered_text("Pilih salah satu:", long_titles)[0]
    found["buttons to numbered text"] = builders.buttons("Pilih", long_titles)[0]
    found["document by link"] = builders.document(
        link="https://layan.example.go.id/d/Q8ZK2M.pdf", filename="KK-7X3K9M.pdf", caption="KK"
    )
    found["document by id"] = builders.document(media_id="1013859600285441", filename="KK.pdf")
    found["image by link"] = builders.image(link="https://layan.example.go.id/peta.jpg")
    found["image by id with caption"] = builders.image(media_id="1479537139650973", caption="Peta")
    for t in yaml.safe_load(TEMPLATES.read_text(encoding="utf-8")):
        found[f"template {t['key']}"] = builders.template(t["name"], t["language"], t["example"])
    found["template without parameters"] = builders.template("layan_hello", "id")
    found["template with url button"] = builders.template(
        "layan_unduh", "id", ["KK-7X3K9M"], button_url_params=["Q8ZK2M", "X1"]
    )
    return found


CONTENTS = contents()


@pytest.mark.parametrize("label", sorted(CONTENTS))
def test_every_content_to_a_phone_number_is_valid(label):
    message = builders.envelope(CONTENTS[label], to=PHONE)
    assert_valid_everywhere(message)


@pytest.mark.parametrize("label", sorted(CONTENTS))
def test_every_content_to_a_bsuid_with_callback_data_and_context_is_valid(label):
    message = builders.envelope(
        CONTENTS[label], recipient=BSUID, callback_data="outbox:42", reply_to="wamid.HBgLNjI4MTIz"
    )
    assert_valid(message, "current")


def test_reply_context_is_in_the_v23_schema():
    message = builders.envelope(CONTENTS["buttons"], to=PHONE, reply_to="wamid.HBgLNjI4MTIz")
    assert_valid_everywhere(message)


def test_every_kind_of_content_is_covered():
    kinds = {(c["type"], c.get("interactive", {}).get("type")) for c in CONTENTS.values()}
    assert kinds == {
        ("text", None),
        ("interactive", "button"),
        ("interactive", "list"),
        ("document", None),
        ("image", None),
        ("template", None),
    }


# --- the validator can fail ---------------------------------------------------------------


def valid_buttons() -> dict:
    return builders.envelope(copy.deepcopy(CONTENTS["buttons"]), to=PHONE)


def test_four_reply_buttons_are_rejected():
    message = valid_buttons()
    buttons = message["interactive"]["action"]["buttons"]
    buttons.append({"type": "reply", "reply": {"id": "x", "title": "Keempat"}})
    assert len(buttons) == 4
    assert errors(message)


def test_missing_recipient_type_is_rejected():
    message = builders.envelope(CONTENTS["text"], to=PHONE)
    del message["recipient_type"]
    assert any("recipient_type" in e for e in errors(message))
    assert any("recipient_type" in e for e in errors(message, "current"))


@pytest.mark.parametrize(
    ("label", "breakage"),
    [
        (
            "buttons",
            lambda m: m["interactive"]["action"]["buttons"][0]["reply"].update(title="x" * 21),
        ),
        (
            "list",
            lambda m: m["interactive"]["action"]["sections"][0]["rows"][0].update(title="x" * 25),
        ),
        (
            "list",
            lambda m: m["interactive"]["action"]["sections"][0]["rows"].extend(
                {"id": f"extra{i}", "title": "Lagi"} for i in range(7)
            ),
        ),
        ("list", lambda m: m["interactive"]["action"].update(button="x" * 21)),
        ("list", lambda m: m["interactive"]["header"].update(text="x" * 61)),
        ("buttons", lambda m: m["interactive"]["body"].update(text="x" * 1025)),
        ("text", lambda m: m.update(unknown_field=1)),
        ("text", lambda m: m["text"].update(unknown_field=1)),
        ("text", lambda m: m.update(messaging_product=None)),
        ("text", lambda m: m.pop("to")),
        ("document by id", lambda m: m["document"].update(link="https://x.id/a.pdf")),
        ("image by link", lambda m: m["image"].pop("link")),
        ("template completed", lambda m: m["template"]["language"].pop("policy")),
        (
            "template completed",
            lambda m: m["template"]["components"][0]["parameters"][0].pop("text"),
        ),
        ("template with url button", lambda m: m["template"]["components"][1].pop("index")),
        ("template with url button", lambda m: m["template"]["components"][1].update(index="10")),
        ("text", lambda m: m.update(type="sms")),
    ],
)
def test_broken_messages_are_rejected(label, breakage):
    message = builders.envelope(copy.deepcopy(CONTENTS[label]), to=PHONE)
    assert_valid_everywhere(message)
    breakage(message)
    assert errors(message), message
    assert errors(message, "current"), message


def test_bsuid_envelope_needs_the_current_extension():
    """v23.0 knows neither ``recipient`` nor ``biz_opaque_callback_data``. When a newer spec
    does, this fails: then use it and drop the extension."""
    base = load_spec()["components"]["schemas"]["BaseMessageProperties"]
    assert "to" in base["required"]
    assert "recipient" not in base["properties"]
    assert "biz_opaque_callback_data" not in base["properties"]
    bsuid = builders.envelope(CONTENTS["text"], recipient=BSUID)
    assert errors(bsuid, "v23")
    assert_valid(bsuid, "current")
    callback = builders.envelope(CONTENTS["text"], to=PHONE, callback_data="outbox:1")
    assert errors(callback, "v23")
    assert_valid(callback, "current")
    neither = builders.envelope(CONTENTS["text"], to=PHONE)
    del neither["to"]
    assert errors(neither, "current")


def test_the_unevaluated_properties_repair_is_needed():
    """As published, ``additionalProperties: false`` in an allOf part refuses even a correct
    text message (its ``messaging_product`` and ``to`` belong to the other part)."""
    message = builders.envelope(CONTENTS["text"], to=PHONE)
    assert any("Additional properties" in e for e in errors(message, "raw"))
    assert_valid(message, "v23")


def test_the_index_pattern_repair_is_needed():
    import re

    assert not re.match(BROKEN_INDEX_PATTERN, "0")
    assert re.match(BROKEN_INDEX_PATTERN, ",")
