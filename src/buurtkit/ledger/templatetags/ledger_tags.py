"""Template filters of the ledger's pages: ``{% load ledger_tags %}``."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from buurtkit.ledger.models import Currency
from buurtkit.ledger.selectors import format_amount

register = template.Library()


@register.filter
def units(amount: int, currency: object) -> str:
    """Minor units as people read them, with the currency's name: ``1250`` → ``12.50 torekes``."""
    if not isinstance(currency, Currency):
        return str(amount)
    name = currency.name(
        (get_language() or "nl")[:2], plural=abs(int(amount)) != 10**currency.decimals
    )
    return f"{format_amount(currency, int(amount))} {name}"
