"""The phone simulator in a real browser against a real ``layan demo`` (headless Chromium).

Skipped when Debian's Chromium is not installed (``apt-get install chromium``); Playwright's own
browser downloads are never used. Screenshots land in ``artifacts/screenshots/``.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from tests.demo_process import running_demo
from tests.environment import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
WAYKANAN_KK = "628117961500"
REQUIREMENTS = re.compile(r"Persyaratan|Requirements")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"

pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the demo is the embedded SQLite set-up",
    ),
]


CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def with_strict_csp(route) -> None:
    response = route.fetch()
    route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})


def png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 300), (225, 236, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 460, 280), outline=(30, 90, 140), width=6)
    draw.rectangle((40, 60, 160, 220), fill=(160, 180, 200))
    for y in (70, 110, 150, 190):
        draw.rectangle((190, y, 430, y + 14), fill=(90, 110, 130))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def demo(tmp_path):
    with running_demo(tmp_path) as running:
        yield running.base


def test_a_resident_says_halo_and_picks_a_service(demo):
    sync_api = pytest.importorskip("playwright.sync_api")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            timeout=60_000,
        )
        try:
            context = browser.new_context(
                viewport={"width": 360, "height": 740},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
                locale="id-ID",
            )
            context.set_default_timeout(30_000)
            # The page is served with a strict Content-Security-Policy: it must work without
            # inline scripts, inline handlers or inline styles.
            context.route(re.compile(r".*/dev/phone/(\?.*)?$"), with_strict_csp)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "console",
                lambda message: (
                    errors.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            response = page.goto(f"{demo}/dev/phone/", wait_until="domcontentloaded")
            assert response.headers.get("content-security-policy") == CSP
            page.wait_for_selector("html[data-ready=true]")

            page.select_option("#channel", WAYKANAN_KK)
            page.fill("#wa-id", "6281234567890")
            page.fill("#name", "Siti Aminah")
            page.fill("#text", "halo")
            page.click("#send-button")

            mine = page.locator(".row.out .bubble", has_text="halo")
            mine.first.wait_for()
            greeting = page.locator(".row.in .bubble", has_text="Way Kanan")
            greeting.first.wait_for(timeout=30_000)
            page.locator(".row.out .ticks:not(.pending):not(.failed)").first.wait_for()
            page.screenshot(path=str(SCREENSHOTS / "phone-360-menu.png"))

            # The menu is a list: its button opens the rows, a row sends the choice.
            page.locator(".row.in .action", has=page.locator("svg")).last.click()
            sheet_row = page.locator("#sheet .sheet-row").first
            sheet_row.wait_for()
            page.screenshot(path=str(SCREENSHOTS / "phone-360-list.png"))
            chosen = sheet_row.locator(".sheet-row-title").inner_text()
            sheet_row.click()
            assert page.locator("#sheet").is_hidden()

            page.locator(".row.out .bubble", has_text=chosen).first.wait_for()
            answer = page.locator(".row.in .bubble", has_text=REQUIREMENTS)
            answer.first.wait_for(timeout=30_000)
            assert chosen.split()[0] in answer.first.inner_text()
            # WhatsApp's *bold* is drawn bold, and nothing is left as raw markup.
            assert answer.first.locator("strong").count() >= 1
            assert "<strong>" not in answer.first.inner_text()
            page.wait_for_timeout(500)
            page.screenshot(path=str(SCREENSHOTS / "phone-360.png"))

            # The diagnostics list the bot's messages as delivered.
            page.locator("#outbox .status-read, #outbox .status-delivered").first.wait_for()
            page.screenshot(path=str(SCREENSHOTS / "phone-360-full.png"), full_page=True)
            assert errors == []
            context.close()

            # On a laptop: the same conversation (from the link), and a forced failure that the
            # outbox retries and then delivers, as the diagnostics show.
            context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")
            context.set_default_timeout(30_000)
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(
                f"{demo}/dev/phone/?channel={WAYKANAN_KK}&wa_id=6281234567890",
                wait_until="domcontentloaded",
            )
            page.locator(".row.in .bubble", has_text=REQUIREMENTS).first.wait_for()
            page.select_option("#fail-kind", "http_500")
            page.fill("#fail-count", "2")
            page.locator("#fail-form button[type=submit]").click()
            page.locator("#rules", has_text="500").wait_for()
            page.fill("#text", "menu")
            page.keyboard.press("Enter")
            page.locator(".row.out .bubble", has_text="menu").first.wait_for()
            # Two failed attempts, 1–2 s and 2–4 s apart: the error stays visible a while.
            page.locator("#outbox tr").first.locator("td.error:not(:empty)").wait_for()
            page.screenshot(path=str(SCREENSHOTS / "phone-1366-retrying.png"))
            page.wait_for_function(
                """() => {
                    const cells = document.querySelectorAll("#outbox tr:first-child td");
                    return cells.length === 5 && cells[2].textContent === "read"
                        && cells[3].textContent === "3";
                }""",
                timeout=30_000,
            )
            assert page.locator(".row.in .bubble", has_text="Way Kanan").count() >= 2

            # A photo and a PDF from disk: uploaded, sent as image/document, answered.
            answers = page.locator(".row.in").count()
            page.set_input_files(
                "#file", {"name": "ktp.png", "mimeType": "image/png", "buffer": png()}
            )
            page.locator(".row.out img.photo").first.wait_for()
            page.set_input_files(
                "#file", {"name": "surat-pindah.pdf", "mimeType": "application/pdf", "buffer": PDF}
            )
            page.locator(".row.out .doc", has_text="surat-pindah.pdf").first.wait_for()
            page.wait_for_function(
                "n => document.querySelectorAll('.row.in').length >= n", arg=answers + 2
            )
            page.wait_for_function(
                "() => Array.from(document.images).every(img => img.complete && img.naturalWidth)"
            )
            page.wait_for_timeout(300)
            page.screenshot(path=str(SCREENSHOTS / "phone-1366.png"))
            assert errors == []
        finally:
            browser.close()
