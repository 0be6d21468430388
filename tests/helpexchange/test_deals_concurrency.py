"""Confirmations at the same moment (PostgreSQL, threads with their own connections): a deal
confirmed by its helper, its poster and two staff members at once is paid exactly once; a
confirmation racing a cancellation either pays or releases, never both."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from buurtkit.core.errors import ServiceError
from buurtkit.core.services import community_create
from buurtkit.helpexchange import selectors, services
from buurtkit.helpexchange.models import Deal
from buurtkit.ledger.models import Transfer
from buurtkit.ledger.selectors import invariant_violations

from .world import make_world

DEALS = 6


def _race(calls: list[Callable[[], Any]]) -> list[str]:
    """Run ``calls`` in threads that start together; each answers "ok" or an error code."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = [""] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            call()
            results[i] = "ok"
        except ServiceError as exc:
            results[i] = exc.code
        except Exception as exc:
            results[i] = f"crash: {exc!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_confirmations_at_once_pay_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency: PostgreSQL")
    community = community_create(
        name="Race",
        slug=f"race-{uuid.uuid4().hex[:10]}",
        enabled_modules=["ledger", "helpexchange"],
    )
    w = make_world(community, funds=2000, budget=1000)
    deals = []
    for n in range(DEALS):
        post = services.post_create(
            actor=w.staff(),
            person_id=w.anna.pk,
            kind="request",
            category="errands",
            title=f"Boodschappen {n}",
            reward=25,
            reward_account_id=w.issuer.pk,
        )
        response = services.post_respond(actor=w.resident(w.bram), post_id=post.pk)
        deals.append(services.response_accept(actor=w.staff(), response_id=response.pk))
    outcomes: Counter[str] = Counter()
    for deal in deals[: DEALS // 2]:
        results = _race(
            [
                lambda d=deal: services.deal_confirm(actor=w.staff(label="Sofie"), deal_id=d.pk),
                lambda d=deal: services.deal_confirm(actor=w.staff(label="Jan"), deal_id=d.pk),
                lambda d=deal: services.deal_confirm(actor=w.resident(w.bram), deal_id=d.pk),
                lambda d=deal: services.deal_confirm(actor=w.resident(w.anna), deal_id=d.pk),
            ]
        )
        outcomes.update(results)
        assert not [r for r in results if r.startswith("crash")], results
        assert set(results) <= {"ok", "already_done", "already_confirmed"}, results
    for deal in deals[DEALS // 2 :]:
        results = _race(
            [
                lambda d=deal: services.deal_confirm(actor=w.staff(label="Sofie"), deal_id=d.pk),
                lambda d=deal: services.deal_cancel(actor=w.resident(w.bram), deal_id=d.pk),
            ]
        )
        outcomes.update(results)
        assert not [r for r in results if r.startswith("crash")], results
    for deal in Deal.objects.filter(community=community):
        paid = Transfer.objects.filter(
            community=community, idempotency_key=f"hold-pay-hx-{deal.post_id}"
        ).count()
        released = Transfer.objects.filter(
            community=community, idempotency_key=f"hold-release-hx-{deal.post_id}"
        ).count()
        assert paid + released == 1, deal.state
        assert (deal.state == "done") == (paid == 1)
    assert Transfer.objects.filter(community=community, kind="hold_payout").count() >= DEALS // 2
    assert invariant_violations(currency=w.currency) == []
    assert selectors.held_mismatch(community=community) == []
    assert outcomes["ok"] >= DEALS  # at least one winner per race
