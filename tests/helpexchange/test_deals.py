"""The deal life cycle with rewards: held when agreed, paid once when done, released when
cancelled or expired; the ledger's invariants after every step; bad input refused cleanly."""

from __future__ import annotations

from datetime import timedelta

import pytest

from buurtkit.core import clock
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.helpexchange import selectors, services
from buurtkit.helpexchange.models import Deal, Post
from buurtkit.ledger.models import Account, Transfer
from buurtkit.ledger.selectors import invariant_violations

from .world import World, make_world


@pytest.fixture
def w(community: Community) -> World:
    return make_world(community)


def _ok(w: World) -> None:
    assert invariant_violations(currency=w.currency) == []
    assert selectors.held_mismatch(community=w.community) == []


def _rewarded_request(w: World, reward: int = 40) -> Post:
    return services.post_create(
        actor=w.staff(),
        person_id=w.anna.pk,
        kind="request",
        category="moving",
        title="Help carrying a wardrobe",
        reward=reward,
        reward_account_id=w.issuer.pk,
    )


def _balance(account: Account) -> int:
    return Account.objects.get(pk=account.pk).balance


def test_reward_held_when_agreed_paid_once_when_both_confirm(w: World) -> None:
    post = _rewarded_request(w)
    assert post.on_behalf and post.neighbourhood == "Rabot"
    response = services.post_respond(actor=w.resident(w.bram), post_id=post.pk, message="ik kan")
    issuer_before = _balance(w.issuer)
    deal = services.response_accept(actor=w.resident(w.anna), response_id=response.pk)
    assert deal.hold is not None and deal.hold.amount == 40
    assert _balance(w.issuer) == issuer_before - 40  # held: no longer spendable
    _ok(w)
    deal = services.deal_confirm(actor=w.resident(w.bram), deal_id=deal.pk)
    assert deal.state == "agreed" and deal.payout is None
    with pytest.raises(Conflict) as again:
        services.deal_confirm(actor=w.resident(w.bram), deal_id=deal.pk)
    assert again.value.code == "already_confirmed"
    deal = services.deal_confirm(actor=w.resident(w.anna), deal_id=deal.pk)
    assert deal.state == "done" and deal.payout is not None
    helper = Account.objects.get(person=w.bram, kind="resident")
    assert helper.balance == 40
    _ok(w)
    with pytest.raises(Conflict) as done:
        services.deal_confirm(actor=w.staff(), deal_id=deal.pk)
    assert done.value.code == "already_done"
    assert Transfer.objects.filter(kind="hold_payout").count() == 1
    assert Post.objects.get(pk=post.pk).state == "done"


def test_cancelled_deal_releases_the_reward_and_its_budget(w: World) -> None:
    post = _rewarded_request(w, reward=300)  # the whole budget
    response = services.post_respond(actor=w.resident(w.bram), post_id=post.pk)
    deal = services.response_accept(actor=w.staff(), response_id=response.pk)
    # The budget is used by the hold: another reward of the same organisation does not fit.
    with pytest.raises(ValidationFailed) as full:
        _rewarded_request(w, reward=1)
    assert full.value.fields.get("reward")
    services.deal_cancel(actor=w.resident(w.bram), deal_id=deal.pk, reason="ziek")
    _ok(w)
    assert _balance(w.issuer) == 1000
    again = services.deal_cancel(actor=w.resident(w.bram), deal_id=deal.pk)
    assert getattr(again, "replayed", False)
    with pytest.raises(Conflict):
        services.deal_confirm(actor=w.staff(), deal_id=deal.pk)
    assert Transfer.objects.filter(kind="hold_payout").count() == 0
    assert _rewarded_request(w, reward=300).reward == 300  # the budget is back


