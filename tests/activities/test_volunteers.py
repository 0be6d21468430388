"""The digibuddy register: volunteers, duties (no double booking), cancelling with a reason,
swaps with exactly one taker, the gaps a coordinator sees and the one-click ask, the training
track, the pages (register, own schedule on a phone, .ics) and the API."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation

from buurtkit.activities import services
from buurtkit.activities import volunteer_selectors as selectors
from buurtkit.activities.models import Duty, DutyState, Session, TrainingTrack, Volunteer
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.permissions import permissions_for_roles
from buurtkit.messaging.models import Message
from buurtkit.people import services as people_services
from buurtkit.people.models import Person
from buurtkit.people.services import DuplicatePerson
from buurtkit.places import services as places_services

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Brussels
_n = itertools.count(1)


def _phone() -> str:
    return f"0470{next(_n) + 500000:06d}"


def _place(system: Actor) -> Any:
    return places_services.place_create(actor=system, name=f"Digipunt {next(_n)}", kind="digipunt")


def _session(system: Actor, *, days: int = 1, hour: int = 13, needed: int = 2) -> Session:
    series = services.series_create(actor=system, kind="it_cafe", title={"nl": "IT-café"})
    start = NOW + timedelta(days=days, hours=hour - 9)
    return services.session_add(
        actor=system,
        series_id=series.pk,
        place_id=_place(system).pk,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=10,
        buddies_needed=needed,
    )


def _buddy(
    system: Actor, first: str = "", *, availability: dict[str, list[str]] | None = None
) -> Volunteer:
    return services.volunteer_create(
        actor=system,
        person={
            "first_name": first or f"Buddy{next(_n)}",
            "last_name": "Claeys",
            "phone": _phone(),
        },
        skills="smartphone, itsme",
        languages=["nl", "ar"],
        availability=availability or {},
    )


def _volunteer_actor(community: Community, volunteer: Volunteer) -> Actor:
    return Actor(
        community=community,
        label=f"buddy-{volunteer.pk}",
        person_id=volunteer.person_id,
        roles=frozenset({"volunteer", "resident"}),
        permissions=permissions_for_roles({"volunteer", "resident"}, community.enabled_modules),
    )


def _login(community: Community, volunteer: Volunteer) -> Client:
    """A phone login for the volunteer's person, with the volunteer role."""
    system = Actor.system(community, label="test")
    username = f"buddy-{volunteer.pk}-{next(_n)}"
    user = people_services.person_give_login(
        actor=system, person_id=volunteer.person_id, username=username, password="x-Secret-123!"
    )
    people_services.membership_grant(actor=system, username=username, roles=["volunteer"])
    client = Client()
    client.force_login(user)
    return client


# --- the register ---------------------------------------------------------------------------


def test_a_volunteer_is_registered_with_skills_languages_and_availability(system: Actor) -> None:
    with clock.frozen(NOW):
        volunteer = _buddy(system, availability={"tue": ["afternoon", "morning"], "sat": []})
    assert volunteer.skills == ["smartphone", "itsme"]
    assert volunteer.languages == ["nl", "ar"]
    assert volunteer.availability == {"tue": ["morning", "afternoon"]}
    with pytest.raises(ValidationFailed) as refused:
        services.volunteer_update(
            actor=system, volunteer_id=volunteer.pk, availability={"tue": ["night"]}
        )
    assert "availability" in refused.value.fields


def test_a_known_person_is_offered_instead_of_a_duplicate(system: Actor) -> None:
    phone = _phone()
    known = people_services.person_create(
        actor=system, first_name="Rita", last_name="Vermeulen", phone=phone
    )
    with pytest.raises(DuplicatePerson) as refused:
        services.volunteer_create(
            actor=system, person={"first_name": "rita", "last_name": "Vermeulen", "phone": phone}
        )
    assert refused.value.fields["duplicate_of"] == known.pk
    assert not Volunteer.objects.exists()
    volunteer = services.volunteer_create(actor=system, person_id=known.pk)
    assert volunteer.person == known
    with pytest.raises(Conflict) as twice:
        services.volunteer_create(actor=system, person_id=known.pk)
    assert twice.value.code == "already_volunteer"


