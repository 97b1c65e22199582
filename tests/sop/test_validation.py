"""Validation of SOP files (``docs/sop-format.md``, section "Validation").

Every broken variant is derived from one small valid SOP (``BASE``) so that each test breaks
exactly one rule, and asserts that the file is refused with an error that names the step and
the problem.
"""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command

from layan.sop.definition import END, SopDefinition, SopError, from_json, parse_text, read_file

ROOT = Path(__file__).resolve().parents[2]
PRESETS = sorted((ROOT / "layan" / "sop" / "presets").glob("*.yaml"))

# A small flow that uses every feature the rules talk about: two intake steps (bot, applicant),
# a staff step with request_documents / reject / escalate, a check that returns, a waiting
# applicant step recorded by a staff role, and a side step that goes back to the main flow.
BASE = """\
format: 1
office: uji
code: kk-uji
name: Penerbitan KK Uji
source:
  number: 800/1/SOP/UJI/2025
  notes:
    - Baris catatan pertama
    - Baris catatan kedua
roles:
  - code: pemohon
    label: Pemohon
    kind: applicant
  - code: bot
    label: Layanan Bot Informasi
    kind: bot
  - code: operator
    label: Operator
    kind: staff
  - code: kasi
    label: Kasi
    kind: staff
  - code: admin_database
    label: Administrator Database
    kind: staff
    column: false
steps:
  - number: 1
    activity: Informasi persyaratan melalui bot
    role: bot
    minutes: 0
    intake: true
    actions:
      - kind: complete
  - number: 2
    activity: Mengirimkan berkas
    role: pemohon
    requirements:
      - Formulir F-1.01
    minutes: 5
    output: Berkas permohonan
    intake: true
    applicant:
      visible: true
      text: Berkas Anda sudah kami terima.
    actions:
      - kind: complete
  - number: 3
    activity: Memeriksa dan menginput data
    role: operator
    minutes: 10
    output: Data terinput
    actions:
      - kind: complete
      - kind: request_documents
        label: Berkas belum lengkap
      - kind: reject
      - kind: escalate
        to: data_ganda
  - number: 4
    activity: Verifikasi oleh Kasi
    role: kasi
    minutes: 5
    output: KK terverifikasi
    actions:
      - kind: approve
      - kind: return
        to: 3
  - number: 5
    activity: Mencetak KK
    role: operator
    minutes: 5
    output: KK
    actions:
      - kind: complete
  - number: 6
    activity: Menandatangani buku register pengambilan
    role: pemohon
    assisted_by: operator
    minutes: 2
    output: KK diterima
    actions:
      - kind: complete
side_steps:
  - key: data_ganda
    activity: Penyelesaian Data Ganda oleh Administrator Database
    role: admin_database
    minutes: 30
    actions:
      - kind: complete
        to: 3
      - kind: request_documents
"""


def base_data() -> dict[str, Any]:
    return yaml.safe_load(BASE)


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def step(data: dict[str, Any], key: int | str) -> dict[str, Any]:
    """The raw mapping of main step ``key`` (a number) or side step ``key`` (a string)."""
    if isinstance(key, int):
        return data["steps"][key - 1]
    return next(s for s in data["side_steps"] if s["key"] == key)


def variant(edit: Callable[[dict[str, Any]], Any]) -> str:
    data = copy.deepcopy(base_data())
    edit(data)
    return dump(data)


def refused(text: str, file: str = "uji.yaml") -> list[SopError]:
    definition, errors = parse_text(text, file)
    assert definition is None, "a broken SOP must not produce a definition"
    assert errors, "a refused SOP must say why"
    assert all(e.file == file for e in errors)
    return errors


def assert_error(errors: list[SopError], step_key: str | None, *fragments: str) -> SopError:
    """Exactly the error for ``step_key`` whose message contains every fragment."""
    for error in errors:
        if error.step == step_key and all(f in error.message for f in fragments):
            return error
    raise AssertionError(
        f"no error at step {step_key!r} containing {fragments!r}; got:\n"
        + "\n".join(str(e) for e in errors)
    )


# --- the valid base -------------------------------------------------------------------------


