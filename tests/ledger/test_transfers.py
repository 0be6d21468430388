from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.ledger import services
from buurtkit.ledger.models import Transfer, TransferImmutable
from buurtkit.ledger.selectors import invariant_violations, statement_lines
from buurtkit.ledger.services import InsufficientBalance
from tests.ledger.conftest import Circle, key, refresh


def pay(circle: Circle, amount: int, k: str | None = None, **kw: object) -> Transfer:
    return services.transfer_create(
        actor=circle.actor,
        debit_account_id=circle.alice.pk,
        credit_account_id=circle.merchant.pk,
        amount=amount,
        idempotency_key=k or key(),
        **kw,  # type: ignore[arg-type]
    )


def test_payment_moves_money_and_keeps_invariants(circle: Circle) -> None:
    pay(circle, 120)
    refresh(circle.alice, circle.merchant)
    assert (circle.alice.balance, circle.merchant.balance) == (380, 120)
    assert invariant_violations(currency=circle.currency) == []
    line = statement_lines(actor=circle.actor, account_id=circle.alice.pk)[0]
    assert (line.change, line.balance_after) == (-120, 380)


def test_retry_with_same_key_returns_first_transfer(circle: Circle) -> None:
    first = pay(circle, 10, "same")
    again = pay(circle, 10, "same")
    assert first.pk == again.pk
    refresh(circle.alice)
    assert circle.alice.balance == 490


def test_same_key_different_request_is_refused(circle: Circle) -> None:
    pay(circle, 10, "same")
    with pytest.raises(Conflict):
        pay(circle, 11, "same")
    assert Transfer.objects.filter(idempotency_key="same").count() == 1


@pytest.mark.parametrize("amount", [0, -5])
def test_zero_or_negative_amount_refused(circle: Circle, amount: int) -> None:
    before = Transfer.objects.count()
    with pytest.raises(ValidationFailed):
        pay(circle, amount)
    assert Transfer.objects.count() == before


def test_insufficient_balance_refused_and_nothing_written(circle: Circle) -> None:
    before = Transfer.objects.count()
    with pytest.raises(InsufficientBalance):
        pay(circle, 501)
    refresh(circle.alice)
    assert circle.alice.balance == 500 and Transfer.objects.count() == before


def test_paying_yourself_refused(circle: Circle) -> None:
    with pytest.raises(ValidationFailed):
        services.transfer_create(
            actor=circle.actor,
            debit_account_id=circle.alice.pk,
            credit_account_id=circle.alice.pk,
            amount=1,
            idempotency_key=key(),
        )


def test_frozen_account_refused(circle: Circle) -> None:
    services.account_set_frozen(actor=circle.actor, account_id=circle.merchant.pk, frozen=True)
    with pytest.raises(Conflict):
        pay(circle, 1)


def test_other_communitys_account_is_not_found(circle: Circle, other_system: object) -> None:
    from tests.ledger.conftest import make_circle

    theirs = make_circle(other_system)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        services.transfer_create(
            actor=circle.actor,
            debit_account_id=circle.alice.pk,
            credit_account_id=theirs.bob.pk,
            amount=1,
            idempotency_key=key(),
        )


def test_reversal_restores_balances_once(circle: Circle) -> None:
    t = pay(circle, 100)
    services.transfer_reverse(actor=circle.actor, transfer_id=t.pk, idempotency_key=key())
    refresh(circle.alice, circle.merchant)
    assert (circle.alice.balance, circle.merchant.balance) == (500, 0)
    with pytest.raises(Conflict):
        services.transfer_reverse(actor=circle.actor, transfer_id=t.pk, idempotency_key=key())
    assert invariant_violations(currency=circle.currency) == []


def test_the_database_takes_one_reversal_per_transfer(circle: Circle) -> None:
    """The partial unique index (transfer_reversed_once) is the last guard against two
    reversals that race past the service's check; payments, which reverse nothing, share it."""
    from django.forms.models import model_to_dict

    t = pay(circle, 10)
    first = services.transfer_reverse(actor=circle.actor, transfer_id=t.pk, idempotency_key=key())
    pay(circle, 1), pay(circle, 1)  # many rows with no reversal: no clash
    fields = model_to_dict(
        first, exclude=["id", "community", "currency", "debit", "credit", "reverses"]
    )
    second = Transfer(
        **{**fields, "reverses_id": t.pk, "idempotency_key": key()},
        community=first.community,
        currency=first.currency,
        debit=first.debit,
        credit=first.credit,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.bulk_create([second])


def test_transfers_are_append_only_in_the_orm(circle: Circle) -> None:
    t = pay(circle, 1)
    with pytest.raises(TransferImmutable):
        t.save()
    with pytest.raises(TransferImmutable):
        Transfer.objects.filter(pk=t.pk).update(amount=2)
    with pytest.raises(TransferImmutable):
        t.delete()


@pytest.mark.django_db
def test_transfers_are_append_only_in_postgres(circle: Circle) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    t = pay(circle, 1)
    with pytest.raises(IntegrityError.__base__), transaction.atomic(), connection.cursor() as c:  # type: ignore[misc]
        c.execute("UPDATE ledger_transfer SET amount = 2 WHERE id = %s", [t.pk])


def test_resident_cannot_pay_from_someone_elses_account(circle: Circle) -> None:
    from buurtkit.core.actor import Actor

    bob = Actor(community=circle.actor.community, label="bob", person_id=circle.bob.person_id)
    with pytest.raises(PermissionDenied):
        services.transfer_create(
            actor=bob,
            debit_account_id=circle.alice.pk,
            credit_account_id=circle.bob.pk,
            amount=1,
            idempotency_key=key(),
        )
    alice = Actor(community=circle.actor.community, label="alice", person_id=circle.alice.person_id)
    services.transfer_create(
        actor=alice,
        debit_account_id=circle.alice.pk,
        credit_account_id=circle.bob.pk,
        amount=1,
        idempotency_key=key(),
    )


def test_till_movements_are_append_only_in_postgres(circle: Circle) -> None:
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    org = circle.issuer.organisation_id
    office = services.exchange_office_create(actor=circle.actor, name="Loket", organisation_id=org)
    services.office_opening_float(
        actor=circle.actor, office_id=office.pk, notes={5: 10}, idempotency_key=key()
    )
    for sql in (
        "UPDATE ledger_tillmovement SET delta = 100 WHERE office_id = %s",
        "DELETE FROM ledger_tillmovement WHERE office_id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute(sql, [office.pk])
