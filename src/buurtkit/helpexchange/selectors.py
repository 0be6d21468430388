"""Reads of the help exchange: the public list (cached), staff lists, one's own posts and
deals, the overview per month, the rows of the export, and the check that held rewards match
the agreed deals."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.helpexchange.models import (
    Category,
    Deal,
    DealState,
    Post,
    PostKind,
    PostState,
    Response,
)
from buurtkit.ledger.models import Account, Currency, SystemRole

BRUSSELS = ZoneInfo("Europe/Brussels")
PUBLIC_PAGE_SIZE = 20
CACHE_SECONDS = 300


# --- the public list: no personal data beyond the first name and the neighbourhood -------------


def _version_key(community_id: int) -> str:
    return f"hx:v:{community_id}"


def public_version(community_id: int) -> str:
    """Changes whenever a post of the community changes: part of every cached answer's key."""
    value = cache.get(_version_key(community_id))
    if value is None:
        value = uuid.uuid4().hex
        cache.add(_version_key(community_id), value, timeout=None)
        value = cache.get(_version_key(community_id)) or value
    return str(value)


def public_changed(community_id: int) -> None:
    """Every cached list of the community is stale: now, and again once the transaction
    commits (a reader that cached the old rows in between is not believed afterwards)."""

    def bump() -> None:
        cache.set(_version_key(community_id), uuid.uuid4().hex, timeout=None)

    bump()
    transaction.on_commit(bump)


def public_cache_key(community_id: int, *parts: object) -> str:
    tail = ":".join(str(p).replace(" ", "_")[:100] for p in parts)
    return f"hx:pub:{community_id}:{public_version(community_id)}:{tail}"


@dataclass(frozen=True)
class PublicPost:
    id: int
    kind: str
    category: str
    neighbourhood: str
    title: str
    text: str
    when_on: date | None
    when_note: str
    duration_minutes: int | None
    reward: int
    first_name: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "category": self.category,
            "neighbourhood": self.neighbourhood,
            "title": self.title,
            "text": self.text,
            "when_on": self.when_on.isoformat() if self.when_on else None,
            "when_note": self.when_note,
            "duration_minutes": self.duration_minutes,
            "reward": self.reward,
            "first_name": self.first_name,
            "posted_at": self.created_at.isoformat(),
        }


def public_posts(
    *,
    community: Community,
    category: str = "",
    neighbourhood: str = "",
    kind: str = "",
    page: int = 1,
    size: int = PUBLIC_PAGE_SIZE,
    post_id: int | None = None,
) -> tuple[list[PublicPost], bool]:
    """Open, visible posts, newest first (one page), and whether there is a next page.
    Reads the partial indexes of ``Post.Meta``: one index range scan per page."""
    qs = Post.objects.in_community(community).filter(state=PostState.OPEN, hidden=False)
    if category:
        qs = qs.filter(category=category)
    if neighbourhood:
        qs = qs.filter(neighbourhood=neighbourhood)
    if kind:
        qs = qs.filter(kind=kind)
    if post_id is not None:
        qs = qs.filter(pk=post_id)
    page = max(1, min(int(page), 500))
    start = (page - 1) * size
    rows = list(
        qs.order_by("-created_at", "-id").values(
            "id",
            "kind",
            "category",
            "neighbourhood",
            "title",
            "text",
            "when_on",
            "when_note",
            "duration_minutes",
            "reward",
            "person__first_name",
            "organisation__name",
            "created_at",
        )[start : start + size + 1]
    )
    more = len(rows) > size
    posts = [
        PublicPost(
            id=r["id"],
            kind=r["kind"],
            category=r["category"],
            neighbourhood=r["neighbourhood"],
            title=r["title"],
            text=r["text"],
            when_on=r["when_on"],
            when_note=r["when_note"],
            duration_minutes=r["duration_minutes"],
            reward=r["reward"],
            first_name=r["person__first_name"] or r["organisation__name"] or "",
            created_at=r["created_at"],
        )
        for r in rows[:size]
    ]
    return posts, more


def public_neighbourhoods(*, community: Community) -> list[str]:
    """The neighbourhoods that have open posts (for the filter), cached with the list."""
    key = public_cache_key(community.pk, "neighbourhoods")
    found = cache.get(key)
    if found is None:
        # ``order_by`` replaces the model's ordering, which DISTINCT would otherwise include
        # (one row per post instead of one per neighbourhood).
        found = list(
            Post.objects.in_community(community)
            .filter(state=PostState.OPEN, hidden=False)
            .exclude(neighbourhood="")
            .order_by("neighbourhood")
            .values_list("neighbourhood", flat=True)
            .distinct()
        )
        cache.set(key, found, CACHE_SECONDS)
    return list(found)


