"""Every write on QR codes: keyword-only, permission-checked, atomic, audited, in history.

A code's own team (its owner organisation) and coordinators change it; every change bumps
``version`` (editors send the version they saw, so two people editing at once cannot overwrite
each other silently), appends a :class:`CodeEvent` with the code and its routes afterwards, and
drops the code from the scan cache once committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.core.tasks_util import can_retry_later, enqueue_after_commit, retry_after_commit
from buurtkit.people.models import Organisation
from buurtkit.people.phones import normalise_phone
from buurtkit.qrcodes import cache, codes, links
from buurtkit.qrcodes.actions import clean_texts, clean_url
from buurtkit.qrcodes.models import (
    Batch,
    Code,
    CodeDay,
    CodeEvent,
    CodeStatus,
    CommunityDay,
    CommunityScanDaily,
    DailySalt,
    Delivery,
    Form,
    RolledUpDay,
    Route,
    Scan,
    ScanDaily,
    Submission,
    Tag,
    Webhook,
)
from buurtkit.qrcodes.routing import MAX_CONDITIONS, MAX_ROUTES, clean_condition, get_action

MAX_BATCH = 100_000
BATCH_CHUNK = 2_000
MAX_TAGS = 20
WEBHOOK_ATTEMPTS = 5
WEBHOOK_TIMEOUT = 5.0


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: message})


# --- helpers ----------------------------------------------------------------------------------


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


def snapshot(code: Code) -> dict[str, Any]:
    """The code and its routes as they are now (kept in its history)."""
    return {
        "code": code.code,
        "slug": code.slug or "",
        "title": code.title,
        "description": code.description,
        "status": code.status,
        "owner": code.owner_id,
        "contact": code.contact,
        "link": {"type": code.link_type, "id": code.link_id} if code.link_type else None,
        "tags": sorted(t.name for t in code.tags.all()),
        "version": code.version,
        "routes": [
            {"name": r.name, "conditions": r.conditions, "action": r.action, "params": r.params}
            for r in code.routes.order_by("position")
        ],
    }


def _changed(actor: Actor, code: Code, verb: str, old_slug: str | None = None) -> None:
    code.version += 1
    code.updated_at = clock.now()
    code.save()
    CodeEvent.objects.create(
        community=actor.community,
        code=code,
        at=code.updated_at,
        verb=verb,
        actor_label=actor.label[:150],
        snapshot=snapshot(code),
    )
    audit_record(actor=actor, verb=f"qrcodes.{verb}", obj=code, data={"code": code.code})
    forget = [code.code, code.slug or "", old_slug or ""]
    cache.forget(*forget)  # now for this process, and again once committed (a scan in between
    transaction.on_commit(lambda: cache.forget(*forget))  # may have cached the old version)


def _check_version(code: Code, expected: int | None) -> None:
    if expected is not None and expected != code.version:
        raise Conflict(
            _("Someone else changed this code in the meantime. Reload it and try again."),
            code="stale_version",
        )


def _locked_code(actor: Actor, code_id: int) -> Code:
    return get_scoped(Code, actor.community, for_update=True, pk=code_id)


def clean_routes(community: Community, routes: Any) -> list[dict[str, Any]]:
    """Check a list of routes; errors name the route by its number (1, 2, …)."""
    if not isinstance(routes, list):
        raise _invalid("routes", _("Routes must be a list."))
    if len(routes) > MAX_ROUTES:
        raise _invalid("routes", _("A code has at most %(n)d routes.") % {"n": MAX_ROUTES})
    org_ids = set(Organisation.objects.in_community(community).values_list("pk", flat=True))
    cleaned = []
    for number, route in enumerate(routes, start=1):
        try:
            if not isinstance(route, dict):
                raise _invalid("routes", _("A route must be an object."))
            conditions = route.get("conditions") or []
            if not isinstance(conditions, list) or len(conditions) > MAX_CONDITIONS:
                raise _invalid(
                    "conditions",
                    _("A route has at most %(n)d conditions.") % {"n": MAX_CONDITIONS},
                )
            action = get_action(str(route.get("action") or ""))
            params = route.get("params") or {}
            if not isinstance(params, dict):
                raise _invalid("params", _("The action's settings must be an object."))
            cleaned.append(
                {
                    "name": str(route.get("name") or "")[:100],
                    "conditions": [clean_condition(community, c, org_ids) for c in conditions],
                    "action": action.key,
                    "params": action.clean(community, params),
                }
            )
        except ValidationFailed as exc:
            fields = {f"routes.{number}.{k}": v for k, v in exc.fields.items()}
            raise ValidationFailed(
                _("Route %(n)d: %(problem)s") % {"n": number, "problem": exc.detail},
                fields=fields,
            ) from exc
    return cleaned


def _write_routes(actor: Actor, code: Code, routes: list[dict[str, Any]]) -> None:
    Route.objects.in_community(actor.community).filter(code=code).delete()
    Route.objects.bulk_create(
        [
            Route(community=actor.community, code=code, position=i, **route)
            for i, route in enumerate(routes)
        ]
    )


# --- codes ------------------------------------------------------------------------------------


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
def routes_set(
    *,
    actor: Actor,
    code_id: int,
    routes: list[dict[str, Any]],
    expected_version: int | None = None,
) -> Code:
    """Replace a code's routes (in order). A blank code with routes becomes active."""
    code = _locked_code(actor, code_id)
    _require_edit(actor, code)
    _check_version(code, expected_version)
    cleaned = clean_routes(actor.community, routes)
    _write_routes(actor, code, cleaned)
    if code.status == CodeStatus.UNASSIGNED and cleaned:
        code.status = CodeStatus.ACTIVE
    _changed(actor, code, "routes_changed")
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


