"""Races between officers, on PostgreSQL with real connections (skipped on SQLite)."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from layan.cases import services
from layan.cases.services import Actor
from layan.core.errors import Conflict
from layan.offices.models import Service
from tests.factories import make_office, staff

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


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
        thread.join(timeout=60)
    return results


def test_two_officers_claiming_at_once_never_get_the_same_request():
    office = make_office("race")
    service = Service.objects.get(office=office)
    codes = {
        services.submit_case(
            service=service, actor=Actor.applicant(), applicant_name=f"Warga {i}", now=NOW
        ).code
        for i in range(30)
    }
    officers = [staff(office, "operator", username=f"op{i}") for i in range(4)]

    def drain(user):
        def claim_all():
            got = []
            while case := services.claim_next(office=office, role="operator", user=user):
                got.append(case.code)
            return got

        return claim_all

    results = run_together(*(drain(user) for user in officers))
    for result in results:
        assert isinstance(result, list), result
    claimed = [code for result in results for code in result]
    assert len(claimed) == len(set(claimed)) == len(codes)
    assert set(claimed) == codes


def test_of_two_concurrent_actions_exactly_one_wins():
    office = make_office("race2")
    service = Service.objects.get(office=office)
    first, second = staff(office, "operator", username="a"), staff(office, "operator", username="b")
    for _ in range(5):
        case = services.submit_case(
            service=service, actor=Actor.applicant(), applicant_name="Warga", now=NOW
        )

        def complete(user, version=case.version, code=case.code):
            return lambda: services.perform_action(
                code, actor=Actor.staff(user), action="complete", expected_version=version
            )

        results = run_together(complete(first), complete(second))
        wins = [r for r in results if not isinstance(r, BaseException)]
        losses = [r for r in results if isinstance(r, BaseException)]
        assert len(wins) == 1, results
        assert len(losses) == 1 and isinstance(losses[0], Conflict)
        assert losses[0].code == "stale"
        case.refresh_from_db()
        assert case.current_step.key == "3"
        assert case.events.filter(action="complete", kind="complete").count() == 1
