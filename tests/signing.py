"""Signing keys for tests: the signing officers of an office get a local key (demo CA)."""

from __future__ import annotations

from layan.documents.keys import create_local_key
from layan.documents.models import SigningKey
from layan.offices.models import StaffRole

PASSPHRASE = "rahasia-tte-123"


def give_key(user, office, passphrase: str = PASSPHRASE) -> SigningKey:
    return create_local_key(office=office, user=user, passphrase=passphrase)


def keys_for_signers(office, role: str = "kadis", passphrase: str = PASSPHRASE) -> list:
    """A key for every holder of ``role`` at ``office`` (the head of office)."""
    holders = StaffRole.objects.filter(role__office=office, role__code=role).select_related("user")
    return [give_key(holder.user, office, passphrase) for holder in holders]


def document_work(case, user) -> bool:
    """Do the current step's own work as ``user`` (sign, card serial, hand-over, a visit).

    Returns True when that already took the step forward (signing does)."""
    from layan.documents import services
    from layan.documents.kinds import kind_of
    from layan.documents.models import SigningKey

    step = case.step
    if step is not None and step.visit:
        outreach(case, user)
        return False
    if step is None or not step.document:
        return False
    if step.document == "sign":
        if not SigningKey.objects.filter(office=case.office, user=user, is_active=True).exists():
            give_key(user, case.office)
        services.sign_document(case, user=user, passphrase=PASSPHRASE)
        return True
    if step.document == "print" and kind_of(case.service).card:
        services.record_print(case, user=user, serial=f"BLK{case.pk:08d}")
    elif step.document == "handover" and case.service.delivery != "pdf":
        services.record_handover(
            case, user=user, received_by=case.applicant_name or "Pemohon", collected=["old_card"]
        )
    return False


def outreach(case, user) -> None:
    """At a visit step: plan the outreach visit and record the resident as recorded."""
    from datetime import timedelta

    from django.utils import timezone

    from layan.cases import services as engine

    if case.visits.filter(outcome__in=("recorded", "already_recorded")).exists():
        return
    actor = engine.Actor.staff(user)
    start = timezone.now() + timedelta(hours=1)
    visit = engine.schedule_visit(
        case, actor=actor, starts_at=start, ends_at=start + timedelta(hours=2),
        place="Jl. Imam Bonjol No. 26, Metro Pusat", team="Tim perekaman 1",
    )  # fmt: skip
    engine.record_visit(case.code, visit.pk, actor=actor, outcome="recorded")
