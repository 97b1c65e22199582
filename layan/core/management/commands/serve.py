import os

from django.core.management.base import BaseCommand
from django.core.servers.basehttp import get_internal_wsgi_application


def serve(host: str, port: int, threads: int = 8) -> None:
    """One process, several threads: what the embedded demo runs (next to its task worker)."""
    from waitress import serve as waitress_serve  # only when serving with waitress

    application = get_internal_wsgi_application()  # settings.WSGI_APPLICATION, as runserver
    waitress_serve(application, host=host, port=port, threads=threads, ident="layan")


def serve_gunicorn(host: str, port: int, workers: int, threads: int) -> None:
    """Several worker processes (pre-fork): the production server on Linux."""
    from gunicorn.app.base import BaseApplication  # POSIX only: not imported elsewhere

    application = get_internal_wsgi_application()

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("accesslog", None)
            self.cfg.set("keepalive", 5)
            self.cfg.set("proc_name", "layan")

        def load(self):
            return application

    Server().run()


class Command(BaseCommand):
    help = "Serve the web application (console, API, webhooks)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--server",
            choices=["gunicorn", "waitress"],
            default="gunicorn" if os.name == "posix" else "waitress",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("LAYAN_WEB_WORKERS", (os.cpu_count() or 1) + 1)),
            help="gunicorn worker processes",
        )
        parser.add_argument("--threads", type=int, default=1, help="threads per worker")

    def handle(self, *args, **options):
        host, port = options["host"], options["port"]
        self.stdout.write(f"serving on http://{host}:{port}/ ({options['server']})")
        if options["server"] == "gunicorn":
            serve_gunicorn(host, port, options["workers"], options["threads"])
        else:
            serve(host, port, max(options["threads"], 8))