def test_base_sop_parses_without_errors():
    definition, errors = parse_text(BASE, "uji.yaml")
    assert errors == []
    assert isinstance(definition, SopDefinition)
    assert [s.key for s in definition.steps] == ["1", "2", "3", "4", "5", "6"]
    assert [s.key for s in definition.side_steps] == ["data_ganda"]
    assert definition.total_minutes == 27  # side steps are not counted
    assert definition.step(6).assisted_by == "operator"
    assert definition.step(3).action("request_documents").note_required
    assert definition.role("admin_database").column is False


def test_base_text_and_its_yaml_redump_parse_to_the_same_definition():
    # The variants below are re-dumped with yaml; the re-dump itself must change nothing.
    assert parse_text(BASE)[0] == parse_text(dump(base_data()))[0]


def test_as_json_round_trips_through_from_json():
    definition, _ = parse_text(BASE)
    assert from_json(definition.as_json()) == definition


def test_as_json_round_trips_through_stored_json_text():
    # The version table stores the JSON; tuples come back as lists.
    definition, _ = parse_text(BASE)
    stored = json.loads(json.dumps(definition.as_json(), ensure_ascii=False))
    assert from_json(stored) == definition


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.name)
def test_preset_parses_without_errors(path):
    definition, errors = read_file(path)
    assert [str(e) for e in errors] == []
    assert definition is not None


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.name)
def test_preset_round_trips_through_stored_json(path):
    definition, _ = read_file(path)
    stored = json.loads(json.dumps(definition.as_json(), ensure_ascii=False))
    assert from_json(stored) == definition


def test_presets_exist():
    assert len(PRESETS) >= 1


# --- roles ----------------------------------------------------------------------------------


def test_unknown_role_of_a_step_is_refused_at_that_step():
    text = variant(lambda d: step(d, 4).update(role="kabid"))
    assert_error(refused(text), "4", "unknown role", "kabid")


def test_unknown_role_of_a_side_step_is_refused_at_its_key():
    text = variant(lambda d: step(d, "data_ganda").update(role="kadis"))
    assert_error(refused(text), "data_ganda", "unknown role", "kadis")


def test_unknown_assisted_by_role_is_refused():
    text = variant(lambda d: step(d, 6).update(assisted_by="satpam"))
    assert_error(refused(text), "6", "assisted_by", "satpam", "not a staff role")


def test_assisted_by_a_non_staff_role_is_refused():
    text = variant(lambda d: step(d, 6).update(assisted_by="bot"))
    assert_error(refused(text), "6", "assisted_by", "'bot'", "not a staff role")


# --- where actions go -----------------------------------------------------------------------


def test_return_to_a_later_step_is_refused():
    text = variant(lambda d: step(d, 4)["actions"][1].update(to=5))
    assert_error(refused(text), "4", "return to step 5", "not an earlier step")


def test_return_to_the_same_step_is_refused():
    text = variant(lambda d: step(d, 4)["actions"][1].update(to=4))
    assert_error(refused(text), "4", "return to step 4", "not an earlier step")


def test_return_to_end_is_refused():
    text = variant(lambda d: step(d, 4)["actions"][1].update(to="end"))
    assert_error(refused(text), "4", "return must go to an earlier step")


def test_complete_to_an_earlier_step_is_refused():
    text = variant(lambda d: step(d, 5)["actions"][0].update(to=3))
    assert_error(refused(text), "5", "complete to step 3", "not a later step")


def test_approve_to_the_same_step_is_refused():
    text = variant(lambda d: step(d, 4)["actions"][0].update(to=4))
    assert_error(refused(text), "4", "approve to step 4", "not a later step")


def test_complete_into_a_side_step_is_refused():
    text = variant(lambda d: step(d, 5)["actions"][0].update(to="data_ganda"))
    assert_error(refused(text), "5", "cannot enter side step data_ganda")


def test_escalate_to_an_earlier_main_step_is_refused():
    text = variant(lambda d: step(d, 4)["actions"].append({"kind": "escalate", "to": 3}))
    assert_error(refused(text), "4", "escalate to step 3", "not a later step")


def test_approve_may_skip_ahead_to_a_later_step():
    text = variant(lambda d: step(d, 3)["actions"].append({"kind": "approve", "to": 5}))
    definition, errors = parse_text(text)
    assert errors == []
    assert definition.step(3).action("approve").target == "5"


