from django_tasks import task

from layan.cases import services


@task()
def sweep_overdue() -> int:
    """Flag overdue steps and requests (scheduled by ``layan.core.periodic``)."""
    return services.sweep_overdue()
