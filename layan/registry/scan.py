"""The nightly full scan: every pair of records in the registry the duplicate rules match.

The per-application check (:func:`layan.registry.services.find_duplicates`) compares one person
with the records its search keys find. The scan compares the registry with itself, blocked by the
birth date: the records born on a day are paired with those born on the same day and on the
following days a rule's ``within_days`` allows, and with those born on the day with day and month
swapped when the rule allows that, only of the same sex when the rule asks for it. Inside a
block a rule's most selective name matcher picks the candidate pairs (an exact one by a hash
join, a fuzzy one by :func:`rapidfuzz.process.extract` with the rule's minimum as the score
cut-off, in C); the rule's other matchers and its ``unless`` are then checked on those pairs
with the same arithmetic as :class:`layan.registry.dedup.Matcher`, on the folded keys the
registry stores.

The scan reads one birth year at a time (with the first days of the next for ``within_days``),
so its memory is a year's records. Rules without a birth-date matcher are left to the
per-application check (a rule on an exact NIK cannot pair two records: a NIK has one living
record), as are the ``deceased`` and ``nik_check`` rules, which are about an application.

What it finds goes into :class:`SuspectedDuplicate`: a new pair as an open suspicion, an open one
refreshed with the strongest rule now matching, one an officer resolved or marked "bukan
duplikat" left as it is (never reopened), and a pair in :class:`NotDuplicate` skipped. Open
suspicions the scan no longer finds stay open for an officer to close.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.fuzz import token_set_ratio

from layan.registry.dedup import (
    LEVELS,
    NAME_FIELDS,
    Matcher,
    Rule,
    RuleSet,
    distinct_similarity,
    parse_rules,
    swap,
)
from layan.registry.folding import fold_name
from layan.registry.models import LifeStatus, NotDuplicate, Resident, SuspectedDuplicate

# A record as the scan holds it: positions in the tuple.
ID, NIK, NAME, MOTHER, FATHER, PLACE, BORN, SEX, REGION = range(9)
POSITION = {"nik": NIK, "name": NAME, "mother_name": MOTHER, "father_name": FATHER,
            "birth_place": PLACE, "birth_date": BORN, "sex": SEX}  # fmt: skip
Record = tuple  # (id, nik, name_key, mother_key, father_key, place_key, born, sex, region)


@dataclass
class ScanCounts:
    residents: int = 0
    pairs: int = 0  # candidate pairs a rule's matchers were checked on
    found: int = 0
    new: int = 0
    refreshed: int = 0
    resolved: int = 0  # found again, already decided by an officer: left as it is
    not_duplicate: int = 0  # found again, marked not a duplicate: skipped
    seconds: float = 0.0
    rules: list[str] = field(default_factory=list)
    rules_not_scanned: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Hit:
    rule: str
    level: str
    score: float
    regions: str = ""  # the holding regencies of the two records, "PP.KK" or "PP.KK PP.KK"

    def stronger_than(self, other: Hit) -> bool:
        return (LEVELS.index(self.level), -self.score) < (LEVELS.index(other.level), -other.score)


@dataclass(frozen=True)
class Plan:
    """How the scan looks for one rule's pairs."""

    rule: Rule
    offsets: tuple[int, ...]  # pair a day with the day + each offset
    swapped: bool  # and with the day with day and month swapped
    same_sex: bool
    probe: Matcher | None  # the matcher that picks candidate pairs in a block

    @property
    def span(self) -> int:
        return max(self.offsets)


def plan(rules: RuleSet) -> tuple[list[Plan], list[str]]:
    """The rules the scan can run, and the names of those it leaves to the per-application
    check."""
    plans, skipped = [], []
    for rule in rules.rules:
        dates = [m for m in rule.all if m.field == "birth_date"]
        if rule.special or not dates or any(m.field == "nik" and m.exact for m in rule.all):
            skipped.append(rule.name)
            continue
        matcher = dates[0]
        offsets = (0,) if matcher.exact else tuple(range(matcher.within_days + 1))
        exact = [m for m in rule.all if m.exact and m.field in NAME_FIELDS]
        fuzzy = sorted((m for m in rule.all if m.method), key=lambda m: -m.min)
        plans.append(
            Plan(
                rule=rule,
                offsets=offsets,
                swapped=matcher.swapped,
                same_sex=any(m.field == "sex" and m.exact for m in rule.all),
                probe=(exact or fuzzy or [None])[0],
            )  # fmt: skip
        )
    return plans, skipped