def test_bad_input_is_refused_and_writes_nothing(w: World) -> None:
    post = _rewarded_request(w)
    counts = (Post.objects.count(), Deal.objects.count(), Transfer.objects.count())
    with pytest.raises(Conflict) as own:
        services.post_respond(actor=w.resident(w.anna), post_id=post.pk)
    assert own.value.code == "own_post"
    with pytest.raises(ValidationFailed) as too_much:
        _rewarded_request(w, reward=301)
    assert too_much.value.code == "budget_exceeded" and too_much.value.fields["reward"]
    with pytest.raises(PermissionDenied):
        services.post_create(
            actor=w.resident(w.anna),
            kind="request",
            category="moving",
            title="x",
            reward=5,
            reward_account_id=w.issuer.pk,
        )
    response = services.post_respond(actor=w.resident(w.bram), post_id=post.pk)
    with pytest.raises(PermissionDenied):
        services.response_accept(actor=w.resident(w.bram), response_id=response.pk)
    deal = services.response_accept(actor=w.resident(w.anna), response_id=response.pk)
    with pytest.raises(PermissionDenied) as outsider:
        services.deal_confirm(actor=w.resident(w.cas), deal_id=deal.pk)
    assert outsider.value.permission == "helpexchange.post_for"
    assert (Post.objects.count(), Deal.objects.count(), Transfer.objects.count()) == (
        counts[0] + 0,
        counts[1] + 1,
        counts[2] + 1,
    )
    _ok(w)


def test_html_in_a_post_is_removed(w: World) -> None:
    post = services.post_create(
        actor=w.resident(w.anna),
        kind="offer",
        category="paperwork",
        title="<script>alert(1)</script>Formulieren <b>invullen</b>",
        text='<img src=x onerror="alert(2)">In het Arabisch',
    )
    assert "<" not in post.title and "<" not in post.text
    assert post.title == "alert(1)Formulieren invullen"


def test_spam_burst_is_refused(w: World) -> None:
    from django.core.cache import cache

    cache.clear()
    for n in range(services.POSTS_PER_HOUR):
        services.post_create(
            actor=w.resident(w.cas), kind="request", category="other", title=f"Vraag {n}"
        )
    with pytest.raises(services.TooManyPosts):
        services.post_create(
            actor=w.resident(w.cas), kind="request", category="other", title="Nog een"
        )
    assert Post.objects.filter(person=w.cas).count() == services.POSTS_PER_HOUR


def test_moderation_report_hide_block(w: World) -> None:
    post = services.post_create(
        actor=w.resident(w.cas), kind="offer", category="other", title="Goedkope zonnebrillen"
    )
    for who in (w.anna, w.bram, w.anna):
        services.post_report(actor=w.resident(who), post_id=post.pk, reason="reclame")
    post.refresh_from_db()
    assert post.hidden and post.reports == 3
    assert selectors.public_posts(community=w.community)[0] == []
    with pytest.raises(PermissionDenied):
        services.post_hide(actor=w.resident(w.anna), post_id=post.pk, hidden=False)
    services.person_block(actor=w.staff(), person_id=w.cas.pk, reason="reclame")
    with pytest.raises(PermissionDenied) as blocked:
        services.post_create(
            actor=w.resident(w.cas), kind="offer", category="other", title="Opnieuw"
        )
    assert blocked.value.code == "blocked"
    services.person_unblock(actor=w.staff(), person_id=w.cas.pk)
    services.post_create(actor=w.resident(w.cas), kind="offer", category="other", title="Hulp")


def test_expiry_releases_and_reminds_then_anonymises(w: World) -> None:
    from buurtkit.messaging.models import Message

    post = _rewarded_request(w)
    open_post = services.post_create(
        actor=w.resident(w.cas), kind="request", category="garden", title="Haag snoeien"
    )
    response = services.post_respond(actor=w.resident(w.bram), post_id=post.pk)
    deal = services.response_accept(actor=w.resident(w.anna), response_id=response.pk)
    start = clock.now()
    with clock.frozen(start + timedelta(days=2)):
        sweep = services.helpexchange_sweep()
    assert sweep.reminded == 1
    with clock.frozen(start + timedelta(days=45)):
        sweep = services.helpexchange_sweep()
        again = services.helpexchange_sweep()
    assert sweep.expired_deals == 1 and sweep.expired_posts == 1
    assert again.expired_deals == 0 and again.expired_posts == 0
    deal.refresh_from_db()
    assert deal.state == "expired" and deal.release is not None
    assert Post.objects.get(pk=open_post.pk).state == "expired"
    _ok(w)
    with clock.frozen(start + timedelta(days=500)):
        sweep = services.helpexchange_sweep()
    assert sweep.anonymised == 2
    gone = Post.objects.get(pk=post.pk)
    assert gone.person_id is None and gone.title == "—" and gone.category == "moving"
    assert Message.objects.exists() is not None
