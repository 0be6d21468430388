"""Making and changing codes: one at a time, many at once, claiming blank ones, bulk operations.

A code's own team (its owner organisation) and coordinators change it; every change bumps
``version`` (editors send the version they saw, so two people editing at once cannot overwrite
each other silently) and is kept in the code's history (:mod:`._history`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import (
    Conflict,
    NotFound,
    ServiceError,
)
from buurtkit.qrcodes import codes, links
from buurtkit.qrcodes.models import (
    Code,
    CodeStatus,
    Tag,
)
from buurtkit.qrcodes.services._history import _changed
from buurtkit.qrcodes.services._rules import (
    _check_version,
    _clean_slug,
    _failure,
    _invalid,
    _locked_code,
    _owner,
    _require_edit,
    _tags,
)
from buurtkit.qrcodes.services.routes import _write_routes, clean_routes


@transaction.atomic
def code_create(
    *,
    actor: Actor,
    title: str = "",
    description: str = "",
    tags: Iterable[str] = (),
    owner_id: int | None = None,
    slug: str | None = None,
    contact: str = "",
    link_type: str = "",
    link_id: str = "",
    routes: list[dict[str, Any]] | None = None,
) -> Code:
    """Make one code. With routes it is active at once; without, it is a blank code to claim."""
    actor.require("qrcodes.manage")
    owner = _owner(actor, owner_id)
    clean_slug = _clean_slug(slug)
    link_type, link_id = links.clean_link(actor.community, link_type, link_id)
    cleaned_routes = clean_routes(actor.community, routes or [])
    now = clock.now()
    code = Code(
        community=actor.community,
        code=codes.new_code(),
        slug=clean_slug,
        title=title.strip()[:150],
        description=description.strip()[:5000],
        owner=owner,
        contact=contact.strip()[:200],
        link_type=link_type,
        link_id=link_id,
        status=CodeStatus.ACTIVE if cleaned_routes else CodeStatus.UNASSIGNED,
        created_at=now,
        updated_at=now,
        version=0,
    )
    _save_new(code)
    code.tags.set(_tags(actor.community, tags))
    _write_routes(actor, code, cleaned_routes)
    _changed(actor, code, "created")
    return code


def _save_new(code: Code) -> None:
    """Insert with a fresh random id; a clash of ids is retried, a clash of slugs is an error."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                code.save(force_insert=True)
            return
        except IntegrityError as exc:
            if code.slug and Code.objects.filter(slug=code.slug).exists():
                raise _invalid(
                    "slug", _("The name “%(slug)s” is already taken.") % {"slug": code.slug}
                ) from exc
            code.pk = None
            code.code = codes.new_code()
    raise Conflict(_("Could not make a new code; please try again."))