def test_side_step_may_complete_back_to_the_step_it_came_from():
    definition, errors = parse_text(BASE)
    assert errors == []
    assert definition.step("data_ganda").actions[0].target == "3"


def test_action_to_a_step_that_does_not_exist_is_refused():
    text = variant(lambda d: step(d, 4)["actions"][1].update(to=9))
    assert_error(refused(text), "4", "action return goes to step 9", "does not exist")


def test_escalate_to_an_unknown_side_step_is_refused():
    text = variant(lambda d: step(d, 3)["actions"][3].update(to="data_hilang"))
    assert_error(refused(text), "3", "data_hilang", "does not exist")


@pytest.mark.parametrize("kind", ["reject", "request_documents"])
def test_target_on_an_action_that_takes_none_is_refused(kind):
    def edit(d):
        action = next(a for a in step(d, 3)["actions"] if a["kind"] == kind)
        action["to"] = 4

    assert_error(refused(variant(edit)), "3", kind, "cannot have a target ('to')")


@pytest.mark.parametrize("kind", ["return", "escalate"])
def test_missing_target_on_an_action_that_needs_one_is_refused(kind):
    def edit(d):
        for number in (3, 4):
            for action in step(d, number)["actions"]:
                if action["kind"] == kind:
                    del action["to"]
                    return number
        raise AssertionError(kind)

    data = copy.deepcopy(base_data())
    number = edit(data)
    assert_error(refused(dump(data)), str(number), kind, "needs a target ('to')")


# --- graph shape ----------------------------------------------------------------------------


def test_unreachable_step_is_refused():
    # Step 3 skips straight to 5 and nothing else leads into step 4.
    text = variant(lambda d: step(d, 3)["actions"][0].update(to=5))
    errors = refused(text)
    assert_error(errors, "4", "unreachable from step 1")
    assert [e.step for e in errors] == ["4"]


def test_unreachable_side_step_is_refused():
    def edit(d):
        step(d, 3)["actions"] = [a for a in step(d, 3)["actions"] if a["kind"] != "escalate"]

    errors = refused(variant(edit))
    assert_error(errors, "data_ganda", "unreachable from step 1")


@pytest.mark.parametrize("actions", [[], None], ids=["empty-list", "missing"])
def test_step_without_any_action_is_refused(actions):
    def edit(d):
        if actions is None:
            del step(d, 5)["actions"]
        else:
            step(d, 5)["actions"] = actions

    assert_error(refused(variant(edit)), "5", "no way out", "no actions")


def test_cycle_with_no_exit_is_refused():
    # 3 -> 4 (complete) and 4 -> 3 (return) is the only way on from step 4: the steps reach
    # each other and never the end. Steps 5..6 are cut off by the same edit.
    def edit(d):
        step(d, 4)["actions"] = [{"kind": "return", "to": 3}]

    errors = refused(variant(edit))
    assert_error(errors, "3", "cycle with no exit", "3, 4")
    assert_error(errors, "4", "cycle with no exit", "3, 4")


def test_cycle_with_no_exit_through_a_side_step_is_refused():
    # 3 escalates to the side step, which goes back to 3: a genuine cycle (every step on it
    # reaches the others) with no way to the end.
    def edit(d):
        step(d, 3)["actions"] = [{"kind": "escalate", "to": "data_ganda"}]
        step(d, "data_ganda")["actions"] = [{"kind": "complete", "to": 3}]

    errors = refused(variant(edit))
    for key in ("3", "data_ganda"):
        assert_error(errors, key, "cycle with no exit", "3, data_ganda")


def test_cycle_with_an_exit_is_accepted():
    # The base already has 3 -> 4 -> (return) 3; 4 also approves on towards the end.
    definition, errors = parse_text(BASE)
    assert errors == []
    assert definition.step(4).action("return").target == "3"


def test_last_step_completes_to_end_by_default():
    definition, _ = parse_text(BASE)
    from layan.sop.definition import resolve_target

    last = definition.steps[-1]
    assert resolve_target(definition, last, last.actions[0]) == END


# --- minutes --------------------------------------------------------------------------------


def test_missing_minutes_is_refused():
    text = variant(lambda d: step(d, 4).pop("minutes"))
    assert_error(refused(text), "4", "minutes is missing")


