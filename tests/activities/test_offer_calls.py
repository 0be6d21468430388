"""A freed seat offered by an automated call (someone with only a landline, who allows calls),
end to end: the simulator phones over real HTTP (live_server) with signed webhooks. The
call reads the session in the person's language; 1 takes the seat; 2, silence or no answer
passes it to the next person on the waiting list."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from buurtkit.activities import services
from buurtkit.activities.models import Registration, Session
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.messaging.models import Message
from buurtkit.people.models import Person
from buurtkit.places import services as places_services
from buurtkit.telephony import simulator
from buurtkit.telephony.models import Call, CallEvent
from buurtkit.telephony.simulator import SCRIPTS

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
_n = itertools.count(1)


@pytest.fixture(autouse=True)
def _sim(live_server: Any, settings: Any) -> Iterator[None]:
    settings.TELEPHONY_PROVIDER = "simulator"
    settings.PUBLIC_URL = live_server.url
    settings.TWILIO_FROM_NUMBER = "+3293001122"
    saved = dict(simulator.RESIDENTS)
    with clock.frozen(NOW):
        yield
    simulator.RESIDENTS.clear()
    simulator.RESIDENTS.update(saved)


def _full_session(system: Actor) -> Session:
    place = places_services.place_create(
        actor=system, name=f"Bib Rabot {next(_n)}", kind="digipunt", street="Rabotstraat 2"
    )
    series = services.series_create(
        actor=system, kind="it_cafe", title={"nl": "IT-café", "fr": "Café numérique"}
    )
    return services.session_add(
        actor=system,
        series_id=series.pk,
        place_id=place.pk,
        starts_at=NOW + timedelta(days=3),
        ends_at=NOW + timedelta(days=3, hours=2),
        capacity=1,
    )


def _sign_up(system: Actor, session: Session, person: Person) -> Registration:
    (registration,), _token = services.registration_create(
        actor=system, session_id=session.pk, person_id=person.pk, channel="phone"
    )
    return registration


def _setup(
    system: Actor, make_person: Callable[..., Person], script: str
) -> tuple[Registration, Registration, Registration]:
    session = _full_session(system)
    seated = _sign_up(system, session, make_person(system, phone="0470 31 31 31"))
    landline = make_person(system, phone=f"09 223 45 6{next(_n) % 10}", preferred_language="fr",
                           consents={"contact_phone": True})  # fmt: skip
    simulator.RESIDENTS[landline.phone] = SCRIPTS[script]
    waiting = _sign_up(system, session, landline)
    after = _sign_up(
        system, session, make_person(system, phone="0470 32 32 32", consents={"contact_sms": True})
    )
    assert (waiting.state, after.state) == ("waiting", "waiting")
    return seated, waiting, after


@pytest.mark.django_db(transaction=True)
def test_pressing_1_takes_the_seat_and_the_call_speaks_their_language(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    seated, waiting, after = _setup(system, make_person, "presses-1")
    services.registration_cancel(actor=system, registration_id=seated.pk)  # the call goes now
    call = Call.objects.get(purpose="activities.offer")
    assert (call.subject_id, call.language, call.to_number) == (
        waiting.pk, "fr", waiting.person.phone
    )  # fmt: skip
    waiting.refresh_from_db()
    after.refresh_from_db()
    assert waiting.state == "registered" and after.state == "waiting"
    assert call.status == "completed" and call.flow_state["outcome"] == "accepted"
    first = CallEvent.objects.get(call=call, step="start").response
    assert "Café numérique" in first and "Appuyez sur 1" in first and "Bib Rabot" in first
    assert not Message.objects.filter(person=waiting.person).exists()  # a call, not an SMS


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("script", ["presses-2", "silent", "no-answer", "busy"])
def test_2_silence_or_no_answer_passes_the_seat_to_the_next_person(
    system: Actor, make_person: Callable[..., Person], script: str
) -> None:
    seated, waiting, after = _setup(system, make_person, script)
    services.registration_cancel(actor=system, registration_id=seated.pk)
    waiting.refresh_from_db()
    after.refresh_from_db()
    assert waiting.state == "cancelled"
    assert after.state == "offered"  # the next person got the seat's offer (by SMS)
    assert Message.objects.filter(
        person=after.person, idempotency_key__startswith="activities-offer-"
    ).exists()
    session = Session.objects.get(pk=after.session_id)
    assert (session.seats_taken, session.waiting) == (1, 0)


@pytest.mark.django_db(transaction=True)
def test_an_offer_closed_before_the_call_is_answered_is_not_taken(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    from buurtkit.activities.calls import offer_flow

    seated, waiting, _after = _setup(system, make_person, "no-answer")
    simulator.RESIDENTS[waiting.person.phone] = SCRIPTS["no-answer"]
    services.registration_cancel(actor=system, registration_id=seated.pk)
    call = Call.objects.get(purpose="activities.offer")
    # The seat moved on; a late "1" (a second call leg, a replay) does not take it back.
    verbs = offer_flow(call, "answer", "1", "human")
    waiting.refresh_from_db()
    assert waiting.state == "cancelled"
    assert "expir" in " ".join(getattr(v, "text", "") for v in verbs)
