"""The background-task workers behind ``layan worker`` and the one-process demo.

Two backends run the same tasks (``settings.LAYAN_TASK_BACKEND``):

- ``db`` (the embedded default): django-tasks-db's worker, which looks for work in the task
  table. Left alone it polls once a second, so a resident's first reply waited for the next poll
  at each of the two hops (inbox drain, outbox send). Here it is woken as soon as work is queued:
  in the same process by an event set when a task is enqueued and its transaction commits; in
  another process (web and worker apart, on PostgreSQL) by ``NOTIFY layan_tasks``, sent in the
  enqueuing transaction and so delivered at its commit. A task queued to run later (``run_after``)
  wakes the worker when it is due. Polling stays as the safety net.
- ``rq``: RQ's worker on Redis, which blocks on the queue (no polling) and runs RQ's scheduler
  for tasks queued to run later.

Either way the periodic scheduler (:mod:`layan.core.periodic`) runs beside the worker and stays
single-leader by a row lock per periodic task; the inbox drain and the outbox sender keep their
own leases in the database, so a worker killed in the middle of a job loses nothing and does
nothing twice: the lease runs out and the periodic sweep picks the work up again.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "layan_tasks"


class Waker:
    """Wakes an idle worker of this process. ``wait`` returns early once ``wake`` is called."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def wake(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(max(timeout, 0.0))


# One per process: the threads of one process share it (a worker thread and the web threads in
# the demo; the listener thread and the worker thread in `layan worker`).
waker = Waker()


def task_enqueued(sender, task_result, **kwargs) -> None:
    """Receiver of django-tasks' ``task_enqueued``: wake the workers once the task is visible."""
    if settings.LAYAN_TASK_BACKEND != "db":
        return  # RQ's workers block on Redis; the inline backends have already run the task
    connection = connections["default"]
    if connection.vendor == "postgresql":
        try:
            with connection.cursor() as cursor:
                # In a transaction Postgres delivers it at the commit, never before.
                cursor.execute(f"NOTIFY {NOTIFY_CHANNEL}")
        except Exception:  # the worker polls anyway
            logger.warning("could not notify the task workers", exc_info=True)
    if connection.in_atomic_block:
        transaction.on_commit(waker.wake)
    else:
        waker.wake()


# Per process and (task, argument): until when a run is already queued to start.
_scheduled_until: dict[tuple, float] = {}
_scheduled_lock = threading.Lock()


def enqueue_debounced(task, *args, window: float) -> None:
    """Enqueue ``task(*args)`` unless a run that starts after this moment is already queued.

    For tasks that work through everything waiting (the inbox drain, a number's dispatch): a lone
    call runs at once; calls close together share one run, queued to start ``window`` seconds
    later, so a burst adds one task row per window instead of one per call. Inline backends
    (which cannot defer) run every call."""
    from django_tasks import default_task_backend

    if not default_task_backend.supports_defer or window <= 0:
        task.enqueue(*args)
        return
    key = (task.module_path, *args)
    now = time.monotonic()
    with _scheduled_lock:
        scheduled = _scheduled_until.get(key, 0.0)
        if now < scheduled:
            return  # a run that starts after this call is already queued
        delay = window if now - scheduled < window else 0.0
        _scheduled_until[key] = now + delay
    if delay:
        task.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(*args)
    else:
        task.enqueue(*args)


class NotifyListener(threading.Thread):
    """``LISTEN layan_tasks`` on a connection of its own; each notification wakes the worker.

    Survives a database restart: the connection is opened again, with a pause that grows to
    five seconds; until then the worker falls back to polling."""

    def __init__(self, timeout: float = 5.0):
        super().__init__(name="layan-task-listener", daemon=True)
        self.timeout = timeout
        self.stopped = threading.Event()
        self.listening = threading.Event()

    def run(self) -> None:
        import psycopg

        pause = 0.5
        while not self.stopped.is_set():
            try:
                params = connections["default"].get_connection_params()
                with psycopg.connect(**params, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.listening.set()
                    pause = 0.5
                    waker.wake()  # work queued while we were not listening
                    while not self.stopped.is_set():
                        for _notice in conn.notifies(timeout=self.timeout, stop_after=1):
                            waker.wake()
            except Exception as exc:
                self.listening.clear()
                if self.stopped.is_set():
                    break
                logger.warning("task notifications lost (%s); listening again", exc)
                self.stopped.wait(pause)
                pause = min(pause * 2, 5.0)

    def stop(self) -> None:
        self.stopped.set()


def _next_due(backend_name: str, now: datetime) -> datetime | None:
    """When the earliest task queued to run later is due (None when there is none)."""
    from django.db.models import Min
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, backend_name=backend_name, run_after__gt=now
    ).aggregate(due=Min("run_after"))["due"]