def test_null_minutes_without_a_deadline_is_refused():
    text = variant(lambda d: step(d, 4).update(minutes=None))
    assert_error(refused(text), "4", "minutes is null", "no deadline")


def test_null_minutes_with_a_deadline_is_accepted():
    def edit(d):
        d["deadline"] = {"working_days": 7, "text": "maksimal 1 minggu"}
        step(d, 4)["minutes"] = None

    definition, errors = parse_text(variant(edit))
    assert errors == []
    assert definition.step(4).minutes is None
    assert definition.total_minutes == 22
    assert definition.deadline == {
        "unit": "working_days",
        "amount": 7,
        "text": "maksimal 1 minggu",
    }


def test_zero_minutes_is_accepted():
    definition, errors = parse_text(variant(lambda d: step(d, 4).update(minutes=0)))
    assert errors == []
    assert definition.step(4).minutes == 0


@pytest.mark.parametrize("minutes", [-5, -1, 2.5, "5", True], ids=repr)
def test_minutes_that_are_not_a_whole_number_of_0_or_more_are_refused(minutes):
    text = variant(lambda d: step(d, 4).update(minutes=minutes))
    assert_error(refused(text), "4", "minutes must be a whole number of 0 or more", repr(minutes))


# --- numbering ------------------------------------------------------------------------------


def test_steps_out_of_order_are_refused():
    def edit(d):
        d["steps"][2], d["steps"][3] = d["steps"][3], d["steps"][2]

    errors = refused(variant(edit))
    assert_error(errors, "3", "step number 4 out of order", "expected 3")
    assert_error(errors, "4", "step number 3 out of order", "expected 4")


def test_duplicate_step_number_is_refused():
    text = variant(lambda d: step(d, 4).update(number=3))
    assert_error(refused(text), "4", "duplicate step number 3")


def test_gap_in_step_numbers_is_refused():
    def edit(d):
        for raw in d["steps"][3:]:
            raw["number"] += 1

    assert_error(refused(variant(edit)), "4", "step number 5 out of order", "expected 4")


def test_duplicate_side_step_key_is_refused():
    def edit(d):
        d["side_steps"].append(copy.deepcopy(d["side_steps"][0]))

    assert_error(refused(variant(edit)), "data_ganda", "duplicate side step key")


# --- actions --------------------------------------------------------------------------------


def test_unknown_action_kind_is_refused():
    text = variant(lambda d: step(d, 4)["actions"][0].update(kind="forward"))
    assert_error(refused(text), "4", "unknown action kind", "forward")


def test_two_actions_of_the_same_kind_without_ids_are_refused():
    text = variant(lambda d: step(d, 3)["actions"].append({"kind": "request_documents"}))
    assert_error(refused(text), "3", "two actions with id 'request_documents'")


def test_duplicate_explicit_action_ids_are_refused():
    def edit(d):
        step(d, 4)["actions"][0]["id"] = "periksa"
        step(d, 4)["actions"][1]["id"] = "periksa"

    assert_error(refused(variant(edit)), "4", "two actions with id 'periksa'")


def test_two_actions_of_the_same_kind_with_distinct_ids_are_accepted():
    def edit(d):
        step(d, 5)["actions"] = [
            {"id": "return_to_kasi", "kind": "return", "to": 4},
            {"id": "return_to_operator", "kind": "return", "to": 3},
            {"kind": "complete"},
        ]

    definition, errors = parse_text(variant(edit))
    assert errors == []
    assert [a.id for a in definition.step(5).actions] == [
        "return_to_kasi",
        "return_to_operator",
        "complete",
    ]


# --- intake, auto, waiting applicant steps --------------------------------------------------


def test_intake_step_after_a_regular_step_is_refused():
    text = variant(lambda d: step(d, 4).update(intake=True))
    assert_error(refused(text), "4", "intake steps must all come before the other steps")


def test_auto_on_a_staff_step_is_refused():
    text = variant(lambda d: step(d, 4).update(auto=True))
    assert_error(refused(text), "4", "auto is only for applicant and bot steps")


def test_auto_on_an_applicant_step_needs_no_assisted_by():
    def edit(d):
        step(d, 6)["auto"] = True
        del step(d, 6)["assisted_by"]

    definition, errors = parse_text(variant(edit))
    assert errors == []
    assert definition.step(6).auto