# --- duties ---------------------------------------------------------------------------------


def test_a_volunteer_is_never_booked_twice_at_overlapping_times(system: Actor) -> None:
    # The message is read in Dutch (a page asked earlier on the worker may leave another on).
    with clock.frozen(NOW), translation.override("nl"):
        volunteer = _buddy(system, "Karim")
        first = _session(system, hour=13)
        overlapping = _session(system, hour=14)
        later = _session(system, hour=15)
        services.duty_assign(actor=system, volunteer_id=volunteer.pk, session_id=first.pk)
        with pytest.raises(Conflict) as refused:
            services.duty_assign(actor=system, volunteer_id=volunteer.pk, session_id=overlapping.pk)
        assert refused.value.code == "double_booked"
        # The message names the person and the duty already planned then (when, where).
        assert "Karim Claeys is op dat moment al ingepland (di 8/12 14:00, Digipunt" in str(
            refused.value.detail
        )
        # A digipunt slot that overlaps is refused too; one that starts when the other ends is fine.
        with pytest.raises(Conflict):
            services.duty_assign(
                actor=system,
                volunteer_id=volunteer.pk,
                place_id=_place(system).pk,
                starts_at=first.starts_at + timedelta(hours=1),
                ends_at=first.ends_at + timedelta(hours=1),
            )
        services.duty_assign(actor=system, volunteer_id=volunteer.pk, session_id=later.pk)
    assert Duty.objects.filter(volunteer=volunteer).count() == 2


def test_a_cancelled_duty_frees_the_time_and_shows_as_a_gap(system: Actor) -> None:
    with clock.frozen(NOW):
        volunteer = _buddy(system)
        session = _session(system, needed=1)
        duty = services.duty_assign(actor=system, volunteer_id=volunteer.pk, session_id=session.pk)
        assert [g.session for g in selectors.gaps(actor=system)] == []
        me = _volunteer_actor(system.community, volunteer)
        with pytest.raises(ValidationFailed):
            services.duty_cancel(actor=me, duty_id=duty.pk, reason="  ")
        services.duty_cancel(actor=me, duty_id=duty.pk, reason="Naar de dokter")
        (gap,) = selectors.gaps(actor=system)
    assert gap.session == session and gap.missing == 1 and gap.reasons == ["Naar de dokter"]
    with clock.frozen(NOW):
        # The time is free again: the same volunteer can be planned at another session then.
        services.duty_assign(
            actor=system, volunteer_id=volunteer.pk, session_id=_session(system, needed=0).pk
        )


def test_a_volunteer_acts_on_their_own_duties_only(system: Actor) -> None:
    with clock.frozen(NOW):
        mine, theirs = _buddy(system), _buddy(system)
        session = _session(system)
        duty = services.duty_assign(actor=system, volunteer_id=theirs.pk, session_id=session.pk)
        me = _volunteer_actor(system.community, mine)
        with pytest.raises(PermissionDenied):
            services.duty_cancel(actor=me, duty_id=duty.pk, reason="Ik wil niet")
        with pytest.raises(PermissionDenied):
            services.duty_offer_swap(actor=me, duty_id=duty.pk)
    assert Duty.objects.get(pk=duty.pk).state == DutyState.PLANNED


