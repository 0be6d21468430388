"""The demo's hand-overs follow the partners' referrals and happen at the demo's places, so
the overview's "per partner" and "per municipality" have figures."""
# The test world's OCMW is called "OCMW Gent" (slug ocmw-rabot, as in the people demo).

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.lending import demo_handovers, demo_referrals, selectors
from buurtkit.lending.models import HandOver, Referral
from buurtkit.people import services as people_services
from buurtkit.places import services as places_services
from tests.lending.handover_kit import ready_devices

pytestmark = pytest.mark.django_db


def test_demo_handovers_are_referred_by_partners_at_places(system: Actor) -> None:
    now = datetime.now(UTC)
    people_services.organisation_create(
        actor=system, name="OCMW Gent", slug="ocmw-rabot", kind="social_welfare"
    )
    store = places_services.place_create(actor=system, name="Depot", kind="library_store")
    digipunt = places_services.place_create(actor=system, name="Digipunt", kind="digipunt")
    demo_referrals.load(system.community, now=now, available_device_ids=[])
    devices = [d.pk for d in ready_devices(system, 12)]
    with clock.frozen(now):
        made = demo_handovers.load(system.community, now=now, device_ids=devices)
    handovers = HandOver.objects.filter(pk__in=made["handovers"])
    assert handovers.count() == len(demo_handovers.PLAN)
    referred = handovers.filter(referral__isnull=False)
    assert referred.count() == sum(1 for row in demo_handovers.PLAN if row[5])
    # The CAW's monthly limit is used up by the referral demo's requests: the OCMW referred.
    assert set(referred.values_list("organisation__slug", flat=True)) <= {"ocmw-rabot", "caw-gent"}
    referral_ids = referred.values_list("referral_id", flat=True)
    states = set(Referral.objects.filter(pk__in=referral_ids).values_list("state", flat=True))
    assert states == {"handed_over"}
    assert set(handovers.values_list("place_id", flat=True)) == {store.pk, digipunt.pk}
    with clock.frozen(now):
        partners = selectors.lending_overview(actor=system)["handovers"]
    per_partner = {row["partner"]: row["total"] for row in partners["per_partner"]}
    assert per_partner["OCMW Gent"] == referred.count()  # not all "without referral"
