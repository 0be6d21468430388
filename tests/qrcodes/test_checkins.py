"""Check-ins at an entrance: in and out from a phone, who is in now, out at the end of the day,
a staffed tablet (kiosk) that the per-address limit does not block, retention per entrance."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.qrcodes import services
from buurtkit.qrcodes.models import Booking, CheckInPoint, Submission, Visit

BRUSSELS = ZoneInfo("Europe/Brussels")
MORNING = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)  # 09:00 in Brussels


@pytest.fixture
def client() -> Client:
    """A visitor from an address of its own: the per-address counters live in the cache,
    which is shared by the test workers (and by runs within the hour) on Redis; emptying it
    would reset another test's counters while it counts."""
    n = uuid.uuid4().int
    return Client(REMOTE_ADDR=f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}")


@pytest.fixture
def entrance(system: Actor) -> CheckInPoint:
    code = services.code_create(actor=system, title="Inkom buurthuis")
    point = services.point_create(actor=system, name="Buurthuis Rabot", code_id=code.pk)
    services.routes_set(
        actor=system, code_id=code.pk, routes=[{"action": "checkin", "params": {"point": point.pk}}]
    )
    return point


def _page(system: Actor, point: CheckInPoint) -> str:
    return f"/{system.community.slug}/checkin/{point.pk}/"


def test_check_in_and_out_from_a_phone(client: Client, system: Actor, entrance: Any) -> None:
    assert entrance.code is not None
    scanned = client.get(f"/q/{entrance.code.code}")
    assert scanned.status_code == 302 and scanned["Location"] == _page(system, entrance)
    answer = client.post(_page(system, entrance), {"op": "in", "name": "Fatima"})
    assert answer.status_code == 200 and "Fatima" in answer.content.decode()
    visit = Visit.objects.get()
    assert visit.out_at is None
    # Scanning again on the same phone offers to check out.
    again = client.get(_page(system, entrance))
    assert 'value="out"' in again.content.decode()
    client.post(_page(system, entrance), {"op": "out"})
    visit.refresh_from_db()
    assert visit.out_at is not None and visit.out_how == "self"


