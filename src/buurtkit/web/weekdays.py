"""The days of the week as forms and pages show them (1 = Monday, as ``isoweekday``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

DAYS = [
    (1, gettext_lazy("Mon")),
    (2, gettext_lazy("Tue")),
    (3, gettext_lazy("Wed")),
    (4, gettext_lazy("Thu")),
    (5, gettext_lazy("Fri")),
    (6, gettext_lazy("Sat")),
    (7, gettext_lazy("Sun")),
]
