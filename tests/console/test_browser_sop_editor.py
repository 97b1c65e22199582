"""The SOP editor in a real browser against a real ``layan demo`` (Debian's Chromium, 1366 px).

The Way Kanan office administrator changes the KIA baru SOP as the issue walks it through: adds
the Kabid as a role and a step after the Kasi's that returns one level down, changes the Kasi's
standard minutes and sees the preview follow, makes a mistake (a return to a later step), sees
the problem beside its step and the publish button off, fixes it and publishes with a reason.
Then the versions, the side-by-side diff and the printable SOP with the seed's identity block;
a new KIA request taken at the counter runs version 2 while the demo's older one stays on 1.

Elements are found by ids, names and URLs, never by interface text (it is translated).
Screenshots land in ``artifacts/screenshots/sop-editor-*.png``.
"""

from __future__ import annotations

import io
import sqlite3

from pypdf import PdfReader

from tests.console.browser_support import (
    LAPTOP,
    SCREENSHOTS,
    accessibility_problems,
    horizontal_overflow,
    png,
    sign_in,
    skip_without_browser,
    watched_page,
)

pytestmark = skip_without_browser

EDIT = "/console/flow/kia-baru/edit/"
NEW_STEP = "Verifikasi akhir oleh Kabid sebelum KIA dicetak"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"sop-editor-{name}.png"), full_page=False)


def settle(page) -> None:
    """Let the editor's saves as you type run (their delay) and answer (a queued one too)."""
    for _round in range(2):
        page.wait_for_timeout(900)
        page.wait_for_function("() => !document.querySelector('.htmx-request')")


def query(demo, sql: str, *args):
    database = sqlite3.connect(
        f"file:{demo.data_dir / 'layan.sqlite3'}?mode=ro", uri=True, timeout=10
    )
    try:
        return database.execute(sql, args).fetchall()
    finally:
        database.close()


def kia_versions(demo) -> dict[str, int]:
    rows = query(
        demo,
        "SELECT c.code, v.number FROM cases_case c JOIN sop_sopversion v ON c.sop_version_id = v.id"
        " JOIN offices_service s ON c.service_id = s.id JOIN offices_office o ON s.office_id = o.id"
        " WHERE o.code = 'waykanan' AND s.code = 'kia-baru'",
    )
    return dict(rows)


