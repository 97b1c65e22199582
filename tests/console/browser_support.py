"""What the console's browser tests share: a real ``layan demo``, a resident on the phone
simulator's HTTP endpoints, and the checks every console page must pass in Chromium.

Nothing here imports Django: the demo runs in its own process with its own database; the tests
only speak HTTP to it (and read the bot's conversation state from its SQLite file, the way
``tests/bot/driver.py`` reads it from the ORM, to know which question the bot is asking).
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml

from tests.demo_process import Demo
from tests.environment import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PRESETS = ROOT / "layan" / "offices" / "presets"
PASSWORD = "rahasia-browser-1"  # noqa: S105 - the throw-away demo's password (running_demo)
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 360, "height": 740}
TRACKING_CODE = re.compile(r"\b([A-Z]{2,4}-[A-Z0-9]{4,10})\b")

logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll otherwise

skip_without_browser = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed"),
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the demo is the embedded SQLite set-up",
    ),
]


# ------------------------------------------------------------------------------ the demo


# ------------------------------------------------------------------------------ the resident


def png(colour=(225, 236, 244), label_rows=4) -> bytes:
    """A photographed document: a light page with a photo box and lines of text."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 300), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 460, 280), outline=(30, 90, 140), width=6)
    draw.rectangle((40, 60, 160, 220), fill=(160, 180, 200))
    for row in range(label_rows):
        y = 70 + 40 * row
        draw.rectangle((190, y, 430, y + 14), fill=(90, 110, 130))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def service_spec(office: str, service: str) -> dict:
    """A service of a seed office's catalogue (requirements, questions, data-entry fields)."""
    data = yaml.safe_load((PRESETS / f"{office}.yaml").read_text(encoding="utf-8"))
    return next(s for s in data["services"] if s["code"] == service)


