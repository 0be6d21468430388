"""``buurtkit jobs`` lists the recurring jobs; ``buurtkit jobs run NAME`` runs one now.

The jobs are run by ``buurtkit worker`` (core.scheduler); this command shows what they did
last and when they run next, from the same records the operations page (/ops/jobs/) shows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from buurtkit.core import scheduler

STATES = {
    "never": "not run yet",
    "running": "running",
    "ok": "ok",
    "failed": "FAILED",
    "interrupted": "stopped before it finished",
}
TRIGGERS = {"schedule": "", "catch_up": "catching up", "manual": "started by hand"}


def _when(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S") if at else "-"


def _duration(d: timedelta | None) -> str:
    return f"{d.total_seconds():.1f} s" if d is not None else "-"


class Command(BaseCommand):
    help = "List the recurring jobs (schedule, last run, next run), or run one now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", nargs="?", choices=["list", "run"], default="list")
        parser.add_argument("name", nargs="?", help="the job to run (with `run`)")

    def handle(self, *args: Any, **opts: Any) -> None:
        with translation.override("en"):
            if opts["action"] == "run":
                self.run_one(opts["name"])
            else:
                self.list_jobs()

    def list_jobs(self) -> None:
        statuses = scheduler.job_statuses()
        if not statuses:
            self.stdout.write("No recurring jobs are registered.")
            return
        for status in statuses:
            self.stdout.write(self.style.MIGRATE_HEADING(status.name))
            self.stdout.write(f"  what:      {status.title}")
            self.stdout.write(f"  schedule:  {status.schedule}")
            state = STATES[status.state]
            how = TRIGGERS.get(status.trigger, "")
            if status.missed:
                how = f"{how}, {status.missed} run(s) missed"
            last = f"{_when(status.started_at)}  {state}"
            if status.state in ("ok", "failed"):
                last += f" in {_duration(status.duration)}"
            if how:
                last += f" ({how})"
            if status.result:
                last += f": {status.result}"
            self.stdout.write(f"  last run:  {last if status.started_at else state}")
            if status.error:
                self.stdout.write(f"  error:     {status.error_summary}")
            if status.running_until:
                self.stdout.write(f"  lease:     until {_when(status.running_until)}")
            self.stdout.write(f"  next run:  {_when(status.next_run)}")

    def run_one(self, name: str | None) -> None:
        if not name:
            raise CommandError("Name the job to run: buurtkit jobs run NAME (see buurtkit jobs).")
        if name not in scheduler.JOBS:
            known = ", ".join(scheduler.JOBS.keys()) or "none"
            raise CommandError(f"There is no job {name!r}. Jobs: {known}.")
        try:
            run = scheduler.run_now(name)
        except scheduler.AlreadyRunning:
            raise CommandError(f"{name} is running now; try again when it has finished.") from None
        if run.outcome == "failed":
            raise CommandError(f"{name} failed:\n{run.error}")
        self.stdout.write(f"{name}: ok" + (f": {run.result}" if run.result else ""))
