"""Requests an officer takes for a resident: the resident's own WhatsApp number hears the
notices, a resident applied for in the field is asked to agree, "Bukan saya" flags the request
for the supervisor, and a file that fails the media checks leaves no request behind."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from layan.bot import intake
from layan.cases.models import Case, CaseEvent, IntakeChannel
from layan.core.errors import Invalid
from layan.offices.models import Service
from tests.bot.harness import Resident, png

pytestmark = pytest.mark.django_db(transaction=True)
KELILING = "62753466353"
WAYKANAN_KK = "628117961500"


def officer(username: str):
    return get_user_model().objects.get(username=username)


def field_request(phone: str = "0812 7777 8888", **kw) -> Case:
    return intake.take_request(
        service=Service.objects.get(office__code="keliling", code="kk"),
        user=officer("keliling.petugas_khusus"),
        channel=IntakeChannel.FIELD,
        applicant_name="Yusniar",
        applicant_nik="1302014506900001",
        applicant_phone=phone,
        intake_place="Jorong Koto Tuo, Nagari Sungai Nanam",
        uploads=[("kk_lama", "kk.png", png())],
        **kw,
    )


def test_a_field_application_asks_the_resident_and_a_yes_is_recorded(bot_world):
    case = field_request()
    assert case.channel == "field" and case.submitter_kind == "field_officer"
    assert case.intake_place == "Jorong Koto Tuo, Nagari Sungai Nanam"
    assert case.attachments.get().requirement == "kk_lama"
    resident = Resident(KELILING, wa_id="6281277778888")
    resident.seen = 0
    (asked,) = resident.inbox()  # outside the 24-hour window: the template with two buttons
    assert asked.kind == "template" and case.code in asked.text
    replies = resident.send({"type": "button", "text": "Ya, saya setuju"})
    assert "persetujuan Anda kami catat" in Resident.text_of(replies)
    (answer,) = case.events.filter(kind=CaseEvent.Kind.CONSENT)
    assert answer.data == {"agreed": True} and not case.flags.exists()
    again = resident.send({"type": "button", "text": "Bukan saya"})
    assert "Tidak ada permohonan" not in Resident.text_of(again)  # no pending one: the bot's menu


def test_bukan_saya_flags_the_request_for_the_supervisor(bot_world):
    case = field_request()
    resident = Resident(KELILING, wa_id="6281277778888")
    resident.says("halo")  # the window opens: the buttons can be tapped as such
    resident.send({"type": "button_reply", "id": f"consent:no:{case.code}", "title": "Bukan saya"})
    assert "diperiksa oleh pengawas" in Resident.text_of(resident.last)
    (flag,) = case.flags.all()
    assert flag.code == "consent_denied" and str(flag.label) == "Pemohon menyangkal mengajukan"
    assert case.events.filter(kind="consent").get().data == {"agreed": False}


def test_a_stranger_cannot_answer_for_the_applicant(bot_world):
    case = field_request()
    stranger = Resident(KELILING, wa_id="6281299990000")
    stranger.says("halo")
    stranger.send({"type": "button_reply", "id": f"consent:no:{case.code}", "title": "Bukan saya"})
    assert "Tidak ada permohonan" in Resident.text_of(stranger.last)
    assert not case.flags.exists() and not case.events.filter(kind="consent").exists()


def test_the_resident_of_a_counter_request_hears_its_notices_and_gets_the_receipt(bot_world):
    case = intake.take_request(
        service=Service.objects.get(office__code="waykanan", code="kk-baru"),
        user=officer("waykanan.operator_online"),
        channel=IntakeChannel.COUNTER,
        applicant_name="Budi Santoso",
        applicant_phone="081277778888",
        uploads=[("buku_nikah", "nikah.png", png())],
    )
    assert case.channel == "counter" and case.contacts.get().kind == "applicant"
    assert intake.send_receipt(case) == 1
    resident = Resident(WAYKANAN_KK, wa_id="6281277778888")
    resident.seen = 0
    (receipt,) = resident.inbox()
    assert case.code in receipt.text and not case.events.filter(kind="consent").exists()


def test_a_refused_file_leaves_no_request_behind(bot_world):
    with pytest.raises(Invalid) as refused:
        intake.take_request(
            service=Service.objects.get(office__code="waykanan", code="kk-baru"),
            user=officer("waykanan.operator_online"),
            channel=IntakeChannel.COUNTER,
            applicant_name="Budi Santoso",
            uploads=[("buku_nikah", "nikah.exe", b"MZ\x90\x00")],
        )
    assert refused.value.code == "file_type_not_allowed"
    assert refused.value.details["field"] == "file:buku_nikah"
    assert not Case.objects.exists()
    with pytest.raises(Invalid) as bad_phone:
        field_request(phone="12345")
    assert bad_phone.value.details["field"] == "applicant_phone"
