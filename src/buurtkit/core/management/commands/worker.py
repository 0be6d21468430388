"""``buurtkit worker``: runs background tasks from the configured queue (database or Redis),
and the recurring jobs (``core.scheduler``) in a thread of the same process.

Several workers may run at once, on one machine or several: each scheduled slot still runs
once (the workers claim it in the database). ``--batch`` runs the jobs that are due and the
tasks that are waiting, then stops.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from buurtkit.core import scheduler


class Command(BaseCommand):
    help = (
        "Run background tasks (database queue by default, RQ when REDIS_URL is set) "
        "and the recurring jobs (see `buurtkit jobs`)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--batch", action="store_true", help="Run the due jobs and waiting tasks, then stop."
        )
        parser.add_argument(
            "--no-jobs", action="store_true", help="Run tasks only, not the recurring jobs."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["no_jobs"]:
            if opts["batch"]:
                for run in scheduler.tick():
                    self.stdout.write(f"job {run.name}: {run.outcome} {run.result}".rstrip())
            else:
                every = getattr(settings, "SCHEDULER_TICK_SECONDS", scheduler.TICK_SECONDS)
                scheduler.start_thread(every_seconds=every)
        backend = str(settings.TASKS["default"]["BACKEND"])
        if backend.startswith("django_tasks_rq"):
            extra = ["--burst"] if opts["batch"] else []
            call_command(
                "rqworker",
                "default",
                "--job-class",
                "django_tasks_rq.Job",
                "--with-scheduler",
                *extra,
            )
        else:
            extra = ["--batch"] if opts["batch"] else []
            call_command("db_worker", "--queue-name", "*", "--no-reload", *extra)
