from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from buurtkit.core.errors import ValidationFailed


def full_clean(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Run Django's model validation and raise :class:`ValidationFailed` with per-field messages."""
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        fields = {
            name: " ".join(str(m) for m in messages) for name, messages in exc.message_dict.items()
        }
        raise ValidationFailed(_("Some fields need attention."), fields=fields) from exc


def require_choice(field: str, value: str, allowed: list[str]) -> None:
    """Refuse a filter or field value that is not one of ``allowed`` (empty means "any")."""
    if value and value not in allowed:
        msg = _("Choose one of: %(values)s.") % {"values": ", ".join(allowed)}
        raise ValidationFailed(msg, fields={field: msg})
