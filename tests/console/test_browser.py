"""The staff console in a real browser against a real ``layan demo`` (headless Chromium).

A resident applies for a Kartu Keluarga on the phone simulator; the operator finds it, looks at a
photo, sends one requirement back with a reason, gets it again, types the KK data and passes the
request on; the Kasi and the Kabid approve it. Then every console page is opened on a phone
(360 px) and on a laptop (1366 px): no script error, no console error (CSP violations included),
no horizontal scrolling, no accessibility violation axe-core finds.

Skipped when Debian's Chromium is not installed (``apt-get install chromium``); Playwright's own
browser downloads are never used. Screenshots land in ``artifacts/screenshots/console-*.png``.

Elements are found by ids, names, values, URLs and ``data-*`` attributes, never by interface
text (it is translated): visible text is only matched when it is data (a tracking code, an SOP
activity, the reason the officer typed).
"""

from __future__ import annotations

import re
import time

import yaml

from tests.console.browser_support import (
    LAPTOP,
    PHONE,
    ROOT,
    SCREENSHOTS,
    Resident,
    accessibility_problems,
    apply_for,
    horizontal_overflow,
    service_spec,
    sign_in,
    skip_without_browser,
    text_of,
    watched_page,
)
from tests.demo_process import Demo

pytestmark = skip_without_browser

WAYKANAN_KK = "628117961500"  # Way Kanan's "Layanan KK & Pindah" number
RESIDENT_WA_ID = "6281277700101"
HELP_WA_ID = "6281277700102"
NIK = "1808014501150001"  # Way Kanan region, 5 January 2015, a girl (day + 40)
HEAD_NIK = "1808011203850002"  # 12 March 1985, a man
WIFE_NIK = "1808016507880003"  # 25 July 1988, a woman
REASON = "Foto KK lama buram, mohon kirim ulang yang jelas"
SOP = ROOT / "layan" / "sop" / "presets" / "waykanan-kk-baru.yaml"
ICON_URL = """() => {
    const link = document.querySelector('link[rel~="icon"]');
    return link ? link.href : new URL('/favicon.ico', location.href).href;
}"""
QUEUE_SLUGS = re.compile(r"/console/queue/([a-z0-9-]+)/")


