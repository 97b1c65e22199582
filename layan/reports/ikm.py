"""Indeks Kepuasan Masyarakat (IKM) per PermenPAN-RB 14/2017, as pure functions.

Each of the nine elements (unsur) is answered 1–4. The regulation's steps, for one service and
period:

1. NRR per element: the sum of its answers divided by the number who answered it (a skipped
   answer is left out, not counted as zero);
2. NRR tertimbang: each NRR times the element's weight, 1/9 (the regulation writes 0,11, its
   rounding: with 0.11 a perfect 4.0 everywhere would be 99, not 100);
3. IKM = the sum of the weighted NRRs (the "nilai indeks", 1–4) × 25, on the 25–100 scale;
4. the grade by the IKM rounded to two decimals: A 88,31–100 (Sangat Baik), B 76,61–88,30
   (Baik), C 65,00–76,60 (Kurang Baik), D 25,00–64,99 (Tidak Baik).

An element nobody answered is left out and the weights of the others grow to match (1/8 each
when one is missing), so the scale stays 25–100. The weakest element is the lowest NRR. The
minimum number of respondents for a population of N requests is the Krejcie–Morgan sample the
regulation's table lists (95 % confidence, 5 % margin).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

ELEMENTS = 9

GRADES = (
    (88.31, "A", _("Very good")),
    (76.61, "B", _("Good")),
    (65.00, "C", _("Below good")),
    (25.00, "D", _("Not good")),
)


@dataclass(frozen=True)
class Ikm:
    respondents: int
    element_nrr: tuple[float | None, ...]  # NRR of U1..U9 (None: nobody answered it)
    weighted: tuple[float | None, ...]  # NRR tertimbang
    value: float | None  # the nilai indeks, 1–4
    index: float | None  # IKM, 25–100, two decimals
    grade: str
    words: str
    weakest: int | None  # 1-based number of the lowest element

    @property
    def answered(self) -> bool:
        return self.index is not None


def grade_of(index: float) -> tuple[str, str]:
    """The grade letter and its words for an IKM (rounded to two decimals first)."""
    rounded = round(index, 2)
    for floor, letter, words in GRADES:
        if rounded >= floor:
            return letter, str(words)
    return "D", str(GRADES[-1][2])


def tally(rows: Iterable[Sequence[int | None]]) -> tuple[int, Counter[str]]:
    """Respondents and how many answered each value of each element ({"U:V": count}) of survey
    answers, each row U1..U9 (1–4, or None when skipped)."""
    counts: Counter[str] = Counter()
    respondents = 0
    for row in rows:
        row = tuple(row)
        if len(row) != ELEMENTS:
            raise ValueError(f"a survey answer has {ELEMENTS} elements, not {len(row)}")
        respondents += 1
        for i, value in enumerate(row, start=1):
            if value is None:
                continue
            if not 1 <= value <= 4:
                raise ValueError(f"U{i} = {value} is outside 1–4")
            counts[f"{i}:{value}"] += 1
    return respondents, counts


def ikm(rows: Iterable[Sequence[int | None]]) -> Ikm:
    """The IKM of survey answers, each row U1..U9 (1–4, or None when skipped)."""
    return ikm_of_tally(*tally(rows))


def ikm_of_tally(respondents: int, answers: Mapping[str, int]) -> Ikm:
    """The IKM of ``respondents`` whose answers are tallied as {"U:V": count} (see
    :func:`tally`; the reports' rollups keep them so)."""
    sums, counts = [0] * ELEMENTS, [0] * ELEMENTS
    for key, n in answers.items():
        element, value = (int(part) for part in key.split(":"))
        sums[element - 1] += value * n
        counts[element - 1] += n
    nrr = tuple(sums[i] / counts[i] if counts[i] else None for i in range(ELEMENTS))
    known = [i for i in range(ELEMENTS) if nrr[i] is not None]
    if not known:
        return Ikm(respondents, nrr, (None,) * ELEMENTS, None, None, "", "", None)
    weight = 1 / len(known)
    weighted = tuple(None if v is None else v * weight for v in nrr)
    value = sum(w for w in weighted if w is not None)
    index = round(value * 25, 2)
    letter, words = grade_of(index)
    weakest = min(known, key=lambda i: (nrr[i], i)) + 1
    return Ikm(respondents, nrr, weighted, round(value, 4), index, letter, words, weakest)


def minimum_sample(population: int) -> int:
    """Krejcie–Morgan: s = X²·N·P(1−P) / (d²(N−1) + X²·P(1−P)), X² = 3.841, P = 0.5,
    d = 0.05, rounded to the nearest as their table is (100 → 80, 500 → 217, 1,000 → 278,
    10,000 → 370, 1,000,000 → 384; never more than 384)."""
    if population <= 0:
        return 0
    chi, p, d = 3.841, 0.5, 0.05
    s = chi * population * p * (1 - p) / (d * d * (population - 1) + chi * p * (1 - p))
    return min(population, math.floor(s + 0.5))
