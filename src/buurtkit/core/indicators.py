"""Indicators: what the modules count, in one registry the monitoring module reads.

Each feature module describes its indicators in ONE file, ``<app>/indicators.py``, loaded from
its ``AppConfig.ready()``; monitoring never imports a module's models (ADR 0016).

An :class:`Indicator` says what it counts (a key, its module, a label and a unit), how its
figures add up over a period (:class:`Measure`) and how to count it: ``facts(community_id,
first, after)`` yields :class:`Fact` rows, already grouped per month in the database, for the
months ``first`` up to (not including) ``after`` (``None``: no bound). A fact says where it
happened (place, municipality, neighbourhood; for what happens at no place, the postcode of
where the person lives, turned into the municipality by monitoring) and, for indicators that
count people or things once, *who or what* (``subject_id``: a person's id for people). That
list of subjects is how an indicator that reaches people lists the people it reached.

Periods are whole calendar months in Brussels time. Nothing that lies after "now" is counted
(a session planned for next week has not been held yet).

:func:`month_facts` turns a queryset into facts in one ``GROUP BY``; most indicators are a
few lines around it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.functional import Promise

from buurtkit.core import clock
from buurtkit.core.registry import Registry

BRUSSELS = ZoneInfo("Europe/Brussels")


class Measure(StrEnum):
    """How an indicator's figures add up over a period of months."""

    #: Things that happened in the period, added up (sessions held, devices handed out).
    COUNT = "count"
    #: People or things counted once in the period however often they appear (participants).
    UNIQUE = "unique"
    #: A stock at the end of the period: the facts are changes (+1 opened, -1 closed) and the
    #: value is their sum from the beginning up to the period's end (digipunten open).
    LEVEL = "level"


@dataclass(frozen=True)
class Fact:
    """One counted row: a month (its first day), a value and where it happened."""

    month: date
    value: int = 1
    place_id: int | None = None
    municipality_id: int | None = None
    neighbourhood: str = ""
    #: Where the person lives, for what happens at no place (monitoring finds the municipality).
    postcode: str = ""
    #: :attr:`Measure.UNIQUE`: who or what is counted once (a person's id when it reaches people).
    subject_id: int | None = None
    #: The breakdowns this row belongs to: ``(("kind", "it_cafe"), ("category", "4"))``.
    dims: tuple[tuple[str, str], ...] = ()
    #: False: the row feeds only its breakdowns, not the total (a code counted once per tag
    #: it has: the tags overlap, the total must not).
    total: bool = True


FactsFn = Callable[[int, date | None, date | None], Iterable[Fact]]
LabelsFn = Callable[[int, str], dict[str, str]]


@dataclass(frozen=True)
class Indicator:
    key: str  # "<module>.<name>", stable: plans and reports refer to it
    module: str  # a ``core.modules.MODULES`` key (or a foundation: "places")
    label: str | Promise
    unit: str | Promise  # plural noun: "sessions", "devices", "torekes"
    measure: Measure
    facts: FactsFn
    description: str | Promise = ""
    #: The breakdowns it can be split by: ``(("kind", _("kind of activity")), …)``.
    dimensions: tuple[tuple[str, str | Promise], ...] = ()
    #: ``labels(community_id, dimension)`` -> {value: label} for values that are not plain words.
    labels: LabelsFn | None = None
    #: Whose ids ``Fact.subject_id`` holds (UNIQUE): "person", "account", "place", …
    subject: str = ""
    #: Its subjects are residents it reached: they count in the unique reach across modules.
    reaches_people: bool = False
    #: Whether the module is a switchable module (``False`` for a foundation such as places).
    switchable: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


INDICATORS: Registry[str, Indicator] = Registry("indicators")


def register_indicators(*indicators: Indicator) -> None:
    """Called from a module's ``AppConfig.ready()`` (its ``indicators.py``)."""
    for indicator in indicators:
        if not indicator.key.startswith(indicator.module + "."):
            raise ValueError(f"indicator {indicator.key!r} must start with {indicator.module!r}.")
        if indicator.measure == Measure.UNIQUE and not indicator.subject:
            raise ValueError(f"indicator {indicator.key!r} counts unique subjects: name them.")
        INDICATORS.register_once(indicator.key, indicator)


