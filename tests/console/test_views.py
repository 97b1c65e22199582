"""The staff console through its HTTP surface: every page and action, who may use it, and that
an officer of one office never reaches another office's requests, files or chats."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from layan.cases.models import CaseAccess, CaseEvent, RequirementCheck, Status
from tests.console.conftest import VALID, make_request

pytestmark = pytest.mark.django_db


def case_urls(case) -> dict[str, tuple[str, str]]:
    """Every URL of a request page, with its method."""
    code = case.code
    attachment = case.attachments.first()
    return {
        "case": ("get", reverse("console:case", args=[code])),
        "chat_panel": ("get", reverse("console:chat_panel", args=[code])),
        "attachment": ("get", reverse("console:attachment", args=[code, attachment.pk])),
        "claim": ("post", reverse("console:claim", args=[code])),
        "release": ("post", reverse("console:release", args=[code])),
        "act": ("post", reverse("console:act", args=[code, "complete"])),
        "check": ("post", reverse("console:check", args=[code, "ktp"])),
        "send_back": ("post", reverse("console:send_back", args=[code])),
        "save_data": ("post", reverse("console:save_data", args=[code])),
        "received": ("post", reverse("console:documents_received", args=[code])),
        "chat": ("post", reverse("console:chat", args=[code])),
    }


PAGES = [
    "console:home",
    "console:inbox",
    "console:supervisor",
    "console:access_log",
    "console:sop_list",
]


# --------------------------------------------------------------------------- sign-in


def test_every_console_page_sends_anonymous_visitors_to_sign_in(world):
    case = make_request(world.office)
    client = Client()
    urls = [("get", reverse(name)) for name in PAGES] + list(case_urls(case).values())
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("console:login")), url


def test_a_user_without_any_staff_role_is_refused(world):
    client = world.client(world.nobody)
    assert client.get(reverse("console:home")).status_code == 403


def test_sign_in_page_works_and_wrong_passwords_lock_the_account(world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="10.0.0.9")
    login = reverse("console:login")
    page = client.get(login)
    assert page.status_code == 200
    assert "Content-Security-Policy" in page
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]
    for _ in range(3):
        response = client.post(login, {"username": "alpha.operator", "password": "wrong"})
    assert response.status_code in (403, 429)
    # Even the right password is refused while locked out.
    response = client.post(login, {"username": "alpha.operator", "password": "x-pass-123"})
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_the_right_password_signs_in_and_lands_on_the_queue(world):
    client = Client()
    response = client.post(
        reverse("console:login"), {"username": "alpha.operator", "password": "x-pass-123"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"claim-next" in page.content


def test_session_and_csrf_cookies_are_http_only(settings):
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def test_actions_need_a_csrf_token(world):
    case = make_request(world.office)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.operator)
    response = client.post(reverse("console:claim", args=[case.code]))
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.assigned_to is None


def test_navigation_shows_only_what_the_roles_allow(world):
    operator = world.client(world.operator).get(reverse("console:home")).content.decode()
    assert reverse("console:supervisor") not in operator
    assert reverse("console:access_log") not in operator
    supervisor = world.client(world.supervisor).get(reverse("console:home")).content.decode()
    assert reverse("console:supervisor") in supervisor
    assert reverse("console:access_log") not in supervisor
    admin = world.client(world.admin).get(reverse("console:home")).content.decode()
    assert reverse("console:access_log") in admin


def test_supervision_and_access_log_are_refused_to_other_roles(world):
    operator = world.client(world.operator)
    assert operator.get(reverse("console:supervisor")).status_code == 403
    assert operator.get(reverse("console:access_log")).status_code == 403
    assert world.client(world.supervisor).get(reverse("console:access_log")).status_code == 403


def test_an_officer_of_two_offices_switches_between_them(world):
    from layan.offices.models import Role, StaffRole

    StaffRole.objects.create(
        user=world.operator, role=Role.objects.get(office=world.other, code="operator")
    )
    mine = make_request(world.office, name="Pemohon Alpha")
    theirs = make_request(world.other, name="Pemohon Beta")
    client = world.client(world.operator)
    home = client.get(reverse("console:queue", args=["all"])).content.decode()
    assert 'id="office-select"' in home
    assert mine.code in home and theirs.code not in home
    response = client.post(reverse("console:switch_office"), {"office": "beta"})
    assert response.status_code == 302
    home = client.get(reverse("console:queue", args=["all"])).content.decode()
    assert theirs.code in home and mine.code not in home
    assert client.get(reverse("console:case", args=[mine.code])).status_code == 404
    assert client.post(reverse("console:switch_office"), {"office": "gamma"}).status_code == 400


# --------------------------------------------------------------------------- isolation


def test_an_officer_of_another_office_reaches_none_of_a_requests_urls(world):
    case = make_request(world.office)
    before = case.version
    client = world.client(world.stranger)
    for name, (method, url) in case_urls(case).items():
        response = getattr(client, method)(url, {"version": case.version, "text": "hi"})
        assert response.status_code == 404, name
    case.refresh_from_db()
    assert case.assigned_to is None and case.version == before
    assert not CaseAccess.objects.exists()


def test_another_offices_request_never_shows_in_queues_or_search(world):
    theirs = make_request(world.other, name="Rahasia Beta", nik="1808015708900099")
    client = world.client(world.operator)
    for slug in ("todo", "all", "closed", "waiting", "overdue", "flagged", "mine", "taken"):
        page = client.get(reverse("console:queue", args=[slug])).content.decode()
        assert theirs.code not in page
    for query in (theirs.code, theirs.applicant_nik, "Rahasia"):
        page = client.get(reverse("console:queue", args=["all"]), {"q": query})
        assert list(page.context["page"].object_list) == []
        assert "Rahasia Beta" not in page.content.decode()


def test_another_offices_conversation_is_not_found(world):
    conversation = chat_with(make_request(world.other))
    conversation.handed_over_at = timezone.now()
    conversation.save()
    client = world.client(world.operator)
    assert "+62" not in client.get(reverse("console:inbox")).content.decode()
    for method, name in (
        ("get", "console:conversation"),
        ("post", "console:reply"),
        ("post", "console:release_conversation"),
    ):
        response = getattr(client, method)(reverse(name, args=[conversation.pk]), {"text": "x"})
        assert response.status_code == 404, name


def test_sop_pages_show_only_the_offices_services(world):
    from layan.offices.models import Service

    Service.objects.filter(office=world.other).update(code="beta-only")
    client = world.client(world.operator)
    assert client.get(reverse("console:sop", args=["beta-only"])).status_code == 404
    assert client.get(reverse("console:sop_chart", args=["beta-only"])).status_code == 404


# --------------------------------------------------------------------------- queues


def test_queues_count_and_sort_by_due_time_and_claim_next_takes_the_most_urgent(world):
    first = make_request(world.office, name="Pertama")
    second = make_request(world.office, name="Kedua")
    client = world.client(world.operator)
    page = client.get(reverse("console:queue", args=["todo"])).content.decode()
    assert page.index(first.code) < page.index(second.code)
    response = client.post(reverse("console:claim_next"), {"role": "operator"})
    assert response["Location"] == reverse("console:case", args=[first.code])
    first.refresh_from_db()
    assert first.assigned_to == world.operator
    mine = client.get(reverse("console:queue", args=["mine"])).content.decode()
    assert first.code in mine and second.code not in mine
    # Another operator sees it under "taken by others".
    from tests.factories import staff

    colleague = world.client(staff(world.office, "operator", username="alpha.op2"))
    taken = colleague.get(reverse("console:queue", args=["taken"])).content.decode()
    assert first.code in taken


def test_claim_next_with_nothing_waiting_says_so(world):
    client = world.client(world.operator)
    response = client.post(reverse("console:claim_next"), {"role": "operator"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("console:queue", args=["todo"])
    assert list(response.context["messages"])


def test_claim_next_for_a_role_the_officer_lacks_claims_nothing(world):
    make_request(world.office)
    client = world.client(world.kasi)
    client.post(reverse("console:claim_next"), {"role": "operator"})
    assert not CaseEvent.objects.filter(kind="claim").exists()


def test_search_finds_by_code_nik_and_name(world):
    case = make_request(world.office, name="Dewi Lestari", nik="1808015708900002")
    make_request(world.office, name="Ahmad Fauzi", nik="1808011708900005")
    client = world.client(world.kasi)  # search spans every queue, whatever the role
    for query in (case.code.lower(), "1808015708900002", "lestari"):
        page = client.get(reverse("console:queue", args=["todo"]), {"q": query})
        assert case.code in page.content.decode()
        assert "Ahmad Fauzi" not in page.content.decode()


def test_search_with_htmx_returns_only_the_rows(world):
    case = make_request(world.office)
    client = world.client(world.operator)
    page = client.get(
        reverse("console:queue", args=["all"]),
        {"q": case.code},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="rows",
    )
    body = page.content.decode()
    assert body.lstrip().startswith('<div id="rows">') and case.code in body
    assert "<html" not in body


def test_overdue_queue_holds_late_requests(world):
    case = make_request(world.office)
    case.step_due_at = timezone.now() - timezone.timedelta(hours=1)
    case.save()
    page = world.client(world.operator).get(reverse("console:queue", args=["overdue"]))
    assert case.code in page.content.decode()


# --------------------------------------------------------------------------- the request page


def test_opening_a_request_is_logged_and_the_admin_sees_it(world):
    case = make_request(world.office)
    client = world.client(world.operator)
    page = client.get(reverse("console:case", args=[case.code]))
    assert page.status_code == 200
    body = page.content.decode()
    assert case.applicant_name in body and "Foto KTP-el" in body
    attachment = case.attachments.first()
    client.get(reverse("console:attachment", args=[case.code, attachment.pk]))
    rows = list(CaseAccess.objects.order_by("at").values_list("user__username", "kind"))
    assert rows == [("alpha.operator", "page"), ("alpha.operator", "file")]
    log = world.client(world.admin).get(reverse("console:access_log")).content.decode()
    assert case.code in log and "alpha.operator" in log


def test_access_log_shows_only_its_own_office(world):
    from tests.factories import staff

    theirs = make_request(world.other)
    world.client(world.stranger).get(reverse("console:case", args=[theirs.code]))
    assert CaseAccess.objects.count() == 1
    log = world.client(world.admin).get(reverse("console:access_log")).content.decode()
    assert theirs.code not in log
    other_admin = staff(world.other, "admin", username="beta.admin")
    log = world.client(other_admin).get(reverse("console:access_log")).content.decode()
    assert theirs.code in log


def test_attachments_are_served_inline_with_a_locked_down_policy(world):
    case = make_request(world.office)
    attachment = case.attachments.first()
    response = world.client(world.kasi).get(
        reverse("console:attachment", args=[case.code, attachment.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "script-src" not in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_a_file_of_an_unexpected_type_is_downloaded_not_shown(world):
    case = make_request(world.office)
    attachment = case.attachments.first()
    attachment.content_type = "text/html"
    attachment.save()
    response = world.client(world.operator).get(
        reverse("console:attachment", args=[case.code, attachment.pk])
    )
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_an_attachment_of_another_request_is_not_reachable_through_this_one(world):
    mine = make_request(world.office)
    other = make_request(world.office, name="Lain")
    url = reverse("console:attachment", args=[mine.code, other.attachments.first().pk])
    assert world.client(world.operator).get(url).status_code == 404


def test_only_the_steps_role_sees_action_buttons(world):
    case = make_request(world.office)
    url = reverse("console:case", args=[case.code])
    operator = world.client(world.operator).get(url).content.decode()
    assert "/act/complete/" in operator and "/act/reject/" in operator
    kasi = world.client(world.kasi).get(url).content.decode()
    assert "/act/" not in kasi and "/check/" not in kasi


def test_claim_and_release_from_the_request_page(world):
    case = make_request(world.office)
    client = world.client(world.operator)
    client.post(reverse("console:claim", args=[case.code]), {"version": case.version})
    case.refresh_from_db()
    assert case.assigned_to == world.operator
    client.post(reverse("console:release", args=[case.code]))
    case.refresh_from_db()
    assert case.assigned_to is None


def test_an_action_on_a_stale_page_changes_nothing(world):
    case = make_request(world.office)
    client = world.client(world.operator)
    stale = case.version
    client.post(reverse("console:claim", args=[case.code]), {"version": stale})
    response = client.post(
        reverse("console:act", args=[case.code, "reject"]),
        {"version": stale, "note": "Berkas palsu"},
        follow=True,
    )
    case.refresh_from_db()
    assert case.status != Status.REJECTED
    assert any("reload" in str(m) or "muat" in str(m) for m in response.context["messages"])


def test_a_note_is_required_where_the_sop_says_so(world):
    case = make_request(world.office)
    client = world.client(world.operator)
    client.post(
        reverse("console:act", args=[case.code, "reject"]), {"version": case.version, "note": ""}
    )
    case.refresh_from_db()
    assert case.is_open
    client.post(
        reverse("console:act", args=[case.code, "reject"]),
        {"version": case.version, "note": "Bukan warga kabupaten ini"},
    )
    case.refresh_from_db()
    assert case.status == Status.REJECTED
    assert case.events.last().note == "Bukan warga kabupaten ini"


# --------------------------------------------------------------------------- checklist


def test_rejecting_a_requirement_needs_a_reason(world):
    case = make_request(world.office)
    client = world.client(world.operator)
    url = reverse("console:check", args=[case.code, "ktp"])
    client.post(url, {"version": case.version, "verdict": "rejected", "reason": " "})
    assert not RequirementCheck.objects.exists()
    client.post(url, {"version": case.version, "verdict": "rejected", "reason": "Foto buram"})
    check = RequirementCheck.objects.get()
    assert (check.requirement, check.verdict, check.reason) == ("ktp", "rejected", "Foto buram")
    assert case.events.filter(kind="check").exists()


def test_checking_with_htmx_returns_the_checklist_only(world):
    case = make_request(world.office)
    response = world.client(world.operator).post(
        reverse("console:check", args=[case.code, "ktp"]),
        {"version": case.version, "verdict": "accepted"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="checklist">')
    assert "✓" in body


def test_a_rejected_requirement_goes_back_to_the_applicant_and_holds_the_request(world):
    case = make_request(world.office)
    client = world.client(world.operator)
    client.post(
        reverse("console:check", args=[case.code, "kk_lama"]),
        {"version": case.version, "verdict": "rejected", "reason": "Halaman belakang tidak ada"},
    )
    case.refresh_from_db()
    # Going on is refused while an item stands rejected.
    for field, value in VALID.items():
        case.form_data[field] = value
    client.post(reverse("console:act", args=[case.code, "complete"]), {"version": case.version})
    case.refresh_from_db()
    assert case.current_step.key == "2"
    client.post(reverse("console:send_back", args=[case.code]), {"version": case.version})
    case.refresh_from_db()
    assert case.status == Status.WAITING_APPLICANT
    event = case.events.filter(kind="request_documents").get()
    assert event.data == {"items": ["kk_lama"]}
    assert "KK lama: Halaman belakang tidak ada" in event.note
    # The applicant's new file resumes the request; the verdict is to be given again.
    from layan.cases.services import Actor, documents_received

    documents_received(case, actor=Actor.applicant())
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert not RequirementCheck.objects.filter(verdict="rejected").exists()


def test_send_back_without_rejected_items_does_nothing(world):
    case = make_request(world.office)
    world.client(world.operator).post(
        reverse("console:send_back", args=[case.code]), {"version": case.version}
    )
    case.refresh_from_db()
    assert case.status != Status.WAITING_APPLICANT


def test_documents_brought_to_the_counter_resume_the_request(world):
    case = make_request(world.office)
    client = world.client(world.operator)
    client.post(
        reverse("console:act", args=[case.code, "request_documents"]),
        {"version": case.version, "note": "Bawa KK asli", "items": ["kk_lama"]},
    )
    case.refresh_from_db()
    assert case.status == Status.WAITING_APPLICANT
    page = client.get(reverse("console:case", args=[case.code])).content.decode()
    assert "/received/" in page
    client.post(reverse("console:documents_received", args=[case.code]), {"note": "Dibawa"})
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS


# --------------------------------------------------------------------------- data entry


def type_data_and_complete(client, case) -> None:
    """The operator types valid data at step 2 and completes it (the request goes to the Kasi)."""
    client.post(reverse("console:save_data", args=[case.code]), {**VALID, "version": case.version})
    case.refresh_from_db()
    client.post(reverse("console:act", args=[case.code, "complete"]), {"version": case.version})
    case.refresh_from_db()
    assert case.current_step.key == "3"


def test_data_entry_keeps_what_was_typed_and_shows_each_error(world):
    case = make_request(world.office)
    client = world.client(world.operator)
    bad = {**VALID, "nik_kepala": "12345", "tanggal_lahir": "31-02-1990", "version": case.version}
    response = client.post(reverse("console:save_data", args=[case.code]), bad)
    assert response.status_code == 422
    body = response.content.decode()
    assert body.count('class="field has-error"') == 2
    assert 'value="12345"' in body  # the wrong value stays in its box
    case.refresh_from_db()
    assert case.form_data["nama_kepala"] == "Budi Santoso"  # the valid ones were saved
    assert "nik_kepala" not in case.form_data
    # The step cannot be completed with the data incomplete.
    client.post(reverse("console:act", args=[case.code, "complete"]), {"version": case.version})
    case.refresh_from_db()
    assert case.current_step.key == "2"
    response = client.post(
        reverse("console:save_data", args=[case.code]), {**VALID, "version": case.version}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.form_data["anggota"] == [{"nama": "Budi Santoso", "nik": "1808011708900001"}]
    client.post(reverse("console:act", args=[case.code, "complete"]), {"version": case.version})
    case.refresh_from_db()
    assert case.current_step.key == "3"


def test_add_row_shows_one_more_row_without_losing_anything(world):
    case = make_request(world.office)
    response = world.client(world.operator).post(
        reverse("console:save_data", args=[case.code]),
        {**VALID, "version": case.version, "add_row": "anggota"},
    )
    body = response.content.decode()
    assert 'name="anggota-1-nama"' in body and 'name="anggota-2-nama"' not in body
    assert 'value="Budi Santoso"' in body


def test_data_is_read_only_outside_the_data_entry_step(world):
    case = make_request(world.office)
    client = world.client(world.operator)
    type_data_and_complete(client, case)
    kasi = world.client(world.kasi)
    page = kasi.get(reverse("console:case", args=[case.code])).content.decode()
    assert "data-form" not in page and "Budi Santoso" in page
    case.refresh_from_db()
    kasi.post(
        reverse("console:save_data", args=[case.code]),
        {**VALID, "nama_kepala": "Diubah", "version": case.version},
    )
    case.refresh_from_db()
    assert case.form_data["nama_kepala"] == "Budi Santoso"


def test_the_kasi_approves_and_can_return_with_a_note(world):
    case = make_request(world.office)
    operator = world.client(world.operator)
    type_data_and_complete(operator, case)
    case.refresh_from_db()
    kasi = world.client(world.kasi)
    kasi.post(
        reverse("console:act", args=[case.code, "return"]),
        {"version": case.version, "note": "Nama ibu salah ketik"},
    )
    case.refresh_from_db()
    assert case.current_step.key == "2"
    operator.post(reverse("console:act", args=[case.code, "complete"]), {"version": case.version})
    case.refresh_from_db()
    kasi.post(reverse("console:act", args=[case.code, "approve"]), {"version": case.version})
    case.refresh_from_db()
    assert case.current_step.key == "4"


# --------------------------------------------------------------------------- chat and inbox


def chat_with(case, *, window_open: bool = True):
    from layan.bot.models import CaseContact
    from layan.offices.models import Channel
    from layan.whatsapp.models import Conversation, Identity

    channel = Channel.objects.create(
        office=case.office,
        phone="0811-0000",
        phone_number_id=f"62811{case.pk:05d}",
        label="Layanan",
    )
    identity = Identity.objects.create(
        key=f"628120000{case.pk}", wa_id=f"628120000{case.pk}", phone=f"+628120000{case.pk}"
    )
    conversation = Conversation.objects.create(
        channel=channel,
        identity=identity,
        last_inbound_at=timezone.now() - timezone.timedelta(hours=1 if window_open else 30),
    )
    CaseContact.objects.create(case=case, conversation=conversation, kind="submitter")
    return conversation


def test_chat_on_the_request_page_sends_free_text_inside_the_window(world):
    from layan.whatsapp.models import OutboxMessage

    case = make_request(world.office)
    conversation = chat_with(case)
    client = world.client(world.operator)
    page = client.get(reverse("console:case", args=[case.code])).content.decode()
    assert conversation.identity.phone in page
    client.post(
        reverse("console:chat", args=[case.code]),
        {"conversation": conversation.pk, "text": "Mohon kirim ulang foto KK"},
    )
    message = OutboxMessage.objects.get(conversation=conversation)
    assert message.content["type"] == "text"
    assert "Mohon kirim ulang foto KK" in message.content["text"]["body"]
    panel = client.get(reverse("console:chat_panel", args=[case.code])).content.decode()
    assert "Mohon kirim ulang foto KK" in panel


def test_chat_outside_the_window_goes_as_the_offices_template(world):
    from layan.whatsapp.models import OutboxMessage
    from layan.whatsapp.services import install_default_templates

    install_default_templates(world.office)
    case = make_request(world.office)
    conversation = chat_with(case, window_open=False)
    client = world.client(world.operator)
    page = client.get(reverse("console:case", args=[case.code])).content.decode()
    assert 'class="warn"' in page
    client.post(
        reverse("console:chat", args=[case.code]),
        {"conversation": conversation.pk, "text": "Dokumen Anda siap"},
    )
    message = OutboxMessage.objects.get(conversation=conversation)
    assert message.content["type"] == "template"


def test_chat_refuses_a_conversation_that_is_not_the_requests(world):
    case = make_request(world.office)
    other = chat_with(make_request(world.office, name="Lain"))
    response = world.client(world.operator).post(
        reverse("console:chat", args=[case.code]), {"conversation": other.pk, "text": "x"}
    )
    assert response.status_code == 404


def test_inbox_lists_handed_over_conversations_and_the_officer_replies_then_releases(world):
    from layan.whatsapp.models import OutboxMessage
    from layan.whatsapp.services import install_default_templates

    install_default_templates(world.office)
    case = make_request(world.office)
    conversation = chat_with(case)
    conversation.handed_over_at = timezone.now()
    conversation.save()
    client = world.client(world.kasi)
    inbox = client.get(reverse("console:inbox")).content.decode()
    assert reverse("console:conversation", args=[conversation.pk]) in inbox
    page = client.get(reverse("console:conversation", args=[conversation.pk])).content.decode()
    assert case.code in page
    client.post(reverse("console:reply", args=[conversation.pk]), {"text": "Baik, kami cek"})
    assert OutboxMessage.objects.filter(conversation=conversation).count() == 1
    response = client.post(reverse("console:release_conversation", args=[conversation.pk]))
    assert response["Location"] == reverse("console:inbox")
    conversation.refresh_from_db()
    assert conversation.handed_over_at is None
    assert OutboxMessage.objects.filter(conversation=conversation).count() == 2
    assert (
        reverse("console:conversation", args=[conversation.pk])
        not in client.get(reverse("console:inbox")).content.decode()
    )


def test_an_empty_reply_is_refused_with_a_message(world):
    conversation = chat_with(make_request(world.office))
    response = world.client(world.operator).post(
        reverse("console:reply", args=[conversation.pk]), {"text": "  "}, follow=True
    )
    assert list(response.context["messages"])
    from layan.whatsapp.models import OutboxMessage

    assert not OutboxMessage.objects.exists()


# --------------------------------------------------------------------------- supervision, SOP


def test_supervisor_sees_backlog_overdue_and_workload(world):
    late = make_request(world.office, name="Terlambat")
    late.step_due_at = timezone.now() - timezone.timedelta(hours=2)
    late.save()
    make_request(world.office, name="Tepat")
    world.client(world.operator).post(
        reverse("console:claim", args=[late.code]), {"version": late.version}
    )
    response = world.client(world.supervisor).get(reverse("console:supervisor"))
    assert response.status_code == 200
    backlog = response.context["backlog"]
    assert [(row.step, row.open, row.overdue) for row in backlog] == [("2", 2, 1)]
    assert [c.code for c in response.context["overdue"]] == [late.code]
    load = {row.name: row for row in response.context["workload"]}
    assert load["alpha.operator"].holding == 1 and load["alpha.operator"].holding_late == 1
    assert reverse("console:case", args=[late.code]) in response.content.decode()


def test_sop_page_shows_the_table_and_the_swimlane_chart(world):
    client = world.client(world.operator)
    listing = client.get(reverse("console:sop_list")).content.decode()
    assert reverse("console:sop", args=["svc"]) in listing
    page = client.get(reverse("console:sop", args=["svc"]))
    body = page.content.decode()
    assert "Operator memeriksa kelengkapan" in body
    assert "<svg" in body and 'data-step="4"' in body
    chart = client.get(reverse("console:sop_chart", args=["svc"]))
    assert chart["Content-Type"] == "image/svg+xml"
    assert chart.content.startswith(b"<svg")


def test_a_refused_verdict_with_htmx_shows_the_reason_inside_the_checklist(world):
    case = make_request(world.office)
    response = world.client(world.operator).post(
        reverse("console:check", args=[case.code, "ktp"]),
        {"version": case.version, "verdict": "rejected", "reason": ""},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="card" id="checklist">')
    assert 'role="alert"' in body and "<html" not in body
    assert not RequirementCheck.objects.exists()


def test_taken_by_others_does_not_list_my_own_claims(world):
    case = make_request(world.office)
    client = world.client(world.operator)
    client.post(reverse("console:claim", args=[case.code]), {"version": case.version})
    taken = client.get(reverse("console:queue", args=["taken"]))
    assert list(taken.context["page"].object_list) == []


def test_inbox_tells_whether_the_24_hour_window_is_open(world):
    open_one = chat_with(make_request(world.office, name="Buka"))
    closed_one = chat_with(make_request(world.office, name="Tutup"), window_open=False)
    for conversation in (open_one, closed_one):
        conversation.handed_over_at = timezone.now()
        conversation.save()
    response = world.client(world.operator).get(reverse("console:inbox"))
    assert [window for _c, window in response.context["rows"]] == [True, False]


def test_the_kasi_cannot_change_checked_data_through_an_action(world):
    from layan.cases.services import Actor, perform_action
    from layan.core.errors import Invalid

    case = make_request(world.office)
    operator = world.client(world.operator)
    type_data_and_complete(operator, case)
    with pytest.raises(Invalid):
        perform_action(
            case.code, actor=Actor.staff(world.kasi), action="approve", data={"nama_kepala": ""}
        )
    case.refresh_from_db()
    assert case.form_data["nama_kepala"] == "Budi Santoso" and case.current_step.key == "3"
