"""Counter and field intake in a real browser against a real ``layan demo`` (headless Chromium).

At 1366 px a counter officer of every seed office takes a walk-in request: picks the service,
types the applicant, answers the service's questions, photographs each requirement (two pages
for the first), takes the request and opens the receipt with its tracking code. At 360 px, on a
phone, the Motor Keliling field officer applies for a resident in a jorong with the resident's
own WhatsApp number: the resident is asked to agree, answers "Bukan saya", and the request is
flagged; the officer's "my visits today" lists the resident under the jorong.

Elements are found by ids, names and URLs, never by interface text (it is translated).
Screenshots land in ``artifacts/screenshots/intake-*.png``.
"""

from __future__ import annotations

import io
import re
import sqlite3

import pytest
from pypdf import PdfReader

from tests.console.browser_support import (
    LAPTOP,
    PHONE,
    SCREENSHOTS,
    Resident,
    accessibility_problems,
    horizontal_overflow,
    png,
    service_spec,
    sign_in,
    skip_without_browser,
    text_of,
    watched_page,
)

pytestmark = skip_without_browser

# A counter officer of each seed office and a service they take at the counter.
COUNTER = [
    ("waykanan", "waykanan.petugas_pelayanan_1", "ktp-el-penggantian"),
    ("balangan", "balangan.operator_layanan", "kk"),
    ("solok", "solok.operator_marawa", "kia"),
    ("keliling", "keliling.petugas_khusus", "kk"),
    ("metro", "metro.petugas_dukcapil", "dukcapil-siaga"),
]
KELILING_WA = "62753466353"  # the Motor Keliling office's number (phone_number_id)
FIELD_RESIDENT = "6281377700301"
JORONG = "Jorong Koto Tinggi, Nagari Simpang Tonang"
NIKS = {
    "waykanan": "1808014501150001",
    "balangan": "6311014506900001",
    "solok": "1371014506150001",
    "keliling": "1312014506900001",
    "metro": "1872014506900001",
}


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"intake-{name}.png"), full_page=True, caret="initial")


@pytest.fixture
def photos(tmp_path):
    """Two photographed pages, as a phone camera or a scanner would hand them to the form."""
    pages = []
    for index, colour in enumerate([(225, 236, 244), (240, 232, 220)]):
        path = tmp_path / f"halaman-{index + 1}.png"
        path.write_bytes(png(colour))
        pages.append(str(path))
    return pages


def fill_intake(page, office: str, service: str, photos: list[str], **extra) -> None:
    """The intake form of ``service``: the applicant, every question's first choice, the typed
    requirements, and a photo for every file requirement (both pages for the first)."""
    spec = service_spec(office, service)
    page.fill("#applicant_name", extra.get("name", "Siti Rahmawati"))
    page.fill("#applicant_nik", NIKS[office])
    if extra.get("phone"):
        page.fill("#applicant_phone", extra["phone"])
    if extra.get("place"):
        page.fill("#intake_place", extra["place"])
    for question in spec.get("questions") or []:
        if question.get("kind", "choice") == "choice":
            page.select_option(f"#q_{question['code']}", next(iter(question["choices"])))
    first_file = True
    for requirement in spec.get("requirements") or []:
        kind = requirement.get("kind", "photo")
        code = requirement["code"]
        if kind in ("photo", "document"):
            if page.locator(f"#file_{code}").count():
                page.set_input_files(f"#file_{code}", photos if first_file else photos[:1])
                first_file = False
        elif kind == "nik":
            page.fill(f"#r_{code}", NIKS[office])
        elif page.locator(f"#r_{code}").count():
            page.fill(f"#r_{code}", "Keterangan dari pemohon")


def take(page):
    """Submit the form; the tracking code of the request page it lands on."""
    with page.expect_navigation():
        page.click('#intake button[type="submit"]')
    found = re.search(r"/console/r/([A-Z0-9-]+)/$", page.url)
    assert found, f"the form did not lead to the new request: {page.url}"
    return found.group(1)