def shot(page, name: str) -> None:
    """A full-page screenshot into artifacts/screenshots/console-<name>.png.

    ``caret="initial"``: Playwright's caret hiding leaves ``style=""`` on inputs, which htmx
    would then copy onto swapped-in content and the CSP would (rightly) refuse.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True, caret="initial")


def sop_step(number: int) -> dict:
    data = yaml.safe_load(SOP.read_text(encoding="utf-8"))
    return next(s for s in data["steps"] if s["number"] == number)


def step_activity(number: int) -> str:
    return sop_step(number)["activity"]


def step_notice(number: int) -> str:
    """What the applicant is told on entering the step (data of the SOP)."""
    return sop_step(number)["applicant"]["text"]


def open_request(watched, demo: Demo, code: str) -> None:
    """From the queue, search the tracking code and open the request (as an officer would)."""
    from playwright.sync_api import expect

    page = watched.page
    page.goto(demo.url("/console/"))
    page.fill("input#q", code)
    link = page.locator(f'#rows a[href$="/console/r/{code}/"]')
    expect(link).to_have_count(1, timeout=15_000)
    link.click()
    page.wait_for_url(f"**/console/r/{code}/")


def status_badge(page):
    return page.locator(".case-head h1 .status")


def fill_data_form(page, fields: list[dict], rows: list[dict]) -> None:
    """Type every data-entry field of the service, the table rows from ``rows``."""
    samples = {
        "nomor_kk": "1808012001230004",
        "nama_kepala_keluarga": "Budi Santoso",
        "alamat": "Jl. Merdeka No. 1, Dusun Sukamaju",
        "rt_rw": "002/005",
        "desa_kelurahan": "Blambangan Umpu",
        "kecamatan": "Blambangan Umpu",
        "kode_pos": "34764",
    }
    for spec in fields:
        kind = spec.get("kind", "text")
        if kind == "table":
            for index, row in enumerate(rows):
                for column in spec["columns"]:
                    name = f"{spec['code']}-{index}-{column['code']}"
                    value = row[column["code"]]
                    if column.get("kind") == "choice":
                        page.select_option(f'select[name="{name}"]', value)
                    else:
                        page.fill(f'input[name="{name}"]', value)
        elif spec["code"] in samples:
            page.fill(f"#f-{spec['code']}", samples[spec["code"]])
        elif kind == "nik":
            continue  # pre-filled from the resident's answer (checked by the caller)
        else:
            raise AssertionError(f"no sample value for the field {spec['code']!r}")


def member(name: str, nik: str, sex: str, born: str, relation: str, status: str) -> dict:
    return {
        "nama": name,
        "nik": nik,
        "jenis_kelamin": sex,
        "tempat_lahir": "Way Kanan",
        "tanggal_lahir": born,
        "agama": "islam",
        "pendidikan": "slta",
        "pekerjaan": "Petani",
        "status_perkawinan": status,
        "hubungan": relation,
        "nama_ayah": "Slamet",
        "nama_ibu": "Sumiati",
    }


def test_kk_request_goes_from_whatsapp_through_operator_check_and_data_entry_to_the_kadis(
    demo, browser
):
    """The issue's browser path: WhatsApp application → operator claims, views a photo, sends a
    requirement back with a reason (the resident is told, sends it again, the request resumes),
    accepts the requirements, types the KK data (a wrong NIK is refused without losing what was
    typed) and completes the step → Kasi approves → Kabid approves → the request is at step 5."""
    from playwright.sync_api import expect

    # Problems of the console found on the way; the walk goes on and they fail the test at the end.
    problems: list[str] = []
    resident = Resident(demo, WAYKANAN_KK, RESIDENT_WA_ID, "Rina Wulandari")
    spec = service_spec("waykanan", "kk-baru")
    try:
        code = apply_for(resident, "waykanan", "kk-baru", NIK)
        assert code.startswith("KK-")

        # ---- the operator (Operator SIAK, step 2) finds and claims the request
        operator = watched_page(browser, viewport=LAPTOP)
        page = operator.page
        sign_in(demo, operator, "waykanan.operator_siak")
        expect(page.locator('form[action$="/console/claim-next/"]')).to_be_visible()
        shot(page, "flow-01-operator-queue-1366")
        open_request(operator, demo, code)
        page.locator('form[action$="/claim/"] button[type=submit]').click()
        page.wait_for_url(f"**/console/r/{code}/")
        expect(page.locator('form[action$="/release/"]')).to_be_visible()  # held by me
        expect(status_badge(page)).to_be_visible()
        applicable = page.eval_on_selector_all(
            "#checklist li.req:not(.not-applicable)", "items => items.map(item => item.id)"
        )
        files = [r["code"] for r in spec["requirements"] if r.get("kind", "photo") == "photo"]
        for requirement in ("formulir_biodata", "formulir_peristiwa", "kk_lama", "buku_nikah"):
            assert f"req-{requirement}" in applicable, applicable
            assert requirement in files
            expect(page.locator(f"#req-{requirement} a[data-viewer^='image/']")).to_have_count(1)
        shot(page, "flow-02-request-claimed-1366")

        # ---- one photo in the viewer: zoom, rotate, close
        page.locator("#req-kk_lama a[data-viewer^='image/']").first.click()
        viewer = page.locator("dialog.viewer")
        expect(viewer).to_be_visible()
        image = viewer.locator(".viewer-stage img")
        expect(image).to_be_visible()
        page.wait_for_function(
            "() => { const i = document.querySelector('dialog.viewer img');"
            " return i && i.complete && i.naturalWidth > 0; }"
        )
        buttons = viewer.locator(".viewer-bar button")  # zoom out, zoom in, rotate, 1:1, close
        expect(buttons).to_have_count(5)
        buttons.nth(1).click()
        buttons.nth(2).click()
        transform = image.evaluate("img => img.style.transform")
        assert "scale(1.25)" in transform and "rotate(90deg)" in transform, transform
        page.wait_for_timeout(250)  # the transition
        page.screenshot(path=str(SCREENSHOTS / "console-flow-03-viewer-1366.png"), caret="initial")
        buttons.nth(4).click()
        expect(page.locator("dialog.viewer")).to_have_count(0)

        # ---- reject the old KK with a reason and send it back to the applicant
        row = page.locator("#req-kk_lama")
        row.locator("input[name=reason]").fill(REASON)
        row.locator("button[name=verdict][value=rejected]").click()
        expect(page.locator("#req-kk_lama.verdict-rejected")).to_have_count(1)
        expect(page.locator("#req-kk_lama")).to_contain_text(REASON)
        send_back = page.locator('form[action$="/send-back/"]')
        expect(send_back).to_be_visible()
        shot(page, "flow-04-rejected-1366")
        send_back.locator("button[type=submit]").click()
        page.wait_for_url(f"**/console/r/{code}/**")
        expect(status_badge(page)).to_have_class(re.compile(r"\bstatus-waiting_applicant\b"))
        shot(page, "flow-05-waiting-for-applicant-1366")
        notice = resident.wait_for(
            lambda item: REASON in text_of(item), what="the notice naming the reason"
        )
        assert code in text_of(notice)

        # ---- the resident sends a new picture; the request resumes by itself
        resident.sends_photo()
        if resident.state().get("flow") == "docs":
            resident.taps("f:next")
        deadline = time.monotonic() + 30
        while True:
            page.reload()
            classes = status_badge(page).get_attribute("class") or ""
            if "status-waiting_applicant" not in classes:
                break
            assert time.monotonic() < deadline, "the request did not resume within 30 s"
            time.sleep(1)
        expect(page.locator("#req-kk_lama a[data-viewer^='image/']")).to_have_count(2)

        # ---- accept every requirement that applies (each check swaps the checklist by htmx)
        for item in applicable:
            page.locator(f"#{item} button[name=verdict][value=accepted]").click()
            expect(page.locator(f"#{item}.verdict-accepted")).to_have_count(1)
        expect(page.locator('form[action$="/send-back/"]')).to_have_count(0)
        shot(page, "flow-06-all-accepted-1366")

        # ---- the data-entry form: a wrong NIK is refused, nothing typed is lost
        form = page.locator("form.data-form")
        expect(form).to_be_visible()
        nik_field = page.locator("#f-nik_kepala_keluarga")
        expect(nik_field).to_have_value(NIK)  # pre-filled from the WhatsApp answer
        fields = spec["fields"]
        head = member("Budi Santoso", "12345", "L", "1985-03-12", "kepala", "kawin")
        fill_data_form(page, fields, [head])
        save = form.locator("button[type=submit]:not([name])")
        save.click()
        page.wait_for_load_state()
        if page.locator(".data-form .field.has-error").count() == 0:
            message = (
                page.locator(".messages").inner_text() if page.locator(".messages").count() else ""
            )
            problems.append(
                "Saving the data-entry form right after accepting the requirements is refused as "
                "a conflict (“changed by someone else, reload”) instead of checking the fields: "
                "each htmx check bumps the request's version, but the check view "
                "(layan/console/views/cases.py, check) re-renders only #checklist, so the hidden "
                "`version` of form.data-form (_data_form.html:2) and of the action forms "
                f"(_actions.html:15) is stale. Message shown: {message!r}"
            )
            save = page.locator("form.data-form button[type=submit]:not([name])")
            save.click()  # the officer's retry: the re-rendered form carries the fresh version
            page.wait_for_load_state()
        errors = page.locator(".data-form .field.has-error")
        expect(errors).to_have_count(1)
        expect(errors.locator('input[name="anggota-0-nik"]')).to_have_count(1)
        expect(page.locator('input[name="anggota-0-nik"]')).to_have_value("12345")
        expect(page.locator('input[name="anggota-0-nama"]')).to_have_value("Budi Santoso")
        expect(page.locator('select[name="anggota-0-hubungan"]')).to_have_value("kepala")
        expect(page.locator("#f-alamat")).to_have_value("Jl. Merdeka No. 1, Dusun Sukamaju")
        shot(page, "flow-07-data-error-1366")

        # "+ add a row", then the whole family, right this time
        page.locator('button[name="add_row"][value="anggota"]').click()
        page.wait_for_load_state()
        expect(page.locator('input[name="anggota-1-nama"]')).to_be_visible()
        expect(page.locator('input[name="anggota-0-nama"]')).to_have_value("Budi Santoso")
        head["nik"] = HEAD_NIK
        wife = member("Rina Wulandari", WIFE_NIK, "P", "1988-07-25", "istri", "kawin")
        fill_data_form(page, fields, [head, wife])
        page.locator("form.data-form button[type=submit]:not([name])").click()
        page.wait_for_url(f"**/console/r/{code}/**")
        expect(page.locator(".data-form .field.has-error")).to_have_count(0)
        expect(page.locator("#f-nomor_kk")).to_have_value("1808012001230004")
        expect(page.locator('input[name="anggota-1-nik"]')).to_have_value(WIFE_NIK)
        shot(page, "flow-08-data-saved-1366")

        # ---- the step's complete action ("Data sudah diinput, teruskan ke Kasi")
        complete = page.locator('form[action*="/act/complete/"]')
        expect(complete).to_have_count(1)
        expect(complete.locator("button[type=submit]")).to_have_text(
            "Data sudah diinput, teruskan ke Kasi"
        )
        complete.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(r"/console/(\?.*)?$"))
        expect(page.locator(".messages .msg-success")).to_contain_text(code)
        problems += [f"operator page: {e}" for e in operator.errors if not expected_error(e)]
        operator.context.close()

        # ---- Kasi (step 3), then Kabid (step 4) approve
        for number, username in ((3, "waykanan.kasi"), (4, "waykanan.kabid")):
            officer = watched_page(browser, viewport=LAPTOP)
            page = officer.page
            sign_in(demo, officer, username)
            shot(page, f"flow-{number + 6:02d}-{username.split('.')[1]}-queue-1366")
            open_request(officer, demo, code)
            expect(page.locator(".step-now")).to_contain_text(step_activity(number))
            approve = page.locator('form[action*="/act/approve/"]')
            expect(approve).to_have_count(1)
            shot(page, f"flow-{number + 6:02d}-{username.split('.')[1]}-request-1366")
            approve.locator("button[type=submit]").click()
            page.wait_for_url(re.compile(r"/console/(\?.*)?$"))
            expect(page.locator(".messages .msg-success")).to_contain_text(code)
            if number == 4:
                page.goto(demo.url(f"/console/r/{code}/"))
                expect(page.locator(".step-now")).to_contain_text(step_activity(5))
                expect(page.locator('form[action*="/act/"]')).to_have_count(0)  # the Kadis's
                shot(page, "flow-11-at-kadis-1366")
            problems += [f"{username}: {e}" for e in officer.errors if not expected_error(e)]
            officer.context.close()

        # the resident is told that the request now waits for the Kadis's signature
        told = step_notice(5)
        resident.wait_for(lambda item: told in text_of(item), what=f"the notice {told!r}")
    finally:
        resident.close()
    assert not problems, "Console problems on the way:\n- " + "\n- ".join(problems)


def is_favicon(error: str) -> bool:
    """The browser's own request for /favicon.ico."""
    return "/favicon.ico" in error


