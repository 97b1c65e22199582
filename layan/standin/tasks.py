from django_tasks import task

from layan.standin import services


@task()
def emit_statuses(wamid: str) -> list[int]:
    """Post the sent → delivered → read webhooks of one stand-in send, after its answer."""
    return services.emit_statuses(wamid)
