"""The questions of an evaluation and of the self-assessment ("mediaprofiel"): the five faces
of satisfaction, and one statement per course category on a scale of 1 to 4. Used by the
services (to check answers), the selectors (to sum them up) and the pages (to ask them)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

#: The self-assessment ("media profile"): one statement per course category, scale 1–4.
STATEMENTS: dict[str, Any] = {
    "find": gettext_lazy("I find the information I need on the internet."),
    "communicate": gettext_lazy("I send messages and e-mails, and make video calls."),
    "problems": gettext_lazy("I solve a small problem with my phone or computer myself."),
    "software": gettext_lazy("I use apps and programs for what I need."),
    "safe": gettext_lazy("I recognise fake messages and keep my data safe."),
    "repair": gettext_lazy("I keep my device up to date and in good shape."),
}
SCALE: dict[int, Any] = {
    1: gettext_lazy("Not at all"),
    2: gettext_lazy("A little"),
    3: gettext_lazy("Quite well"),
    4: gettext_lazy("Very well"),
}
#: Satisfaction as faces with a word (1–5).
FACES: dict[int, tuple[str, Any]] = {
    1: ("😞", gettext_lazy("Very bad")),
    2: ("😕", gettext_lazy("Not good")),
    3: ("😐", gettext_lazy("So-so")),
    4: ("😊", gettext_lazy("Good")),
    5: ("😄", gettext_lazy("Very good")),
}
