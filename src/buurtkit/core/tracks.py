"""A person's "digital track": what each module did with one person, in order.

Each feature module that serves residents registers a *track provider* (in its
``indicators.py``, next to its indicators) that lists its events for one person: a device
received, a course attended, a helpdesk question, a currency account opened… Monitoring
gathers them for staff allowed to see a track (``monitoring.track``) without importing the
modules (ADR 0016's rule). Events carry a time, the module and a short text; no other
person's name appears in them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise

from buurtkit.core.registry import Registry


@dataclass(frozen=True)
class TrackEvent:
    at: datetime  # aware
    module: str  # a ``core.modules.MODULES`` key
    what: str | Promise  # "Device received", "Came to a session"
    detail: str = ""  # "laptop (loan)", "IT café — 3 March"


TrackProvider = Callable[[int, int], Iterable[TrackEvent]]  # (community_id, person_id)

TRACK_PROVIDERS: Registry[str, tuple[str, TrackProvider]] = Registry("track providers")


def register_track_provider(key: str, module: str, provider: TrackProvider) -> None:
    """Called from a module's ``indicators.register()``; ``key`` is unique ("lending.devices")."""
    TRACK_PROVIDERS.register_once(key, (module, provider))
