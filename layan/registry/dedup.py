"""The Data Ganda check: duplicate rules as data, and matching a person against records.

An office's rules (its catalogue's ``duplicates:`` block; :data:`DEFAULT_RULES` when it has none)
are two lists, like OpenCRVS's deduplication configuration: ``block`` (a match stops the request
at the SOP's check step until an officer has decided) and ``warn`` (a match is shown). A rule
matches a candidate record when all of its ``all`` matchers match and not all of its ``unless``
matchers do (an ``unless`` matcher one side does not state is left out: a name the request does
not give is no evidence of another person; with none left, the rule matches)::

    duplicates:
      block:
        - name: nik_other_person          # the NIK is registered to someone else
          all: [{field: nik, exact: true}]
          unless:
            - {field: name, fuzzy: {method: jaro_winkler, min: 0.85}}
            - {field: birth_date, exact: true}
            - {field: sex, exact: true}
      warn:
        - name: fuzzy_name_near_birth
          all:
            - {field: name, fuzzy: {method: jaro_winkler, min: 0.92}}
            - {field: birth_date, within_days: 1, swapped: true}
            - {field: sex, exact: true}
          unless: [{field: nik, exact: true}]
        - {name: deceased, deceased: true}   # the person is recorded as deceased
        - {name: nik_disagrees, nik_check: true}  # the NIK's date or sex is not the person's

Fields: ``nik``, ``name``, ``birth_date``, ``sex``, ``mother_name``, ``father_name``,
``birth_place``; names are compared folded (:mod:`layan.registry.folding`). A matcher is
``exact: true``, ``fuzzy: {method: jaro_winkler | jaro_winkler_distinct | token_set, min:
0.5–1}`` (names; ``jaro_winkler_distinct`` compares the words two names do not share, so twins
MUHAMMAD RIZKI and MUHAMMAD FAUZAN are RIZKI and FAUZAN, not 0.88 alike) or ``within_days: N``
with ``swapped: true|false`` (the birth date). Every rule needs a field the
registry can be searched by (``nik``, or ``birth_date``, or an exact ``name`` or ``mother_name``):
the check never reads the whole registry. A value that is zero, missing or out of range is an
error with the rule's name, never a rule silently switched off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from rapidfuzz.distance import JaroWinkler
from rapidfuzz.fuzz import token_set_ratio

from layan.registry.folding import fold_name
from layan.registry.nik import NikError, parse_nik

FIELDS = ("nik", "name", "birth_date", "sex", "mother_name", "father_name", "birth_place")
NAME_FIELDS = ("name", "mother_name", "father_name", "birth_place")
LEVELS = ("block", "warn")
METHODS = ("jaro_winkler", "jaro_winkler_distinct", "token_set")


class RuleError(ValueError):
    """A duplicate rule that cannot be used, with the rule and the problem named."""


@dataclass(frozen=True)
class Person:
    """Who a request is about (an applicant, a family member, a child): what the check knows."""

    name: str
    birth_date: date | None = None
    sex: str = ""  # "L" or "P"
    nik: str = ""
    mother_name: str = ""
    father_name: str = ""
    birth_place: str = ""
    role: str = ""  # where the request names them: applicant, member, child, deceased …


@dataclass(frozen=True)
class Record:
    """A registry record as the check sees it (from any backend)."""

    id: Any
    nik: str
    name: str
    birth_date: date
    sex: str
    mother_name: str = ""
    father_name: str = ""
    birth_place: str = ""
    status: str = "alive"
    region: str = ""  # the regency that holds it
    village: str = ""


@dataclass(frozen=True)
class Matcher:
    field: str
    exact: bool = False
    method: str = ""
    min: float = 0.0
    within_days: int | None = None
    swapped: bool = False

    def comparable(self, person: Person, record: Record) -> bool:
        """Whether both sides state the field (a name that folds to nothing states nothing)."""
        mine, theirs = getattr(person, self.field), getattr(record, self.field)
        if mine in (None, "") or theirs in (None, ""):
            return False
        return self.field not in NAME_FIELDS or bool(fold_name(mine) and fold_name(theirs))

    def score(self, person: Person, record: Record) -> float | None:
        """How well ``person`` and ``record`` agree on the field (0–1), or None: no match."""
        mine, theirs = getattr(person, self.field), getattr(record, self.field)
        if mine in (None, "") or theirs in (None, ""):
            return None  # nothing to compare is never a match
        if self.field in NAME_FIELDS:
            mine, theirs = fold_name(mine), fold_name(theirs)
            if not mine or not theirs:
                return None
        if self.exact:
            return 1.0 if mine == theirs else None
        if self.method:
            if self.method == "jaro_winkler":
                similarity = JaroWinkler.normalized_similarity(mine, theirs)
            elif self.method == "jaro_winkler_distinct":
                similarity = distinct_similarity(mine, theirs)
            else:
                similarity = token_set_ratio(mine, theirs) / 100
            return similarity if similarity >= self.min else None
        # a date range, with day and month swapped if asked
        days = abs((mine - theirs).days)
        if days <= self.within_days:
            return 1.0 - days / (self.within_days + 1)
        if self.swapped and swap(mine) == theirs:
            return 0.9
        return None


@dataclass(frozen=True)
class Rule:
    name: str
    level: str
    all: tuple[Matcher, ...] = ()
    unless: tuple[Matcher, ...] = ()
    deceased: bool = False
    nik_check: bool = False

    @property
    def special(self) -> bool:
        return self.deceased or self.nik_check

    def score(self, person: Person, record: Record) -> float | None:
        if self.special:
            return None
        scores = [m.score(person, record) for m in self.all]
        if any(s is None for s in scores):
            return None
        if self.unless:
            # What one side does not state is no evidence either way: the rule stands down when
            # the ``unless`` matchers both sides state all agree (and there is at least one).
            stated = [m for m in self.unless if m.comparable(person, record)]
            if stated and all(m.score(person, record) is not None for m in stated):
                return None
        return round(sum(scores) / len(scores), 4)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]

    @property
    def pair_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if not r.special)

    @property
    def deceased_rule(self) -> Rule | None:
        return next((r for r in self.rules if r.deceased), None)

    @property
    def nik_rule(self) -> Rule | None:
        return next((r for r in self.rules if r.nik_check), None)

    def search_keys(self, person: Person) -> SearchKeys:
        """What to ask the registry for: for each rule one key, the most selective its matchers
        offer (the NIK, else the birth dates, else an exact name): a rule matches only records
        that all its matchers match, so the records of one key are all it can match."""
        keys = SearchKeys()
        for rule in self.pair_rules:
            if any(getattr(person, m.field) in (None, "") for m in rule.all):
                continue  # the person lacks what the rule compares: it cannot match
            m = min(rule.all, key=_selectivity)
            value = getattr(person, m.field)
            if m.field == "nik":
                keys.niks.add(value)
            elif m.field == "birth_date":
                spread = 0 if m.exact else m.within_days
                keys.dates.update(value + timedelta(days=d) for d in range(-spread, spread + 1))
                if m.swapped and swap(value):
                    keys.dates.add(swap(value))
            else:
                keys.names.setdefault(m.field, set()).add(fold_name(value))
        if self.deceased_rule and person.nik:
            keys.niks.add(person.nik)
        return keys


# The matchers the registry can be searched by, the most selective first.
_SELECTIVE = ("nik", "birth_date", "name", "mother_name")


def _selectivity(m: Matcher) -> int:
    if m.field == "birth_date" or (m.exact and m.field in _SELECTIVE):
        return _SELECTIVE.index(m.field)
    return len(_SELECTIVE)


@dataclass
class SearchKeys:
    niks: set[str] = field(default_factory=set)
    dates: set[date] = field(default_factory=set)
    names: dict[str, set[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.niks or self.dates or any(self.names.values()))


@dataclass(frozen=True)
class Match:
    """One finding: a rule that matched a record for a person, the person recorded dead, or
    (``record`` None) a NIK that disagrees with the person's own birth date or sex."""

    person: Person
    record: Record | None
    rule: str
    level: str
    score: float


