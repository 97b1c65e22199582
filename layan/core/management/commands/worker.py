import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from layan.core.periodic import Scheduler


def start_task_worker(interval: float = 1.0):
    """Start the database task worker in a daemon thread (None for non-database backends)."""
    if settings.LAYAN_TASK_BACKEND != "db":
        return None
    from django.utils.crypto import get_random_string
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=worker.run, name="layan-tasks", daemon=True)
    thread.start()
    return worker


class Command(BaseCommand):
    help = "Run background tasks and the periodic scheduler until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args, **options):
        scheduler = Scheduler()
        scheduler.start()
        worker = start_task_worker(options["interval"])
        self.stdout.write(f"worker running (task backend: {settings.LAYAN_TASK_BACKEND})")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
        scheduler.stop()
        if worker is not None:
            worker.running = False
        self.stdout.write("worker stopped")
