"""The resident's conversation, end to end through the signed webhook and the Graph stand-in:
mistakes, floods, other kinds of message, handover, complaints, applying for someone else."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from layan.bot.models import BotText, CaseContact
from layan.cases.models import Case, CaseFlag, Status
from layan.offices.models import Office, Service
from layan.registry.models import Region
from layan.standin.models import SentMessage
from layan.whatsapp.models import Conversation, OutboxMessage
from tests.bot.driver import NIK, Officers, apply, state
from tests.bot.harness import Resident
from tests.whatsapp import harness as wa

pytestmark = pytest.mark.django_db(transaction=True)

WK_KTP_KIA = "628117961600"
WK_KK = "628117961500"
WK_COMPLAINTS = "628117961900"
SOLOK = "6281100001302"
KELILING = "62753466353"


def start_kia(resident: Resident) -> None:
    resident.says("menu")
    resident.taps("svc:kia-baru")
    resident.taps("apply:kia-baru")
    resident.taps("f:self")
    resident.says("Budi Santoso")


# --------------------------------------------------------------------------- mistakes


@pytest.mark.parametrize(
    ("typed", "explained"),
    [
        ("18080145O1150001", "hanya berisi angka"),
        ("180801450115", "16 angka, yang Anda kirim 12 angka"),
        ("0008014501150001", "kode wilayah"),
        ("1808014513150001", "bulan lahir (01–12); 13 bukan bulan"),
        ("1808013102150001", "310215 bukan tanggal"),
        ("1808014501150000", "tidak mungkin 0000"),
    ],
)
def test_each_kind_of_nik_mistake_is_explained_and_asked_again(bot_world, typed, explained):
    resident = Resident(WK_KTP_KIA)
    start_kia(resident)
    reply = Resident.text_of(resident.says(typed))
    assert explained in reply
    assert "Tulis *NIK* pemohon" in reply
    assert state(resident)["field"] == "nik"
    reply = Resident.text_of(resident.says("1808 0145 0115 0001"))  # spaces are fine
    assert state(resident)["field"] == "q:child_age"
    assert "Umur anak" in reply


def test_an_unknown_region_is_accepted_and_flagged_for_staff(bot_world):
    Region.objects.bulk_create(
        [
            Region(code="18", name="Lampung", level=1),
            Region(code="18.08", name="Way Kanan", level=2),
        ]
        + [Region(code="18.08.01", name="Blambangan Umpu", level=3)]
    )
    resident = Resident(WK_KTP_KIA)
    service = Service.objects.get(office__code="waykanan", code="kia-baru")
    # 18.08.01 exists: no flag.
    case = apply(resident, service)
    assert not CaseFlag.objects.filter(case=case).exists()
    # 18.08.99 does not: accepted, flagged, said in the history.
    from tests.bot import driver

    old = driver.NIK
    driver.NIK = "1808994501150001"
    try:
        case = apply(resident, service)
    finally:
        driver.NIK = old
    assert case.applicant_nik == "1808994501150001"
    flag = CaseFlag.objects.get(case=case)
    assert flag.code == "nik_region_unknown" and "18.08.99" in flag.note


def test_a_wrong_file_type_is_refused_with_what_to_send_instead(bot_world):
    resident = Resident(WK_KTP_KIA)
    start_kia(resident)
    resident.says(NIK)
    resident.says("3")
    reply = Resident.text_of(
        resident.sends_file(b"PK\x03\x04 not a pdf", "kk.docx", "application/msword")
    )
    assert "hanya menerima foto (JPG atau PNG) dan dokumen PDF" in reply
    assert "Foto Copy KK" in reply  # asked again
    assert state(resident)["data"]["files"].get("fotokopi_kk", []) == []
    reply = Resident.text_of(resident.sends_file(b"not a pdf at all", "kk.pdf", "application/pdf"))
    assert "bukan PDF yang benar" in reply


def test_free_text_at_a_file_step_gets_a_helpful_reprompt(bot_world):
    resident = Resident(WK_KTP_KIA)
    start_kia(resident)
    resident.says(NIK)
    resident.says("3")
    reply = Resident.text_of(resident.says("kk saya ada di rumah"))
    assert "perlu *foto atau PDF* dari Foto Copy KK" in reply
    reply = Resident.text_of(resident.says("lewati"))
    assert "wajib" in reply
    assert state(resident)["field"] == "r:fotokopi_kk"


def test_a_conditional_requirement_is_asked_only_when_it_applies(bot_world):
    service = Service.objects.get(office__code="waykanan", code="kia-baru")
    resident = Resident(WK_KTP_KIA)
    start_kia(resident)
    resident.says(NIK)
    resident.says("3")  # under 5: no photo
    for _item in range(3):
        resident.sends_photo()
        resident.taps("f:next")
    summary = resident.last[-1].text
    assert "Periksa kembali" in summary and "Foto (3x4)" not in summary
    resident.taps("f:send")
    case = Case.objects.filter(service=service).get()
    assert case.form_data["child_age"] == 3
    assert not case.attachments.filter(requirement="pas_foto").exists()


def test_menu_and_cancel_work_in_the_middle_of_an_application(bot_world):
    resident = Resident(WK_KTP_KIA)
    start_kia(resident)
    reply = resident.says("batal")
    assert "dibatalkan" in Resident.text_of(reply).lower()
    assert state(resident).get("flow") is None
    start_kia(resident)
    reply = resident.says("MENU")
    assert reply[-1].kind == "list" and state(resident).get("flow") is None
    assert not Case.objects.exists()


def test_numbered_replies_work_like_taps(bot_world):
    resident = Resident(WK_KTP_KIA)
    resident.says("halo")
    info = Resident.text_of(resident.says("2"))  # the second row: KIA Baru
    assert "Kartu Identitas Anak" in info
    reply = Resident.text_of(resident.says("1"))  # Ajukan
    assert "kita mulai permohonan" in reply


# --------------------------------------------------------------------------- robustness


def test_a_flood_of_twenty_identical_messages_gets_one_answer(bot_world):
    resident = Resident(WK_KK)
    for _ in range(20):
        resident.says("halo")
    sent = SentMessage.objects.filter(recipient=resident.wa_id)
    assert sent.count() == 1
    assert OutboxMessage.objects.filter(to=resident.wa_id).count() == 1


def test_a_resident_who_sends_too_much_is_asked_to_wait_once(bot_world, settings):
    settings.BOT_REPLIES_PER_MINUTE = 3
    resident = Resident(WK_KK)
    texts = []
    for word in ("halo", "menu", "status", "pagi", "tolong", "p"):
        texts.append(Resident.text_of(resident.says(word)))
    assert all(texts[:3])
    assert "Mohon tunggu" in texts[3]
    assert texts[4] == "" and texts[5] == ""


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        (
            "audio",
            {"id": "123", "mime_type": "audio/ogg; codecs=opus", "voice": True},
            "pesan suara",
        ),
        ("sticker", {"id": "124", "mime_type": "image/webp", "animated": False}, "stiker"),
        ("location", {"latitude": -4.5, "longitude": 104.5}, "tidak memerlukan lokasi"),
        ("video", {"id": "125", "mime_type": "video/mp4"}, "tidak menerima video"),
    ],
)
def test_voice_notes_stickers_locations_and_videos_get_short_guidance(
    bot_world, kind, body, expected
):
    response = wa.post(Client(), wa.message(WK_KK, "6281234567890", kind, body))
    assert response.status_code == 200
    resident = Resident(WK_KK)
    resident.seen = 0
    assert expected in Resident.text_of(resident.inbox())


def test_a_reaction_gets_one_short_line_however_often_it_comes(bot_world):
    body = {"message_id": "wamid.X", "emoji": "👍"}
    for _ in range(3):
        wa.post(Client(), wa.message(WK_KK, "6281234567890", "reaction", body))
    sent = SentMessage.objects.get()
    assert "Terima kasih atas tanggapannya" in sent.payload["text"]["body"]


def test_a_stale_conversation_restarts_politely(bot_world):
    resident = Resident(WK_KTP_KIA)
    start_kia(resident)
    conversation = Conversation.objects.get(identity__wa_id=resident.wa_id)
    conversation.state["at"] = (timezone.now() - timedelta(hours=25)).isoformat()
    conversation.save()
    reply = Resident.text_of(resident.says("Budi"))
    assert "lama tidak ada balasan" in reply
    assert state(resident).get("flow") is None


def test_english_on_request_and_back(bot_world):
    resident = Resident(WK_KK)
    reply = resident.says("english")
    assert "continue in English" in reply[0].text
    assert "Welcome to the WhatsApp service" in reply[-1].text
    reply = resident.says("bahasa indonesia")
    assert "Bahasa Indonesia" in reply[0].text


def test_an_office_changes_a_bot_text_for_itself(bot_world):
    office = Office.objects.get(code="waykanan")
    BotText.objects.create(
        office=office, key="greeting", language="id", text="Tabik pun! {office} siap membantu."
    )
    assert "Tabik pun! Disdukcapil Way Kanan" in Resident(WK_KK).says("halo")[0].text
    assert "Selamat datang" in Resident(SOLOK).says("halo")[0].text


# --------------------------------------------------------------------------- handover


def test_a_human_handover_keeps_the_bot_quiet_until_staff_release_it(bot_world):
    resident = Resident(WK_KK)
    officers = Officers()
    reply = Resident.text_of(resident.says("petugas"))
    assert "teruskan ke petugas" in reply and "Senin–Kamis 07.30–16.00" in reply
    assert resident.says("halo, saya mau tanya KK") == []
    assert resident.says("menu") == []

    listed = officers.get("waykanan.operator_online", "/api/v1/conversations")
    assert [c["name"] for c in listed] == ["Siti Aminah"]
    other_office = officers.get("solok.kasi", "/api/v1/conversations")
    assert other_office == []
    pk = listed[0]["id"]
    detail = officers.get("waykanan.operator_online", f"/api/v1/conversations/{pk}")
    assert "halo, saya mau tanya KK" in [m["text"] for m in detail["messages"]]
    officers.post(
        "waykanan.operator_online",
        f"/api/v1/conversations/{pk}/reply",
        {"text": "KK baru bisa diajukan lewat menu Kartu Keluarga Baru."},
    )
    assert "KK baru bisa diajukan" in Resident.text_of(resident.inbox())
    officers.post("waykanan.operator_online", f"/api/v1/conversations/{pk}/release", {})
    assert "percakapan dengan petugas sudah selesai" in Resident.text_of(resident.inbox())
    assert resident.says("halo")[-1].kind == "list"


def test_staff_of_another_office_cannot_reach_a_conversation(bot_world):
    resident = Resident(WK_KK)
    resident.says("petugas")
    pk = Conversation.objects.get(identity__wa_id=resident.wa_id).pk
    officers = Officers()
    client = officers.client
    for method, path in (
        ("get", f"/api/v1/conversations/{pk}"),
        ("post", f"/api/v1/conversations/{pk}/reply"),
        ("post", f"/api/v1/conversations/{pk}/release"),
    ):
        response = getattr(client, method)(
            path,
            data=json.dumps({"text": "x"}) if method == "post" else None,
            content_type="application/json",
            headers={"Authorization": f"Bearer {officers.token('solok.kasi')}"},
        )
        assert response.status_code == 404


def test_a_staff_reply_outside_the_window_goes_as_the_notice_template(bot_world):
    resident = Resident(WK_KK)
    resident.says("petugas")
    conversation = Conversation.objects.get(identity__wa_id=resident.wa_id)
    Conversation.objects.filter(pk=conversation.pk).update(
        last_inbound_at=timezone.now() - timedelta(hours=30)
    )
    Officers().post(
        "waykanan.operator_online",
        f"/api/v1/conversations/{conversation.pk}/reply",
        {"text": "Berkas Anda sudah kami cek."},
    )
    sent = resident.inbox()[-1]
    assert sent.kind == "template"
    assert "Berkas Anda sudah kami cek." in sent.text


def test_the_handover_times_out_back_to_the_bot(bot_world, settings):
    resident = Resident(WK_KK)
    resident.says("petugas")
    Conversation.objects.filter(identity__wa_id=resident.wa_id).update(
        handed_over_at=timezone.now() - timedelta(seconds=settings.BOT_HANDOVER_TIMEOUT + 60)
    )
    assert resident.says("halo")[-1].kind == "list"


# --------------------------------------------------------------------------- complaints


def test_a_complaint_gets_a_code_and_its_answer_comes_back(bot_world):
    resident = Resident(WK_KK)
    service = Service.objects.get(office__code="waykanan", code="kia-baru")
    earlier = apply(Resident(WK_KTP_KIA), service)
    resident.says("menu")
    reply = Resident.text_of(resident.taps("menu:complaint"))
    assert "sampaikan pengaduan" in reply
    resident.says("Siti Aminah")
    resident.taps("q:data_error", number=1)
    resident.says("Nama ibu di KIA anak saya salah tulis.")
    resident.sends_photo()
    resident.taps("f:next")
    reply = Resident.text_of(resident.says(earlier.code.lower().replace("-", " ")))
    assert f"Terkait permohonan: {earlier.code}" in reply
    reply = Resident.text_of(resident.taps("f:send"))
    complaint = Case.objects.get(service__code="pengaduan")
    assert complaint.code.startswith("ADU-") and complaint.code in reply
    assert "Jawaban kami kirim" in reply
    assert complaint.form_data == {
        "category": "data_error",
        "uraian": "Nama ibu di KIA anak saya salah tulis.",
        "related_case": earlier.code,
    }
    assert complaint.attachments.filter(requirement="lampiran").count() == 1

    officers = Officers()
    case = complaint
    for _ in range(10):
        if not case.is_open:
            break
        step = case.step
        forward = next(a for a in step.actions if a.kind in ("complete", "approve"))
        case = officers.act(
            case, forward.id, note="Data sudah kami perbaiki; KIA baru dikirim lewat PT Pos."
        )
        resident.inbox()
    assert case.status == Status.COMPLETED
    answer = Resident.text_of(resident.last)
    assert f"Tanggapan atas pengaduan *{complaint.code}*" in answer
    assert "Data sudah kami perbaiki" in answer


def test_complaints_at_an_office_without_a_complaint_flow_go_to_an_officer(bot_world):
    resident = Resident(SOLOK)
    resident.says("menu")
    reply = Resident.text_of(resident.taps("menu:complaint"))
    assert "dilayani langsung oleh petugas" in reply
    assert Conversation.objects.get(identity__wa_id=resident.wa_id).handed_over_at is not None


# --------------------------------------------------------------------------- on behalf


def test_a_field_officer_applies_for_a_resident_and_both_hear_the_news(bot_world):
    officer = Resident(KELILING, wa_id="6281300000001", name="Petugas Khusus Nagari")
    service = Service.objects.get(office__code="keliling", code="kk")
    case = apply(officer, service, on_behalf_phone="0812 7777 8888")
    assert case.submitter_kind == "field_officer"
    assert case.applicant_phone == "6281277778888"
    assert case.submitter_phone == officer.wa_id
    kinds = set(CaseContact.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == {"submitter", "applicant"}

    Officers().forward(case)
    applicant = Resident(KELILING, wa_id="6281277778888")
    applicant.seen = 0
    news = applicant.inbox()
    # The applicant never wrote to this number: only a template may reach them.
    assert news and all(reply.kind == "template" for reply in news)
    assert case.code in news[-1].text
    assert case.code in Resident.text_of(officer.inbox())


# --------------------------------------------------------------------------- status


def test_status_from_the_menu_lists_the_residents_requests(bot_world):
    resident = Resident(WK_KTP_KIA)
    case = apply(resident, Service.objects.get(office__code="waykanan", code="kia-baru"))
    resident.says("menu")
    resident.taps("menu:status")
    assert (f"status:{case.code}", case.code) in resident.last[-1].options
    reply = Resident.text_of(resident.taps(f"status:{case.code}"))
    assert "Status: Diterima" in reply and "Perkiraan selesai" in reply


def test_a_stranger_with_the_nik_digits_may_follow_and_a_guesser_is_stopped(bot_world):
    case = apply(
        Resident(WK_KTP_KIA), Service.objects.get(office__code="waykanan", code="kia-baru")
    )
    relative = Resident(WK_KTP_KIA, wa_id="6281288888888")
    relative.says(f"status {case.code}")
    reply = Resident.text_of(relative.says(NIK[-4:]))
    assert case.code in reply and "Status:" in reply
    assert CaseContact.objects.filter(case=case, kind="follower").count() == 1

    guesser = Resident(WK_KTP_KIA, wa_id="6281299999999")
    for guess in ("1111", "2222", "3333"):
        guesser.says(f"status {case.code}")
        reply = Resident.text_of(guesser.says(guess))
    assert "Terlalu banyak percobaan" in reply
    guesser.says(f"status {case.code}")
    assert "Terlalu banyak percobaan" in Resident.text_of(guesser.last)
    assert "4 angka terakhir" not in Resident.text_of(guesser.last)


def test_an_unknown_code_is_answered_like_a_known_one(bot_world):
    stranger = Resident(WK_KTP_KIA)
    reply = Resident.text_of(stranger.says("status KIA-ZZZZZZ"))
    assert "4 angka terakhir NIK" in reply
    assert "tidak ditemukan" in Resident.text_of(stranger.says("1234"))


# --------------------------------------------------------------------------- notices


def test_a_notice_outside_the_window_is_the_template(bot_world):
    resident = Resident(WK_KTP_KIA)
    case = apply(resident, Service.objects.get(office__code="waykanan", code="kia-baru"))
    Conversation.objects.filter(identity__wa_id=resident.wa_id).update(
        last_inbound_at=timezone.now() - timedelta(hours=25)
    )
    Officers().act(case, "request_documents", note="KK buram", data={"items": ["fotokopi_kk"]})
    notice = resident.inbox()[-1]
    assert notice.kind == "template"
    assert "belum lengkap" in notice.text and "Foto Copy KK" in notice.text
    # The resident answers with the photo: the bot takes it for the missing item.
    resident.sends_photo()
    resident.taps("f:next")
    assert Case.objects.get(pk=case.pk).status == Status.IN_PROGRESS


def test_a_pickup_notice_lists_what_to_bring(bot_world):
    service = Service.objects.get(office__code="solok", code="ktp-el")
    resident = Resident(SOLOK)
    case = apply(resident, service)  # reason: the first choice, "lost"
    officers = Officers()
    while case.is_open and case.step.number < 6:
        case = officers.forward(case)
    news = Resident.text_of(resident.inbox())
    assert "dapat diambil di kantor" in news
    assert "Asli Surat Keterangan Hilang dari Polisi" in news
    assert "KTP-el Rusak" not in news


# --------------------------------------------------------------------------- rights and limits


def test_someone_who_proved_the_nik_digits_only_reads_the_status(bot_world):
    resident = Resident(WK_KTP_KIA)
    case = apply(resident, Service.objects.get(office__code="waykanan", code="kia-baru"))
    relative = Resident(WK_KTP_KIA, wa_id="6281288888888")
    relative.says(f"status {case.code}")
    relative.says(NIK[-4:])
    relative.inbox()
    Officers().act(case, "request_documents", note="KK buram", data={"items": ["fotokopi_kk"]})
    assert "belum lengkap" in Resident.text_of(resident.inbox())
    assert relative.inbox() == []  # no notices
    reply = Resident.text_of(relative.sends_photo())  # and no way to answer for the applicant
    assert "tidak ada permohonan yang sedang diisi" in reply
    assert Case.objects.get(pk=case.pk).status == Status.WAITING_APPLICANT


def test_the_reply_limit_never_swallows_a_step_forward(bot_world, settings):
    settings.BOT_REPLIES_PER_MINUTE = 2
    resident = Resident(WK_KTP_KIA)
    case = apply(resident, Service.objects.get(office__code="waykanan", code="kia-baru"))
    assert case.code in Resident.text_of(resident.last)


def test_a_documents_request_after_a_long_silence_is_not_treated_as_stale(bot_world):
    resident = Resident(WK_KTP_KIA)
    case = apply(resident, Service.objects.get(office__code="waykanan", code="kia-baru"))
    long_ago = timezone.now() - timedelta(days=3)
    conversation = Conversation.objects.get(identity__wa_id=resident.wa_id)
    conversation.state = {**conversation.state, "at": long_ago.isoformat()}
    conversation.last_inbound_at = long_ago
    conversation.save()
    Officers().act(case, "request_documents", note="KK buram", data={"items": ["fotokopi_kk"]})
    resident.inbox()
    reply = Resident.text_of(resident.sends_photo())
    assert "lama tidak ada balasan" not in reply
    assert "Diterima: Foto Copy KK" in reply


def test_digits_from_other_scripts_are_a_wrong_answer_not_a_crash(bot_world):
    case = apply(
        Resident(WK_KTP_KIA), Service.objects.get(office__code="waykanan", code="kia-baru")
    )
    stranger = Resident(WK_KTP_KIA, wa_id="6281277777777")
    stranger.says(f"status {case.code}")
    reply = Resident.text_of(stranger.says("１２３４"))
    assert "4 angka terakhir" in reply  # asked again: not four digits 0-9


def test_a_number_answer_may_carry_its_unit(bot_world):
    resident = Resident(WK_KTP_KIA)
    start_kia(resident)
    resident.says(NIK)
    resident.says("5 tahun")
    assert state(resident)["data"]["answers"]["child_age"] == 5


def test_a_nul_character_in_a_message_is_dropped_not_retried_forever(bot_world):
    payload = wa.text(WK_KK, "6281234567890", "ha\u0000lo")
    assert wa.post(Client(), payload).status_code == 200
    from layan.whatsapp.models import InboundEvent, InboundMessage

    assert not InboundEvent.objects.filter(processed_at__isnull=True).exists()
    assert InboundMessage.objects.get().text == "halo"
    assert SentMessage.objects.count() == 1
