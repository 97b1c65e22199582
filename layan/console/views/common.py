"""What every console view shares: engine errors as messages, the page after an action."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect

from layan.core.errors import LayanError, NotFound


def run(request, func, *args, success: str = "", **kwargs):
    """Call an engine function; its refusals become a message for the officer (not a 500).

    Returns the result, or None when the engine refused. A missing request is a 404 so codes
    of other offices cannot be probed.
    """
    try:
        result = func(*args, **kwargs)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except LayanError as exc:
        messages.error(request, str(exc))
        return None
    if success:
        messages.success(request, success)
    return result


def back_to_case(code: str, anchor: str = ""):
    response = redirect("console:case", code=code)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response
