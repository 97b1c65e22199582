"""The demo's Dukcapil Siaga sample waits at the outreach step, so Metro's recording officer
can plan a visit and record it from the console at once (``layan demo``)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from layan.cases import services as engine
from layan.cases.models import Case

pytestmark = pytest.mark.django_db

PASSPHRASE = "demo-tte-123"


@pytest.fixture
def demo(settings, tmp_path):
    from layan.demo.loader import (
        create_demo_outreach,
        create_demo_requests,
        create_demo_signers,
        create_demo_staff,
        create_demo_teams,
        load_presets,
    )

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAYAN_SIGNING_DIR = tmp_path / "signing"
    load_presets()
    create_demo_staff("demo-pass-123")
    create_demo_teams("demo-pass-123")
    create_demo_requests()
    create_demo_signers(PASSPHRASE)
    return create_demo_outreach(PASSPHRASE)


def test_the_metro_sample_is_signed_and_waits_for_the_recording_officer(demo):
    case = Case.objects.get(office__code="metro")
    assert demo == [case.code]
    assert case.step.visit and case.step.role == "petugas_perekaman"
    assert case.documents.filter(revoked_at__isnull=True).count() == 1  # signed at step 6
    others = Case.objects.exclude(pk=case.pk)
    assert not any(c.documents.exists() for c in others)  # only the outreach sample moved


def test_the_recording_officer_plans_and_records_the_visit_in_the_console(demo):
    case = Case.objects.get(code=demo[0])
    officer = get_user_model().objects.get(username="metro.petugas_perekaman")
    client = Client()
    client.force_login(officer)
    tomorrow = timezone.localdate(timezone=case.office.tz) + timezone.timedelta(days=1)
    client.post(
        reverse("console:schedule_visit", args=[case.code]),
        {
            "version": case.version, "day": tomorrow.isoformat(), "start": "09:00",
            "end": "11:00", "place": "Jl. Imam Bonjol No. 26", "team": "Tim perekaman 1",
        },
    )  # fmt: skip
    visit = case.visits.get()
    case.refresh_from_db()
    client.post(
        reverse("console:visit_outcome", args=[case.code, visit.pk]),
        {"version": case.version, "outcome": "recorded"},
    )
    visit.refresh_from_db()
    assert visit.outcome == "recorded"
    actor = engine.Actor.staff(officer)
    done = next(a for a in engine.allowed_actions(case, actor) if a.kind == "complete")
    case = engine.perform_action(case.code, actor=actor, action=done.id)
    assert case.step.number == 8  # the operator prints the KK and the KTP-el
    # and a second run of the demo leaves the request where the officer put it
    from layan.demo.loader import create_demo_outreach

    assert create_demo_outreach(PASSPHRASE) == []
