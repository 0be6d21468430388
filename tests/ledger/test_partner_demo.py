"""The demo's partner login (issue 16): ``school`` issues from the school's budget only, and a
large reward they asked for waits for someone else (the coordinator approves it). Built on a
tiny world, not the demo neighbourhood (the demo itself is tested elsewhere)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from buurtkit.core.actor import Actor
from buurtkit.core.demo import DEMO_LOGINS, DEMO_PASSWORD
from buurtkit.core.errors import PermissionDenied
from buurtkit.core.models import Community
from buurtkit.core.permissions import permissions_for_roles
from buurtkit.core.services import community_create
from buurtkit.ledger import demo, services
from buurtkit.ledger.models import Account, PendingReward, PendingRewardStatus
from buurtkit.ledger.selectors import local_today
from buurtkit.people.selectors import actor_for_user
from buurtkit.people.services import organisation_create, person_create

pytestmark = pytest.mark.django_db


def _world() -> tuple[Community, Account, Account]:
    community = community_create(name="Rabot", slug="rabot", enabled_modules=["ledger"])
    system = Actor.system(community, label="test")
    currency = services.currency_create(actor=system, code="TOR", names={})
    issuance = Account.objects.get(currency=currency, system_role="issuance")
    accounts = {}
    for slug, kind in (("school-wonderwijzer", "school"), ("buurtwerk-rabot", "association")):
        org = organisation_create(actor=system, name=slug, slug=slug, kind=kind)
        account = services.account_open(actor=system, kind="organisation", organisation_id=org.pk)
        services.transfer_create(
            actor=system,
            debit_account_id=issuance.pk,
            credit_account_id=account.pk,
            amount=5000,
            kind="issue",
            idempotency_key=uuid.uuid4().hex,
        )
        services.budget_create(
            actor=system,
            account_id=account.pk,
            starts_on=local_today() - timedelta(days=1),
            ends_on=local_today() + timedelta(days=30),
            amount=4000,
        )
        accounts[slug] = account
    person = person_create(actor=system, first_name="Lien")
    services.account_open(actor=system, kind="resident", person_id=person.pk)
    return community, accounts["school-wonderwijzer"], accounts["buurtwerk-rabot"]


@pytest.mark.engine_independent  # demo data and permissions: nothing about the engine
def test_the_partner_login_issues_from_its_own_budget_and_waits_for_a_second_person() -> None:
    community, school, other = _world()
    assert demo.partner_issuer(community) == [("trusted_volunteer", "school", DEMO_PASSWORD)]
    assert ("trusted_volunteer", "school") in DEMO_LOGINS  # printed with the other logins
    user = get_user_model().objects.get(username="school")
    assert user.check_password(DEMO_PASSWORD)
    partner = actor_for_user(user=user, community=community)
    assert partner is not None and partner.has("ledger.issue")
    assert not partner.has("ledger.manage")
    # The school's budget only (the issuing pages and services ask this).
    assert services.may_issue_from(partner, school)
    assert not services.may_issue_from(partner, other)
    # A large reward asked for by the partner waits; they cannot approve it themselves.
    pending = PendingReward.objects.get(community=community)
    assert pending.issuer_id == school.pk and pending.created_by_user_id == user.pk
    with pytest.raises(PermissionDenied):
        services.pending_reward_approve(actor=partner, pending_id=pending.pk)
    coordinator = Actor(
        community=community,
        label="Coordinator",
        user_id=user.pk + 1000,
        roles=frozenset({"coordinator"}),
        permissions=permissions_for_roles({"coordinator"}, community.enabled_modules),
    )
    approved = services.pending_reward_approve(actor=coordinator, pending_id=pending.pk)
    assert approved.status == PendingRewardStatus.APPROVED
    # Loading the demo again adds nothing.
    assert demo.partner_issuer(community) == [("trusted_volunteer", "school", DEMO_PASSWORD)]
    assert PendingReward.objects.filter(community=community).count() == 1
