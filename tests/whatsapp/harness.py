"""Meta-shaped inbound webhooks for tests, signed like Meta signs them."""

from __future__ import annotations

import itertools
import json
import time

from layan.whatsapp.signatures import sign

SECRET = "test-app-secret"
_ids = itertools.count(1)


def envelope(phone_number_id: str, value: dict) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": phone_number_id,
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def message(
    phone_number_id: str,
    wa_id: str,
    kind: str,
    body: dict,
    *,
    name: str = "Siti Aminah",
    message_id: str | None = None,
    timestamp: int | None = None,
) -> dict:
    message_id = message_id or f"wamid.TEST{next(_ids):08d}"
    return envelope(
        phone_number_id,
        {
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [
                {
                    "from": wa_id,
                    "id": message_id,
                    "timestamp": str(timestamp or int(time.time())),
                    "type": kind,
                    kind: body,
                }
            ],
        },
    )


def text(phone_number_id: str, wa_id: str, body: str, **kw) -> dict:
    return message(phone_number_id, wa_id, "text", {"body": body}, **kw)


def status(
    phone_number_id: str,
    wamid: str,
    state: str,
    *,
    recipient: str,
    callback=None,
    error_code: int | None = None,
) -> dict:
    item = {
        "id": wamid,
        "status": state,
        "timestamp": str(int(time.time())),
        "recipient_id": recipient,
    }
    if callback:
        item["biz_opaque_callback_data"] = callback
    if error_code:
        item["errors"] = [
            {
                "code": error_code,
                "title": "error",
                "message": "error",
                "error_data": {"details": "test"},
            }
        ]
    return envelope(phone_number_id, {"statuses": [item]})


def post(client, payload, *, secret: str = SECRET, signature: str | None = None, raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {}
    if signature is not False:
        headers["X-Hub-Signature-256"] = signature or sign(body, secret)
    return client.post(
        "/webhooks/whatsapp", data=body, content_type="application/json", headers=headers
    )