def test_the_administrator_changes_kia_baru_previews_fixes_and_publishes(demo, browser, tmp_path):
    before = kia_versions(demo)
    assert before and set(before.values()) == {1}, before  # the demo's sample KIA request
    watched = watched_page(browser, viewport=LAPTOP)
    page = watched.page
    problems: list[str] = []
    try:
        sign_in(demo, watched, "waykanan.admin")
        page.goto(demo.url(EDIT))
        page.wait_for_selector("#sop-form")
        shot(page, "open-1366")
        problems += [f"editor: {p}" for p in accessibility_problems(page)]

        # The Kabid becomes a swimlane of this flow.
        page.click("#add-role")
        page.wait_for_selector("#r-4-code")
        page.fill("#r-4-code", "kabid")
        page.fill("#r-4-label", "KABID")
        settle(page)

        # A step after the Kasi's (step 3): the Kabid's check, returning to the Kasi.
        page.click("#add-after-2")
        page.wait_for_function(
            "() => document.querySelectorAll('#steps-section .step-card').length == 6"
        )
        page.fill("#s-3-activity", NEW_STEP)
        page.select_option("#s-3-role", "kabid")
        page.fill("#s-3-minutes", "5")
        page.select_option("#s-3-a-0-kind", "approve")
        page.fill("#s-3-a-0-label", "Sesuai, cetak KIA")
        page.select_option("#s-3-new_action", "return")
        page.click('#step-3 button[value="add_action:s:3"]')
        page.wait_for_selector("#s-3-a-1-to")
        page.fill("#s-3-a-1-label", "Tidak sesuai, kembalikan ke Kasi")
        page.select_option("#s-3-a-1-to", "3")
        settle(page)
        assert NEW_STEP in page.inner_text("#preview")
        assert page.locator('#preview svg .sop-step[data-step="6"]').count() == 1

        # The Kasi's minutes: the preview follows as the administrator types.
        total_before = page.inner_text("#preview .sop-total .sop-time")
        page.fill("#s-2-minutes", "8")
        settle(page)
        total_after = page.inner_text("#preview .sop-total .sop-time")
        assert (total_before, total_after) == ("34", "32"), (total_before, total_after)

        # A mistake: the Kabid "returns" to a later step. It shows beside step 4; no publishing.
        page.select_option("#s-3-a-1-to", "5")
        settle(page)
        problem = page.inner_text("#problems-step-3")
        assert "5" in problem, problem
        assert page.is_disabled("#publish-button")
        page.locator("#step-3").scroll_into_view_if_needed()
        shot(page, "problem-beside-its-step-1366")

        # Fixed: back to the Kasi, one level down.
        page.select_option("#s-3-a-1-to", "3")
        settle(page)
        assert page.inner_text("#problems-step-3").strip() == ""
        assert page.is_enabled("#publish-button")
        page.locator("#preview").scroll_into_view_if_needed()
        shot(page, "preview-1366")
        assert horizontal_overflow(page) is None, horizontal_overflow(page)

        page.fill("#publish-reason", "Verifikasi akhir oleh Kabid sebelum KIA dicetak")
        with page.expect_navigation():
            page.click("#publish-button")
        said = page.locator(".messages").all_inner_texts()
        assert page.url.endswith("/console/flow/kia-baru/versions/"), (page.url, said)
        page.wait_for_selector("#version-2")
        shot(page, "versions-1366")
        problems += [f"versions: {p}" for p in accessibility_problems(page)]

        page.goto(demo.url("/console/flow/kia-baru/diff/?a=1&b=2"))
        page.wait_for_selector("#diff-steps")
        assert page.locator('.diff-cell[data-status="added"]').count() == 1
        shot(page, "diff-1366")
        problems += [f"diff: {p}" for p in accessibility_problems(page)]

        page.goto(demo.url("/console/sop/kia-baru/"))
        page.wait_for_selector(".sop-identity")
        assert "800/19-a/SOP/DISDUKCAPIL/2022" in page.inner_text(".sop-identity")
        assert NEW_STEP in page.inner_text(".sop-sheet")
        shot(page, "printable-1366")
        pdf = page.request.get(demo.url("/console/sop/kia-baru/sop.pdf"))
        assert pdf.status == 200
        first = " ".join(PdfReader(io.BytesIO(pdf.body())).pages[0].extract_text().split())
        assert "800/19-a/SOP/DISDUKCAPIL/2022" in first
        assert "SOP Penerbitan Akta Kelahiran" in first  # the seed's Keterkaitan
        problems += watched.errors
    finally:
        watched.context.close()

    # A new KIA request at the counter runs version 2; the older one stays on version 1.
    counter = watched_page(browser, viewport=LAPTOP)
    page = counter.page
    try:
        sign_in(demo, counter, "waykanan.operator_online")
        page.goto(demo.url("/console/new/"))
        page.select_option("#service", "kia-baru")
        page.check('#pick input[name="channel"][value="counter"]')
        with page.expect_navigation():
            page.click('#pick button[type="submit"]')
        photo = tmp_path / "berkas.png"
        photo.write_bytes(png())
        page.fill("#applicant_name", "Nadia Putri")
        page.fill("#applicant_nik", "1808014506150001")
        page.fill("#q_child_age", "3")
        for item in page.locator('#intake input[type="file"]').all():
            item.set_input_files(str(photo))
        with page.expect_navigation():
            page.click('#intake button[type="submit"]')
        code = page.url.rstrip("/").rsplit("/", 1)[-1]
    finally:
        counter.context.close()
    after = kia_versions(demo)
    assert after[code] == 2, after
    assert all(after[old] == 1 for old in before), after
    assert not problems, "\n- ".join(["", *problems])
