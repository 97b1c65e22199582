"""Every service of every seed office, end to end through the signed webhook and the Graph
stand-in: information, an application with all requirements, status for the applicant and not
for a stranger, an officer asking for a missing item and the resident sending it, notices at the
visible steps, completion and the satisfaction survey."""

from __future__ import annotations

import pytest

from layan.bot.models import CaseContact, SurveyResponse
from layan.cases.models import Attachment, Case, Status
from layan.offices.models import Service
from tests.bot.driver import NIK, Officers, apply, seed_services
from tests.bot.harness import Resident

pytestmark = pytest.mark.django_db(transaction=True)

SERVICES = seed_services()


def _service(office: str, code: str) -> Service:
    return Service.objects.select_related("sop", "office").get(office__code=office, code=code)


@pytest.mark.parametrize(
    ("office", "code", "number"), SERVICES, ids=[f"{o}-{c}" for o, c, _n in SERVICES]
)
def test_information_for_every_service(bot_world, office, code, number):
    service = _service(office, code)
    resident = Resident(number)
    menu = resident.says("halo")
    assert resident.channel.office.short_name in menu[0].text
    if service.is_complaint:
        assert "menu:complaint" in [o for o, _t in menu[-1].options]
        return
    if f"svc:{code}" not in [o for o, _t in menu[-1].options]:
        resident.taps("menu:services")
    info = Resident.text_of(resident.taps(f"svc:{code}"))
    for requirement in service.requirements.all():
        assert requirement.label in info
    for form in service.forms:
        assert form in info
    assert "gratis" in info
    assert "Waktu penyelesaian" in info
    assert service.output in info
    assert (f"apply:{code}", "Ajukan") in resident.last[-1].options


NOT_COMPLAINTS = [s for s in SERVICES if not (s[0] == "waykanan" and s[1] == "pengaduan")]


@pytest.mark.parametrize(
    ("office", "code", "number"), NOT_COMPLAINTS, ids=[f"{o}-{c}" for o, c, _n in NOT_COMPLAINTS]
)
def test_a_whole_request_for_every_service(bot_world, office, code, number):
    service = _service(office, code)
    resident = Resident(number)
    officers = Officers()

    # Application with every requirement that applies.
    case = apply(resident, service)
    confirmation = Resident.text_of(resident.last)
    assert case.code in confirmation
    assert "Perkiraan selesai" in confirmation
    assert case.applicant_name == "Budi Santoso"
    assert case.applicant_nik == NIK
    assert case.applicant_phone == resident.wa_id
    files = [r for r in service.requirements.all() if r.kind in ("photo", "document")]
    attached = set(Attachment.objects.filter(case=case).values_list("requirement", flat=True))
    applying = {r.code for r in files if r.code in attached}
    assert applying and applying == attached
    assert CaseContact.objects.filter(case=case, kind="submitter").count() == 1

    # Status: the applicant sees it; a stranger is asked for the NIK and refused.
    status = Resident.text_of(resident.says(f"status {case.code}"))
    assert case.code in status and service.name in status
    stranger = Resident(number, wa_id="6289999999999", name="Orang Lain")
    asked = Resident.text_of(stranger.says(f"status {case.code}"))
    assert "4 angka terakhir NIK" in asked and service.name not in asked
    refused = Resident.text_of(stranger.says("9999"))
    assert "tidak ditemukan" in refused and service.name not in refused

    # The officer asks for one file again; the resident sends it; the request resumes.
    case = Case.objects.get(pk=case.pk)
    item = next(r for r in files if r.code in attached)
    case = officers.act(
        case,
        "request_documents",
        note="Foto buram, mohon kirim ulang.",
        data={"items": [item.code]},
    )
    assert case.status == Status.WAITING_APPLICANT
    notice = Resident.text_of(resident.inbox())
    assert "belum lengkap" in notice and item.label in notice and "Foto buram" in notice
    resident.sends_photo(colour=(10, 200, 10))
    done = Resident.text_of(resident.taps("f:next"))
    assert "sudah kami terima" in done
    case = Case.objects.get(pk=case.pk)
    assert case.status == Status.IN_PROGRESS and case.paused_at is None
    assert Attachment.objects.filter(case=case, requirement=item.code).count() == 2

    # Officers take it to the end; each visible step is told to the resident.
    told = []
    for _step in range(30):
        if not case.is_open:
            break
        case = officers.forward(case)
        told.append(Resident.text_of(resident.inbox()))
    assert case.status == Status.COMPLETED, told
    news = "\n".join(told)
    assert case.code in news
    assert "selesai" in news
    if service.delivery == "pickup" and service.sop.code != "dukcapil-siaga":
        assert "dapat diambil di kantor" in news
    if service.delivery == "post":
        assert "PT Pos" in news

    # The survey: nine answers, one skipped, stored for the index.
    invitation = resident.last[-1]
    assert (f"survey:{case.code}", "Isi survei") in invitation.options
    resident.taps(f"survey:{case.code}")
    for number_ in range(1, 10):
        assert f"Pertanyaan {number_} dari 9" in resident.last[-1].text
        resident.taps("f:skip" if number_ == 4 else f"s:{1 + number_ % 4}")
    response = SurveyResponse.objects.get(case=case)
    assert response.u4 is None and response.u1 == 2 and response.u3 == 4
    assert "Terima kasih" in resident.last[-1].text
