"""``buurtkit ledger_demo``: make sure the demo resident can try paying with one phone.

Small and idempotent, on top of whatever the demo already has: the community gets a currency if
it has none, a shop gets a merchant account, the demo resident gets an account with some
torekes and a payment PIN (only if they have none yet). Prints what it made, one per line:
``merchant <number> <name>`` and ``resident <username> <number> <pin>``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.ledger import services
from buurtkit.ledger.models import Account, AccountKind, Currency, PaymentPin, SystemRole
from buurtkit.people.models import Organisation, OrganisationKind, Person

MIN_BALANCE = 100


class Command(BaseCommand):
    help = "Give the demo resident an account, torekes and a payment PIN (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--community", default="rabot")
        parser.add_argument("--username", default="bewoner")
        parser.add_argument("--pin", default="2468")

    def handle(self, *args: Any, **opts: Any) -> None:
        community = Community.objects.filter(slug=opts["community"]).first()
        if community is None:
            raise CommandError(f"There is no community {opts['community']!r}; run the demo first.")
        person = Person.objects.filter(community=community, user__username=opts["username"]).first()
        if person is None:
            raise CommandError(f"No resident with the login {opts['username']!r} there.")
        system = Actor.system(community, label="ledger_demo")
        with transaction.atomic():
            merchant, resident = self._prepare(system, community, person)
        if not PaymentPin.objects.filter(person=person).exists():
            services.pin_set(
                actor=system, person_id=person.pk, pin=opts["pin"], identity_checked=True
            )
            pin = opts["pin"]
        else:
            pin = "(unchanged)"
        self.stdout.write(f"merchant {merchant.number} {merchant.name}")
        self.stdout.write(f"resident {opts['username']} {resident.number} {pin}")

    def _prepare(
        self, system: Actor, community: Community, person: Person
    ) -> tuple[Account, Account]:
        currency = Currency.objects.filter(community=community).first()
        if currency is None:
            currency = services.currency_create(
                actor=system,
                code="TOR",
                names={
                    lang: {"singular": "toreke", "plural": "torekes"} for lang in ("nl", "fr", "en")
                },
                denominations=[1, 5, 10, 20],
            )
        merchant = (
            Account.objects.filter(currency=currency, kind=AccountKind.MERCHANT, frozen=False)
            .order_by("pk")
            .first()
        )
        if merchant is None:
            shop = (
                Organisation.objects.filter(community=community, kind=OrganisationKind.MERCHANT)
                .order_by("pk")
                .first()
            ) or _organisation(system, "Bakkerij 't Torentje", "bakkerij-torentje", "merchant")
            merchant = services.account_open(
                actor=system, kind=AccountKind.MERCHANT, organisation_id=shop.pk
            )
        resident = (
            Account.objects.filter(currency=currency, kind=AccountKind.RESIDENT, person=person)
            .order_by("pk")
            .first()
        ) or services.account_open(actor=system, kind=AccountKind.RESIDENT, person_id=person.pk)
        if resident.balance < MIN_BALANCE:
            self._top_up(system, currency, resident, MIN_BALANCE - resident.balance)
        return merchant, resident

    def _top_up(self, system: Actor, currency: Currency, resident: Account, amount: int) -> None:
        """Issue to an organisation, which rewards the resident: the way torekes are earned."""
        issuer = (
            Account.objects.filter(currency=currency, kind=AccountKind.ORGANISATION)
            .order_by("pk")
            .first()
        )
        if issuer is None:
            org = _organisation(system, "Buurtwerk Rabot", "buurtwerk-demo", "association")
            issuer = services.account_open(
                actor=system, kind=AccountKind.ORGANISATION, organisation_id=org.pk
            )
        issuance = Account.objects.get(currency=currency, system_role=SystemRole.ISSUANCE)
        services.transfer_create(
            actor=system,
            debit_account_id=issuance.pk,
            credit_account_id=issuer.pk,
            amount=amount,
            kind="issue",
            idempotency_key=f"ledger-demo-issue-{uuid.uuid4().hex}",
        )
        services.transfer_create(
            actor=system,
            debit_account_id=issuer.pk,
            credit_account_id=resident.pk,
            amount=amount,
            kind="reward",
            description="Tuinieren in de buurtmoestuin",
            idempotency_key=f"ledger-demo-reward-{uuid.uuid4().hex}",
        )


def _organisation(system: Actor, name: str, slug: str, kind: str) -> Organisation:
    from buurtkit.people.services import organisation_create

    existing = Organisation.objects.filter(community=system.community, slug=slug).first()
    return existing or organisation_create(actor=system, name=name, slug=slug, kind=kind)
