"""The route editor's form blocks: a code's routes as plain fields and back, and routes in words.

Staff never write JSON for the built-in actions. Every route is a block of fields named
``r<i>-<field>``. Conditions the blocks cannot show (say two link-parameter conditions made
through the API) travel along unchanged in a hidden field and are listed in words.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.permissions import ROLE_CHOICES
from buurtkit.qrcodes import services
from buurtkit.qrcodes.routing import ACTIONS, MAX_ROUTES
from buurtkit.web.weekdays import DAYS

LANGS = [code for code, _name in settings.LANGUAGES]
BUILT_IN = ("redirect", "info", "menu", "form", "webhook")
MENU_SLOTS_FREE = 2
MAX_MENU_ITEMS = 8
STAFF_ROLES = [(k, label) for k, label in ROLE_CHOICES if k != "resident"]
DEVICES = [
    ("phone", gettext_lazy("phone")),
    ("tablet", gettext_lazy("tablet")),
    ("desktop", gettext_lazy("computer")),
    ("android", "Android"),
    ("ios", "iOS (iPhone, iPad)"),
    ("windows", "Windows"),
    ("macos", "macOS"),
    ("linux", "Linux"),
]
AUDIENCES = [
    ("anyone", gettext_lazy("anyone")),
    ("resident", gettext_lazy("signed-in residents")),
    ("staff", gettext_lazy("staff")),
]
# Which part of a route block an error of the service belongs to.
ACTION_FIELDS = {"action", "params", "url", "title", "html", "items", "form", "webhook", "message"}


def language_name(code: str) -> str:
    return str(get_language_info(code)["name_translated"])


def _texts(values: Any) -> list[dict[str, str]]:
    values = values if isinstance(values, dict) else {"nl": values} if values else {}
    return [
        {"lang": lang, "name": language_name(lang), "value": str(values.get(lang, ""))}
        for lang in LANGS
    ]


def _texts_value(texts: list[dict[str, str]]) -> dict[str, str]:
    return {t["lang"]: t["value"].strip() for t in texts if t["value"].strip()}


# --- plain text ↔ the info page's HTML ----------------------------------------------------------

_SIMPLE_HTML = re.compile(r"^(?:[^<]|<p>|</p>|<br>)*$")
_HTML_TAG = re.compile(r"</?(?:p|br|strong|em|b|i|ul|ol|li|a|h2|h3|blockquote)\b[^>]*>", re.I)


def text_to_html(text: str) -> str:
    """Plain text becomes paragraphs; text with the tags an info page allows is taken as HTML
    (the service sanitises it). ``age < 12`` or ``<your card>`` stay text."""
    text = text.strip()
    if not text or _HTML_TAG.search(text):
        return text
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
        if p.strip()
    )


def html_to_text(value: str) -> str:
    """Show simple stored HTML (paragraphs, line breaks) as the plain text it was written as."""
    if not _SIMPLE_HTML.match(value or ""):
        return value
    body = value.replace("</p><p>", "\n\n").replace("<p>", "").replace("</p>", "")
    return html.unescape(body.replace("<br>", "\n"))


# --- routes ↔ blocks ------------------------------------------------------------------------------


def _blank(action: str = "redirect") -> dict[str, Any]:
    return {
        "name": "",
        "audience": "anyone",
        "roles": [],
        "organisation": "",
        "languages": [],
        "devices": [],
        "date_from": "",
        "date_to": "",
        "days": [],
        "time_from": "",
        "time_to": "",
        "param_name": "",
        "param_value": "",
        "extra": [],
        "action": action,
        "url": "",
        "info_title": _texts({}),
        "info_html": _texts({}),
        "menu_title": _texts({}),
        "items": [],
        "form": "",
        "webhook": "",
        "message": _texts({}),
        "webhook_url": "",
        "params_json": "",
        "errors": [],
        "bad": set(),
    }


def _pad_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    free = min(MENU_SLOTS_FREE, MAX_MENU_ITEMS - len(items))
    return items + [{"label": _texts({}), "url": ""} for _i in range(max(free, 0))]


def block_from_route(route: dict[str, Any]) -> dict[str, Any]:
    """A stored route → the values its form block shows."""
    block = _blank(route.get("action", "redirect"))
    block["name"] = route.get("name", "")
    seen: set[str] = set()
    for cond in route.get("conditions") or []:
        kind = cond.get("type")
        if kind in seen:
            block["extra"].append(cond)
            continue
        seen.add(kind)
        if kind == "audience":
            block["audience"] = cond.get("value", "anyone")
            block["roles"] = list(cond.get("roles") or [])
        elif kind == "organisation":
            block["organisation"] = str(cond.get("organisation", ""))
        elif kind == "language":
            block["languages"] = list(cond.get("values") or [])
        elif kind == "device":
            block["devices"] = list(cond.get("values") or [])
        elif kind == "dates":
            block["date_from"], block["date_to"] = cond.get("from", ""), cond.get("to", "")
        elif kind == "schedule":
            block["days"] = [int(d) for d in cond.get("days") or []]
            block["time_from"], block["time_to"] = cond.get("from", ""), cond.get("to", "")
        elif kind == "param":
            block["param_name"] = cond.get("name", "")
            block["param_value"] = cond.get("value", "")
        else:
            block["extra"].append(cond)
    params = route.get("params") or {}
    action = block["action"]
    if action == "redirect":
        block["url"] = params.get("url", "")
    elif action == "info":
        block["info_title"] = _texts(params.get("title") or {})
        block["info_html"] = _texts(
            {k: html_to_text(v) for k, v in (params.get("html") or {}).items()}
        )
    elif action == "menu":
        block["menu_title"] = _texts(params.get("title") or {})
        block["items"] = [
            {"label": _texts(i.get("label") or {}), "url": i.get("url", "")}
            for i in params.get("items") or []
        ]
    elif action == "form":
        block["form"] = str(params.get("form", ""))
    elif action == "webhook":
        block["webhook"] = str(params.get("webhook", ""))
        block["message"] = _texts(params.get("message") or {})
        block["webhook_url"] = params.get("url", "")
    else:
        block["params_json"] = json.dumps(params, ensure_ascii=False, indent=1)
    block["items"] = _pad_items(block["items"])
    return block


def _post_texts(post: QueryDict, prefix: str) -> list[dict[str, str]]:
    return _texts({lang: post.get(f"{prefix}-{lang}", "") for lang in LANGS})


def blocks_from_post(post: QueryDict) -> list[dict[str, Any]]:
    """The blocks exactly as typed, so a page shown again loses nothing."""
    try:
        count = min(int(post.get("routes", "0")), MAX_ROUTES + 1)
    except ValueError:
        count = 0
    blocks = []
    for i in range(count):
        p = f"r{i}-"
        block = _blank(post.get(p + "action", "redirect"))
        for name in (
            "name",
            "audience",
            "organisation",
            "date_from",
            "date_to",
            "time_from",
            "time_to",
            "param_name",
            "param_value",
            "url",
            "form",
            "webhook",
            "webhook_url",
            "params_json",
        ):
            block[name] = post.get(p + name, block[name]).strip()
        block["roles"] = post.getlist(p + "roles")
        block["languages"] = post.getlist(p + "languages")
        block["devices"] = post.getlist(p + "devices")
        block["days"] = [int(d) for d in post.getlist(p + "days") if d.isdigit()]
        try:
            extra = json.loads(post.get(p + "extra") or "[]")
        except ValueError:
            extra = []
        block["extra"] = extra if isinstance(extra, list) else []
        block["info_title"] = _post_texts(post, p + "info_title")
        block["info_html"] = _post_texts(post, p + "info_html")
        block["menu_title"] = _post_texts(post, p + "menu_title")
        block["message"] = _post_texts(post, p + "message")
        try:
            slots = min(int(post.get(p + "items", "0")), MAX_MENU_ITEMS)
        except ValueError:
            slots = 0
        items = []
        for j in range(slots):
            item = {
                "label": _post_texts(post, f"{p}item{j}-label"),
                "url": post.get(f"{p}item{j}-url", "").strip(),
            }
            if item["url"] or _texts_value(item["label"]):
                items.append(item)
        block["items"] = _pad_items(items)
        blocks.append(block)
    return blocks


class BlockError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def route_from_block(block: dict[str, Any]) -> dict[str, Any]:
    """A form block → the route the service checks (only the chosen action's fields count)."""
    conditions: list[dict[str, Any]] = []
    if block["audience"] in ("resident", "staff"):
        cond: dict[str, Any] = {"type": "audience", "value": block["audience"]}
        if block["audience"] == "staff" and block["roles"]:
            cond["roles"] = block["roles"]
        conditions.append(cond)
    if block["organisation"]:
        if not block["organisation"].isdigit():
            raise BlockError("conditions", _("Choose an organisation of this community."))
        conditions.append({"type": "organisation", "organisation": int(block["organisation"])})
    if block["languages"]:
        conditions.append({"type": "language", "values": block["languages"]})
    if block["devices"]:
        conditions.append({"type": "device", "values": block["devices"]})
    if block["date_from"] or block["date_to"]:
        dates = {"type": "dates"}
        if block["date_from"]:
            dates["from"] = block["date_from"]
        if block["date_to"]:
            dates["to"] = block["date_to"]
        conditions.append(dates)
    if block["days"] or block["time_from"] or block["time_to"]:
        conditions.append(
            {
                "type": "schedule",
                "days": block["days"] or [1, 2, 3, 4, 5, 6, 7],
                "from": block["time_from"] or "00:00",
                "to": block["time_to"] or "23:59",
            }
        )
    if block["param_name"] or block["param_value"]:
        param = {"type": "param", "name": block["param_name"]}
        if block["param_value"]:
            param["value"] = block["param_value"]
        conditions.append(param)
    conditions.extend(block["extra"])
    action = block["action"]
    params: dict[str, Any]
    if action == "redirect":
        params = {"url": block["url"]}
    elif action == "info":
        params = {
            "title": _texts_value(block["info_title"]),
            "html": {k: text_to_html(v) for k, v in _texts_value(block["info_html"]).items()},
        }
    elif action == "menu":
        params = {
            "title": _texts_value(block["menu_title"]),
            "items": [
                {"label": _texts_value(i["label"]), "url": i["url"]}
                for i in block["items"]
                if i["url"] or _texts_value(i["label"])
            ],
        }
    elif action == "form":
        params = {"form": int(block["form"]) if block["form"].isdigit() else None}
    elif action == "webhook":
        params = {
            "webhook": int(block["webhook"]) if block["webhook"].isdigit() else None,
            "message": _texts_value(block["message"]),
        }
        if block["webhook_url"]:
            params["url"] = block["webhook_url"]
    else:
        try:
            params = json.loads(block["params_json"] or "{}")
        except ValueError as exc:
            raise BlockError("params", _("The settings are not valid JSON.")) from exc
    return {"name": block["name"], "conditions": conditions, "action": action, "params": params}


def check_blocks(actor: Actor, blocks: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Routes for the service, or None after writing every route's own errors into its block."""
    routes, failed = [], False
    for block in blocks:
        try:
            route = route_from_block(block)
            services.clean_routes(actor.community, [route])
        except BlockError as exc:
            block["errors"].append(exc.message)
            block["bad"].add(exc.field)
            failed = True
        except ValidationFailed as exc:
            fields = {k.split(".", 2)[-1]: str(v) for k, v in exc.fields.items()}
            block["errors"].extend(fields.values() or [str(exc.detail)])
            block["bad"].update(fields)
            failed = True
        else:
            routes.append(route)
    return None if failed else routes


def place_service_errors(blocks: list[dict[str, Any]], exc: ValidationFailed) -> bool:
    """Put ``routes.<n>.<field>`` errors on route n; False if none could be placed."""
    placed = False
    for key, message in exc.fields.items():
        match = re.match(r"^routes\.(\d+)\.(\w+)$", key)
        if match and 0 < int(match.group(1)) <= len(blocks):
            block = blocks[int(match.group(1)) - 1]
            block["errors"].append(str(message))
            block["bad"].add(match.group(2))
            placed = True
    return placed


# --- words for routes (the detail page uses these too) --------------------------------------------


def describe_conditions(conditions: list[dict[str, Any]], org_names: dict[int, str]) -> str:
    """A route's conditions in one sentence, or "everyone, always"."""
    roles = dict(ROLE_CHOICES)
    devices = dict(DEVICES)
    days = dict(DAYS)
    parts = []
    for c in conditions:
        kind = c.get("type")
        if kind == "audience":
            if c.get("value") == "resident":
                parts.append(_("signed-in residents"))
            elif c.get("value") == "staff":
                names = ", ".join(str(roles.get(r, r)) for r in c.get("roles") or [])
                parts.append(_("staff (%(roles)s)") % {"roles": names} if names else _("staff"))
        elif kind == "organisation":
            name = org_names.get(c.get("organisation", 0), "?")
            parts.append(_("members of %(org)s") % {"org": name})
        elif kind == "language":
            names = ", ".join(language_name(v) for v in c.get("values", []) if v in LANGS)
            parts.append(_("in %(languages)s") % {"languages": names})
        elif kind == "device":
            names = ", ".join(str(devices.get(v, v)) for v in c.get("values", []))
            parts.append(_("on %(devices)s") % {"devices": names})
        elif kind == "dates":
            parts.append(
                _("from %(start)s to %(end)s")
                % {"start": c.get("from", "…"), "end": c.get("to", "…")}
            )
        elif kind == "schedule":
            day_names = ", ".join(str(days.get(d, d)) for d in c.get("days", []))
            parts.append(
                _("%(days)s %(start)s–%(end)s")
                % {"days": day_names, "start": c.get("from"), "end": c.get("to")}
            )
        elif kind == "param":
            text = c.get("name", "")
            if c.get("value"):
                text += "=" + str(c["value"])
            parts.append(_("link with %(param)s") % {"param": text})
    return "; ".join(parts) if parts else _("everyone, always")


def route_rows(code: Any, language: str) -> list[dict[str, Any]]:
    """The code's routes in words: number, name, for whom, what happens."""
    org_names: dict[int, str] = {}
    routes = list(code.routes.all())
    if any(c.get("type") == "organisation" for r in routes for c in r.conditions):
        from buurtkit.people.models import Organisation

        org_names = dict(
            Organisation.objects.in_community(code.community_id).values_list("pk", "name")
        )
    rows = []
    for r in routes:
        action = ACTIONS.get(r.action)
        what = (action.describe(r.params, language) or str(action.label)) if action else r.action
        rows.append(
            {
                "number": r.position + 1,
                "name": r.name,
                "who": describe_conditions(r.conditions, org_names),
                "what": what,
            }
        )
    return rows