def distinct_similarity(first: str, second: str) -> float:
    """Jaro-Winkler on the words two folded names do not share (the shared ones set aside);
    names with no distinct word on one side (one a part of the other) compare whole."""
    a, b = first.split(), second.split()
    rest_a = [w for w in a if w not in b]
    rest_b = [w for w in b if w not in a]
    if not rest_a or not rest_b:
        return JaroWinkler.normalized_similarity(first, second)
    return JaroWinkler.normalized_similarity(" ".join(rest_a), " ".join(rest_b))


def swap(day: date) -> date | None:
    """``day`` with its day and month swapped (3 August → 8 March), if that is a date."""
    if day.day > 12 or day.day == day.month:
        return None
    try:
        return day.replace(month=day.day, day=day.month)
    except ValueError:
        return None


def nik_disagrees(person: Person) -> bool:
    """Whether the person's NIK encodes another birth date (day and month; the year has two
    digits) or another sex than the person's own. A NIK that does not parse disagrees too."""
    if not person.nik:
        return False
    try:
        nik = parse_nik(person.nik)
    except NikError:
        return True
    if person.sex in ("L", "P") and nik.female != (person.sex == "P"):
        return True
    born = person.birth_date
    return born is not None and (nik.day, nik.month, nik.year2) != (
        born.day, born.month, born.year % 100,
    )  # fmt: skip


