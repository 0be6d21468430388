"""The community currency's indicators (``core.indicators``): torekes issued, redeemed and in
circulation, and active accounts. Amounts are whole units of the currency (torekes)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from itertools import chain

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from buurtkit.core.indicators import Fact, Indicator, Measure, month_facts, register_indicators
from buurtkit.ledger.models import AccountKind, Currency, SystemRole, Transfer


def _whole(community_id: int, facts: Iterator[Fact]) -> Iterator[Fact]:
    """Minor units to whole units of the community's currency (rounded per month and place)."""
    decimals = (
        Currency.objects.in_community(community_id).values_list("decimals", flat=True).first()
    ) or 0
    for fact in facts:
        yield replace(fact, value=round(fact.value / 10**decimals)) if decimals else fact


def _flow(community_id: int, role: str, first: date | None, after: date | None) -> Iterator[Fact]:
    """Money leaving the system account ``role`` (issuance) or reaching it (redemption), net of
    corrections that move it back."""
    transfers = Transfer.objects.in_community(community_id)
    out_side, in_side = ("debit", "credit") if role == SystemRole.ISSUANCE else ("credit", "debit")
    person = f"{in_side}__person__postcode"
    return _whole(
        community_id,
        chain(
            month_facts(
                transfers.filter(**{f"{out_side}__system_role": role}), "at", first, after,
                value=Sum("amount"), postcode=person,
            ),
            month_facts(
                transfers.filter(**{f"{in_side}__system_role": role}), "at", first, after,
                value=Sum("amount"), sign=-1, postcode=f"{out_side}__person__postcode",
            ),
        ),
    )  # fmt: skip


def _issued(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    return _flow(community_id, SystemRole.ISSUANCE, first, after)


def _redeemed(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    return _flow(community_id, SystemRole.REDEMPTION, first, after)


def _circulation(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    return chain(
        _issued(community_id, first, after),
        (replace(f, value=-f.value) for f in _redeemed(community_id, first, after)),
    )


def _active(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    """Accounts (not the system's) with a transfer in or out, each counted once."""
    transfers = Transfer.objects.in_community(community_id)
    return chain(
        *(
            month_facts(
                transfers.exclude(**{f"{side}__kind": AccountKind.SYSTEM}),
                "at",
                first,
                after,
                subject=f"{side}_id",
                postcode=f"{side}__person__postcode",
                dims={"account": f"{side}__kind"},
            )
            for side in ("debit", "credit")
        )
    )


def _labels(community_id: int, dimension: str) -> dict[str, str]:
    return {value: str(label) for value, label in AccountKind.choices}


def register() -> None:
    register_indicators(
        Indicator(
            key="ledger.issued",
            module="ledger",
            label=_("Torekes issued"),
            unit=_("torekes"),
            measure=Measure.COUNT,
            facts=_issued,
            description=_("Money put into circulation (rewards, budgets), net of corrections."),
        ),
        Indicator(
            key="ledger.redeemed",
            module="ledger",
            label=_("Torekes redeemed"),
            unit=_("torekes"),
            measure=Measure.COUNT,
            facts=_redeemed,
            description=_("Money converted to euro by shops, net of corrections."),
        ),
        Indicator(
            key="ledger.in_circulation",
            module="ledger",
            label=_("Torekes in circulation"),
            unit=_("torekes"),
            measure=Measure.LEVEL,
            facts=_circulation,
            description=_("Issued minus redeemed, at the end of the period."),
        ),
        Indicator(
            key="ledger.active_accounts",
            module="ledger",
            label=_("Active accounts"),
            unit=_("accounts"),
            measure=Measure.UNIQUE,
            facts=_active,
            description=_("Accounts of residents, shops and organisations with a transfer."),
            dimensions=(("account", _("kind of account")),),
            labels=_labels,
            subject="account",
        ),
    )
    from buurtkit.ledger import tracks

    tracks.register()
