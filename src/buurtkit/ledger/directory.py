"""Reads for setting a circle up and for the public list of places that accept the currency.

The public list shows organisations only (shops and exchange offices: name and address, the
kind of place), never a person: it is what a neighbourhood website may show to anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.ledger.models import Account, AccountKind, Currency, ExchangeOffice
from buurtkit.people.models import Organisation, OrganisationKind

MAX_LISTED = 500  # a neighbourhood has tens of shops; a list this long is an error, not a page


@dataclass(frozen=True)
class Place:
    """A place that accepts the currency, as anyone may read it."""

    name: str
    address: str
    kind: str  # "shop" or "office"
    organisation: str  # the organisation an exchange office is at ("" for a shop)


def accepting_places(*, community: Community, q: str = "") -> tuple[list[Place], list[Place]]:
    """The shops (merchant accounts, not frozen) and the open exchange offices, by name."""
    q = (q or "").strip()[:100]
    shops = (
        Account.objects.in_community(community)
        .filter(kind=AccountKind.MERCHANT, frozen=False, organisation__active=True)
        .select_related("organisation")
        .order_by("organisation__name", "pk")
    )
    offices = (
        ExchangeOffice.objects.in_community(community)
        .filter(active=True)
        .select_related("organisation")
        .order_by("name", "pk")
    )
    if q:
        shops = shops.filter(
            Q(organisation__name__icontains=q) | Q(organisation__address__icontains=q)
        )
        offices = offices.filter(
            Q(name__icontains=q)
            | Q(organisation__name__icontains=q)
            | Q(organisation__address__icontains=q)
        )
    return (
        [
            Place(
                name=a.organisation.name,
                address=a.organisation.address,
                kind="shop",
                organisation="",
            )
            for a in shops[:MAX_LISTED]
            if a.organisation is not None
        ],
        [
            Place(
                name=o.name,
                address=o.organisation.address,
                kind="office",
                organisation=o.organisation.name if o.organisation.name != o.name else "",
            )
            for o in offices[:MAX_LISTED]
        ],
    )


def public_currency(*, community: Community) -> Currency | None:
    return Currency.objects.in_community(community).first()


def setup_organisations(*, actor: Actor) -> list[Organisation]:
    """The community's active organisations, shops first, for the setup forms."""
    actor.require("ledger.manage")
    orgs = list(Organisation.objects.in_community(actor.community).filter(active=True))
    return sorted(orgs, key=lambda o: (o.kind != OrganisationKind.MERCHANT, o.name.lower(), o.pk))


def setup_shops(*, actor: Actor, q: str = "") -> list[Account]:
    """The shops (merchant accounts), by name; ``q`` finds a name or its organisation's."""
    actor.require("ledger.manage")
    qs = (
        Account.objects.in_community(actor.community)
        .filter(kind=AccountKind.MERCHANT)
        .select_related("organisation", "currency")
    )
    q = q.replace("\x00", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(organisation__name__icontains=q))
    return list(qs.order_by("name", "pk"))


def setup_offices(*, actor: Actor, q: str = "") -> list[ExchangeOffice]:
    """The exchange offices, by name; ``q`` finds a name or its organisation's."""
    actor.require("ledger.manage")
    qs = ExchangeOffice.objects.in_community(actor.community).select_related(
        "organisation", "account"
    )
    q = q.replace("\x00", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(organisation__name__icontains=q))
    return list(qs.order_by("name", "pk"))
