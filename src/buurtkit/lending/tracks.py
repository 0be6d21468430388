"""The device bank's part of a person's digital track (core.tracks): devices received."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from buurtkit.core.tracks import TrackEvent, register_track_provider
from buurtkit.lending.models import AgreementKind, DeviceKind, HandOver, HandOverDevice


def _events(community_id: int, person_id: int) -> Iterator[TrackEvent]:
    handovers = list(
        HandOver.objects.in_community(community_id)
        .filter(person_id=person_id)
        .order_by("handed_at")
        .values_list("pk", "handed_at", "kind")
    )
    kinds: dict[int, list[str]] = {}
    for handover_id, kind in (
        HandOverDevice.objects.in_community(community_id)
        .filter(handover_id__in=[h[0] for h in handovers])
        .values_list("handover_id", "device__kind")
    ):
        kinds.setdefault(handover_id, []).append(str(DeviceKind(kind).label))
    for pk, at, kind in handovers:
        devices = ", ".join(kinds.get(pk, []))
        yield TrackEvent(
            at=at,
            module="lending",
            what=_("Device received"),
            detail=f"{devices} ({AgreementKind(kind).label})" if devices else "",
        )


def register() -> None:
    register_track_provider("lending.devices", "lending", _events)
