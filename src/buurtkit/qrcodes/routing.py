"""What a scan does, for whom: route conditions and the registry of route actions.

A code has ordered routes; the first route whose conditions all hold decides the answer. Conditions
are plain JSON (shown and edited in the staff pages, sent through the API)::

    {"type": "audience", "value": "anyone" | "resident" | "staff", "roles": [...]}
    {"type": "organisation", "organisation": 12}          # signed-in member of that organisation
    {"type": "language", "values": ["fr", "en"]}
    {"type": "device", "values": ["android", "ios", "phone", "tablet", "desktop"]}
    {"type": "dates", "from": "2026-06-01", "to": "2026-08-31"}   # Europe/Brussels, inclusive
    {"type": "schedule", "days": [1, 2, 3, 4, 5], "from": "08:00", "to": "17:00"}  # ISO weekdays
    {"type": "param", "name": "src", "value": "poster"}   # value optional: present is enough

Actions are a typed registry: the built-in ones are registered in :mod:`buurtkit.qrcodes.actions`,
other apps add theirs with :func:`register_action` (the ledger's "pay this shop", say).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.registry import Registry
from buurtkit.qrcodes.useragent import DEVICES, SYSTEMS

BRUSSELS = ZoneInfo("Europe/Brussels")
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
STAFF_ROLES = (
    "coordinator",
    "staff",
    "counter_clerk",
    "volunteer",
    "merchant",
    "referrer",
    "auditor",
)
MAX_ROUTES = 20
MAX_CONDITIONS = 10


# --- who is scanning ------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """Who scans, as far as the scan's community is concerned."""

    signed_in: bool = False
    resident: bool = False
    roles: frozenset[str] = frozenset()
    organisation_ids: frozenset[int] = frozenset()


ANONYMOUS = Audience()


@dataclass
class ScanContext:
    """Everything a condition may look at. ``audience`` is looked up only when a route asks."""

    now: dt.datetime
    language: str = "nl"
    device: str = "other"
    os: str = "other"
    bot: bool = False
    params: Mapping[str, str] = field(default_factory=dict)
    audience_loader: Callable[[], Audience] = lambda: ANONYMOUS
    _audience: Audience | None = None

    @property
    def audience(self) -> Audience:
        if self._audience is None:
            self._audience = self.audience_loader()
        return self._audience

    @property
    def local(self) -> dt.datetime:
        return self.now.astimezone(BRUSSELS)


# --- conditions -----------------------------------------------------------------------------


def _field_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"conditions": message})


def _time(value: Any) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError as exc:
        raise _field_error(_("Write times as HH:MM, for example 08:30.")) from exc


def _date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise _field_error(_("Write dates as YYYY-MM-DD, for example 2026-06-01.")) from exc


