"""The roll-up: the modules' facts counted into ``IndicatorCount`` and ``IndicatorSubject``
(ADR 0016). Every figure monitoring shows is read from these two tables.

``recount(community, indicator, first)`` replaces an indicator's rows from the month ``first``
on (``None``: all of them) with what the module's facts say now, in one transaction: a reader
sees the old rows or the new ones, never half. The recurring job ``monitoring_recount`` (every
15 minutes) recounts the last ``RECOUNT_MONTHS`` months of every indicator of every community
that has monitoring switched on, and everything for an indicator counted for the first time;
``buurtkit monitoring_rebuild`` recounts everything (after a correction of older data).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction

from buurtkit.core import clock
from buurtkit.core.indicators import INDICATORS, Fact, Indicator, Measure, add_months, this_month
from buurtkit.core.indicators import indicators_of as _indicators_of
from buurtkit.core.models import Community
from buurtkit.monitoring.models import IndicatorCount, IndicatorRun, IndicatorSubject
from buurtkit.places.models import Municipality, Place

#: How many months before this one every run counts again (late attendance lists, corrections).
RECOUNT_MONTHS = int(getattr(settings, "MONITORING_RECOUNT_MONTHS", 2))
BATCH = 5000


class _Where:
    """Places' municipalities and neighbourhoods, and postcodes' municipalities."""

    def __init__(self, community_id: int) -> None:
        self.places = {
            pk: (municipality_id, neighbourhood or "")
            for pk, municipality_id, neighbourhood in Place.objects.in_community(
                community_id
            ).values_list("pk", "municipality_id", "neighbourhood")
        }
        self.postcodes: dict[str, int] = {}
        for pk, postcodes in Municipality.objects.in_community(community_id).values_list(
            "pk", "postcodes"
        ):
            for code in postcodes or []:
                self.postcodes.setdefault(str(code).strip(), pk)

    def of(self, fact: Fact) -> tuple[date, int | None, int | None, str]:
        municipality, neighbourhood = fact.municipality_id, fact.neighbourhood[:100]
        if fact.place_id is not None and fact.place_id in self.places:
            place_municipality, place_neighbourhood = self.places[fact.place_id]
            municipality = municipality or place_municipality
            neighbourhood = neighbourhood or place_neighbourhood
        if municipality is None and fact.postcode:
            municipality = self.postcodes.get(fact.postcode)
        return fact.month, fact.place_id, municipality, neighbourhood


def _keys(fact: Fact) -> Iterable[str]:
    if fact.total:
        yield ""
    for dimension, value in fact.dims:
        yield f"{dimension}:{value}"[:80]


@transaction.atomic
def recount(*, community: Community, indicator: Indicator, first: date | None) -> int:
    """Replace ``indicator``'s rows of ``community`` from ``first`` (a month) on; the rows written."""
    run, _created = IndicatorRun.objects.get_or_create(
        community=community,
        indicator=indicator.key,
        defaults={"counted_at": clock.now()},
    )
    run = IndicatorRun.objects.select_for_update().get(pk=run.pk)  # one recount at a time
    where = _Where(community.pk)
    unique = indicator.measure == Measure.UNIQUE
    table: Any = IndicatorSubject if unique else IndicatorCount
    old = table.objects.in_community(community).filter(indicator=indicator.key)
    if first is not None:
        old = old.filter(month__gte=first)
    old.delete()  # plain rows: no relations, no signals
    counts: dict[tuple[Any, ...], int] = defaultdict(int)
    subjects: set[tuple[Any, ...]] = set()
    for fact in indicator.facts(community.pk, first, None):
        if fact.month < (first or fact.month):
            continue
        at = where.of(fact)
        for key in _keys(fact):
            if unique:
                if fact.subject_id is not None:
                    subjects.add((*at, key, fact.subject_id))
            else:
                counts[(*at, key)] += fact.value
    if unique:
        rows: list[Any] = [
            IndicatorSubject(
                community=community, indicator=indicator.key, month=month, place_id=place,
                municipality_id=municipality, neighbourhood=neighbourhood, breakdown=key,
                subject_id=subject,
            )
            for month, place, municipality, neighbourhood, key, subject in subjects
        ]  # fmt: skip
    else:
        rows = [
            IndicatorCount(
                community=community, indicator=indicator.key, month=month, place_id=place,
                municipality_id=municipality, neighbourhood=neighbourhood, breakdown=key,
                value=value,
            )
            for (month, place, municipality, neighbourhood, key), value in counts.items()
            if value
        ]  # fmt: skip
    table.objects.bulk_create(rows, batch_size=BATCH)
    run.counted_at = clock.now()
    run.recounted_from = first
    run.rows = len(rows)
    run.save(update_fields=["counted_at", "recounted_from", "rows"])
    return len(rows)


def recount_community(community: Community, *, full: bool = False) -> int:
    """Recount every indicator this community may ask for: the last months, or everything for
    an indicator never counted here (or with ``full``). Rows written."""
    counted = set(IndicatorRun.objects.in_community(community).values_list("indicator", flat=True))
    since = add_months(this_month(), -RECOUNT_MONTHS)
    written = 0
    for indicator in _indicators_of(community.enabled_modules):
        first = None if full or indicator.key not in counted else since
        written += recount(community=community, indicator=indicator, first=first)
    return written


def recount_all() -> str:
    """The recurring job: every community that has monitoring switched on."""
    communities = [c for c in Community.objects.order_by("pk") if c.has_module("monitoring")]
    written = sum(recount_community(c) for c in communities)
    return f"{len(communities)} communities, {written} rows"


def indicator_keys() -> list[str]:
    return list(INDICATORS.keys())