def _failure(exc: ServiceError) -> dict[str, Any]:
    return {
        "ok": False,
        "error": exc.code,
        "detail": str(exc.detail),
        "fields": {k: str(v) for k, v in exc.fields.items()},
    }


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


# --- import (CSV/XLSX rows → codes, by slug) ---------------------------------------------------


def codes_import(
    *,
    actor: Actor,
    rows: list[dict[str, Any]],
    dry_run: bool = False,
    atomic: bool = False,
) -> list[dict[str, Any]]:
    """Create or update codes by slug from spreadsheet rows; one result per row.

    Columns: ``slug`` (required: a new slug makes a code, a slug of this community updates
    it), ``title``, ``description``, ``tags`` (comma separated), ``team`` (an organisation's
    slug), ``status``, ``url`` (one redirect route) or ``route_json`` (a JSON list of routes).
    On an update an empty cell leaves the value as it is. A row's number is ``row["_row"]``
    (its line in the file) when given, else its position counting the header as row 1.

    By default every row is its own transaction: a bad row changes nothing and is reported,
    the good rows stay. With ``atomic`` it is all or nothing: one bad row and no row is saved
    (the others are reported as ``not_saved``). ``dry_run`` checks every row and saves none.
    Not decorated with ``transaction.atomic`` on purpose: rows commit one by one.
    """
    from buurtkit.qrcodes.imports import MAX_ROWS

    actor.require("qrcodes.manage")
    if len(rows) > MAX_ROWS:
        raise _invalid(
            "file",
            _("A file may hold at most %(n)s rows; this one has %(rows)s.")
            % {"n": f"{MAX_ROWS:,}", "rows": f"{len(rows):,}"},
        )
    if not (dry_run or atomic):
        return _import_rows(actor, rows)
    with transaction.atomic():
        results = _import_rows(actor, rows)
        failed = any(not r["ok"] for r in results)
        if dry_run or failed:
            transaction.set_rollback(True)
    for result in results:
        if dry_run and result["action"] == "created":
            result["id"] = result["code"] = None  # made and undone: that id will never exist
        elif not dry_run and failed and result["ok"]:
            message = _("Not saved: another row has an error, and the import is all or nothing.")
            result.update(ok=False, error="not_saved", detail=message, id=None, code=None)
    return results


def codes_import_file(
    *, actor: Actor, data: bytes, filename: str = "", dry_run: bool = False, atomic: bool = False
) -> list[dict[str, Any]]:
    """:func:`codes_import` of an uploaded CSV or XLSX file (see :mod:`.imports`)."""
    from buurtkit.qrcodes.imports import read_rows

    actor.require("qrcodes.manage")  # before reading anything from the file
    return codes_import(actor=actor, rows=read_rows(data, filename), dry_run=dry_run, atomic=atomic)


