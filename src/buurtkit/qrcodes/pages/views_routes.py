"""The route editor page and the "who would get what" preview.

Adding, removing and moving routes posts the form back and shows it again; nothing is saved until
"Save". The blocks themselves are made and read in :mod:`buurtkit.qrcodes.pages.route_blocks`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.qrcodes import selectors, services
from buurtkit.qrcodes.pages.route_blocks import (
    ACTION_FIELDS,
    AUDIENCES,
    BUILT_IN,
    DAYS,
    DEVICES,
    LANGS,
    STAFF_ROLES,
    block_from_route,
    blocks_from_post,
    check_blocks,
    describe_conditions,
    language_name,
    place_service_errors,
    route_rows,
)
from buurtkit.qrcodes.routing import ACTIONS, BRUSSELS, MAX_ROUTES, Audience, translated
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash

# --- the preview ----------------------------------------------------------------------------------

PREVIEW_DEVICES = [
    ("phone-android", gettext_lazy("an Android phone")),
    ("phone-ios", gettext_lazy("an iPhone")),
    ("tablet-android", gettext_lazy("an Android tablet")),
    ("tablet-ios", gettext_lazy("an iPad")),
    ("desktop-windows", gettext_lazy("a Windows computer")),
    ("desktop-macos", gettext_lazy("a Mac")),
    ("other-other", gettext_lazy("another device")),
]


def _who_choices(actor: Actor) -> list[tuple[str, str]]:
    choices = [
        ("anyone", _("Someone who is not signed in")),
        ("resident", _("A signed-in resident")),
    ]
    choices += [
        (f"staff:{k}", _("A staff member (%(role)s)") % {"role": label}) for k, label in STAFF_ROLES
    ]
    choices += [
        (f"org:{o.pk}", _("A member of %(org)s") % {"org": o.name})
        for o in selectors.teams_list(actor=actor)
    ]
    return choices


def _preview_audience(who: str) -> Audience:
    if who == "resident":
        return Audience(signed_in=True, resident=True)
    if who.startswith("staff:"):
        return Audience(signed_in=True, roles=frozenset({who[6:]}))
    if who.startswith("org:") and who[4:].isdigit():
        return Audience(
            signed_in=True, roles=frozenset({"staff"}), organisation_ids=frozenset({int(who[4:])})
        )
    return Audience()


def preview_form(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    now = clock.now().astimezone(BRUSSELS)
    get = request.GET
    values = {
        "who": get.get("p_who", "resident"),
        "language": get.get("p_language", (get_language() or "nl")[:2]),
        "device": get.get("p_device", "phone-android"),
        "date": get.get("p_date", now.date().isoformat()),
        "time": get.get("p_time", now.strftime("%H:%M")),
        "param": get.get("p_param", ""),
    }
    return {
        "values": values,
        "who_choices": _who_choices(actor),
        "devices": PREVIEW_DEVICES,
        "languages": [(lang, language_name(lang)) for lang in LANGS],
    }


def run_preview(actor: Actor, code_id: int, values: dict[str, str]) -> dict[str, Any]:
    """Ask the selector, then say it in a sentence."""
    try:
        day = dt.date.fromisoformat(values["date"])
        time = dt.time.fromisoformat(values["time"])
    except ValueError:
        return {"error": _("Give a day (YYYY-MM-DD) and a time (HH:MM).")}
    at = dt.datetime.combine(day, time, tzinfo=BRUSSELS)
    device, _sep, os_name = values["device"].partition("-")
    language = values["language"] if values["language"] in LANGS else "nl"
    name, _eq, value = values["param"].partition("=")
    params = {name.strip(): value.strip()} if name.strip() else {}
    result = selectors.preview(
        actor=actor,
        code_id=code_id,
        at=at,
        language=language,
        device=device,
        os_name=os_name or "other",
        audience=_preview_audience(values["who"]),
        params=params,
    )
    who = dict(_who_choices(actor)).get(values["who"], values["who"])
    sentence = _("%(who)s on %(device)s in %(language)s, %(when)s, would get: %(what)s.") % {
        "who": who,
        "device": dict(PREVIEW_DEVICES).get(values["device"], values["device"]),
        "language": language_name(language),
        "when": formats.date_format(at, "l j F Y, H:i"),
        "what": result["description"],
    }
    if result.get("route"):
        label = result.get("route_name") or ""
        sentence += " " + (
            _("(route %(n)d “%(name)s”)") % {"n": result["route"], "name": label}
            if label
            else _("(route %(n)d)") % {"n": result["route"]}
        )
    return {"sentence": sentence, **result}


# --- the page -------------------------------------------------------------------------------------


def _op(value: str) -> tuple[str, int]:
    name, _sep, index = value.partition("-")
    return name, int(index) if index.isdigit() else -1


@community_page("qrcodes.view")
def code_routes(request: HttpRequest, code_id: int) -> HttpResponse:
    actor: Actor = actor_of(request)
    code = selectors.code_get(actor=actor, code_id=code_id)
    editable = services.can_edit(actor, code)
    language = (get_language() or "nl")[:2]
    preview = preview_form(request, actor)
    result = run_preview(actor, code.pk, preview["values"]) if "p_who" in request.GET else None
    if result is not None and request.headers.get("HX-Request"):
        return render(request, "qrcodes/staff/_preview.html", {"result": result})
    version, message, unsaved, conflict = code.version, "", False, False
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(
                _("Only the team that owns this code, or a coordinator, can change it.")
            )
        blocks = blocks_from_post(request.POST)
        op, index = _op(request.POST.get("op", "save"))
        try:
            version = int(request.POST.get("expected_version", ""))
        except ValueError:
            version = code.version
        if op == "add" and len(blocks) < MAX_ROUTES:
            blocks.append(block_from_route({"action": "redirect"}))
            unsaved = True
        elif op == "remove" and 0 <= index < len(blocks):
            blocks.pop(index)
            unsaved = True
        elif op in ("up", "down") and 0 <= index < len(blocks):
            other = index - 1 if op == "up" else index + 1
            if 0 <= other < len(blocks):
                blocks[index], blocks[other] = blocks[other], blocks[index]
            unsaved = True
        else:
            routes = check_blocks(actor, blocks)
            if routes is None:
                message = _("Some routes need another look; see the messages in red.")
            else:
                try:
                    services.routes_set(
                        actor=actor, code_id=code.pk, routes=routes, expected_version=version
                    )
                except Conflict as exc:
                    code.refresh_from_db()
                    message, conflict, version = str(exc.detail), True, code.version
                except ValidationFailed as exc:
                    if not place_service_errors(blocks, exc):
                        message = str(exc.detail)
                    else:
                        message = _("Some routes need another look; see the messages in red.")
                else:
                    flash(request, _("The routes have been saved. Scans use them at once."))
                    return redirect("web:qr_routes", slug=code.community.slug, code_id=code.pk)
        status = 422 if message and not conflict else 200
    else:
        blocks = [
            block_from_route(
                {"name": r.name, "conditions": r.conditions, "action": r.action, "params": r.params}
            )
            for r in code.routes.all()
        ]
        status = 200
    for block in blocks:
        block["extra_json"] = json.dumps(block["extra"], ensure_ascii=False)
        block["extra_words"] = describe_conditions(block["extra"], {}) if block["extra"] else ""
        block["has_conditions"] = bool(
            block["audience"] != "anyone"
            or block["organisation"]
            or block["languages"]
            or block["devices"]
            or block["date_from"]
            or block["date_to"]
            or block["days"]
            or block["time_from"]
            or block["time_to"]
            or block["param_name"]
            or block["extra"]
            or block["bad"] & {"conditions"}
        )
        block["action_bad"] = bool(block["bad"] & ACTION_FIELDS)
        block["builtin"] = block["action"] in BUILT_IN
    context = {
        "code": code,
        "editable": editable,
        "blocks": blocks,
        "version": version,
        "message": message,
        "conflict": conflict,
        "unsaved": unsaved,
        "can_add": len(blocks) < MAX_ROUTES,
        "actions": [(a.key, a.label) for a in ACTIONS.values()],
        "audiences": AUDIENCES,
        "staff_roles": STAFF_ROLES,
        "devices": DEVICES,
        "days": DAYS,
        "lang_choices": [(lang, language_name(lang)) for lang in LANGS],
        "organisations": list(selectors.teams_list(actor=actor)),
        "forms": [(f.pk, translated(f.title, language)) for f in selectors.forms_list(actor=actor)],
        "webhooks": list(selectors.webhooks_list(actor=actor)),
        "preview": preview,
        "result": result,
        "routes_now": route_rows(code, language),
    }
    return render(request, "qrcodes/staff/routes.html", context, status=status)
