"""Staff pages of the QR codes: the list with bulk actions, a code's page, claiming blank codes on
the spot, scan-to-edit with the phone camera, and batches of blank codes.

The route editor lives in :mod:`qr_routes`; forms, answers and webhooks in :mod:`qr_staff_forms`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import segno
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core.actor import Actor
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from buurtkit.core.public_url import PublicUrlMissing
from buurtkit.qrcodes import exports, links, selectors, services
from buurtkit.qrcodes.codes import readable
from buurtkit.qrcodes.models import Code, CodeStatus
from buurtkit.qrcodes.pages.forms import ClaimForm, CodeForm, apply_qr_error, split_tags
from buurtkit.qrcodes.pages.route_blocks import route_rows
from buurtkit.qrcodes.routing import ACTIONS, translated
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate

BULK_DONE = {
    "tag": "Tagged %(n)d codes with “%(tag)s”.",
    "untag": "Took the tag “%(tag)s” off %(n)d codes.",
    "pause": "Paused %(n)d codes.",
    "activate": "Activated %(n)d codes.",
    "retire": "Retired %(n)d codes.",
    "retarget": "%(n)d codes now go to %(url)s.",
}


def teams_for(actor: Actor, *, editable: bool = True) -> list[tuple[int, str]]:
    return [(o.pk, o.name) for o in selectors.teams_list(actor=actor, editable=editable)]


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def url_exists(name: str, *args: Any) -> str:
    """The address of a page another part may or may not provide yet ("" if not)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- the printed code -------------------------------------------------------------------------


def scan_url(code: str) -> str:
    """What the printed QR holds: ``HTTPS://HOST/Q/CODE``, all upper case (alphanumeric mode);
    the same address the downloads and print sheets carry."""
    return exports.scan_url(code)


def qr_svg(url: str) -> str:
    svg = segno.make(url, error="m").svg_inline(scale=4, omitsize=True, svgclass="qr")
    return mark_safe(svg)  # noqa: S308 - made by segno from our own URL, no user text in it


# --- the list with bulk actions ---------------------------------------------------------------


@community_page("qrcodes.view")
def code_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    get = request.GET
    filters = {
        "q": get.get("q", ""),
        "tag": get.get("tag", ""),
        "team": _int(get.get("team")),
        "status": get.get("status", "") if get.get("status") in CodeStatus.values else "",
        "batch": _int(get.get("batch")),
    }
    bulk = {"operation": "", "tag": "", "url": "", "ids": set()}
    error, status = "", 200
    if request.method == "POST":
        actor.require("qrcodes.manage")
        post = request.POST
        bulk = {
            "operation": post.get("operation", ""),
            "tag": post.get("bulk_tag", "").strip(),
            "url": post.get("bulk_url", "").strip(),
            "ids": {int(v) for v in post.getlist("code_ids") if v.isdigit()},
        }
        try:
            count = services.codes_bulk(
                actor=actor,
                code_ids=sorted(bulk["ids"]),
                operation=bulk["operation"],
                tag=bulk["tag"],
                url=bulk["url"],
            )
        except ServiceError as exc:
            error, status = str(exc.detail), exc.status
            if exc.fields and isinstance(exc, ValidationFailed):
                error = "; ".join(str(v) for v in exc.fields.values())
        else:
            done = _(BULK_DONE[bulk["operation"]]) % {
                "n": count,
                "tag": bulk["tag"],
                "url": bulk["url"],
            }
            flash(request, done)
            return redirect(request.get_full_path())
    qs = selectors.codes_list(
        actor=actor,
        q=filters["q"],
        tag=filters["tag"],
        owner_id=filters["team"],
        status=filters["status"],
        batch_id=filters["batch"],
    )
    page = paginate(request, qs)
    for code in page:
        code.readable = readable(code.code)  # type: ignore[attr-defined]
    context = {
        "page": page,
        "filters": filters,
        "bulk": bulk,
        "error": error,
        "tags": list(selectors.tags_list(actor=actor)),
        "teams": teams_for(actor, editable=False),
        "statuses": CodeStatus.choices,
        "operations": [
            ("tag", _("Add a tag")),
            ("untag", _("Remove a tag")),
            ("pause", _("Pause")),
            ("activate", _("Activate")),
            ("retire", _("Retire for good")),
            ("retarget", _("Send scans to a web address")),
        ],
        "can_manage": actor.has("qrcodes.manage"),
        "export_url": url_exists("web:qr_export", actor.community.slug),
    }
    if request.headers.get("HX-Request") and request.method == "GET":
        return render(request, "qrcodes/staff/_code_rows.html", context)
    return render(request, "qrcodes/staff/list.html", context, status=status)


