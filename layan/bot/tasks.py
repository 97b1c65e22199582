"""Periodic work of the bot (run by ``layan worker`` or inline in tests)."""

from django_tasks import task

from layan.bot import notices


@task()
def remind_visits() -> int:
    """Periodic: the day-before reminders of planned outreach visits."""
    return notices.remind_visits()
