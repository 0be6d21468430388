"""``selectors.payee_for``: who the pay pages let a resident pay, and why not (issue 19: the rule
lives in the ledger, the view only asks)."""

from __future__ import annotations

import pytest
from django.utils import translation

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.ledger import selectors, services
from buurtkit.ledger.models import Account
from buurtkit.ledger.numbers import damm_digit, format_account_number
from tests.ledger.conftest import Circle, make_circle


def _refused(circle: Circle, number: str) -> str:
    with pytest.raises(ValidationFailed) as exc:
        selectors.payee_for(actor=circle.actor, number=number, payer=circle.alice)
    assert set(exc.value.fields) == {"number"}
    assert exc.value.fields["number"] == str(exc.value.detail)
    return str(exc.value.detail)


def test_payee_for_finds_the_account_as_typed_or_scanned(circle: Circle) -> None:
    for typed in (circle.merchant.number, format_account_number(circle.merchant.number)):
        payee = selectors.payee_for(actor=circle.actor, number=typed, payer=circle.alice)
        assert payee.pk == circle.merchant.pk
    assert selectors.payee_for(actor=circle.actor, number=circle.bob.number, payer=circle.alice)
    assert selectors.payee_for(actor=circle.actor, number=circle.issuer.number, payer=circle.alice)


@translation.override("en")
def test_payee_for_says_why_an_account_cannot_be_paid(circle: Circle, other_system: Actor) -> None:
    body = circle.merchant.number[:8]
    typo = body + str((int(circle.merchant.number[8]) + 1) % 10)
    assert "not right" in _refused(circle, typo)
    assert "not right" in _refused(circle, "")
    unused = next(
        n
        for n in (f"{i:08d}" + str(damm_digit(f"{i:08d}")) for i in range(10_000_000, 10_000_100))
        if not Account.objects.filter(number=n).exists()
    )
    assert "no account with this number" in _refused(circle, unused)
    elsewhere = make_circle(other_system).merchant  # another community's: not found either
    assert "no account with this number" in _refused(circle, elsewhere.number)
    assert "your own account" in _refused(circle, circle.alice.number)
    assert "cannot pay to this account" in _refused(circle, circle.paper.number)
    services.account_set_frozen(actor=circle.actor, account_id=circle.bob.pk, frozen=True)
    assert "blocked" in _refused(circle, circle.bob.number)
