"""Recurring jobs (core.scheduler, issue 19): each slot once across workers, missed slots caught
up once, daily-at in Brussels across DST, failures recorded, leases, the `jobs` command, the
operations page, the moved commands and `worker --batch`. Time moves with ``clock.frozen``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test import override_settings
from django.utils import translation

from buurtkit.core import clock, scheduler
from buurtkit.core.errors import ServiceError
from buurtkit.core.models import ScheduledJob
from buurtkit.core.registry import DuplicateRegistration, Registry
from buurtkit.core.scheduler import DailyAt, Every, Job

BRUSSELS = ZoneInfo("Europe/Brussels")
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
T0 = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)  # a whole minute


def registry(*jobs: Job) -> Registry[str, Job]:
    found: Registry[str, Job] = Registry("test jobs")
    for job in jobs:
        found.register(job.name, job)
    return found


def counting(calls: list[str], name: str = "ran") -> Callable[[], str]:
    def run() -> str:
        calls.append(name)
        return f"{len(calls)} so far"

    return run


def tick_at(at: datetime, jobs: Registry[str, Job], **kwargs: Any) -> list[scheduler.Run]:
    with clock.frozen(at):
        return scheduler.tick(jobs=jobs, **kwargs)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- schedules ------------------------------------------------------------------------------


def test_every_uses_whole_multiples_of_the_interval() -> None:
    five = scheduler.every(minutes=5)
    at = datetime(2027, 1, 11, 9, 7, 30, tzinfo=UTC)
    assert five.latest_slot(at) == datetime(2027, 1, 11, 9, 5, tzinfo=UTC)
    assert five.next_slot(at) == datetime(2027, 1, 11, 9, 10, tzinfo=UTC)
    assert five.next_slot(datetime(2027, 1, 11, 9, 10, tzinfo=UTC)) == datetime(
        2027, 1, 11, 9, 15, tzinfo=UTC
    )
    assert five.slots_between(T0, T0 + timedelta(minutes=30)) == 5  # :05 … :25
    with translation.override("en"):
        assert scheduler.every(minutes=1).describe() == "every minute"
        assert scheduler.every(seconds=10).describe() == "every 10 seconds"
        assert scheduler.every(hours=2).describe() == "every 2 hours"
        assert scheduler.daily_at("02:00").describe() == "every day at 02:00 (Brussels time)"
    with translation.override("fr"):
        assert scheduler.daily_at("02:00").describe() == "chaque jour à 02:00 (heure de Bruxelles)"
    with pytest.raises(ValueError):
        scheduler.daily_at("2 o'clock")
    with pytest.raises(ValueError):
        scheduler.every(seconds=0)


def test_daily_at_brussels_stays_at_local_time_across_dst() -> None:
    """02:00 Brussels is 01:00 UTC in winter and 00:00 UTC in summer. On the night the clocks go
    forward (28 March 2027) 02:00 does not exist: the job runs at 03:00 summer time, once. On the
    night they go back (31 October 2027) 02:00 happens twice: the job runs at the first one."""
    nightly = scheduler.daily_at("02:00")
    spring = [nightly.slot_on(datetime(2027, 3, d).date()) for d in (27, 28, 29)]
    assert spring == [
        datetime(2027, 3, 27, 1, 0, tzinfo=UTC),  # 02:00 CET
        datetime(2027, 3, 28, 1, 0, tzinfo=UTC),  # 02:00 does not exist: 03:00 CEST
        datetime(2027, 3, 29, 0, 0, tzinfo=UTC),  # 02:00 CEST
    ]
    assert [s.astimezone(BRUSSELS).hour for s in spring] == [2, 3, 2]
    autumn = [nightly.slot_on(datetime(2027, d // 100, d % 100).date()) for d in (1030, 1031, 1101)]
    assert autumn == [
        datetime(2027, 10, 30, 0, 0, tzinfo=UTC),  # 02:00 CEST
        datetime(2027, 10, 31, 0, 0, tzinfo=UTC),  # the first of the two 02:00s
        datetime(2027, 11, 1, 1, 0, tzinfo=UTC),  # 02:00 CET
    ]
    assert [s.astimezone(BRUSSELS).hour for s in autumn] == [2, 2, 2]
    # 02:30 in the missing hour: 03:30 summer time, the same UTC moment as 02:30 in winter.
    assert DailyAt(2, 30).slot_on(datetime(2027, 3, 28).date()) == datetime(
        2027, 3, 28, 1, 30, tzinfo=UTC
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "days"),
    [
        (datetime(2027, 3, 26, 23, 0, tzinfo=UTC), 3),  # across the spring change
        (datetime(2027, 10, 29, 23, 0, tzinfo=UTC), 3),  # across the autumn change
    ],
)
def test_a_daily_job_runs_once_a_night_across_a_dst_change(start: datetime, days: int) -> None:
    calls: list[str] = []
    jobs = registry(Job("nightly", scheduler.daily_at("02:00"), counting(calls)))
    started: list[datetime] = []
    at = start
    while at <= start + timedelta(days=days):  # a worker ticking every 10 minutes
        for done in tick_at(at, jobs):
            started.append(done.slot)  # type: ignore[arg-type]
        at += timedelta(minutes=10)
    assert len(calls) == days
    assert len({s.astimezone(BRUSSELS).date() for s in started}) == days  # one per night
    assert all(s.astimezone(BRUSSELS).hour in (2, 3) for s in started)


# --- once per slot, catching up, failures, leases --------------------------------------------


@pytest.mark.django_db
def test_a_new_job_starts_at_its_next_slot_and_each_slot_runs_once() -> None:
    calls: list[str] = []
    jobs = registry(Job("minutely", Every(60), counting(calls)))
    assert tick_at(T0 + timedelta(seconds=5), jobs) == []  # first seen: from the next slot on
    assert ScheduledJob.objects.get(name="minutely").last_slot == T0
    later = T0 + timedelta(seconds=65)
    first = tick_at(later, jobs)
    assert [r.outcome for r in first] == ["ok"] and first[0].trigger == "schedule"
    # A second worker (or the same one) ticking in the same minute finds the slot taken.
    assert tick_at(later, jobs) == []
    assert tick_at(later + timedelta(seconds=30), jobs) == []
    assert calls == ["ran"]
    row = ScheduledJob.objects.get(name="minutely")
    assert row.last_slot == T0 + timedelta(minutes=1)
    assert row.next_slot == T0 + timedelta(minutes=2)
    assert row.last_outcome == "ok" and row.last_result == "1 so far"
    assert row.last_started_at == later and row.last_finished_at == later
    assert row.last_duration is not None and row.lease_until is None


@pytest.mark.django_db(transaction=True)
def test_two_workers_ticking_at_the_same_moment_run_a_slot_once() -> None:
    """Two threads, each with its own database connection, tick at the same instant."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL: real concurrent connections (SQLite: the sequential test above)")
    calls: list[str] = []
    lock = threading.Lock()

    def run_once() -> None:
        with lock:
            calls.append("ran")

    jobs = registry(Job("contended", Every(60), run_once))
    ScheduledJob.objects.create(name="contended", last_slot=T0 - timedelta(minutes=1))
    workers = 6
    barrier = threading.Barrier(workers)
    runs: list[scheduler.Run] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            runs.extend(scheduler.tick(jobs=jobs))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    with clock.frozen(T0 + timedelta(seconds=1)):
        threads = [threading.Thread(target=worker) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert calls == ["ran"] and len(runs) == 1
    assert ScheduledJob.objects.get(name="contended").last_slot == T0


@pytest.mark.django_db
def test_missed_slots_are_caught_up_once_and_recorded() -> None:
    calls: list[str] = []
    jobs = registry(Job("every5", Every(300), counting(calls)))
    ScheduledJob.objects.create(name="every5", last_slot=T0)
    # The worker was down for 52 minutes: slots :05 … :45 were missed, :50 is the latest.
    back = T0 + timedelta(minutes=52)
    done = tick_at(back, jobs)
    assert len(done) == 1 and done[0].trigger == "catch_up" and done[0].missed == 9
    assert tick_at(back + timedelta(seconds=10), jobs) == []
    assert calls == ["ran"]
    row = ScheduledJob.objects.get(name="every5")
    assert row.last_trigger == "catch_up" and row.last_missed == 9
    assert row.last_slot == T0 + timedelta(minutes=50)
    status = scheduler.job_statuses(jobs=jobs)[0]
    assert status.missed == 9 and status.state == "ok"
    # The next regular slot is an ordinary run again.
    nxt = tick_at(T0 + timedelta(minutes=55), jobs)
    assert nxt[0].trigger == "schedule" and nxt[0].missed == 0


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_the_others_still_run() -> None:
    calls: list[str] = []

    def broken() -> None:
        raise RuntimeError("the provider said no")

    jobs = registry(
        Job("first", Every(60), counting(calls, "first")),
        Job("broken", Every(60), broken),
        Job("last", Every(60), counting(calls, "last")),
    )
    for name in jobs:
        ScheduledJob.objects.create(name=name, last_slot=T0 - timedelta(minutes=1))
    done = {r.name: r for r in tick_at(T0 + timedelta(seconds=2), jobs)}
    assert calls == ["first", "last"]
    assert done["broken"].outcome == "failed" and "the provider said no" in done["broken"].error
    row = ScheduledJob.objects.get(name="broken")
    assert row.last_outcome == "failed" and "RuntimeError: the provider said no" in row.last_error
    assert row.lease_until is None  # a failure frees the job for its next slot
    status = next(s for s in scheduler.job_statuses(jobs=jobs) if s.name == "broken")
    assert status.state == "failed"
    assert status.error_summary == "RuntimeError: the provider said no"
    # It is tried again at its next slot.
    again = {r.name: r for r in tick_at(T0 + timedelta(minutes=1, seconds=2), jobs)}
    assert set(again) == {"first", "broken", "last"}


@pytest.mark.django_db
def test_a_run_that_lasts_past_its_next_slot_is_not_started_twice() -> None:
    inner: list[list[scheduler.Run]] = []
    calls: list[str] = []

    def slow() -> None:
        calls.append("slow")
        # While this run goes on, its next slot comes and another worker ticks.
        inner.append(tick_at(T0 + timedelta(minutes=1, seconds=5), jobs))
        inner.append(tick_at(T0 + timedelta(minutes=3, seconds=5), jobs))

    jobs = registry(Job("slow", Every(60), slow, lease=timedelta(minutes=10)))
    ScheduledJob.objects.create(name="slow", last_slot=T0 - timedelta(minutes=1))
    first = tick_at(T0 + timedelta(seconds=5), jobs)
    assert len(first) == 1 and inner == [[], []] and calls == ["slow"]
    # Nor by hand while it runs.
    ScheduledJob.objects.filter(name="slow").update(lease_until=T0 + timedelta(hours=1))
    with clock.frozen(T0 + timedelta(minutes=2)), pytest.raises(scheduler.AlreadyRunning):
        scheduler.run_now("slow", jobs=jobs)
    ScheduledJob.objects.filter(name="slow").update(lease_until=None)
    # Finished: the latest slot runs once (the ones it spent running are caught up once).
    after = tick_at(T0 + timedelta(minutes=4, seconds=5), jobs)
    assert len(after) == 1 and after[0].trigger == "catch_up" and calls == ["slow", "slow"]


@pytest.mark.django_db
def test_a_run_whose_worker_died_is_shown_and_the_job_goes_on_after_its_lease() -> None:
    calls: list[str] = []
    jobs = registry(Job("fragile", Every(60), counting(calls), lease=timedelta(minutes=5)))
    ScheduledJob.objects.create(name="fragile", last_slot=T0 - timedelta(minutes=1))
    with clock.frozen(T0):
        claim = scheduler._claim(jobs["fragile"], Every(60), clock.now())  # then the worker dies
    assert claim is not None
    with clock.frozen(T0 + timedelta(minutes=2)):
        assert scheduler.job_statuses(jobs=jobs)[0].state == "running"
    assert tick_at(T0 + timedelta(minutes=2), jobs) == []  # the lease still holds
    with clock.frozen(T0 + timedelta(minutes=6)):
        assert scheduler.job_statuses(jobs=jobs)[0].state == "interrupted"
    assert len(tick_at(T0 + timedelta(minutes=6), jobs)) == 1  # lease over: it runs again
    assert calls == ["ran"]


@pytest.mark.django_db
def test_run_now_runs_a_job_by_hand_and_records_it() -> None:
    calls: list[str] = []
    jobs = registry(Job("manual", scheduler.daily_at("02:00"), counting(calls)))
    with clock.frozen(T0):
        done = scheduler.run_now("manual", jobs=jobs)
    assert done.trigger == "manual" and done.outcome == "ok" and calls == ["ran"]
    row = ScheduledJob.objects.get(name="manual")
    assert row.last_trigger == "manual" and row.last_outcome == "ok"
    # A run by hand takes no slot: tonight's run still happens.
    night = datetime(2027, 1, 12, 1, 0, 30, tzinfo=UTC)
    assert len(tick_at(night, jobs)) == 1
    with pytest.raises(KeyError):
        scheduler.run_now("nope", jobs=jobs)


# --- the registry and the apps' jobs --------------------------------------------------------


def test_the_registry_refuses_a_second_job_with_the_same_name() -> None:
    existing = scheduler.JOBS["buurbel_calls"]
    with pytest.raises(DuplicateRegistration, match="buurbel_calls"):
        scheduler.register("buurbel_calls", scheduler.every(minutes=2), "some.other.function")
    assert scheduler.JOBS["buurbel_calls"] is existing
    # The very same registration again (an AppConfig.ready() that runs twice) is no error.
    assert (
        scheduler.register(
            existing.name,
            existing.schedule,
            existing.run,
            title=existing.title,
            lease=existing.lease,
            demo_every=existing.demo_every,
        )
        is existing
    )


def test_the_apps_register_their_recurring_work_and_commands_call_the_same_functions() -> None:
    from buurtkit.activities.services import evaluations_ask, offers_expire, reminders_send
    from buurtkit.messaging.services import mail_fetch_job, messages_requeue_stale
    from buurtkit.neighbours.services import introductions_tick
    from buurtkit.qrcodes.services import scans_rollup_and_prune

    jobs = scheduler.JOBS
    assert jobs["buurbel_calls"].schedule == Every(60)
    assert jobs["buurbel_calls"].function() is introductions_tick
    assert jobs["qr_rollup"].schedule == DailyAt(2, 0, "Europe/Brussels")
    assert jobs["qr_rollup"].function() is scans_rollup_and_prune
    assert jobs["requeue_messages"].schedule == Every(300)
    assert jobs["requeue_messages"].function() is messages_requeue_stale
    assert jobs["mail_fetch"].schedule == Every(60)
    assert jobs["mail_fetch"].function() is mail_fetch_job
    assert jobs["activities_offers"].schedule == Every(300)
    assert jobs["activities_offers"].function() is offers_expire
    assert jobs["activities_reminders"].schedule == DailyAt(10, 0, "Europe/Brussels")
    assert jobs["activities_reminders"].function() is reminders_send
    assert jobs["activities_evaluations"].schedule == Every(3600)
    assert jobs["activities_evaluations"].function() is evaluations_ask


@pytest.mark.django_db
def test_the_demo_runs_the_jobs_on_their_fast_demo_schedules() -> None:
    with translation.override("en"):
        statuses = {s.name: s for s in scheduler.job_statuses(demo=True)}
    assert statuses["buurbel_calls"].schedule == "every 10 seconds"
    assert statuses["qr_rollup"].schedule == "every day at 02:00 (Brussels time)"
    calls: list[str] = []
    jobs = registry(Job("fast", Every(60), counting(calls), demo_every=10))
    tick_at(T0, jobs, demo=True)
    assert len(tick_at(T0 + timedelta(seconds=10), jobs, demo=True)) == 1
    assert tick_at(T0 + timedelta(seconds=10), jobs) == []  # production schedule: not yet


@pytest.mark.django_db(transaction=True)  # the task worker closes its connection at the end
def test_worker_batch_runs_the_due_jobs_and_stops() -> None:
    calls: list[str] = []
    job = Job("batch_job", Every(60), counting(calls))
    ScheduledJob.objects.create(name="batch_job", last_slot=T0 - timedelta(minutes=1))
    with (
        scheduler.JOBS.override("batch_job", job),
        clock.frozen(T0 + timedelta(seconds=1)),
        override_settings(TASKS=DB_TASKS),
    ):
        call_command("worker", batch=True, no_jobs=True, stdout=StringIO())
        assert calls == []
        out = StringIO()
        call_command("worker", batch=True, stdout=out)
        assert calls == ["ran"]
        assert "job batch_job: ok" in out.getvalue()
        call_command("worker", batch=True, stdout=StringIO())
        assert calls == ["ran"]  # that slot has run
    assert ScheduledJob.objects.get(name="batch_job").last_outcome == "ok"


# --- `buurtkit jobs` --------------------------------------------------------------------------


@pytest.mark.django_db
def test_jobs_command_lists_the_jobs_and_runs_one_by_hand() -> None:
    with clock.frozen(T0):
        listing = run("jobs")
    assert "buurbel_calls" in listing and "qr_rollup" in listing and "requeue_messages" in listing
    assert "Place the Buurbel introduction calls that are due" in listing
    assert "every day at 02:00 (Brussels time)" in listing
    assert "not run yet" in listing
    assert "next run:  2027-01-12 02:00:00" in listing  # Brussels time

    def broken() -> None:
        raise ValueError("no printer found")

    with scheduler.JOBS.override("test_broken", Job("test_broken", Every(60), broken)):
        with pytest.raises(CommandError, match="no printer found"):
            run("jobs", "run", "test_broken")
        listing = run("jobs")
    assert "FAILED" in listing and "error:     ValueError: no printer found" in listing
    assert "started by hand" in listing

    assert run("jobs", "run", "requeue_messages").strip() == "requeue_messages: ok: 0"
    assert ScheduledJob.objects.get(name="requeue_messages").last_trigger == "manual"
    with pytest.raises(CommandError, match="no job 'nope'"):
        run("jobs", "run", "nope")
    with pytest.raises(CommandError, match="Name the job"):
        run("jobs", "run")


# --- the moved commands, one-off ------------------------------------------------------------


@pytest.mark.django_db
def test_the_moved_commands_still_run_once_by_hand() -> None:
    assert run("buurbel_calls").strip() == "0 call(s) placed"
    assert run("requeue_messages").strip() == "0 messages re-queued"
    assert run("qr_rollup").startswith("0 day(s) of scans summed")
    assert run("mail_fetch").strip() == ""  # no mailboxes: nothing to say
    assert not ScheduledJob.objects.exists()  # a one-off run is no scheduled run


# --- the operations page ----------------------------------------------------------------------


@pytest.mark.django_db
def test_ops_jobs_page_is_for_staff_logins_only(
    client: Any, community: Any, make_login: Any
) -> None:
    url = "/ops/jobs/"
    assert client.get(url).status_code == 302  # to the login page
    coordinator = make_login(community, "coordinator")  # a community role is not enough
    client.force_login(coordinator)
    denied = client.get(url)
    assert denied.status_code == 403
    assert "Buurbel" not in denied.content.decode()
    assert url not in client.get(f"/{community.slug}/").content.decode()  # no link either
    coordinator.is_staff = True
    coordinator.save()
    assert url in client.get(f"/{community.slug}/").content.decode()  # the dashboard links it

    def broken() -> None:
        raise ValueError("no printer found")

    staff = get_user_model().objects.create_user(username="ops", password="x", is_staff=True)
    client.force_login(staff)
    with scheduler.JOBS.override("test_broken", Job("test_broken", Every(60), broken)):
        scheduler.run_now("test_broken")
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        dutch = client.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Background jobs" in page
    assert "Place the Buurbel introduction calls that are due" in page
    assert "every day at 02:00 (Brussels time)" in page
    assert "every minute" in page and "Not run yet." in page
    assert "failed" in page and "ValueError: no printer found" in page
    assert "Achtergrondtaken" in dutch and "elke dag om 02:00" in dutch


@pytest.mark.django_db
def test_ops_is_a_reserved_community_slug() -> None:
    from buurtkit.core.services import community_create

    with pytest.raises(ServiceError):
        community_create(name="Ops", slug="ops")


@pytest.mark.django_db(transaction=True)  # the scheduler thread has its own connection
def test_the_scheduler_thread_runs_due_jobs_in_their_own_threads() -> None:
    ran = threading.Event()
    job = Job("threaded", Every(60), ran.set)
    ScheduledJob.objects.create(name="threaded", last_slot=T0 - timedelta(minutes=1))
    with scheduler.JOBS.override("threaded", job), clock.frozen(T0 + timedelta(seconds=1)):
        loop = scheduler.start_thread(every_seconds=0.05)
        assert loop.name == scheduler.THREAD_NAME
        assert ran.wait(30), "the job did not run"
        loop.stop.set()  # type: ignore[attr-defined]
        loop.join(30)
        for thread in threading.enumerate():
            if thread.name == f"{scheduler.THREAD_NAME}:threaded":
                thread.join(30)
    assert not loop.is_alive()
    row = ScheduledJob.objects.get(name="threaded")
    assert row.last_outcome == "ok" and row.last_slot == T0


def test_worker_starts_the_scheduler_thread_unless_told_not_to(monkeypatch: Any) -> None:
    from buurtkit.core.management.commands import worker

    started: list[float] = []
    queues: list[tuple[Any, ...]] = []
    monkeypatch.setattr(worker, "call_command", lambda *args, **kw: queues.append(args))
    monkeypatch.setattr(
        worker.scheduler, "start_thread", lambda every_seconds: started.append(every_seconds)
    )
    call_command("worker", stdout=StringIO())
    assert started == [scheduler.TICK_SECONDS] and len(queues) == 1  # then the task worker
    call_command("worker", no_jobs=True, stdout=StringIO())
    assert started == [scheduler.TICK_SECONDS] and len(queues) == 2