@dataclass
class Resident:
    """A resident's WhatsApp, through the phone simulator's JSON endpoints (``/dev/phone/api``).

    Every message goes the production way (signed webhook, inbox, bot, outbox, Graph stand-in);
    what the resident "sees" is what the simulator lists as sent by the office.
    """

    demo: Demo
    channel: str
    wa_id: str
    name: str
    seen: set[str] = field(default_factory=set)
    received: list[dict] = field(default_factory=list)
    cursor: str = ""

    def __post_init__(self):
        self.http = httpx.Client(base_url=self.demo.base, timeout=30)
        self.http.get("/dev/phone/").raise_for_status()  # the CSRF cookie
        self.headers = {"X-CSRFToken": self.http.cookies["csrftoken"]}

    def close(self) -> None:
        self.http.close()

    # ---- reading

    def poll(self) -> list[dict]:
        """The office's messages that arrived since the last look."""
        response = self.http.get(
            "/dev/phone/api/messages",
            params={"channel": self.channel, "wa_id": self.wa_id, "after": self.cursor},
        )
        response.raise_for_status()
        body = response.json()
        self.cursor = body["cursor"]
        new = []
        for item in body["items"]:
            if item["from"] == "office" and item["key"] not in self.seen:
                self.seen.add(item["key"])
                new.append(item)
        self.received.extend(new)
        return new

    def wait_for(self, predicate, *, timeout: float = 30, what: str = "a reply") -> dict:
        """The first message (new or already received) for which ``predicate`` is true."""
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            for item in self.received:
                if predicate(item):
                    return item
            if time.monotonic() > deadline:
                texts = "\n---\n".join(text_of(i) for i in self.received[-8:])
                raise AssertionError(f"the resident never got {what}; last messages:\n{texts}")
            time.sleep(0.3)

    def replies(self, *, timeout: float = 30) -> list[dict]:
        """Wait for the bot's answer to the last message (all its parts)."""
        deadline = time.monotonic() + timeout
        got: list[dict] = []
        while not got:
            got = self.poll()
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not answer within {timeout:.0f} s")
            if not got:
                time.sleep(0.15)
        # The state of the turn is committed before its first message goes out; the rest of
        # its messages may still be on their way (taps() waits for the option it needs).
        return got

    def state(self) -> dict:
        """The bot's state of this conversation (which question it is asking)."""
        database = sqlite3.connect(
            f"file:{self.demo.data_dir / 'layan.sqlite3'}?mode=ro", uri=True, timeout=10
        )
        try:
            row = database.execute(
                "SELECT c.state FROM whatsapp_conversation c"
                " JOIN whatsapp_identity i ON c.identity_id = i.id"
                " JOIN offices_channel ch ON c.channel_id = ch.id"
                " WHERE i.wa_id = ? AND ch.phone_number_id = ?",
                (self.wa_id, self.channel),
            ).fetchone()
        finally:
            database.close()
        return json.loads(row[0]) if row and row[0] else {}

    # ---- writing

    def send(self, message: dict) -> list[dict]:
        response = self.http.post(
            "/dev/phone/api/send",
            json={
                "channel": self.channel,
                "wa_id": self.wa_id,
                "name": self.name,
                "message": message,
            },
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["ok"], response.text
        return self.replies()

    def says(self, text: str) -> list[dict]:
        return self.send({"type": "text", "text": text})

    def taps(self, option_id: str) -> list[dict]:
        """Tap a button or a list row the bot offered (by its id)."""
        self.wait_for(lambda item: option_id in options_of(item), timeout=15, what=option_id)
        for item in reversed(self.received):
            for button in item.get("buttons") or []:
                if button.get("id") == option_id:
                    return self.send(
                        {"type": "button_reply", "id": option_id, "title": button["title"]}
                    )
            for section in item.get("sections") or []:
                for row in section.get("rows") or []:
                    if row.get("id") == option_id:
                        return self.send(
                            {"type": "list_reply", "id": option_id, "title": row["title"]}
                        )
        raise AssertionError(f"the bot offered no option {option_id!r}")

    def offered(self, option_id: str) -> bool:
        return any(option_id in options_of(item) for item in self.received[-3:])

    def sends_photo(self, content: bytes | None = None, filename: str = "foto.png") -> list[dict]:
        response = self.http.post(
            "/dev/phone/api/upload",
            files={"file": (filename, content or png(), "image/png")},
            data={"channel": self.channel},
            headers=self.headers,
        )
        assert response.status_code == 201, response.text
        return self.send({"type": "image", "media_id": response.json()["id"]})


def options_of(item: dict) -> list[str]:
    """The ids of the buttons and list rows of one of the bot's messages."""
    ids = [b.get("id") for b in item.get("buttons") or []]
    ids += [r.get("id") for s in item.get("sections") or [] for r in s.get("rows") or []]
    return [i for i in ids if i]


def text_of(item: dict) -> str:
    return item.get("text") or item.get("caption") or item.get("summary") or ""


def apply_for(resident: Resident, office: str, service: str, nik: str) -> str:
    """Apply for ``service`` from "halo" to the confirmation; the tracking code of the reply.

    The resident answers whatever the bot asks, read from the conversation state as
    ``tests/bot/driver.py`` does: the first choice of each question, a photo for each file
    requirement (then *Lanjut*), ``nik`` for every NIK.
    """
    spec = service_spec(office, service)
    kinds = {r["code"]: r.get("kind", "photo") for r in spec.get("requirements") or []}
    questions = {q["code"]: q for q in spec.get("questions") or []}
    resident.says("halo")
    if not resident.offered(f"svc:{service}"):
        resident.taps("menu:services")
    resident.taps(f"svc:{service}")
    resident.taps(f"apply:{service}")
    for _turn in range(40):
        state = resident.state()
        if state.get("flow") != "apply":
            break
        asked = state.get("field") or ""
        if asked == "who":
            resident.taps("f:self")
        elif asked == "name":
            resident.says(resident.name)
        elif asked == "nik":
            resident.says(nik)
        elif asked.startswith("q:"):
            question = questions[asked[2:]]
            first = next(iter(question["choices"]))
            if resident.offered(f"q:{first}"):
                resident.taps(f"q:{first}")
            else:  # long titles come as a numbered list
                resident.says("1")
        elif asked.startswith("r:"):
            if kinds[asked[2:]] == "nik":
                resident.says(nik)
            elif kinds[asked[2:]] in ("photo", "document"):
                resident.sends_photo()
                resident.taps("f:next")
            else:
                resident.says("Keterangan dari pemohon.")
        elif asked == "related":
            resident.taps("f:skip")
        elif asked == "confirm":
            resident.taps("f:send")
        else:
            raise AssertionError(f"the bot asks {asked!r}, which this resident cannot answer")
    else:
        raise AssertionError("the application did not finish in 40 turns")
    receipt = resident.wait_for(
        lambda item: (
            TRACKING_CODE.search(text_of(item)) is not None
            and spec["prefix"] + "-" in text_of(item)
        ),
        what="a tracking code",
    )
    return TRACKING_CODE.search(text_of(receipt)).group(1)


# ------------------------------------------------------------------------------ the browser


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=60_000
    )