def test_who_is_in_now_with_count(system: Actor, entrance: Any, login_client: Any) -> None:
    for name in ("An", "Bart", "Chris"):
        services.visit_check_in(community=system.community, point_id=entrance.pk, name=name)
    gone = Visit.objects.get(name="Bart")
    services.visit_check_out(actor=system, visit_id=gone.pk)
    staff = login_client(system.community, "staff")
    page = staff.get(
        f"/{system.community.slug}/qr/entrances/{entrance.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "2 people in the building now" in html
    assert "An" in html and "Chris" in html and "Bart" not in html
    # A volunteer sees the entrance but not the names.
    volunteer = login_client(system.community, "volunteer")
    html = volunteer.get(f"/{system.community.slug}/qr/entrances/{entrance.pk}/").content.decode()
    assert "Chris" not in html


def test_everyone_still_in_is_checked_out_at_the_end_of_the_day(
    system: Actor, entrance: Any
) -> None:
    with clock.frozen(MORNING):
        visit = services.visit_check_in(community=system.community, point_id=entrance.pk, name="An")
        assert services.presence_tick()["checked_out"] == 0  # still today
    with clock.frozen(MORNING + dt.timedelta(days=1)):
        assert services.presence_tick()["checked_out"] == 1
    visit.refresh_from_db()
    assert visit.out_how == "auto"
    assert visit.out_at.astimezone(BRUSSELS).date() == dt.date(2026, 12, 7)
    assert visit.out_at.astimezone(BRUSSELS).time() >= dt.time(23, 59)


def test_anonymous_posts_are_limited_per_address(
    client: Client, system: Actor, entrance: Any
) -> None:
    statuses = [
        client.post(_page(system, entrance), {"op": "in", "name": f"P{i}"}).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]
    assert Visit.objects.count() == 10


def test_a_registered_kiosk_is_not_blocked_and_checks_out_by_name(
    client: Client, system: Actor, entrance: Any, login_client: Any
) -> None:
    staff = login_client(system.community, "staff")
    registered = staff.post(
        f"/{system.community.slug}/qr/entrances/{entrance.pk}/",
        {"op": "kiosk", "label": "Tablet inkom"},
    )
    assert registered.status_code == 302
    token = registered.cookies[services.KIOSK_COOKIE].value
    client.cookies[services.KIOSK_COOKIE] = token
    statuses = [
        client.post(_page(system, entrance), {"op": "in", "name": f"P{i}"}).status_code
        for i in range(25)
    ]
    assert statuses == [200] * 25
    assert Visit.objects.filter(kiosk=True).count() == 25
    page = client.get(_page(system, entrance)).content.decode()
    assert "P24" in page  # the tablet lists who is in, to check out by name
    leaving = Visit.objects.get(name="P3")
    client.post(_page(system, entrance), {"op": "out", "visit": leaving.pk})
    leaving.refresh_from_db()
    assert leaving.out_at is not None


def test_a_kiosk_lifts_the_limit_for_its_own_code_only(
    client: Client, system: Actor, entrance: Any
) -> None:
    form = services.form_create(
        actor=system,
        title={"nl": "Inchecken"},
        fields=[{"key": "naam", "type": "text", "label": {"nl": "Naam"}, "required": True}],
    )
    form_code = services.code_create(
        actor=system, title="Formulier", routes=[{"action": "form", "params": {"form": form.pk}}]
    )
    other = services.code_create(
        actor=system, title="Ander", routes=[{"action": "form", "params": {"form": form.pk}}]
    )
    _kiosk, token = services.kiosk_register(actor=system, code_id=form_code.pk, label="Tablet")
    client.cookies[services.KIOSK_COOKIE] = token
    mine = [client.post(f"/q/{form_code.code}", {"naam": f"P{i}"}).status_code for i in range(15)]
    assert mine == [200] * 15
    theirs = [client.post(f"/q/{other.code}", {"naam": f"P{i}"}).status_code for i in range(11)]
    assert theirs[:10] == [200] * 10 and theirs[10] == 429
    # A forged or revoked cookie lifts nothing.
    services.kiosk_revoke(actor=system, kiosk_id=_kiosk.pk)
    assert not services.kiosk_allows(token, form_code.pk)
    assert not services.kiosk_allows(token + "x", form_code.pk)
    assert Submission.objects.filter(code=form_code).count() == 15


def test_retention_per_entrance_resource_and_form(system: Actor, entrance: Any) -> None:
    short = services.point_create(actor=system, name="Kort", keep_days=2)
    form = services.form_create(
        actor=system,
        title={"nl": "Aanwezig"},
        fields=[
            {"key": "naam", "type": "text", "label": {"nl": "Naam"}},
            {
                "key": "groep",
                "type": "choice",
                "label": {"nl": "Groep"},
                "choices": [{"nl": "A"}, {"nl": "B"}],
            },
        ],
    )
    services.form_update(actor=system, form_id=form.pk, keep_days=14)
    room = services.resource_create(actor=system, name="Zaal", keep_days=14)
    with clock.frozen(MORNING):
        (slot,) = services.slots_add(
            actor=system,
            resource_id=room.pk,
            day=dt.date(2026, 12, 8),
            start=dt.time(10, 0),
            end=dt.time(11, 0),
        )
        booking = services.booking_create(
            community=system.community, slot_id=slot.pk, name="An", contact="an@example.org"
        )
        long_visit = services.visit_check_in(
            community=system.community, point_id=entrance.pk, name="An"
        )
        short_visit = services.visit_check_in(
            community=system.community, point_id=short.pk, name="Bart"
        )
        answer = services.submission_create(
            community=system.community, form_id=form.pk, data={"naam": "Chris", "groep": "1"}
        )
    with clock.frozen(MORNING + dt.timedelta(days=1)):
        services.presence_tick()
    # Three days later: only the entrance that keeps two days is cleared.
    with clock.frozen(MORNING + dt.timedelta(days=3)):
        assert services.personal_data_expire() == {"bookings": 0, "visits": 1, "answers": 0}
    short_visit.refresh_from_db()
    long_visit.refresh_from_db()
    assert (short_visit.name, short_visit.anonymised) == ("", True)
    assert long_visit.name == "An"
    # Fifteen days after the slot: the 14-day entrance, resource and form are cleared too.
    with clock.frozen(MORNING + dt.timedelta(days=16)):
        assert services.personal_data_expire() == {"bookings": 1, "visits": 1, "answers": 1}
        assert services.personal_data_expire() == {"bookings": 0, "visits": 0, "answers": 0}
    booking.refresh_from_db()
    answer.refresh_from_db()
    assert (booking.name, booking.contact, booking.status) == ("", "", "booked")
    assert answer.data == {"naam": "", "groep": "B"} and answer.expired
    assert Visit.objects.count() == 2 and Booking.objects.count() == 1  # counts survive


def test_a_forms_retention_is_set_in_the_editor_and_the_api(
    system: Actor, login_client: Any, api: Any
) -> None:
    form = services.form_create(
        actor=system,
        title={"nl": "Aanwezig"},
        fields=[{"key": "naam", "type": "text", "label": {"nl": "Naam"}}],
    )
    staff = login_client(system.community, "coordinator")
    url = f"/{system.community.slug}/qr/forms/{form.pk}/"
    page = staff.get(url).content.decode()
    assert 'name="keep_days"' in page
    post = {
        "title-nl": "Aanwezig",
        "fields": "1",
        "f0-key": "naam",
        "f0-type": "text",
        "f0-label-nl": "Naam",
        "keep_days": "30",
        "op": "save",
    }
    assert staff.post(url, post).status_code == 302
    form.refresh_from_db()
    assert form.keep_days == 30
    assert staff.post(url, {**post, "keep_days": "veel"}).status_code == 422
    client = api(system.community, ["coordinator"])
    answer = client.patch(
        f"/api/v1/qr/forms/{form.pk}", {"keep_days": 0}, content_type="application/json"
    )
    assert answer.status_code == 200 and answer.json()["keep_days"] is None


def test_bookings_and_visits_in_a_persons_export_and_anonymisation(
    system: Actor, entrance: Any, make_person: Any
) -> None:
    from buurtkit.people import services as people_services

    person = make_person(system, first_name="Fatima", last_name="Benali", phone="0470 11 22 33")
    room = services.resource_create(actor=system, name="Zaal", capacity=3)
    with clock.frozen(MORNING):
        (slot,) = services.slots_add(
            actor=system,
            resource_id=room.pk,
            day=dt.date(2026, 12, 8),
            start=dt.time(10, 0),
            end=dt.time(11, 0),
        )
        # Booked without logging in, with her phone number; and checked in as a resident.
        booked = services.booking_create(
            community=system.community, slot_id=slot.pk, name="Fatima", contact="0470 11 22 33"
        )
        visit = services.visit_check_in(
            community=system.community, point_id=entrance.pk, person_id=person.pk
        )
        other = services.visit_check_in(
            community=system.community, point_id=entrance.pk, name="Iemand anders"
        )
    export = people_services.person_gdpr_export(actor=system, person_id=person.pk)
    text = str(export)
    assert "Zaal" in text and "Buurthuis Rabot" in text and "Iemand anders" not in text
    people_services.person_anonymise(actor=system, person_id=person.pk)
    for row in (booked, visit, other):
        row.refresh_from_db()
    assert (booked.name, booked.contact, booked.anonymised) == ("", "", True)
    assert (visit.name, visit.person_id, visit.anonymised) == ("", None, True)
    assert other.name == "Iemand anders"


def test_staff_link_a_code_to_an_entrance_later(system: Actor, login_client: Any) -> None:
    point = services.point_create(actor=system, name="Zijdeur")
    code = services.code_create(actor=system, title="Zijdeur")
    staff = login_client(system.community, "coordinator")
    url = f"/{system.community.slug}/qr/entrances/{point.pk}/"
    answer = staff.post(url, {"op": "settings", "code": code.code, "keep_days": "7", "active": "1"})
    assert answer.status_code == 302
    point.refresh_from_db()
    assert (point.code_id, point.keep_days, point.active) == (code.pk, 7, True)
    wrong = staff.post(url, {"op": "settings", "code": "NOPE", "keep_days": "7"})
    assert wrong.status_code == 422


def test_the_nightly_jobs_run_through_the_scheduler(system: Actor, entrance: Any) -> None:
    """``qr_retention`` (03:30 Brussels) and ``qr_presence`` (every 15 minutes), as registered
    in the app, run by ``core.scheduler`` at their slots of the injectable clock."""
    from buurtkit.core import scheduler
    from buurtkit.core.registry import Registry
    from buurtkit.core.scheduler import Job

    jobs: Registry[str, Job] = Registry("qr jobs")
    for name in ("qr_presence", "qr_retention"):
        jobs.register(name, scheduler.JOBS[name])
    short = services.point_create(actor=system, name="Kort", keep_days=2)
    with clock.frozen(MORNING):
        visit = services.visit_check_in(community=system.community, point_id=short.pk, name="An")
        assert scheduler.tick(jobs=jobs) == []  # first seen: runs from its next slot
    next_day = MORNING + dt.timedelta(days=1, minutes=1)  # 09:01: the presence job is due
    with clock.frozen(next_day):
        runs = {r.name: r for r in scheduler.tick(jobs=jobs)}
    assert runs["qr_presence"].outcome == "ok" and runs["qr_retention"].outcome == "ok"
    visit.refresh_from_db()
    assert visit.out_how == "auto" and visit.name == "An"  # checked out; kept two days
    with clock.frozen(MORNING + dt.timedelta(days=3, hours=-5, minutes=-29)):  # 03:31, day 3
        runs = {r.name: r for r in scheduler.tick(jobs=jobs)}
    assert runs["qr_retention"].outcome == "ok"
    visit.refresh_from_db()
    assert (visit.name, visit.anonymised) == ("", True)
