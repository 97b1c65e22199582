"""Editing an office's catalogue (``layan.offices.editing``): per service the requirements,
questions and data-entry fields, and the bot texts, in a draft that is checked by the loader's
own function, published as a version (or approved by a second person), with what each change
does to the requests under way: refused and named, for new requests only, or for every one.
"""

from __future__ import annotations

import copy

import pytest

from layan.cases.models import Case, RequirementCheck, Status
from layan.cases.selectors import checklist
from layan.cases.services import Actor, check_requirement, perform_action, submit_case
from layan.core.errors import Forbidden, Invalid
from layan.offices import editing
from layan.offices.catalogue import content_of, load_services
from layan.offices.models import ChangeLog, Office, Requirement, Role
from tests.console.conftest import FIELDS
from tests.factories import make_office, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    office = make_office("alpha")
    Role.objects.create(office=office, code="admin", name="Admin", kind=Role.Kind.STAFF)
    service = office.services.get()
    service.fields = FIELDS
    service.save()
    Requirement.objects.create(service=service, code="ktp", label="Foto KTP-el", kind="photo")
    Requirement.objects.create(service=service, code="kk_lama", label="KK lama", kind="photo")
    return office


@pytest.fixture
def admin(office):
    return staff(office, "admin")


def draft_entry(office, admin):
    draft = editing.open_draft(office, admin)
    data = copy.deepcopy(draft.data)
    return draft, data, data["services"][0]


def publish(office, admin, data, reason="Perubahan katalog"):
    draft = editing.open_draft(office, admin)
    draft = editing.save_draft(office, admin, data, revision=draft.revision)
    return editing.publish(office, admin, revision=draft.revision, reason=reason)


def new_request(office, **form):
    return submit_case(
        service=office.services.get(),
        actor=Actor.applicant("Budi"),
        applicant_name="Budi Santoso",
        applicant_nik="1808011708900001",
        applicant_phone="6281200000001",
        form_data=form,
    )


def test_a_draft_holds_the_services_editable_part_and_the_texts(office, admin):
    draft, data, entry = draft_entry(office, admin)
    assert [r["code"] for r in entry["requirements"]] == ["ktp", "kk_lama"]
    assert entry["fields"][0]["code"] == "nama_kepala"
    assert data == content_of(office)
    assert "texts" in data


def test_the_loaders_check_judges_each_service(office, admin):
    _draft, data, entry = draft_entry(office, admin)
    entry["requirements"].append({"code": "Foto!", "label": "x", "kind": "photo", "required": True})
    entry["fields"][3]["choices"] = []
    entry["requirements"][0]["when"] = {"question": "umur", "gte": 5}
    draft = editing.save_draft(office, admin, data, revision=editing.draft_of(office).revision)
    inspection = editing.inspect(draft)
    texts = [str(p) for p in inspection.by_service["svc"]]
    assert "service svc: requirement code 'Foto!' is invalid or repeated" in texts
    assert "service svc: field jenis_kelamin: choices must be a non-empty mapping" in texts
    assert "service svc: requirement ktp: when refers to unknown question 'umur'" in texts
    assert inspection.by_item[("svc", "field:jenis_kelamin")]
    with pytest.raises(Invalid) as refused:
        editing.publish(office, admin, revision=draft.revision, reason="Uji")
    assert refused.value.code == "draft_invalid"


def test_a_new_requirement_is_asked_of_new_requests_only(office, admin):
    old = new_request(office)
    _draft, data, entry = draft_entry(office, admin)
    entry["requirements"].append(
        {"code": "surat_rt", "label": "Surat pengantar RT", "kind": "photo", "required": True}
    )
    impacts = editing.impact(editing.save_draft(office, admin, data, revision=_draft.revision))
    assert [i.kind for i in impacts if i.service == "svc"] == ["new_only"]
    version = publish(office, admin, data).version
    assert version.number == 2 and version.reason == "Perubahan katalog"
    new = new_request(office)
    rows_old = {row.requirement.code: row.applies for row in checklist(old)[0]}
    rows_new = {row.requirement.code: row.applies for row in checklist(new)[0]}
    assert rows_old["surat_rt"] is False and rows_new["surat_rt"] is True
    assert ChangeLog.objects.filter(subject="catalogue", action="published", number=2).exists()


def test_removing_a_field_requests_already_filled_is_refused_and_names_them(office, admin):
    filled = new_request(office, nama_kepala="Budi Santoso")
    _draft, data, entry = draft_entry(office, admin)
    entry["fields"] = [f for f in entry["fields"] if f["code"] != "nama_kepala"]
    draft = editing.save_draft(office, admin, data, revision=_draft.revision)
    refused = [i for i in editing.impact(draft) if i.kind == "refused"]
    assert len(refused) == 1 and filled.code in refused[0].message
    with pytest.raises(Invalid) as error:
        editing.publish(office, admin, revision=draft.revision, reason="Hapus isian")
    assert error.value.code == "requests_under_way" and filled.code in str(error.value)


