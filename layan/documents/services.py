"""Issuing documents: signing, superseding and revoking, card print and hand-over records, the
register book, and delivery of the signed PDF to the resident.

Every change runs in one transaction with the request locked through the engine's public
helpers (:func:`~layan.cases.services.lock_open`, :func:`~layan.cases.services.lock_for_step`),
so two officers can neither sign twice nor take the same register number. What happened is
announced (:mod:`layan.documents.events`): the register book and the delivery listen there
(:mod:`layan.documents.receivers`).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from layan.bot.selectors import acting_conversations
from layan.cases import flags
from layan.cases import services as engine
from layan.cases.models import Case
from layan.core.errors import Conflict, Forbidden, Invalid, NotFound
from layan.documents import bsre, events, selectors, signing
from layan.documents.kinds import Kind, kind_of
from layan.documents.models import (
    Counter,
    Document,
    DownloadGrant,
    Handover,
    RegisterEntry,
    SigningKey,
)
from layan.documents.pki import WrongPassphrase
from layan.documents.rendering import Final, render_pdf, verification_url
from layan.registry.nik import mask_nik
from layan.sop.definition import FORWARD_KINDS
from layan.whatsapp import builders, outbox

logger = logging.getLogger(__name__)

# The document work recorded in a request's history (events of kind ``document``), in words.
WORK_LABELS = {
    "sign": gettext_lazy("Signed electronically"),
    "print": gettext_lazy("Card serial recorded"),
    "handover": gettext_lazy("Handed over"),
}

# Who may revoke a document of their office.
REVOKERS = ("admin", "supervisor")

DELIVERY_FAILED = flags.register(
    "delivery_failed",
    gettext_lazy("PDF not delivered"),
    help=gettext_lazy(
        "The signed PDF could not be sent to the applicant on WhatsApp: send it another way or "
        "try again from the request page."
    ),
)


# --------------------------------------------------------------------------- numbers


def next_number(scope: str, year: int) -> int:
    """The next running number of ``scope`` in ``year``; call inside a transaction.

    The counter row is created if missing (a conflict-ignoring insert, so two first callers do
    not fail) and then locked: concurrent callers queue on the row and get consecutive numbers.
    """
    Counter.objects.bulk_create([Counter(scope=scope, year=year)], ignore_conflicts=True)
    Counter.objects.filter(scope=scope, year=year).update(value=F("value") + 1)
    return Counter.objects.select_for_update().get(scope=scope, year=year).value


def document_number(case: Case, kind: Kind, year: int, number: int) -> str:
    region = case.office.region_code.replace(".", "")
    return f"{region}-{kind.code.upper()}-{year}-{number:06d}"


# --------------------------------------------------------------------------- signing


def signing_key_for(office, user) -> SigningKey | None:
    return SigningKey.objects.filter(office=office, user=user, is_active=True).first()


def _forward_action(step) -> str:
    for action in step.actions:
        if action.kind in FORWARD_KINDS:
            return action.id
    raise Conflict(_("This step has no action that goes forward."), "no_forward_action")


def _signer_for(key: SigningKey, passphrase: str):
    """A signer object for the key: the local archive opened with the passphrase, or the
    external service. Raises :class:`WrongPassphrase` before anything is rendered or stored."""
    if key.kind == SigningKey.Kind.LOCAL:
        return signing.LocalSigner(signing.local_signer(bytes(key.pkcs12), passphrase))
    return bsre.RemoteSigner(key, passphrase)


def _open_key(office, user, passphrase: str):
    """``user``'s signing key at ``office`` and a signer for it, opened with ``passphrase``.
    Raises :class:`Invalid` without a key, without a passphrase or with a wrong one, before
    anything is rendered or stored."""
    key = signing_key_for(office, user)
    if key is None:
        raise Invalid(
            _("You have no signing key at this office. Ask the administrator to create one."),
            "no_signing_key",
        )
    if not passphrase:
        raise Invalid(_("Type your signing passphrase."), "passphrase_required")
    try:
        return key, _signer_for(key, passphrase)
    except WrongPassphrase:
        logger.info("wrong signing passphrase for key %s", key.pk)
        raise Invalid(
            _("The passphrase is wrong. Nothing was signed."), "wrong_passphrase"
        ) from None


def sign_document(
    case: Case | str,
    *,
    user,
    passphrase: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Document:
    """The head of office signs the request's document at its signing step; the step then goes
    forward. A wrong passphrase raises :class:`Invalid` and nothing is rendered, stored or
    changed. The passphrase is passed on to the key and never stored or logged.

    Locks the request at the version its checks read; announces ``document_issued`` once the
    step has gone forward (the engine announces the move itself). The signed PDF goes to the
    resident after the commit (:mod:`layan.documents.receivers`)."""
    now = now or timezone.now()
    code = case.code if isinstance(case, Case) else case
    current = Case.objects.select_related("office", "service", "current_step").filter(code=code)
    current = current.first()
    if current is None:
        raise NotFound(_("Request not found."), "case_not_found")
    step = current.step
    if step is None or step.document != "sign":
        raise Conflict(_("The request is not at a signing step."), "not_signing_step")
    actor = engine.Actor.staff(user)
    action = _forward_action(step)
    if not any(a.id == action for a in engine.allowed_actions(current, actor)):
        raise Forbidden(_("Only the signing officer of this step may sign."), "role_required")
    key, signer = _open_key(current.office, user, passphrase)
    stored: list[str] = []
    try:
        with transaction.atomic():
            # The checks above hold only for the version they read: a request that moved on
            # meanwhile (a double submit) is a conflict, not a second signature.
            expected = current.version if expected_version is None else expected_version
            case = engine.lock_open(code, expected)
            document, signed = _issue(case, key, signer, user, now, stored)
            case = engine.perform_action(
                case, actor=actor, action=action, expected_version=case.version, now=now
            )
            events.document_issued.announce(
                sender=Document, document=document, case=case, event=signed
            )
    except WrongPassphrase:
        _remove(stored)
        raise Invalid(
            _("The passphrase is wrong. Nothing was signed."), "wrong_passphrase"
        ) from None
    except signing.SignatureFailed as exc:
        _remove(stored)
        logger.warning("signing failed for %s: %s", code, exc)
        raise Invalid(
            _("The signature could not be made (%(reason)s). Nothing was signed.")
            % {"reason": exc},
            "signature_failed",
        ) from None
    except BaseException:
        _remove(stored)
        raise
    return document


def sign_office_pdf(office, *, user, passphrase: str, pdf: bytes, url: str) -> bytes:
    """``pdf`` (an office paper that is not a request's document, such as the monthly report)
    signed by ``user`` with their signing key at ``office``: the same PAdES signature and stamp
    as a document, its QR leading to ``url``. Raises :class:`Invalid` without a key or with a
    wrong passphrase; nothing is stored."""
    key, signer = _open_key(office, user, passphrase)
    stamp = signing.Stamp(signer=key.name, title=key.title, signed_at=timezone.now(), url=url)
    try:
        return signer.sign(pdf, stamp, office)
    except WrongPassphrase:
        raise Invalid(
            _("The passphrase is wrong. Nothing was signed."), "wrong_passphrase"
        ) from None
    except signing.SignatureFailed as exc:
        logger.warning("signing an office PDF failed: %s", exc)
        raise Invalid(
            _("The signature could not be made (%(reason)s). Nothing was signed.")
            % {"reason": exc},
            "signature_failed",
        ) from None


def _remove(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _issue(case: Case, key: SigningKey, signer, user, now: datetime, stored: list[str]):
    kind = kind_of(case.service)
    year = timezone.localtime(now, case.office.tz).year
    number = document_number(
        case, kind, year, next_number(f"document:{case.office_id}:{kind.code}", year)
    )
    document = Document(case=case, office=case.office, kind=kind.code, issued_at=now)
    signer_info = {"name": key.name, "title": key.title, "nip": key.nip}
    pdf = render_pdf(
        case,
        kind,
        final=Final(number=number, public_id=document.public_id, issued_at=now),
        signer=signer_info,
    )
    signed = signer.sign(pdf, _stamp(key, now, document.public_id), case.office)
    name = default_storage.save(f"documents/{year}/{document.public_id}.pdf", ContentFile(signed))
    stored.append(name)
    subject_name, subject_nik = _subject(case)
    previous = list(
        Document.objects.select_for_update()
        .filter(case=case, kind=kind.code, status=Document.Status.ACTIVE)
        .values_list("pk", flat=True)
    )
    # The new document takes the one "active" slot of its kind; the old ones point to it.
    Document.objects.filter(pk__in=previous).update(status=Document.Status.SUPERSEDED)
    document.title = str(kind.title) if kind.code != "kutipan" else case.service.output
    document.number = number
    document.file.name = name
    document.sha256 = hashlib.sha256(signed).hexdigest()
    document.size = len(signed)
    document.subject_name = subject_name
    document.subject_nik = mask_nik(subject_nik) if subject_nik else ""
    document.signing_key = key
    document.signer_name = key.name
    document.signer_title = key.title
    document.signed_at = now
    document.issued_by = user
    document.save()
    Document.objects.filter(pk__in=previous).update(superseded_by=document)
    signed_event = _note(
        case, user, "sign", {"document": document.public_id, "number": number}, now
    )
    return document, signed_event


def _stamp(key: SigningKey, now: datetime, public_id: str) -> signing.Stamp:
    return signing.Stamp(
        signer=key.name, title=key.title, signed_at=now, url=verification_url(public_id)
    )


def _subject(case: Case) -> tuple[str, str]:
    """Whose document it is: the name and NIK it is about (child, deceased, card holder…)."""
    data = case.form_data or {}
    for name_key, nik_key in (
        ("nama_lengkap", "nik"),
        ("nama_anak", "nik_anak"),
        ("nama_almarhum", "nik_almarhum"),
        ("nama_kepala_keluarga", "nik_kepala_keluarga"),
        ("nama_pemohon", "nik_pemohon"),
    ):
        if data.get(name_key):
            return str(data[name_key]), str(data.get(nik_key) or "")
    return case.applicant_name, case.applicant_nik


def can_revoke(user, office) -> bool:
    """Whether ``user`` may revoke the documents of ``office``: its supervisor or administrator."""
    return bool(engine.user_role_codes(user, office) & set(REVOKERS))


def revoke(document: Document, *, user, reason: str, now: datetime | None = None) -> Document:
    """Revoke an active document (the verification page then says so, with the reason).

    Only a supervisor or the administrator of the document's office may (:func:`can_revoke`);
    locks the document; announces ``document_revoked``."""
    if not can_revoke(user, document.office):
        raise Forbidden(
            _("Only a supervisor or the office administrator may revoke a document."),
            "role_required",
        )
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(
            _("Give the reason for revoking the document."), "reason_required", field="reason"
        )
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.status != Document.Status.ACTIVE:
            raise Conflict(_("Only an active document can be revoked."), "not_active")
        locked.status = Document.Status.REVOKED
        locked.revoked_at = now or timezone.now()
        locked.revoked_reason = reason[:300]
        locked.revoked_by = user
        locked.save()
        events.document_revoked.announce(sender=Document, document=locked, user=user)
    return locked


# --------------------------------------------------------------------------- print and hand-over


def _lock_at(case: Case | str, work: str, user, expected_version: int | None) -> Case:
    """Lock the request for the officer of its current step, which must do ``work``."""
    case = engine.lock_for_step(case, engine.Actor.staff(user), expected_version)
    if case.step.document != work:
        raise Conflict(_("The request is not at this step any more."), "step_moved")
    return case


def record_print(
    case: Case | str, *, user, serial: str, expected_version: int | None = None, now=None
) -> Handover:
    """The serial number of the card blank the card was printed on (locks the request for the
    print step's officer)."""
    serial = (serial or "").strip().upper()
    if not serial or len(serial) > 40 or not serial.replace("-", "").isalnum():
        raise Invalid(
            _("Type the card blank's serial number (letters, digits and '-')."),
            "serial_invalid",
            field="serial",
        )
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock_at(case, "print", user, expected_version)
        handover, _created = Handover.objects.get_or_create(case=case)
        handover.card_serial, handover.printed_at, handover.printed_by = serial, now, user
        handover.save()
        _note(case, user, "print", {"card_serial": serial}, now)
    return handover


def record_handover(
    case: Case | str,
    *,
    user,
    received_by: str,
    relation: str = "",
    collected: list[str] | tuple[str, ...] = (),
    note: str = "",
    expected_version: int | None = None,
    now=None,
) -> Handover:
    """Who received the document or card, and what the office took back from them.

    Locks the request for the hand-over step's officer; announces ``handover_recorded`` (the
    register book enters the request then)."""
    received_by = (received_by or "").strip()
    if not received_by:
        raise Invalid(
            _("Type the name of the person who received it."),
            "receiver_required",
            field="received_by",
        )
    unknown = set(collected) - set(Handover.Item.values)
    if unknown:
        raise Invalid(
            _("Unknown collected item: %(items)s.") % {"items": ", ".join(sorted(unknown))},
            "collected_invalid",
            field="collected",
        )
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock_at(case, "handover", user, expected_version)
        handover, _created = Handover.objects.get_or_create(case=case)
        handover.received_by = received_by[:120]
        handover.relation = (relation or "").strip()[:60]
        handover.collected = sorted(set(collected))
        handover.note = (note or "").strip()[:300]
        handover.handed_at, handover.handed_by = now, user
        handover.save()
        event = _note(
            case, user, "handover", {"received_by": received_by, "collected": collected}, now
        )
        events.handover_recorded.announce(
            sender=Handover, case=case, handover=handover, event=event
        )
    return handover


def _note(case: Case, user, action: str, data: dict, now: datetime):
    """An event in the request's history (the audit trail) for document work on the step."""
    return engine.record_step_work(
        case, actor=engine.Actor.staff(user), action=action, data=data, now=now
    )


# --------------------------------------------------------------------------- register book


def enter_register(case: Case, *, now: datetime | None = None) -> RegisterEntry:
    """The request's line in its service's register book for the year (once per request): at
    the hand-over, or at completion for what is not handed over. Call inside the transaction
    of the change it records (the running number commits or fails with it)."""
    now = now or timezone.now()
    with transaction.atomic():
        handover = selectors.handover_of(case)
        existing = RegisterEntry.objects.filter(case=case).first()
        if existing is not None:
            if handover and handover.received_by and not existing.received_by:
                existing.received_by = handover.received_by
                existing.card_serial = handover.card_serial
                existing.save(update_fields=["received_by", "card_serial"])
            return existing
        year = timezone.localtime(now, case.office.tz).year
        number = next_number(f"register:{case.service_id}", year)
        return RegisterEntry.objects.create(
            office_id=case.office_id,
            service_id=case.service_id,
            year=year,
            number=number,
            case=case,
            document=selectors.active_document(case),
            entered_at=now,
            applicant_name=case.applicant_name,
            applicant_nik=case.applicant_nik,
            output=case.service.output,
            delivery=case.service.delivery,
            card_serial=handover.card_serial if handover else "",
            received_by=handover.received_by if handover else "",
        )


# --------------------------------------------------------------------------- delivery


def deliver(document_id: int, *, now: datetime | None = None) -> list:
    """Send the signed PDF to the applicant's WhatsApp conversations: as a document while the
    24-hour window is open, else the ``document_ready`` template with a link and a one-time PIN.
    Goes through the outbox like every message; sending twice is prevented by its keys."""
    now = now or timezone.now()
    document = Document.objects.select_related("case__office", "case__service").get(pk=document_id)
    case = document.case
    rows = []
    for conversation in acting_conversations(case):
        key = f"document:{document.public_id}:{conversation.pk}"
        filename = f"{document.title} {case.code}.pdf".replace("/", "-")
        if conversation.window_open(now):
            caption = _("%(title)s no. %(number)s, signed electronically. Request %(code)s.") % {
                "title": document.title,
                "number": document.number,
                "code": case.code,
            }
            # The file is uploaded to WhatsApp when the message is sent (media ids expire).
            content = {
                "type": "document",
                "document": {"filename": filename, "caption": builders.shorten(caption, 1024)},
            }
            rows.append(
                outbox.queue(
                    conversation=conversation,
                    content=content,
                    key=key,
                    case=case,
                    upload=document.file.name,
                    # If the window has closed by the time it is sent: the link and PIN instead.
                    template_key="document_ready",
                    template_params=_grant_params(document, now),
                    now=now,
                )
            )
        else:
            rows += outbox.notify(
                conversation=conversation,
                key=key,
                template_key="document_ready",
                template_params=_grant_params(document, now),
                case=case,
                now=now,
            )
    return rows


def _grant_params(document: Document, now: datetime) -> list[str]:
    """[code, document, link, pin] of a fresh download link; only the PIN's hash is kept."""
    token = secrets.token_urlsafe(24)
    pin = f"{secrets.randbelow(1_000_000):06d}"
    DownloadGrant.objects.create(
        token=token,
        document=document,
        pin_hash=make_password(pin),
        created_at=now,
        expires_at=now + timedelta(hours=settings.LAYAN_DOWNLOAD_HOURS),
    )
    link = f"{settings.LAYAN_PUBLIC_URL}/d/{token}"
    return [document.case.code, document.title, link, pin]


def redeem(token: str, pin: str, *, now: datetime | None = None) -> Document:
    """The document behind a download link, if ``pin`` is right; the PIN works once."""
    now = now or timezone.now()
    with transaction.atomic():
        grant = (
            DownloadGrant.objects.select_for_update()
            .select_related("document")
            .filter(token=token)
            .first()
        )
        if grant is None:
            raise NotFound(_("This download link does not exist."), "grant_unknown")
        if grant.used_at is not None:
            raise Conflict(_("This PIN has been used. Ask us for a new link on WhatsApp."), "used")
        if grant.expires_at <= now:
            raise Conflict(_("This link has expired. Ask us for a new one on WhatsApp."), "expired")
        if grant.failed_attempts >= settings.LAYAN_DOWNLOAD_PIN_TRIES:
            raise Conflict(_("Too many wrong PINs. Ask us for a new link on WhatsApp."), "locked")
        if not check_password((pin or "").strip(), grant.pin_hash):
            # Counted, then raised after the block: raising inside it would roll the count back.
            DownloadGrant.objects.filter(pk=grant.pk).update(
                failed_attempts=F("failed_attempts") + 1
            )
            return_error = Invalid(_("The PIN is wrong."), "wrong_pin")
        else:
            grant.used_at = now
            grant.save(update_fields=["used_at"])
            return grant.document
    raise return_error
