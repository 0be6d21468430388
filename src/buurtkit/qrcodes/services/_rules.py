"""Checks the QR services share: who may change a code, owners, vanity names, tags, versions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from buurtkit.core.actor import Actor
from buurtkit.core.errors import (
    Conflict,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.people.models import Organisation
from buurtkit.qrcodes import codes
from buurtkit.qrcodes.models import (
    Code,
    Tag,
)

MAX_TAGS = 20


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: message})


def can_edit(actor: Actor, code: Code) -> bool:
    if not actor.has("qrcodes.manage"):
        return False
    return (
        actor.has("qrcodes.admin")
        or code.owner_id is None
        or code.owner_id in actor.organisation_ids
    )


def _require_edit(actor: Actor, code: Code) -> None:
    actor.require("qrcodes.manage")
    if not can_edit(actor, code):
        raise PermissionDenied(
            _("Only the team that owns this code, or a coordinator, can change it."),
            code="not_your_team",
        )


def _owner(actor: Actor, owner_id: int | None) -> Organisation | None:
    if owner_id is None:
        return None
    org = get_scoped(Organisation, actor.community, pk=owner_id)
    if not actor.has("qrcodes.admin") and org.pk not in actor.organisation_ids:
        raise _invalid("owner", _("You can only give codes to a team you belong to."))
    return org


def _clean_slug(value: str | None) -> str | None:
    if value is None:
        return None
    slug = value.strip().lower()
    if not slug:
        return None
    # A vanity name may not read as a code itself (a code always wins the look-up).
    if not codes.SLUG_RE.match(slug):
        raise _invalid(
            "slug",
            _("Use 3 to 60 lower-case letters, digits and dashes, for example bank-rabot."),
        )
    if codes.is_code(slug.upper()):
        raise _invalid(
            "slug",
            _("This name looks like a code. Add a dash or use another length, like bib-rabot."),
        )
    return slug


def _tags(community: Community, names: Iterable[str]) -> list[Tag]:
    cleaned = []
    for name in names:
        text = " ".join(str(name).split()).lower()[:40]
        if text and text not in cleaned:
            cleaned.append(text)
    if len(cleaned) > MAX_TAGS:
        raise _invalid("tags", _("Use at most %(n)d tags.") % {"n": MAX_TAGS})
    tags = []
    for text in cleaned:
        tag, _created = Tag.objects.in_community(community).get_or_create(
            community=community, name=text
        )
        tags.append(tag)
    return tags


def _check_version(code: Code, expected: int | None) -> None:
    if expected is not None and expected != code.version:
        raise Conflict(
            _("Someone else changed this code in the meantime. Reload it and try again."),
            code="stale_version",
        )


def _locked_code(actor: Actor, code_id: int) -> Code:
    return get_scoped(Code, actor.community, for_update=True, pk=code_id)


def _failure(exc: ServiceError) -> dict[str, Any]:
    return {
        "ok": False,
        "error": exc.code,
        "detail": str(exc.detail),
        "fields": {k: str(v) for k, v in exc.fields.items()},
    }
