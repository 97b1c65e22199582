"""Template context of every console page: the desk and the inbox count for the navigation."""

from __future__ import annotations

from django.utils import timezone

from layan.console.selectors import handed_over

SECTIONS = {
    "inbox": "inbox",
    "conversation": "inbox",
    "supervisor": "supervisor",
    "reports": "reports",
    "sop_list": "sop",
    "sop": "sop",
    "flow_versions": "sop",
    "flow_version": "sop",
    "flow_diff": "sop",
    "flow_edit": "sop",
    "changes": "sop",
    "catalogue": "sop",
    "catalogue_service": "sop",
    "catalogue_texts": "sop",
    "catalogue_diff": "sop",
    "access_log": "access",
    "register": "register",
    "new": "new",
    "my_day": "my_day",
    "visits": "visits",
    "registry": "registry",
    "registry_resident": "registry",
    "registry_suspects": "registry",
    "registry_pair": "registry",
}


def nav(request) -> dict:
    desk = getattr(request, "desk", None)
    if desk is None:
        return {}
    match = request.resolver_match
    name = match.url_name if match else ""
    return {
        "desk": desk,
        "inbox_count": handed_over(desk, timezone.now()).count(),
        "nav_active": SECTIONS.get(name, "queues"),
    }