def _import_rows(actor: Actor, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(rows, start=2):
        values = {
            str(k).strip().lower(): "" if v is None else str(v).strip()
            for k, v in raw.items()
            if not str(k).startswith("_")
        }
        number = int(raw.get("_row") or index)
        result: dict[str, Any] = {"row": number, "action": None, "id": None, "code": None}
        try:
            if raw.get("_extra"):
                raise _invalid("row", _("This row has more cells than there are column names."))
            slug = _clean_slug(values.get("slug"))
            if slug in seen:
                raise _invalid(
                    "slug",
                    _("The slug “%(slug)s” is already in row %(row)d of this file.")
                    % {"slug": slug, "row": seen[slug]},
                )
            if slug:
                seen[slug] = number
            with transaction.atomic():
                action, code = _import_row(actor, values)
        except ServiceError as exc:
            result.update(_failure(exc))
        else:
            result.update(
                ok=True, action=action, id=code.pk, code=code.code, error=None, detail="", fields={}
            )
        results.append(result)
    return results


def _import_row(actor: Actor, values: dict[str, str]) -> tuple[str, Code]:
    from buurtkit.qrcodes.imports import COLUMNS

    unknown = sorted(set(values) - set(COLUMNS))
    if unknown:
        raise _invalid(unknown[0], _("This column is not known."))
    slug = _clean_slug(values.get("slug"))
    if not slug:
        raise _invalid("slug", _("Every row needs a slug: the code's short name."))
    owner_id = None
    if values.get("team"):
        team = (
            Organisation.objects.in_community(actor.community)
            .filter(slug=values["team"].lower())
            .first()
        )
        if team is None:
            raise _invalid(
                "team", _("There is no team “%(team)s” here.") % {"team": values["team"]}
            )
        owner_id = team.pk
    status = values.get("status", "").lower()
    if status and status not in CodeStatus.values:
        raise _invalid(
            "status",
            _("Use one of: %(values)s.") % {"values": ", ".join(CodeStatus.values)},
        )
    routes = _import_routes(values)
    tags = [t for t in values.get("tags", "").split(",") if t.strip()] or None
    code = Code.objects.in_community(actor.community).select_for_update().filter(slug=slug).first()
    if code is None:
        if Code.objects.filter(slug=slug).exists():  # in another community
            raise _invalid("slug", _("The name “%(slug)s” is already taken.") % {"slug": slug})
        code = code_create(
            actor=actor,
            slug=slug,
            title=values.get("title", ""),
            description=values.get("description", ""),
            tags=tags or (),
            owner_id=owner_id,
            routes=routes,
        )
        if status and status != code.status:
            code = _import_status(actor, code, status)
        return "created", code
    _require_edit(actor, code)
    version = code.version
    changes: dict[str, Any] = {}
    for name in ("title", "description"):
        text = values.get(name, "")
        if text and text[: 150 if name == "title" else 5000] != getattr(code, name):
            changes[name] = text
    if tags is not None:
        names = {" ".join(t.split()).lower()[:40] for t in tags}
        if names != {t.name for t in code.tags.all()}:
            changes["tags"] = tags
    if owner_id is not None and owner_id != code.owner_id:
        changes["owner_id"] = owner_id
    if changes:
        code = code_update(actor=actor, code_id=code.pk, **changes)
    if routes is not None:
        current = snapshot(code)["routes"]
        if clean_routes(actor.community, routes) != current:
            code = routes_set(actor=actor, code_id=code.pk, routes=routes)
    if status and status != code.status:
        code = _import_status(actor, code, status)
    return ("updated" if code.version != version else "unchanged"), code


def _import_routes(values: dict[str, str]) -> list[dict[str, Any]] | None:
    url, text = values.get("url", ""), values.get("route_json", "")
    if url and text:
        raise _invalid("url", _("Fill in url or route_json, not both."))
    if url:
        return [{"action": "redirect", "params": {"url": url}}]
    if not text:
        return None
    try:
        routes = json.loads(text)
    except ValueError as exc:
        raise _invalid("route_json", _("This is not valid JSON.")) from exc
    if not isinstance(routes, list):
        raise _invalid("route_json", _("Give a JSON list of routes: [{…}, …]."))
    return routes


def _import_status(actor: Actor, code: Code, status: str) -> Code:
    if status == CodeStatus.UNASSIGNED:
        raise _invalid("status", _("A code in use cannot become blank again."))
    return code_set_status(actor=actor, code_id=code.pk, status=status)


# --- batches ----------------------------------------------------------------------------------


@transaction.atomic
def batch_create(
    *,
    actor: Actor,
    size: int,
    title: str = "",
    owner_id: int | None = None,
    tags: Iterable[str] = (),
    idempotency_key: str = "",
) -> Batch:
    """Order ``size`` blank codes (up to 100,000). They are made in the background in chunks.

    With an ``idempotency_key`` (1 to 100 characters), ordering the same batch again returns
    the first one (``replayed`` is True); the same key for a different batch is refused.
    """
    actor.require("qrcodes.manage")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise _invalid("size", _("Give a number of codes of at least 1."))
    if size > MAX_BATCH:
        raise _invalid(
            "size",
            _("A batch has at most %(n)s codes.") % {"n": f"{MAX_BATCH:,}".replace(",", ".")},
        )
    key = (idempotency_key or "").strip()
    if len(key) > 100:
        raise _invalid("idempotency_key", _("Use an idempotency key of 1 to 100 characters."))
    owner = _owner(actor, owner_id)
    tag_names = [t.name for t in _tags(actor.community, tags)]
    values = {
        "title": title.strip()[:120] or _("%(n)d blank codes") % {"n": size},
        "size": size,
        "owner": owner,
        "tags": tag_names,
    }
    if key:
        existing = Batch.objects.in_community(actor.community).filter(idempotency_key=key).first()
        if existing is not None:
            return _same_batch(existing, values, title)
    try:
        with transaction.atomic():
            batch = Batch.objects.create(
                community=actor.community,
                created_by=actor.label[:150],
                created_at=clock.now(),
                idempotency_key=key,
                **values,
            )
    except IntegrityError:
        existing = Batch.objects.in_community(actor.community).filter(idempotency_key=key).first()
        if not key or existing is None:
            raise
        return _same_batch(existing, values, title)
    audit_record(actor=actor, verb="qrcodes.batch_created", obj=batch, data={"size": size})
    from buurtkit.qrcodes.tasks import run_batch

    enqueue_after_commit(run_batch, batch.pk)
    return batch


def _same_batch(existing: Batch, values: dict[str, Any], title: str) -> Batch:
    same = (
        existing.size == values["size"]
        and existing.owner_id == (values["owner"].pk if values["owner"] else None)
        and sorted(existing.tags) == sorted(values["tags"])
        and (not title.strip() or existing.title == values["title"])
    )
    if not same:
        raise Conflict(
            _("This idempotency key was already used for a different batch."),
            code="idempotency_conflict",
        )
    existing.replayed = True  # the API answers a retry with 200 instead of 202
    return existing


def batch_run(*, batch_id: int) -> Batch:
    """Make a batch's codes, a chunk per transaction; safe to run again after a crash."""
    batch = Batch.objects.select_related("community").get(pk=batch_id)
    if batch.status == Batch.Status.DONE:
        return batch
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.RUNNING)
    tags = list(Tag.objects.in_community(batch.community_id).filter(name__in=batch.tags))
    through = Code.tags.through
    try:
        while True:
            with transaction.atomic():
                locked = Batch.objects.select_for_update().get(pk=batch.pk)
                made = Code.objects.in_community(batch.community_id).filter(batch=locked).count()
                todo = min(BATCH_CHUNK, locked.size - made)
                if todo <= 0:
                    locked.done = locked.size
                    locked.status = Batch.Status.DONE
                    locked.finished_at = clock.now()
                    locked.save(update_fields=["done", "status", "finished_at"])
                    return locked
                _make_batch_codes(locked, todo, tags, through)
                locked.done = made + todo
                locked.save(update_fields=["done"])
    except Exception as exc:
        Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.FAILED, error=str(exc)[:300])
        raise


