"""The committed Indonesian catalogue is complete and its compiled .mo matches the .po."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[1] / "layan" / "locale" / "id" / "LC_MESSAGES"


PLURALS: dict[str, str] = {}  # msgid -> msgid_plural, filled by read_po


def read_po(path: Path) -> dict[str, str]:
    """msgid -> msgstr (the single form of a plural entry: Indonesian has one); an entry with a
    context is keyed ``context\x04msgid``, as gettext keeps it in the compiled catalogue."""
    entries: dict[str, str] = {}
    msgid = msgstr = None
    target = None
    context = ""
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("msgctxt "):
            context, target = ast.literal_eval(line[8:]), "ctxt"
        elif line.startswith('"') and target == "ctxt":
            context += ast.literal_eval(line)
        elif line.startswith("msgid "):
            if msgid is not None:
                entries[msgid] = msgstr
            prefix = f"{context}\x04" if context else ""
            msgid, msgstr, target = prefix + ast.literal_eval(line[6:]), "", "id"
            context = ""
        elif line.startswith("msgid_plural "):
            PLURALS[msgid], target = ast.literal_eval(line[13:]), "plural"
        elif line.startswith("msgstr[0] "):
            msgstr, target = ast.literal_eval(line[10:]), "str"
        elif line.startswith("msgstr "):
            msgstr, target = ast.literal_eval(line[7:]), "str"
        elif line.startswith('"') and target == "id":
            msgid += ast.literal_eval(line)
        elif line.startswith('"') and target == "str":
            msgstr += ast.literal_eval(line)
        elif not line.strip() and msgid is not None:
            entries[msgid] = msgstr
            msgid, target = None, None
    entries.pop("", None)
    return entries


def test_every_message_has_an_indonesian_translation():
    entries = read_po(LOCALE / "django.po")
    assert len(entries) > 100
    missing = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert missing == []


def test_compiled_catalogue_matches_the_source():
    entries = read_po(LOCALE / "django.po")
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        m
        for m, s in entries.items()
        if (compiled.ngettext(m, PLURALS[m], 1) if m in PLURALS else compiled.gettext(m)) != s
    ]
    assert stale == [], "run `layan compilemessages` in layan/ and commit the .mo"
