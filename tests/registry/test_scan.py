"""The full scan: blocked by birth date, it finds the pairs the rules match, scores them as the
per-application check does, and keeps the officers' decisions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from layan.registry.backend import LocalRegistry, person_of
from layan.registry.dedup import Person, check, parse_rules
from layan.registry.folding import fold_name
from layan.registry.models import Family, NotDuplicate, Resident, SuspectedDuplicate
from layan.registry.scan import find_pairs, plan, scan
from layan.registry.synthetic import generate

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
RULES = parse_rules(None)
_serial = iter(range(1, 10000))


def resident(name: str, born: date, sex: str = "L", mother: str = "", region: str = "18.08",
             **kw) -> Resident:  # fmt: skip
    day = born.day + (40 if sex == "P" else 0)
    nik = kw.pop("nik", f"180801{day:02d}{born.month:02d}{born.year % 100:02d}{next(_serial):04d}")
    return Resident.objects.create(
        nik=nik, name=name, name_key=fold_name(name), birth_date=born, sex=sex,
        mother_name=mother, mother_key=fold_name(mother), region=region, created_at=NOW,
        updated_at=NOW, **kw,
    )  # fmt: skip


def found() -> dict[tuple[str, str], SuspectedDuplicate]:
    return {
        tuple(sorted((s.first.nik, s.second.nik))): s
        for s in SuspectedDuplicate.objects.select_related("first", "second")
    }


def key(a: Resident, b: Resident) -> tuple[str, str]:
    return tuple(sorted((a.nik, b.nik)))


def test_each_rule_finds_its_pairs_and_nothing_else():
    born = date(1990, 8, 17)
    budi = resident("BUDI SANTOSO", born, mother="SUMARNI")
    boedi = resident("H. BOEDI SANTOSO", born, mother="SITI")  # same folded name, same day
    budy = resident("BUDI SANTOSA", born, mother="SUMARNI")  # same mother, similar name
    later = resident("BUDI SANTOSO", born + timedelta(days=1), mother="PAINEM")  # a day off
    swapped = resident("BUDI SANTOSA", date(1990, 3, 8), mother="X")
    swapped_too = resident("BUDI SANTOSO", date(1990, 8, 3), mother="Y")
    sister = resident("BUNGA SANTIKA", born, sex="P", mother="SUMARNI")  # a twin sister
    woman = resident("BUDI SANTOSO", born, sex="P")  # another sex
    far = resident("BUDI SANTOSO", born + timedelta(days=3))  # days off
    resident("RUDI HARTONO", born)
    counts = scan(now=NOW)
    rules = {k: s.rule for k, s in found().items()}
    assert rules[key(budi, boedi)] == "same_person_other_nik"
    assert rules[key(budi, budy)] == "same_mother_and_birth"
    assert rules[key(budi, later)] == "fuzzy_name_near_birth"
    assert rules[key(swapped, swapped_too)] == "fuzzy_name_near_birth"
    for other in (sister, woman, far):
        assert not any(other.nik in pair for pair in rules), other.name
    assert counts.rules == [
        "same_person_other_nik", "same_mother_and_birth", "fuzzy_name_near_birth",
        "same_names_near_birth",
    ]  # fmt: skip
    assert counts.rules_not_scanned == ["nik_other_person", "deceased", "nik_disagrees"]
    assert counts.residents == 10 and counts.found == counts.new == len(rules)


def test_the_scan_scores_every_pair_as_the_per_application_check_does():
    population = generate("18.08", [("18.08.01", "Blambangan Umpu"), ("18.08.02", "Kasui")],
                          families=1500, seed=21, now=NOW, duplicates=0.02)  # fmt: skip
    population.store(now=NOW, history=False)
    pairs = find_pairs(RULES)
    assert len(pairs) > len(population.planted) // 2
    records = {r.pk: r for r in Resident.objects.select_related("family")}
    for (first, second), hit in pairs.items():
        p = person_of(records[first])
        person = Person(name=p.name, birth_date=p.birth_date, sex=p.sex, nik=p.nik,
                        mother_name=p.mother_name, father_name=p.father_name,
                        birth_place=p.birth_place)  # fmt: skip
        (match,) = [m for m in check(person, [person_of(records[second]).record()], RULES)
                    if m.record is not None]  # fmt: skip
        assert (match.rule, match.level, match.score) == (hit.rule, hit.level, hit.score)
    # and the check finds no pair the scan missed, for a sample of residents
    registry = LocalRegistry()
    for r in list(records.values())[::25]:
        person = Person(name=r.name, birth_date=r.birth_date, sex=r.sex, nik=r.nik,
                        mother_name=r.mother_name)  # fmt: skip
        keys = RULES.search_keys(person)
        for match in check(person, registry.candidates(keys), RULES):
            if match.record is not None and match.rule in {h.rule for h in pairs.values()}:
                assert tuple(sorted((r.pk, match.record.id))) in pairs


def test_the_scan_finds_the_planted_pairs():
    population = generate("18.08", [("18.08.01", "Blambangan Umpu")], families=1200, seed=4,
                          now=NOW, duplicates=0.02)  # fmt: skip
    population.store(now=NOW, history=False)
    ids = dict(Resident.objects.values_list("nik", "pk"))
    scan(now=NOW)
    rows = set(SuspectedDuplicate.objects.values_list("first_id", "second_id"))
    planted = {tuple(sorted((ids[p.original], ids[p.duplicate]))) for p in population.planted}
    assert len(planted & rows) >= 0.95 * len(planted)
    twins = {tuple(sorted((ids[a], ids[b]))) for a, b in population.twins}
    assert twins and not twins & rows
    row = SuspectedDuplicate.objects.first()
    assert row.state == "open" and row.found_at == NOW and row.regions == "18.08"


def test_a_pair_across_new_year_and_one_across_regencies():
    dec = resident("SITI AMINAH", date(1989, 12, 31), sex="P")
    jan = resident("SITI AMINAH", date(1990, 1, 1), sex="P", region="13.02")
    scan(now=NOW)
    (row,) = found().values()
    assert key(row.first, row.second) == key(dec, jan) and row.regions == "13.02 18.08"


def test_the_officers_decisions_are_kept():
    born = date(1985, 5, 5)
    a, b = resident("AGUS SETIAWAN", born), resident("AGUS SETIAWAN", born)
    c, d = resident("EKO PRASETYO", born), resident("EKO PRASETYO", born)
    e, f = resident("DWI LESTARI", born, sex="P"), resident("DWI LESTARI", born, sex="P")
    g, h = resident("TRI WAHYUNI", born, sex="P"), resident("TRI WAHYUNI", born, sex="P")
    LocalRegistry().mark_not_duplicate(a.pk, b.pk, reason="orang berbeda", now=NOW)
    SuspectedDuplicate.objects.create(first=c, second=d, rule="old", score=0.5, level="warn",
                                      regions="18.08", found_at=NOW, state="resolved")  # fmt: skip
    nine_days_ago = NOW - timedelta(days=9)
    SuspectedDuplicate.objects.create(first=e, second=f, rule="old", score=0.5, level="warn",
                                      regions="18.08", found_at=nine_days_ago)  # fmt: skip
    gone_a, gone_b = resident("YUNI", date(1970, 1, 1), sex="P"), resident("X", date(1971, 1, 1))
    SuspectedDuplicate.objects.create(first=gone_a, second=gone_b, rule="old", score=0.5,
                                      level="warn", regions="18.08", found_at=NOW)  # fmt: skip
    counts = scan(now=NOW)
    rows = found()
    assert key(a, b) not in rows  # marked not a duplicate: never written
    assert rows[key(c, d)].state == "resolved" and rows[key(c, d)].rule == "old"  # not reopened
    refreshed = rows[key(e, f)]
    assert (refreshed.state, refreshed.rule, refreshed.level, refreshed.score) == (
        "open", "same_person_other_nik", "block", 1.0,
    )  # fmt: skip
    assert refreshed.found_at == nine_days_ago  # first found then
    assert rows[key(g, h)].state == "open"  # new
    assert rows[key(gone_a, gone_b)].state == "open"  # no longer found: stays for an officer
    assert (counts.found, counts.new, counts.refreshed, counts.resolved, counts.not_duplicate) == (
        4, 1, 1, 1, 1,
    )  # fmt: skip
    again = scan(now=NOW)  # a second night changes nothing
    assert (again.new, again.refreshed) == (0, 2) and SuspectedDuplicate.objects.count() == 4


def test_inactive_records_are_not_scanned():
    born = date(1985, 5, 5)
    keep, duplicate = resident("AGUS SETIAWAN", born), resident("AGUS SETIAWAN", born)
    LocalRegistry().merge(keep.pk, duplicate.pk, reason="sama", now=NOW)
    assert scan(now=NOW).found == 0
    assert NotDuplicate.objects.count() == 0


def test_an_officers_rules_set_what_is_scanned():
    born = date(2000, 6, 15)
    a = resident("NURUL HIDAYAH", born, sex="P", mother="HALIMAH")
    b = resident("NURUL HIDAYATI", born + timedelta(days=3), sex="L", mother="HALIMAH")
    rules = parse_rules({
        "block": [{"name": "mother_within_three_days", "all": [
            {"field": "mother_name", "exact": True},
            {"field": "birth_date", "within_days": 3},
        ]}],
        "warn": [{"name": "by_name_only", "all": [{"field": "name", "exact": True}]}],
    })  # fmt: skip
    plans, skipped = plan(rules)
    assert [p.rule.name for p in plans] == ["mother_within_three_days"] and not plans[0].same_sex
    assert plans[0].offsets == (0, 1, 2, 3) and plans[0].probe.field == "mother_name"
    assert skipped == ["by_name_only"]
    counts = scan(rules, now=NOW)
    (row,) = found().values()
    assert key(row.first, row.second) == key(a, b) and row.score == 0.625
    assert counts.rules_not_scanned == ["by_name_only"]


def test_the_command(tmp_path):
    born = date(1985, 5, 5)
    resident("AGUS SETIAWAN", born), resident("AGUS SETIAWAN", born)
    out = StringIO()
    call_command("registry", "scan", stdout=out)
    assert "2 penduduk" in out.getvalue() and "1 dugaan data ganda (1 baru" in out.getvalue()
    rules = tmp_path / "rules.yaml"
    rules.write_text("duplicates:\n  block:\n    - {name: sama, all: [{field: name, exact: true},"
                     " {field: birth_date, exact: true}]}\n", encoding="utf-8")  # fmt: skip
    call_command("registry", "scan", "--rules", str(rules), stdout=out)
    assert SuspectedDuplicate.objects.get().rule == "sama"
    assert Family.objects.count() == 0