def test_a_counter_officer_of_every_office_takes_a_walk_in_request_at_1366(demo, browser, photos):
    problems: list[str] = []
    for office, username, service in COUNTER:
        watched = watched_page(browser, viewport=LAPTOP)
        page = watched.page
        try:
            sign_in(demo, watched, username)
            page.goto(demo.url("/console/"))
            with page.expect_navigation():
                page.click('a[href$="/console/new/"]')
            page.select_option("#service", service)
            page.check('#pick input[name="channel"][value="counter"]')
            with page.expect_navigation():
                page.click('#pick button[type="submit"]')
            # A phone or tablet at the desk opens its camera for each requirement.
            capture = page.eval_on_selector_all(
                '#intake input[type="file"]',
                "inputs => inputs.map(i => [i.getAttribute('capture'), i.multiple])",
            )
            assert capture and all(c == ["environment", True] for c in capture), capture
            fill_intake(page, office, service, photos, phone="0812 7700 0101")
            problems.extend(f"{office} form: {p}" for p in accessibility_problems(page))
            shot(page, f"counter-{office}-form-1366")
            code = take(page)
            assert code.startswith(service_spec(office, service)["prefix"] + "-"), code
            page.wait_for_selector("#checklist")
            shot(page, f"counter-{office}-request-1366")
            problems.extend(f"{office} request: {p}" for p in accessibility_problems(page))
            receipt = page.locator('a[href$="/receipt.pdf"]').get_attribute("href")
            answer = page.request.get(demo.url(receipt))
            assert answer.status == 200 and answer.body().startswith(b"%PDF"), answer.status
            text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.body())).pages)
            assert code in text, f"{office}: the receipt does not show {code}"
            files = demo_rows(demo, code)
            assert files and files[0] >= 2, f"{office}: pages stored per requirement {files}"
            problems.extend(f"{office}: {e}" for e in watched.errors)
        finally:
            watched.context.close()
    assert not problems, "\n- ".join(["", *problems])


def demo_rows(demo, code: str) -> list[int]:
    """How many files each requirement of request ``code`` holds (most first), from the demo's
    own database."""
    database = sqlite3.connect(
        f"file:{demo.data_dir / 'layan.sqlite3'}?mode=ro", uri=True, timeout=10
    )
    try:
        rows = database.execute(
            "SELECT count(*) FROM cases_attachment a JOIN cases_case c ON a.case_id = c.id"
            " WHERE c.code = ? GROUP BY a.requirement ORDER BY count(*) DESC",
            (code,),
        ).fetchall()
    finally:
        database.close()
    return [n for (n,) in rows]


def flags_of(demo, code: str) -> list[str]:
    database = sqlite3.connect(
        f"file:{demo.data_dir / 'layan.sqlite3'}?mode=ro", uri=True, timeout=10
    )
    try:
        rows = database.execute(
            "SELECT f.code FROM cases_caseflag f JOIN cases_case c ON f.case_id = c.id"
            " WHERE c.code = ?",
            (code,),
        ).fetchall()
    finally:
        database.close()
    return [kind for (kind,) in rows]


def test_the_field_officer_applies_for_a_resident_from_a_phone_at_360(demo, browser, photos):
    watched = watched_page(browser, viewport=PHONE, mobile=True)
    page = watched.page
    resident = Resident(demo, KELILING_WA, FIELD_RESIDENT, "Rosmaniar")
    try:
        sign_in(demo, watched, "keliling.petugas_khusus")
        page.goto(demo.url("/console/my-day/"))
        shot(page, "field-my-day-empty-360")
        with page.expect_navigation():
            page.click('main a[href*="/console/new/?channel=field"]')
        page.select_option("#service", "kk")
        page.check('#pick input[name="channel"][value="field"]')
        with page.expect_navigation():
            page.click('#pick button[type="submit"]')
        fill_intake(
            page, "keliling", "kk", photos, name="Rosmaniar", phone="0813 7770 0301", place=JORONG
        )
        assert horizontal_overflow(page) is None, horizontal_overflow(page)
        problems = [f"form: {p}" for p in accessibility_problems(page)]
        shot(page, "field-form-360")
        code = take(page)
        shot(page, "field-request-360")

        # The resident's own WhatsApp asks whether they agree; "Bukan saya" flags the request.

        ask = resident.wait_for(lambda item: code in text_of(item), what="the consent question")
        # Outside the 24-hour window it is the consent template: agree, or "not me" (second).
        agree, deny = ask["buttons"]
        resident.send({"type": "button", "text": deny["text"], "payload": deny["payload"]})
        deadline_flags = []
        for _ in range(50):
            deadline_flags = flags_of(demo, code)
            if "consent_denied" in deadline_flags:
                break
            page.wait_for_timeout(200)
        assert "consent_denied" in deadline_flags, deadline_flags

        page.goto(demo.url("/console/my-day/"))
        place = page.locator("main section.card", has=page.locator(f'a[href$="/r/{code}/"]'))
        assert place.count() == 1 and JORONG in place.locator("h2").inner_text()
        assert horizontal_overflow(page) is None, horizontal_overflow(page)
        problems += [f"my day: {p}" for p in accessibility_problems(page)]
        shot(page, "field-my-day-360")
        problems += watched.errors
        assert not problems, "\n- ".join(["", *problems])
    finally:
        resident.close()
        watched.context.close()