# --------------------------------------------------------------------------- scoring a pair


def matcher_score(m: Matcher, a: Record, b: Record) -> float | None:
    """:meth:`layan.registry.dedup.Matcher.score` on two scan records (names already folded)."""
    mine, theirs = a[POSITION[m.field]], b[POSITION[m.field]]
    if not mine or not theirs:
        return None
    if m.exact:
        return 1.0 if mine == theirs else None
    if m.method:
        if m.method == "jaro_winkler":
            similarity = JaroWinkler.normalized_similarity(mine, theirs)
        elif m.method == "jaro_winkler_distinct":
            similarity = distinct_similarity(mine, theirs)
        else:
            similarity = token_set_ratio(mine, theirs) / 100
        return similarity if similarity >= m.min else None
    days = abs((mine - theirs).days)
    if days <= m.within_days:
        return 1.0 - days / (m.within_days + 1)
    if m.swapped and swap(mine) == theirs:
        return 0.9
    return None


def rule_score(rule: Rule, a: Record, b: Record) -> float | None:
    """:meth:`layan.registry.dedup.Rule.score` on two scan records."""
    scores = []
    for m in rule.all:
        score = matcher_score(m, a, b)
        if score is None:
            return None
        scores.append(score)
    if rule.unless:
        # as the check: an ``unless`` matcher one side does not state is left out
        stated = [m for m in rule.unless if a[POSITION[m.field]] and b[POSITION[m.field]]]
        if stated and all(matcher_score(m, a, b) is not None for m in stated):
            return None
    return round(sum(scores) / len(scores), 4)


# --------------------------------------------------------------------------- blocks and pairs


def _distinct(first: str, second: str, **_cutoff) -> float:
    return distinct_similarity(first, second)


def _candidates(probe: Matcher | None, left: Sequence[Record], right: Sequence[Record],
                same: bool) -> Iterator[tuple[Record, Record]]:  # fmt: skip
    """The pairs of ``left`` × ``right`` (or of ``left`` with itself when ``same``) the probe
    lets through."""
    if probe is None:
        for i, a in enumerate(left):
            yield from ((a, b) for b in (left[i + 1 :] if same else right))
        return
    at = POSITION[probe.field]
    if probe.exact:
        index: dict[str, list[Record]] = defaultdict(list)
        for b in right:
            if b[at]:
                index[b[at]].append(b)
        for a in left:
            for b in index.get(a[at], ()) if a[at] else ():
                if not same or a[ID] < b[ID]:
                    yield a, b
        return
    if probe.method == "jaro_winkler":
        scorer, cutoff = JaroWinkler.normalized_similarity, probe.min
    elif probe.method == "jaro_winkler_distinct":
        scorer, cutoff = _distinct, probe.min
    else:
        scorer, cutoff = token_set_ratio, probe.min * 100
    keys = [b[at] for b in right]
    for i, a in enumerate(left):
        if not a[at]:
            continue
        choices = keys[i + 1 :] if same else keys
        offset = i + 1 if same else 0
        if not choices:
            continue
        for _choice, _score, j in process.extract(
            a[at], choices, scorer=scorer, score_cutoff=cutoff, limit=None
        ):
            yield a, right[j + offset]


def _pairs_of_year(plans: Sequence[Plan], records: Sequence[Record], year: int,
                   found: dict[tuple[int, int], Hit], counts: ScanCounts) -> None:  # fmt: skip
    by_day: dict[date, list[Record]] = defaultdict(list)
    for r in records:
        by_day[r[BORN]].append(r)
    by_day_sex: dict[tuple[date, str], list[Record]] = defaultdict(list)
    for r in records:
        by_day_sex[r[BORN], r[SEX]].append(r)
    for day in sorted(d for d in by_day if d.year == year):
        for p in plans:
            partners = [(day + timedelta(days=k), k == 0) for k in p.offsets]
            twin = swap(day) if p.swapped else None
            if twin is not None and twin > day and twin - day > timedelta(days=p.span):
                partners.append((twin, False))
            sexes = ("L", "P") if p.same_sex else (None,)
            for sex in sexes:
                left = by_day_sex.get((day, sex), ()) if sex else by_day[day]
                if not left:
                    continue
                for other, same in partners:
                    right = left if same else (
                        by_day_sex.get((other, sex), ()) if sex else by_day.get(other, ())
                    )  # fmt: skip
                    if not right:
                        continue
                    for a, b in _candidates(p.probe, left, right, same):
                        counts.pairs += 1
                        score = rule_score(p.rule, a, b)
                        if score is None:
                            continue
                        key = (a[ID], b[ID]) if a[ID] < b[ID] else (b[ID], a[ID])
                        hit = Hit(p.rule.name, p.rule.level, score,
                                  " ".join(sorted({a[REGION], b[REGION]})))  # fmt: skip
                        known = found.get(key)
                        if known is None or hit.stronger_than(known):
                            found[key] = hit


