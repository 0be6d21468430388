"""Reservations through a code: slots with capacity, no double booking (also under concurrency),
cancel with the link, check-in at the slot, no-shows after it, the staff list and its export."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.qrcodes import services
from buurtkit.qrcodes.models import Booking, Resource, Slot

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)  # 09:00 in Brussels, a Monday
TOMORROW = dt.date(2026, 12, 8)


@pytest.fixture
def room(system: Actor) -> Resource:
    code = services.code_create(actor=system, title="Vergaderzaal")
    resource = services.resource_create(
        actor=system, name="Vergaderzaal", capacity=2, code_id=code.pk
    )
    services.routes_set(
        actor=system,
        code_id=code.pk,
        routes=[{"action": "reserve", "params": {"resource": resource.pk}}],
    )
    with clock.frozen(NOW):
        services.slots_add(
            actor=system,
            resource_id=resource.pk,
            day=TOMORROW,
            start=dt.time(10, 0),
            end=dt.time(12, 0),
            minutes=60,
        )
    return resource


def _slot(resource: Resource, hour: int = 10) -> Slot:
    start = dt.datetime.combine(TOMORROW, dt.time(hour, 0), tzinfo=BRUSSELS)
    return Slot.objects.get(resource=resource, starts_at=start)


def _book(system: Actor, slot: Slot, name: str = "An", **kw: Any) -> Booking:
    with clock.frozen(NOW):
        return services.booking_create(
            community=system.community,
            slot_id=slot.pk,
            name=name,
            contact=kw.pop("contact", "0470 12 34 56"),
            **kw,
        )


def test_slots_are_made_in_brussels_time_and_not_twice(system: Actor, room: Resource) -> None:
    slots = list(Slot.objects.filter(resource=room))
    assert [s.starts_at.astimezone(BRUSSELS).hour for s in slots] == [10, 11]
    assert all(s.capacity == 2 and s.booked == 0 for s in slots)
    with clock.frozen(NOW):
        again = services.slots_add(
            actor=system,
            resource_id=room.pk,
            day=TOMORROW,
            start=dt.time(10, 0),
            end=dt.time(13, 0),
        )
    assert len(again) == 1  # only 12:00 is new
    with pytest.raises(ValidationFailed):
        services.slots_add(
            actor=system,
            resource_id=room.pk,
            day=TOMORROW,
            start=dt.time(12, 0),
            end=dt.time(10, 0),
        )


def test_no_booking_beyond_capacity(system: Actor, room: Resource) -> None:
    slot = _slot(room)
    _book(system, slot, "An")
    _book(system, slot, "Bart", contact="bart@example.org")
    with pytest.raises(Conflict) as refused:
        _book(system, slot, "Chris")
    assert refused.value.code == "slot_full"
    slot.refresh_from_db()
    assert slot.booked == 2
    assert Booking.objects.filter(slot=slot).count() == 2


def test_the_database_refuses_more_booked_than_capacity(room: Resource) -> None:
    slot = _slot(room)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked=3)


def test_a_booking_needs_a_name_and_a_reachable_contact(system: Actor, room: Resource) -> None:
    slot = _slot(room)
    for name, contact, field in [
        ("", "0470 12 34 56", "name"),
        ("An", "", "contact"),
        ("An", "not a number", "contact"),
        ("An", "an@", "contact"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            _book(system, slot, name, contact=contact)
        assert field in refused.value.fields
    slot.refresh_from_db()
    assert slot.booked == 0


def test_a_started_slot_cannot_be_booked(system: Actor, room: Resource) -> None:
    slot = _slot(room)
    with clock.frozen(slot.starts_at), pytest.raises(ValidationFailed):
        services.booking_create(
            community=system.community, slot_id=slot.pk, name="An", contact="0470123456"
        )


def test_cancel_with_the_link_frees_the_place(system: Actor, room: Resource) -> None:
    slot = _slot(room)
    first = _book(system, slot, "An")
    _book(system, slot, "Bart")
    services.booking_cancel(community=system.community, token=first.token)
    services.booking_cancel(community=system.community, token=first.token)  # harmless twice
    slot.refresh_from_db()
    assert slot.booked == 1
    _book(system, slot, "Chris")  # the freed place can be taken


def test_idempotency_key_books_once(system: Actor, room: Resource) -> None:
    slot = _slot(room)
    first = _book(system, slot, "An", idempotency_key="k-1")
    again = _book(system, slot, "An", idempotency_key="k-1")
    assert again.pk == first.pk and again.replayed
    with pytest.raises(Conflict):
        _book(system, slot, "Bart", idempotency_key="k-1")
    slot.refresh_from_db()
    assert slot.booked == 1


def test_check_in_at_the_slot_and_no_shows_after_it(system: Actor, room: Resource) -> None:
    slot = _slot(room)
    came = _book(system, slot, "An")
    stayed_away = _book(system, slot, "Bart")
    with clock.frozen(slot.starts_at - dt.timedelta(hours=1)), pytest.raises(Conflict):
        services.booking_check_in(community=system.community, token=came.token)
    with clock.frozen(slot.starts_at + dt.timedelta(minutes=5)):
        services.booking_check_in(community=system.community, token=came.token)
    with clock.frozen(slot.ends_at + dt.timedelta(minutes=1)):
        assert services.presence_tick()["no_shows"] == 1
    came.refresh_from_db()
    stayed_away.refresh_from_db()
    assert (came.status, stayed_away.status) == ("checked_in", "no_show")
    with pytest.raises(Conflict):
        services.booking_cancel(community=system.community, token=stayed_away.token)


def test_staff_mark_and_need_the_permission(
    system: Actor, room: Resource, make_login: Any, login_client: Any
) -> None:
    slot = _slot(room)
    booking = _book(system, slot)
    volunteer = Actor(
        community=system.community, label="v", permissions=frozenset({"qrcodes.view"})
    )
    with pytest.raises(PermissionDenied):
        services.booking_check_in(actor=volunteer, booking_id=booking.pk)
    with clock.frozen(slot.starts_at):
        services.booking_check_in(actor=system, booking_id=booking.pk)
    booking.refresh_from_db()
    assert booking.status == "checked_in"


def test_scan_leads_to_the_booking_page_and_a_phone_books(
    client: Client, system: Actor, room: Resource
) -> None:
    code = room.code
    assert code is not None
    with clock.frozen(NOW):
        scanned = client.get(f"/q/{code.code}")
        assert scanned.status_code == 302
        page = client.get(scanned["Location"], HTTP_ACCEPT_LANGUAGE="nl")
        assert page.status_code == 200
        slot = _slot(room)
        answer = client.post(
            scanned["Location"],
            {"slot": slot.pk, "name": "Fatima", "contact": "0470 12 34 56", "key": "abc"},
        )
        assert answer.status_code == 302
        booking = Booking.objects.get()
        assert answer["Location"].endswith(f"/booking/{booking.token}/")
        assert booking.contact == "+32470123456"
        mine = client.get(answer["Location"])
        assert mine.status_code == 200 and "Vergaderzaal" in mine.content.decode()
        client.post(answer["Location"], {"op": "cancel"})
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_staff_list_and_export(system: Actor, room: Resource, login_client: Any) -> None:
    slot = _slot(room)
    _book(system, slot, "Fatima")
    staff = login_client(system.community, "staff")
    slug = system.community.slug
    page = staff.get(f"/{slug}/qr/resources/{room.pk}/?day={TOMORROW.isoformat()}")
    assert page.status_code == 200 and "Fatima" in page.content.decode()
    csv = staff.get(f"/{slug}/qr/resources/{room.pk}/bookings.csv?day={TOMORROW.isoformat()}")
    assert csv.status_code == 200
    text = b"".join(csv.streaming_content if csv.streaming else [csv.content]).decode()
    assert "Fatima" in text and "+32470123456" in text
    xlsx = staff.get(f"/{slug}/qr/resources/{room.pk}/bookings.xlsx?day={TOMORROW.isoformat()}")
    assert xlsx.status_code == 200
    clerk = login_client(system.community, "counter_clerk")
    assert clerk.get(f"/{slug}/qr/resources/{room.pk}/bookings.csv").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_many_people_booking_the_last_places_at_once(system: Actor) -> None:
    """Twelve phones book a slot with three places at the same moment: exactly three win."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs writers one at a time; the race needs PostgreSQL")
    resource = services.resource_create(actor=system, name="Bakfiets", capacity=3)
    with clock.frozen(NOW):
        (slot, *_rest) = services.slots_add(
            actor=system,
            resource_id=resource.pk,
            day=TOMORROW,
            start=dt.time(10, 0),
            end=dt.time(11, 0),
        )
    people = 12
    barrier = threading.Barrier(people)
    outcomes: list[str] = []

    def go(i: int) -> None:
        try:
            barrier.wait()
            services.booking_create(
                community=system.community,
                slot_id=slot.pk,
                name=f"Persoon {i}",
                contact=f"+3247012{i:04d}",
            )
            outcomes.append("booked")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(people)]
    with clock.frozen(NOW):  # one frozen clock for every thread
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(outcomes) == ["booked"] * 3 + ["slot_full"] * 9
    slot.refresh_from_db()
    assert slot.booked == 3 == Booking.objects.filter(slot=slot).count()
