"""A household with only a landline (no mobile, no e-mail) that may be phoned is invited to
pick up its device by an automated call, end to end through the simulator and the signed
webhooks: the place and time are read twice in the person's language. A call nobody hears
hands the invitation back to the partner; without consent the partner tells them at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from buurtkit.core.actor import Actor
from buurtkit.lending import services
from buurtkit.lending.models import Referral
from buurtkit.messaging.models import Message
from buurtkit.people import services as people_services
from buurtkit.places import services as places_services
from buurtkit.telephony import simulator
from buurtkit.telephony.models import Call, CallEvent, CallStatus
from buurtkit.telephony.simulator import SCRIPTS, Script

EVIDENCE = {"method": "purge", "tool": "nwipe", "operator": "Sofie", "wiped_on": "2026-12-01"}
PICKUP = datetime(2030, 3, 14, 13, 30, tzinfo=UTC)  # 14:30 in Brussels


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
def sim_live(live_server: Any, settings: Any) -> str:
    settings.PUBLIC_URL = live_server.url
    return str(live_server.url)


def _world(system: Actor, number: str, **resident: Any) -> tuple[Referral, int]:
    org = people_services.organisation_create(
        actor=system, name="OCMW", slug=f"ocmw-{number[-4:]}", kind="social_welfare"
    )
    donation = services.donation_receive(
        actor=system,
        received_on=date(2026, 12, 1),
        donor_name="Barco",
        devices=[{"kind": "laptop"}],
    )
    device = donation.devices.get()
    services.device_record_event(actor=system, device_id=device.pk, kind="wiped", evidence=EVIDENCE)
    for kind in ("checked", "available"):
        services.device_record_event(actor=system, device_id=device.pk, kind=kind)
    referral = services.referral_file(
        actor=system,
        organisation_id=org.pk,
        kind="laptop",
        purpose="Homework",
        eligibility="pupil",
        client_ref=f"K-{number[-4:]}",
        wished="loan",
        resident={"first_name": "Germaine", "phone": number, **resident},
    )
    place = places_services.place_create(
        actor=system, name="Bibliothèque Rabot", kind="library_store", street="Rabotstraat 1",
        postcode="9000",
    )  # fmt: skip
    return referral, place.pk


def _said(call: Call) -> str:
    return " ".join(
        CallEvent.objects.filter(call=call, kind="voice")
        .order_by("id")
        .values_list("response", flat=True)
    )


def test_a_landline_household_is_invited_by_a_call_read_twice_in_its_language(
    sim_live: str, system: Actor
) -> None:
    number = "+3292345681"
    referral, place_id = _world(system, number, language="fr", contact_phone=True)
    simulator.RESIDENTS[number] = Script()  # answers and listens
    invited = services.referral_invite(
        actor=system, referral_id=referral.pk, place_id=place_id, pickup_at=PICKUP
    )
    assert invited.invited_via == "call"
    assert not Message.objects.filter(person=referral.person).exists()
    call = Call.objects.get(purpose="lending.invitation")
    assert (call.subject_type, call.subject_id) == ("lending.referral", referral.pk)
    assert call.to_number == number and call.language == "fr"
    assert call.status == CallStatus.COMPLETED
    said = _said(call)
    assert said.count("Bibliothèque Rabot, Rabotstraat 1 9000") == 2  # place, twice
    assert said.count("14:30") == 2  # time (Brussels), twice
    assert said.count("jeudi 14 mars") == 2  # day, in French
    assert 'language="fr' in said
    referral.refresh_from_db()
    assert referral.invited_via == "call"  # heard: nothing for the partner to do

    # The same invitation again (a second click) places no second call.
    services.referral_invite(
        actor=system, referral_id=referral.pk, place_id=place_id, pickup_at=PICKUP
    )
    assert Call.objects.filter(purpose="lending.invitation").count() == 1


def test_an_unanswered_call_hands_the_invitation_back_to_the_partner(
    sim_live: str, system: Actor
) -> None:
    number = "+3292345682"
    referral, place_id = _world(system, number, contact_phone=True)
    simulator.RESIDENTS[number] = SCRIPTS["no-answer"]
    invited = services.referral_invite(
        actor=system, referral_id=referral.pk, place_id=place_id, pickup_at=PICKUP
    )
    assert invited.invited_via == "call"
    call = Call.objects.get(purpose="lending.invitation")
    assert call.status == CallStatus.NO_ANSWER
    referral.refresh_from_db()
    assert referral.invited_via == "referrer"  # the partner's list says "tell the household"


def test_without_consent_to_be_phoned_no_call_is_placed(sim_live: str, system: Actor) -> None:
    number = "+3292345683"
    referral, place_id = _world(system, number)  # a landline, no consent to be phoned
    invited = services.referral_invite(
        actor=system, referral_id=referral.pk, place_id=place_id, pickup_at=PICKUP
    )
    assert invited.invited_via == "referrer"
    assert not Call.objects.filter(purpose="lending.invitation").exists()


def test_a_mobile_with_consent_still_gets_a_text_message(sim_live: str, system: Actor) -> None:
    number = "+32470345684"
    referral, place_id = _world(system, number, contact_sms=True, contact_phone=True)
    invited = services.referral_invite(
        actor=system, referral_id=referral.pk, place_id=place_id, pickup_at=PICKUP
    )
    assert invited.invited_via == "sms"
    assert not Call.objects.filter(purpose="lending.invitation").exists()
