"""NIKs issued at the same time by several officers, on PostgreSQL with real connections
(skipped on SQLite): the serial's row lock gives each its own number."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, connections

from layan.registry.backend import LocalRegistry, PersonData
from layan.registry.models import NikSerial

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def run_together(*targets):
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)

    def wrap(i, fn):
        try:
            barrier.wait(timeout=10)
            results[i] = fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(i, fn)) for i, fn in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_officers_issuing_niks_at_once_never_get_the_same_number():
    person = PersonData(name="ANAK", birth_date=date(2026, 11, 20), sex="P")

    def officer():
        registry = LocalRegistry()
        return [
            registry.issue_nik(person, region="18.08", district="18.08.01").nik for _ in range(15)
        ]

    results = run_together(*(officer for _ in range(6)))
    for result in results:
        assert isinstance(result, list), result
    issued = [nik for result in results for nik in result]
    assert len(issued) == len(set(issued)) == 90
    assert sorted(issued) == [f"180801601126{n:04d}" for n in range(1, 91)]
    assert NikSerial.objects.get(prefix="180801601126").last == 90


def test_a_first_nik_of_a_new_prefix_is_issued_once_under_a_race():
    """The serial row does not exist yet: both create it (one insert is ignored), then lock."""
    person = PersonData(name="ANAK", birth_date=date(2026, 10, 2), sex="L")
    results = run_together(
        *(
            lambda: LocalRegistry().issue_nik(person, region="18.08", district="18.08.03").nik
            for _ in range(8)
        )
    )
    assert all(isinstance(r, str) for r in results), results
    assert sorted(results) == [f"180803021026{n:04d}" for n in range(1, 9)]
