"""The demo's referrals: two partners with requests in every state, once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from buurtkit.core.actor import Actor
from buurtkit.lending import demo_referrals
from buurtkit.lending.models import Referral, ReferralCap
from buurtkit.people import services as people_services

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_the_demo_has_two_partners_with_requests_in_every_state(system: Actor) -> None:
    people_services.organisation_create(
        actor=system, name="OCMW Gent", slug="ocmw-rabot", kind="social_welfare"
    )
    result = demo_referrals.load(system.community, now=NOW)
    states = set(Referral.objects.values_list("state", flat=True))
    assert {"waiting", "approved", "matched", "refused", "cancelled"} <= states
    assert Referral.objects.values("organisation").distinct().count() == 2
    assert ReferralCap.objects.count() == 3
    assert [login[1] for login in result["logins"]] == ["ocmw", "caw"]
    count = Referral.objects.count()
    demo_referrals.load(system.community, now=NOW)  # a second run adds nothing
    assert Referral.objects.count() == count


def test_the_demo_invites_when_there_is_a_place(system: Actor) -> None:
    from buurtkit.places import services as places_services

    people_services.organisation_create(
        actor=system, name="OCMW Gent", slug="ocmw-rabot", kind="social_welfare"
    )
    places_services.place_create(actor=system, name="Bibliotheek De Krook", kind="library_store")
    demo_referrals.load(system.community, now=datetime.now(UTC))
    invited = Referral.objects.filter(state="invited")
    assert invited.count() == 2
    assert set(invited.values_list("invited_via", flat=True)) == {"referrer"}
