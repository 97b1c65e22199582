"""The ``layan`` command: Django's management commands with Layan's settings preselected.

``layan demo``, ``layan serve``, ``layan worker``, ``layan sop validate``, ``layan token create``
and every stock command (``layan migrate``, ``layan shell``…) go through here.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layan.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["layan", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
