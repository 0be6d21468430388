"""Fixtures for the currency: a circle with a resident, a merchant, an issuer and money."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from buurtkit.core.actor import Actor
from buurtkit.ledger import services
from buurtkit.ledger.models import Account, Currency
from buurtkit.people.services import organisation_create, person_create


def key() -> str:
    return uuid.uuid4().hex


@dataclass
class Circle:
    actor: Actor
    currency: Currency
    issuer: Account
    merchant: Account
    alice: Account
    bob: Account
    issuance: Account
    paper: Account
    redemption: Account


def make_circle(system: Actor, *, funds: int = 1000) -> Circle:
    currency = services.currency_create(
        actor=system,
        code="TOR",
        names={"nl": {"singular": "toreke", "plural": "torekes"}},
        denominations=[1, 5, 10, 20],
    )
    shop = organisation_create(actor=system, name="Bakkerij", slug="bakkerij", kind="merchant")
    club = organisation_create(actor=system, name="Buurtwerk", slug="buurtwerk", kind="association")
    alice = person_create(actor=system, first_name="Alice")
    bob = person_create(actor=system, first_name="Bob")
    accounts = {a.system_role: a for a in Account.objects.filter(currency=currency, kind="system")}
    circle = Circle(
        actor=system,
        currency=currency,
        issuer=services.account_open(actor=system, kind="organisation", organisation_id=club.pk),
        merchant=services.account_open(actor=system, kind="merchant", organisation_id=shop.pk),
        alice=services.account_open(actor=system, kind="resident", person_id=alice.pk),
        bob=services.account_open(actor=system, kind="resident", person_id=bob.pk),
        issuance=accounts["issuance"],
        paper=accounts["paper"],
        redemption=accounts["redemption"],
    )
    if funds:
        services.transfer_create(
            actor=system,
            debit_account_id=circle.issuance.pk,
            credit_account_id=circle.issuer.pk,
            amount=funds,
            kind="issue",
            idempotency_key=key(),
        )
        services.transfer_create(
            actor=system,
            debit_account_id=circle.issuer.pk,
            credit_account_id=circle.alice.pk,
            amount=funds // 2,
            kind="reward",
            idempotency_key=key(),
        )
    return circle


@pytest.fixture
def circle(system: Actor) -> Circle:
    return make_circle(system)


def refresh(*accounts: Any) -> None:
    for account in accounts:
        account.refresh_from_db()
