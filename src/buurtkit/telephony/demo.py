"""Demo data: the price tables (seeded with the seed's Twilio prices)."""

from __future__ import annotations

from typing import Any

from buurtkit.telephony.services import ensure_prices


def load(community: Any) -> list[tuple[str, str, str]]:
    ensure_prices(community=community)
    return []
