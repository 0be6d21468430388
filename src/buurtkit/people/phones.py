"""Phone numbers: stored in E.164, validated with ``phonenumbers``, Belgium by default."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _

from buurtkit.core.errors import ValidationFailed


def normalise_phone(
    raw: str, *, field: str = "phone", region: str | None = None
) -> tuple[str, str]:
    """Return ``(e164, kind)`` with kind ``mobile``, ``landline`` or ``other``.

    Raises :class:`ValidationFailed` naming ``field`` when the number is not a real one.
    """
    text = (raw or "").strip()
    if not text:
        return "", ""
    message = _("This is not a valid phone number. Example: 0470 12 34 56 or 09 266 10 10.")
    try:
        number = phonenumbers.parse(text, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(message, fields={field: message}) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(message, fields={field: message})
    kind_code = phonenumbers.number_type(number)
    kind = {
        phonenumbers.PhoneNumberType.MOBILE: "mobile",
        phonenumbers.PhoneNumberType.FIXED_LINE: "landline",
    }.get(kind_code, "other")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), kind


def display_phone(e164: str) -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