def _make_batch_codes(batch: Batch, count: int, tags: list[Tag], through: Any) -> None:
    now = clock.now()
    for _attempt in range(5):
        fresh = set(codes.new_codes(count))
        taken = set(Code.objects.filter(code__in=fresh).values_list("code", flat=True))
        fresh -= taken
        if len(fresh) >= count:
            break
    before = Code.objects.filter(batch=batch).aggregate(last=Max("pk"))["last"] or 0
    blank = Code(
        community_id=batch.community_id,
        code="",
        owner_id=batch.owner_id,
        batch=batch,
        status=CodeStatus.UNASSIGNED,
        created_at=now,
        updated_at=now,
        version=1,
    )
    connection = connections[router.db_for_write(Code)]
    with connection.cursor() as cursor:
        _insert_copies(cursor, blank, "code", list(fresh)[:count])
        # Only this run adds codes to this (locked) batch: the new ones are those after `before`.
        quote = connection.ops.quote_name
        code_id = quote(through._meta.get_field("code").column)
        tag_id = quote(through._meta.get_field("tag").column)
        pk = quote(str(Code._meta.pk.column if Code._meta.pk else "id"))
        batch_id = quote(str(Code._meta.get_field("batch").column))
        for tag in tags:
            cursor.execute(
                f"INSERT INTO {quote(through._meta.db_table)} ({code_id}, {tag_id}) "  # noqa: S608
                f"SELECT {pk}, %s FROM {quote(Code._meta.db_table)} "
                f"WHERE {batch_id} = %s AND {pk} > %s",
                [tag.pk, batch.pk, before],
            )


