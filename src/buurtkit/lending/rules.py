"""The device life cycle as pure rules: which event may follow which, and the wipe rule.

A device's state is the kind of its last event. Events are append-only; a mistake is
corrected by a new event, never by editing one.

    received → wiped → refurbished → checked → available → reserved → handed_over
                 ↑                                  ↑ ↓                   ↓
                 └──────────── returned ←───────────┴─ in_repair ←────────┘
    any state in stock → written_off → recycled

No device is handed over without a wipe (with evidence) since it last came in (received or
returned): data of a previous owner never reaches the next one.
"""

from __future__ import annotations

from collections.abc import Iterable

RECEIVED = "received"
WIPED = "wiped"
REFURBISHED = "refurbished"
CHECKED = "checked"
AVAILABLE = "available"
RESERVED = "reserved"
HANDED_OVER = "handed_over"
IN_REPAIR = "in_repair"
RETURNED = "returned"
WRITTEN_OFF = "written_off"
RECYCLED = "recycled"

#: state -> the events that may follow it.
NEXT: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({WIPED, WRITTEN_OFF, RECYCLED}),
    WIPED: frozenset({WIPED, REFURBISHED, CHECKED, WRITTEN_OFF, RECYCLED}),
    REFURBISHED: frozenset({WIPED, CHECKED, IN_REPAIR, WRITTEN_OFF}),
    CHECKED: frozenset({WIPED, AVAILABLE, IN_REPAIR, WRITTEN_OFF}),
    AVAILABLE: frozenset({WIPED, RESERVED, HANDED_OVER, IN_REPAIR, WRITTEN_OFF}),
    RESERVED: frozenset({AVAILABLE, HANDED_OVER}),
    HANDED_OVER: frozenset({RETURNED, IN_REPAIR, WRITTEN_OFF}),
    IN_REPAIR: frozenset({CHECKED, RETURNED, HANDED_OVER, WRITTEN_OFF}),
    RETURNED: frozenset({WIPED, IN_REPAIR, WRITTEN_OFF, RECYCLED}),
    WRITTEN_OFF: frozenset({RECYCLED}),
    RECYCLED: frozenset(),
}
ALL_EVENTS = frozenset(NEXT)
#: The states in which the device is with a resident (not in the digibank's hands).
OUT = frozenset({HANDED_OVER})
#: Events that bring a device in from outside: after them, a wipe is needed again.
COMES_IN = frozenset({RECEIVED, RETURNED})


def may_follow(state: str | None, event: str) -> bool:
    """Whether ``event`` may be recorded on a device whose last event is ``state``."""
    if state is None:
        return event == RECEIVED
    return event in NEXT.get(state, frozenset())


def wiped_since_it_came_in(history: Iterable[tuple[str, bool]]) -> bool:
    """Given (event kind, has wipe evidence) oldest first: is there a wipe with evidence after
    the last time the device came in?"""
    ok = False
    for kind, evidence in history:
        if kind in COMES_IN:
            ok = False
        elif kind == WIPED and evidence:
            ok = True
    return ok