# --- months -------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, n: int) -> date:
    month = day.month - 1 + n
    return date(day.year + month // 12, month % 12 + 1, 1)


def months_between(first: date, after: date) -> list[date]:
    months, month = [], month_start(first)
    while month < after:
        months.append(month)
        month = add_months(month, 1)
    return months


def local_month(value: datetime | date) -> date:
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, BRUSSELS)
        return value.date().replace(day=1)
    return value.replace(day=1)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BRUSSELS)


def this_month() -> date:
    return timezone.localtime(clock.now(), BRUSSELS).date().replace(day=1)


# --- facts from a queryset ------------------------------------------------------------------


def month_facts(
    qs: QuerySet[Any],
    at: str,
    first: date | None,
    after: date | None,
    *,
    place: str | None = None,
    municipality: str | None = None,
    neighbourhood: str | None = None,
    postcode: str | None = None,
    subject: str | None = None,
    dims: dict[str, str] | None = None,
    value: Any = None,
    sign: int = 1,
    total: bool = True,
    where: Mapping[str, str] | None = None,
) -> Iterator[Fact]:
    """Facts from ``qs``, grouped per month of the field ``at`` (Brussels) in the database.

    ``place``, ``municipality``, ``neighbourhood``, ``postcode`` and ``dims`` name fields (or
    lookups) of ``qs``; ``subject`` names the field counted once (the facts are then distinct
    subjects per month and place, value 1); ``value`` is the aggregate to add up (default: the
    number of rows); ``where`` gives place/municipality/neighbourhood/postcode in one mapping.
    Only what lies before now is counted.
    """
    where = where or {}
    place = place or where.get("place")
    municipality = municipality or where.get("municipality")
    neighbourhood = neighbourhood or where.get("neighbourhood")
    postcode = postcode or where.get("postcode")
    model_field = qs.model._meta.get_field(at.split("__")[0]) if "__" not in at else None
    is_date = isinstance(model_field, models.DateField) and not isinstance(
        model_field, models.DateTimeField
    )
    now = clock.now()
    if is_date:
        today = timezone.localtime(now, BRUSSELS).date()
        qs = qs.filter(**{f"{at}__lte": today})
        if first is not None:
            qs = qs.filter(**{f"{at}__gte": first})
        if after is not None:
            qs = qs.filter(**{f"{at}__lt": after})
        month_expr = TruncMonth(at)
    else:
        qs = qs.filter(**{f"{at}__lt": now})
        if first is not None:
            qs = qs.filter(**{f"{at}__gte": day_start(first)})
        if after is not None:
            qs = qs.filter(**{f"{at}__lt": day_start(after)})
        month_expr = TruncMonth(at, tzinfo=BRUSSELS)
    names: dict[str, str] = {}
    for name, lookup in (
        ("place", place),
        ("municipality", municipality),
        ("neighbourhood", neighbourhood),
        ("postcode", postcode),
        ("subject", subject),
    ):
        if lookup:
            names[name] = lookup
    dim_names = {f"dim_{d}": lookup for d, lookup in (dims or {}).items()}
    columns = {**names, **dim_names}
    grouped = qs.annotate(_month=month_expr).order_by()
    if subject:
        rows = grouped.values("_month", *columns.values()).distinct()
    else:
        rows = grouped.values("_month", *columns.values()).annotate(
            _n=value if value is not None else Count("pk")
        )
    for row in rows.iterator(chunk_size=5000):
        n = 1 if subject else (row["_n"] or 0)
        if not n:
            continue
        yield Fact(
            month=local_month(row["_month"]),
            value=sign * int(n),
            place_id=row.get(names["place"]) if "place" in names else None,
            municipality_id=row.get(names["municipality"]) if "municipality" in names else None,
            neighbourhood=(row.get(names["neighbourhood"]) or "").strip()
            if "neighbourhood" in names
            else "",
            postcode=(row.get(names["postcode"]) or "").strip() if "postcode" in names else "",
            subject_id=row.get(names["subject"]) if subject else None,
            dims=tuple(
                (d[4:], "" if row.get(lookup) is None else str(row.get(lookup)))
                for d, lookup in dim_names.items()
            ),
            total=total,
        )


def indicators_of(enabled_modules: Iterable[str]) -> list[Indicator]:
    """The indicators a community with these modules switched on may ask for."""
    enabled = set(enabled_modules)
    return [i for i in INDICATORS.values() if not i.switchable or i.module in enabled]