def _insert_copies(cursor: Any, row: Any, varying: str, values: list[Any]) -> None:
    """Insert one copy of ``row`` per value of its field ``varying`` (a batch's blank codes).

    ``bulk_create`` spends most of its time preparing every field of every row; here each field
    is prepared once, the way Django saves it (``pre_save``, ``get_db_prep_save``). PostgreSQL
    gets one statement per chunk (the values as one array, ``unnest``); other databases get
    ``executemany``, which is as fast there.
    """
    model = type(row)
    connection = cursor.db
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    prepared = [f.get_db_prep_save(f.pre_save(row, add=True), connection) for f in fields]
    names = [f.name for f in fields]
    at = names.index(varying)
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({})".format(
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    )
    if connection.vendor == "postgresql":
        selected = [
            "v" if i == at else f"%s::{f.cast_db_type(connection)}" for i, f in enumerate(fields)
        ]
        params = [p for i, p in enumerate(prepared) if i != at]
        column_type = fields[at].cast_db_type(connection)
        cursor.execute(
            f"{head} SELECT {', '.join(selected)} FROM unnest(%s::{column_type}[]) AS v",  # noqa: S608
            [*params, [fields[at].get_db_prep_save(v, connection) for v in values]],
        )
        return
    rows = []
    for value in values:
        copy = list(prepared)
        copy[at] = fields[at].get_db_prep_save(value, connection)
        rows.append(copy)
    cursor.executemany(f"{head} VALUES ({', '.join(['%s'] * len(fields))})", rows)


# --- forms and answers ------------------------------------------------------------------------

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


def _form_owner_check(actor: Actor, form: Form) -> None:
    actor.require("qrcodes.manage")
    if not (
        actor.has("qrcodes.admin")
        or form.owner_id is None
        or form.owner_id in actor.organisation_ids
    ):
        raise PermissionDenied(
            _("Only the team that owns this form, or a coordinator, can change it.")
        )


@transaction.atomic
def form_create(
    *,
    actor: Actor,
    title: Any,
    fields: Any,
    thanks: Any = None,
    owner_id: int | None = None,
    webhook_id: int | None = None,
) -> Form:
    actor.require("qrcodes.manage")
    form = Form.objects.create(
        community=actor.community,
        title=clean_texts(title, "title", max_length=150),
        fields=_clean_fields(fields),
        thanks=clean_texts(thanks or {}, "thanks", required=False, max_length=500),
        owner=_owner(actor, owner_id),
        webhook=get_scoped(Webhook, actor.community, pk=webhook_id) if webhook_id else None,
        created_at=clock.now(),
    )
    audit_record(actor=actor, verb="qrcodes.form_created", obj=form)
    return form


