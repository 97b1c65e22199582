"""The population registry in a real browser against a real ``layan demo`` (headless Chromium).

The demo's registry is given a Way Kanan family, a resident of Solok registered twice (and once
more in Way Kanan) and a suspected pair, and a KK baru and a Solok MARAWA request are taken, by a
``layan shell`` run on the demo's own database (the same services the console calls). Then, at
1366 px, the Way Kanan operator at the KK baru data-entry step types the family's KK number: the
member table fills from the registry and a field changed afterwards is marked. At 360 px, on a
phone, the Solok operator reads the Data Ganda card of the flagged request (his own regency's
record beside the request, Way Kanan's masked) and marks one finding "bukan duplikat". The
registry pages (search, a resident's history, the suspected pair, the access log) are opened at
both widths. Every page: no script or CSP error, no sideways scrolling, nothing axe-core finds.

Elements are found by ids, names, classes and URLs, never by interface text (it is translated).
Screenshots: ``artifacts/screenshots/registry-*.png``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.console.browser_support import (
    LAPTOP,
    PASSWORD,
    PHONE,
    ROOT,
    SCREENSHOTS,
    accessibility_problems,
    horizontal_overflow,
    sign_in,
    skip_without_browser,
    watched_page,
)
from tests.demo_process import running_demo

pytestmark = skip_without_browser

KK = "1808012001239901"  # a Way Kanan family (Blambangan Umpu) in the demo's registry
HEAD = "1808011203859901"
WIFE = "1808016507889902"
CHILD = "1808014501159903"
BUDI_A = "1302011708909901"  # Budi Santoso, registered in Solok …
BUDI_B = "1302011708909902"  # … and again, as Boedi Santoso
ELSEWHERE = "1808011708909903"  # and once more in Way Kanan

SEED = """
import json
from datetime import date

from django.contrib.auth import get_user_model
from django.utils import timezone

from layan.cases import services as engine
from layan.offices.models import Service
from layan.registry.backend import FamilyData, LocalRegistry, PersonData
from layan.registry.models import Resident, SuspectedDuplicate

P = {params}
registry = LocalRegistry()


def person(nik, name, sex, born, **more):
    return PersonData(nik=nik, name=name, sex=sex, birth_date=date.fromisoformat(born),
                      birth_place=more.pop("place", "Way Kanan"), religion="islam", **more)


registry.register_family(FamilyData(
    kk_number=P["KK"], head_nik=P["HEAD"], address="Jl. Merdeka No. 1, Dusun Sukamaju",
    rt="002", rw="005", village="Blambangan Umpu", members=(
        person(P["HEAD"], "BUDI SANTOSO", "L", "1985-03-12", relation="kepala",
               marital_status="kawin", mother_name="SITI AMINAH"),
        person(P["WIFE"], "SRI WAHYUNI", "P", "1988-07-25", relation="istri",
               marital_status="kawin", mother_name="SUMIATI"),
        person(P["CHILD"], "AYU LESTARI", "P", "2015-01-05", relation="anak",
               marital_status="belum_kawin", father_name="BUDI SANTOSO",
               mother_name="SRI WAHYUNI"),
    )), region="18.08")
for kk, nik, name, region in (
    ("1302010101209901", P["BUDI_A"], "BUDI SANTOSO", "13.02"),
    ("1302010101209902", P["BUDI_B"], "BOEDI SANTOSO", "13.02"),
    ("1808010101209903", P["ELSEWHERE"], "BUDI SANTOSO", "18.08"),
):
    registry.register_family(FamilyData(kk_number=kk, head_nik=nik, members=(
        person(nik, name, "L", "1990-08-17", place="Solok", mother_name="SITI AMINAH",
               relation="kepala"),
    )), region=region)
first, second = sorted(Resident.objects.filter(nik__in=[P["BUDI_A"], P["BUDI_B"]])
                       .values_list("pk", flat=True))
SuspectedDuplicate.objects.get_or_create(first_id=first, second_id=second, defaults=dict(
    rule="fuzzy_name_near_birth", score=0.96, level="warn", regions="13.02",
    found_at=timezone.now()))

kk_baru = Service.objects.get(office__code="waykanan", code="kk-baru")
family_request = engine.submit_case(
    service=kk_baru, actor=engine.Actor.applicant("Budi Santoso"),
    applicant_name="Budi Santoso", applicant_nik=P["HEAD"])
