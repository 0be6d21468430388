"""The day-before reminders: in the person's language, by the channel they allow (SMS, e-mail,
or an automated call through the phone simulator), never twice, never to who cancelled."""

from __future__ import annotations

import itertools
from collections.abc import Callable
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
from buurtkit.telephony.models import Call

pytestmark = pytest.mark.django_db
# Monday 7 December 2026, 10:00 in Brussels: the sweep reminds Tuesday's sessions.
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
_n = itertools.count(1)


def _session(system: Actor, starts_at: datetime) -> Session:
    place = places_services.place_create(
        actor=system, name=f"Digipunt {next(_n)}", kind="digipunt", street="Rabotstraat 1"
    )
    series = services.series_create(
        actor=system, kind="it_cafe", title={"nl": "IT-café", "fr": "Café numérique"}
    )
    return services.session_add(
        actor=system,
        series_id=series.pk,
        place_id=place.pk,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        capacity=10,
    )


def _sign_up(system: Actor, session: Session, person: Person, language: str = "") -> Registration:
    (registration,), _token = services.registration_create(
        actor=system, session_id=session.pk, person_id=person.pk, channel="desk", language=language
    )
    return registration


def test_reminders_go_the_day_before_by_the_allowed_channel_in_the_persons_language(
    system: Actor, make_person: Callable[..., Person], settings: Any
) -> None:
    settings.PUBLIC_URL = "https://buurt.example.be"
    with clock.frozen(NOW):
        tomorrow = _session(system, datetime(2026, 12, 8, 13, 0, tzinfo=UTC))
        later = _session(system, datetime(2026, 12, 10, 13, 0, tzinfo=UTC))
        sms = make_person(system, phone="0470 11 22 33", preferred_language="fr",
                          consents={"contact_sms": True})  # fmt: skip
        mail = make_person(system, email="an@example.org", consents={"contact_email": True})
        landline = make_person(system, phone="09 266 10 10", consents={"contact_phone": True})
        nobody = make_person(system, phone="0470 99 88 77")  # no consent to be contacted
        gone = make_person(system, phone="0470 55 44 33", consents={"contact_sms": True})
        for person in (sms, mail, landline, nobody, gone):
            _sign_up(system, tomorrow, person)
        _sign_up(
            system,
            later,
            make_person(system, phone="0470 12 12 12", consents={"contact_sms": True}),
        )
        services.registration_cancel(
            actor=system, registration_id=Registration.objects.get(person=gone).pk
        )
        Message.objects.all().delete()  # no confirmations in this test (desk sign-ups)
        assert services.reminders_send_community(system.community) == {
            "sms": 1, "email": 1, "call": 1, "staff": 1,
        }  # fmt: skip
        # Never twice.
        assert services.reminders_send_community(system.community) == {}
    by_person = {
        r.person_id: r.reminded_via for r in Registration.objects.exclude(reminded_at=None)
    }
    assert by_person == {sms.pk: "sms", mail.pk: "email", landline.pk: "call", nobody.pk: "staff"}
    text = Message.objects.get(person=sms).body
    assert "Café numérique" in text and "demain" in text.lower()
    assert Message.objects.get(person=mail).channel == "email"
    call = Call.objects.get()
    assert call.purpose == "activities.reminder" and call.to_number == "+3292661010"


def test_the_reminder_call_reads_the_session_and_hangs_up(
    system: Actor, make_person: Callable[..., Person], settings: Any
) -> None:
    from buurtkit.activities.calls import reminder_flow

    settings.PUBLIC_URL = "https://buurt.example.be"
    with clock.frozen(NOW):
        session = _session(system, datetime(2026, 12, 8, 13, 0, tzinfo=UTC))
        person = make_person(system, phone="09 266 10 10", consents={"contact_phone": True})
        _sign_up(system, session, person, language="nl")
        services.reminders_send_community(system.community)
    call = Call.objects.get()
    verbs = reminder_flow(call, "start", "", "human")
    said = " ".join(getattr(v, "text", "") for v in verbs)
    assert "morgen" in said and "14:00" in said and session.place.name in said
    assert type(verbs[-1]).__name__ == "Hangup"
