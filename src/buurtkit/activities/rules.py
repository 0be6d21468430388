"""Registration states as pure rules: which hold a seat, which step may follow which.

waiting ──(a seat frees up)──> offered ──(accepts in time)──> registered
   │                              └──(expires / declines)──> cancelled (seat moves on)
registered → confirmed → attended | no_show
any state before the session → cancelled (a held seat goes to the next on the list)
"""

from __future__ import annotations

import hashlib

REGISTERED = "registered"
CONFIRMED = "confirmed"
WAITING = "waiting"
OFFERED = "offered"
ATTENDED = "attended"
NO_SHOW = "no_show"
CANCELLED = "cancelled"

#: The automated reminder call the day before (``activities.calls``).
REMINDER_CALL = "activities.reminder"
#: The automated call offering a freed seat (``activities.calls``): 1 takes it, 2 passes it on.
OFFER_CALL = "activities.offer"

#: States that occupy one of the session's seats (``Session.seats_taken`` counts them).
HOLDS_SEAT = frozenset({REGISTERED, CONFIRMED, OFFERED, ATTENDED, NO_SHOW})
#: States in which the person still expects to come (reminders go to these).
EXPECTED = frozenset({REGISTERED, CONFIRMED})

NEXT: dict[str, frozenset[str]] = {
    WAITING: frozenset({OFFERED, CANCELLED}),
    OFFERED: frozenset({REGISTERED, CANCELLED}),
    REGISTERED: frozenset({CONFIRMED, ATTENDED, NO_SHOW, CANCELLED}),
    CONFIRMED: frozenset({ATTENDED, NO_SHOW, CANCELLED}),
    ATTENDED: frozenset({NO_SHOW}),  # a check-in by mistake is corrected
    NO_SHOW: frozenset({ATTENDED}),  # a paper list entered afterwards says they came
    CANCELLED: frozenset(),
}


def may_follow(state: str, nxt: str) -> bool:
    return nxt in NEXT.get(state, frozenset())


def seat_change(old: str | None, new: str) -> int:
    """How ``seats_taken`` moves when a registration goes from ``old`` to ``new``."""
    before = 1 if old in HOLDS_SEAT else 0
    after = 1 if new in HOLDS_SEAT else 0
    return after - before


def token_hash(token: str) -> str:
    """What is stored of a cancel link's secret."""
    return hashlib.sha256(token.encode()).hexdigest()
