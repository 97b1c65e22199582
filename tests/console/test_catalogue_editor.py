"""The catalogue editor in the console: the administrator changes a service's requirements,
questions and fields and the bot's texts in a draft, sees its problems beside each row and what
publishing does to the requests under way, and publishes; who may open what."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from layan.offices.models import CatalogueDraft, ChangeLog
from tests.console.conftest import make_request

pytestmark = pytest.mark.django_db


def fields_of_form(html: str, form_id: str) -> dict[str, str]:
    start = html.index(f'id="{form_id}"')
    form = html[start : html.index("</form>", start)]
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


def service_url(name="catalogue_service", code="svc"):
    return reverse(f"console:{name}", args=[code])


def test_the_administrator_adds_a_requirement_and_publishes_it_for_new_requests(world):
    old = make_request(world.office, files=False)
    client = world.client(world.admin)
    page = client.get(service_url()).content.decode()
    assert 'id="service-form"' in page and "Foto KTP-el" in page
    form = fields_of_form(page, "service-form")
    client.post(service_url("catalogue_service_save"), {**form, "op": "add_requirement"})
    page = client.get(service_url()).content.decode()
    form = fields_of_form(page, "service-form")
    form["r-3-code"] = "surat_rt"
    form["r-3-label"] = "Surat pengantar RT"
    client.post(service_url("catalogue_service_save"), form)
    overview = client.get(reverse("console:catalogue")).content.decode()
    assert "impact-new_only" in overview and "Surat pengantar RT" in overview
    draft = CatalogueDraft.objects.get(office=world.office)
    response = client.post(
        reverse("console:catalogue_publish"),
        {"revision": draft.revision, "reason": "Tambah surat RT"},
    )
    assert response.status_code == 302
    requirement = world.office.services.get().requirements.get(code="surat_rt")
    assert requirement.applies_from is not None and old.created_at < requirement.applies_from
    assert ChangeLog.objects.filter(subject="catalogue", action="published").exists()


def test_a_problem_shows_beside_its_row_and_blocks_the_publish(world):
    client = world.client(world.admin)
    form = fields_of_form(client.get(service_url()).content.decode(), "service-form")
    form["r-0-label"] = ""
    client.post(service_url("catalogue_service_save"), form)
    page = client.get(service_url()).content.decode()
    block = page[page.index('id="requirement-0"') : page.index('id="requirement-1"')]
    assert "label is missing" in unescape(block)
    overview = client.get(reverse("console:catalogue")).content.decode()
    assert re.search(r'<button[^>]*id="catalogue-publish"[^>]*disabled', overview)


def test_removing_a_field_a_request_filled_is_refused_with_its_code(world):
    case = make_request(world.office, files=False)
    case.form_data = {**case.form_data, "nama_kepala": "Siti"}
    case.save(update_fields=["form_data"])
    client = world.client(world.admin)
    form = fields_of_form(client.get(service_url()).content.decode(), "service-form")
    client.post(service_url("catalogue_service_save"), {**form, "op": "remove_field:0"})
    overview = client.get(reverse("console:catalogue")).content.decode()
    assert "impact-refused" in overview and case.code in overview
    draft = CatalogueDraft.objects.get(office=world.office)
    client.post(reverse("console:catalogue_publish"), {"revision": draft.revision, "reason": "x"})
    assert world.office.services.get().fields[0]["code"] == "nama_kepala"


def test_the_bot_texts_page_saves_the_offices_wording(world):
    client = world.client(world.admin)
    page = client.get(reverse("console:catalogue_texts")).content.decode()
    form = fields_of_form(page, "texts-form")
    form["t-greeting-id"] = "Selamat datang di {office}."
    client.post(reverse("console:catalogue_texts_save"), form)
    draft = CatalogueDraft.objects.get(office=world.office)
    assert draft.data["texts"] == {"greeting": {"id": "Selamat datang di {office}."}}


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "catalogue", []),
        ("get", "catalogue_service", ["svc"]),
        ("post", "catalogue_service_save", ["svc"]),
        ("get", "catalogue_texts", []),
        ("post", "catalogue_publish", []),
    ],
)
def test_officers_who_are_not_the_administrator_are_refused(world, method, name, args):
    response = getattr(world.client(world.operator), method)(reverse(f"console:{name}", args=args))
    assert response.status_code == 403


def test_another_offices_service_is_not_found(world):
    world.other.services.update(code="beta-only")
    client = world.client(world.admin)
    assert client.get(service_url(code="beta-only")).status_code == 404
    assert client.post(service_url("catalogue_service_save", "beta-only"), {}).status_code == 404
