"""Issue 17 item 11: a call names what the pair was matched on (not always "a coffee"), with a
practical-help variant; checked on the words (here) and on a real simulated call (e2e file)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from buurtkit.neighbours.callflows import activity_text

pytestmark = pytest.mark.engine_independent  # pure text, no database


def p(**values: Any) -> SimpleNamespace:
    base = {"activities": [], "wish": "social", "can_offer": [], "needs": []}
    return SimpleNamespace(**{**base, **values})


@pytest.mark.parametrize(
    ("me", "partner", "language", "expected"),
    [
        (p(activities=["walk"]), p(activities=["walk", "coffee"]), "en", "a walk together"),
        (p(activities=["walk"]), p(activities=["walk"]), "nl", "een wandeling samen"),
        (p(activities=["coffee", "walk"]), p(activities=["walk", "coffee"]), "en",
         "a coffee or a walk together"),
        (p(activities=["small_help"]), p(activities=["small_help"]), "fr", "un petit coup de main"),
        # The practical-help variant: the one who asked hears what they get, the helper what
        # they give.
        (p(wish="practical", needs=["shopping"]), p(can_offer=["shopping"]), "en",
         "help with shopping"),
        (p(can_offer=["shopping"]), p(wish="practical", needs=["shopping"]), "nl",
         "uw hulp bij de boodschappen"),
        (p(wish="both", activities=["coffee"], needs=["paperwork"]),
         p(activities=["coffee"], can_offer=["paperwork"]), "en", "a coffee together"),
        (p(), p(), "en", "a chat"),
    ],
)  # fmt: skip
def test_the_activity_the_pair_shares(
    me: SimpleNamespace, partner: SimpleNamespace, language: str, expected: str
) -> None:
    assert activity_text(me, partner, language) == expected