def expected_error(error: str) -> bool:
    """Console lines of the walk that are not the console's fault: the favicon (reported by the
    page sweep) and Chromium's note on the data form answered with 422 (its fields have errors,
    on purpose)."""
    return is_favicon(error) or ("status of 422" in error and "/data/" in error)


def test_every_console_page_fits_a_phone_and_a_laptop_without_errors(demo, browser):
    """Each console page at 360×740 and 1366×900: HTTP < 400, no uncaught error, no console
    error (Content-Security-Policy violations included), no horizontal page scroll, and nothing
    axe-core finds (WCAG 2.1 A/AA and best practice: contrast, headings, labels, landmarks)."""
    # Someone waiting for an officer, so that the inbox has a conversation to open.
    resident = Resident(demo, WAYKANAN_KK, HELP_WA_ID, "Ahmad Fauzi")
    try:
        resident.says("halo")
        resident.taps("menu:human")
    finally:
        resident.close()

    problems: list[str] = []
    pages_seen: list[str] = []
    iconless: list[str] = []
    icon_status: dict[str, int] = {}

    def visit(watched, name: str, url: str, width: int) -> None:
        page = watched.page
        watched.errors.clear()
        response = page.goto(url, wait_until="load")
        page.wait_for_timeout(300)  # late console messages (favicon, CSP reports)
        label = f"{name} @ {width}px ({url.removeprefix(demo.base)})"
        pages_seen.append(label)
        if response is None or response.status >= 400:
            problems.append(f"{label}: HTTP {response.status if response else 'no response'}")
        # Chromium asks for the page's icon once per browser (so its 404 shows in the console of
        # whichever page came first): ask for it here, for every page.
        icon = page.evaluate(ICON_URL)
        answer = None if icon.startswith("data:") else page.request.get(icon)
        if answer is not None and answer.status >= 400:
            iconless.append(f"{name} @ {width}px")
            icon_status[icon.removeprefix(demo.base)] = answer.status
        problems.extend(f"{label}: {e}" for e in watched.errors if not is_favicon(e))
        overflow = horizontal_overflow(page)
        if overflow:
            problems.append(
                f"{label}: scrolls sideways (scrollWidth {overflow['scrollWidth']} > "
                f"{overflow['innerWidth']}); too wide: {overflow['culprits']}"
            )
        problems.extend(f"{label}: {p}" for p in accessibility_problems(page))
        shot(page, f"{name}-{width}")

    for viewport in (PHONE, LAPTOP):
        width = viewport["width"]
        mobile = viewport is PHONE

        anonymous = watched_page(browser, viewport=viewport, mobile=mobile)
        visit(anonymous, "sign-in", demo.url("/console/login/"), width)
        anonymous.context.close()

        operator = watched_page(browser, viewport=viewport, mobile=mobile)
        sign_in(demo, operator, "waykanan.operator_siak")
        page = operator.page
        visit(operator, "queue", demo.url("/console/"), width)
        tabs = page.eval_on_selector_all("nav.tabs a", "links => links.map(a => a.href)")
        assert len(tabs) >= 5, tabs
        for href in tabs:
            visit(operator, f"queue-{QUEUE_SLUGS.search(href).group(1)}", href, width)
        # a request at the data-entry step (the widest page: the family table)
        page.goto(demo.url("/console/queue/todo/"))
        first = page.locator('#rows a[href*="/console/r/"]').first
        request_url = first.get_attribute("href")
        visit(operator, "request", demo.url(request_url), width)
        visit(operator, "inbox", demo.url("/console/inbox/"), width)
        conversation = page.locator('ul.inbox a[href*="/console/inbox/"]')
        if conversation.count():
            visit(
                operator, "conversation", demo.url(conversation.first.get_attribute("href")), width
            )
        else:
            problems.append("inbox: the resident who asked for an officer is not listed")
        visit(operator, "new-request", demo.url("/console/new/?service=kk-baru"), width)
        visit(operator, "my-day", demo.url("/console/my-day/"), width)
        visit(operator, "visits", demo.url("/console/visits/"), width)
        visit(operator, "sop-list", demo.url("/console/sop/"), width)
        sop_link = page.locator('main a[href*="/console/sop/"]').first.get_attribute("href")
        visit(operator, "sop", demo.url(sop_link), width)
        visit(operator, "registry", demo.url(f"/console/registry/?nik={HEAD_NIK}"), width)
        operator.context.close()

        supervisor = watched_page(browser, viewport=viewport, mobile=mobile)
        sign_in(demo, supervisor, "waykanan.supervisor")
        visit(supervisor, "supervisor", demo.url("/console/supervisor/"), width)
        visit(supervisor, "reports", demo.url("/console/reports/"), width)
        supervisor.context.close()

        admin = watched_page(browser, viewport=viewport, mobile=mobile)
        sign_in(demo, admin, "waykanan.admin")
        visit(admin, "access-log", demo.url("/console/access-log/"), width)
        visit(admin, "registry-suspects", demo.url("/console/registry/suspects/"), width)
        admin.context.close()

    assert len(pages_seen) >= 2 * 20, pages_seen
    if iconless:
        problems.append(
            f"{len(iconless)} of {len(pages_seen)} page views name no icon and the browser's "
            f"request for it fails ({icon_status}), a console error on the first page a browser "
            f"opens: {', '.join(iconless[:4])}, …"
        )
    assert not problems, (
        f"{len(problems)} problem(s) on {len(pages_seen)} page views "
        f"(screenshots in {SCREENSHOTS.relative_to(ROOT)}):\n- " + "\n- ".join(problems)
    )
