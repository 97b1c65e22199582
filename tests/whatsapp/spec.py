"""Meta's WhatsApp Business Messaging OpenAPI spec (v23.0), read from the shared data folder.

The spec (MIT, about 1 MB) stays outside the repository; tests read it in place and skip when it is
absent, so the suite still runs on a checkout without the shared data. Parsing takes a fraction of a
second with the C loader, and the result is cached for the whole test session.
"""

from __future__ import annotations

import copy
import functools

import yaml

from tests.environment import WHATSAPP_SPEC

SPEC_PATH = WHATSAPP_SPEC
SPEC_AVAILABLE = SPEC_PATH.is_file()
WEBHOOK_PAYLOAD_REF = "#/components/schemas/WebhookPayload"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=1)
def load_spec() -> dict:
    """The whole spec as a dict. Shared between tests: do not mutate it."""
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)  # noqa: S506 - a safe loader, C or Python


@functools.lru_cache(maxsize=1)
def _webhook_examples() -> dict[str, dict]:
    found: dict[str, dict] = {}
    for operations in (load_spec().get("paths") or {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            content = ((operation.get("requestBody") or {}).get("content") or {}).values()
            for media in content:
                if (media.get("schema") or {}).get("$ref") != WEBHOOK_PAYLOAD_REF:
                    continue
                for name, example in (media.get("examples") or {}).items():
                    found[name] = example["value"]
    return found


def webhook_examples() -> dict[str, dict]:
    """Every example webhook body of the spec, by example name (fresh copies, free to mutate).

    They are the request-body examples of the operations whose body is ``WebhookPayload``
    (``POST /whatsapp/webhooks`` in v23.0).
    """
    return copy.deepcopy(_webhook_examples())