def public_post(*, community: Community, post_id: int) -> PublicPost:
    """One open, visible post for the public (others are not found)."""
    posts = public_posts(community=community, post_id=post_id)[0]
    if not posts:
        get_scoped(Post, community, pk=0)  # the not-found answer
    return posts[0]


# --- staff and the people themselves ------------------------------------------------------------


def posts_search(
    *,
    actor: Actor,
    q: str = "",
    state: str = "",
    category: str = "",
    neighbourhood: str = "",
    hidden: bool | None = None,
) -> QuerySet[Post]:
    """Every post of the community for staff (``helpexchange.view``), newest first."""
    actor.require("helpexchange.view")
    q, neighbourhood = q.replace("\x00", ""), neighbourhood.replace("\x00", "")
    qs = Post.objects.in_community(actor.community).select_related("person", "organisation")
    if q:
        qs = qs.filter(
            Q(title__icontains=q)
            | Q(text__icontains=q)
            | Q(person__first_name__icontains=q)
            | Q(person__last_name__icontains=q)
        )
    if state:
        qs = qs.filter(state=state)
    if category:
        qs = qs.filter(category=category)
    if neighbourhood:
        qs = qs.filter(neighbourhood=neighbourhood)
    if hidden is not None:
        qs = qs.filter(hidden=hidden)
    return qs.order_by("-created_at", "-id")


def reported_posts(*, actor: Actor) -> QuerySet[Post]:
    actor.require("helpexchange.moderate")
    return (
        Post.objects.in_community(actor.community)
        .filter(Q(reports__gt=0) | Q(hidden=True))
        .order_by("-reports", "-created_at")
    )


def my_posts(*, actor: Actor) -> QuerySet[Post]:
    """The posts of the person the actor is (or acts for)."""
    me = actor.on_behalf_of_id or actor.person_id
    if me is None:
        return Post.objects.none()
    return Post.objects.in_community(actor.community).filter(person_id=me).order_by("-created_at")


def my_deals(*, actor: Actor) -> QuerySet[Deal]:
    """Deals where the person is the helper or the other side."""
    me = actor.on_behalf_of_id or actor.person_id
    if me is None:
        return Deal.objects.none()
    return (
        Deal.objects.in_community(actor.community)
        .filter(Q(helper_id=me) | Q(post__person_id=me) | Q(response__person_id=me))
        .select_related("post", "response")
        .order_by("-agreed_at")
    )


def may_see_post(actor: Actor, post: Post) -> bool:
    me = actor.on_behalf_of_id or actor.person_id
    return (
        actor.has("helpexchange.view")
        or (me is not None and me == post.person_id)
        or (post.organisation_id is not None and post.organisation_id in actor.organisation_ids)
    )


def post_detail(*, actor: Actor, post_id: int) -> Post:
    """A post as the poster or staff see it (with its responses); for anyone else the public
    view is the post page (open posts only)."""
    post = get_scoped(Post, actor.community, pk=post_id)
    if not may_see_post(actor, post):
        get_scoped(Post, actor.community, pk=0)
    return post


def post_responses(*, actor: Actor, post: Post) -> QuerySet[Response]:
    if not may_see_post(actor, post):
        return Response.objects.none()
    return Response.objects.in_community(actor.community).filter(post=post).select_related("person")


def deal_detail(*, actor: Actor, deal_id: int) -> Deal:
    """A deal for its two sides and staff; anyone else: not found."""
    deal = get_scoped(Deal, actor.community, pk=deal_id)
    me = actor.on_behalf_of_id or actor.person_id
    post = deal.post
    party = me is not None and me in (deal.helper_id, post.person_id, deal.response.person_id)
    org = post.organisation_id is not None and post.organisation_id in actor.organisation_ids
    if not (party or org or actor.has("helpexchange.view")):
        get_scoped(Deal, actor.community, pk=0)
    return deal


def deals_list(*, actor: Actor, state: str = "") -> QuerySet[Deal]:
    actor.require("helpexchange.view")
    qs = Deal.objects.in_community(actor.community).select_related("post", "helper")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-agreed_at", "-id")


# --- the overview and its export (no personal data) ---------------------------------------------


@dataclass
class Overview:
    months: list[str]
    per_month: dict[str, dict[str, int]]  # state -> month -> deals
    rewarded_per_month: dict[str, int]
    by_category: list[tuple[str, dict[str, int]]]
    by_neighbourhood: list[tuple[str, dict[str, int]]]
    top_categories: list[tuple[str, int]]
    open_posts: int
    rewarded_total: int


