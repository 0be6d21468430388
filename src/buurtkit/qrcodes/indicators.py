"""The QR codes' indicators (``core.indicators``): scans by people per code group (tag) and
team. Counted from the nightly roll-up (``CodeDay``): today's scans count from tomorrow."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import chain

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from buurtkit.core.indicators import Fact, Indicator, Measure, month_facts, register_indicators
from buurtkit.people.models import Organisation
from buurtkit.qrcodes.models import CodeDay


def _scans(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    days = CodeDay.objects.in_community(community_id).filter(scans__gt=0)
    return chain(
        month_facts(days, "day", first, after, value=Sum("scans"), dims={"team": "code__owner_id"}),
        # A code with several tags counts in each of them, and once in the total.
        month_facts(
            days.filter(code__tags__isnull=False), "day", first, after, value=Sum("scans"),
            dims={"tag": "code__tags__name"}, total=False,
        ),
    )  # fmt: skip


def _labels(community_id: int, dimension: str) -> dict[str, str]:
    if dimension != "team":
        return {}
    return {
        str(pk): name
        for pk, name in Organisation.objects.in_community(community_id).values_list("pk", "name")
    }


def register() -> None:
    register_indicators(
        Indicator(
            key="qrcodes.scans",
            module="qrcodes",
            label=_("QR scans"),
            unit=_("scans"),
            measure=Measure.COUNT,
            facts=_scans,
            description=_("Scans by people (not by bots), per code group (tag) and team."),
            dimensions=(("tag", _("code group")), ("team", _("team"))),
            labels=_labels,
        )
    )
