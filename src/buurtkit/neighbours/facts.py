"""The facts of a pair, computed once in Python and handed to the rules.

Experts write rules over these names, never over code. A :class:`Profile` is what matching
knows of one participant (also the shape of a test case's example profile).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from buurtkit.core.errors import ValidationFailed

#: Fact name -> what it means (shown to the people who write rules).
FACTS: dict[str, str] = {
    "distance_m": "metres between the two (null when a location is missing)",
    "within_reach": "the distance is known and within both people's maximum distance",
    "same_neighbourhood": "both have the same neighbourhood code",
    "shared_interests": "number of interests they share",
    "shared_activities": "number of activities (coffee, walk, small help) they both want",
    "shared_activity_names": "the activities they both want, as a list",
    "language_match": "they speak the same language",
    "window_overlap_minutes": "minutes per week in both people's call windows",
    "introduced_before": "they were introduced to each other before",
    "declined_before": "one of them declined the other before",
    "both_social": "both are looking for social contact",
    "one_offers_what_other_needs": "one can offer something the other would like help with",
    "max_distance_m": "the smaller of the two maximum distances",
}

TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
MINUTES_PER_WEEK = 7 * 24 * 60
LAT_M = 111_320.0  # metres per degree of latitude


def _minutes(text: str) -> int:
    if text == "24:00":
        return 24 * 60
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def clean_windows(windows: Any, *, field: str = "call_windows") -> list[dict[str, Any]]:
    """Check call windows: ``[{"days": [1..7], "from": "HH:MM", "to": "HH:MM"}]``."""
    message = _('Give call windows as days 1 (Monday) to 7 and times "HH:MM", from before to.')
    if not isinstance(windows, list) or len(windows) > 21:
        raise ValidationFailed(message, fields={field: message})
    cleaned = []
    for window in windows:
        if not isinstance(window, Mapping):
            raise ValidationFailed(message, fields={field: message})
        days, start, end = window.get("days"), window.get("from"), window.get("to")
        if (
            not isinstance(days, list)
            or not days
            or any(not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 7 for d in days)
            or not isinstance(start, str)
            or not isinstance(end, str)
            or not TIME_RE.match(start)
            or not TIME_RE.match(end)
            or _minutes(start) >= _minutes(end)
        ):
            raise ValidationFailed(message, fields={field: message})
        cleaned.append({"days": sorted(set(days)), "from": start, "to": end})
    return cleaned


def window_mask(windows: Iterable[Mapping[str, Any]]) -> int:
    """The week as a bit mask with one bit per minute, set inside a window (exact overlaps)."""
    mask = 0
    for window in windows:
        start, end = _minutes(window["from"]), _minutes(window["to"])
        span = ((1 << (end - start)) - 1) << start
        for day in window["days"]:
            mask |= span << ((day - 1) * 1440)
    return mask


def round_location(lat: float | None, lon: float | None) -> tuple[float | None, float | None]:
    """Round to 3 decimals of latitude (about 110 m) and a matching step of longitude."""
    if lat is None or lon is None:
        return None, None
    step = 0.001 / max(math.cos(math.radians(lat)), 0.1)  # about 110 m east-west as well
    return round(lat, 3), round(round(lon / step) * step, 5)


@dataclass(slots=True)
class Profile:
    """What the matching knows of one participant, prepared for fast pair facts."""

    id: int
    language: str
    interests: frozenset[str]
    activities: frozenset[str]
    max_distance_m: int
    social: bool
    can_offer: frozenset[str]
    needs: frozenset[str]
    neighbourhood: str
    x: float | None  # metres east, equirectangular around the community
    y: float | None
    windows: int

    @classmethod
    def from_values(
        cls, values: Mapping[str, Any], *, pk: int = 0, ref_lat: float = 51.0
    ) -> Profile:
        lat, lon = values.get("lat"), values.get("lon")
        has_location = lat is not None and lon is not None
        return cls(
            id=pk,
            language=str(values.get("language") or "nl"),
            interests=frozenset(values.get("interests") or ()),
            activities=frozenset(values.get("activities") or ()),
            max_distance_m=int(values.get("max_distance_m") or 1000),
            social=(values.get("wish") or "social") in ("social", "both"),
            can_offer=frozenset(values.get("can_offer") or ()),
            needs=frozenset(values.get("needs") or ()),
            neighbourhood=str(values.get("neighbourhood") or ""),
            x=float(lon) * LAT_M * math.cos(math.radians(ref_lat)) if has_location else None,  # type: ignore[arg-type]
            y=float(lat) * LAT_M if has_location else None,  # type: ignore[arg-type]
            windows=window_mask(values.get("call_windows") or ()),
        )


def distance_m(a: Profile, b: Profile) -> float | None:
    if a.x is None or b.x is None or a.y is None or b.y is None:
        return None
    return math.hypot(a.x - b.x, a.y - b.y)


def pair_facts(
    a: Profile, b: Profile, *, introduced_before: bool = False, declined_before: bool = False
) -> dict[str, Any]:
    """The named facts of a pair (symmetric in ``a`` and ``b``)."""
    dist = distance_m(a, b)
    reach = min(a.max_distance_m, b.max_distance_m)
    shared_acts = a.activities & b.activities
    return {
        "distance_m": None if dist is None else round(dist),
        "within_reach": dist is not None and dist <= reach,
        "same_neighbourhood": bool(a.neighbourhood) and a.neighbourhood == b.neighbourhood,
        "shared_interests": len(a.interests & b.interests),
        "shared_activities": len(shared_acts),
        "shared_activity_names": sorted(shared_acts),
        "language_match": a.language == b.language,
        "window_overlap_minutes": (a.windows & b.windows).bit_count(),
        "introduced_before": introduced_before,
        "declined_before": declined_before,
        "both_social": a.social and b.social,
        "one_offers_what_other_needs": bool(a.can_offer & b.needs or b.can_offer & a.needs),
        "max_distance_m": reach,
    }
