"""The device bank's indicators (``core.indicators``): devices handed out, people served and
households online."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from django.utils.translation import gettext_lazy as _

from buurtkit.core.indicators import Fact, Indicator, Measure, month_facts, register_indicators
from buurtkit.lending.models import (
    AgreementKind,
    Connectivity,
    DeviceKind,
    HandOver,
    HandOverDevice,
)

#: A hand-over that recorded an internet connection at home: the household is online.
ONLINE = (Connectivity.OWN, Connectivity.SOCIAL_TARIFF, Connectivity.VOUCHER)


def _devices(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    return month_facts(
        HandOverDevice.objects.in_community(community_id),
        "handover__handed_at",
        first,
        after,
        place="handover__place_id",
        municipality="handover__place__municipality_id",
        neighbourhood="handover__place__neighbourhood",
        postcode="handover__person__postcode",
        dims={"as": "handover__kind", "device": "device__kind"},
    )


def _people(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    return month_facts(
        HandOver.objects.in_community(community_id).filter(person__isnull=False),
        "handed_at",
        first,
        after,
        place="place_id",
        municipality="place__municipality_id",
        neighbourhood="place__neighbourhood",
        postcode="person__postcode",
        subject="person_id",
    )


def _online(community_id: int, first: date | None, after: date | None) -> Iterator[Fact]:
    return month_facts(
        HandOver.objects.in_community(community_id).filter(
            person__isnull=False, connectivity__in=ONLINE
        ),
        "handed_at",
        first,
        after,
        place="place_id",
        municipality="place__municipality_id",
        neighbourhood="place__neighbourhood",
        postcode="person__postcode",
        subject="person_id",
        dims={"connection": "connectivity"},
    )


def _labels(community_id: int, dimension: str) -> dict[str, str]:
    choices = {"as": AgreementKind, "device": DeviceKind, "connection": Connectivity}[dimension]
    return {value: str(label) for value, label in choices.choices}


def register() -> None:
    register_indicators(
        Indicator(
            key="lending.devices_handed_out",
            module="lending",
            label=_("Devices handed out"),
            unit=_("devices"),
            measure=Measure.COUNT,
            facts=_devices,
            description=_("Devices handed over to residents: given, lent or sold."),
            dimensions=(("as", _("handed over as")), ("device", _("kind of device"))),
            labels=_labels,
        ),
        Indicator(
            key="lending.people_served",
            module="lending",
            label=_("People served with a device"),
            unit=_("people"),
            measure=Measure.UNIQUE,
            facts=_people,
            description=_("Residents who received a device, each counted once."),
            subject="person",
            reaches_people=True,
        ),
        Indicator(
            key="lending.households_online",
            module="lending",
            label=_("Households online"),
            unit=_("households"),
            measure=Measure.UNIQUE,
            facts=_online,
            description=_(
                "Households that had internet at home (their own, at social tariff or with a "
                "voucher) when they received a device, each counted once."
            ),
            dimensions=(("connection", _("connection")),),
            labels=_labels,
            subject="person",
            reaches_people=True,
        ),
    )
    from buurtkit.lending import tracks

    tracks.register()
