"""Editing a flow (``layan.sop.editing``): drafts, publishing, versions taking effect, the diff,
export and import, approval by a second person, and what requests under way keep.

The office is the factory's (``tests.factories``): a five-step flow with a side step, an
administrator, a head of office and officers per role.
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from layan.cases.models import OPEN, Case
from layan.cases.services import Actor, submit_case
from layan.cases.sla import calendar_for, case_due
from layan.core.errors import Conflict, Forbidden, Invalid
from layan.offices.models import ChangeLog, Role
from layan.sop import editing
from layan.sop.definition import load_yaml, parse_data, parse_text, to_data
from layan.sop.models import DraftState, SopDraft
from layan.sop.services import checksum
from tests.factories import make_office, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    office = make_office("alpha")
    for extra in ("admin", "supervisor"):
        Role.objects.create(office=office, code=extra, name=extra.title(), kind=Role.Kind.STAFF)
    return office


@pytest.fixture
def admin(office):
    return staff(office, "admin")


@pytest.fixture
def kadis(office):
    return staff(office, "kadis")


def flow(office):
    return editing.flow(office, "simple")


def draft_data(office, admin):
    draft = editing.open_draft(flow(office), admin)
    return draft, copy.deepcopy(draft.data)


def publish(office, admin, data, *, reason="Perubahan uji", **kwargs):
    sop = flow(office)
    draft = editing.open_draft(sop, admin)
    draft = editing.save_draft(sop, admin, data, revision=draft.revision)
    return editing.publish(sop, admin, revision=draft.revision, reason=reason, **kwargs)


def new_request(office, name="Budi Santoso"):
    return submit_case(
        service=office.services.get(),
        actor=Actor.applicant(name),
        applicant_name=name,
        applicant_nik="1808011708900001",
        applicant_phone="6281200000001",
    )


# --------------------------------------------------------------------------- drafts


def test_a_draft_starts_as_the_latest_version_in_the_format(office, admin):
    draft, data = draft_data(office, admin)
    current = flow(office).current_version
    definition, errors = parse_data(data)
    assert errors == []
    assert checksum(definition) == current.checksum
    assert draft.origins == ["1", "2", "3", "4", "5"]
    assert draft.base_version == current


def test_only_the_office_administrator_edits(office):
    operator = staff(office, "operator", username="alpha.op2")
    with pytest.raises(Forbidden):
        editing.open_draft(flow(office), operator)


def test_a_save_over_an_older_revision_is_a_conflict(office, admin):
    draft, data = draft_data(office, admin)
    sop = flow(office)
    editing.save_draft(sop, admin, data, revision=draft.revision)
    with pytest.raises(Conflict):
        editing.save_draft(sop, admin, data, revision=draft.revision)


def test_a_draft_with_problems_cannot_be_published(office, admin):
    _draft, data = draft_data(office, admin)
    data["steps"][2]["actions"][1]["to"] = 4  # a return forward
    with pytest.raises(Invalid) as refused:
        publish(office, admin, data)
    assert refused.value.code == "draft_invalid"
    assert flow(office).versions.count() == 1


def test_publishing_unchanged_content_is_refused(office, admin):
    _draft, data = draft_data(office, admin)
    with pytest.raises(Invalid) as refused:
        publish(office, admin, data)
    assert refused.value.code == "sop_unchanged"


def test_a_publish_needs_a_reason(office, admin):
    _draft, data = draft_data(office, admin)
    data["steps"][1]["minutes"] = 12
    with pytest.raises(Invalid) as refused:
        publish(office, admin, data, reason="  ")
    assert refused.value.code == "reason_required"


# --------------------------------------------------------------------------- versions


def test_a_publish_is_a_new_version_with_who_when_and_why_in_the_change_log(office, admin):
    _draft, data = draft_data(office, admin)
    data["steps"][1]["minutes"] = 12
    result = publish(office, admin, data, reason="Operator butuh waktu lebih")
    version = result.version
    assert version.number == 2 and version.created_by == admin
    assert version.reason == "Operator butuh waktu lebih" and version.origin == "editor"
    assert flow(office).current_version == version
    assert not SopDraft.objects.filter(sop=flow(office)).exists()
    entry = ChangeLog.objects.get(action=ChangeLog.Action.PUBLISHED)
    assert (entry.code, entry.number, entry.user, entry.reason) == (
        "simple",
        2,
        admin,
        "Operator butuh waktu lebih",
    )


def test_changed_minutes_change_the_sla_of_new_requests_only(office, admin):
    old = new_request(office, "Lama")
    _draft, data = draft_data(office, admin)
    del data["deadline"]  # due after the sum of the steps' minutes
    data["steps"][1]["minutes"] = 40
    version = publish(office, admin, data).version
    new = new_request(office, "Baru")
    old.refresh_from_db()
    assert old.sop_version.number == 1 and new.sop_version == version
    cal = calendar_for(office)
    # both wait at step 2, the operator's check: 10 standard minutes before, 40 now
    assert old.current_step.key == new.current_step.key == "2"
    assert old.step_due_at == cal.add_working_minutes(old.step_entered_at, 10)
    assert new.step_due_at == cal.add_working_minutes(new.step_entered_at, 40)
    # the old request keeps its working day; the new one is due after its 61 minutes
    assert old.due_at == case_due(cal, old.sop_version.parsed, old.created_at)
    assert new.due_at == cal.add_working_minutes(new.created_at, 61)


def test_a_version_that_takes_effect_later_is_not_current_until_then(office, admin):
    _draft, data = draft_data(office, admin)
    data["steps"][1]["minutes"] = 12
    later = timezone.now() + timedelta(days=3)
    version = publish(office, admin, data, effective_at=later).version
    sop = flow(office)
    assert sop.current_version.number == 1
    assert new_request(office).sop_version.number == 1
    assert sop.version_at(later + timedelta(minutes=1)) == version
    assert editing.pending_effective(sop) == [version]


def test_a_removed_step_with_requests_at_it_is_refused(office, admin):
    waiting = new_request(office)  # at step 2, the operator's check
    assert waiting.current_step.key == "2"
    sop = flow(office)
    draft = editing.open_draft(sop, admin)
    draft = editing.edit_draft(sop, admin, revision=draft.revision, op="remove_step:1")
    draft = editing.edit_draft(sop, admin, revision=draft.revision, op="remove_side_step:0")
    assert draft.origins == ["1", "3", "4", "5"]
    data = copy.deepcopy(draft.data)
    data["steps"][1]["actions"] = [{"kind": "approve"}]  # the Kasi has nobody to return to
    draft = editing.save_draft(sop, admin, data, revision=draft.revision)
    assert editing.inspect(draft).problems == []
    with pytest.raises(Invalid) as refused:
        editing.publish(sop, admin, revision=draft.revision, reason="Langkah 2 dihapus")
    assert refused.value.code == "requests_under_way"
    assert waiting.code in str(refused.value)
    assert sop.versions.count() == 1


def test_a_removed_step_nobody_waits_at_may_go(office, admin):
    sop = flow(office)
    draft = editing.open_draft(sop, admin)
    draft = editing.edit_draft(sop, admin, revision=draft.revision, op="remove_step:3")
    version = editing.publish(
        sop, admin, revision=draft.revision, reason="Kadis tidak perlu"
    ).version
    assert [s.activity for s in version.parsed.steps][-1] == "Pemohon menerima dokumen"
    assert version.step_count == 4


# --------------------------------------------------------------------------- diff


def test_the_diff_pairs_steps_by_their_words(office, admin):
    sop = flow(office)
    draft = editing.open_draft(sop, admin)
    draft = editing.edit_draft(sop, admin, revision=draft.revision, op="add_step:2")
    data = copy.deepcopy(draft.data)
    data["steps"][3]["activity"] = "Kabid memverifikasi"
    data["steps"][3]["role"] = "kasi"
    data["steps"][3]["minutes"] = 7
    data["steps"][3]["actions"] = [{"kind": "approve"}, {"kind": "return", "to": 3}]
    data["steps"][1]["minutes"] = 15
    data["steps"][2]["applicant"] = {"visible": True, "text": "Sedang diverifikasi Kasi."}
    version = publish(office, admin, data).version
    result = editing.compare(editing.version_of(sop, 1), version)
    statuses = [(row.status, (row.new or row.old)["activity"]) for row in result.steps]
    assert statuses == [
        ("same", "Pemohon mengirim berkas"),
        ("changed", "Operator memeriksa kelengkapan"),
        ("changed", "Kasi memverifikasi"),
        ("added", "Kabid memverifikasi"),
        ("same", "Kadis menandatangani"),
        ("same", "Pemohon menerima dokumen"),
    ]
    operator_row, kasi_row = result.steps[1], result.steps[2]
    assert operator_row.changed == ("minutes",)
    assert (operator_row.old["minutes"], operator_row.new["minutes"]) == (10, 15)
    # the Kasi's approval now leads to the new Kabid step, not the Kadis
    assert kasi_row.changed == ("applicant", "actions")
    assert [a["to"] for a in kasi_row.old["actions"]] == ["4", "2"]
    assert [a["to"] for a in kasi_row.new["actions"]] == ["4", "2"]
    assert kasi_row.new["applicant"]["text"] == "Sedang diverifikasi Kasi."
    added = result.steps[3].new
    assert [(a["kind"], a["to"]) for a in added["actions"]] == [("approve", "5"), ("return", "3")]
    # Kadis moved from 4 to 5 and still returns to the Kasi (3): not a change
    assert result.steps[4].status == "same"
    assert result.minutes == (31, 43)


# --------------------------------------------------------------------------- export / import


def test_yaml_export_imports_to_the_same_checksum(office, admin):
    _draft, data = draft_data(office, admin)
    data["steps"][1]["minutes"] = 12
    version = publish(office, admin, data).version
    name, text = editing.export_yaml(version)
    assert name == "alpha-simple-v2.yaml"
    sop = flow(office)
    draft = editing.import_draft(sop, admin, text)
    inspection = editing.inspect(draft)
    assert inspection.problems == []
    assert inspection.checksum == version.checksum
    assert ChangeLog.objects.filter(action=ChangeLog.Action.IMPORTED).exists()


def test_the_loader_and_the_editor_store_the_same_content_as_the_same_version(
    office, admin, tmp_path
):
    _draft, data = draft_data(office, admin)
    data["steps"][1]["minutes"] = 12
    version = publish(office, admin, data).version
    path = tmp_path / "alpha-simple.yaml"
    path.write_text(editing.export_yaml(version)[1], encoding="utf-8")
    definition, errors = parse_text(path.read_text(encoding="utf-8"))
    assert errors == [] and checksum(definition) == version.checksum
    call_command("sop", "load", str(path))  # known content: not stored again
    assert flow(office).versions.count() == 2


def test_an_import_of_another_flow_or_of_no_yaml_is_refused(office, admin):
    sop = flow(office)
    _draft, data = draft_data(office, admin)
    other = dict(data, code="lain")
    with pytest.raises(Invalid) as refused:
        editing.import_draft(sop, admin, editing.dump_yaml(other))
    assert refused.value.code == "wrong_flow"
    with pytest.raises(Invalid) as refused:
        editing.import_draft(sop, admin, "steps: [unclosed")
    assert refused.value.code == "yaml_invalid"


def test_an_imported_file_with_problems_is_kept_and_shown(office, admin):
    sop = flow(office)
    _draft, data = draft_data(office, admin)
    data["steps"][3]["colour"] = "merah"
    draft = editing.import_draft(sop, admin, editing.dump_yaml(data))
    inspection = editing.inspect(draft)
    assert [str(p.message) for p in inspection.problems_at("4")] == ["unknown field(s): colour"]


# --------------------------------------------------------------------------- approval


def test_with_approval_on_a_second_person_approves(office, admin, kadis):
    editing.set_approval(office, kadis, True)
    _draft, data = draft_data(office, admin)
    data["steps"][1]["minutes"] = 12
    result = publish(office, admin, data, reason="Butuh waktu")
    assert result.submitted and result.draft.state == DraftState.SUBMITTED
    sop = flow(office)
    assert sop.versions.count() == 1
    with pytest.raises(Conflict):
        editing.save_draft(sop, admin, data, revision=result.draft.revision)
    with pytest.raises(Forbidden):  # the administrator is no head of office
        editing.approve(sop, admin)
    version = editing.approve(sop, kadis)
    assert (version.number, version.created_by, version.approved_by) == (2, admin, kadis)
    actions = list(ChangeLog.objects.filter(code="simple").values_list("action", flat=True))
    assert set(actions) >= {"submitted", "approved", "published"}


def test_the_editor_cannot_approve_their_own_change(office):
    both = staff(office, "admin", "kadis", username="alpha.both")
    editing.set_approval(office, both, True)
    _draft, data = draft_data(office, both)
    data["steps"][1]["minutes"] = 12
    publish(office, both, data)
    with pytest.raises(Forbidden) as refused:
        editing.approve(flow(office), both)
    assert refused.value.code == "second_person_required"


def test_the_head_of_office_sends_a_change_back_with_a_reason(office, admin, kadis):
    editing.set_approval(office, kadis, True)
    _draft, data = draft_data(office, admin)
    data["steps"][1]["minutes"] = 12
    publish(office, admin, data)
    sop = flow(office)
    draft = editing.decline(sop, kadis, note="Waktu terlalu lama")
    assert draft.state == DraftState.EDITING and draft.decline_note == "Waktu terlalu lama"
    assert sop.versions.count() == 1


def test_only_the_head_of_office_switches_approval_off(office, admin, kadis):
    editing.set_approval(office, admin, True)
    with pytest.raises(Forbidden):
        editing.set_approval(office, admin, False)
    editing.set_approval(office, kadis, False)
    office.refresh_from_db()
    assert not office.change_approval


def test_requests_under_way_keep_their_version_after_a_publish(office, admin):
    before = new_request(office)
    _draft, data = draft_data(office, admin)
    data["steps"][1]["activity"] = "Operator memeriksa kelengkapan dan keabsahan berkas"
    publish(office, admin, data)
    before.refresh_from_db()
    assert before.sop_version.number == 1
    assert Case.objects.filter(status__in=OPEN).count() == 1
    assert load_yaml("a: 1")[0] == {"a": 1}
    assert (
        to_data(before.sop_version.parsed)["steps"][1]["activity"]
        == "Operator memeriksa kelengkapan"
    )


def test_two_administrators_publishing_one_draft_get_one_version_and_a_conflict(office, admin):
    other = staff(office, "admin", username="alpha.admin2")
    _draft, data = draft_data(office, admin)
    data["steps"][1]["minutes"] = 12
    sop = flow(office)
    draft = editing.save_draft(sop, admin, data, revision=_draft.revision)
    editing.publish(sop, admin, revision=draft.revision, reason="Pertama")
    with pytest.raises(Conflict) as late:
        editing.publish(sop, other, revision=draft.revision, reason="Kedua")
    assert late.value.code == "draft_gone"
    assert [v.number for v in sop.versions.all()] == [2, 1]


def test_approval_cannot_be_asked_for_when_nobody_may_approve(office, admin):
    with pytest.raises(Invalid) as refused:
        editing.set_approval(office, admin, True)
    assert refused.value.code == "no_approver"
