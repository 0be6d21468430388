"""Spreadsheet rows (CSV/XLSX, read by :mod:`buurtkit.qrcodes.imports`) → codes, by slug."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from buurtkit.core.actor import Actor
from buurtkit.core.errors import (
    ServiceError,
)
from buurtkit.people.models import Organisation
from buurtkit.qrcodes.imports import COLUMNS, MAX_ROWS, read_rows
from buurtkit.qrcodes.models import (
    Code,
    CodeStatus,
)
from buurtkit.qrcodes.services._history import snapshot
from buurtkit.qrcodes.services._rules import _clean_slug, _failure, _invalid, _require_edit
from buurtkit.qrcodes.services.codes import code_create, code_set_status, code_update
from buurtkit.qrcodes.services.routes import clean_routes, routes_set


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
