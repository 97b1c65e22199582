"""The resident bot's entry point: one inbound message in, replies out through the outbox.

This first version greets, shows the services offered on the number, explains a chosen service
and answers every kind of message WhatsApp can deliver politely; the guided application, status
and complaints build on it.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from layan.offices.models import Service
from layan.whatsapp import builders, outbox
from layan.whatsapp.models import InboundMessage, MediaFile

SERVICE_PREFIX = "svc:"


def _guidance(kind: str) -> str | None:
    texts = {
        "sticker": _("Sorry, we cannot read stickers. Please type your question."),
        "voice": _("Sorry, we cannot listen to voice notes. Please type your message."),
        "audio": _("Sorry, we cannot listen to audio. Please type your message."),
        "video": _("Sorry, we cannot accept videos. Please send a photo or a PDF instead."),
        "location": _("Thank you. We do not need your location; please type your question."),
        "contacts": _("Thank you. Please type your question instead of sending a contact."),
        "reaction": _("Thank you for your reaction. Type “menu” to see our services."),
    }
    if kind in texts:
        return texts[kind]
    if kind in ("order", "system", "group", "unsupported", "unknown", "request_welcome"):
        return _("Sorry, we cannot process this kind of message. Please type your question.")
    return None


MEDIA_REJECTIONS = {
    "too_large": lambda: _(
        "The file is too large. Please send a photo under 5 MB or a PDF under 16 MB."
    ),
    "type_not_allowed": lambda: _(
        "We accept photos (JPG or PNG) and PDF documents only. Please send the file again in "
        "one of those formats."
    ),
    "checksum_mismatch": lambda: _("The file arrived damaged. Please send it again."),
    "image_invalid": lambda: _(
        "We could not open that photo. Please take a new photo and send it again."
    ),
    "image_too_big": lambda: _("That photo is too large to open. Please send a smaller photo."),
    "pdf_invalid": lambda: _("That file is not a valid PDF. Please send the PDF again."),
    "download_failed": lambda: _("We could not receive that file. Please send it again."),
}


def _menu(message: InboundMessage) -> list[dict]:
    channel = message.conversation.channel
    services = list(channel.services.filter(is_active=True).order_by("position"))
    greeting = _("Welcome to %(office)s. Choose the service you need:") % {
        "office": channel.office.short_name or channel.office.name
    }
    if not services:
        return builders.text(greeting)
    options = [
        builders.Option(id=f"{SERVICE_PREFIX}{s.code}", title=s.menu_title, description=s.name)
        for s in services
    ]
    return builders.choice_list(greeting, _("Services"), options)


def _service_info(service: Service) -> list[dict]:
    lines = [f"*{service.name}*", "", _("Requirements:")]
    for requirement in service.requirements.all():
        optional = "" if requirement.required else _(" (optional)")
        lines.append(f"• {requirement.label}{optional}")
    version = service.sop.current_version
    if version is not None:
        lines += [
            "",
            _("Standard processing time: %(minutes)s minutes of office time.")
            % {"minutes": version.total_minutes},
        ]
    return builders.text("\n".join(lines))


def handle(message: InboundMessage, now: datetime | None = None) -> None:
    now = now or timezone.now()
    conversation = message.conversation
    key = f"reply:{message.message_id}"
    guidance = _guidance(message.kind)
    if guidance is not None:
        contents = builders.text(guidance)
    elif message.kind in ("image", "document"):
        media = MediaFile.objects.filter(message=message).first()
        if media is not None and media.status == MediaFile.Status.REJECTED:
            contents = builders.text(
                MEDIA_REJECTIONS.get(media.reason, MEDIA_REJECTIONS["download_failed"])()
            )
        else:
            contents = builders.text(_("Thank you, we received your file."))
    elif message.reply_id.startswith(SERVICE_PREFIX):
        service = (
            conversation.channel.services.filter(code=message.reply_id[len(SERVICE_PREFIX) :])
            .select_related("sop")
            .first()
        )
        contents = _service_info(service) if service else _menu(message)
    else:
        contents = _menu(message)
    outbox.queue_many(conversation=conversation, contents=contents, key=key, now=now)