def test_waiting_applicant_step_without_assisted_by_is_refused():
    text = variant(lambda d: step(d, 6).pop("assisted_by"))
    assert_error(refused(text), "6", "waits for the applicant", "needs assisted_by")


def test_bot_step_that_is_neither_intake_nor_auto_is_refused():
    text = variant(lambda d: step(d, 1).pop("intake"))
    assert_error(refused(text), "1", "bot step must be intake or auto")


# --- file-level problems --------------------------------------------------------------------


def test_bad_yaml_is_refused_naming_the_line():
    lines = BASE.splitlines()
    bad = lines.index("  - number: 4") + 1  # 1-based line of step 4
    lines[bad] = "    activity: [Verifikasi oleh Kasi"  # unclosed flow sequence
    errors = refused("\n".join(lines) + "\n")
    assert len(errors) == 1
    assert errors[0].step is None
    assert "not valid YAML at line" in errors[0].message
    line = int(errors[0].message.split("at line ")[1].split(":")[0])
    assert bad + 1 <= line <= len(lines) + 1


def test_bad_yaml_reports_the_exact_line_of_a_mapping_error():
    errors = refused("format: 1\noffice: uji\n  code: kk-uji\n")
    assert_error(errors, None, "not valid YAML at line 3")


@pytest.mark.parametrize(
    "text", ["- format: 1\n- office: uji\n", "just a sentence\n", "", "42\n"], ids=repr
)
def test_file_that_is_not_a_mapping_is_refused(text):
    assert_error(refused(text), None, "must be a mapping")


@pytest.mark.parametrize("value", [2, "1", None], ids=repr)
def test_wrong_format_is_refused(value):
    def edit(d):
        if value is None:
            del d["format"]
        else:
            d["format"] = value

    assert_error(refused(variant(edit)), None, "format must be 1", f"got {value!r}")


def test_error_str_names_file_step_and_problem():
    text = variant(lambda d: step(d, 4)["actions"][1].update(to=5))
    (error,) = refused(text, "broken.yaml")
    assert str(error) == "broken.yaml: step 4: return to step 5, which is not an earlier step"


def test_file_level_error_str_has_no_step():
    (error,) = refused("[]\n", "broken.yaml")
    assert str(error).startswith("broken.yaml: the file must be a mapping")


# --- `layan sop validate` / `layan sop load` ------------------------------------------------

BROKEN_MESSAGE = "return to step 5, which is not an earlier step"


def broken_text() -> str:
    return variant(lambda d: step(d, 4)["actions"][1].update(to=5))


@pytest.fixture
def valid_file(tmp_path):
    path = tmp_path / "valid.yaml"
    path.write_text(BASE, encoding="utf-8")
    return path


@pytest.fixture
def broken_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(broken_text(), encoding="utf-8")
    return path


def test_validate_command_prints_ok_for_a_valid_file(valid_file):
    out, err = io.StringIO(), io.StringIO()
    call_command("sop", "validate", str(valid_file), stdout=out, stderr=err)
    assert f"{valid_file}: ok (6 steps, 27 minutes)" in out.getvalue()
    assert err.getvalue() == ""


@pytest.mark.parametrize("path", PRESETS[:1], ids=lambda p: p.name)
def test_validate_command_accepts_a_preset(path):
    out = io.StringIO()
    call_command("sop", "validate", str(path), stdout=out, stderr=io.StringIO())
    assert f"{path}: ok" in out.getvalue()


def test_validate_command_fails_with_status_1_naming_file_step_and_problem(broken_file):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("sop", "validate", str(broken_file), stdout=out, stderr=err)
    assert excinfo.value.returncode == 1
    assert f"{broken_file}: step 4: {BROKEN_MESSAGE}" in err.getvalue()
    assert "ok" not in out.getvalue()


def test_validate_command_checks_every_file_and_fails_if_any_is_broken(valid_file, broken_file):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("sop", "validate", str(valid_file), str(broken_file), stdout=out, stderr=err)
    assert excinfo.value.returncode == 1
    assert f"{valid_file}: ok" in out.getvalue()
    assert f"{broken_file}: step 4: " in err.getvalue()


def test_validate_command_reports_a_missing_file(tmp_path):
    missing = tmp_path / "missing.yaml"
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("sop", "validate", str(missing), stdout=io.StringIO(), stderr=err)
    assert excinfo.value.returncode == 1
    assert f"{missing}: cannot read the file" in err.getvalue()


