"""The helpdesk's indicators (``core.indicators``): tickets per channel and category, and home
visits done (the seed's target: 100 or 200 a year).

A median (the first-response time) is not a sum of monthly facts, so the registry cannot
hold it; the staff overview shows it (``helpdesk.overview``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from django.utils.translation import gettext_lazy as _

from buurtkit.core.indicators import Fact, Indicator, Measure, month_facts, register_indicators
from buurtkit.helpdesk.models import Category, Channel, HomeVisit, Ticket, VisitStatus


def _tickets(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    return month_facts(
        Ticket.objects.in_community(community_id),
        "created_at",
        first,
        after,
        place="place_id",
        municipality="place__municipality_id",
        neighbourhood="place__neighbourhood",
        postcode="person__postcode",
        dims={"channel": "channel", "category": "category__key"},
    )


def _visits(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    return month_facts(
        HomeVisit.objects.in_community(community_id).filter(status=VisitStatus.DONE),
        "checked_out_at",
        first,
        after,
        postcode="ticket__person__postcode",
        neighbourhood="ticket__person__neighbourhood",
        dims={"category": "ticket__category__key"},
    )


def _labels(community_id: int, dimension: str) -> dict[str, str]:
    if dimension == "channel":
        return {value: str(label) for value, label in Channel.choices}
    return {
        c.key: str(c.name.get("nl") or c.key) for c in Category.objects.in_community(community_id)
    }


def register() -> None:
    register_indicators(
        Indicator(
            key="helpdesk.tickets",
            module="helpdesk",
            label=_("Helpdesk questions"),
            unit=_("questions"),
            measure=Measure.COUNT,
            facts=_tickets,
            description=_(
                "Questions that came in at the helpdesk, by every channel (requests for help at "
                "home included)."
            ),
            dimensions=(("channel", _("came in by")), ("category", _("topic"))),
            labels=_labels,
        ),
        Indicator(
            key="helpdesk.home_visits",
            module="helpdesk",
            label=_("Home visits done"),
            unit=_("visits"),
            measure=Measure.COUNT,
            facts=_visits,
            description=_(
                "Visits at home by a digibuddy or an outside provider that took place (the "
                "visitor checked out), in the month they ended."
            ),
            dimensions=(("category", _("topic")),),
            labels=_labels,
        ),
    )
