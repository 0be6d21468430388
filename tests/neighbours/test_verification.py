"""Phone verification: an SMS code for mobiles, a call reading the code for landlines (end to
end with the simulator), limits, phone changes, opt-out and opt-in, permissions, tenancy."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import translation

from buurtkit.audit.models import AuditEvent
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, PermissionDenied, ValidationFailed
from buurtkit.messaging.models import Message
from buurtkit.neighbours import selectors, services, verification
from buurtkit.neighbours.models import Participant, PhoneVerification
from buurtkit.people import services as people_services
from buurtkit.people.models import Person
from buurtkit.people.selectors import actor_for_user
from buurtkit.telephony import simulator
from buurtkit.telephony.models import Call, CallEvent, CallStatus
from buurtkit.telephony.simulator import Script
from tests.neighbours.conftest import profile

MOBILE = "+32470551201"
LANDLINE = "+3292345671"
T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _sim_settings(settings: Any) -> Iterator[None]:
    settings.TELEPHONY_PROVIDER = "simulator"
    settings.PUBLIC_URL = ""
    settings.TWILIO_FROM_NUMBER = "+3293001122"
    saved = dict(simulator.RESIDENTS)
    yield
    simulator.RESIDENTS.clear()
    simulator.RESIDENTS.update(saved)


@pytest.fixture
def register(system: Actor, make_person: Callable[..., Person]) -> Callable[..., Participant]:
    def make(phone: str = MOBILE, actor: Actor | None = None, **overrides: Any) -> Participant:
        person = make_person(actor or system, phone=phone)
        return services.participant_register(
            actor=actor or system, person_id=person.pk, consent=True, **profile(**overrides)
        )

    return make


def _code_in(message: Message) -> str:
    found = re.search(r"\b(\d{6})\b", message.body)
    assert found, message.body
    return found.group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_mobile_gets_an_sms_code_and_only_a_hash_is_kept(system: Actor, register: Any) -> None:
    p = register(language="en")
    v = services.verification_start(actor=system, participant_id=p.pk)
    assert v.channel == "sms" and v.phone == MOBILE and v.call_id is None
    message = Message.objects.get(person=p.person)
    assert message.channel == "sms" and message.to == MOBILE and message.language == "en"
    code = _code_in(message)
    assert "Buurbel" in message.body
    assert code not in v.code_hash and len(v.code_hash) > 64
    assert v.expires_at == v.created_at + dt.timedelta(minutes=15)
    assert not selectors.participant_callable(p)

    p = services.verification_check(actor=system, participant_id=p.pk, code=code)
    assert p.phone_verified_at is not None
    v.refresh_from_db()
    assert v.verified_at is not None and v.phone == MOBILE
    assert selectors.participant_callable(p)
    assert list(selectors.callable_participants(system.community.pk)) == [p]
    assert AuditEvent.objects.filter(verb="neighbours.phone_verified").exists()


def test_sms_code_goes_without_the_general_sms_consent(system: Actor, register: Any) -> None:
    # The person asked for the code themself: no "may receive text messages" consent needed.
    p = register()
    services.verification_start(actor=system, participant_id=p.pk)
    assert Message.objects.filter(person=p.person, channel="sms").count() == 1


def test_wrong_codes_are_counted_and_lock_after_five(system: Actor, register: Any) -> None:
    p = register()
    services.verification_start(actor=system, participant_id=p.pk)
    code = _code_in(Message.objects.get(person=p.person))
    for n in range(1, 6):
        with pytest.raises(ValidationFailed) as err:
            services.verification_check(actor=system, participant_id=p.pk, code=_wrong(code))
        assert "code" in err.value.fields
        # The wrong try is kept although an error was raised.
        assert PhoneVerification.objects.get(participant=p).attempts == n
    assert err.value.code == "code_locked"
    with pytest.raises(ValidationFailed) as err:
        services.verification_check(actor=system, participant_id=p.pk, code=code)
    assert err.value.code == "code_locked"
    p.refresh_from_db()
    assert p.phone_verified_at is None


def test_code_expires_after_fifteen_minutes(system: Actor, register: Any) -> None:
    p = register()
    with clock.frozen(T0):
        services.verification_start(actor=system, participant_id=p.pk)
    code = _code_in(Message.objects.get(person=p.person))
    with (
        clock.frozen(T0 + dt.timedelta(minutes=15, seconds=1)),
        pytest.raises(ValidationFailed) as err,
    ):
        services.verification_check(actor=system, participant_id=p.pk, code=code)
    assert err.value.code == "code_expired"
    with clock.frozen(T0 + dt.timedelta(minutes=14)):
        services.verification_check(actor=system, participant_id=p.pk, code=code)


def test_a_new_code_replaces_the_old_one(system: Actor, register: Any) -> None:
    p = register()
    with clock.frozen(T0):
        services.verification_start(actor=system, participant_id=p.pk)
    with clock.frozen(T0 + dt.timedelta(minutes=1)):
        services.verification_start(actor=system, participant_id=p.pk)
    first, second = Message.objects.filter(person=p.person).order_by("id")
    with clock.frozen(T0 + dt.timedelta(minutes=2)):
        if _code_in(first) != _code_in(second):
            with pytest.raises(ValidationFailed):
                services.verification_check(actor=system, participant_id=p.pk, code=_code_in(first))
        services.verification_check(actor=system, participant_id=p.pk, code=_code_in(second))


def test_at_most_three_codes_an_hour(system: Actor, register: Any) -> None:
    p = register()
    for minute in range(3):
        with clock.frozen(T0 + dt.timedelta(minutes=minute * 10)):
            services.verification_start(actor=system, participant_id=p.pk)
    with (
        clock.frozen(T0 + dt.timedelta(minutes=30)),
        translation.override("en"),
        pytest.raises(verification.TooManyCodes) as err,
    ):
        services.verification_start(actor=system, participant_id=p.pk)
    assert err.value.status == 429
    assert "30 minutes" in str(err.value.detail)
    assert PhoneVerification.objects.filter(participant=p).count() == 3
    with clock.frozen(T0 + dt.timedelta(minutes=61)):
        services.verification_start(actor=system, participant_id=p.pk)


def test_phone_change_makes_the_participant_unverified(system: Actor, register: Any) -> None:
    p = register()
    p = services.participant_mark_verified(actor=system, participant_id=p.pk)
    assert selectors.participant_callable(p)
    row = PhoneVerification.objects.get(participant=p)
    assert row.phone == MOBILE and row.verified_at is not None and row.channel == "in_person"
    people_services.person_update(actor=system, person_id=p.person_id, phone="0470 55 12 99")
    p = Participant.objects.get(pk=p.pk)
    assert p.phone_verified_at is not None  # the old number was verified ...
    assert not selectors.participant_callable(p)  # ... but not the current one
    assert not selectors.callable_participants(system.community.pk).exists()
    # Matching leaves them out too.
    services.rules_create_default(actor=system)
    assert services.matching_run(actor=system).participants == 0
    # Verifying the new number makes them callable again.
    services.verification_start(actor=system, participant_id=p.pk)
    code = _code_in(Message.objects.filter(person=p.person).latest("id"))
    assert Message.objects.filter(person=p.person).latest("id").to == "+32470551299"
    p = services.verification_check(actor=system, participant_id=p.pk, code=code)
    assert selectors.participant_callable(p)


def test_a_code_for_the_old_number_does_not_verify_the_new_one(
    system: Actor, register: Any
) -> None:
    p = register()
    services.verification_start(actor=system, participant_id=p.pk)
    code = _code_in(Message.objects.get(person=p.person))
    people_services.person_update(actor=system, person_id=p.person_id, phone="0470 55 12 98")
    with pytest.raises(ValidationFailed) as err:
        services.verification_check(actor=system, participant_id=p.pk, code=code)
    assert err.value.code == "code_expired"


def test_opt_out_is_immediate_and_only_staff_opt_in_again(
    system: Actor, register: Any, make_login: Any
) -> None:
    user = make_login(system.community, "resident")
    person = Person.objects.get(user=user)
    resident = actor_for_user(user=user, community=system.community)
    assert resident is not None and resident.person_id == person.pk
    people_services.person_update(actor=system, person_id=person.pk, phone=MOBILE)
    p = services.participant_register(
        actor=resident, person_id=person.pk, consent=True, **profile()
    )
    p = services.participant_mark_verified(actor=system, participant_id=p.pk)
    assert selectors.participant_callable(p)
    p = services.participant_opt_out(actor=resident, participant_id=p.pk)
    assert not selectors.participant_callable(p)
    assert not selectors.callable_participants(system.community.pk).exists()
    with pytest.raises(Exception) as refused:
        services.verification_start(actor=resident, participant_id=p.pk)
    assert getattr(refused.value, "code", "") == "opted_out"
    with pytest.raises(PermissionDenied):
        services.participant_opt_in(actor=resident, participant_id=p.pk)
    assert Participant.objects.get(pk=p.pk).opted_out_at is not None
    p = services.participant_opt_in(actor=system, participant_id=p.pk)
    assert p.opted_out_at is None and selectors.participant_callable(p)
    assert AuditEvent.objects.filter(verb="neighbours.opted_in").count() == 1


def test_resident_verifies_their_own_number_but_not_someone_elses(
    system: Actor, register: Any, make_login: Any
) -> None:
    other = register(phone="+32470551202")
    user = make_login(system.community, "resident")
    person = Person.objects.get(user=user)
    people_services.person_update(actor=system, person_id=person.pk, phone=MOBILE)
    resident = actor_for_user(user=user, community=system.community)
    assert resident is not None
    own = services.participant_register(
        actor=resident, person_id=person.pk, consent=True, **profile()
    )
    services.verification_start(actor=resident, participant_id=own.pk)
    code = _code_in(Message.objects.get(person_id=person.pk))
    assert services.verification_check(actor=resident, participant_id=own.pk, code=code)
    with pytest.raises(PermissionDenied):
        services.verification_start(actor=resident, participant_id=other.pk)
    with pytest.raises(PermissionDenied):
        services.verification_check(actor=resident, participant_id=other.pk, code="123456")
    with pytest.raises(PermissionDenied):
        services.participant_mark_verified(actor=resident, participant_id=other.pk)


def test_other_community_cannot_touch_verification(
    system: Actor, other_system: Actor, register: Any
) -> None:
    p = register()
    with pytest.raises(NotFound):
        services.verification_start(actor=other_system, participant_id=p.pk)
    with pytest.raises(NotFound):
        services.verification_check(actor=other_system, participant_id=p.pk, code="123456")
    with pytest.raises(NotFound):
        services.participant_opt_in(actor=other_system, participant_id=p.pk)
    assert not PhoneVerification.objects.exists()


def test_invalid_number_is_refused_at_registration(system: Actor) -> None:
    person = Person.objects.create(community=system.community, first_name="Jan", phone="+32 99")
    with pytest.raises(ValidationFailed) as err:
        services.participant_register(actor=system, person_id=person.pk, consent=True, **profile())
    assert "phone" in err.value.fields


# --- landlines: a call reads the code (end to end over HTTP with the simulator) ---------------


@pytest.fixture
def sim_live(live_server: Any, settings: Any) -> str:
    settings.PUBLIC_URL = live_server.url
    return str(live_server.url)


def _said(call: Call) -> str:
    return " ".join(
        CallEvent.objects.filter(call=call, kind="voice")
        .order_by("id")
        .values_list("response", flat=True)
    )


def test_landline_gets_a_call_that_reads_the_code(
    sim_live: str, system: Actor, register: Any
) -> None:
    p = register(phone=LANDLINE, language="en")
    simulator.RESIDENTS[LANDLINE] = Script(keys=("1", ""))  # hears it again, then silent
    v = services.verification_start(actor=system, participant_id=p.pk)
    assert v.channel == "call"
    assert not Message.objects.filter(person=p.person).exists()
    call = Call.objects.get(pk=v.call_id)
    assert call.purpose == "buurbel.verify"
    assert call.subject_type == "neighbours.phoneverification" and call.subject_id == v.pk
    assert call.status == CallStatus.COMPLETED and call.language == "en"
    steps = list(
        CallEvent.objects.filter(call=call, kind="voice")
        .order_by("id")
        .values_list("step", flat=True)
    )
    assert steps == ["start", "again", "bye"]
    said = _said(call)
    code = verification._code_of(v)
    spoken = ", ".join(code)
    # Read digit by digit, twice per turn, in English; again after pressing 1; then goodbye.
    assert said.count(spoken) == 4
    assert "press 1" in said and "Goodbye" in said
    assert code not in v.code_hash
    p = services.verification_check(actor=system, participant_id=p.pk, code=code)
    assert selectors.participant_callable(p)


def test_the_call_reads_in_the_participants_language(
    sim_live: str, system: Actor, register: Any
) -> None:
    p = register(phone=LANDLINE, language="nl")
    simulator.RESIDENTS[LANDLINE] = Script(keys=("",))
    v = services.verification_start(actor=system, participant_id=p.pk)
    call = Call.objects.get(pk=v.call_id)
    assert call.language == "nl"
    assert 'language="nl' in _said(call)


def test_a_replaced_code_is_not_read_out(sim_live: str, system: Actor, register: Any) -> None:
    p = register(phone=LANDLINE, language="en")
    simulator.RESIDENTS[LANDLINE] = Script(answer="no-answer")
    old = services.verification_start(actor=system, participant_id=p.pk)
    services.verification_start(actor=system, participant_id=p.pk)
    old.refresh_from_db()
    call = Call.objects.get(pk=old.call_id)
    verbs = verification.verify_flow(call, "start", "", "human")
    assert call.flow_state["outcome"] == "expired"
    assert verification._code_of(old) not in str(verbs)


def test_anonymising_drops_the_verified_numbers(system: Actor, register: Any) -> None:
    p = register()
    services.verification_start(actor=system, participant_id=p.pk)
    services.participant_mark_verified(actor=system, participant_id=p.pk)
    people_services.person_anonymise(actor=system, person_id=p.person_id)
    phones = set(PhoneVerification.objects.filter(participant=p).values_list("phone", flat=True))
    assert phones == {""}
    assert not selectors.participant_callable(Participant.objects.get(pk=p.pk))
