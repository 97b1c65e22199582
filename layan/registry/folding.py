"""Names folded for matching: two spellings of one name fold to the same key.

Indonesian names are written in the old spelling (Ejaan Soewandi) and the new one (EYD), with
titles before and after, in capitals or not: "Hj. DJOEMINAH, S.Pd." and "Juminah" are one name.
:func:`fold_name` lower-cases, strips titles and punctuation, and folds the old spellings in
order: tj→c, dj→j, j→y, oe→u, ch→kh (so nj→ny and sj→sy fall out of j→y, and old "dj" and new "j"
meet old "j" and new "y" at "y"). The fold is a matching key, never a name to show.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Titles and degrees, written with or without dots, before or after the name.
TITLES = frozenset(
    t.replace(".", "")
    for t in (
        "h", "hj", "haji", "hajjah", "kh", "ust", "ustadz", "ustazah", "drs", "dra", "dr", "ir",
        "prof", "s.pd", "s.pd.i", "s.ag", "s.e", "s.h", "s.kom", "s.t", "s.sos", "s.ip", "s.ked",
        "s.kep", "s.farm", "s.si", "s.kes", "s.p", "s.psi", "s.hut", "s.pt", "s.i.kom", "s.ikom",
        "m.m", "m.pd", "m.si", "m.h", "m.kes", "m.kom", "m.t", "m.ag", "m.sc", "m.a", "mba",
        "a.md", "a.ma", "a.md.kep", "amd", "s.st", "sst", "s.tr", "bsc", "se", "sh",
        "spd", "skm", "s.km", "apt", "ners", "ns", "bidan", "bd", "sag", "ssos", "skom", "mm",
        "mpd", "msi", "mh", "mkes", "raden", "rd", "rr", "r", "tgk", "hc",
    )
)  # fmt: skip

OLD_SPELLINGS = (("tj", "c"), ("dj", "j"), ("j", "y"), ("oe", "u"), ("ch", "kh"))

_SEPARATORS = re.compile(r"[\s,]+")
_NOT_LETTERS = re.compile(r"[^a-z]")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def name_tokens(name: str) -> list[str]:
    """The words of a name, lower case, letters only, titles and degrees left out."""
    words = []
    for raw in _SEPARATORS.split(_ascii(name or "").lower()):
        # "S.Pd.I" and "Hj." are titles; "Abd." is an abbreviated name: keep it as "abd".
        if raw.replace(".", "").replace("'", "") in TITLES and raw:
            continue
        word = _NOT_LETTERS.sub("", raw)
        if word and word not in TITLES:
            words.append(word)
    return words


def fold_word(word: str) -> str:
    for old, new in OLD_SPELLINGS:
        word = word.replace(old, new)
    return word


@lru_cache(maxsize=65536)  # the duplicate check folds each candidate's names for every rule
def fold_name(name: str) -> str:
    """The matching key of a name: folded words, single spaces (empty for a name of titles)."""
    return " ".join(fold_word(word) for word in name_tokens(name))[:120]
