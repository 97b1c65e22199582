from django.core.management.base import BaseCommand


def serve(host: str, port: int, threads: int = 8) -> None:
    from waitress import serve as waitress_serve

    from layan.wsgi import application

    waitress_serve(application, host=host, port=port, threads=threads, ident="layan")


class Command(BaseCommand):
    help = "Serve the web application (console, API, webhooks) with waitress."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, **options):
        self.stdout.write(f"serving on http://{options['host']}:{options['port']}/")
        serve(options["host"], options["port"], options["threads"])
