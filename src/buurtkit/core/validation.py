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