@transaction.atomic
def form_update(
    *,
    actor: Actor,
    form_id: int,
    title: Any = None,
    fields: Any = None,
    thanks: Any = None,
    webhook_id: int | None = None,
) -> Form:
    form = get_scoped(Form, actor.community, for_update=True, pk=form_id)
    _form_owner_check(actor, form)
    if title is not None:
        form.title = clean_texts(title, "title", max_length=150)
    if fields is not None:
        form.fields = _clean_fields(fields)
    if thanks is not None:
        form.thanks = clean_texts(thanks, "thanks", required=False, max_length=500)
    if webhook_id is not None:
        form.webhook = get_scoped(Webhook, actor.community, pk=webhook_id) if webhook_id else None
    form.save()
    audit_record(actor=actor, verb="qrcodes.form_changed", obj=form)
    return form


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


@transaction.atomic
def submission_create(
    *,
    community: Community,
    form_id: int,
    data: dict[str, Any],
    code_id: int | None = None,
    language: str = "",
    submitted_by: str = "",
) -> Submission:
    """Store a form answer (anyone who scans may answer) and send it on to the form's webhook."""
    form = get_scoped(Form, community, pk=form_id)
    code = get_scoped(Code, community, pk=code_id) if code_id else None
    answers = clean_answers(form, data)
    submission = Submission.objects.create(
        community=community,
        form=form,
        code=code,
        data=answers,
        language=language[:5],
        at=clock.now(),
        submitted_by=submitted_by[:150],
    )
    if form.webhook_id and form.webhook and form.webhook.active:
        _delivery(
            community,
            form.webhook,
            "submission",
            {
                "form": form.pk,
                "code": code.code if code else None,
                "answers": answers,
                "at": submission.at.isoformat(),
                "language": submission.language,
            },
        )
    return submission


# --- webhooks ---------------------------------------------------------------------------------


def check_webhook_url(url: str) -> str:
    """Only http(s); no private, loopback or link-local addresses unless the install allows them."""
    url = clean_url(url)
    if url.startswith("/"):
        raise _invalid("url", _("Give a full address (https://…)."))
    host = urlsplit(url).hostname or ""
    if getattr(settings, "QR_WEBHOOK_ALLOW_PRIVATE", False):
        return url
    for address in _addresses(host):
        if not address.is_global or address.is_multicast:
            raise _invalid(
                "url", _("This address points inside the network; webhooks may not go there.")
            )
    return url


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        return [ipaddress.ip_address("127.0.0.1")]
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return []  # checked again when delivering
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


@transaction.atomic
def webhook_create(
    *, actor: Actor, name: str, url: str, owner_id: int | None = None
) -> tuple[Webhook, str]:
    """Register an external system. Returns the webhook and its secret, shown this once."""
    actor.require("qrcodes.admin")
    if not name.strip():
        raise _invalid("name", _("Give the webhook a name."))
    secret = "whsec_" + secrets.token_urlsafe(32)
    hook = Webhook.objects.create(
        community=actor.community,
        name=name.strip()[:100],
        url=check_webhook_url(url),
        secret=secret,
        owner=_owner(actor, owner_id),
        created_at=clock.now(),
    )
    audit_record(actor=actor, verb="qrcodes.webhook_created", obj=hook, data={"url": hook.url})
    return hook, secret


@transaction.atomic
def webhook_rotate_secret(*, actor: Actor, webhook_id: int) -> tuple[Webhook, str]:
    actor.require("qrcodes.admin")
    hook = get_scoped(Webhook, actor.community, for_update=True, pk=webhook_id)
    secret = "whsec_" + secrets.token_urlsafe(32)
    hook.secret = secret
    hook.save(update_fields=["secret"])
    audit_record(actor=actor, verb="qrcodes.webhook_secret_rotated", obj=hook)
    return hook, secret


@transaction.atomic
def webhook_set_active(*, actor: Actor, webhook_id: int, active: bool) -> Webhook:
    actor.require("qrcodes.admin")
    hook = get_scoped(Webhook, actor.community, for_update=True, pk=webhook_id)
    hook.active = active
    hook.save(update_fields=["active"])
    audit_record(
        actor=actor,
        verb="qrcodes.webhook_active" if active else "qrcodes.webhook_inactive",
        obj=hook,
    )
    return hook


