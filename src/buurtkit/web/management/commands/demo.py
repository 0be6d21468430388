"""``buurtkit demo``: migrate, load the demo neighbourhood once, run tasks in-process, serve."""

from __future__ import annotations

import os
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
        self.stdout.write("Preparing the database…")
        call_command("migrate", interactive=False, verbosity=0)
        logins = self.load()
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo neighbourhood: http://{opts['host']}:{opts['port']}/{DEMO_SLUG}/"
            )
        )
        self.stdout.write("Demo logins (user name / password):")
        for role, username, password in logins:
            self.stdout.write(f"  {role:<14} {username:<14} {password}")
        self.stdout.write(f"API docs: http://{opts['host']}:{opts['port']}/api/v1/docs")
        if opts["no_serve"]:
            return
        # The telephony simulator phones this very server (calls progress live in the demo).
        # Set in the environment too: the server's workers are new processes that read it.
        if not getattr(settings, "TELEPHONY_SIMULATOR_BASE_URL", ""):
            wildcard = opts["host"] in ("0.0.0.0", "::", "")  # noqa: S104 - a comparison
            local = "127.0.0.1" if wildcard else opts["host"]
            settings.TELEPHONY_SIMULATOR_BASE_URL = f"http://{local}:{opts['port']}"
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