@transaction.atomic
def code_update(
    *,
    actor: Actor,
    code_id: int,
    expected_version: int | None = None,
    **changes: Any,
) -> Code:
    """Change a code's description: title, description, tags, owner_id, slug, contact, link."""
    allowed = {
        "title",
        "description",
        "tags",
        "owner_id",
        "slug",
        "contact",
        "link_type",
        "link_id",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise _invalid(sorted(unknown)[0], _("This field cannot be changed here."))
    code = _locked_code(actor, code_id)
    _require_edit(actor, code)
    _check_version(code, expected_version)
    old_slug = code.slug
    if "title" in changes:
        code.title = str(changes["title"] or "").strip()[:150]
    if "description" in changes:
        code.description = str(changes["description"] or "").strip()[:5000]
    if "contact" in changes:
        code.contact = str(changes["contact"] or "").strip()[:200]
    if "owner_id" in changes:
        code.owner = _owner(actor, changes["owner_id"])
    if "slug" in changes:
        new_slug = _clean_slug(changes["slug"])
        if new_slug and Code.objects.filter(slug=new_slug).exclude(pk=code.pk).exists():
            raise _invalid("slug", _("The name “%(slug)s” is already taken.") % {"slug": new_slug})
        code.slug = new_slug
    if "link_type" in changes or "link_id" in changes:
        code.link_type, code.link_id = links.clean_link(
            actor.community,
            changes.get("link_type", code.link_type),
            changes.get("link_id", code.link_id),
        )
    if "tags" in changes:
        code.tags.set(_tags(actor.community, changes["tags"] or []))
    try:
        with transaction.atomic():
            _changed(actor, code, "changed", old_slug=old_slug)
    except IntegrityError as exc:
        raise _invalid(
            "slug", _("The name “%(slug)s” is already taken.") % {"slug": code.slug}
        ) from exc
    return code


@transaction.atomic
def code_set_status(
    *, actor: Actor, code_id: int, status: str, expected_version: int | None = None
) -> Code:
    """Pause, resume or retire a code. A retired code answers with a friendly page for good."""
    if status not in (CodeStatus.ACTIVE, CodeStatus.PAUSED, CodeStatus.RETIRED):
        raise _invalid("status", _("Choose active, paused or retired."))
    code = _locked_code(actor, code_id)
    _require_edit(actor, code)
    _check_version(code, expected_version)
    if code.status == status:
        return code
    if code.status == CodeStatus.RETIRED:
        raise Conflict(_("A retired code cannot be used again."), code="retired")
    if status == CodeStatus.ACTIVE and not code.routes.exists():
        raise Conflict(_("Give the code a route first."), code="no_routes")
    code.status = status
    _changed(actor, code, f"status_{status}")
    return code


@transaction.atomic
def code_claim(
    *,
    actor: Actor,
    code_id: int,
    title: str = "",
    owner_id: int | None = None,
    link_type: str = "",
    link_id: str = "",
    routes: list[dict[str, Any]] | None = None,
) -> Code:
    """Give a blank code its use, on the spot: link it to an object and/or give it routes."""
    code = _locked_code(actor, code_id)
    _require_edit(actor, code)
    if code.status != CodeStatus.UNASSIGNED:
        raise Conflict(_("This code is already in use."), code="already_claimed")
    if not routes and not link_type:
        raise _invalid("routes", _("Link the code to something or give it a route."))
    code.title = title.strip()[:150] or code.title
    if owner_id is not None:
        code.owner = _owner(actor, owner_id)
    code.link_type, code.link_id = links.clean_link(actor.community, link_type, link_id)
    cleaned = clean_routes(actor.community, routes or [])
    if not cleaned and code.link_type:
        cleaned = links.default_routes(actor.community, code.link_type, code.link_id)
    _write_routes(actor, code, cleaned)
    code.status = CodeStatus.ACTIVE
    _changed(actor, code, "claimed")
    return code


BULK_OPERATIONS = ("tag", "untag", "pause", "activate", "retire", "retarget")


@transaction.atomic
def codes_bulk(
    *,
    actor: Actor,
    code_ids: list[int],
    operation: str,
    tag: str = "",
    url: str = "",
) -> int:
    """Do one thing to many codes at once. All or nothing: one code you may not change stops it."""
    if operation not in BULK_OPERATIONS:
        raise _invalid("operation", _("Unknown operation."))
    if not code_ids:
        raise _invalid("codes", _("Choose at least one code."))
    if len(code_ids) > 1000:
        raise _invalid("codes", _("Choose at most 1,000 codes at a time."))
    if operation in ("tag", "untag") and not tag.strip():
        raise _invalid("tag", _("Give a tag."))
    routes = (
        clean_routes(actor.community, [{"action": "redirect", "params": {"url": url}}])
        if operation == "retarget"
        else []
    )
    found = list(
        Code.objects.in_community(actor.community)
        .select_for_update()
        .filter(pk__in=code_ids)
        .order_by("pk")
    )
    if len(found) != len(set(code_ids)):
        raise NotFound(_("Some of these codes do not exist."))
    for code in found:
        _require_edit(actor, code)
    for code in found:
        if operation == "tag":
            code.tags.add(*_tags(actor.community, [tag]))
        elif operation == "untag":
            code.tags.remove(
                *Tag.objects.in_community(actor.community).filter(name=tag.strip().lower())
            )
        elif operation == "retarget":
            _write_routes(actor, code, routes)
            if code.status == CodeStatus.UNASSIGNED:
                code.status = CodeStatus.ACTIVE
        else:
            status = {
                "pause": CodeStatus.PAUSED,
                "activate": CodeStatus.ACTIVE,
                "retire": CodeStatus.RETIRED,
            }[operation]
            if code.status == CodeStatus.RETIRED and status != CodeStatus.RETIRED:
                raise Conflict(_("A retired code cannot be used again."), code="retired")
            if status == CodeStatus.ACTIVE and not code.routes.exists():
                raise Conflict(
                    _("Code %(code)s has no route yet.") % {"code": code.code}, code="no_routes"
                )
            code.status = status
        _changed(actor, code, f"bulk_{operation}")
    return len(found)


MAX_CODES_AT_ONCE = 1_000
CODE_FIELDS = (
    "title",
    "description",
    "tags",
    "owner_id",
    "slug",
    "contact",
    "link_type",
    "link_id",
    "routes",
)


@transaction.atomic
def codes_create_many(*, actor: Actor, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Make up to 1,000 codes at once; one result per item, in the same order.

    Each item is made in its own savepoint: a good item is kept even when another fails, a bad
    item leaves nothing behind and is reported as ``{ok: false, error, detail, fields}``.
    """
    actor.require("qrcodes.manage")
    if not items:
        raise _invalid("items", _("Give at least one code."))
    if len(items) > MAX_CODES_AT_ONCE:
        raise _invalid(
            "items", _("Give at most %(n)s codes at a time.") % {"n": f"{MAX_CODES_AT_ONCE:,}"}
        )
    results: list[dict[str, Any]] = []
    for item in items:
        try:
            unknown = sorted(set(item) - set(CODE_FIELDS))
            if unknown:
                raise _invalid(unknown[0], _("This field is not known."))
            with transaction.atomic():
                code = code_create(actor=actor, **item)
        except ServiceError as exc:
            results.append(_failure(exc))
        else:
            results.append({"ok": True, "id": code.pk, "code": code.code, "fields": {}})
    return results
