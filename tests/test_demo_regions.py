"""The demo's region table: the provinces, regencies/cities and kecamatan of the seed offices with
their Kemendagri codes and names, loaded like ``layan regions load``; the demo's residents live in
those kecamatan, so the demo's rekap names every kecamatan it counts."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.utils import timezone

from layan.cases.models import Case
from layan.demo.loader import (
    DEMO_REGENCY,
    DEMO_REGIONS,
    create_demo_history,
    create_demo_requests,
    demo_districts,
    load_demo_regions,
)
from layan.offices.models import Office
from layan.registry.models import Region
from layan.registry.nik import parse_nik
from layan.reports import selectors
from tests.documents.conftest import seeded  # noqa: F401 (fixture)

# The full Kemendagri list (kode,nama), when it sits beside the repository.
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "wilayah" / "wilayah.csv"


def rows() -> dict[str, str]:
    with open(DEMO_REGIONS, encoding="utf-8", newline="") as handle:
        return {code: name for code, name in list(csv.reader(handle))[1:]}


def test_the_demo_table_holds_the_seed_regions_only():
    codes = rows()
    regencies = {code for code in codes if code.count(".") == 1}
    assert regencies == {"13.02", "13.12", "18.08", "18.72", "63.11"}
    assert {code for code in codes if "." not in code} == {"13", "18", "63"}
    for code in codes:  # every kecamatan under one of those regencies
        assert code.count(".") < 2 or code.rsplit(".", 1)[0] in regencies
    assert codes["18.72"] == "Kota Metro" and codes["18.08.01"] == "Blambangan Umpu"
    assert DEMO_REGENCY["keliling"] in regencies


@pytest.mark.skipif(not REFERENCE.exists(), reason="no full Kemendagri list beside the repository")
def test_the_demo_table_agrees_with_the_kemendagri_list():
    with open(REFERENCE, encoding="utf-8-sig", newline="") as handle:
        reference = {row[0]: row[1] for row in csv.reader(handle) if len(row) >= 2}
    ours = rows()
    assert {code: reference.get(code) for code in ours} == ours
    # and no kecamatan of the seed regencies is missing
    regencies = {code for code in ours if code.count(".") == 1}
    wanted = {c for c in reference if c.count(".") == 2 and c.rsplit(".", 1)[0] in regencies}
    assert wanted <= set(ours)


@pytest.mark.django_db
def test_the_demo_rekap_names_every_kecamatan(seeded, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path
    assert load_demo_regions() == len(rows())
    assert load_demo_regions() == 0  # a loaded table is kept
    create_demo_requests()
    assert create_demo_history(days=10) > 0
    # every sample NIK is valid, of a kecamatan of its office, and none is flagged unknown
    for office in Office.objects.all():
        districts = demo_districts(office)
        assert districts
        for nik in Case.objects.filter(office=office).values_list("applicant_nik", flat=True):
            assert parse_nik(nik).region in districts
    assert not Case.objects.filter(flags__code="nik_region_unknown").exists()
    today = timezone.localdate()
    period = selectors.Period(today - timezone.timedelta(days=12), today)
    names = dict(Region.objects.values_list("code", "name"))
    for office in Office.objects.all():
        counted = selectors.rekap(office, period).by_district
        assert counted, office.code
        assert all(name and name == names[code] for code, name, _n in counted), counted
