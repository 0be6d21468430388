"""Payment requests: a shop asks for an amount, the payer accepts it exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from buurtkit.audit.models import AuditEvent
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.ledger import selectors, services
from buurtkit.ledger.models import PaymentPin, PaymentRequest, Transfer
from tests.ledger.conftest import Circle, key, make_circle, refresh

PIN = "4826"


def shopkeeper(circle: Circle) -> Actor:
    """A merchant login of the shop (a membership of the shop's organisation)."""
    return Actor(
        community=circle.actor.community,
        label="bakker",
        roles=frozenset({"merchant"}),
        organisation_ids=frozenset({circle.merchant.organisation_id}),
    )


def resident(circle: Circle, account: Any) -> Actor:
    return Actor(community=circle.actor.community, label="bewoner", person_id=account.person_id)


def with_pin(circle: Circle, account: Any) -> Actor:
    services.pin_set(
        actor=circle.actor, person_id=account.person_id, pin=PIN, identity_checked=True
    )
    return resident(circle, account)


def ask(circle: Circle, amount: Any = 25, **kwargs: Any) -> PaymentRequest:
    kwargs.setdefault("idempotency_key", key())
    return services.payment_request_create(
        actor=shopkeeper(circle), payee_account_id=circle.merchant.pk, amount=amount, **kwargs
    )


def transfers() -> int:
    return Transfer.objects.count()


# --- create ----------------------------------------------------------------------------------


def test_shopkeeper_asks_with_a_random_token_valid_for_a_day(circle: Circle) -> None:
    request = ask(circle, "12", description="Brood")
    assert request.amount == 12
    assert request.status == "open"
    assert request.description == "Brood"
    assert len(request.token) >= 30
    assert ask(circle).token != request.token
    assert timedelta(hours=23, minutes=59) < request.expires_at - request.created_at
    assert request.expires_at - request.created_at <= timedelta(hours=24)
    assert AuditEvent.objects.filter(verb="ledger.payment_request_created").count() == 2


def test_create_is_idempotent(circle: Circle) -> None:
    first = ask(circle, 25, idempotency_key="k1")
    again = ask(circle, 25, idempotency_key="k1")
    assert again.pk == first.pk
    assert getattr(again, "replayed", False)
    with pytest.raises(Conflict) as err:
        ask(circle, 26, idempotency_key="k1")
    assert err.value.code == "idempotency_conflict"
    assert PaymentRequest.objects.count() == 1


@pytest.mark.parametrize("amount", ["0", "-3", "2.5", "abc", 0])
def test_bad_amounts_are_refused(circle: Circle, amount: Any) -> None:
    with pytest.raises(ValidationFailed):
        ask(circle, amount)
    assert not PaymentRequest.objects.exists()


def test_who_may_ask(circle: Circle) -> None:
    # A resident asks for their own account; not for the shop's or someone else's.
    alice = resident(circle, circle.alice)
    own = services.payment_request_create(
        actor=alice, payee_account_id=circle.alice.pk, amount=5, idempotency_key=key()
    )
    assert own.payee_id == circle.alice.pk
    for account in (circle.merchant, circle.bob):
        with pytest.raises(PermissionDenied):
            services.payment_request_create(
                actor=alice, payee_account_id=account.pk, amount=5, idempotency_key=key()
            )
    # Someone of another organisation may not ask for the shop.
    other = Actor(
        community=circle.actor.community,
        label="x",
        organisation_ids=frozenset({circle.issuer.organisation_id}),
    )
    with pytest.raises(PermissionDenied):
        services.payment_request_create(
            actor=other, payee_account_id=circle.merchant.pk, amount=5, idempotency_key=key()
        )
    # Nobody asks money for a system account.
    with pytest.raises(ValidationFailed):
        services.payment_request_create(
            actor=circle.actor, payee_account_id=circle.paper.pk, amount=5, idempotency_key=key()
        )
    assert PaymentRequest.objects.count() == 1


# --- pay -------------------------------------------------------------------------------------


def test_resident_pays_once_with_the_pin(circle: Circle) -> None:
    alice = with_pin(circle, circle.alice)
    request = ask(circle, 25, description="Brood")
    paid = services.payment_request_pay(
        actor=alice, token=request.token, pin=PIN, idempotency_key="p1"
    )
    assert paid.status == "paid"
    transfer = paid.transfer
    assert transfer is not None
    assert (transfer.debit_id, transfer.credit_id, transfer.amount) == (
        circle.alice.pk,
        circle.merchant.pk,
        25,
    )
    assert transfer.description == "Brood"
    refresh(circle.alice, circle.merchant)
    assert (circle.alice.balance, circle.merchant.balance) == (475, 25)
    # The same click again (same key): the first result, nothing new.
    again = services.payment_request_pay(
        actor=alice, token=request.token, pin=PIN, idempotency_key="p1"
    )
    assert again.transfer_id == transfer.pk
    assert Transfer.objects.filter(credit=circle.merchant).count() == 1


def test_a_second_payment_is_refused_and_writes_nothing(circle: Circle) -> None:
    alice = with_pin(circle, circle.alice)
    bob = with_pin(circle, circle.bob)
    services.transfer_create(
        actor=circle.actor,
        debit_account_id=circle.alice.pk,
        credit_account_id=circle.bob.pk,
        amount=100,
        idempotency_key=key(),
    )
    request = ask(circle, 25)
    services.payment_request_pay(actor=alice, token=request.token, pin=PIN, idempotency_key=key())
    before, events = transfers(), AuditEvent.objects.count()
    for actor in (alice, bob):
        with pytest.raises(Conflict) as err:
            services.payment_request_pay(
                actor=actor, token=request.token, pin=PIN, idempotency_key=key()
            )
        assert err.value.code == "already_paid"
    assert (transfers(), AuditEvent.objects.count()) == (before, events)
    refresh(circle.bob)
    assert circle.bob.balance == 100


def test_wrong_pin_pays_nothing_and_counts(circle: Circle) -> None:
    alice = with_pin(circle, circle.alice)
    request = ask(circle, 25)
    before = transfers()
    with pytest.raises(ValidationFailed) as err:
        services.payment_request_pay(
            actor=alice, token=request.token, pin="9999", idempotency_key=key()
        )
    assert err.value.code == "pin_wrong"
    assert transfers() == before
    assert PaymentPin.objects.get(person_id=circle.alice.person_id).failed_attempts == 1
    request.refresh_from_db()
    assert request.status == "open"
    with pytest.raises(ValidationFailed) as err:
        services.payment_request_pay(actor=alice, token=request.token, idempotency_key=key())
    assert "pin" in err.value.fields


def test_expired_request_is_refused(circle: Circle) -> None:
    alice = with_pin(circle, circle.alice)
    request = ask(circle, 25)
    before = transfers()
    with clock.frozen(request.expires_at + timedelta(seconds=1)):
        assert request.status_at(clock.now()) == "expired"
        with pytest.raises(Conflict) as err:
            services.payment_request_pay(
                actor=alice, token=request.token, pin=PIN, idempotency_key=key()
            )
    assert err.value.code == "expired"
    assert "expired" in str(err.value.detail)
    assert transfers() == before
    # No wrong-PIN bookkeeping and no write on the request.
    request.refresh_from_db()
    assert request.status == "open"


def test_cancelled_request_is_refused(circle: Circle) -> None:
    alice = with_pin(circle, circle.alice)
    request = ask(circle, 25)
    cancelled = services.payment_request_cancel(actor=shopkeeper(circle), token=request.token)
    assert cancelled.status == "cancelled"
    # Twice is harmless.
    services.payment_request_cancel(actor=shopkeeper(circle), token=request.token)
    before = transfers()
    with pytest.raises(Conflict) as err:
        services.payment_request_pay(
            actor=alice, token=request.token, pin=PIN, idempotency_key=key()
        )
    assert err.value.code == "cancelled"
    assert transfers() == before


def test_paid_request_cannot_be_cancelled_and_payer_cannot_cancel(circle: Circle) -> None:
    alice = with_pin(circle, circle.alice)
    request = ask(circle, 25)
    with pytest.raises(PermissionDenied):
        services.payment_request_cancel(actor=alice, token=request.token)
    services.payment_request_pay(actor=alice, token=request.token, pin=PIN, idempotency_key=key())
    with pytest.raises(Conflict):
        services.payment_request_cancel(actor=shopkeeper(circle), token=request.token)


def test_another_communitys_token_is_not_found(system: Actor, other_system: Actor) -> None:
    here = make_circle(system)
    there = make_circle(other_system)
    request = ask(there, 25)
    alice = with_pin(here, here.alice)
    with pytest.raises(NotFound):
        services.payment_request_pay(
            actor=alice, token=request.token, pin=PIN, idempotency_key=key()
        )
    with pytest.raises(NotFound):
        selectors.payment_request_get(actor=alice, token=request.token)
    with pytest.raises(NotFound):
        services.payment_request_cancel(actor=here.actor, token=request.token)
    request.refresh_from_db()
    assert request.status == "open"


def test_counter_clerk_pays_a_request_on_behalf_without_pin(circle: Circle) -> None:
    from buurtkit.core.permissions import permissions_for_roles

    clerk = Actor(
        community=circle.actor.community,
        label="loket",
        roles=frozenset({"counter_clerk"}),
        permissions=permissions_for_roles({"counter_clerk"}),
    ).acting_for(circle.alice.person_id, channel="web")
    request = ask(circle, 25)
    paid = services.payment_request_pay(actor=clerk, token=request.token, idempotency_key=key())
    assert paid.transfer is not None
    assert paid.transfer.on_behalf_of_id == circle.alice.person_id
    assert paid.transfer.channel == "counter"


def test_someone_elses_account_cannot_pay(circle: Circle) -> None:
    bob = with_pin(circle, circle.bob)
    request = ask(circle, 25)
    with pytest.raises(PermissionDenied):
        services.payment_request_pay(
            actor=bob,
            token=request.token,
            pin=PIN,
            idempotency_key=key(),
            debit_account_id=circle.alice.pk,
        )
    request.refresh_from_db()
    assert request.status == "open"


def test_visibility_of_requests(circle: Circle) -> None:
    request = ask(circle, 25)
    own = resident(circle, circle.alice)
    assert list(selectors.payment_requests_visible(actor=shopkeeper(circle))) == [request]
    assert list(selectors.payment_requests_visible(actor=own)) == []
    assert [a.pk for a in selectors.request_payee_accounts(actor=shopkeeper(circle))] == [
        circle.merchant.pk
    ]
    assert [a.pk for a in selectors.request_payee_accounts(actor=own)] == [circle.alice.pk]
