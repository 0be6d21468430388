"""A form's fields and the answers to them: checked per field, every problem named."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from buurtkit.core.errors import (
    ValidationFailed,
)
from buurtkit.people.phones import normalise_phone
from buurtkit.qrcodes import codes
from buurtkit.qrcodes.actions import clean_texts
from buurtkit.qrcodes.models import (
    Form,
)
from buurtkit.qrcodes.services._rules import _invalid

FIELD_TYPES = ("text", "number", "choice", "date", "phone", "email", "checkbox")
MAX_FIELDS = 30


def _clean_fields(fields: Any) -> list[dict[str, Any]]:
    if not isinstance(fields, list) or not fields:
        raise _invalid("fields", _("A form needs at least one field."))
    if len(fields) > MAX_FIELDS:
        raise _invalid("fields", _("A form has at most %(n)d fields.") % {"n": MAX_FIELDS})
    cleaned: list[dict[str, Any]] = []
    keys: set[str] = set()
    for number, field in enumerate(fields, start=1):
        where = _("Field %(n)d") % {"n": number}
        if not isinstance(field, dict):
            raise _invalid("fields", f"{where}: " + _("a field must be an object."))
        kind = field.get("type")
        if kind not in FIELD_TYPES:
            raise _invalid(
                "fields",
                f"{where}: "
                + _("the type must be one of %(types)s.") % {"types": ", ".join(FIELD_TYPES)},
            )
        key = str(field.get("key") or f"field{number}").strip().lower()[:40]
        if not codes.SLUG_RE.match(key.replace("_", "-")) and not key.isalnum():
            raise _invalid("fields", f"{where}: " + _("the key may hold letters, digits, - and _."))
        if key in keys:
            raise _invalid(
                "fields", f"{where}: " + _("two fields have the key “%(key)s”.") % {"key": key}
            )
        keys.add(key)
        out: dict[str, Any] = {
            "key": key,
            "type": kind,
            "label": clean_texts(field.get("label"), "fields", max_length=200),
            "required": bool(field.get("required", False)),
        }
        if kind == "choice":
            choices = field.get("choices")
            if not isinstance(choices, list) or len(choices) < 2 or len(choices) > 20:
                raise _invalid("fields", f"{where}: " + _("give 2 to 20 choices."))
            out["choices"] = [clean_texts(c, "fields", max_length=100) for c in choices]
        if kind == "number":
            for bound in ("min", "max"):
                if field.get(bound) is not None:
                    try:
                        out[bound] = float(field[bound])
                    except (TypeError, ValueError) as exc:
                        raise _invalid(
                            "fields", f"{where}: " + _("min and max must be numbers.")
                        ) from exc
        cleaned.append(out)
    return cleaned


def clean_answers(form: Form, data: dict[str, Any]) -> dict[str, Any]:
    """Check answers against the form's fields; every problem is named per field."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for field in form.fields:
        key, kind = field["key"], field["type"]
        raw = data.get(key)
        text = "" if raw is None else str(raw).strip()
        if kind == "checkbox":
            cleaned[key] = text.lower() in ("1", "true", "on", "yes", "ja", "oui")
            if field["required"] and not cleaned[key]:
                errors[key] = _("Tick this box to go on.")
            continue
        if not text:
            if field["required"]:
                errors[key] = _("Fill this in.")
            continue
        if len(text) > 2000:
            errors[key] = _("This answer is too long.")
        elif kind == "number":
            try:
                number = float(text.replace(",", "."))
            except ValueError:
                errors[key] = _("Type a number, for example 3.")
                continue
            if "min" in field and number < field["min"]:
                errors[key] = _("The smallest number allowed is %(n)s.") % {"n": _num(field["min"])}
            elif "max" in field and number > field["max"]:
                errors[key] = _("The largest number allowed is %(n)s.") % {"n": _num(field["max"])}
            else:
                cleaned[key] = int(number) if number.is_integer() else number
        elif kind == "choice":
            try:
                index = int(text)
                field["choices"][index]
            except (ValueError, IndexError):
                errors[key] = _("Choose one of the options.")
                continue
            cleaned[key] = field["choices"][index].get("nl") or next(
                iter(field["choices"][index].values())
            )
        elif kind == "date":
            try:
                cleaned[key] = dt.date.fromisoformat(text).isoformat()
            except ValueError:
                errors[key] = _("Give a date, for example 2026-05-31.")
        elif kind == "phone":
            try:
                cleaned[key] = normalise_phone(text, field=key)[0]
            except ValidationFailed:
                errors[key] = _("This is not a phone number we can call.")
        elif kind == "email":
            try:
                validate_email(text)
                cleaned[key] = text
            except DjangoValidationError:
                errors[key] = _("This is not an e-mail address.")
        else:
            cleaned[key] = text
    if errors:
        raise ValidationFailed(_("Some answers need another look."), fields=errors)
    return cleaned


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
