"""The officer's desk: which office they are working in and which roles they hold there.

An officer may hold roles in several offices (a field officer lent to a neighbour, a supervisor
of two offices). The console works in one office at a time, kept in the session; every page reads
and acts only inside that office, and every role check asks the engine's own question: does this
user hold that role in this office.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from layan.console.registry_panel import office_lookup_roles
from layan.offices.models import Office, Role, StaffRole
from layan.reports.services import reads_reports

SESSION_KEY = "console_office"
SUPERVISING = ("supervisor", "admin")


@dataclass
class Desk:
    user: object
    office: Office
    offices: list[Office]
    roles: list[Role] = field(default_factory=list)

    @property
    def role_codes(self) -> set[str]:
        return {role.code for role in self.roles}

    @property
    def is_admin(self) -> bool:
        return "admin" in self.role_codes

    @property
    def supervises(self) -> bool:
        return bool(self.role_codes & set(SUPERVISING))

    @property
    def reads_reports(self) -> bool:
        return reads_reports(self.role_codes)

    @cached_property
    def looks_up(self) -> bool:
        """Whether the officer may look the population registry up (the registry pages)."""
        return bool(self.role_codes & office_lookup_roles(self.office))

    @property
    def work_roles(self) -> list[Role]:
        """The roles with queues: those that perform SOP steps (not the extra ones)."""
        return [role for role in self.roles if role.code not in SUPERVISING]

    def holds(self, code: str) -> bool:
        return code in self.role_codes


def desk_for(request) -> Desk | None:
    """The desk of the signed-in officer, or None when they hold no staff role anywhere."""
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return None
    rows = list(
        StaffRole.objects.filter(
            user=user, role__kind=Role.Kind.STAFF, role__office__is_active=True
        )
        .select_related("role__office")
        .order_by("role__office__code", "role__code")
    )
    if not rows:
        return None
    offices = list({row.role.office.code: row.role.office for row in rows}.values())
    wanted = request.session.get(SESSION_KEY)
    office = next((o for o in offices if o.code == wanted), offices[0])
    roles = [row.role for row in rows if row.role.office_id == office.pk]
    return Desk(user=user, office=office, offices=offices, roles=roles)


def staff_view(view=None, *, supervising: bool = False, admin: bool = False):
    """Decorate a console view: signed in, holding a staff role, optionally supervising/admin.

    Sets ``request.desk``. A signed-in user without any role is refused (403), not sent back to
    the sign-in page in a loop.
    """

    def decorate(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            desk = desk_for(request)
            if desk is None:
                raise PermissionDenied(_("You hold no role in any office."))
            if admin and not desk.is_admin:
                raise PermissionDenied(_("Only the office administrator may open this page."))
            if supervising and not desk.supervises:
                raise PermissionDenied(_("Only supervisors may open this page."))
            request.desk = desk
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