@dataclass
class Watched:
    """A page with what went wrong on it: uncaught errors and console errors (CSP included)."""

    context: object
    page: object
    errors: list[str] = field(default_factory=list)


def _console_line(message) -> str | None:
    if message.type != "error":
        return None
    where = message.location.get("url") if message.location else ""
    return f"console: {message.text} ({where})" if where else f"console: {message.text}"


def watched_page(browser, *, viewport=LAPTOP, mobile: bool = False) -> Watched:
    options = {"viewport": viewport, "locale": "id-ID"}
    if mobile:
        options.update(device_scale_factor=2, is_mobile=True, has_touch=True)
    context = browser.new_context(**options)
    context.set_default_timeout(20_000)
    page = context.new_page()
    watched = Watched(context, page)

    def on_console(message):
        line = _console_line(message)
        if line:
            watched.errors.append(line)

    page.on("pageerror", lambda error: watched.errors.append(f"pageerror: {error}"))
    page.on("console", on_console)
    return watched


def sign_in(demo: Demo, watched: Watched, username: str) -> None:
    page = watched.page
    page.goto(demo.url("/console/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("#id_password").press("Enter")
    assert "/console/login/" not in page.url, f"{username} could not sign in"


def horizontal_overflow(page) -> dict | None:
    """None when the page does not scroll sideways; else the widths and the widest culprits."""
    return page.evaluate(
        """() => {
            const doc = document.documentElement;
            if (doc.scrollWidth <= window.innerWidth) return null;
            const wide = [];
            for (const el of document.body.querySelectorAll('*')) {
                const box = el.getBoundingClientRect();
                if (box.right > window.innerWidth + 1 && box.width > 0) {
                    const id = el.id ? '#' + el.id : '';
                    const cls = typeof el.className === 'string' && el.className
                        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
                    wide.push({el: el.tagName.toLowerCase() + id + cls,
                               right: Math.round(box.right)});
                }
            }
            return {scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth,
                    culprits: wide.slice(0, 12)};
        }"""
    )


# ------------------------------------------------------------------------------ accessibility

AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
}


def accessibility_problems(page) -> list[str]:
    """What axe-core (bundled by ``axe-playwright-python``, no download) finds on the page: every
    WCAG 2.1 A/AA and best-practice violation, one line per rule with the first offenders.

    axe is evaluated through the DevTools protocol, so the console's Content-Security-Policy
    (no inline or foreign scripts) still holds for the page itself.
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    lines = []
    for violation in results.response["violations"]:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:4]]
        lines.append(
            f"axe {violation['impact']} {violation['id']}: {violation['help']}"
            f" ({len(violation['nodes'])}×: {'; '.join(targets)})"
        )
    return lines