marawa = Service.objects.get(office__code="solok", code="ktp-el")
flagged = engine.submit_case(
    service=marawa, actor=engine.Actor.applicant("Boedi Santoso"),
    applicant_name="Boedi Santoso", applicant_nik=P["BUDI_B"])
print("SEEDED " + json.dumps({{
    "family_request": family_request.code, "flagged": flagged.code,
    "findings": flagged.findings.count(), "head": Resident.objects.get(nik=P["HEAD"]).pk,
    "pair": SuspectedDuplicate.objects.get(first_id=first, second_id=second).pk,
}}))
"""


def demo_environment(data_dir) -> dict[str, str]:
    """The environment of ``layan`` commands on the demo's own data (as ``running_demo``)."""
    env = {**os.environ, "LAYAN_DATA_DIR": str(data_dir), "LAYAN_TASK_BACKEND": "db",
           "LAYAN_DEMO_PASSWORD": PASSWORD, "DJANGO_SETTINGS_MODULE": "layan.settings"}  # fmt: skip
    for name in ("DATABASE_URL", "LAYAN_STANDIN", "WHATSAPP_GRAPH_URL", "LAYAN_PUBLIC_URL"):
        env.pop(name, None)
    return env


def layan(data_dir, *args: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "layan.cli", *args], env=demo_environment(data_dir), cwd=ROOT,
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A real ``layan demo`` whose data is loaded first (``--load-only``): its first load (the
    seed offices and four weeks of history) takes minutes on a busy machine, longer than a demo
    is given to answer; started again on loaded data it answers within seconds."""
    data_dir = tmp_path_factory.mktemp("registry-demo")
    loaded = layan(data_dir, "demo", "--load-only", timeout=900)
    assert loaded.returncode == 0, loaded.stderr[-4000:]
    with running_demo(data_dir, PASSWORD) as running:
        yield running


@pytest.fixture(scope="module")
def registry_data(demo):
    """The registry data and the two requests, written by ``layan shell`` into the demo's
    database (its own process; SQLite in WAL mode takes the second writer)."""
    params = {"KK": KK, "HEAD": HEAD, "WIFE": WIFE, "CHILD": CHILD, "BUDI_A": BUDI_A,
              "BUDI_B": BUDI_B, "ELSEWHERE": ELSEWHERE}  # fmt: skip
    done = layan(demo.data_dir, "shell", "-c", SEED.format(params=repr(params)), timeout=300)
    line = next((x for x in done.stdout.splitlines() if x.startswith("SEEDED ")), None)
    assert done.returncode == 0 and line, f"{done.stdout}\n{done.stderr}"
    data = json.loads(line.removeprefix("SEEDED "))
    assert data["findings"] >= 2, data
    return data


def shot(page, name: str) -> None:
    """``caret="initial"``: Playwright's caret hiding would leave ``style=""`` on inputs."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


def check_page(watched, label: str, problems: list[str]) -> None:
    page = watched.page
    page.wait_for_timeout(300)  # late console messages (CSP reports)
    problems.extend(f"{label}: {e}" for e in watched.errors if "favicon" not in e)
    watched.errors.clear()
    overflow = horizontal_overflow(page)
    if overflow:
        problems.append(f"{label}: scrolls sideways {overflow}")
    problems.extend(f"{label}: {p}" for p in accessibility_problems(page))


