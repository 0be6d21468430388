"""Issuing budgets, second-person approval of large rewards, the monthly euro payout (issue 4)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from buurtkit.audit.models import AuditEvent
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.ledger import selectors, services
from buurtkit.ledger.models import IssuingBudget, PendingReward, RedemptionRun, Transfer
from buurtkit.ledger.selectors import invariant_violations, local_today
from tests.ledger.conftest import Circle, key, refresh


def _month(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _person(circle: Circle, label: str, uid: int, perms: set[str]) -> Actor:
    return Actor(
        community=circle.actor.community,
        label=label,
        user_id=uid,
        permissions=frozenset(perms),
        organisation_ids=frozenset([circle.issuer.organisation_id]),  # type: ignore[list-item]
    )


@pytest.fixture
def budget(circle: Circle) -> IssuingBudget:
    first, last = _month(local_today())
    # The fixture's 500 reward was made by the system this month: it counts as used.
    return services.budget_create(
        actor=circle.actor, account_id=circle.issuer.pk, starts_on=first, ends_on=last, amount=700
    )


@pytest.fixture
def ann(circle: Circle) -> Actor:
    return _person(circle, "Ann", 9001, {"ledger.issue"})


@pytest.fixture
def ben(circle: Circle) -> Actor:
    return _person(circle, "Ben", 9002, {"ledger.issue"})


def _reward(actor: Actor, circle: Circle, amount: Any, k: str | None = None) -> Any:
    return services.reward_create(
        actor=actor,
        issuer_account_id=circle.issuer.pk,
        resident_account_id=circle.bob.pk,
        amount=amount,
        reason="Hielp bij het repair café",
        idempotency_key=k or key(),
    )


def _counts() -> tuple[int, int, int, int]:
    return (
        Transfer.objects.count(),
        PendingReward.objects.count(),
        IssuingBudget.objects.count(),
        AuditEvent.objects.count(),
    )


def test_budget_cannot_be_exceeded(circle: Circle, budget: IssuingBudget, ann: Actor) -> None:
    assert selectors.budget_used(budget) == 500
    assert not _reward(ann, circle, "80").is_pending
    assert not _reward(ann, circle, "30").is_pending  # 90 left
    before = _counts()
    with pytest.raises(Conflict) as exc:
        _reward(ann, circle, "100")
    assert exc.value.code == "budget_exceeded" and "amount" in exc.value.fields
    assert _counts() == before
    assert not _reward(ann, circle, "90").is_pending  # exactly what is left
    # The plain transfer route keeps the same rule for people.
    with pytest.raises(Conflict):
        services.transfer_create(
            actor=ann,
            debit_account_id=circle.issuer.pk,
            credit_account_id=circle.alice.pk,
            amount=95,
            kind="reward",
            idempotency_key=key(),
        )
    assert invariant_violations(currency=circle.currency) == []


def test_a_corrected_reward_frees_its_budget(
    circle: Circle, budget: IssuingBudget, ann: Actor
) -> None:
    paid = _reward(ann, circle, "100").transfer
    assert selectors.budget_used(budget) == 600
    services.transfer_reverse(actor=circle.actor, transfer_id=paid.pk, idempotency_key=key())
    assert selectors.budget_used(budget) == 500


def test_no_budget_for_the_day_is_refused(circle: Circle, ann: Actor) -> None:
    services.budget_create(
        actor=circle.actor,
        account_id=circle.issuer.pk,
        starts_on=date(2020, 1, 1),
        ends_on=date(2020, 3, 31),
        amount=1000,
    )
    before = _counts()
    with pytest.raises(Conflict) as exc:
        _reward(ann, circle, "5")
    assert exc.value.code == "no_budget"
    assert _counts() == before


def test_budgets_do_not_overlap_and_bad_input_writes_nothing(
    circle: Circle, budget: IssuingBudget
) -> None:
    before = _counts()
    _first, last = _month(local_today())
    cases: list[dict[str, Any]] = [
        {"starts_on": last, "ends_on": last + timedelta(days=30), "amount": 10},  # overlaps
        {"starts_on": "2030-02-01", "ends_on": "2030-01-01", "amount": 10},  # reversed
        {"starts_on": "soon", "ends_on": "2030-01-01", "amount": 10},
        {"starts_on": "2030-01-01", "ends_on": "2030-01-31", "amount": "0"},
        {"starts_on": "2030-01-01", "ends_on": "2030-01-31", "amount": "1.5"},
    ]
    for case in cases:
        with pytest.raises(ValidationFailed):
            services.budget_create(actor=circle.actor, account_id=circle.issuer.pk, **case)
    with pytest.raises(ValidationFailed):  # a shop is no issuer
        services.budget_create(
            actor=circle.actor,
            account_id=circle.merchant.pk,
            starts_on="2030-01-01",
            ends_on="2030-01-31",
            amount=5,
        )
    with pytest.raises(PermissionDenied):
        services.budget_create(
            actor=_person(circle, "Ann", 1, {"ledger.issue"}),
            account_id=circle.issuer.pk,
            starts_on="2030-01-01",
            ends_on="2030-01-31",
            amount=5,
        )
    assert _counts() == before


def test_large_reward_waits_for_a_second_person_and_pays_once(
    circle: Circle, budget: IssuingBudget, ann: Actor, ben: Actor
) -> None:
    k = key()
    result = _reward(ann, circle, "150", k)
    assert result.is_pending and result.pending.status == "pending"
    refresh(circle.bob)
    assert circle.bob.balance == 0
    # A retry with the same key is the same request; with another body it is refused.
    assert _reward(ann, circle, "150", k).pending.pk == result.pending.pk
    with pytest.raises(Conflict):
        _reward(ann, circle, "151", k)

    before = _counts()
    with pytest.raises(PermissionDenied) as exc:
        services.pending_reward_approve(actor=ann, pending_id=result.pending.pk)
    assert exc.value.code == "own_request"
    with pytest.raises(PermissionDenied):  # no right to issue
        services.pending_reward_approve(
            actor=_person(circle, "Cas", 9003, {"ledger.view"}), pending_id=result.pending.pk
        )
    assert _counts() == before

    approved = services.pending_reward_approve(actor=ben, pending_id=result.pending.pk)
    again = services.pending_reward_approve(actor=ben, pending_id=result.pending.pk)
    assert approved.status == "approved" and again.transfer_id == approved.transfer_id
    assert Transfer.objects.filter(idempotency_key=k).count() == 1
    refresh(circle.bob)
    assert circle.bob.balance == 150
    with pytest.raises(Conflict):
        services.pending_reward_reject(actor=ben, pending_id=result.pending.pk)
    # The plain transfer route cannot skip the approval.
    with pytest.raises(ValidationFailed) as refused:
        services.transfer_create(
            actor=ann,
            debit_account_id=circle.issuer.pk,
            credit_account_id=circle.bob.pk,
            amount=150,
            kind="reward",
            idempotency_key=key(),
        )
    assert refused.value.code == "approval_required"
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"ledger.reward_requested", "ledger.reward_approved"} <= verbs
    assert invariant_violations(currency=circle.currency) == []


def test_approval_checks_the_budget_again(
    circle: Circle, budget: IssuingBudget, ann: Actor, ben: Actor
) -> None:
    pending = _reward(ann, circle, "150").pending
    _reward(ben, circle, "100")  # leaves 100 in the budget
    with pytest.raises(Conflict):
        services.pending_reward_approve(actor=ben, pending_id=pending.pk)
    pending.refresh_from_db()
    assert pending.status == "pending" and pending.transfer_id is None


def test_reject(circle: Circle, budget: IssuingBudget, ann: Actor, ben: Actor) -> None:
    pending = _reward(ann, circle, "150").pending
    rejected = services.pending_reward_reject(actor=ben, pending_id=pending.pk, note="Te veel")
    assert rejected.status == "rejected"
    with pytest.raises(Conflict):
        services.pending_reward_approve(actor=ben, pending_id=pending.pk)
    refresh(circle.bob)
    assert circle.bob.balance == 0
    assert Transfer.objects.filter(idempotency_key=pending.idempotency_key).count() == 0


def test_threshold_is_configurable(circle: Circle, budget: IssuingBudget, ann: Actor) -> None:
    services.reward_policy_set(actor=circle.actor, approval_threshold="10")
    assert _reward(ann, circle, "11").is_pending
    assert not _reward(ann, circle, "10").is_pending


def test_reward_bad_input_is_refused_and_writes_nothing(
    circle: Circle, budget: IssuingBudget, ann: Actor, other_system: Actor
) -> None:
    from tests.ledger.conftest import make_circle

    other = make_circle(other_system)
    before = _counts()
    for amount in ("0", "-5", "2.5", "lots"):
        with pytest.raises(ValidationFailed):
            _reward(ann, circle, amount)
    with pytest.raises(ValidationFailed):  # no reason
        services.reward_create(
            actor=ann,
            issuer_account_id=circle.issuer.pk,
            resident_account_id=circle.bob.pk,
            amount="5",
            reason=" ",
            idempotency_key=key(),
        )
    with pytest.raises(ValidationFailed):  # another community's resident
        services.reward_create(
            actor=ann,
            issuer_account_id=circle.issuer.pk,
            resident_account_id=other.bob.pk,
            amount="5",
            reason="x",
            idempotency_key=key(),
        )
    with pytest.raises(PermissionDenied):  # another organisation's account
        services.reward_create(
            actor=replace(ann, organisation_ids=frozenset()),
            issuer_account_id=circle.issuer.pk,
            resident_account_id=circle.bob.pk,
            amount="5",
            reason="x",
            idempotency_key=key(),
        )
    assert _counts() == before


@pytest.mark.django_db(transaction=True)
def test_two_rewards_racing_cannot_both_fit(system: Actor) -> None:
    """Two people reward at the same moment; only one fits in the budget (PostgreSQL locks)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs writers one at a time; the race needs PostgreSQL")
    from tests.ledger.conftest import make_circle

    circle = make_circle(system)
    first, last = _month(local_today())
    services.budget_create(
        actor=system, account_id=circle.issuer.pk, starts_on=first, ends_on=last, amount=580
    )
    people = [_person(circle, f"P{i}", 100 + i, {"ledger.issue"}) for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def go(actor: Actor) -> None:
        try:
            barrier.wait()
            _reward(actor, circle, "60")
            outcomes.append("paid")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["budget_exceeded", "paid"]
    assert invariant_violations(currency=circle.currency) == []


# --- monthly redemption -------------------------------------------------------------------


def _pay_shop(circle: Circle, amount: int) -> None:
    services.transfer_create(
        actor=circle.actor,
        debit_account_id=circle.alice.pk,
        credit_account_id=circle.merchant.pk,
        amount=amount,
        idempotency_key=key(),
    )


def test_redemption_run_converts_and_is_idempotent(circle: Circle) -> None:
    _pay_shop(circle, 120)
    month = local_today().strftime("%Y-%m")
    run = services.redemption_run(actor=circle.actor, month=month)
    assert run.created
    refresh(circle.merchant, circle.redemption)
    assert (circle.merchant.balance, circle.redemption.balance) == (0, 120)

    _pay_shop(circle, 30)  # after the run: waits for next month
    again = services.redemption_run(actor=circle.actor, month=month)
    assert again.pk == run.pk and not again.created
    refresh(circle.merchant)
    assert circle.merchant.balance == 30
    assert Transfer.objects.filter(kind="redemption").count() == 1
    assert RedemptionRun.objects.count() == 1

    lines = selectors.payout_lines(actor=circle.actor, run=run)
    assert [(line.amount, line.euro_cents) for line in lines] == [(120, 1200)]
    assert invariant_violations(currency=circle.currency) == []


def test_redemption_refuses_bad_months_and_other_roles(circle: Circle) -> None:
    before = _counts()
    future = (local_today().replace(day=1) + timedelta(days=40)).strftime("%Y-%m")
    for month in (future, "March", "2026-13", ""):
        with pytest.raises(ValidationFailed):
            services.redemption_run(actor=circle.actor, month=month)
    with pytest.raises(PermissionDenied):
        services.redemption_run(
            actor=_person(circle, "Ann", 1, {"ledger.view", "ledger.issue"}), month=future
        )
    assert _counts() == before and RedemptionRun.objects.count() == 0


def test_payout_csv_opens_in_a_spreadsheet_and_has_no_person(circle: Circle) -> None:
    _pay_shop(circle, 45)
    run = services.redemption_run(actor=circle.actor, month=local_today())
    payouts = selectors.payout_csv(actor=circle.actor, run=run)
    assert payouts.content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(payouts.content.lstrip("\ufeff"))))
    assert len(rows) == 2
    shop, org, number, amount, euro = rows[1]
    assert (shop, org, amount, euro) == ("Bakkerij", "Bakkerij", "45", "4.50")
    assert number.replace(" ", "") == circle.merchant.number
    assert "Alice" not in payouts.content and "Bob" not in payouts.content