def _years(span: int, needs: set[str]) -> Iterator[tuple[int, list[Record]]]:
    """Each birth year's active records (with the first ``span`` days of the next year)."""
    active = Resident.objects.exclude(status=LifeStatus.INACTIVE)
    bounds = active.aggregate(first=Min("birth_date"), last=Max("birth_date"))
    if bounds["first"] is None:
        return
    fields = ["pk", "nik", "name_key", "mother_key", "birth_date", "sex", "region"]
    fields += [f for f in ("father_name", "birth_place") if f in needs]
    for year in range(bounds["first"].year, bounds["last"].year + 1):
        start = date(year, 1, 1)
        end = date(year + 1, 1, 1) + timedelta(days=span)
        rows = active.filter(birth_date__gte=start, birth_date__lt=end).values_list(*fields)
        records = []
        for row in rows.iterator(chunk_size=20000):
            extra = dict(zip(fields[7:], row[7:], strict=True))
            records.append((
                row[0], row[1], row[2], row[3],
                fold_name(extra["father_name"]) if "father_name" in extra else "",
                fold_name(extra["birth_place"]) if "birth_place" in extra else "",
                row[4], row[5], row[6],
            ))  # fmt: skip
        yield year, records


def find_pairs(rules: RuleSet, counts: ScanCounts | None = None) -> dict[tuple[int, int], Hit]:
    """Every pair of active records a rule matches, with its strongest rule."""
    counts = counts if counts is not None else ScanCounts()
    plans, skipped = plan(rules)
    counts.rules = [p.rule.name for p in plans]
    counts.rules_not_scanned = skipped
    found: dict[tuple[int, int], Hit] = {}
    if not plans:
        return found
    span = max(p.span for p in plans)
    needs = {m.field for p in plans for m in (*p.rule.all, *p.rule.unless)}
    for year, records in _years(span, needs):
        counts.residents += sum(1 for r in records if r[BORN].year == year)
        _pairs_of_year(plans, records, year, found, counts)
    return found


# --------------------------------------------------------------------------- the scan


def scan(rules: RuleSet | None = None, *, now: datetime | None = None) -> ScanCounts:
    """Scan the whole registry with ``rules`` (the defaults when None) and write the suspected
    duplicates; returns what it counted."""
    started = time.monotonic()
    now = now or timezone.now()
    rules = rules or parse_rules(None)
    counts = ScanCounts()
    found = find_pairs(rules, counts)
    counts.found = len(found)
    with transaction.atomic():
        declined = set(NotDuplicate.objects.values_list("first_id", "second_id"))
        existing = {
            (first, second): (pk, state)
            for pk, first, second, state in SuspectedDuplicate.objects.values_list(
                "pk", "first_id", "second_id", "state"
            )
        }
        new, refreshed = [], []
        for key, hit in found.items():
            if key in declined:
                counts.not_duplicate += 1
                continue
            known = existing.get(key)
            if known is None:
                new.append(SuspectedDuplicate(
                    first_id=key[0], second_id=key[1], rule=hit.rule[:60], score=hit.score,
                    level=hit.level, regions=hit.regions[:11], found_at=now,
                ))  # fmt: skip
            elif known[1] == SuspectedDuplicate.State.OPEN:
                refreshed.append(SuspectedDuplicate(
                    pk=known[0], rule=hit.rule[:60], score=hit.score, level=hit.level,
                    regions=hit.regions[:11],
                ))  # fmt: skip
            else:
                counts.resolved += 1
        SuspectedDuplicate.objects.bulk_create(new, batch_size=2000)
        SuspectedDuplicate.objects.bulk_update(
            refreshed, ["rule", "score", "level", "regions"], batch_size=1000
        )
    counts.new, counts.refreshed = len(new), len(refreshed)
    counts.seconds = round(time.monotonic() - started, 2)
    return counts