def test_the_kk_member_table_fills_from_the_registry_and_a_changed_field_is_marked(
    demo, browser, registry_data
):
    from playwright.sync_api import expect

    problems: list[str] = []
    watched = watched_page(browser, viewport=LAPTOP)
    page = watched.page
    try:
        sign_in(demo, watched, "waykanan.operator_siak")
        page.goto(demo.url(f"/console/r/{registry_data['family_request']}/"))
        expect(page.locator("#registry-lookup")).to_be_visible()
        page.select_option("#lookup-by", "kk")
        page.fill("#lookup-number", KK)
        page.click("#registry-lookup-form button[type=submit]")
        # the family's three members fill the table (its empty first row, then two new rows)
        expect(page.locator('input[name="anggota-2-nik"]')).to_have_value(CHILD)
        expect(page.locator('input[name="anggota-0-nik"]')).to_have_value(HEAD)
        expect(page.locator('input[name="anggota-1-nama"]')).to_have_value("SRI WAHYUNI")
        expect(page.locator('select[name="anggota-1-jenis_kelamin"]')).to_have_value("P")
        expect(page.locator('select[name="anggota-0-hubungan"]')).to_have_value("kepala")
        expect(page.locator('input[name="anggota-rows"]')).to_have_value("3")
        expect(page.locator("#f-nomor_kk")).to_have_value(KK)
        expect(page.locator("#f-rt_rw")).to_have_value("002/005")
        expect(page.locator("#registry-lookup-status")).not_to_be_empty()
        assert page.locator(".differs-registry").count() == 0  # nothing differs yet
        # the officer corrects a name: the cell is marked, with words, not by colour alone
        page.fill('input[name="anggota-1-nama"]', "SRI WAHYUNINGSIH")
        cell = page.locator('td:has(input[name="anggota-1-nama"])')
        expect(cell).to_have_class("differs-registry")
        expect(cell.locator(".registry-mark")).to_contain_text("SRI WAHYUNI")
        page.fill("#f-alamat", "Jl. Merdeka No. 10")
        expect(page.locator(".field:has(#f-alamat) .registry-mark")).to_be_visible()
        page.locator("#data").scroll_into_view_if_needed()
        check_page(watched, "prefill @ 1366px", problems)
        shot(page, "registry-prefill")
        # typed back as the registry has it, the mark goes away
        page.fill('input[name="anggota-1-nama"]', "Sri Wahyuni")
        expect(cell.locator(".registry-mark")).to_have_count(0)
        # saving keeps the filled rows (the registry's values were only typed in)
        with page.expect_navigation():
            page.click("form.data-form button.primary")
        expect(page.locator('input[name="anggota-2-nik"]')).to_have_value(CHILD)
    finally:
        watched.context.close()
    assert not problems, "\n- ".join(["", *problems])


def test_the_data_ganda_card_on_a_phone_and_the_registry_pages(demo, browser, registry_data):
    from playwright.sync_api import expect

    problems: list[str] = []
    watched = watched_page(browser, viewport=PHONE, mobile=True)
    page = watched.page
    try:
        sign_in(demo, watched, "solok.operator_marawa")
        page.goto(demo.url(f"/console/r/{registry_data['flagged']}/"))
        card = page.locator("#data-ganda")
        expect(card).to_be_visible()
        expect(card.locator("article.finding")).to_have_count(registry_data["findings"])
        expect(card).to_contain_text(BUDI_A)  # Solok's own record, in full
        expect(card).not_to_contain_text(ELSEWHERE)  # Way Kanan's, masked …
        expect(card).to_contain_text(ELSEWHERE[:4] + "••••••••" + ELSEWHERE[12:])
        expect(card.locator(".elsewhere")).to_have_count(1)  # … and resolved there
        expect(card.locator("tr.differs .diff-mark").first).to_be_visible()
        expect(page.locator("#kesesuaian")).to_be_visible()  # step 3 checks against SIAK
        check_page(watched, "data ganda @ 360px", problems)
        card.scroll_into_view_if_needed()
        shot(page, "registry-data-ganda-360")
        # the Way Kanan record is another person: "bukan duplikat", with the reason
        masked = card.locator("article.finding:has(.elsewhere)")
        masked.locator("textarea[name=reason]").fill("Orang berbeda, ibu kandung berbeda")
        with page.expect_navigation():
            masked.locator("form.decide button[type=submit]").click()
        expect(page.locator("#data-ganda .state-not_duplicate")).to_have_count(1)
        expect(page.locator("#data-ganda")).to_contain_text("Orang berbeda, ibu kandung berbeda")
    finally:
        watched.context.close()

    pages = [
        ("waykanan.operator_siak", "registry-search", f"/console/registry/?kk={KK}"),
        ("waykanan.operator_siak", "registry-resident",
         f"/console/registry/resident/{registry_data['head']}/"),
        ("solok.admin_database", "registry-suspects", "/console/registry/suspects/"),
        ("solok.admin_database", "registry-pair",
         f"/console/registry/suspects/{registry_data['pair']}/"),
        ("waykanan.admin", "registry-access-log", "/console/access-log/#registry-log"),
    ]  # fmt: skip
    for viewport in (PHONE, LAPTOP):
        width = viewport["width"]
        for username, name, path in pages:
            watched = watched_page(browser, viewport=viewport, mobile=viewport is PHONE)
            try:
                sign_in(demo, watched, username)
                response = watched.page.goto(demo.url(path))
                label = f"{name} @ {width}px"
                if response is None or response.status >= 400:
                    problems.append(f"{label}: HTTP {response.status if response else '-'}")
                    continue
                check_page(watched, label, problems)
                shot(watched.page, f"{name}-{width}")
            finally:
                watched.context.close()
    assert not problems, "\n- ".join(["", *problems])
