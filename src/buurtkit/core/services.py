"""Writes on communities."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from buurtkit.core.errors import Conflict, ValidationFailed
from buurtkit.core.models import RESERVED_SLUGS, Community
from buurtkit.core.modules import MODULES
from buurtkit.core.validation import full_clean


def check_modules(modules: list[str]) -> list[str]:
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        msg = _("Unknown module: %(names)s.") % {"names": ", ".join(unknown)}
        raise ValidationFailed(msg, fields={"enabled_modules": msg})
    return [m for m in MODULES if m in modules]


def community_create(
    *, name: str, slug: str, default_language: str = "nl", enabled_modules: list[str] | None = None
) -> Community:
    """Create a tenant. Used by installers and the demo; not an API action."""
    slug = slug.strip().lower()
    if slug in RESERVED_SLUGS:
        msg = _("This short name is reserved; choose another one.")
        raise ValidationFailed(msg, fields={"slug": msg})
    community = Community(
        name=name.strip(),
        slug=slug,
        default_language=default_language,
        enabled_modules=check_modules(list(enabled_modules or [])),
    )
    full_clean(community)
    try:
        with transaction.atomic():
            community.save()
    except IntegrityError as exc:
        raise Conflict(_("A community with this short name already exists.")) from exc
    return community
