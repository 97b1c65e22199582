"""The SOP editor in the console: the administrator edits a draft through the form (htmx or
not), every rule of the loader shows beside its step in the officer's language, the preview
follows, a draft with problems cannot be published, versions, the diff, export and import, the
head of office's approval; and who may open what.
"""

from __future__ import annotations

import ast
import copy
import re
import textwrap
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
import yaml
from django.urls import reverse
from django.utils import timezone

from layan.sop import editing
from layan.sop.definition import check_data
from layan.sop.models import SopDraft
from tests.console.conftest import ENTRY_SOP, make_request
from tests.factories import staff

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def edit_url(name: str = "flow_edit", code: str = "simple") -> str:
    return reverse(f"console:{name}", args=[code])


def form_of(html: str) -> dict[str, str]:
    """The editor form's fields as a browser would send them (text, hidden, selected options,
    checked boxes, textareas), without any button."""
    form = html[
        html.index('<form id="sop-form"') : html.index("</form>", html.index('<form id="sop-form"'))
    ]
    data: dict[str, str] = {}
    for tag in re.finditer(r"<input\b[^>]*>", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag.group(0)))
        kind = attrs.get("type", "text")
        if "name" not in attrs or kind in ("submit", "file"):
            continue
        if kind == "checkbox":
            if " checked" in tag.group(0):
                data[attrs["name"]] = attrs.get("value", "on")
            continue
        data[attrs["name"]] = unescape(attrs.get("value", ""))
    for match in re.finditer(r'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[match.group(1)] = unescape(match.group(2))
    for match in re.finditer(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        options = re.findall(r'<option value="([^"]*)"([^>]*)>', match.group(2))
        chosen = next(
            (v for v, rest in options if "selected" in rest), options[0][0] if options else ""
        )
        data[match.group(1)] = unescape(chosen)
    return data


@pytest.fixture
def kadis(world):
    return staff(world.office, "kadis")


def open_editor(world):
    client = world.client(world.admin)
    page = client.get(edit_url())
    assert page.status_code == 200
    return client, page.content.decode()


def step_block(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    end = html.find('<fieldset class="step-card', start + 10)
    return html[start : end if end != -1 else len(html)]


def problems_in(html: str, pid: str) -> list[str]:
    match = re.search(rf'<div id="{pid}" class="problems"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no problem box {pid}"
    return [unescape(item) for item in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


# --------------------------------------------------------------------------- the form


def test_the_editor_shows_the_draft_with_its_preview(world):
    _client, html = open_editor(world)
    assert 'id="sop-form"' in html and 'id="preview"' in html
    assert "Operator memeriksa kelengkapan" in html
    assert html.count('class="step-card') == 6  # five steps and the side step
    assert "sop-swimlane" in html and 'class="sop-table"' in html
    assert 'id="publish-button"' in html and "disabled" not in re.search(
        r'<button[^>]*id="publish-button"[^>]*>', html
    ).group(0)


def test_a_live_save_answers_the_problems_the_preview_and_the_new_revision(world):
    client, html = open_editor(world)
    form = form_of(html)
    revision = int(form["revision"])
    form["s-1-minutes"] = "25"
    form["live"] = "1"
    response = client.post(edit_url("flow_save"), form, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="draft-revision" hx-swap-oob="true"' in body
    assert f'value="{revision + 1}"' in body
    assert 'id="preview" class="card editor-preview" aria-live="polite" hx-swap-oob="true"' in body
    assert ">25</td>" in body  # the table's minutes
    assert ">25 menit<" in body  # the chart's box
    draft = SopDraft.objects.get(sop__office=world.office)
    assert draft.data["steps"][1]["minutes"] == 25 and draft.revision == revision + 1


def test_a_structural_button_answers_the_whole_editor(world):
    client, html = open_editor(world)
    form = form_of(html)
    form["op"] = "add_step:1"
    response = client.post(edit_url("flow_save"), form, **HTMX)
    body = response.content.decode()
    assert response["HX-Retarget"] == "#editor"
    assert body.count('class="step-card') == 7
    problems = problems_in(body, "problems-step-2")
    assert any("activity" in p.lower() or "kegiatan" in p.lower() for p in problems)


def test_without_javascript_the_form_saves_and_comes_back(world):
    client, html = open_editor(world)
    form = form_of(html)
    form["s-1-output"] = "Berkas lengkap"
    response = client.post(edit_url("flow_save"), form)
    assert response.status_code == 302 and response["Location"] == edit_url()
    assert (
        SopDraft.objects.get(sop__office=world.office).data["steps"][1]["output"]
        == "Berkas lengkap"
    )


def test_a_form_from_an_older_revision_is_refused_and_says_so(world):
    client, html = open_editor(world)
    form = form_of(html)
    client.post(edit_url("flow_save"), {**form, "live": "1"}, **HTMX)
    response = client.post(edit_url("flow_save"), {**form, "s-1-minutes": "30"}, **HTMX)
    body = response.content.decode()
    assert 'id="editor-error"' in body
    assert SopDraft.objects.get(sop__office=world.office).data["steps"][1]["minutes"] == 10


# --------------------------------------------------------------------------- every rule


def _set(path, value):
    def edit(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return edit


_DELETE = object()

# (what the administrator does to the draft, the step block or section box it shows in)
RULES = [
    ("missing activity", _set(["steps", 1, "activity"], ""), "problems-step-1"),
    ("unknown role", _set(["steps", 2, "role"], "kabid"), "problems-step-2"),
    ("missing minutes", _set(["steps", 3, "minutes"], _DELETE), "problems-step-3"),
    ("negative minutes", _set(["steps", 3, "minutes"], -5), "problems-step-3"),
    ("minutes not a number", _set(["steps", 3, "minutes"], "lima"), "problems-step-3"),
    (
        "null minutes without a deadline",
        lambda d: (d.pop("deadline"), d["steps"][2].update(minutes=None)),
        "problems-step-2",
    ),
    ("return forward", _set(["steps", 2, "actions", 1, "to"], 5), "problems-step-2"),
    ("return to itself", _set(["steps", 2, "actions", 1, "to"], 3), "problems-step-2"),
    ("return to the end", _set(["steps", 2, "actions", 1, "to"], "end"), "problems-step-2"),
    (
        "complete backwards",
        lambda d: d["steps"][3]["actions"].__setitem__(0, {"kind": "approve", "to": 2}),
        "problems-step-3",
    ),
    (
        "complete into a side step",
        lambda d: d["steps"][3]["actions"].__setitem__(0, {"kind": "approve", "to": "data_ganda"}),
        "problems-step-3",
    ),
    (
        "escalate backwards",
        lambda d: d["steps"][3]["actions"].append({"kind": "escalate", "to": 2}),
        "problems-step-3",
    ),
    (
        "escalate to the end",
        lambda d: d["steps"][3]["actions"].append({"kind": "escalate", "to": "end"}),
        "problems-step-3",
    ),
    ("target that does not exist", _set(["steps", 2, "actions", 1, "to"], 9), "problems-step-2"),
    ("target on reject", lambda d: d["steps"][1]["actions"][2].update(to=3), "problems-step-1"),
    (
        "target on request_documents",
        lambda d: d["steps"][1]["actions"][1].update(to=3),
        "problems-step-1",
    ),
    ("return without a target", lambda d: d["steps"][2]["actions"][1].pop("to"), "problems-step-2"),
    (
        "escalate without a target",
        lambda d: d["steps"][1]["actions"][3].pop("to"),
        "problems-step-1",
    ),
    (
        "unknown action kind",
        lambda d: d["steps"][2]["actions"].append({"kind": "teleport"}),
        "problems-step-2",
    ),
    (
        "two actions with one id",
        lambda d: d["steps"][2]["actions"].append({"kind": "approve", "to": 4}),
        "problems-step-2",
    ),
    (
        "bad action id",
        lambda d: d["steps"][2]["actions"][0].update(id="Setuju!"),
        "problems-step-2",
    ),
    (
        "unknown action field",
        lambda d: d["steps"][2]["actions"][0].update(colour="red"),
        "problems-step-2",
    ),
    ("no actions", _set(["steps", 3, "actions"], []), "problems-step-3"),
    (
        "action not a mapping",
        lambda d: d["steps"][3]["actions"].append("approve"),
        "problems-step-3",
    ),
    ("actions not a list", _set(["steps", 3, "actions"], "approve"), "problems-step-3"),
    (
        "unreachable step",
        lambda d: d["steps"][1]["actions"].__setitem__(0, {"kind": "complete", "to": 5}),
        "problems-step-2",
    ),
    (
        "cycle with no exit",
        _set(["steps", 3, "actions"], [{"kind": "return", "to": 3}]),
        "problems-step-2",
    ),
    (
        "dead end",
        lambda d: d["steps"][4].update(
            actions=[{"kind": "return", "to": 4}], auto=False, role="kasi"
        ),
        "problems-step-4",
    ),
    ("intake after a regular step", _set(["steps", 2, "intake"], True), "problems-step-2"),
    (
        "intake without complete",
        lambda d: d["steps"][0].update(actions=[{"kind": "reject"}]),
        "problems-step-0",
    ),
    ("auto on a staff step", _set(["steps", 3, "auto"], True), "problems-step-3"),
    ("intake and auto", lambda d: d["steps"][0].update(auto=True), "problems-step-0"),
    (
        "back into an intake step",
        lambda d: d["steps"][1]["actions"].append({"kind": "return", "to": 1}),
        "problems-step-1",
    ),
    (
        "return to an auto step",
        lambda d: (
            d["steps"][4].update(auto=False, assisted_by="operator"),
            d["steps"].append(
                {
                    "number": 6,
                    "activity": "Arsip",
                    "role": "operator",
                    "minutes": 1,
                    "actions": [{"kind": "complete"}, {"kind": "return", "to": 5}],
                }
            ),
            d["steps"][4].update(auto=True),
        ),
        "problems-step-5",
    ),
    ("waiting applicant without assisted_by", _set(["steps", 4, "auto"], False), "problems-step-4"),
    (
        "assisted_by not staff",
        lambda d: d["steps"][4].update(auto=False, assisted_by="pemohon"),
        "problems-step-4",
    ),
    (
        "bot step that waits",
        lambda d: (
            d["roles"].append({"code": "bot", "label": "Bot", "kind": "bot"}),
            d["steps"][3].update(role="bot"),
        ),
        "problems-step-3",
    ),
    ("data entry on an applicant step", _set(["steps", 4, "data_entry"], True), "problems-step-4"),
    ("data entry not a boolean", _set(["steps", 1, "data_entry"], "ya"), "problems-step-1"),
    ("visit on an applicant step", _set(["steps", 4, "visit"], True), "problems-step-4"),
    (
        "registry check on an applicant step",
        _set(["steps", 4, "registry_check"], True),
        "problems-step-4",
    ),
    (
        "document work on an applicant step",
        _set(["steps", 4, "document"], "sign"),
        "problems-step-4",
    ),
    ("unknown document work", _set(["steps", 3, "document"], "stamp"), "problems-step-3"),
    (
        "unknown applicant notice",
        _set(["steps", 1, "applicant"], {"notice": "loud"}),
        "problems-step-1",
    ),
    (
        "unknown applicant field",
        _set(["steps", 1, "applicant"], {"colour": "red"}),
        "problems-step-1",
    ),
    ("applicant not a mapping", _set(["steps", 1, "applicant"], "ya"), "problems-step-1"),
    ("unknown step field", _set(["steps", 1, "colour"], "red"), "problems-step-1"),
    ("step out of order", _set(["steps", 2, "number"], 7), "problems-step-2"),
    ("duplicate step number", _set(["steps", 2, "number"], 2), "problems-step-2"),
    ("a step that is no mapping", _set(["steps", 2], "langkah"), "problems-step-2"),
    ("side step intake", _set(["side_steps", 0, "intake"], True), "problems-side-0"),
    ("side step unknown role", _set(["side_steps", 0, "role"], "kabid"), "problems-side-0"),
    (
        "duplicate side step key",
        lambda d: d["side_steps"].append(copy.deepcopy(d["side_steps"][0])),
        "problems-side-1",
    ),
    ("bad side step key", _set(["side_steps", 0, "key"], "Data Ganda"), "problems-side_steps"),
    ("side steps not a list", _set(["side_steps"], "data_ganda"), "problems-side_steps"),
    ("unknown top-level field", _set(["colour"], "red"), "problems-flow"),
    ("missing name", _set(["name"], ""), "problems-flow"),
    ("wrong format", _set(["format"], 2), "problems-flow"),
    ("bad office code", _set(["office"], "Alpha Office"), "problems-flow"),
    ("bad flow code", _set(["code"], "Simple Flow"), "problems-flow"),
    ("no steps", _set(["steps"], []), "problems-flow"),
    ("deadline not a mapping", _set(["deadline"], 3), "problems-deadline"),
    (
        "deadline with two units",
        _set(["deadline"], {"working_days": 1, "calendar_days": 2}),
        "problems-deadline",
    ),
    ("deadline not positive", _set(["deadline"], {"working_days": 0}), "problems-deadline"),
    ("no roles", _set(["roles"], []), "problems-roles"),
    ("role not a mapping", lambda d: d["roles"].append("kabid"), "problems-roles"),
    (
        "bad role code",
        lambda d: d["roles"].append({"code": "Ka Bid", "label": "Kabid", "kind": "staff"}),
        "problems-roles",
    ),
    (
        "role declared twice",
        lambda d: d["roles"].append({"code": "kasi", "label": "Kasi", "kind": "staff"}),
        "problems-roles",
    ),
    (
        "unknown role kind",
        lambda d: d["roles"].append({"code": "kabid", "label": "Kabid", "kind": "boss"}),
        "problems-roles",
    ),
    (
        "role without a label",
        lambda d: d["roles"].append({"code": "kabid", "kind": "staff"}),
        "problems-roles",
    ),
    (
        "role kind the office uses otherwise",
        lambda d: d["roles"].append(
            {"code": "supervisor", "label": "Supervisor", "kind": "applicant"}
        ),
        "problems-roles",
    ),
    ("identity not a mapping", _set(["identity"], "SOP"), "problems-identity"),
    ("unknown identity field", _set(["identity"], {"logo": "x.png"}), "problems-identity"),
    (
        "identity list of mappings",
        _set(["identity"], {"legal_basis": [{"uu": 23}]}),
        "problems-identity",
    ),
    ("identity text as a list", _set(["identity"], {"number": ["1", "2"]}), "problems-identity"),
    (
        "identity approver with unknown fields",
        _set(["identity"], {"approved_by": {"rank": "IV"}}),
        "problems-identity",
    ),
    ("source not a mapping", _set(["source"], "seed"), "problems-identity"),
    ("another flow", _set(["code"], "lain"), "problems-flow"),
]


@pytest.mark.parametrize(("rule", "edit", "box"), RULES, ids=[r[0] for r in RULES])
def test_every_rule_of_the_loader_shows_beside_its_step(world, rule, edit, box):
    """Each broken draft (saved as the form or an imported file would save it) shows the
    loader's own problems (the same function as ``layan sop validate``) in the officer's
    language, each in the box of its step or section, and cannot be published."""
    sop = editing.flow(world.office, "simple")
    draft = editing.open_draft(sop, world.admin)
    data = copy.deepcopy(draft.data)
    edit(data)
    editing.save_draft(sop, world.admin, data, revision=draft.revision)
    client = world.client(world.admin)
    html = client.get(edit_url()).content.decode()
    inspection = editing.inspect(SopDraft.objects.get(sop=sop))
    assert inspection.problems, f"{rule}: the draft should have a problem"
    shown = problems_in(html, box)
    expected = [p.translated() for p in inspection.problems]
    # the problem that this edit makes is beside its step (or in its section's box) ...
    assert set(shown) & set(expected), f"{rule}: {box} shows {shown}; problems {expected}"
    # ... every problem is shown somewhere on the page, once per place
    text = unescape(html)
    for message in expected:
        assert message in text
    # and the draft cannot be published
    publish = re.search(r'<button[^>]*id="publish-button"[^>]*>', html)
    assert publish is not None and "disabled" in publish.group(0)
    response = client.post(
        edit_url("flow_publish"), {"revision": inspection.draft.revision, "reason": "Uji"}
    )
    assert response.status_code == 302
    assert sop.versions.count() == 1


def test_the_rules_here_are_every_rule_of_the_loader():
    """Every message template the loader can produce is reached by a case above (the cases
    are checked against the loader's own list of templates)."""
    from layan.sop import definition

    tree = ast.parse(Path(definition.__file__).read_text(encoding="utf-8"))
    templates = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "N_":
            templates.add(ast.literal_eval(node.args[0]))
    # File-level problems that a draft, which is always a mapping read already, never has.
    templates -= {
        "cannot read the file: %(reason)s",
        "not valid YAML at line %(line)s: %(problem)s",
        "not valid YAML: %(problem)s",
        "the file must be a mapping with format, office, code, name, roles, steps",
    }
    reached = set()
    base = yaml.safe_load(_SIMPLE)
    for _rule, edit, _box in RULES:
        data = copy.deepcopy(base)
        edit(data)
        _definition, problems = check_data(data)
        reached |= {p.template for p in problems}
    # the office's own check (role_problems) needs the office: its case above reaches it
    office_rule = "role %(role)s is a %(kind)s role in this office, not %(declared)s"
    assert templates - reached - {office_rule} == set()


_SIMPLE = textwrap.dedent(ENTRY_SOP).format(office="alpha")


# --------------------------------------------------------------------------- publishing


def test_the_administrator_publishes_and_new_requests_take_the_new_version(world):
    old = make_request(world.office, files=False)
    client, html = open_editor(world)
    form = form_of(html)
    form["s-1-minutes"] = "20"
    client.post(edit_url("flow_save"), form)
    draft = SopDraft.objects.get(sop__office=world.office)
    response = client.post(
        edit_url("flow_publish"), {"revision": draft.revision, "reason": "Pemeriksaan lebih teliti"}
    )
    assert response.status_code == 302 and response["Location"] == edit_url("flow_versions")
    new = make_request(world.office, name="Baru", files=False)
    old.refresh_from_db()
    assert (old.sop_version.number, new.sop_version.number) == (1, 2)
    listing = client.get(edit_url("flow_versions")).content.decode()
    assert "Pemeriksaan lebih teliti" in listing and 'id="version-2"' in listing


def test_a_version_for_a_later_day_is_scheduled(world):
    client, html = open_editor(world)
    form = form_of(html)
    form["s-1-minutes"] = "20"
    client.post(edit_url("flow_save"), form)
    draft = SopDraft.objects.get(sop__office=world.office)
    day = (timezone.localdate(timezone=world.office.tz) + timedelta(days=5)).isoformat()
    client.post(
        edit_url("flow_publish"),
        {"revision": draft.revision, "reason": "Mulai bulan depan", "effective_on": day},
    )
    sop = editing.flow(world.office, "simple")
    assert sop.versions.count() == 2 and sop.current_version.number == 1
    assert make_request(world.office, files=False).sop_version.number == 1
    listing = client.get(edit_url("flow_versions")).content.decode()
    assert "flag" in listing and 'id="version-2"' in listing


def test_the_diff_page_shows_both_versions_side_by_side(world):
    sop = editing.flow(world.office, "simple")
    draft = editing.open_draft(sop, world.admin)
    data = copy.deepcopy(draft.data)
    data["steps"][1]["minutes"] = 20
    data["steps"][2]["actions"][0]["label"] = "Sesuai, teruskan ke Kadis"
    editing.save_draft(sop, world.admin, data, revision=draft.revision)
    editing.publish(sop, world.admin, revision=draft.revision + 1, reason="Uji")
    page = world.client(world.operator).get(edit_url("flow_diff") + "?a=1&b=2").content.decode()
    assert page.count('class="diff-cell diff-changed') == 4
    assert ">10<" in page and ">20<" in page
    assert "Sesuai, teruskan ke Kadis" in page


def test_export_and_import_through_the_console(world):
    sop = editing.flow(world.office, "simple")
    client = world.client(world.admin)
    exported = client.get(reverse("console:flow_version_yaml", args=["simple", 1]))
    assert exported["Content-Type"].startswith("application/yaml")
    text = exported.content.decode()
    data = yaml.safe_load(text)
    data["steps"][1]["minutes"] = 33
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "alur.yaml", yaml.safe_dump(data, allow_unicode=True).encode(), "application/yaml"
    )
    client.post(edit_url("flow_import"), {"file": upload})
    draft = SopDraft.objects.get(sop=sop)
    assert draft.data["steps"][1]["minutes"] == 33
    assert editing.inspect(draft).problems == []


def test_the_printable_sop_has_the_identity_page_and_a_pdf(world):
    client = world.client(world.operator)
    page = client.get(reverse("console:sop", args=["svc"])).content.decode()
    assert "sop-identity" in page and "sop-flow-table" in page
    pdf = client.get(reverse("console:sop_print", args=["svc"]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


# --------------------------------------------------------------------------- approval


def test_with_approval_the_head_of_office_approves_in_the_console(world, kadis):
    editing.set_approval(world.office, kadis, True)
    client, html = open_editor(world)
    form = form_of(html)
    form["s-1-minutes"] = "20"
    client.post(edit_url("flow_save"), form)
    draft = SopDraft.objects.get(sop__office=world.office)
    client.post(edit_url("flow_publish"), {"revision": draft.revision, "reason": "Butuh waktu"})
    sop = editing.flow(world.office, "simple")
    assert sop.versions.count() == 1
    boss = world.client(kadis)
    review = boss.get(edit_url()).content.decode()
    assert 'id="approve"' in review
    assert world.client(world.admin).post(edit_url("flow_approve"), {}).status_code == 403
    assert sop.versions.count() == 1  # the administrator is no second person
    boss.post(edit_url("flow_approve"), {"revision": SopDraft.objects.get(sop=sop).revision})
    version = sop.versions.order_by("-number").first()
    assert (version.number, version.approved_by) == (2, kadis)


# --------------------------------------------------------------------------- who may


EDITOR_PAGES = [
    ("get", "flow_edit"),
    ("post", "flow_save"),
    ("post", "flow_import"),
    ("get", "flow_draft_yaml"),
    ("post", "flow_publish"),
    ("post", "flow_discard"),
]


@pytest.mark.parametrize(("method", "name"), EDITOR_PAGES)
def test_officers_who_are_not_the_administrator_are_refused(world, method, name):
    response = getattr(world.client(world.operator), method)(edit_url(name))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("method", "name"), [*EDITOR_PAGES, ("get", "flow_versions"), ("get", "flow_diff")]
)
def test_another_offices_flow_is_not_found(world, method, name):
    editing.flow(world.other, "simple").__class__.objects.filter(office=world.other).update(
        code="beta-flow"
    )
    stranger_admin = staff(world.other, "admin", username="beta.admin2")
    response = getattr(world.client(stranger_admin), method)(edit_url(name, "simple"))
    assert response.status_code == 404


def test_the_other_offices_draft_is_never_shown(world):
    sop = editing.flow(world.office, "simple")
    draft = editing.open_draft(sop, world.admin)
    data = copy.deepcopy(draft.data)
    data["steps"][1]["activity"] = "Rahasia kantor alpha"
    editing.save_draft(sop, world.admin, data, revision=draft.revision)
    beta_admin = staff(world.other, "admin", username="beta.admin3")
    page = world.client(beta_admin).get(edit_url()).content.decode()
    assert "Rahasia kantor alpha" not in page


def test_the_change_log_is_for_the_administrator_and_the_head_of_office(world, kadis):
    assert world.client(world.operator).get(reverse("console:changes")).status_code == 403
    assert world.client(world.admin).get(reverse("console:changes")).status_code == 200
    assert world.client(kadis).get(reverse("console:changes")).status_code == 200


def test_with_htmx_a_publish_navigates_to_the_versions(world):
    client, html = open_editor(world)
    form = form_of(html)
    form["s-1-minutes"] = "20"
    client.post(edit_url("flow_save"), form)
    draft = SopDraft.objects.get(sop__office=world.office)
    response = client.post(
        edit_url("flow_publish"), {"revision": draft.revision, "reason": "Uji"}, **HTMX
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == edit_url("flow_versions")