def _delivery(
    community: Community | int, hook: Webhook, event: str, payload: dict[str, Any]
) -> Delivery:
    community_id = community if isinstance(community, int) else community.pk
    delivery = Delivery.objects.create(
        community_id=community_id,
        webhook=hook,
        event=event,
        payload=payload,
        created_at=clock.now(),
    )
    from buurtkit.qrcodes.tasks import deliver_webhook

    enqueue_after_commit(deliver_webhook, delivery.pk)
    return delivery


@transaction.atomic
def scan_to_webhook(*, community_id: int, route_id: int, scan: dict[str, Any]) -> None:
    """A scan whose route sends it on: queue the POST (done by a worker, never by the scan)."""
    route = (
        Route.objects.in_community(community_id).select_related("code").filter(pk=route_id).first()
    )
    if route is None or route.action != "webhook":
        return
    hook = (
        Webhook.objects.in_community(community_id)
        .filter(pk=route.params.get("webhook"), active=True)
        .first()
    )
    if hook is None:
        return
    _delivery(
        community_id, hook, "scan", {"code": route.code.code, "route": route.position + 1, **scan}
    )


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``X-Buurtkit-Signature``: ``sha256=`` HMAC of ``timestamp.body`` with the webhook secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=30 * 4 ** max(attempts - 1, 0))


