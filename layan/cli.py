"""The ``layan`` command: Django's management commands with Layan's settings preselected.

``layan demo``, ``layan serve``, ``layan worker``, ``layan sop validate``, ``layan token create``
and every stock command (``layan migrate``, ``layan shell``…) go through here.
"""

import os
import sys


def _demo_environment(args: list[str]) -> None:
    """``layan demo`` runs the whole loop on one machine: the Graph API stand-in and the phone
    simulator are switched on and pointed at this very server, unless configured otherwise."""
    port = "8000"
    for index, arg in enumerate(args):
        if arg == "--port" and index + 1 < len(args):
            port = args[index + 1]
        elif arg.startswith("--port="):
            port = arg.split("=", 1)[1]
    base = f"http://127.0.0.1:{port}"
    defaults = {
        "LAYAN_STANDIN": "true",
        "WHATSAPP_GRAPH_URL": f"{base}/graph",
        "LAYAN_STANDIN_WEBHOOK_URL": f"{base}/webhooks/whatsapp",
        "WHATSAPP_APP_SECRET": "demo-app-secret",
        "WHATSAPP_VERIFY_TOKEN": "demo-verify-token",
        "WHATSAPP_ACCESS_TOKEN": "demo-access-token",
        "LAYAN_PUBLIC_URL": base,  # document QR codes and download links
        # The signing-service stand-in (BSrE style) at /bsre, for remote signing keys.
        "LAYAN_BSRE_URL": f"{base}/bsre",
        "LAYAN_BSRE_USER": "layan-demo",
        "LAYAN_BSRE_PASSWORD": "demo-bsre-secret",
        # The walk-through signs in as heads of office without an authenticator app.
        "LAYAN_REQUIRE_2FA": "false",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["demo"]:
        _demo_environment(args[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layan.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["layan", *args])


if __name__ == "__main__":
    main()