# --- create -------------------------------------------------------------------------------------


@community_page("qrcodes.manage")
def code_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    teams = teams_for(actor)
    initial = {"owner": teams[0][0]} if len(teams) == 1 and not actor.has("qrcodes.admin") else {}
    form = CodeForm(request.POST or None, teams=teams, creating=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        routes = (
            [{"name": "", "action": "redirect", "params": {"url": data["url"]}}]
            if data["url"]
            else []
        )
        try:
            code = services.code_create(
                actor=actor,
                title=data["title"],
                description=data["description"],
                tags=split_tags(data["tags"]),
                owner_id=data["owner"],
                slug=data["slug"] or None,
                contact=data["contact"],
                routes=routes,
            )
        except ServiceError as exc:
            apply_qr_error(form, exc)
        else:
            flash(request, _("The code %(code)s has been made.") % {"code": readable(code.code)})
            return redirect("web:qr_code", slug=actor.community.slug, code_id=code.pk)
    status = 422 if form.errors else 200
    return render(request, "qrcodes/staff/create.html", {"form": form}, status=status)


# --- one code -------------------------------------------------------------------------------------

VERBS = {
    "created": "made",
    "changed": "details changed",
    "routes_changed": "routes changed",
    "claimed": "claimed",
    "status_active": "activated",
    "status_paused": "paused",
    "status_retired": "retired",
    "bulk_tag": "tagged (several codes at once)",
    "bulk_untag": "tag removed (several codes at once)",
    "bulk_pause": "paused (several codes at once)",
    "bulk_activate": "activated (several codes at once)",
    "bulk_retire": "retired (several codes at once)",
    "bulk_retarget": "new address (several codes at once)",
}


def _verb(verb: str) -> str:
    return _(VERBS[verb]) if verb in VERBS else verb


def _show(value: Any, teams: dict[int, str]) -> str:
    if value in (None, ""):
        return "—"
    return str(value)


def snapshot_changes(
    before: dict[str, Any] | None, after: dict[str, Any], teams: dict[int, str]
) -> list[str]:
    """What one history entry changed compared with the one before it, in words."""
    if before is None:
        return []
    labels = {
        "title": _("title"),
        "description": _("description"),
        "slug": _("vanity name"),
        "contact": _("contact"),
    }
    lines = []
    for key, label in labels.items():
        if before.get(key) != after.get(key):
            lines.append(
                _("%(what)s: “%(old)s” → “%(new)s”")
                % {
                    "what": label,
                    "old": _show(before.get(key), teams),
                    "new": _show(after.get(key), teams),
                }
            )
    if before.get("status") != after.get("status"):
        names = dict(CodeStatus.choices)
        lines.append(
            _("status: %(old)s → %(new)s")
            % {
                "old": names.get(before.get("status", ""), before.get("status")),
                "new": names.get(after.get("status", ""), after.get("status")),
            }
        )
    if before.get("owner") != after.get("owner"):
        lines.append(
            _("team: %(old)s → %(new)s")
            % {
                "old": teams.get(before.get("owner") or 0, "—"),
                "new": teams.get(after.get("owner") or 0, "—"),
            }
        )
    if before.get("link") != after.get("link"):
        link = after.get("link") or {}
        lines.append(
            _("linked object: %(link)s")
            % {"link": f"{link.get('type')} {link.get('id')}" if link else "—"}
        )
    old_tags, new_tags = set(before.get("tags") or []), set(after.get("tags") or [])
    if old_tags != new_tags:
        added = ", ".join(sorted(new_tags - old_tags))
        removed = ", ".join(sorted(old_tags - new_tags))
        if added:
            lines.append(_("tags added: %(tags)s") % {"tags": added})
        if removed:
            lines.append(_("tags removed: %(tags)s") % {"tags": removed})
    old_routes, new_routes = before.get("routes") or [], after.get("routes") or []
    if old_routes != new_routes:
        language = (get_language() or "nl")[:2]
        for i in range(max(len(old_routes), len(new_routes))):
            old = old_routes[i] if i < len(old_routes) else None
            new = new_routes[i] if i < len(new_routes) else None
            if old == new:
                continue
            name = (new or old or {}).get("name") or ""
            what = ""
            if new:
                action = ACTIONS.get(new.get("action", ""))
                what = (action.describe(new.get("params") or {}, language) if action else "") or ""
            if old is None:
                text = _("route %(n)d added: %(what)s")
            elif new is None:
                text = _("route %(n)d removed")
            else:
                text = _("route %(n)d changed: %(what)s")
            line = text % {"n": i + 1, "what": what}
            lines.append(f"{line} ({name})" if name else line)
    return lines


def history_rows(actor: Actor, code: Code, limit: int = 50) -> list[dict[str, Any]]:
    events = list(selectors.code_history(actor=actor, code_id=code.pk)[: limit + 1])
    teams = dict(selectors.teams_list(actor=actor).values_list("pk", "name"))
    rows = []
    for i, event in enumerate(events[:limit]):
        before = events[i + 1].snapshot if i + 1 < len(events) else None
        rows.append(
            {
                "at": event.at,
                "who": event.actor_label,
                "verb": _verb(event.verb),
                "changes": snapshot_changes(before, event.snapshot, teams),
            }
        )
    return rows


def _code_initial(code: Code) -> dict[str, Any]:
    return {
        "title": code.title,
        "description": code.description,
        "tags": ", ".join(t.name for t in code.tags.all()),
        "owner": code.owner_id,
        "slug": code.slug or "",
        "contact": code.contact,
        "expected_version": code.version,
    }


def _downloads(slug: str, code: Code) -> list[tuple[str, str]]:
    found = []
    for fmt in ("svg", "png", "pdf", "eps"):
        url = url_exists("web:qr_download", slug, code.pk, fmt)
        if url:
            found.append((fmt.upper(), url))
    return found


@community_page("qrcodes.view")
def code_detail(request: HttpRequest, code_id: int) -> HttpResponse:
    actor = actor_of(request)
    code = selectors.code_get(actor=actor, code_id=code_id)
    editable = services.can_edit(actor, code)
    teams = teams_for(actor)
    if code.owner_id and code.owner_id not in dict(teams):
        teams.append((code.owner_id, code.owner.name if code.owner else ""))
    form = CodeForm(request.POST or None, teams=teams, initial=_code_initial(code))
    conflict: dict[str, Any] | None = None
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(
                _("Only the team that owns this code, or a coordinator, can change it.")
            )
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.code_update(
                    actor=actor,
                    code_id=code.pk,
                    expected_version=data["expected_version"],
                    title=data["title"],
                    description=data["description"],
                    tags=split_tags(data["tags"]),
                    owner_id=data["owner"],
                    slug=data["slug"] or None,
                    contact=data["contact"],
                )
            except Conflict as exc:
                code.refresh_from_db()
                conflict = _code_initial(code)
                post = request.POST.copy()
                post["expected_version"] = str(code.version)  # saving again overwrites, knowingly
                form = CodeForm(post, teams=teams, initial=_code_initial(code))
                form.is_valid()
                form.add_error(None, str(exc.detail))
            except ServiceError as exc:
                apply_qr_error(form, exc)
            else:
                flash(request, _("The changes have been saved."))
                return redirect("web:qr_code", slug=actor.community.slug, code_id=code.pk)
    language = (get_language() or "nl")[:2]
    try:
        url = scan_url(code.code)
    except PublicUrlMissing as exc:  # the page still works; printing waits for the address
        url, svg, public_url_missing = "", "", str(exc.detail)
    else:
        svg, public_url_missing = qr_svg(url), ""
    context = {
        "code": code,
        "readable": readable(code.code),
        "scan_url": url,
        "svg": svg,
        "public_url_missing": public_url_missing,
        "editable": editable,
        "form": form,
        "conflict": conflict,
        "tags": [t.name for t in code.tags.all()],
        "link_name": links.describe(code.community, code.link_type, code.link_id),
        "link_label": links.LINK_TYPES[code.link_type].label
        if code.link_type in links.LINK_TYPES
        else code.link_type,
        "routes": route_rows(code, language),
        "history": history_rows(actor, code),
        "downloads": _downloads(actor.community.slug, code),
        "stats_url": url_exists("web:qr_code_stats", actor.community.slug, code.pk),
    }
    return render(request, "qrcodes/staff/detail.html", context, status=422 if form.errors else 200)


@require_POST
@community_page("qrcodes.manage")
def code_status(request: HttpRequest, code_id: int) -> HttpResponse:
    actor = actor_of(request)
    code = selectors.code_get(actor=actor, code_id=code_id)
    status = request.POST.get("status", "")
    try:
        services.code_set_status(
            actor=actor,
            code_id=code.pk,
            status=status,
            expected_version=_int(request.POST.get("expected_version")),
        )
    except (Conflict, ValidationFailed) as exc:
        flash(request, str(exc.detail), level="error")
    else:
        messages = {
            CodeStatus.ACTIVE: _("The code works again."),
            CodeStatus.PAUSED: _("The code is paused. Scans show a page with your contact."),
            CodeStatus.RETIRED: _("The code is retired for good."),
        }
        flash(request, messages[CodeStatus(status)])
    return redirect("web:qr_code", slug=actor.community.slug, code_id=code.pk)


# --- claiming a blank code on the spot ------------------------------------------------------------


def _form_choices(actor: Actor) -> list[tuple[int, str]]:
    language = (get_language() or "nl")[:2]
    return [(f.pk, translated(f.title, language)) for f in selectors.forms_list(actor=actor)]


@community_page("qrcodes.manage")
def code_claim(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_of(request)
    found = selectors.code_by_public_id(actor=actor, text=code)
    if found.status != CodeStatus.UNASSIGNED or not services.can_edit(actor, found):
        return render(
            request,
            "qrcodes/staff/claimed.html",
            {
                "code": found,
                "readable": readable(found.code),
                "in_use": found.status != "unassigned",
            },
        )
    teams = teams_for(actor)
    initial: dict[str, Any] = {"title": found.title, "owner": found.owner_id, "target": "url"}
    if not found.owner_id and len(teams) == 1 and not actor.has("qrcodes.admin"):
        initial["owner"] = teams[0][0]
    form = ClaimForm(
        request.POST or None,
        teams=teams,
        forms_=_form_choices(actor),
        link_types=[(k, t.label) for k, t in links.LINK_TYPES.items()],
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        routes: list[dict[str, Any]] = []
        if data["target"] == "url":
            routes = [{"name": "", "action": "redirect", "params": {"url": data["url"]}}]
        elif data["target"] == "form":
            routes = [{"name": "", "action": "form", "params": {"form": data["form"]}}]
        try:
            claimed = services.code_claim(
                actor=actor,
                code_id=found.pk,
                title=data["title"],
                owner_id=data["owner"],
                link_type=data["link_type"],
                link_id=data["link_id"],
                routes=routes,
            )
        except ServiceError as exc:
            apply_qr_error(form, exc)
        else:
            flash(
                request,
                _("The code %(code)s is in use now. Scan it to try it.")
                % {"code": readable(claimed.code)},
            )
            return redirect("web:qr_code", slug=actor.community.slug, code_id=claimed.pk)
    return render(
        request,
        "qrcodes/staff/claim.html",
        {"code": found, "readable": readable(found.code), "form": form},
        status=422 if form.errors else 200,
    )


# --- scan to edit ---------------------------------------------------------------------------------


def code_from_text(text: str) -> str:
    """What was typed or read by the camera → a code or vanity name (a whole scan URL works too)."""
    text = text.strip()
    if "/" in text:
        path = urlsplit(text).path if "://" in text else text
        text = unquote(path.rstrip("/").rsplit("/", 1)[-1])
    return text


@community_page("qrcodes.view")
def code_scan(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    typed = request.GET.get("code", "").strip()[:200]
    error = ""
    if typed:
        try:
            found = selectors.code_by_public_id(actor=actor, text=code_from_text(typed))
        except NotFound:
            error = _(
                "There is no code “%(code)s” in this community. Check the letters and digits."
            )
            error %= {"code": typed[:60]}
        else:
            if found.status == CodeStatus.UNASSIGNED and services.can_edit(actor, found):
                return redirect("web:qr_claim", slug=actor.community.slug, code=found.code)
            return redirect("web:qr_code", slug=actor.community.slug, code_id=found.pk)
    return render(
        request,
        "qrcodes/staff/scan.html",
        {"typed": typed, "error": error},
        status=200,
    )