def delivery_attempt(*, delivery_id: int) -> Delivery:
    """POST one delivery. On failure, try again later (up to 5 times, waiting longer each time)."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update().select_related("webhook").get(pk=delivery_id)
        )
        if delivery.status != Delivery.Status.PENDING:
            return delivery
        delivery.attempts += 1
        delivery.save(update_fields=["attempts"])
    hook = delivery.webhook
    body = json.dumps(
        {"id": delivery.pk, "event": delivery.event, "data": delivery.payload},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    timestamp = str(int(clock.now().timestamp()))
    status, error = None, ""
    try:
        check_webhook_url(hook.url)
        request = urllib.request.Request(  # noqa: S310 - check_webhook_url allows http(s) only
            hook.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "buurtkit-webhook/1",
                "X-Buurtkit-Event": delivery.event,
                "X-Buurtkit-Delivery": str(delivery.pk),
                "X-Buurtkit-Timestamp": timestamp,
                "X-Buurtkit-Signature": sign(hook.secret, timestamp, body),
            },
        )
        with _opener().open(request, timeout=WEBHOOK_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except ValidationFailed as exc:
        error = str(exc.detail)
    except Exception as exc:
        error = (str(exc) or exc.__class__.__name__)[:300]
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        delivery.response_status = status
        delivery.last_error = error[:300]
        if status is not None and 200 <= status < 300:
            delivery.status = Delivery.Status.DELIVERED
            delivery.delivered_at = clock.now()
            delivery.next_attempt_at = None
        elif delivery.attempts >= WEBHOOK_ATTEMPTS:
            delivery.status = Delivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            from buurtkit.qrcodes.tasks import deliver_webhook

            delay = retry_delay(delivery.attempts)
            delivery.next_attempt_at = clock.now() + delay
            if can_retry_later(deliver_webhook):
                retry_after_commit(deliver_webhook, delay, delivery.pk)
        delivery.save()
    return delivery


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect could lead into the private network


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirect)


# --- statistics -------------------------------------------------------------------------------


@transaction.atomic
def rollup_day(*, community_id: int, day: dt.date) -> int:
    """Sum one day's scans into :class:`ScanDaily` and :class:`CodeDay` (per code) and into
    :class:`CommunityScanDaily` and :class:`CommunityDay` (all codes together). Safe to run
    again. Returns the number of codes that were scanned that day."""
    scans = Scan.objects.in_community(community_id).filter(day=day)
    rolled = RolledUpDay.objects.in_community(community_id).filter(day=day)
    if rolled.exists() and not scans.exists():
        return 0  # the single scans were pruned: the sums are all that is left, keep them
    for model in (ScanDaily, CodeDay, CommunityScanDaily, CommunityDay):
        model.objects.in_community(community_id).filter(day=day).delete()
    dims = ("route", "source", "device", "language", "bot")
    groups = list(scans.values("code_id", *dims).annotate(n=Count("id")).order_by())
    whole: dict[tuple[Any, ...], int] = {}
    for g in groups:
        g["route"] = -1 if g["route"] is None else g["route"]
        key = tuple(g[d] for d in dims)
        whole[key] = whole.get(key, 0) + g["n"]
    ScanDaily.objects.bulk_create(
        [
            ScanDaily(
                community_id=community_id,
                code_id=g["code_id"],
                day=day,
                scans=g["n"],
                **{d: g[d] for d in dims},
            )
            for g in groups
        ],
        batch_size=1000,
    )
    CommunityScanDaily.objects.bulk_create(
        [
            CommunityScanDaily(
                community_id=community_id, day=day, scans=n, **dict(zip(dims, key, strict=True))
            )
            for key, n in whole.items()
        ],
        batch_size=1000,
    )
    per_code = (
        scans.values("code_id")
        .annotate(
            n=Count("id", filter=Q(bot=False)),
            v=Count("visitor", distinct=True, filter=Q(bot=False)),
            b=Count("id", filter=Q(bot=True)),
        )
        .order_by()
    )
    days = [
        CodeDay(
            community_id=community_id,
            code_id=row["code_id"],
            day=day,
            scans=row["n"],
            visitors=row["v"],
            bot_scans=row["b"],
        )
        for row in per_code
    ]
    CodeDay.objects.bulk_create(days, batch_size=1000)
    if days:
        CommunityDay.objects.create(
            community_id=community_id,
            day=day,
            scans=sum(d.scans for d in days),
            visitors=sum(d.visitors for d in days),
            bot_scans=sum(d.bot_scans for d in days),
        )
    RolledUpDay.objects.update_or_create(
        community_id=community_id, day=day, defaults={"at": clock.now()}
    )
    return len(days)


#: A day is finished this long after midnight (Brussels): scans still waiting in a process's
#: buffer at midnight are written by then, so the roll-up does not miss them.
ROLLUP_GRACE = timedelta(minutes=5)


def rollup_pending(
    *, community_id: int | None = None, today: dt.date | None = None, full: bool = False
) -> int:
    """Roll up the finished days that have scans and are not rolled up yet. Returns days done.

    By default only days after a community's last rolled-up day are looked at: an index range
    over the few newest scans, cheap enough to run before every dashboard. ``full`` also looks
    for older days that still have single scans but no sums (the nightly command does).
    """
    from buurtkit.qrcodes.recording import local_day

    today = today or local_day(clock.now() - ROLLUP_GRACE)
    scans = Scan.objects.filter(day__lt=today)
    rolled = RolledUpDay.objects.filter(day__lt=today)
    if community_id is not None:
        scans = scans.filter(community_id=community_id)
        rolled = rolled.filter(community_id=community_id)
    if full:
        pairs = set(scans.values_list("community_id", "day").distinct())
        todo = sorted(pairs - set(rolled.values_list("community_id", "day")))
    else:
        last = dict(
            rolled.values("community_id")
            .annotate(last=Max("day"))
            .order_by()
            .values_list("community_id", "last")
        )
        newer = ~Q(community_id__in=list(last))
        for cid, day in last.items():
            newer |= Q(community_id=cid, day__gt=day)
        todo = sorted(set(scans.filter(newer).values_list("community_id", "day").distinct()))
    for cid, day in todo:
        try:
            rollup_day(community_id=cid, day=day)
        except IntegrityError:
            continue  # another process rolled it up at the same moment
    return len(todo)


def scans_prune(*, keep_days: int = 400, today: dt.date | None = None) -> int:
    """Delete single scans older than ``keep_days`` (their daily sums stay) and old salts."""
    from buurtkit.qrcodes.recording import local_day

    today = today or local_day(clock.now())
    rollup_pending(today=today, full=True)
    limit = today - timedelta(days=keep_days)
    summed = RolledUpDay.objects.filter(community_id=OuterRef("community_id"), day=OuterRef("day"))
    deleted, _detail = Scan.objects.filter(Exists(summed), day__lt=limit).delete()
    DailySalt.objects.filter(day__lt=today - timedelta(days=2)).delete()
    return deleted