def test_a_field_change_the_filled_values_no_longer_fit_is_refused(office, admin):
    new_request(office, jenis_kelamin="L")
    _draft, data, entry = draft_entry(office, admin)
    gender = next(f for f in entry["fields"] if f["code"] == "jenis_kelamin")
    gender["choices"] = [["M", "Laki-laki"], ["F", "Perempuan"]]
    with pytest.raises(Invalid) as error:
        publish(office, admin, data)
    assert error.value.code == "requests_under_way"


def test_removing_a_requirement_a_request_is_waiting_for_is_refused(office, admin):
    case = new_request(office)
    check_requirement(
        case,
        actor=Actor.staff(staff(office, "operator")),
        requirement="ktp",
        verdict="rejected",
        reason="Buram",
    )
    assert RequirementCheck.objects.filter(case=case, verdict="rejected").exists()
    _draft, data, entry = draft_entry(office, admin)
    entry["requirements"] = [r for r in entry["requirements"] if r["code"] != "ktp"]
    with pytest.raises(Invalid) as error:
        publish(office, admin, data)
    assert case.code in str(error.value)


def test_a_requirement_nobody_waits_for_may_go_and_words_apply_to_every_request(office, admin):
    case = new_request(office)
    _draft, data, entry = draft_entry(office, admin)
    entry["requirements"] = [r for r in entry["requirements"] if r["code"] != "kk_lama"]
    entry["requirements"][0]["label"] = "Foto KTP-el asli"
    draft = editing.save_draft(office, admin, data, revision=_draft.revision)
    assert [i.kind for i in editing.impact(draft)] == ["all"]
    editing.publish(office, admin, revision=draft.revision, reason="Sederhanakan")
    labels = [row.requirement.label for row in checklist(case)[0]]
    assert labels == ["Foto KTP-el asli"]


def test_bot_texts_are_checked_by_the_bot_and_published_with_the_catalogue(office, admin):
    from layan.bot.models import BotText

    draft = editing.open_draft(office, admin)
    draft = editing.edit_texts(
        office,
        admin,
        revision=draft.revision,
        form={"t-greeting-id": "Halo dari {office} {tidak_ada}"},
    )
    assert editing.inspect(draft).texts["greeting"]
    draft = editing.edit_texts(
        office,
        admin,
        revision=draft.revision,
        form={"t-greeting-id": "Selamat datang di {office}."},
    )
    assert editing.inspect(draft).valid
    editing.publish(office, admin, revision=draft.revision, reason="Sapaan baru")
    assert BotText.objects.get(office=office, key="greeting").text == "Selamat datang di {office}."


def test_with_approval_a_second_person_approves_the_catalogue(office, admin):
    kadis = staff(office, "kadis")
    office.change_approval = True
    office.save()
    _draft, data, entry = draft_entry(office, admin)
    entry["output"] = "Dokumen resmi"
    result = publish(office, admin, data)
    assert result.submitted
    with pytest.raises(Forbidden):
        editing.approve(office, admin)
    version = editing.approve(office, kadis)
    assert (version.created_by, version.approved_by) == (admin, kadis)
    assert office.services.get().output == "Dokumen resmi"


def test_only_the_administrator_edits_the_catalogue(office):
    with pytest.raises(Forbidden):
        editing.open_draft(office, staff(office, "operator"))


def test_a_catalogue_file_loaded_again_does_not_undo_the_offices_changes(office, admin):
    service = office.services.get()
    item = {
        "code": "svc",
        "name": service.name,
        "prefix": "UJI",
        "sop": "simple",
        "output": "Dokumen",
        "requirements": [
            {"code": "ktp", "label": "Foto KTP-el", "kind": "photo"},
            {"code": "kk_lama", "label": "KK lama", "kind": "photo"},
        ],
        "fields": copy.deepcopy(FIELDS),
    }
    item["fields"][3]["choices"] = {"L": "Laki-laki", "P": "Perempuan"}
    load_services(office, {"services": [item]})  # the file as version 1
    assert office.catalogue_versions.count() == 1
    _draft, data, entry = draft_entry(office, admin)
    entry["output"] = "Dokumen kependudukan"
    publish(office, admin, data)
    load_services(office, {"services": [item]})  # the same file again (a demo restart)
    assert office.services.get().output == "Dokumen kependudukan"
    changed = dict(item, output="Dokumen baru dari berkas")
    load_services(office, {"services": [changed]})  # a changed file is loaded
    assert office.services.get().output == "Dokumen baru dari berkas"
    assert office.catalogue_versions.count() == 3


def test_requests_keep_working_after_a_publish(office, admin):
    case = new_request(office)
    _draft, data, entry = draft_entry(office, admin)
    entry["name"] = "Layanan uji baru"
    publish(office, admin, data)
    operator = staff(office, "operator")
    perform_action(case, actor=Actor.staff(operator), action="complete")
    assert Case.objects.get(pk=case.pk).status == Status.IN_PROGRESS


def test_every_seed_offices_catalogue_opens_as_a_draft_without_problems(presets):
    for seed in Office.objects.order_by("code"):
        admin = staff(seed, "admin", username=f"{seed.code}.catalogue-admin")
        draft = editing.open_draft(seed, admin)
        inspection = editing.inspect(draft)
        assert inspection.valid, (seed.code, inspection.by_service, inspection.general)
        assert editing.impact(draft) == []
        assert seed.catalogue_versions.count() == 1  # the file loaded by the presets
