"""Taking a request at the counter or in the field from the console, adding a file the resident
brought, sending the receipt, and the field officer's day."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from layan.cases.models import Case, CaseEvent
from layan.whatsapp.models import OutboxMessage

pytestmark = pytest.mark.django_db


def jpeg(name="berkas.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), "white").save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_the_form_shows_the_services_questions_and_a_camera_input_per_file(presets):
    client = signed_in("waykanan.operator_online")
    page = client.get(reverse("console:new"))
    assert page.status_code == 200 and b"kk-baru" in page.content
    form = client.get(reverse("console:new"), {"service": "ktp-el-penggantian"})
    html = form.content.decode()
    assert 'capture="environment"' in html and "multiple" in html
    assert 'name="q_reason"' in html  # the service's question, with its options


def test_a_counter_request_is_taken_with_its_photographed_requirements(presets):
    client = signed_in("waykanan.operator_online")
    answer = client.post(
        reverse("console:new"),
        {
            "service": "kk-baru",
            "channel": "counter",
            "applicant_name": "Budi Santoso",
            "applicant_nik": "1808011708900001",
            "applicant_phone": "0812 7777 8888",
            "file_buku_nikah": [jpeg("nikah-1.jpg"), jpeg("nikah-2.jpg")],
            "file_kk_lama": jpeg("kk.jpg"),
        },
    )
    case = Case.objects.get()
    assert answer.status_code == 302 and answer["Location"].endswith(f"/r/{case.code}/")
    assert case.channel == "counter" and case.submitted_by.username == "waykanan.operator_online"
    assert sorted(case.attachments.values_list("requirement", flat=True)) == [
        "buku_nikah", "buku_nikah", "kk_lama",
    ]  # fmt: skip
    assert case.current_step.key == "2"  # past the applicant's intake step
    assert case.contacts.get().kind == "applicant"
    page = client.get(reverse("console:case", args=[case.code]))
    assert "Loket" in page.content.decode() or "loket" in page.content.decode()
    sent = client.post(reverse("console:send_receipt", args=[case.code]))
    assert sent.status_code == 302
    (receipt,) = OutboxMessage.objects.filter(case=case)
    assert receipt.as_template and case.code in str(receipt.content)


def test_a_refused_file_keeps_the_form_and_creates_nothing(presets, settings):
    client = signed_in("waykanan.operator_online")
    answer = client.post(
        reverse("console:new"),
        {
            "service": "kk-baru",
            "channel": "counter",
            "applicant_name": "Budi Santoso",
            "file_buku_nikah": SimpleUploadedFile("nikah.exe", b"MZ\x90\x00", "image/jpeg"),
        },
    )
    assert answer.status_code == 422
    html = answer.content.decode()
    assert "Hanya foto" in html and 'value="Budi Santoso"' in html
    assert not Case.objects.exists()
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, "PNG")
    answer = client.post(
        reverse("console:new"),
        {"service": "kk-baru", "channel": "counter", "applicant_name": "Budi Santoso",
         "file_buku_nikah": SimpleUploadedFile("bom.png", bomb.getvalue(), "image/png")},
    )  # fmt: skip
    assert answer.status_code == 422 and not Case.objects.exists()
    settings.WHATSAPP_MEDIA_MAX_BYTES = {"image": 100, "document": 100}
    answer = client.post(
        reverse("console:new"),
        {"service": "kk-baru", "channel": "counter", "applicant_name": "Budi Santoso",
         "file_buku_nikah": jpeg()},
    )  # fmt: skip
    assert answer.status_code == 422 and "MB" in answer.content.decode()
    assert not Case.objects.exists()


def test_a_file_the_resident_brought_is_added_to_an_open_request(presets):
    client = signed_in("waykanan.operator_online")
    client.post(
        reverse("console:new"),
        {"service": "kk-baru", "channel": "counter", "applicant_name": "Budi Santoso"},
    )
    case = Case.objects.get()
    added = client.post(
        reverse("console:add_file", args=[case.code]),
        {"requirement": "kk_lama", "file": [jpeg(), jpeg("kk-2.jpg")]},
    )
    assert added.status_code == 302
    assert case.attachments.filter(requirement="kk_lama").count() == 2
    assert case.events.filter(kind=CaseEvent.Kind.ATTACH).count() == 2
    refused = client.post(
        reverse("console:add_file", args=[case.code]),
        {"requirement": "kk_lama", "file": SimpleUploadedFile("x.gif", b"GIF89a", "image/gif")},
    )
    assert refused.status_code == 302 and case.attachments.count() == 2
    stranger = signed_in("balangan.admin")
    assert stranger.post(reverse("console:add_file", args=[case.code]),
                         {"file": jpeg()}).status_code == 404  # fmt: skip


def test_a_field_officer_applies_in_the_field_and_sees_the_day_by_place(presets):
    client = signed_in("keliling.petugas_khusus")
    for name, place in (("Yusniar", "Jorong Koto Tuo"), ("Ramli", "Jorong Koto Tuo"),
                        ("Nurhayati", "Jorong Balai Gadang")):  # fmt: skip
        answer = client.post(
            reverse("console:new"),
            {"service": "kk", "channel": "field", "applicant_name": name,
             "intake_place": place, "deliver_to": "081300001111"},
        )  # fmt: skip
        assert answer.status_code == 302, answer.content[:300]
    assert set(Case.objects.values_list("channel", flat=True)) == {"field"}
    assert Case.objects.filter(submitter_kind="field_officer").count() == 3
    day = client.get(reverse("console:my_day"))
    html = day.content.decode()
    assert html.index("Jorong Balai Gadang") < html.index("Jorong Koto Tuo")
    assert html.count("/console/r/") == 3
    other = signed_in("keliling.operator_wa")
    assert other.get(reverse("console:my_day")).content.decode().count("/console/r/") == 0


def test_the_console_is_indonesian_whatever_the_browser_asks_until_the_officer_chooses(presets):
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = client.get(reverse("console:login"))
    assert 'lang="id"' in page.content.decode() and page["Content-Language"] == "id"
    signed = client.post(
        reverse("console:login"), {"username": "waykanan.kasi", "password": "demo-pass-123"}
    )
    assert signed.status_code == 302
    assert "Antrean" in client.get(reverse("console:home")).content.decode()
    client.post(reverse("console:choose_language"), {"language": "en", "next": "/console/"})
    assert "Queues" in client.get(reverse("console:home")).content.decode()
    client.post(reverse("console:logout"))
    client.post(
        reverse("console:login"), {"username": "waykanan.kasi", "password": "demo-pass-123"}
    )
    page = client.get(reverse("console:home"))
    assert page["Content-Language"] == "en"  # the choice is the officer's, kept across sign-ins
    assert client.post(reverse("console:choose_language"), {"language": "fr"}).status_code == 400
