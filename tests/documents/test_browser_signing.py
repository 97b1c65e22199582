"""The issue's "done when", in a real browser against a real ``layan demo``.

A resident applies for a Kartu Keluarga at Balangan on the phone simulator; the office works it
to the Kadis through the console's forms; the Kadis signs in the browser with the demo
passphrase; the resident receives the signed PDF in the simulator; the verification address the
PDF carries opens the public page showing it active; and the pyHanko command-line validator
trusts its signature under the demo CA.

Skipped without Debian's Chromium. Screenshots: ``artifacts/screenshots/documents-*.png``.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from layan.offices.fields import parse_fields
from tests.console.browser_support import (
    PASSWORD,
    SCREENSHOTS,
    Resident,
    apply_for,
    launch,
    service_spec,
    sign_in,
    skip_without_browser,
    watched_page,
)
from tests.demo_process import running_demo
from tests.filling import form_post

pytestmark = skip_without_browser

BALANGAN = "6281100006311"  # the Dik Jamila Me-WA number
RESIDENT = "6281277700301"
NIK = "6311015505900002"  # Balangan region, 15 May 1990, a woman (day + 40)
DEMO_PASSPHRASE = "tte-demo-2026"  # noqa: S105 - the demo's documented passphrase
VERSION = re.compile(r'name="version" value="(\d+)"')


class ConsoleForms:
    """An officer posting the console's own forms over HTTP (the steps before the signature)."""

    def __init__(self, base: str, username: str):
        self.http = httpx.Client(base_url=base, timeout=60, follow_redirects=True)
        page = self.http.get("/console/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        self.http.post(
            "/console/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        ).raise_for_status()

    def post(self, path: str, data: dict) -> str:
        data = {**data, "csrfmiddlewaretoken": self.http.cookies["csrftoken"]}
        response = self.http.post(path, data=data)
        response.raise_for_status()
        return response.text

    def version(self, code: str) -> str:
        return VERSION.search(self.http.get(f"/console/r/{code}/").text).group(1)

    def forward(self, code: str, action: str) -> None:
        self.post(f"/console/r/{code}/act/{action}/", {"version": self.version(code), "note": ""})


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with running_demo(tmp_path_factory.mktemp("documents-demo"), PASSWORD) as running:
        yield running


def test_a_balangan_request_is_signed_by_the_kadis_and_the_resident_gets_a_verifiable_pdf(
    demo, tmp_path
):
    from playwright.sync_api import expect, sync_playwright

    resident = Resident(demo, BALANGAN, RESIDENT, "Nur Aini")
    code = apply_for(resident, "balangan", "kk", NIK)

    office = ConsoleForms(demo.base, "balangan.semua")
    office.forward(code, "complete")  # 1: Operator Layanan, file complete
    office.forward(code, "approve")  # 2: Operator SIAK, matches SIAK
    specs = parse_fields(service_spec("balangan", "kk")["fields"])
    office.post(f"/console/r/{code}/data/", {**form_post(specs), "version": office.version(code)})
    office.forward(code, "complete")  # 3: data entered, draft done
    office.forward(code, "approve")  # 4: Kasi
    office.forward(code, "approve")  # 5: Kabid, to the Kadis

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            watched = watched_page(browser)
            page = watched.page
            sign_in(demo, watched, "balangan.kadis")
            page.goto(demo.url(f"/console/r/{code}/"))
            expect(page.locator("#passphrase")).to_be_visible()
            page.fill("#passphrase", "bukan-passphrase")
            page.locator('form[action$="/sign/"] button[type="submit"]').click()
            page.wait_for_url(f"**/console/r/{code}/**")
            expect(page.locator("#passphrase")).to_be_visible()  # refused: still at signing
            page.fill("#passphrase", DEMO_PASSPHRASE)
            page.locator('form[action$="/sign/"] button[type="submit"]').click()
            page.wait_for_url(f"**/console/r/{code}/**")
            expect(page.locator("#documents table a[href*='/doc/']")).to_have_count(1)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "documents-signed.png"), full_page=True)

            item = resident.wait_for(
                lambda i: i.get("kind") == "document" and i.get("filename", "").endswith(".pdf"),
                what="the signed PDF",
                timeout=60,
            )
            assert code in item["caption"]
            pdf = resident.http.get(item["url"]).content
            assert pdf.startswith(b"%PDF")
            text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
            # The address may be wrapped over two lines of the footer: read it without breaks.
            found = re.search(r"(http://127\.0\.0\.1:\d+/v/[a-z2-7]{26})", re.sub(r"\s+", "", text))
            assert found, text
            url = found.group(1)
            assert url.startswith(demo.base)

            page.goto(url)
            expect(page.locator("[data-state]")).to_have_attribute("data-state", "active")
            page.set_input_files("#file", files=[
                {"name": "kk.pdf", "mimeType": "application/pdf", "buffer": pdf}
            ])  # fmt: skip
            page.locator("form button[type=submit]").click()
            expect(page.locator("[data-identical]")).to_have_attribute("data-identical", "yes")
            expect(page.locator("[data-signature]")).to_have_attribute("data-signature", "valid")
            page.screenshot(path=str(SCREENSHOTS / "documents-verified.png"), full_page=True)
            assert not watched.errors, watched.errors
        finally:
            browser.close()
    resident.close()

    # A newcomer's check with the standard tool: the pyHanko CLI and the demo CA.
    saved = tmp_path / "kk.pdf"
    saved.write_bytes(pdf)
    ca = Path(demo.data_dir) / "signing" / "demo-ca.pem"
    cli = Path(sys.executable).with_name("pyhanko")
    result = subprocess.run(  # noqa: S603 - our own venv's tool on our own file
        [str(cli), "sign", "validate", "--trust", str(ca), "--trust-replace", "--pretty-print",
         str(saved)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The signer's certificate is trusted." in result.stdout
    assert "The signature is cryptographically sound." in result.stdout
