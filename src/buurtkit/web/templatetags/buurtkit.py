"""Template filters for plain-language display."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from buurtkit.people.phones import display_phone

register = template.Library()

VERBS = {
    "community.updated": _("community settings changed"),
    "person.created": _("person added"),
    "person.updated": _("details changed"),
    "person.consent": _("consent recorded"),
    "person.exported": _("data downloaded"),
    "person.anonymised": _("anonymised"),
    "person.login_created": _("login created"),
    "login.password_reset": _("password reset by staff"),
    "organisation.created": _("organisation added"),
    "organisation.updated": _("organisation changed"),
    "membership.granted": _("role given"),
    "membership.updated": _("role changed"),
    "apikey.created": _("API key made"),
    "apikey.revoked": _("API key revoked"),
    "message.queued": _("message sent"),
    "ledger.pin_set": _("payment PIN set"),
    "ledger.pin_reset": _("payment PIN reset at the counter"),
    "ledger.pin_wrong": _("wrong payment PIN"),
    "ledger.pin_locked": _("payment PIN locked"),
    "ledger.sessions_ended": _("signed out everywhere (lost phone)"),
}


@register.filter
def phone(value: str) -> str:
    """+3293633127 → +32 9 363 31 27: easier to read out and to dial."""
    return display_phone(value or "")


@register.filter
def verb(value: str) -> str:
    return str(VERBS.get(value, value))


@register.filter
def units(amount: int, currency: object) -> str:
    """Minor units as people read them, with the currency's name: ``1250`` → ``12.50 torekes``."""
    from django.utils.translation import get_language

    from buurtkit.ledger.models import Currency
    from buurtkit.ledger.selectors import format_amount

    if not isinstance(currency, Currency):
        return str(amount)
    name = currency.name(
        (get_language() or "nl")[:2], plural=abs(int(amount)) != 10**currency.decimals
    )
    return f"{format_amount(currency, int(amount))} {name}"


@register.filter
def euro(cents: int) -> str:
    return f"€ {int(cents) // 100},{int(cents) % 100:02d}"
