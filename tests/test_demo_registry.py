"""The demo's population registry and its three stories: a Solok MARAWA applicant registered
twice is flagged at step 3, a Way Kanan KK number fills a KK baru form, a Dukcapil Siaga resident
without a NIK gets one."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from layan.cases.models import Case
from layan.offices.models import Service
from layan.population import selectors, services
from layan.registry.models import Family, Resident
from layan.registry.nik import parse_nik
from tests.documents.conftest import seeded  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_the_demo_registry_tells_its_three_stories(seeded, settings, tmp_path):  # noqa: F811
    from layan.demo.loader import create_demo_registry, create_demo_requests, load_demo_regions

    settings.MEDIA_ROOT = tmp_path
    load_demo_regions()
    create_demo_requests()
    report = create_demo_registry()
    assert report.residents > 1000 and Resident.objects.count() >= report.residents
    assert create_demo_registry().residents == 0  # once
    # Solok: the sample applicant is registered under their NIK and under another one.
    (code,) = report.flagged
    sample = Case.objects.get(code=code)
    finding = sample.findings.get()
    assert finding.rule == "same_person_other_nik" and finding.record["ours"]
    assert sample.step.number == 3 and sample.step.registry_check
    # Way Kanan: the family's members fill a KK baru form.
    family = Family.objects.get(kk_number=report.family)
    kk_baru = Case.objects.filter(service__office__code="waykanan", service__code="kk-baru").first()
    filled = selectors.prefill(kk_baru, kk=report.family)
    assert len(filled["anggota"]) == family.members.count() >= 3
    # Metro: the resident without a NIK waits at the data-entry step and gets one.
    siaga = Case.objects.get(code=report.without_nik)
    assert siaga.step.data_entry and not siaga.form_data.get("nik")
    nik = services.issue_nik_for(
        siaga, user=get_user_model().objects.get(username="metro.operator")
    )
    assert parse_nik(nik).region.startswith("18.72.")
    assert Service.objects.get(pk=siaga.service_id).registry["effect"] == "new_nik"
