"""Recurring work, run by ``buurtkit worker`` itself: no cron, no extra service (ADR 0014).

A module registers its recurring jobs in its ``AppConfig.ready()``::

    from buurtkit.core import scheduler

    scheduler.register(
        "buurbel_calls",
        scheduler.every(minutes=1),
        "buurtkit.neighbours.services.introductions_tick",
        title=_("Place the Buurbel calls that are due"),
        demo_every=10,
    )

A job is a callable without arguments (or its dotted path) that does the work by calling
services. Schedules:

- :func:`every` — every N seconds/minutes/hours. The slots are whole multiples of the
  interval since 1970-01-01 00:00 UTC (every 5 minutes: :00, :05, :10 …), so every worker
  computes the same slots.
- :func:`daily_at` — every day at a wall-clock time in a time zone (Europe/Brussels unless
  said otherwise). "02:00" stays 02:00 local time in winter and in summer time. On the night
  the clocks go forward, a time inside the missing hour (02:00–02:59 in Brussels) does not
  exist; the job then runs once, as if the clocks had not moved yet: 02:00 → 03:00 summer
  time, 02:30 → 03:30 (the same moment in UTC as on the days before). On the night the clocks
  go back, a time in the repeated hour runs once, at its first occurrence.

How a slot runs once, whatever the number of workers (see :func:`tick`):

1. The state of each job is a ``core.ScheduledJob`` row. A worker that finds the latest slot
   (the most recent scheduled moment up to now) later than the row's ``last_slot`` tries to
   claim it with one conditional UPDATE: ``SET last_slot = :slot, lease_until = … WHERE
   name = :name AND (last_slot IS NULL OR last_slot < :slot) AND (no live lease)``. Only one
   worker's UPDATE changes the row (the database serialises the UPDATEs on that row: a row
   lock on PostgreSQL, the write lock on SQLite); the others change nothing and move on.
2. A worker that was down across several slots finds only the latest one: the job runs once
   to catch up, and the row says how many slots were missed (``last_trigger = catch_up``).
3. The lease (``lease_until``, per job, default 10 minutes) keeps a job that runs longer than
   its interval from being started again by another worker; the next slot is claimed after
   the run has finished. A worker that dies mid-run leaves the lease, which ends by itself.
4. A job that raises is recorded as failed with its error; the other jobs still run.

A job seen for the first time is not run at once: its row is created and it first runs at
its next slot. ``buurtkit jobs run NAME`` runs a job now (it still honours the lease).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from django.db import close_old_connections, connections
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext, ngettext

from buurtkit.core import clock
from buurtkit.core.registry import Registry

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_LEASE = timedelta(minutes=10)
TICK_SECONDS = 5
THREAD_NAME = "buurtkit-scheduler"


# --- schedules ------------------------------------------------------------------------------


class Schedule(Protocol):
    def latest_slot(self, now: datetime) -> datetime:
        """The most recent slot at or before ``now``."""

    def next_slot(self, after: datetime) -> datetime:
        """The first slot strictly after ``after``."""

    def slots_between(self, start: datetime, end: datetime) -> int:
        """How many slots lie strictly between ``start`` and ``end``."""

    def describe(self) -> str:
        """The schedule in plain words, in the active language."""


@dataclass(frozen=True)
class Every:
    """Every ``seconds`` seconds, at whole multiples of the interval since the epoch (UTC)."""

    seconds: int

    def __post_init__(self) -> None:
        if self.seconds < 1:
            raise ValueError("An interval is at least one second.")

    def latest_slot(self, now: datetime) -> datetime:
        elapsed = int((now - EPOCH).total_seconds())
        return EPOCH + timedelta(seconds=elapsed - elapsed % self.seconds)

    def next_slot(self, after: datetime) -> datetime:
        return self.latest_slot(after) + timedelta(seconds=self.seconds)

    def slots_between(self, start: datetime, end: datetime) -> int:
        first = self.next_slot(start)
        if first >= end:
            return 0
        return (int((end - first).total_seconds()) - 1) // self.seconds + 1

    def describe(self) -> str:
        s = self.seconds
        if s % 3600 == 0:
            n = s // 3600
            return ngettext("every hour", "every %(n)d hours", n) % {"n": n}
        if s % 60 == 0:
            n = s // 60
            return ngettext("every minute", "every %(n)d minutes", n) % {"n": n}
        return ngettext("every second", "every %(n)d seconds", s) % {"n": s}


@dataclass(frozen=True)
class DailyAt:
    """Every day at ``hour:minute`` wall-clock time in ``zone`` (see the module's notes on DST)."""

    hour: int
    minute: int = 0
    zone: str = "Europe/Brussels"

    def __post_init__(self) -> None:
        if not (0 <= self.hour < 24 and 0 <= self.minute < 60):
            raise ValueError("A time of day is HH:MM between 00:00 and 23:59.")
        ZoneInfo(self.zone)  # an unknown zone fails here, at registration

    def slot_on(self, day: date) -> datetime:
        # fold=0: a repeated time is its first occurrence; a missing time is read with the
        # offset from before the change, which puts it just after the gap (02:30 → 03:30).
        local = datetime(day.year, day.month, day.day, self.hour, self.minute, fold=0)
        return local.replace(tzinfo=ZoneInfo(self.zone)).astimezone(UTC)

    def _days_around(self, moment: datetime) -> list[datetime]:
        day = moment.astimezone(ZoneInfo(self.zone)).date()
        return [self.slot_on(day + timedelta(days=d)) for d in (-2, -1, 0, 1, 2)]

    def latest_slot(self, now: datetime) -> datetime:
        return max(slot for slot in self._days_around(now) if slot <= now)

    def next_slot(self, after: datetime) -> datetime:
        return min(slot for slot in self._days_around(after) if slot > after)

    def slots_between(self, start: datetime, end: datetime) -> int:
        count, slot = 0, self.next_slot(start)
        while slot < end and count < 10_000:
            count, slot = count + 1, self.next_slot(slot)
        return count

    def describe(self) -> str:
        zone = self.zone.split("/")[-1].replace("_", " ")
        if self.zone == "Europe/Brussels":
            zone = gettext("Brussels")
        return gettext("every day at %(time)s (%(zone)s time)") % {
            "time": f"{self.hour:02d}:{self.minute:02d}",
            "zone": zone,
        }


def every(*, seconds: int = 0, minutes: int = 0, hours: int = 0) -> Every:
    """A schedule: every so many seconds, minutes or hours."""
    return Every(seconds + 60 * minutes + 3600 * hours)


def daily_at(at: str, zone: str = "Europe/Brussels") -> DailyAt:
    """A schedule: every day at ``"HH:MM"`` local time in ``zone``."""
    try:
        hour, minute = (int(part) for part in at.split(":"))
    except ValueError:
        raise ValueError(f"{at!r} is not a time of day like '02:00'.") from None
    return DailyAt(hour, minute, zone)


# --- jobs and their registry ----------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    name: str
    schedule: Every | DailyAt
    run: Callable[[], object] | str  # a callable or its dotted path
    title: str | Promise = ""  # what it does, in plain words (gettext_lazy)
    lease: timedelta = DEFAULT_LEASE  # longer than the job's longest run
    demo_every: int | None = None  # seconds, in ``buurtkit demo`` only

    def schedule_for(self, *, demo: bool = False) -> Every | DailyAt:
        if demo and self.demo_every:
            return Every(self.demo_every)
        return self.schedule

    def function(self) -> Callable[[], object]:
        found = import_string(self.run) if isinstance(self.run, str) else self.run
        if not callable(found):
            raise TypeError(f"Job {self.name}: {self.run!r} is not callable.")
        return found  # type: ignore[no-any-return]


JOBS: Registry[str, Job] = Registry("scheduled jobs")


def register(
    name: str,
    schedule: Every | DailyAt,
    run: Callable[[], object] | str,
    *,
    title: str | Promise = "",
    lease: timedelta = DEFAULT_LEASE,
    demo_every: int | None = None,
) -> Job:
    """Register a recurring job (in ``AppConfig.ready()``); a name can be used once."""
    if lease <= timedelta(0):
        raise ValueError("A lease is longer than zero.")
    # A lazy title stays lazy (translated when shown); only a missing title becomes the name.
    shown = title if isinstance(title, Promise) or title else name
    job = Job(name, schedule, run, shown, lease, demo_every)
    return JOBS.register_once(name, job)


# --- running ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """What one run of a job did."""

    name: str
    trigger: str  # "schedule", "catch_up" or "manual"
    slot: datetime | None
    missed: int
    outcome: Literal["ok", "failed"]
    error: str = ""
    result: str = ""


class AlreadyRunning(Exception):
    """``run_now`` found the job running elsewhere (its lease is live)."""


def _owner() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _free_lease(now: datetime) -> Q:
    return Q(lease_until__isnull=True) | Q(lease_until__lte=now)


def _claim(job: Job, schedule: Every | DailyAt, now: datetime) -> tuple[str, datetime, int] | None:
    """Claim the job's latest slot if it is due; return (lease owner, slot, missed) or None."""
    from buurtkit.core.models import ScheduledJob

    slot = schedule.latest_slot(now)
    row, created = ScheduledJob.objects.get_or_create(
        name=job.name, defaults={"last_slot": slot, "next_slot": schedule.next_slot(slot)}
    )
    if created or (row.last_slot is not None and row.last_slot >= slot):
        return None  # first seen (it runs from its next slot on), or this slot is taken
    missed = schedule.slots_between(row.last_slot, slot) if row.last_slot else 0
    owner = _owner()
    claimed = (
        ScheduledJob.objects.filter(name=job.name)
        .filter(Q(last_slot__isnull=True) | Q(last_slot__lt=slot))
        .filter(_free_lease(now))
        .update(
            last_slot=slot,
            next_slot=schedule.next_slot(slot),
            last_trigger="catch_up" if missed else "schedule",
            last_missed=missed,
            lease_until=now + job.lease,
            lease_owner=owner,
            last_started_at=now,
            last_finished_at=None,
            last_outcome="",
            last_error="",
            last_result="",
            last_duration=None,
        )
    )
    return (owner, slot, missed) if claimed else None


def _execute(job: Job, owner: str, trigger: str, slot: datetime | None, missed: int) -> Run:
    """Run the job's function and record how it went (only while this run holds the lease)."""
    from buurtkit.core.models import ScheduledJob

    if missed:
        logger.info("job %s: catching up (%d slot(s) missed)", job.name, missed)
    started = time.monotonic()
    try:
        result = job.function()()
    except Exception as exc:
        logger.exception("job %s failed", job.name)
        outcome: Literal["ok", "failed"] = "failed"
        error = "".join(traceback.format_exception(exc))[-4000:]
        shown = ""
    else:
        outcome, error = "ok", ""
        shown = "" if result is None else str(result)[:200]
    duration = timedelta(seconds=time.monotonic() - started)
    recorded = ScheduledJob.objects.filter(name=job.name, lease_owner=owner).update(
        last_finished_at=clock.now(),
        last_outcome=outcome,
        last_error=error,
        last_result=shown,
        last_duration=duration,
        lease_until=None,
        lease_owner="",
    )
    if not recorded:
        logger.warning(
            "job %s ran past its lease of %s; its outcome is not recorded", job.name, job.lease
        )
    return Run(job.name, trigger, slot, missed, outcome, error, shown)


def _claim_due(job: Job, demo: bool) -> tuple[str, datetime, int] | None:
    try:
        return _claim(job, job.schedule_for(demo=demo), clock.now())
    except Exception:  # the database is away for a moment: the next tick tries again
        logger.exception("job %s: could not be claimed", job.name)
        return None


def tick(*, demo: bool = False, jobs: Registry[str, Job] | None = None) -> list[Run]:
    """Run, one after the other, every job whose slot is due and not yet claimed by any
    worker; return the runs. Call it outside a transaction: a claim commits before its run.
    """
    runs = []
    for job in (jobs if jobs is not None else JOBS).values():
        claim = _claim_due(job, demo)
        if claim:
            owner, slot, missed = claim
            runs.append(_execute(job, owner, "catch_up" if missed else "schedule", slot, missed))
    return runs


def run_now(name: str, *, jobs: Registry[str, Job] | None = None) -> Run:
    """Run one job now, whatever its schedule (recorded as started by hand).

    Raises ``KeyError`` for an unknown name and :class:`AlreadyRunning` when a worker runs it.
    """
    from buurtkit.core.models import ScheduledJob

    job = (jobs if jobs is not None else JOBS)[name]
    now = clock.now()
    schedule = job.schedule
    ScheduledJob.objects.get_or_create(
        name=name,
        defaults={"last_slot": schedule.latest_slot(now), "next_slot": schedule.next_slot(now)},
    )
    owner = _owner()
    claimed = (
        ScheduledJob.objects.filter(name=name)
        .filter(_free_lease(now))
        .update(
            last_trigger="manual",
            last_missed=0,
            lease_until=now + job.lease,
            lease_owner=owner,
            last_started_at=now,
            last_finished_at=None,
            last_outcome="",
            last_error="",
            last_result="",
            last_duration=None,
        )
    )
    if not claimed:
        raise AlreadyRunning(name)
    return _execute(job, owner, "manual", None, 0)


# --- reading the state (the `jobs` command, the operations page) ------------------------------


@dataclass(frozen=True)
class JobStatus:
    name: str
    title: str
    schedule: str
    state: Literal["never", "running", "ok", "failed", "interrupted"]
    trigger: str = ""
    missed: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration: timedelta | None = None
    error: str = ""
    result: str = ""
    next_run: datetime | None = None
    running_until: datetime | None = None

    @property
    def error_summary(self) -> str:
        """The last line of the error (the exception), for a table."""
        lines = [line for line in self.error.strip().splitlines() if line.strip()]
        return lines[-1] if lines else ""


def job_statuses(*, demo: bool = False, jobs: Registry[str, Job] | None = None) -> list[JobStatus]:
    """Every registered job with its schedule, its last run and its next run."""
    from buurtkit.core.models import ScheduledJob

    registry = jobs if jobs is not None else JOBS
    rows = {row.name: row for row in ScheduledJob.objects.filter(name__in=registry.keys())}
    now = clock.now()
    statuses = []
    for job in registry.values():
        schedule = job.schedule_for(demo=demo)
        row = rows.get(job.name)
        latest = schedule.latest_slot(now)
        if row is None or row.last_slot is None:
            next_run = schedule.next_slot(now)
        elif row.last_slot < latest:
            next_run = latest  # due: the next tick of a worker runs it
        else:
            next_run = schedule.next_slot(row.last_slot)
        if row is None or row.last_started_at is None:
            state: Literal["never", "running", "ok", "failed", "interrupted"] = "never"
        elif row.last_outcome in ("ok", "failed"):
            state = row.last_outcome  # type: ignore[assignment]
        elif row.lease_until and row.lease_until > now:
            state = "running"
        else:
            state = "interrupted"
        statuses.append(
            JobStatus(
                name=job.name,
                title=str(job.title),
                schedule=schedule.describe(),
                state=state,
                trigger=row.last_trigger if row else "",
                missed=row.last_missed if row else 0,
                started_at=row.last_started_at if row else None,
                finished_at=row.last_finished_at if row else None,
                duration=row.last_duration if row else None,
                error=row.last_error if row else "",
                result=row.last_result if row else "",
                next_run=next_run,
                running_until=row.lease_until if row and state == "running" else None,
            )
        )
    return statuses


# --- the loop inside `buurtkit worker` (and `buurtkit demo`) ---------------------------------


def run_forever(
    stop: threading.Event, *, every_seconds: float = TICK_SECONDS, demo: bool = False
) -> None:
    """Tick every few seconds until ``stop`` is set (a worker's scheduler thread).

    Each claimed run gets its own thread, so a long nightly job does not hold up a job that
    runs every minute; a job still running in this process is not even looked at.
    """
    running: dict[str, threading.Thread] = {}
    while not stop.is_set():
        close_old_connections()
        try:
            for job in JOBS.values():
                if job.name in running and running[job.name].is_alive():
                    continue
                claim = _claim_due(job, demo)
                if claim:
                    thread = threading.Thread(
                        target=_execute_in_thread,
                        args=(job, *claim),
                        name=f"{THREAD_NAME}:{job.name}",
                        daemon=True,
                    )
                    running[job.name] = thread
                    thread.start()
        except Exception:  # never let the loop die: the next tick tries again
            logger.exception("scheduler tick failed")
        finally:
            connections.close_all()
        stop.wait(every_seconds)


def _execute_in_thread(job: Job, owner: str, slot: datetime, missed: int) -> None:
    try:
        _execute(job, owner, "catch_up" if missed else "schedule", slot, missed)
    except Exception:
        logger.exception("job %s: its outcome could not be recorded", job.name)
    finally:
        connections.close_all()


def start_thread(*, demo: bool = False, every_seconds: float = TICK_SECONDS) -> threading.Thread:
    """Start the scheduler in a daemon thread of this process (it ends with the process)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever,
        args=(stop,),
        kwargs={"every_seconds": every_seconds, "demo": demo},
        name=THREAD_NAME,
        daemon=True,
    )
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread
