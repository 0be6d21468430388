"""``{{ cents|euro }}``: an amount in euro cents as people read it (1.234,56 in Dutch)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def euro(cents: int | None) -> str:
    if cents is None:
        return "—"
    amount = Decimal(int(cents)) / 100
    return "€ " + formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
