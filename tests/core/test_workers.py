"""The database task worker is woken when work is queued, instead of waiting for its next look.

Each test gives the worker a look-interval of 30 s: only a wake-up makes the task run within
the few seconds the test waits.
"""

import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from layan.core import workers
from layan.core.models import PeriodicSchedule
from tests.core.probe_tasks import leave_mark

pytestmark = pytest.mark.django_db(transaction=True)

# A worker thread beside the test needs a database that makes a second writer wait: SQLite's
# shared in-memory test database answers "table is locked" at once instead. The embedded default
# (SQLite in a file, WAL) is measured end to end by bench/conversations.py.
needs_server_database = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="a worker thread beside the test needs PostgreSQL"
)

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def db_worker(settings):
    settings.LAYAN_TASK_BACKEND = "db"
    settings.TASKS = DB_TASKS
    worker = workers.start_task_worker(interval=30.0, listen=False)
    time.sleep(0.2)  # the worker has looked once and found nothing: it now waits
    yield worker
    workers.stop_task_worker(worker)


def ran_within(name: str, seconds: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if PeriodicSchedule.objects.filter(task_path=name).exists():
                return time.monotonic() - started
        except OperationalError:  # SQLite's in-memory test database: the worker is writing
            pass
        time.sleep(0.02)
    return None


@needs_server_database
def test_a_task_queued_in_this_process_runs_at_once(db_worker):
    leave_mark.enqueue("now")
    took = ran_within("now", 5)
    assert took is not None and took < 2


@needs_server_database
def test_a_task_queued_in_a_transaction_runs_after_the_commit(db_worker):
    with transaction.atomic():
        leave_mark.enqueue("committed")
        time.sleep(0.3)
        # Not woken before the commit (the task is not visible to the worker yet).
        assert not PeriodicSchedule.objects.filter(task_path="committed").exists()
    took = ran_within("committed", 5)
    assert took is not None and took < 2


@needs_server_database
def test_a_task_queued_to_run_later_runs_when_due(db_worker):
    leave_mark.using(run_after=timezone.now() + timedelta(seconds=1)).enqueue("later")
    assert ran_within("later", 0.5) is None
    took = ran_within("later", 5)
    assert took is not None and took < 3


@needs_server_database
def test_the_worker_outlives_a_task_that_fails(db_worker):
    leave_mark.enqueue(None)  # the row cannot be stored: the task fails
    leave_mark.enqueue("after")
    assert ran_within("after", 5) is not None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="LISTEN/NOTIFY needs PostgreSQL")
def test_another_process_wakes_the_worker_by_notify(settings):
    settings.LAYAN_TASK_BACKEND = "db"
    listener = workers.NotifyListener(timeout=1.0)
    listener.start()
    try:
        assert listener.listening.wait(5)
        time.sleep(0.1)
        workers.waker.clear()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"NOTIFY {workers.NOTIFY_CHANNEL}")
            # Delivered at the commit, not before.
            assert not workers.waker.wait(0.3)
        assert workers.waker.wait(3)
    finally:
        listener.stop()
        listener.join(5)


@pytest.mark.skipif(
    __import__("django.conf").conf.settings.LAYAN_TASK_BACKEND != "rq",
    reason="the RQ backend is tested when the suite runs with LAYAN_TASK_BACKEND=rq",
)
def test_rq_worker_runs_what_was_queued_on_redis(monkeypatch):
    from django_rq import queues
    from django_rq.settings import QUEUES

    # The suite runs RQ jobs at enqueue; this one waits in Redis for a real worker.
    monkeypatch.setitem(QUEUES["default"], "ASYNC", True)
    queue = queues.get_queue("default")
    queue.empty()
    leave_mark.enqueue("rq")
    assert queue.count == 1
    assert not PeriodicSchedule.objects.filter(task_path="rq").exists()
    workers.run_rq_worker(burst=True)
    assert queue.count == 0
    assert PeriodicSchedule.objects.filter(task_path="rq").exists()


def test_calls_close_together_share_one_queued_run(settings):
    from django_tasks_db.models import DBTaskResult

    settings.LAYAN_TASK_BACKEND = "db"
    settings.TASKS = DB_TASKS
    for _ in range(5):
        workers.enqueue_debounced(leave_mark, "burst", window=5.0)
    # The first call runs at once; the four after it share one run five seconds later.
    now = timezone.now()
    rows = DBTaskResult.objects.all()
    later = rows.filter(run_after__gt=now, run_after__lte=now + timedelta(seconds=6))
    assert rows.count() == 2 and later.count() == 1 and rows.ready().count() == 1
    workers.enqueue_debounced(leave_mark, "other", window=5.0)  # another argument: its own run
    assert DBTaskResult.objects.count() == 3
