"""The officer's queues: counts per queue, the list sorted by due time, search, claim next."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from layan.cases import services as engine
from layan.cases.models import IntakeChannel
from layan.console import selectors
from layan.console.desk import staff_view
from layan.console.queues import BY_SLUG
from layan.core.errors import LayanError
from layan.reports import selectors as report_selectors

ROLE_KEY = "console_role"
PAGE_SIZE = 25


class CountedPaginator(Paginator):
    """A paginator told how long its list is (the queue's count, read for the tabs already)."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def chosen_role(request) -> str | None:
    """The role whose queues are shown: asked for, else remembered, else the first one."""
    desk = request.desk
    codes = [role.code for role in desk.work_roles]
    wanted = request.GET.get("role") or request.POST.get("role") or request.session.get(ROLE_KEY)
    role = wanted if wanted in codes else (codes[0] if codes else None)
    if role:
        request.session[ROLE_KEY] = role
    return role


@staff_view
def home(request):
    return queue(request, "todo")


@staff_view
def queue(request, slug: str):
    chosen = BY_SLUG.get(slug)
    if chosen is None:
        raise Http404
    desk = request.desk
    role = chosen_role(request)
    query = (request.GET.get("q") or "").strip()
    channel = request.GET.get("channel")
    channel = channel if channel in IntakeChannel.values else None
    now = timezone.now()
    cases = selectors.queue_cases(desk, chosen, role, query, channel, now)
    rows_only = bool(request.htmx and request.htmx.target == "rows")
    # The tabs' counts (not shown when only the rows are asked for, as the search box does);
    # the chosen queue's count is the list's length unless a search or channel narrows it.
    counts = [] if rows_only else selectors.queue_counts(desk, role, now, shown=chosen)
    known = dict((q.slug, n) for q, n in counts).get(chosen.slug)
    if known is not None and not query and not channel:
        paginator = CountedPaginator(cases, PAGE_SIZE, known)
    else:
        paginator = Paginator(cases, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "queue": chosen,
        "role": role,
        "counts": counts,
        "page": page,
        "query": query,
        "channel": channel,
        "channels": IntakeChannel.choices,
        "now": now,
    }
    if desk.reads_reports and not rows_only:
        context["head_card"] = report_selectors.head_card(desk.office, now)
    template = "console/_queue_rows.html" if rows_only else "console/queue.html"
    return render(request, template, context)


@require_POST
@staff_view
def claim_next(request):
    """Take the most urgent unclaimed request waiting for the chosen role and open it."""
    role = chosen_role(request)
    if role is None:
        raise Http404
    try:
        case = engine.claim_next(office=request.desk.office, role=role, user=request.user)
    except LayanError as exc:
        messages.error(request, str(exc))
        return redirect("console:queue", slug="todo")
    if case is None:
        messages.info(request, _("Nothing is waiting for your role right now."))
        return redirect("console:queue", slug="todo")
    return redirect("console:case", code=case.code)
