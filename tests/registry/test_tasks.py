"""The worker's daily scan finds the registry's suspected duplicates; a bridge is not scanned."""

from __future__ import annotations

from datetime import date

import pytest

from layan.registry.backend import FamilyData, LocalRegistry, PersonData
from layan.registry.models import SuspectedDuplicate
from layan.registry.tasks import scan_duplicates

pytestmark = pytest.mark.django_db


def test_the_daily_scan_lists_a_person_registered_twice(settings):
    born = date(1990, 8, 17)
    for kk, nik, name in (("1808010101200001", "1808011708900001", "Budi Santoso"),
                          ("1808010101200002", "1808011708900002", "Boedi Santoso")):  # fmt: skip
        LocalRegistry().register_family(
            FamilyData(kk_number=kk, head_nik=nik, members=(
                PersonData(nik=nik, name=name, birth_date=born, sex="L"),)),
            region="18.08",
        )  # fmt: skip
    assert scan_duplicates.call()["found"] == 1
    assert SuspectedDuplicate.objects.get().state == "open"
    settings.LAYAN_REGISTRY = "http://127.0.0.1:9/registry/v1"
    assert scan_duplicates.call() == {}