def _waking_worker_class():
    from django.db.utils import OperationalError
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

    class WakingWorker(Worker):
        """django-tasks-db's worker, waiting on the :data:`waker` instead of sleeping."""

        def claim_next(self):
            tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
            with exclusive_transaction(tasks.db):
                try:
                    found = tasks.get_locked()
                    if found is not None:
                        found.claim(self.worker_id)
                    return found
                except OperationalError as exc:
                    if is_locked_database_exception(exc):
                        return None
                    raise

        def run(self) -> None:
            logger.debug("task worker %s started", self.worker_id)
            try:
                self._loop()
            finally:
                connections.close_all()  # this thread's connections

        def _loop(self) -> None:
            while self.running:
                waker.clear()  # a wake from now on is not missed by the wait below
                try:
                    close_old_connections()
                    found = self.claim_next()
                except Exception as exc:  # the database is away: wait and try again
                    logger.warning("task worker cannot reach the database (%s)", exc)
                    close_old_connections()
                    waker.wait(self.interval)
                    continue
                if found is not None:
                    self.run_task(found)  # counts it in _run_tasks
                    if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                        return
                    continue
                close_old_connections()
                if not self.running:
                    return
                timeout = self.interval
                try:
                    now = timezone.now()
                    due = _next_due(self.backend_name, now)
                    if due is not None:
                        timeout = min(timeout, (due - now).total_seconds())
                except Exception:  # the look-up is an optimisation: poll as usual
                    logger.debug("could not look up the next delayed task", exc_info=True)
                waker.wait(timeout)

    return WakingWorker


class TaskWorkers:
    """The task worker threads of this process and their listener."""

    def __init__(self, workers: list, listener: NotifyListener | None):
        self.workers, self.listener = workers, listener
        self.threads: list[threading.Thread] = []

    def start(self) -> TaskWorkers:
        if self.listener is not None:
            self.listener.start()
        for index, worker in enumerate(self.workers):
            thread = threading.Thread(target=worker.run, name=f"layan-tasks-{index}", daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        for worker in self.workers:
            worker.running = False
        if self.listener is not None:
            self.listener.stop()
        waker.wake()
        for thread in self.threads:
            thread.join(timeout)


def start_task_worker(
    interval: float = 1.0, *, threads: int = 1, listen: bool | None = None
) -> TaskWorkers | None:
    """Start ``threads`` database task workers in daemon threads (None for other backends), and
    on PostgreSQL the listener that wakes them when another process queues work. While one thread
    paces a number's sends or waits on WhatsApp, another answers the next resident."""
    if settings.LAYAN_TASK_BACKEND != "db":
        return None
    from django.utils.crypto import get_random_string

    worker_class = _waking_worker_class()
    workers = [
        worker_class(
            queue_names=["*"],
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        for _ in range(max(threads, 1))
    ]
    if listen is None:
        listen = connections["default"].vendor == "postgresql"
    return TaskWorkers(workers, NotifyListener() if listen else None).start()


def stop_task_worker(workers: TaskWorkers | None, timeout: float = 5.0) -> None:
    if workers is not None:
        workers.stop(timeout)


def run_rq_worker(*, burst: bool = False) -> None:
    """Run RQ's worker on the default queue in this (main) thread until SIGTERM or SIGINT (RQ's
    own handlers: the job under way finishes first), or with ``burst`` until the queue is empty.
    RQ's scheduler runs inside it, for tasks queued to run later."""
    import django_rq
    from django_tasks_rq.backend import Job

    worker = django_rq.get_worker("default", job_class=Job)
    worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")


def wait_for_redis(seconds: float = 30.0) -> None:
    """Block until Redis answers (the worker starting before Redis after a reboot)."""
    import django_rq

    deadline = time.monotonic() + seconds
    while True:
        try:
            django_rq.get_connection("default").ping()
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise
            logger.warning("waiting for Redis (%s)", exc)
            time.sleep(1.0)
