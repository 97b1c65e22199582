"""A resident's phone for end-to-end bot tests.

Every message goes the production way: the simulator builds Meta's webhook, signs it with the app
secret and POSTs it to the real webhook view; the inbox drains it, the bot answers into the
outbox, the outbox sends through the real Graph client to the Graph stand-in. What the resident
"sees" is read back from the stand-in's record of sent messages.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import Image

from layan.offices.models import Channel
from layan.standin import phone
from layan.standin.models import SentMessage

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def png(size=(40, 30), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Reply:
    kind: str
    text: str
    options: list[tuple[str, str]] = field(default_factory=list)
    raw: dict = field(default_factory=dict)


class Resident:
    def __init__(self, phone_number_id: str, wa_id: str = "6281234567890", name="Siti Aminah"):
        self.channel = Channel.objects.get(phone_number_id=phone_number_id)
        self.wa_id = wa_id
        self.name = name
        self.seen = self._last_id()
        self.last: list[Reply] = []

    def _rows(self):
        return SentMessage.objects.filter(
            phone_number_id=self.channel.phone_number_id, recipient=self.wa_id
        ).order_by("pk")

    def _last_id(self) -> int:
        row = self._rows().last()
        return row.pk if row else 0

    def inbox(self) -> list[Reply]:
        """What arrived since the last look."""
        rows = list(self._rows().filter(pk__gt=self.seen))
        if rows:
            self.seen = rows[-1].pk
        replies = []
        for row in rows:
            item = phone.sent_item(row, self.channel)
            options = [(b["id"], b["title"]) for b in item.get("buttons", []) if "id" in b]
            for section in item.get("sections", []):
                options += [(r["id"], r["title"]) for r in section["rows"]]
            replies.append(Reply(item["kind"], item.get("text", ""), options, row.payload))
        self.last = replies
        return replies

    def send(self, message: dict) -> list[Reply]:
        _row, error = phone.send(self.channel, wa_id=self.wa_id, name=self.name, message=message)
        assert not error, error
        return self.inbox()

    def says(self, text: str) -> list[Reply]:
        return self.send({"type": "text", "text": text})

    def taps(self, option_id: str, *, number: int | None = None) -> list[Reply]:
        """Tap a button or list row offered in the last replies (by id); when the options came
        as numbered text (titles too long for a list), reply with ``number`` instead."""
        for reply in reversed(self.last):
            for oid, title in reply.options:
                if oid == option_id:
                    kind = "list_reply" if reply.kind == "list" else "button_reply"
                    return self.send({"type": kind, "id": oid, "title": title})
        if number is not None and "Balas dengan nomor" in self.text_of(self.last):
            return self.says(str(number))
        raise AssertionError(f"no option {option_id!r} in {[r.options for r in self.last]}")

    def sends_file(self, content: bytes, filename: str, mime: str) -> list[Reply]:
        media = phone.upload(
            content,
            filename=filename,
            content_type=mime,
            phone_number_id=self.channel.phone_number_id,
        )
        kind = "document" if mime == "application/pdf" else "image"
        message = {"type": kind, "media_id": media.pk}
        if kind == "document":
            message["filename"] = filename
        return self.send(message)

    def sends_photo(self, colour=(200, 30, 30)) -> list[Reply]:
        return self.sends_file(png(colour=colour), "foto.png", "image/png")

    def sends_pdf(self) -> list[Reply]:
        return self.sends_file(PDF, "berkas.pdf", "application/pdf")

    @staticmethod
    def text_of(replies: list[Reply]) -> str:
        return "\n".join(r.text for r in replies)
