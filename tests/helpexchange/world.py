"""A help exchange world: a currency circle, an issuing organisation with money and a budget,
residents, and actors for each side (made through the services)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.core.permissions import permissions_for_roles
from buurtkit.ledger import services as ledger
from buurtkit.ledger.models import Account, Currency
from buurtkit.ledger.selectors import local_today
from buurtkit.people.models import Organisation, Person
from buurtkit.people.services import organisation_create, person_create


@dataclass
class World:
    community: Community
    system: Actor
    currency: Currency
    org: Organisation
    issuer: Account
    anna: Person  # asks for help
    bram: Person  # helps
    cas: Person  # someone else

    def resident(self, person: Person) -> Actor:
        return Actor(
            community=self.community,
            label=person.first_name,
            person_id=person.pk,
            roles=frozenset({"resident"}),
            permissions=permissions_for_roles({"resident"}, self.community.enabled_modules),
        )

    def staff(self, *, org: bool = True, role: str = "staff", label: str = "Sofie") -> Actor:
        return Actor(
            community=self.community,
            label=label,
            user_id=abs(hash(label)) % 10**6,
            roles=frozenset({role}),
            permissions=permissions_for_roles({role}, self.community.enabled_modules),
            organisation_ids=frozenset({self.org.pk}) if org else frozenset(),
        )


def make_world(community: Community, *, funds: int = 1000, budget: int = 300) -> World:
    system = Actor.system(community, label="test")
    currency = ledger.currency_create(
        actor=system,
        code="TOR",
        names={"nl": {"singular": "toreke", "plural": "torekes"}},
        denominations=[1, 5, 10],
    )
    org = organisation_create(actor=system, name="Buurtwerk", slug="buurtwerk", kind="association")
    issuer = ledger.account_open(actor=system, kind="organisation", organisation_id=org.pk)
    issuance = Account.objects.get(currency=currency, system_role="issuance")
    ledger.transfer_create(
        actor=system,
        debit_account_id=issuance.pk,
        credit_account_id=issuer.pk,
        amount=funds,
        kind="issue",
        idempotency_key=uuid.uuid4().hex,
    )
    today = local_today()
    ledger.budget_create(
        actor=system,
        account_id=issuer.pk,
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=60),
        amount=budget,
    )
    anna = person_create(actor=system, first_name="Anna", last_name="Claes", neighbourhood="Rabot")
    bram = person_create(actor=system, first_name="Bram", last_name="Desmet")
    cas = person_create(actor=system, first_name="Cas", last_name="Evers")
    return World(community, system, currency, org, issuer, anna, bram, cas)


def now_plus(days: int) -> object:
    return clock.now() + timedelta(days=days)
