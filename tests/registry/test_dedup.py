"""The Data Ganda rules: each rule with a case it must find and one it must not; names folded
across the old and new spellings and titles; the rules as office data that never switch off
silently."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from layan.registry.dedup import (
    DEFAULT_RULES,
    Person,
    Record,
    RuleError,
    check,
    nik_disagrees,
    parse_rules,
    swap,
)
from layan.registry.folding import fold_name

RULES = parse_rules(None)


def record(id=1, **kw) -> Record:
    values = {
        "nik": "1302011708900001", "name": "Budi Santoso", "birth_date": date(1990, 8, 17),
        "sex": "L", "mother_name": "Siti Aminah",
    }  # fmt: skip
    values.update(kw)
    return Record(id=id, **values)


def person(**kw) -> Person:
    values = {
        "nik": "1302011708900001", "name": "Budi Santoso", "birth_date": date(1990, 8, 17),
        "sex": "L", "mother_name": "Siti Aminah",
    }  # fmt: skip
    values.update(kw)
    return Person(**values)


def rules_found(p: Person, *records: Record) -> set[str]:
    return {m.rule for m in check(p, records, RULES)}


# --------------------------------------------------------------------------- folding


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Tjipto Mangoenkoesoemo", "Cipto Mangunkusumo"),
        ("Djoko Widodo", "Joko Widodo"),
        ("Jusuf Kalla", "Yusuf Kalla"),
        ("Njoman Suarsa", "Nyoman Suarsa"),
        ("Sjahrir", "Syahrir"),
        ("Chairul Tanjung", "Khairul Tanjung"),
        ("Hj. DJOEMINAH, S.Pd.", "juminah"),
        ("Drs. H. Abdul Rahman, M.M.", "Abdul Rahman"),
        ("  siti   AMINAH ", "Siti Aminah"),
    ],
)
def test_old_spellings_titles_and_case_fold_to_one_key(old, new):
    assert fold_name(old) == fold_name(new) != ""


def test_different_names_keep_different_keys():
    assert fold_name("Hasan") != fold_name("Husin")
    assert fold_name("Abdul Rahman") != fold_name("Rahman Abdul")


# --------------------------------------------------------------------------- each rule


def test_the_same_nik_registered_to_another_person_is_found():
    other = record(name="Rudi Hartono", birth_date=date(1985, 1, 2))
    assert "nik_other_person" in rules_found(person(), other)


def test_the_same_nik_of_the_same_person_is_not_a_duplicate():
    assert rules_found(person(name="BUDI SANTOSO"), record()) == set()


def test_the_same_person_under_another_nik_is_found():
    twin_record = record(id=2, nik="1302011708900007")
    assert "same_person_other_nik" in rules_found(person(), twin_record)


def test_a_namesake_born_another_day_is_not_the_same_person():
    assert rules_found(person(), record(id=2, nik="1302011808900002",
                                        birth_date=date(1990, 8, 18), name="Budi Santosa",
                                        mother_name="")) == {"fuzzy_name_near_birth"}  # fmt: skip
    far = record(id=3, nik="1302011709900003", birth_date=date(1990, 9, 17))
    assert rules_found(person(), far) == set()


def test_an_old_spelling_and_titles_are_the_same_person():
    old = record(id=2, nik="1302011708900009", name="H. Boedi Santoso, S.Pd.")
    assert "same_person_other_nik" in rules_found(person(), old)


def test_same_mother_and_birth_date_with_a_variant_name_is_found():
    variant = record(id=2, nik="1302011708900011", name="Budi Santosa")
    assert "same_mother_and_birth" in rules_found(person(), variant)


def test_twins_born_the_same_day_with_different_names_are_two_people():
    twin = record(id=2, nik="1302011708900012", name="Bayu Saputra")
    assert rules_found(person(), twin) == set()
    sister = record(id=3, nik="1302015708900013", name="Bunga Santika", sex="P")
    assert rules_found(person(), sister) == set()


def test_a_fuzzy_name_within_a_day_or_with_day_and_month_swapped_is_a_warning():
    day_off = record(id=2, nik="1302011608900014", name="Budi Santosa", mother_name="Aminah",
                     birth_date=date(1990, 8, 16))  # fmt: skip
    swapped = record(id=3, nik="1302010817900015", name="Budi Santosa", mother_name="",
                     birth_date=date(1990, 8, 17).replace(day=8, month=8))  # fmt: skip
    found = check(person(birth_date=date(1990, 8, 17)), [day_off], RULES)
    assert [m.rule for m in found] == ["fuzzy_name_near_birth"] and found[0].level == "warn"
    swapped_person = person(birth_date=date(1990, 3, 8), nik="1302010803900001")
    moved = record(id=4, nik="1302010308900016", birth_date=date(1990, 8, 3), name="Budi Santosa",
                   mother_name="")  # fmt: skip
    assert "fuzzy_name_near_birth" in rules_found(swapped_person, moved)
    assert swapped.birth_date == date(1990, 8, 8)
    other_sex = record(id=5, nik="1302015608900017", name="Budi Santosa", sex="P",
                       birth_date=date(1990, 8, 16), mother_name="")  # fmt: skip
    assert "fuzzy_name_near_birth" not in rules_found(person(), other_sex)


def test_a_death_already_recorded_is_found():
    dead = record(status="deceased")
    found = check(person(), [dead], RULES)
    assert [m.rule for m in found] == ["deceased"] and found[0].level == "block"
    assert rules_found(person(), record(status="alive")) == set()


def test_a_nik_that_disagrees_with_the_birth_date_or_sex_is_a_finding():
    assert nik_disagrees(person(birth_date=date(1990, 8, 18)))
    assert nik_disagrees(person(sex="P"))
    assert not nik_disagrees(person())
    assert not nik_disagrees(person(nik=""))
    woman = person(nik="1302015708900013", sex="P")
    assert not nik_disagrees(woman)
    assert "nik_disagrees" in {m.rule for m in check(person(sex="P"), [], RULES)}


def test_nothing_to_compare_is_never_a_match():
    bare = person(mother_name="", nik="")
    assert rules_found(bare, record(id=2, mother_name="")) == {"same_person_other_nik"}
    assert rules_found(person(name="Budi"), record(id=2, name="", nik="1302011708900020")) == set()


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)))
def test_swapping_day_and_month_twice_gives_the_day_back(day):
    swapped = swap(day)
    if swapped is not None:
        assert swap(swapped) == day and swapped != day


# --------------------------------------------------------------------------- rules as data


def test_the_default_rules_parse_and_every_rule_is_searchable():
    rules = parse_rules(DEFAULT_RULES)
    keys = rules.search_keys(person())
    assert "1302011708900001" in keys.niks
    assert {date(1990, 8, 16), date(1990, 8, 17), date(1990, 8, 18)} <= keys.dates


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"warn": [{"name": "x", "all": [{"field": "name", "fuzzy": {"method": "jaro_winkler",
                                                                       "min": 0}}]}]}, "min"),
        ({"warn": [{"name": "x", "all": [{"field": "name", "fuzzy": {"method": "jaro_winkler"}}]}]},
         "needs min"),
        ({"warn": [{"name": "x", "all": [{"field": "birth_date", "within_days": 0}]}]},
         "within_days"),
        ({"warn": [{"name": "x", "all": []}]}, "at least one matcher"),
        ({"warn": [{"name": "x", "all": [{"field": "name", "fuzzy": {"method": "token_set",
                                                                       "min": 0.9}}]}]},
         "searched by"),
        ({"warn": [{"name": "x", "all": [{"field": "nik", "exact": False}]}]}, "exact must be"),
        ({"warn": [{"name": "x", "all": [{"field": "shoe_size", "exact": True}]}]}, "shoe_size"),
        ({"block": [], "warn": []}, "no rule"),
        ({"block": [{"name": "a", "deceased": True}, {"name": "a", "deceased": True}]},
         "two rules"),
    ],
)  # fmt: skip
def test_a_rule_that_would_switch_itself_off_is_refused_with_its_name(config, message):
    with pytest.raises(RuleError, match=message):
        parse_rules(config)


def test_an_office_rule_changes_what_is_found():
    strict = parse_rules({"block": [{"name": "exact_only", "all": [
        {"field": "name", "exact": True}, {"field": "birth_date", "exact": True}]}]})  # fmt: skip
    variant = record(id=2, nik="1302011708900011", name="Budi Santosa")
    assert check(person(), [variant], strict) == []
    assert [m.rule for m in check(person(), [record(id=3, nik="1302011708900030")], strict)] == [
        "exact_only"
    ]


def test_what_the_request_does_not_state_is_no_evidence_of_another_person():
    # Only the NIK is known (the birth date and sex read from it): the record is the same person.
    nik_only = person(name="", mother_name="")
    assert rules_found(nik_only, record()) == set()
    # With a name that differs, it is another person's NIK.
    assert "nik_other_person" in rules_found(person(name="Rudi Hartono"), record())
    # Nothing to rule it out: a person without a NIK matching a record is still found.
    assert "same_person_other_nik" in rules_found(person(nik=""), record(id=2))