def overview(*, actor: Actor) -> Overview:
    """Open posts, agreed and done deals per category, neighbourhood and month; torekes
    rewarded; the categories most asked for."""
    actor.require("helpexchange.view")
    posts = Post.objects.in_community(actor.community)
    deals = Deal.objects.in_community(actor.community)
    per_month: dict[str, dict[str, int]] = defaultdict(dict)
    months: set[str] = set()
    for row in (
        posts.annotate(m=TruncMonth("created_at", tzinfo=BRUSSELS))
        .values("m")
        .annotate(n=Count("id"))
    ):
        month = f"{row['m']:%Y-%m}"
        months.add(month)
        per_month["posted"][month] = row["n"]
    for row in (
        deals.annotate(m=TruncMonth("agreed_at", tzinfo=BRUSSELS))
        .values("m", "state")
        .annotate(n=Count("id"))
    ):
        month = f"{row['m']:%Y-%m}"
        months.add(month)
        bucket = "done" if row["state"] == DealState.DONE else "agreed"
        per_month[bucket][month] = per_month[bucket].get(month, 0) + row["n"]
    rewarded: dict[str, int] = {}
    for row in (
        deals.filter(state=DealState.DONE)
        .annotate(m=TruncMonth("closed_at", tzinfo=BRUSSELS))
        .values("m")
        .annotate(s=Sum("reward"))
    ):
        if row["m"] is not None:
            rewarded[f"{row['m']:%Y-%m}"] = int(row["s"] or 0)
    by_cat: dict[str, Counter[str]] = defaultdict(Counter)
    by_nbh: dict[str, Counter[str]] = defaultdict(Counter)
    for row in posts.values("category", "neighbourhood", "state").annotate(n=Count("id")):
        by_cat[row["category"]][row["state"]] += row["n"]
        by_nbh[row["neighbourhood"] or "-"][row["state"]] += row["n"]
    labels = dict(Category.choices)
    top = Counter({cat: sum(c.values()) for cat, c in by_cat.items()}).most_common(5)
    return Overview(
        months=sorted(months),
        per_month=dict(per_month),
        rewarded_per_month=rewarded,
        by_category=sorted(
            ((str(labels.get(k, k)), dict(v)) for k, v in by_cat.items()), key=lambda x: x[0]
        ),
        by_neighbourhood=sorted((k, dict(v)) for k, v in by_nbh.items()),
        top_categories=[(str(labels.get(k, k)), n) for k, n in top],
        open_posts=posts.filter(state=PostState.OPEN).count(),
        rewarded_total=sum(rewarded.values()),
    )


EXPORT_HEADER = [
    "month",
    "category",
    "neighbourhood",
    "kind",
    "state",
    "posts",
    "rewarded",
]


def export_rows(*, actor: Actor) -> list[list[Any]]:
    """Posts per month, category, neighbourhood, kind and state, with the torekes paid: no
    names, no texts."""
    actor.require("helpexchange.view")
    paid = dict(
        Deal.objects.in_community(actor.community)
        .filter(state=DealState.DONE)
        .values_list("post_id", "reward")
    )
    groups: dict[tuple[str, str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for pk, created_at, category, neighbourhood, kind, state in (
        Post.objects.in_community(actor.community)
        .values_list("pk", "created_at", "category", "neighbourhood", "kind", "state")
        .iterator()
    ):
        key = (
            f"{created_at.astimezone(BRUSSELS):%Y-%m}",
            category,
            neighbourhood,
            kind,
            state,
        )
        groups[key][0] += 1
        groups[key][1] += paid.get(pk, 0)
    return [[*key, n, r] for key, (n, r) in sorted(groups.items())]


# --- the ledger check ---------------------------------------------------------------------------


def held_mismatch(*, community: Community) -> list[str]:
    """Problems between the deals and the ledger (empty when all hold): the held account holds
    exactly the rewards of agreed deals; a done deal with a reward is paid once, a closed one
    released once."""
    problems: list[str] = []
    currency = Currency.objects.in_community(community).first()
    if currency is None:
        return problems
    held = Account.objects.filter(currency=currency, system_role=SystemRole.HELD).first()
    balance = held.balance if held else 0
    agreed = (
        Deal.objects.in_community(community)
        .filter(state=DealState.AGREED)
        .aggregate(s=Sum("reward"))["s"]
        or 0
    )
    if balance != agreed:
        problems.append(f"held balance {balance} != rewards of agreed deals {agreed}")
    for deal in Deal.objects.in_community(community).filter(reward__gt=0):
        if deal.hold_id is None:
            problems.append(f"deal {deal.pk}: reward without a hold")
        if deal.state == DealState.DONE and deal.payout_id is None:
            problems.append(f"deal {deal.pk}: done but not paid")
        if deal.state in (DealState.CANCELLED, DealState.EXPIRED) and deal.release_id is None:
            problems.append(f"deal {deal.pk}: closed but not released")
        if deal.state == DealState.AGREED and (deal.payout_id or deal.release_id):
            problems.append(f"deal {deal.pk}: agreed but paid or released")
    return problems


def post_kinds() -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in PostKind.choices]