def check(person: Person, records: Iterable[Record], rules: RuleSet) -> list[Match]:
    """For ``person``, each record that some rule matches, with the strongest rule (a block
    before a warn, then the higher score), strongest first; a NIK that disagrees with the
    person's own data first of all."""
    found = []
    if rules.nik_rule and nik_disagrees(person):
        found.append(Match(person, None, rules.nik_rule.name, rules.nik_rule.level, 1.0))
    deceased = rules.deceased_rule
    for record in records:
        matches = []
        if deceased and person.nik and record.nik == person.nik and record.status == "deceased":
            matches.append(Match(person, record, deceased.name, deceased.level, 1.0))
        for rule in rules.pair_rules:
            score = rule.score(person, record)
            if score is not None:
                matches.append(Match(person, record, rule.name, rule.level, score))
        if matches:
            found.append(min(matches, key=lambda m: (LEVELS.index(m.level), -m.score)))
    return sorted(found, key=lambda m: (LEVELS.index(m.level), -m.score, _record_key(m)))


def _record_key(match: Match) -> str:
    return "" if match.record is None else str(match.record.id)


# --------------------------------------------------------------------------- the rules as data


DEFAULT_RULES: dict[str, list[dict[str, Any]]] = {
    "block": [
        {
            "name": "nik_other_person",
            "all": [{"field": "nik", "exact": True}],
            "unless": [
                {"field": "name", "fuzzy": {"method": "jaro_winkler", "min": 0.85}},
                {"field": "birth_date", "exact": True},
                {"field": "sex", "exact": True},
            ],
        },
        {
            "name": "same_person_other_nik",
            "all": [
                {"field": "name", "exact": True},
                {"field": "birth_date", "exact": True},
                {"field": "sex", "exact": True},
            ],
            "unless": [{"field": "nik", "exact": True}],
        },
        {
            "name": "same_mother_and_birth",
            "all": [
                {"field": "mother_name", "exact": True},
                {"field": "birth_date", "exact": True},
                {"field": "sex", "exact": True},
                # twins share mother and birth date: only their distinct given names differ
                {"field": "name", "fuzzy": {"method": "jaro_winkler_distinct", "min": 0.85}},
            ],
            "unless": [{"field": "nik", "exact": True}],
        },
        {"name": "deceased", "deceased": True},
    ],
    "warn": [
        {"name": "nik_disagrees", "nik_check": True},
        {
            "name": "fuzzy_name_near_birth",
            "all": [
                {"field": "name", "fuzzy": {"method": "jaro_winkler", "min": 0.92}},
                {"field": "birth_date", "within_days": 1, "swapped": True},
                {"field": "sex", "exact": True},
            ],
            "unless": [{"field": "nik", "exact": True}],
        },
        {
            "name": "same_names_near_birth",
            "all": [
                {"field": "name", "fuzzy": {"method": "token_set", "min": 0.9}},
                {"field": "mother_name", "fuzzy": {"method": "jaro_winkler", "min": 0.9}},
                {"field": "birth_date", "within_days": 1, "swapped": True},
            ],
            "unless": [{"field": "nik", "exact": True}],
        },
    ],
}


