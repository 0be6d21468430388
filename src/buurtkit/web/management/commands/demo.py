"""``buurtkit demo``: migrate, load the demo neighbourhood once, run tasks in-process, serve."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from buurtkit.core import scheduler
from buurtkit.core.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_loaders
from buurtkit.core.management.commands.serve import serve
from buurtkit.core.models import Community
from buurtkit.core.modules import MODULES
from buurtkit.core.services import community_create

DEMO_SLUG = "rabot"


class Command(BaseCommand):
    help = "Run buurtkit with a demo neighbourhood: one command, one terminal."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Set up and load, then stop.")

    def handle(self, *args: Any, **opts: Any) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        public = settings.PUBLIC_URL or f"http://{_reachable(opts['host'])}:{opts['port']}"
        self.stdout.write("Preparing the database…")
        call_command("migrate", interactive=False, verbosity=0)
        logins = self.load()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo neighbourhood: {public}/{DEMO_SLUG}/"))
        self.stdout.write("Demo logins (user name / password):")
        width = max((len(role) for role, _user, _password in logins), default=14)
        for role, username, password in logins:
            self.stdout.write(f"  {role:<{width}} {username:<14} {password}")
        self.stdout.write(f"API docs: {public}/api/v1/docs")
        self.stdout.write(
            f"Printed QR codes point at {public}/Q/… "
            "(set BUURTKIT_PUBLIC_URL to print them for another address)."
        )
        if opts["no_serve"]:
            return
        # Printed codes and the simulator's webhooks (conference events too) reach this
        # server, whatever port it runs on. In the environment too: the server's workers are
        # new processes that read it.
        settings.PUBLIC_URL = public
        os.environ["BUURTKIT_PUBLIC_URL"] = public
        # The telephony simulator phones this very server (calls progress live in the demo).
        # Set in the environment too: the server's workers are new processes that read it.
        if not getattr(settings, "TELEPHONY_SIMULATOR_BASE_URL", ""):
            settings.TELEPHONY_SIMULATOR_BASE_URL = f"http://{_local(opts['host'])}:{opts['port']}"
            os.environ["TELEPHONY_SIMULATOR_BASE_URL"] = settings.TELEPHONY_SIMULATOR_BASE_URL
        if not getattr(settings, "TELEPHONY_SIMULATOR_PACE", 0):
            settings.TELEPHONY_SIMULATOR_PACE = 0.5  # seconds between steps of a simulated call
            os.environ["TELEPHONY_SIMULATOR_PACE_MS"] = "500"
        if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
            self.stdout.write("Background tasks run inside the server's process.")
        # The jobs start in the server's (one) worker process, when it loads the application
        # (conf/wsgi.py): simulated calls placed by the jobs and by requests then share one
        # simulated phone network (its conference rooms live in that process's memory).
        os.environ[BACKGROUND_ENV] = "1"
        serve(opts["host"], opts["port"], 4, self.stdout.write, workers=1)

    def load(self) -> list[tuple[str, str, str]]:
        if Community.objects.filter(slug=DEMO_SLUG).exists():
            self.stdout.write("The demo neighbourhood is already there; keeping it as it is.")
            return [(role, username, DEMO_PASSWORD) for role, username in DEMO_LOGINS]
        self.stdout.write("Loading the demo neighbourhood (about 200 residents)…")
        with transaction.atomic():
            community = community_create(
                name="Rabot – Blaisantvest",
                slug=DEMO_SLUG,
                default_language="nl",
                enabled_modules=list(MODULES),
            )
            logins: list[tuple[str, str, str]] = []
            for loader in demo_loaders():
                logins += loader.load(community)
        return logins


BACKGROUND_ENV = "BUURTKIT_DEMO_BACKGROUND"
WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # noqa: S104 - compared with, not bound to


def _local(host: str) -> str:
    """An address of this server that this machine can call (a wildcard listens on all)."""
    return "127.0.0.1" if host in WILDCARD_HOSTS else host


def _reachable(host: str) -> str:
    """The address others reach this server at: the host it listens on, or for a wildcard
    this machine's address on its network (the route out; no packet is sent)."""
    if host not in WILDCARD_HOSTS:
        return f"[{host}]" if ":" in host and not host.startswith("[") else host
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("192.0.2.1", 9))  # TEST-NET-1: connect() on UDP only picks a route
        return str(sock.getsockname()[0])
    return "127.0.0.1"


def start_background() -> None:
    """The demo's background work, in threads of this process: the task worker (with the
    database task backend) and the recurring jobs, on their fast demo schedules (Buurbel
    calls every 10 seconds: ``demo_every``), as ``buurtkit worker`` runs them in production."""
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        threading.Thread(target=_run_worker, name="buurtkit-worker", daemon=True).start()
    scheduler.start_thread(demo=True, every_seconds=2)


def _run_worker() -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="demo-in-process",
        excluded_queue_names=[],
    )
    worker.run()
