"""``buurtkit demo --no-serve``: a realistic neighbourhood on a fresh data dir, loaded once."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from buurtkit.core.models import Community
from buurtkit.people.models import Membership, Organisation, OrganisationKind, Person
from tests.demo_data import FIRST_RUN_OUTPUT, copy_demo, demo_env

STAFF_ROLES = {
    "coordinator",
    "staff",
    "counter_clerk",
    "volunteer",
    "merchant",
    "referrer",
    "auditor",
    "trusted_volunteer",  # the school's partner login, who issues within its budget
}


def _demo() -> str:
    out = io.StringIO()
    call_command("demo", no_serve=True, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_demo_loads_a_realistic_neighbourhood_once() -> None:
    from buurtkit.people.demo import DEMO_PASSWORD, FIRST_EN, FIRST_FR, FIRST_NL

    output = _demo()

    community = Community.objects.get(slug="rabot")
    assert community.default_language == "nl"
    assert len(community.enabled_modules) >= 5

    people = Person.objects.filter(community=community)
    assert 180 <= people.count() <= 220
    languages = Counter(people.values_list("preferred_language", flat=True))
    assert set(languages) == {"nl", "fr", "en"}
    assert languages["nl"] > languages["fr"] > 0 and languages["en"] > 0
    firsts = set(people.values_list("first_name", flat=True))
    for names in (FIRST_NL, FIRST_FR, FIRST_EN):
        assert firsts & set(names)
    without = people.filter(has_smartphone=False)
    assert 20 <= without.count() < people.count()
    assert people.filter(has_smartphone=False, phone_kind="landline").exists()
    assert people.filter(phone="").exists()  # some have no phone at all
    assert all(
        p.startswith("+32") for p in people.exclude(phone="").values_list("phone", flat=True)
    )

    orgs = Organisation.objects.filter(community=community)
    # The neighbourhood's ten, and the device bank's second referring partner (CAW).
    assert orgs.count() == 11
    assert set(orgs.values_list("kind", flat=True)) == set(OrganisationKind.values)

    User = get_user_model()
    roles_seen: set[str] = set()
    for m in Membership.objects.filter(community=community).select_related("user"):
        roles_seen |= set(m.roles)
        assert m.user.check_password(DEMO_PASSWORD)
    assert roles_seen == STAFF_ROLES
    resident = User.objects.get(username="bewoner")
    assert Person.objects.get(user=resident).community == community
    for role in STAFF_ROLES | {"resident"}:
        assert role in output
    assert DEMO_PASSWORD in output
    assert "/rabot/" in output
    # Buurbel: partners follow their people, some need staff follow-up (issue 17 item 13).
    from buurtkit.core.permissions import ROLE_PERMISSIONS
    from buurtkit.neighbours.models import Participant

    buurbel = Participant.objects.filter(community=community)
    assert buurbel.filter(organisation__kind="social_welfare").exists()
    assert buurbel.filter(needs_follow_up=True).exclude(follow_up_note="").exists()
    # The referrer logins `ocmw` and `caw` each have participants of their own to follow.
    for username in ("ocmw", "caw"):
        login = Membership.objects.get(community=community, user__username=username)
        assert "neighbours.refer" in ROLE_PERMISSIONS["referrer"]
        mine = buurbel.filter(organisation_id=login.organisation_id)
        assert mine.count() >= 10 and mine.filter(needs_follow_up=True).exists(), username

    # The device bank: ~150 donated devices of four donors, in every state of the stock, wiped
    # with evidence, some at the digipunten, open repairs; its logins are printed.
    from buurtkit.lending.models import Device, DeviceEvent, Donation, RepairTicket

    stock = Device.objects.filter(community=community)
    assert 140 <= stock.count() <= 160
    assert Donation.objects.filter(community=community).count() == 4
    states = set(stock.values_list("state", flat=True))
    assert {"received", "wiped", "refurbished", "checked", "available", "in_repair",
            "written_off", "recycled"} <= states  # fmt: skip
    wipes = DeviceEvent.objects.filter(community=community, kind="wiped")
    assert wipes.exists() and all(w.data.get("method") for w in wipes)
    assert stock.filter(pool="place", place__status="open").exists()
    assert RepairTicket.objects.filter(
        community=community, state__in=["open", "in_repair"]
    ).exists()
    assert "device bank: referrer" in output and "device bank: counter" in output
    # The QR codes of the whole demo: the bakery's counter code opens "pay the bakery".
    from tests.qrcodes.test_demo import check_the_bakerys_counter_code

    check_the_bakerys_counter_code(community)

    # The helpdesk: three months of questions by counter, phone, e-mail and chat, open and
    # late ones, a hand-over to the demo digibuddy and a request for help at home.
    from buurtkit.core import clock
    from buurtkit.helpdesk.deadlines import late_q
    from buurtkit.helpdesk.models import Ticket

    tickets = Ticket.objects.filter(community=community)
    assert set(tickets.values_list("channel", flat=True)) >= {"counter", "phone", "email", "chat"}
    assert tickets.filter(status="closed").exists() and tickets.filter(status="new").exists()
    assert tickets.filter(late_q(clock.now())).exists()
    assert tickets.filter(
        status="handed_over", assigned_volunteer__person__user__username="digibuddy"
    ).exists()
    assert tickets.filter(kind="home_help", parent__isnull=False).exists()
    # Help at home (hd-home): visits done by the demo digibuddy and by the outside provider
    # (on the year's budget), one to come for the digibuddy, and barrier tags.
    from buurtkit.helpdesk.models import Barrier, HomeVisit

    visits = HomeVisit.objects.filter(community=community)
    buddy = "volunteer__person__user__username"
    assert visits.filter(status="done", **{buddy: "digibuddy"}).exists()
    assert visits.filter(status="done", volunteer__isnull=True, cost_cents__gt=0).exists()
    assert visits.filter(status="planned", **{buddy: "digibuddy"}).exists()
    assert Barrier.objects.filter(community=community).exists()

    # The simulator helpdesk line, with demo calls: messages left (with a recording), a
    # call put through to staff, a caller who hung up in the menu.
    from buurtkit.helpdesk.models import HelpdeskSettings, PhoneRecording

    assert HelpdeskSettings.objects.get(community=community).phone_number == "+3256277777"
    assert PhoneRecording.objects.filter(community=community).count() == 2
    phone = tickets.filter(idempotency_key__startswith="phone:")
    assert phone.count() == 4
    assert phone.filter(subject__icontains="doorverbonden").exists()

    counts = (
        Community.objects.count(),
        Person.objects.count(),
        Organisation.objects.count(),
        Membership.objects.count(),
        User.objects.count(),
    )
    again = _demo()
    assert "already there" in again
    assert DEMO_PASSWORD in again  # the logins are printed again
    assert (
        Community.objects.count(),
        Person.objects.count(),
        Organisation.objects.count(),
        Membership.objects.count(),
        User.objects.count(),
    ) == counts


# A new process on its own SQLite data dir (DATABASE_URL and REDIS_URL are not passed on):
# the same run on both engines, so SQLite only.
@pytest.mark.engine_independent
def test_demo_on_a_fresh_data_dir_in_a_new_process(demo_template: Path, tmp_path: Path) -> None:
    """The newcomer's path: no configuration at all, an empty data directory, run twice.

    The first run is the run's demo template (``tests/demo_data.py``: ``buurtkit demo
    --no-serve`` in a new process on an empty data dir, with no DATABASE_URL, REDIS_URL or
    BUURTKIT_* setting but the data dir); the second runs here, on a copy of it.
    """
    database_name = "buurtkit.sqlite3"
    assert (demo_template / database_name).exists()
    first_output = (demo_template / FIRST_RUN_OUTPUT).read_text()
    data_dir = copy_demo(demo_template, tmp_path / "var")
    database = data_dir / database_name

    def counts() -> dict[str, Any]:
        with sqlite3.connect(database) as db:
            return {
                table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
                for table in (
                    "core_community",
                    "people_person",
                    "people_organisation",
                    "people_membership",
                    "auth_user",
                )
            }

    after_first = counts()
    assert after_first["core_community"] == 1
    assert 180 <= after_first["people_person"] <= 220
    assert after_first["people_organisation"] == 11
    # One login per staff role, the device bank's second referrer (CAW) and the digibuddy
    # (a second volunteer, with a schedule of her own).
    assert after_first["people_membership"] == len(STAFF_ROLES) + 2
    assert "coordinator" in first_output and "bewoner" in first_output

    env = demo_env(data_dir)
    second = subprocess.run(
        [sys.executable, "-m", "buurtkit.conf.cli", "demo", "--no-serve"],
        env=env,
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert second.returncode == 0, second.stderr[-3000:]
    assert counts() == after_first


# A new process on its own SQLite data dir (DATABASE_URL and REDIS_URL are not passed on):
# the same run on both engines, so SQLite only.
@pytest.mark.engine_independent
def test_the_server_worker_runs_the_demo_jobs_only_when_the_demo_asks(
    demo_template: Path, tmp_path: Path
) -> None:
    """``buurtkit demo`` sets BUURTKIT_DEMO_BACKGROUND before serving; the worker process that
    loads the application (conf/wsgi.py) then runs the task worker and the scheduler of the
    recurring jobs (core.scheduler, on their demo schedules), so they share the simulated phone
    network with the requests. ``buurtkit serve`` does not."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEBUG"}
        and not k.startswith("BUURTKIT_")
    }
    # A migrated data dir: a copy of the run's demo (migrating one of its own costs ~40 s of CPU).
    copy_demo(demo_template, tmp_path)
    env.update(BUURTKIT_DATA_DIR=str(tmp_path), BUURTKIT_DEMO="1")
    probe = (
        "import threading, buurtkit.conf.wsgi;print(sorted(t.name for t in threading.enumerate()))"
    )

    def threads(**extra: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", probe],
            env={**env, **extra},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    from buurtkit.core.scheduler import JOBS, THREAD_NAME

    assert any(job.demo_every for job in JOBS.values()), "the apps register jobs when they load"
    with_jobs = threads(BUURTKIT_DEMO_BACKGROUND="1")
    assert "buurtkit-worker" in with_jobs
    assert repr(THREAD_NAME) in with_jobs
    without = threads()
    assert "buurtkit-worker" not in without
    assert THREAD_NAME not in without
