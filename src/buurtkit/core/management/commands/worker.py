"""``buurtkit worker``: runs background tasks from the configured queue (database or Redis)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background tasks (database queue by default, RQ when REDIS_URL is set)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Run what is waiting, then stop.")

    def handle(self, *args: Any, **opts: Any) -> None:
        backend = settings.TASKS["default"]["BACKEND"]
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