def _values(cond: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    values = cond.get("values")
    if not isinstance(values, list) or not values:
        raise _field_error(_("Choose at least one value."))
    wrong = [v for v in values if v not in allowed]
    if wrong:
        raise _field_error(
            _("Unknown value “%(value)s”. Use one of: %(allowed)s.")
            % {"value": wrong[0], "allowed": ", ".join(allowed)}
        )
    return list(dict.fromkeys(values))


def clean_condition(community: Community, cond: Any, organisation_ids: set[int]) -> dict[str, Any]:
    """Check one condition and return it in its stored form; refuse anything unclear."""
    if not isinstance(cond, dict):
        raise _field_error(_("A condition must be an object with a type."))
    kind = cond.get("type")
    if kind == "audience":
        value = cond.get("value", "anyone")
        if value not in ("anyone", "resident", "staff"):
            raise _field_error(_("Audience must be anyone, resident or staff."))
        out: dict[str, Any] = {"type": kind, "value": value}
        roles = cond.get("roles") or []
        if roles:
            if value != "staff":
                raise _field_error(_("Roles can only be chosen for staff."))
            out["roles"] = _values({"values": roles}, STAFF_ROLES)
        return out
    if kind == "organisation":
        org = cond.get("organisation")
        if not isinstance(org, int) or org not in organisation_ids:
            raise _field_error(_("Choose an organisation of this community."))
        return {"type": kind, "organisation": org}
    if kind == "language":
        return {"type": kind, "values": _values(cond, LANGUAGES)}
    if kind == "device":
        return {"type": kind, "values": _values(cond, DEVICES + SYSTEMS)}
    if kind == "dates":
        start = _date(cond["from"]) if cond.get("from") else None
        end = _date(cond["to"]) if cond.get("to") else None
        if start is None and end is None:
            raise _field_error(_("Give a first or a last day."))
        if start and end and end < start:
            raise _field_error(_("The last day is before the first day."))
        out = {"type": kind}
        if start:
            out["from"] = start.isoformat()
        if end:
            out["to"] = end.isoformat()
        return out
    if kind == "schedule":
        days = cond.get("days") or [1, 2, 3, 4, 5, 6, 7]
        if not isinstance(days, list) or any(d not in range(1, 8) for d in days):
            raise _field_error(_("Days are numbers from 1 (Monday) to 7 (Sunday)."))
        start, end = _time(cond.get("from", "00:00")), _time(cond.get("to", "23:59"))
        if start == end:
            raise _field_error(_("The start and end time are the same."))
        return {
            "type": kind,
            "days": sorted(set(days)),
            "from": start.strftime("%H:%M"),
            "to": end.strftime("%H:%M"),
        }
    if kind == "param":
        name = str(cond.get("name") or "").strip()
        if not name or len(name) > 40:
            raise _field_error(_("Give the name of the link parameter."))
        out = {"type": kind, "name": name}
        if cond.get("value") not in (None, ""):
            out["value"] = str(cond["value"])[:100]
        return out
    raise _field_error(_("Unknown condition type “%(type)s”.") % {"type": kind})


def compile_condition(cond: dict[str, Any]) -> Callable[[ScanContext], bool]:
    """A stored condition → a fast test. Conditions are checked on save, so this trusts them."""
    kind = cond["type"]
    if kind == "audience":
        value = cond["value"]
        if value == "anyone":
            return lambda ctx: True
        if value == "resident":
            return lambda ctx: ctx.audience.resident
        roles = frozenset(cond.get("roles") or STAFF_ROLES)
        return lambda ctx: bool(ctx.audience.roles & roles)
    if kind == "organisation":
        org = cond["organisation"]
        return lambda ctx: org in ctx.audience.organisation_ids
    if kind == "language":
        langs = frozenset(cond["values"])
        return lambda ctx: ctx.language in langs
    if kind == "device":
        values = frozenset(cond["values"])
        return lambda ctx: ctx.device in values or ctx.os in values
    if kind == "dates":
        start = dt.date.fromisoformat(cond["from"]) if "from" in cond else dt.date.min
        end = dt.date.fromisoformat(cond["to"]) if "to" in cond else dt.date.max
        return lambda ctx: start <= ctx.local.date() <= end
    if kind == "schedule":
        days = frozenset(cond["days"])
        start, end = dt.time.fromisoformat(cond["from"]), dt.time.fromisoformat(cond["to"])

        def on_schedule(ctx: ScanContext) -> bool:
            local = ctx.local
            now = local.time().replace(second=0, microsecond=0)
            if start < end:
                return local.isoweekday() in days and start <= now < end
            # Crosses midnight: the part after midnight belongs to the day before.
            if now >= start:
                return local.isoweekday() in days
            return now < end and ((local.isoweekday() - 2) % 7 + 1) in days

        return on_schedule
    if kind == "param":
        name, value = cond["name"], cond.get("value")
        if value is None:
            return lambda ctx: name in ctx.params
        return lambda ctx: ctx.params.get(name) == value
    raise ValueError(kind)


def needs_audience(conditions: list[dict[str, Any]]) -> bool:
    return any(
        c["type"] == "organisation" or (c["type"] == "audience" and c["value"] != "anyone")
        for c in conditions
    )


# --- actions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Redirect:
    url: str


@dataclass(frozen=True)
class Page:
    """A page buurtkit shows itself (info, menu, form, …): a template and what it needs."""

    template: str
    context: dict[str, Any]


Outcome = Redirect | Page


@dataclass(frozen=True)
class Target:
    """What an action needs to decide its answer."""

    code: Any  # CachedCode
    route: Any  # CachedRoute
    context: ScanContext


@dataclass(frozen=True)
class Action:
    key: str
    label: str | Promise
    # Checks and normalises a route's settings when it is saved; raises ValidationFailed.
    clean: Callable[[Community, dict[str, Any]], dict[str, Any]]
    # Decides the answer for one scan. Must not write and should not query.
    resolve: Callable[[Target], Outcome]
    # Describes the outcome in a sentence for the route preview.
    describe: Callable[[dict[str, Any], str], str] = lambda params, language: ""


ACTIONS: Registry[str, Action] = Registry("QR route actions")


def register_action(action: Action) -> None:
    """Add a route action. Keys are unique: another action under a key that is taken is refused
    (:class:`~buurtkit.core.registry.DuplicateRegistration`); the very same action again (an
    ``AppConfig.ready()`` that runs twice) is accepted."""
    ACTIONS.register_once(action.key, action)


def get_action(key: str) -> Action:
    try:
        return ACTIONS[key]
    except KeyError as exc:
        msg = _("Unknown action “%(action)s”.") % {"action": key}
        raise ValidationFailed(msg, fields={"action": msg}) from exc


def translated(values: Any, language: str, fallback: str = "nl") -> str:
    """Pick a language from a ``{"nl": …, "fr": …}`` value, falling back sensibly."""
    if isinstance(values, str):
        return values
    if not isinstance(values, dict) or not values:
        return ""
    return str(
        values.get(language) or values.get(fallback) or next(iter(values.values()), "") or ""
    )
