"""Template filters for plain-language display."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from buurtkit.core.errors import ValidationFailed
from buurtkit.people.phones import display_phone, normalise_phone
from buurtkit.web.registry import AUDIT_VERBS

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
}  # the feature modules add theirs to web.registry.AUDIT_VERBS


@register.filter
def in_language(values: Any) -> str:
    """A text entered per language (``{"nl": …, "fr": …}``) in the reader's language."""
    from django.utils import translation

    from buurtkit.core.texts import translated

    return translated(values, translation.get_language() or "nl")


@register.filter
def phone(value: str) -> str:
    """+3293633127 → +32 9 363 31 27: easier to read out and to dial."""
    return display_phone(value or "")


@register.filter
def verb(value: str) -> str:
    return str(VERBS.get(value) or AUDIT_VERBS.get(value) or value)


@register.filter
def euro(cents: int) -> str:
    """Euro cents as the reader's language writes them: ``€ 1.234,56`` (nl), ``€ 1,234.56``
    (en), ``€ 1 234,56`` (fr); a minus sign before the figure (``€ -2,50``, not ``€ -3,50``)."""
    amount = Decimal(int(cents)) / 100
    return "€ " + number_format(amount, 2, force_grouping=True)


@register.filter
def contact_link(value: str) -> SafeString | str:
    """A contact as something to tap on a phone: a phone number becomes a ``tel:`` link (with
    the number in full, +32…), an e-mail address a ``mailto:`` link; other text stays text."""
    text = str(value or "").strip()
    if not text:
        return ""
    if "@" in text and " " not in text:
        return format_html('<a href="mailto:{}">{}</a>', text, text)
    try:
        number, _kind = normalise_phone(text)
    except ValidationFailed:
        return text
    return format_html('<a href="tel:{}">{}</a>', number, text) if number else text