def test_a_duty_offered_for_a_swap_is_taken_over(system: Actor) -> None:
    with clock.frozen(NOW):
        giver, taker = _buddy(system), _buddy(system)
        session = _session(system)
        duty = services.duty_assign(actor=system, volunteer_id=giver.pk, session_id=session.pk)
        services.duty_offer_swap(actor=_volunteer_actor(system.community, giver), duty_id=duty.pk)
        them = _volunteer_actor(system.community, taker)
        assert [d.pk for d in selectors.swaps_offered(actor=them)] == [duty.pk]
        taken = services.duty_take(actor=them, duty_id=duty.pk)
        assert taken.volunteer_id == taker.pk and taken.taken_over_from_id == giver.pk
        assert taken.state == DutyState.PLANNED
        # A retry by the taker changes nothing; the giver cannot take it back.
        again = services.duty_take(actor=them, duty_id=duty.pk)
        assert getattr(again, "replayed", False)
        with pytest.raises(Conflict) as late:
            services.duty_take(actor=_volunteer_actor(system.community, giver), duty_id=duty.pk)
    assert late.value.code == "not_offered"


def test_taking_over_refuses_a_taker_who_is_busy_then(system: Actor) -> None:
    with clock.frozen(NOW):
        giver, taker = _buddy(system), _buddy(system)
        session = _session(system, hour=13)
        duty = services.duty_assign(actor=system, volunteer_id=giver.pk, session_id=session.pk)
        services.duty_assign(
            actor=system, volunteer_id=taker.pk, session_id=_session(system, hour=14).pk
        )
        services.duty_offer_swap(actor=system, duty_id=duty.pk)
        with pytest.raises(Conflict) as refused:
            services.duty_take(actor=_volunteer_actor(system.community, taker), duty_id=duty.pk)
    assert refused.value.code == "double_booked"
    assert Duty.objects.get(pk=duty.pk).volunteer_id == giver.pk


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_exactly_one_of_many_volunteers_takes_an_offered_duty(system: Actor) -> None:
    """On PostgreSQL, eight volunteers press "I take this duty" at the same moment: one wins,
    seven are told someone else was quicker, and the duty has one volunteer."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers anyway")
    with clock.frozen(NOW):
        giver = _buddy(system)
        takers = [_buddy(system) for _ in range(8)]
        session = _session(system)
        duty = services.duty_assign(actor=system, volunteer_id=giver.pk, session_id=session.pk)
        services.duty_offer_swap(actor=system, duty_id=duty.pk)
    barrier = threading.Barrier(len(takers))
    won: list[int] = []
    lost: list[str] = []
    errors: list[BaseException] = []

    def take(volunteer: Volunteer) -> None:
        try:
            barrier.wait()
            services.duty_take(actor=_volunteer_actor(system.community, volunteer), duty_id=duty.pk)
            won.append(volunteer.pk)
        except Conflict as exc:
            lost.append(exc.code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(v,)) for v in takers]
    with clock.frozen(NOW):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len(won) == 1 and lost == ["not_offered"] * 7
    duty.refresh_from_db()
    assert duty.volunteer_id == won[0] and duty.state == DutyState.PLANNED
    Duty.objects.all().delete()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_cannot_book_one_volunteer_twice_at_once(system: Actor) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers anyway")
    with clock.frozen(NOW):
        volunteer = _buddy(system)
        sessions = [_session(system, hour=13) for _ in range(6)]
    barrier = threading.Barrier(len(sessions))
    outcomes: list[str] = []

    def assign(session: Session) -> None:
        try:
            barrier.wait()
            services.duty_assign(actor=system, volunteer_id=volunteer.pk, session_id=session.pk)
            outcomes.append("planned")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=assign, args=(s,)) for s in sessions]
    with clock.frozen(NOW):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(outcomes) == ["double_booked"] * 5 + ["planned"]
    assert Duty.objects.filter(volunteer=volunteer).count() == 1
    Duty.objects.all().delete()


# --- gaps and asking ------------------------------------------------------------------------


def test_asking_for_a_gap_messages_the_free_volunteers_once(system: Actor) -> None:
    # Tomorrow (Tuesday) 13:00 UTC = 14:00 in Brussels: an afternoon.
    with clock.frozen(NOW):
        session = _session(system, needed=2)
        free = _buddy(system, "Fatma", availability={"tue": ["afternoon"]})
        mornings = _buddy(system, availability={"tue": ["morning"]})
        busy = _buddy(system, availability={"tue": ["afternoon"]})
        on_duty = _buddy(system, availability={"tue": ["afternoon"]})
        for v in (free, mornings, busy, on_duty):
            people_services.person_record_consent(
                actor=system, person_id=v.person_id, kind="contact_sms", granted=True
            )
            Person.objects.filter(pk=v.person_id).update(phone_kind="mobile")
        services.duty_assign(
            actor=system, volunteer_id=busy.pk, session_id=_session(system, hour=14, needed=0).pk
        )
        services.duty_assign(actor=system, volunteer_id=on_duty.pk, session_id=session.pk)
        first = services.gap_ask(actor=system, session_id=session.pk)
        again = services.gap_ask(actor=system, session_id=session.pk)
    assert (first.asked, first.already_asked) == (1, 0)
    assert (again.asked, again.already_asked) == (0, 1)  # no second message
    messages = Message.objects.filter(idempotency_key__startswith="buddy-ask:")
    assert [m.person_id for m in messages] == [free.person_id]
    assert "digibuddy" in messages[0].body and "/rabot/activities/duties/" in messages[0].body


def test_a_volunteer_fills_a_gap_and_the_last_place_goes_once(system: Actor) -> None:
    with clock.frozen(NOW):
        session = _session(system, needed=1)
        first, second = _buddy(system), _buddy(system)
        services.gap_fill(actor=_volunteer_actor(system.community, first), session_id=session.pk)
        with pytest.raises(Conflict) as full:
            services.gap_fill(
                actor=_volunteer_actor(system.community, second), session_id=session.pk
            )
    assert full.value.code == "filled"
    assert selectors.gaps(actor=system) == []


def test_a_cancelled_digipunt_slot_is_a_gap_until_someone_fills_it(system: Actor) -> None:
    with clock.frozen(NOW):
        place = _place(system)
        owner, helper = _buddy(system), _buddy(system)
        duty = services.duty_assign(
            actor=system,
            volunteer_id=owner.pk,
            place_id=place.pk,
            starts_at=NOW + timedelta(days=2),
            ends_at=NOW + timedelta(days=2, hours=3),
        )
        assert selectors.gaps(actor=system) == []
        services.duty_cancel(actor=system, duty_id=duty.pk, reason="Ziek")
        (gap,) = selectors.gaps(actor=system)
        assert gap.duty == duty and gap.place == place
        services.gap_fill(actor=_volunteer_actor(system.community, helper), duty_id=duty.pk)
        assert selectors.gaps(actor=system) == []


def test_digipunt_hours_needing_two_are_a_gap_until_two_are_on_duty(
    system: Actor, login_client: Callable[..., Client]
) -> None:
    """A coordinator says the Wednesday morning at a digipunt needs two digibuddies: with one
    planned the gaps show "1 of 2"; a volunteer fills the second place (once); hours nobody
    said anything about still need one; a third volunteer finds the hours full."""
    starts = NOW + timedelta(days=2)  # Wednesday 10:00 in Brussels
    ends = starts + timedelta(hours=3)
    with clock.frozen(NOW):
        place = _place(system)
        first, second, third = _buddy(system), _buddy(system), _buddy(system)
        hours = services.slot_set_needed(
            actor=system, place_id=place.pk, starts_at=starts, ends_at=ends, needed=2
        )
        (empty,) = selectors.gaps(actor=system)  # nobody planned yet: a gap of two
        assert (empty.slot, empty.planned, empty.needed, empty.missing) == (hours, 0, 2, 2)
        services.duty_assign(
            actor=system, volunteer_id=first.pk, place_id=place.pk, starts_at=starts, ends_at=ends
        )
        (gap,) = selectors.gaps(actor=system)
        assert (gap.planned, gap.needed, gap.missing, gap.place) == (1, 2, 1, place)
        helper = _volunteer_actor(system.community, second)
        assert [g.slot for g in selectors.open_gaps_for_volunteer(actor=helper)] == [hours]
        # The one already on duty there is not offered the gap again.
        me = _volunteer_actor(system.community, first)
        assert selectors.open_gaps_for_volunteer(actor=me) == []
        services.gap_fill(actor=helper, slot_id=hours.pk)
        assert selectors.gaps(actor=system) == []
        with pytest.raises(Conflict):  # full now
            services.gap_fill(actor=_volunteer_actor(system.community, third), slot_id=hours.pk)
        # Saying one is needed again leaves no gap; other hours without a number need one.
        services.slot_set_needed(
            actor=system, place_id=place.pk, starts_at=starts, ends_at=ends, needed=1
        )
        assert selectors.gaps(actor=system) == []
        with pytest.raises(ValidationFailed):
            services.slot_set_needed(
                actor=system, place_id=place.pk, starts_at=ends, ends_at=starts, needed=2
            )
    # The coordinator's page: the form sets the number, a wrong one keeps what was typed.
    coordinator = login_client(system.community, "staff")
    url = f"/{system.community.slug}/activities/volunteers/gaps/"
    with clock.frozen(NOW):
        form = {"h-place_id": str(place.pk), "h-day": "2026-12-11", "h-start": "14:00",
                "h-end": "17:00", "h-needed": "3"}  # fmt: skip
        assert coordinator.post(url, form).status_code == 302
        page = coordinator.get(url).content.decode()
        bad = coordinator.post(url, dict(form, **{"h-needed": "0"}))
    assert 'name="slot"' in page  # the new hours are a gap of three, to ask for
    assert bad.status_code == 400 and 'value="14:00"' in bad.content.decode()


# --- training -------------------------------------------------------------------------------


def test_attendance_at_the_training_is_progress_and_a_coordinator_certifies(
    system: Actor,
) -> None:
    with clock.frozen(NOW - timedelta(days=30)):
        training = services.series_create(
            actor=system, kind="buddy_training", title={"nl": "Opleiding"}, whole_series=True
        )
        place = _place(system)
        sessions = [
            services.session_add(
                actor=system,
                series_id=training.pk,
                place_id=place.pk,
                starts_at=NOW - timedelta(days=20 - 7 * w),
                ends_at=NOW - timedelta(days=20 - 7 * w, hours=-3),
                capacity=10,
            )
            for w in range(4)
        ]
        volunteer = _buddy(system)
        services.volunteer_update(
            actor=system, volunteer_id=volunteer.pk, training_series_id=training.pk
        )
        services.registration_create(
            actor=system, session_id=sessions[0].pk, person_id=volunteer.person_id
        )
    volunteer.refresh_from_db()
    assert volunteer.track == TrainingTrack.IN_TRAINING
    for session in sessions[:2]:
        with clock.frozen(session.starts_at + timedelta(minutes=5)):
            registration = session.registrations.get()
            services.attendance_mark(
                actor=system,
                registration_id=registration.pk,
                session_id=session.pk,
                attended=True,
            )
    progress = selectors.training_progress(volunteer)
    assert progress is not None and (progress.attended, progress.sessions) == (2, 4)
    with clock.frozen(NOW):
        with pytest.raises(ValidationFailed):
            services.volunteer_certify(
                actor=system, volunteer_id=volunteer.pk, on=date(2026, 12, 25)
            )
        services.volunteer_certify(actor=system, volunteer_id=volunteer.pk, on=date(2026, 12, 7))
    volunteer.refresh_from_db()
    assert volunteer.track == TrainingTrack.CERTIFIED and volunteer.certified_on == date(
        2026, 12, 7
    )
    with pytest.raises(ValidationFailed):
        other = services.series_create(actor=system, kind="it_cafe", title={"nl": "Café"})
        services.volunteer_update(
            actor=system, volunteer_id=volunteer.pk, training_series_id=other.pk
        )


# --- pages ----------------------------------------------------------------------------------


def test_the_register_searches_and_pages(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    with clock.frozen(NOW):
        for _ in range(27):
            _buddy(system)
        _buddy(system, "Olena")
    client = login_client(community, "coordinator")
    url = f"/{community.slug}/activities/volunteers/"
    page = client.get(url).content.decode()
    assert "28 results" in page or "28 resultaten" in page
    assert "?page=2" in page
    found = client.get(url, {"q": "olena"}).content.decode()
    assert "Olena Claeys" in found and "Buddy" not in found


def test_the_add_form_keeps_what_was_typed_and_offers_the_known_person(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    phone = _phone()
    known = people_services.person_create(
        actor=system, first_name="Jean", last_name="Dubois", phone=phone
    )
    client = login_client(community, "coordinator")
    url = f"/{community.slug}/activities/volunteers/new/"
    data = {
        "first_name": "Jean",
        "last_name": "Dubois",
        "phone": phone,
        "skills": "tax-on-web, e-mail",
        "languages": ["fr", "nl"],
        "day_fri": ["morning"],
    }
    page = client.post(url, data).content.decode()
    assert "tax-on-web, e-mail" in page  # kept
    assert f'name="use_person" value="{known.pk}"' in page
    assert not Volunteer.objects.exists()
    response = client.post(url, {**data, "use_person": str(known.pk)})
    volunteer = Volunteer.objects.get()
    assert response.status_code == 302 and volunteer.person == known
    assert volunteer.availability == {"fri": ["morning"]} and volunteer.languages == ["fr", "nl"]


def test_double_booking_on_the_page_says_why_and_keeps_the_choice(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    with clock.frozen(NOW):
        volunteer = _buddy(system, "Marc")
        first, second = _session(system, hour=13), _session(system, hour=14)
        services.duty_assign(actor=system, volunteer_id=volunteer.pk, session_id=first.pk)
        client = login_client(community, "coordinator")
        response = client.post(
            f"/{community.slug}/activities/volunteers/{volunteer.pk}/duties/",
            {"kind": "session", "s-session_id": second.pk, "s-role": "buddy"},
        )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Marc Claeys is op dat moment al ingepland" in page
    assert f'value="{second.pk}" selected' in page


def test_a_volunteer_sees_cancels_and_takes_duties_on_the_phone_page(
    community: Community, system: Actor
) -> None:
    with clock.frozen(NOW):
        me, other = _buddy(system, "Rita"), _buddy(system, "Bart")
        mine = services.duty_assign(
            actor=system, volunteer_id=me.pk, session_id=_session(system, hour=10).pk
        )
        offered = services.duty_assign(
            actor=system, volunteer_id=other.pk, session_id=_session(system, hour=15).pk
        )
        services.duty_offer_swap(actor=system, duty_id=offered.pk)
        client = _login(community, me)
        url = f"/{community.slug}/activities/duties/"
        page = client.get(url).content.decode()
        assert f"/activities/duties/{mine.pk}/cancel/" in page
        assert f"/activities/duties/{offered.pk}/take/" in page
        client.post(f"{url}{offered.pk}/take/")
        client.post(f"{url}{mine.pk}/cancel/", {"reason": "Op reis"})
        ics = client.get(f"{url}calendar.ics")
    assert Duty.objects.get(pk=offered.pk).volunteer_id == me.pk
    cancelled = Duty.objects.get(pk=mine.pk)
    assert cancelled.state == DutyState.CANCELLED and cancelled.cancel_reason == "Op reis"
    body = ics.content.decode()
    assert ics["Content-Type"].startswith("text/calendar")
    assert body.count("BEGIN:VEVENT") == 1 and f"UID:duty-{offered.pk}@" in body


def test_another_volunteers_duty_cannot_be_cancelled_by_page(
    community: Community, system: Actor
) -> None:
    with clock.frozen(NOW):
        me, other = _buddy(system), _buddy(system)
        theirs = services.duty_assign(
            actor=system, volunteer_id=other.pk, session_id=_session(system).pk
        )
        _login(community, me).post(
            f"/{community.slug}/activities/duties/{theirs.pk}/cancel/", {"reason": "weg"}
        )
    assert Duty.objects.get(pk=theirs.pk).state == DutyState.PLANNED


# --- API ------------------------------------------------------------------------------------


def test_the_api_plans_cancels_and_hands_over_duties(
    community: Community, system: Actor, api_key: Callable[..., str]
) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_key(community, ['coordinator'])}")
    base = "/api/v1/activities"
    with clock.frozen(NOW):
        session = _session(system, needed=1)
        giver, taker = _buddy(system), _buddy(system)
        made = client.post(
            f"{base}/volunteers/{giver.pk}/duties",
            {"session_id": session.pk},
            content_type="application/json",
        )
        assert made.status_code == 201, made.content
        duty_id = made.json()["id"]
        twice = client.post(
            f"{base}/volunteers/{giver.pk}/duties",
            {"session_id": session.pk},
            content_type="application/json",
        )
        assert twice.status_code == 409 and twice.json()["error"] == "double_booked"
        assert client.post(f"{base}/duties/{duty_id}/swap").json()["state"] == "swap_asked"
        no_key = client.post(
            f"{base}/duties/{duty_id}/take",
            {"volunteer_id": taker.pk},
            content_type="application/json",
        )
        assert no_key.status_code == 422
        key = uuid.uuid4().hex
        taken = client.post(
            f"{base}/duties/{duty_id}/take",
            {"volunteer_id": taker.pk},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
        )
        assert taken.status_code == 200 and taken.json()["volunteer_id"] == taker.pk
        gaps = client.get(f"{base}/gaps").json()
        assert gaps == []
        cancelled = client.post(
            f"{base}/duties/{duty_id}/cancel",
            {"reason": "Ziek"},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )
        assert cancelled.json()["state"] == "cancelled"
        (gap,) = client.get(f"{base}/gaps").json()
    assert gap["session_id"] == session.pk and gap["planned"] == 0


def test_anonymising_a_digibuddy_clears_their_words_and_keeps_the_duties(system: Actor) -> None:
    with clock.frozen(NOW):
        volunteer = _buddy(system)
        duty = services.duty_assign(
            actor=system, volunteer_id=volunteer.pk, session_id=_session(system).pk
        )
        services.duty_cancel(actor=system, duty_id=duty.pk, reason="Chemo op dinsdag")
    exported = people_services.person_gdpr_export(actor=system, person_id=volunteer.person_id)
    assert "Chemo op dinsdag" in str(exported)
    people_services.person_anonymise(actor=system, person_id=volunteer.person_id)
    duty.refresh_from_db()
    volunteer.refresh_from_db()
    assert duty.cancel_reason == "" and duty.state == DutyState.CANCELLED
    assert volunteer.skills == [] and not volunteer.active


def test_the_demo_has_twelve_digibuddies_with_duties_gaps_and_a_login(
    community: Community,
) -> None:
    from django.contrib.auth import get_user_model

    from buurtkit.activities import demo
    from buurtkit.people import demo as people_demo
    from buurtkit.places import demo as places_demo

    people_demo.load(community)
    places_demo.load(community)
    logins = demo.load(community)
    system = Actor.system(community, label="test")
    assert Volunteer.objects.filter(community=community).count() == 12
    assert ("volunteer (digibuddy)", "digibuddy", "buurtkit-demo") in logins
    user = get_user_model().objects.get(username="digibuddy")
    rita = Volunteer.objects.get(person__user=user)
    assert Duty.objects.filter(volunteer=rita, state=DutyState.PLANNED).exists()
    gaps = selectors.gaps(actor=system)
    assert any(g.session for g in gaps) and any(g.duty for g in gaps)
    assert Duty.objects.filter(community=community, state=DutyState.SWAP_ASKED).exists()
    assert Volunteer.objects.filter(track=TrainingTrack.CERTIFIED).exists()
    assert Volunteer.objects.filter(track=TrainingTrack.IN_TRAINING).exists()
