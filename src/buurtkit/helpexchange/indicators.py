"""The help exchange's indicators (``core.indicators``, counted by monitoring): deals done,
torekes rewarded and posts per kind. Help happens at no place: a figure counts in the
post's neighbourhood and in the municipality of the poster's postcode."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from buurtkit.core.indicators import Fact, Indicator, Measure, month_facts, register_indicators
from buurtkit.helpexchange.models import Category, Deal, DealState, Post, PostKind
from buurtkit.ledger.models import Currency

# Where a deal and a post count (a deal through its post).
_POST_WHERE = {"neighbourhood": "neighbourhood", "postcode": "person__postcode"}
_DEAL_WHERE = {"neighbourhood": "post__neighbourhood", "postcode": "post__person__postcode"}


def _done(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    """Deals both sides (or staff) confirmed, in the month they were done."""
    return month_facts(
        Deal.objects.in_community(community_id).filter(state=DealState.DONE),
        "closed_at",
        first,
        after,
        where=_DEAL_WHERE,
        dims={"category": "post__category"},
    )


def _rewarded(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    """Rewards paid to helpers (done deals with a payout), in whole torekes."""
    decimals = (
        Currency.objects.in_community(community_id).values_list("decimals", flat=True).first()
    ) or 0
    for fact in month_facts(
        Deal.objects.in_community(community_id).filter(
            state=DealState.DONE, payout__isnull=False, reward__gt=0
        ),
        "closed_at",
        first,
        after,
        value=Sum("reward"),
        where=_DEAL_WHERE,
        dims={"category": "post__category"},
    ):
        yield replace(fact, value=round(fact.value / 10**decimals)) if decimals else fact


def _posts(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    """Requests and offers posted (whatever became of them)."""
    return month_facts(
        Post.objects.in_community(community_id),
        "created_at",
        first,
        after,
        where=_POST_WHERE,
        dims={"kind": "kind", "category": "category"},
    )


def _labels(community_id: int, dimension: str) -> dict[str, str]:
    choices = PostKind.choices if dimension == "kind" else Category.choices
    return {value: str(label) for value, label in choices}


def register() -> None:
    register_indicators(
        Indicator(
            key="helpexchange.deals_done",
            module="helpexchange",
            label=_("Help given (deals done)"),
            unit=_("deals"),
            measure=Measure.COUNT,
            facts=_done,
            description=_("Requests and offers where both sides confirmed the help was given."),
            dimensions=(("category", _("category")),),
            labels=_labels,
        ),
        Indicator(
            key="helpexchange.torekes_rewarded",
            module="helpexchange",
            label=_("Torekes rewarded for help"),
            unit=_("torekes"),
            measure=Measure.COUNT,
            facts=_rewarded,
            description=_("Rewards paid to helpers from organisations' budgets."),
            dimensions=(("category", _("category")),),
            labels=_labels,
        ),
        Indicator(
            key="helpexchange.posts",
            module="helpexchange",
            label=_("Requests and offers posted"),
            unit=_("posts"),
            measure=Measure.COUNT,
            facts=_posts,
            description=_("New requests for help and offers of help."),
            dimensions=(("kind", _("request or offer")), ("category", _("category"))),
            labels=_labels,
        ),
    )
