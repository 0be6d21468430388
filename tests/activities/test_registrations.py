"""Signing up for activities: no overbooking ever, the waiting list and its offers that move
on, whole-series sign-ups, cancelling by link, attendance at the right session."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buurtkit.activities import selectors, services
from buurtkit.activities.models import Registration, Session
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.people.models import Person
from buurtkit.places import services as places_services

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
_places = itertools.count(1)


@pytest.fixture
def frozen() -> Any:
    with clock.frozen(NOW):
        yield


def _session(
    system: Actor, *, capacity: int = 2, whole_series: bool = False, n: int = 1
) -> list[Session]:
    place = places_services.place_create(
        actor=system, name=f"Digipunt {next(_places)}", kind="digipunt"
    )
    series = services.series_create(
        actor=system,
        kind="course" if whole_series else "it_cafe",
        title={"nl": "Werken met je smartphone", "fr": "Utiliser son smartphone"},
        whole_series=whole_series,
    )
    return [
        services.session_add(
            actor=system,
            series_id=series.pk,
            place_id=place.pk,
            starts_at=NOW + timedelta(days=7 * (i + 1)),
            ends_at=NOW + timedelta(days=7 * (i + 1), hours=2),
            capacity=capacity,
        )
        for i in range(n)
    ]


def _sign_up(system: Actor, session: Session, person: Person, **kw: Any) -> list[Registration]:
    made, _token = services.registration_create(
        actor=system, session_id=session.pk, person_id=person.pk, channel="desk", **kw
    )
    return made


def _seats(session: Session) -> tuple[int, int]:
    session.refresh_from_db()
    return session.seats_taken, session.waiting


def test_the_last_seats_go_and_then_people_wait(
    system: Actor, make_person: Callable[..., Person], frozen: Any
) -> None:
    (session,) = _session(system, capacity=2)
    people = [make_person(system) for _ in range(4)]
    states = [_sign_up(system, session, p)[0].state for p in people]
    assert states == ["registered", "registered", "waiting", "waiting"]
    assert _seats(session) == (2, 2)
    fourth = Registration.objects.get(person=people[3])
    assert selectors.waiting_position(fourth) == 2
    with pytest.raises(Conflict) as refused:
        services.registration_create(
            actor=system, session_id=session.pk, person_id=make_person(system).pk,
            join_waiting_list=False,
        )  # fmt: skip
    assert refused.value.code == "full"


def test_signing_up_twice_or_after_the_start_is_refused(
    system: Actor, make_person: Callable[..., Person], frozen: Any
) -> None:
    (session,) = _session(system)
    person = make_person(system)
    _sign_up(system, session, person)
    with pytest.raises(Conflict) as twice:
        _sign_up(system, session, person)
    assert twice.value.code == "already"
    with clock.frozen(session.starts_at + timedelta(minutes=1)), pytest.raises(Conflict) as late:
        _sign_up(system, session, make_person(system))
    assert late.value.code == "closed"
    assert _seats(session) == (1, 0)


def test_a_double_click_signs_up_once(
    system: Actor, make_person: Callable[..., Person], frozen: Any
) -> None:
    (session,) = _session(system)
    person = make_person(system)
    first, token = services.registration_create(
        actor=system, session_id=session.pk, person_id=person.pk, idempotency_key="form-1"
    )
    again, token_again = services.registration_create(
        actor=system, session_id=session.pk, person_id=person.pk, idempotency_key="form-1"
    )
    assert [r.pk for r in again] == [r.pk for r in first]
    assert token and token_again == ""
    assert _seats(session) == (1, 0)


def test_a_freed_seat_is_offered_and_moves_on_when_the_offer_expires(
    system: Actor, make_person: Callable[..., Person], frozen: Any
) -> None:
    (session,) = _session(system, capacity=1)
    holder, first, second = (make_person(system) for _ in range(3))
    held = _sign_up(system, session, holder)[0]
    _sign_up(system, session, first)
    _sign_up(system, session, second)
    services.registration_cancel(actor=system, registration_id=held.pk)
    offered = Registration.objects.get(person=first)
    assert offered.state == "offered" and offered.offer_expires_at == NOW + timedelta(hours=24)
    assert _seats(session) == (1, 1)
    # Not accepted in time: the seat goes to the next person.
    with clock.frozen(NOW + timedelta(hours=25)):
        assert services.offers_expire() == 1
        with pytest.raises(Conflict) as expired:
            services.offer_accept(actor=system, registration_id=offered.pk)
    assert expired.value.code == "expired"
    assert Registration.objects.get(person=first).state == "cancelled"
    nxt = Registration.objects.get(person=second)
    assert nxt.state == "offered"
    with clock.frozen(NOW + timedelta(hours=26)):
        assert services.offer_accept(actor=system, registration_id=nxt.pk).state == "registered"
    assert _seats(session) == (1, 0)


def test_a_whole_series_sign_up_takes_a_seat_in_every_session_or_waits(
    system: Actor, make_person: Callable[..., Person], frozen: Any
) -> None:
    sessions = _session(system, capacity=1, whole_series=True, n=3)
    anna = make_person(system)
    bart = make_person(system, phone="0470 33 44 55", consents={"contact_sms": True})
    made = _sign_up(system, sessions[0], anna)
    assert len(made) == 3 and {r.state for r in made} == {"registered"}
    assert len({r.group for r in made}) == 1
    waiting = _sign_up(system, sessions[1], bart)
    assert {r.state for r in waiting} == {"waiting"} and len(waiting) == 3
    assert [_seats(s) for s in sessions] == [(1, 1)] * 3
    # Anna cancels the whole series: Bart is offered every seat.
    services.registration_cancel(actor=system, registration_id=made[1].pk)
    assert set(Registration.objects.filter(person=anna).values_list("state", flat=True)) == {
        "cancelled"
    }
    assert set(Registration.objects.filter(person=bart).values_list("state", flat=True)) == {
        "offered"
    }


def test_the_cancel_link_works_for_its_holder_only(
    system: Actor, other_system: Actor, make_person: Callable[..., Person], frozen: Any
) -> None:
    (session,) = _session(system)
    person = make_person(system)
    (registration,), token = services.registration_create(
        actor=system, session_id=session.pk, person_id=person.pk
    )
    with pytest.raises(NotFound):
        services.registration_cancel(
            actor=None,
            registration_id=registration.pk,
            token="guess",
            community_id=system.community.pk,
        )
    with pytest.raises(NotFound):  # the right secret, another community
        services.registration_cancel(
            actor=None,
            registration_id=registration.pk,
            token=token,
            community_id=other_system.community.pk,
        )
    with pytest.raises(NotFound):  # someone else's registration through another community's staff
        services.registration_cancel(actor=other_system, registration_id=registration.pk)
    services.registration_cancel(
        actor=None, registration_id=registration.pk, token=token, community_id=system.community.pk
    )
    assert Registration.objects.get(pk=registration.pk).state == "cancelled"
    assert _seats(session) == (0, 0)


def test_a_resident_signs_up_and_cancels_only_themself(
    system: Actor, make_person: Callable[..., Person], frozen: Any
) -> None:
    (session,) = _session(system)
    me, neighbour = make_person(system), make_person(system)
    resident = Actor(community=system.community, label="me", person_id=me.pk)
    (mine,), _t = services.registration_create(
        actor=resident, session_id=session.pk, person_id=me.pk
    )
    with pytest.raises(PermissionDenied):
        services.registration_create(actor=resident, session_id=session.pk, person_id=neighbour.pk)
    theirs = _sign_up(system, session, neighbour)[0]
    with pytest.raises(PermissionDenied):
        services.registration_cancel(actor=resident, registration_id=theirs.pk)
    services.registration_cancel(actor=resident, registration_id=mine.pk)


def test_check_in_at_the_wrong_session_is_refused(
    system: Actor, make_person: Callable[..., Person], frozen: Any
) -> None:
    first, second = _session(system, n=2)
    registration = _sign_up(system, first, make_person(system))[0]
    with pytest.raises(Conflict) as wrong:
        services.attendance_mark(
            actor=system, registration_id=registration.pk, session_id=second.pk, attended=True
        )
    assert wrong.value.code == "wrong_session"
    came = services.attendance_mark(
        actor=system, registration_id=registration.pk, session_id=first.pk, attended=True
    )
    assert came.state == "attended" and _seats(first) == (1, 0)
    # A paper list entered afterwards corrects it.
    assert (
        services.attendance_mark(
            actor=system, registration_id=registration.pk, session_id=first.pk, attended=False
        ).state
        == "no_show"
    )


def test_a_partner_sign_up_names_the_partner(
    system: Actor, make_person: Callable[..., Person], frozen: Any
) -> None:
    (session,) = _session(system)
    with pytest.raises(ValidationFailed) as refused:
        services.registration_create(
            actor=system, session_id=session.pk, person_id=make_person(system).pk, channel="partner"
        )
    assert "referred_by_id" in refused.value.fields


def test_the_database_refuses_an_overbooking_whatever_the_code_does(
    system: Actor, frozen: Any
) -> None:
    (session,) = _session(system, capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(seats_taken=2)


OPS = st.lists(
    st.tuples(st.sampled_from(["sign_up", "cancel", "expire", "accept"]), st.integers(0, 5)),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_seat_counts_always_match_the_registrations(
    system: Actor, make_person: Callable[..., Person], ops: list[tuple[str, int]]
) -> None:
    """Random sign-ups, cancellations, accepted and expired offers: never more seats held
    than capacity, and the session's counters always equal what the registrations say."""
    with clock.frozen(NOW):
        (session,) = _session(system, capacity=2)
        people = [make_person(system) for _ in range(6)]
    at = NOW
    for op, i in ops:
        at += timedelta(hours=13)
        with clock.frozen(min(at, session.starts_at - timedelta(minutes=1))):
            person = people[i]
            mine = (
                Registration.objects.filter(session=session, person=person)
                .exclude(state="cancelled")
                .first()
            )
            try:
                if op == "sign_up":
                    _sign_up(system, session, person)
                elif op == "cancel" and mine:
                    services.registration_cancel(actor=system, registration_id=mine.pk)
                elif op == "accept" and mine:
                    services.offer_accept(actor=system, registration_id=mine.pk)
                elif op == "expire":
                    services.offers_expire()
            except Conflict:
                pass
        session.refresh_from_db()
        assert session.seats_taken == selectors.seats_held(session) <= session.capacity
        assert session.waiting == selectors.waiting_list(session).count()
        if session.seats_taken < session.capacity:
            # A free seat never sits idle while someone waits.
            assert session.waiting == 0
    Registration.objects.all().delete()
    Session.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_many_people_rushing_for_the_last_seats_fill_exactly_the_capacity(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    """On PostgreSQL, 12 sign-ups at the same moment for 3 seats: exactly 3 get a seat, the
    other 9 wait, and the counters agree."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers anyway")
    with clock.frozen(NOW):
        (session,) = _session(system, capacity=3)
        people = [make_person(system) for _ in range(12)]
    barrier = threading.Barrier(len(people))
    states: list[str] = []
    errors: list[BaseException] = []

    def sign_up(person: Person) -> None:
        try:
            barrier.wait()
            states.append(_sign_up(system, session, person)[0].state)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(p,)) for p in people]
    # One frozen clock for every thread: the clock is a module global, and threads each
    # freezing and restoring it in their own order would leave it frozen for later tests.
    with clock.frozen(NOW):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert sorted(states).count("registered") == 3 and states.count("waiting") == 9
    assert _seats(session) == (3, 9)
