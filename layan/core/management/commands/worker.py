import os
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from layan.core.periodic import Scheduler
from layan.core.workers import run_rq_worker, start_task_worker, stop_task_worker, wait_for_redis


class Command(BaseCommand):
    help = (
        "Run background tasks and the periodic scheduler until interrupted: django-tasks-db's "
        "worker (woken when work is queued) or RQ's worker, after LAYAN_TASK_BACKEND."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="database backend: seconds between looks for work when nothing woke the worker",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("LAYAN_TASK_THREADS", "2")),
            help="database backend: worker threads in this process",
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="do not enqueue periodic work from this process (another worker does)",
        )

    def handle(self, *args, **options):
        backend = settings.LAYAN_TASK_BACKEND
        scheduler = None if options["no_scheduler"] else Scheduler()
        if scheduler is not None:
            scheduler.start()
        self.stdout.write(f"worker running (task backend: {backend})")
        self.stdout.flush()
        try:
            if backend == "rq":
                wait_for_redis()
                run_rq_worker()  # blocks; RQ's own signal handlers stop it
                return
            worker = start_task_worker(options["interval"], threads=options["threads"])
            stop = threading.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
            stop.wait()
            stop_task_worker(worker)
        finally:
            if scheduler is not None:
                scheduler.stop()
            self.stdout.write("worker stopped")