@pytest.fixture
def office(db):
    from layan.offices.models import Office

    return Office.objects.create(code="uji", name="Dinas Dukcapil Uji", region_code="18.08")


def load(path) -> str:
    out = io.StringIO()
    call_command("sop", "load", str(path), stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_load_command_stores_a_version_once_and_reports_unchanged_the_second_time(
    office, valid_file
):
    from layan.sop.models import SopVersion

    first = load(valid_file)
    assert f"{valid_file}: loaded as" in first
    assert "v1" in first
    second = load(valid_file)
    assert f"{valid_file}: unchanged:" in second
    assert "v1" in second
    versions = SopVersion.objects.filter(sop__office=office, sop__code="kk-uji")
    assert versions.count() == 1
    version = versions.get()
    assert version.number == 1
    assert version.step_count == 6
    assert version.total_minutes == 27
    assert version.parsed == parse_text(BASE)[0]
    assert version.steps.count() == 7  # six main steps and the side step


@pytest.mark.django_db
def test_load_command_stores_changed_content_as_version_2(office, valid_file):
    from layan.sop.models import SopVersion

    load(valid_file)
    valid_file.write_text(variant(lambda d: step(d, 4).update(minutes=7)), encoding="utf-8")
    out = load(valid_file)
    assert f"{valid_file}: loaded as" in out
    assert "v2" in out
    versions = SopVersion.objects.filter(sop__office=office, sop__code="kk-uji")
    assert sorted(versions.values_list("number", flat=True)) == [1, 2]
    assert versions.get(number=2).total_minutes == 29
    assert versions.get(number=1).total_minutes == 27  # the old version is left as it was


@pytest.mark.django_db
def test_load_command_refuses_a_broken_file_and_stores_nothing(office, broken_file):
    from layan.sop.models import SopVersion

    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("sop", "load", str(broken_file), stdout=io.StringIO(), stderr=err)
    assert excinfo.value.returncode == 1
    assert f"{broken_file}: step 4: {BROKEN_MESSAGE}" in err.getvalue()
    assert not SopVersion.objects.exists()


@pytest.mark.django_db
def test_load_command_refuses_a_file_for_an_office_that_does_not_exist(valid_file):
    from layan.sop.models import SopVersion

    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("sop", "load", str(valid_file), stdout=io.StringIO(), stderr=err)
    assert excinfo.value.returncode == 1
    assert f"{valid_file}: " in err.getvalue()
    assert "uji" in err.getvalue()
    assert not SopVersion.objects.exists()


def test_layan_cli_validate_exits_non_zero_and_names_file_step_and_problem(tmp_path, broken_file):
    env = {
        **os.environ,
        "LAYAN_TASK_BACKEND": "immediate",
        "LAYAN_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "layan.settings",
    }
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-m", "layan.cli", "sop", "validate", str(broken_file)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode != 0
    assert f"{broken_file}: step 4: {BROKEN_MESSAGE}" in result.stderr
    assert "ok" not in result.stdout


def test_intake_step_without_a_way_forward_is_refused():
    data = yaml.safe_load(BASE)
    first = data["steps"][0]
    assert first.get("intake")
    first["actions"] = [{"kind": "reject"}]
    errors = refused(yaml.safe_dump(data, allow_unicode=True))
    assert_error(errors, "1", "needs a complete action")


def test_return_to_an_intake_step_is_refused():
    data = yaml.safe_load(BASE)
    intake = [s["number"] for s in data["steps"] if s.get("intake")]
    later = next(s for s in data["steps"] if not s.get("intake") and s.get("role") != "bot")
    later["actions"].append({"id": "back_to_intake", "kind": "return", "to": intake[-1]})
    errors = refused(yaml.safe_dump(data, allow_unicode=True))
    assert_error(errors, str(later["number"]), "use request_documents")


def test_no_action_may_enter_an_intake_step_again():
    data = yaml.safe_load(BASE)
    side = data["side_steps"][0]
    side["actions"] = [{"kind": "complete", "to": 1}]
    errors = refused(yaml.safe_dump(data, allow_unicode=True))
    assert_error(errors, side["key"], "done by the submission")
