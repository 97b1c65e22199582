"""The audit log of an office's SOP and catalogue changes (:class:`ChangeLog`): one line per
publish, submission, approval, sending back, discarded draft and imported file."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from layan.offices.models import ChangeLog, Office


def record(
    office: Office,
    subject: str,
    action: str,
    user=None,
    *,
    code: str = "",
    number: int | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> ChangeLog:
    """Append one line to ``office``'s change log (in the caller's transaction)."""
    name = ""
    if user is not None:
        name = (user.get_full_name() or user.get_username())[:150]
    return ChangeLog.objects.create(
        office=office,
        subject=subject,
        code=code,
        number=number,
        action=action,
        user=user,
        user_name=name,
        at=timezone.now(),
        reason=reason,
        details=details or {},
    )


def entries(office: Office, *, subject: str | None = None, code: str | None = None):
    """The office's change log, newest first (optionally one subject, one flow)."""
    rows = ChangeLog.objects.filter(office=office).select_related("user")
    if subject:
        rows = rows.filter(subject=subject)
    if code is not None:
        rows = rows.filter(code=code)
    return rows.order_by("-at", "-pk")