def _matcher(rule: str, raw: Any) -> Matcher:
    if not isinstance(raw, Mapping):
        raise RuleError(f"{rule}: a matcher is a mapping such as {{field: name, exact: true}}")
    unknown = set(raw) - {"field", "exact", "fuzzy", "within_days", "swapped"}
    if unknown:
        raise RuleError(f"{rule}: unknown key(s) {', '.join(sorted(unknown))}")
    name = raw.get("field")
    if name not in FIELDS:
        raise RuleError(f"{rule}: field {name!r} is not one of {', '.join(FIELDS)}")
    kinds = [k for k in ("exact", "fuzzy", "within_days") if k in raw]
    if len(kinds) != 1:
        raise RuleError(f"{rule}: {name} needs exactly one of exact, fuzzy, within_days")
    if "exact" in raw:
        if raw["exact"] is not True:
            raise RuleError(f"{rule}: {name}: exact must be true (leave the matcher out instead)")
        return Matcher(name, exact=True)
    if "fuzzy" in raw:
        if name not in NAME_FIELDS:
            raise RuleError(f"{rule}: {name} cannot be compared fuzzily (names only)")
        fuzzy = raw["fuzzy"]
        if not isinstance(fuzzy, Mapping) or fuzzy.get("method") not in METHODS:
            raise RuleError(f"{rule}: {name}: fuzzy needs a method ({', '.join(METHODS)})")
        minimum = fuzzy.get("min")
        if isinstance(minimum, bool) or not isinstance(minimum, int | float):
            raise RuleError(f"{rule}: {name}: fuzzy needs min, a similarity between 0.5 and 1")
        if not 0.5 <= minimum <= 1:
            raise RuleError(f"{rule}: {name}: min {minimum} is outside 0.5–1")
        return Matcher(name, method=fuzzy["method"], min=float(minimum))
    if name != "birth_date":
        raise RuleError(f"{rule}: within_days is for birth_date only")
    days = raw["within_days"]
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 31:
        raise RuleError(f"{rule}: within_days must be a number of days from 1 to 31")
    swapped = raw.get("swapped", False)
    if not isinstance(swapped, bool):
        raise RuleError(f"{rule}: swapped must be true or false")
    return Matcher(name, within_days=days, swapped=swapped)


def _searchable(matchers: Sequence[Matcher]) -> bool:
    return any(
        (m.field in ("nik", "name", "mother_name") and m.exact) or m.field == "birth_date"
        for m in matchers
    )


def parse_rules(config: Mapping[str, Any] | None) -> RuleSet:
    """The rule set of a ``duplicates:`` block (None or empty: :data:`DEFAULT_RULES`); raises
    :class:`RuleError` naming the rule and the problem."""
    if not config:
        config = DEFAULT_RULES
    if not isinstance(config, Mapping) or set(config) - set(LEVELS):
        raise RuleError("duplicates: has two lists, block and warn")
    rules, names = [], set()
    for level in LEVELS:
        entries = config.get(level) or []
        if not isinstance(entries, list):
            raise RuleError(f"duplicates.{level} is a list of rules")
        for index, raw in enumerate(entries, start=1):
            if not isinstance(raw, Mapping) or not raw.get("name"):
                raise RuleError(f"duplicates.{level}[{index}]: a rule needs a name")
            name = str(raw["name"])
            if name in names:
                raise RuleError(f"{name}: two rules have this name")
            names.add(name)
            unknown = set(raw) - {"name", "all", "unless", "deceased", "nik_check"}
            if unknown:
                raise RuleError(f"{name}: unknown key(s) {', '.join(sorted(unknown))}")
            special = [k for k in ("deceased", "nik_check") if k in raw]
            if special:
                kind = special[0]
                if len(special) > 1 or raw[kind] is not True or raw.get("all") or raw.get("unless"):
                    raise RuleError(f"{name}: a {kind} rule is just {{{kind}: true}}")
                rules.append(Rule(name, level, **{kind: True}))
                continue
            matchers = tuple(_matcher(name, m) for m in raw.get("all") or [])
            if not matchers:
                raise RuleError(f"{name}: a rule needs at least one matcher under all")
            if not _searchable(matchers):
                raise RuleError(
                    f"{name}: a rule needs a field the registry is searched by: nik, "
                    "birth_date, or an exact name or mother_name"
                )
            unless = tuple(_matcher(name, m) for m in raw.get("unless") or [])
            rules.append(Rule(name, level, matchers, unless))
    if not rules:
        raise RuleError("duplicates: no rule at all (leave the block out for the defaults)")
    return RuleSet(tuple(rules))
