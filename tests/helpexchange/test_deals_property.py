"""Random deal life cycles (hypothesis): posting with and without rewards, responses,
acceptance, confirmations by each side, by staff and by outsiders, cancellations, expiry.
After every step the ledger's invariants hold, the held account holds exactly the rewards of
agreed deals, every done deal was paid once and every closed one released once, and no money
appeared or vanished."""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buurtkit.core import clock
from buurtkit.core.errors import ServiceError
from buurtkit.core.models import Community
from buurtkit.helpexchange import selectors, services
from buurtkit.helpexchange.models import Deal, Post, Response
from buurtkit.ledger.models import Account, Transfer
from buurtkit.ledger.selectors import invariant_violations

from .world import make_world

WHO = ("anna", "bram", "cas", "staff", "outsider_staff")
OPS = st.one_of(
    st.tuples(st.just("post"), st.sampled_from(("anna", "bram", "cas")), st.integers(0, 160)),
    st.tuples(st.just("respond"), st.sampled_from(("anna", "bram", "cas")), st.integers(0, 9)),
    st.tuples(st.just("accept"), st.sampled_from(WHO), st.integers(0, 9)),
    st.tuples(st.just("confirm"), st.sampled_from(WHO), st.integers(0, 9)),
    st.tuples(st.just("cancel"), st.sampled_from(WHO), st.integers(0, 9)),
    st.tuples(st.just("expire"), st.just(""), st.just(0)),
)


class _Rollback(Exception):
    pass


@settings(
    max_examples=15,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(OPS, min_size=1, max_size=14))
def test_random_deal_life_cycles_keep_the_ledger_whole(community: Community, steps: list) -> None:
    try:
        with transaction.atomic():
            _run(community, steps)
            raise _Rollback
    except _Rollback:
        pass


def _run(community: Community, steps: list) -> None:
    cache.clear()
    w = make_world(community, funds=1000, budget=400)
    people = {"anna": w.anna, "bram": w.bram, "cas": w.cas}
    actors = {name: w.resident(p) for name, p in people.items()}
    actors["staff"] = w.staff()
    actors["outsider_staff"] = w.staff(role="volunteer", label="Vera")
    total = (
        Account.objects.filter(currency=w.currency)
        .exclude(kind="system")
        .aggregate(s=Sum("balance"))["s"]
    )
    later = clock.now()
    for op, who, n in steps:
        try:
            with transaction.atomic():
                if op == "post":
                    services.post_create(
                        actor=actors["staff"],
                        person_id=people[who].pk,
                        kind="request",
                        category="errands",
                        title=f"help {n}",
                        reward=n or None,
                        reward_account_id=w.issuer.pk if n else None,
                    )
                elif op == "respond":
                    posts = list(Post.objects.filter(community=community).order_by("pk"))
                    if posts:
                        services.post_respond(actor=actors[who], post_id=posts[n % len(posts)].pk)
                elif op == "accept":
                    responses = list(Response.objects.filter(community=community).order_by("pk"))
                    if responses:
                        services.response_accept(
                            actor=actors[who], response_id=responses[n % len(responses)].pk
                        )
                elif op in ("confirm", "cancel"):
                    deals = list(Deal.objects.filter(community=community).order_by("pk"))
                    if deals:
                        run = services.deal_confirm if op == "confirm" else services.deal_cancel
                        run(actor=actors[who], deal_id=deals[n % len(deals)].pk)
                else:
                    later += timedelta(days=45)
                    with clock.frozen(later):
                        services.helpexchange_sweep()
        except ServiceError:
            pass  # a refusal: nothing written (checked below like any other step)
        assert invariant_violations(currency=w.currency) == []
        assert selectors.held_mismatch(community=community) == []
        held = Account.objects.filter(currency=w.currency, system_role="held").first()
        now_total = (
            Account.objects.filter(currency=w.currency)
            .exclude(kind="system")
            .aggregate(s=Sum("balance"))["s"]
        )
        assert now_total + (held.balance if held else 0) == total
        for deal in Deal.objects.filter(community=community, reward__gt=0):
            paid = Transfer.objects.filter(idempotency_key=f"hold-pay-hx-{deal.post_id}").count()
            released = Transfer.objects.filter(
                idempotency_key=f"hold-release-hx-{deal.post_id}"
            ).count()
            assert paid + released <= 1
            assert paid == (deal.state == "done")
