"""Reads on QR codes: resolving a scan, lists, history, previews and scan figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.scoping import get_scoped
from buurtkit.qrcodes import cache
from buurtkit.qrcodes.cache import CachedCode, CachedRoute
from buurtkit.qrcodes.models import (
    Code,
    CodeDay,
    CodeEvent,
    CodeStatus,
    Form,
    RolledUpDay,
    Scan,
    ScanDaily,
    Submission,
    Webhook,
)
from buurtkit.qrcodes.routing import ACTIONS, Audience, Outcome, ScanContext, Target, translated


@dataclass(frozen=True)
class Resolution:
    """What a scan gets. ``outcome`` is None when the code cannot answer (see ``reason``)."""

    code: CachedCode
    reason: str  # "ok" | "paused" | "retired" | "unassigned" | "no_route"
    route: CachedRoute | None = None
    outcome: Outcome | None = None


def lookup(text: str) -> CachedCode | None:
    """The code behind a scanned id or vanity name (cached; no query on a hit)."""
    return cache.get(text)


def resolve(code: CachedCode, ctx: ScanContext) -> Resolution:
    """The first route whose conditions all hold decides; paused and retired codes do not answer."""
    if code.status != CodeStatus.ACTIVE:
        return Resolution(code, code.status)
    for route in code.routes:
        if route.matches(ctx):
            action = ACTIONS.get(route.action)
            if action is None:
                continue
            return Resolution(code, "ok", route, action.resolve(Target(code, route, ctx)))
    return Resolution(code, "no_route")


def audience_for(actor: Actor | None) -> Audience:
    if actor is None:
        return Audience()
    return Audience(
        signed_in=True,
        resident=actor.person_id is not None,
        roles=frozenset(actor.roles) - {"resident"},
        organisation_ids=frozenset(actor.organisation_ids),
    )


def preview(
    *,
    actor: Actor,
    code_id: int,
    at: dt.datetime,
    language: str,
    device: str,
    os_name: str,
    audience: Audience,
    params: dict[str, str] | None = None,
) -> dict[str, Any]:
    """ "A resident on an Android phone in French, Saturday 10:00, would get …" for the editor."""
    actor.require("qrcodes.view")
    code = get_scoped(Code, actor.community, pk=code_id)
    compiled = cache.compile_code(code, list(code.routes.all()))
    ctx = ScanContext(
        now=at,
        language=language,
        device=device,
        os=os_name,
        params=params or {},
        audience_loader=lambda: audience,
    )
    result = resolve(compiled, ctx)
    if result.route is None:
        sentence = {
            "paused": _("the page saying this code is paused"),
            "retired": _("the page saying this code is no longer used"),
            "unassigned": _("the page saying this code is not in use yet"),
            "no_route": _("the page saying there is nothing here for them"),
        }[result.reason]
        return {"reason": result.reason, "route": None, "description": sentence}
    action = ACTIONS[result.route.action]
    return {
        "reason": "ok",
        "route": result.route.position + 1,
        "route_name": result.route.name,
        "action": result.route.action,
        "description": action.describe(result.route.params, language) or str(action.label),
    }


# --- lists ------------------------------------------------------------------------------------


def codes_list(
    *,
    actor: Actor,
    q: str = "",
    tag: str = "",
    owner_id: int | None = None,
    status: str = "",
    batch_id: int | None = None,
) -> QuerySet[Code]:
    actor.require("qrcodes.view")
    qs = Code.objects.in_community(actor.community).select_related("owner").prefetch_related("tags")
    text = q.strip()
    if text:
        from buurtkit.qrcodes.codes import normalise

        qs = qs.filter(
            Q(title__icontains=text)
            | Q(description__icontains=text)
            | Q(slug__icontains=text.lower())
            | Q(code=normalise(text))
        )
    if tag:
        qs = qs.filter(tags__name=tag.strip().lower())
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if status:
        qs = qs.filter(status=status)
    if batch_id:
        qs = qs.filter(batch_id=batch_id)
    return qs.distinct() if tag else qs


def code_get(*, actor: Actor, code_id: int) -> Code:
    actor.require("qrcodes.view")
    return get_scoped(Code, actor.community, pk=code_id)


def code_by_public_id(*, actor: Actor, text: str) -> Code:
    """A code by its printed id or vanity name (scan-to-edit)."""
    actor.require("qrcodes.view")
    key = cache.key_for(text)
    if key is None:
        return get_scoped(Code, actor.community, code="-")
    kind, value = key[0], key[2:]
    if kind == "C":
        return get_scoped(Code, actor.community, code=value)
    return get_scoped(Code, actor.community, slug=value)


def code_history(*, actor: Actor, code_id: int) -> QuerySet[CodeEvent]:
    code = code_get(actor=actor, code_id=code_id)
    return CodeEvent.objects.in_community(actor.community).filter(code=code)


def forms_list(*, actor: Actor) -> QuerySet[Form]:
    actor.require("qrcodes.view")
    return Form.objects.in_community(actor.community).annotate(answers=Count("submissions"))


def submissions_list(*, actor: Actor, form_id: int) -> QuerySet[Submission]:
    actor.require("qrcodes.submissions")
    form = get_scoped(Form, actor.community, pk=form_id)
    return Submission.objects.in_community(actor.community).filter(form=form).select_related("code")


def webhooks_list(*, actor: Actor) -> QuerySet[Webhook]:
    actor.require("qrcodes.view")
    return Webhook.objects.in_community(actor.community)


def form_title(form: Form, language: str) -> str:
    return translated(form.title, language)


# --- scan figures -----------------------------------------------------------------------------


def _today() -> dt.date:
    from buurtkit.qrcodes.recording import local_day

    return local_day(clock.now())


def _code_filter(actor: Actor, code_id: int | None, tag: str, owner_id: int | None) -> Q:
    q = Q(community_id=actor.community.pk)
    if code_id:
        q &= Q(code_id=code_id)
    if tag:
        q &= Q(code__tags__name=tag.strip().lower())
    if owner_id:
        q &= Q(code__owner_id=owner_id)
    return q


def scans_per_day(
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    code_id: int | None = None,
    tag: str = "",
    owner_id: int | None = None,
) -> list[dict[str, Any]]:
    """Scans (people, not bots) and unique visitors per day, from the daily sums; days not yet
    summed (today, or before the nightly roll-up) are counted from the single scans."""
    actor.require("qrcodes.view")
    where = _code_filter(actor, code_id, tag, owner_id)
    rolled = set(
        RolledUpDay.objects.in_community(actor.community)
        .filter(day__gte=start, day__lte=end)
        .values_list("day", flat=True)
    )
    per_day: dict[dt.date, dict[str, int]] = {}
    for row in (
        CodeDay.objects.filter(where, day__gte=start, day__lte=end, day__in=rolled)
        .values("day")
        .annotate(scans=Sum("scans"), visitors=Sum("visitors"))
        .order_by()
    ):
        per_day[row["day"]] = {"scans": row["scans"] or 0, "visitors": row["visitors"] or 0}
    for row in (
        Scan.objects.filter(where, day__gte=start, day__lte=end, bot=False)
        .exclude(day__in=rolled)
        .values("day", "code_id")
        .annotate(scans=Count("id"), visitors=Count("visitor", distinct=True))
        .order_by()
    ):
        entry = per_day.setdefault(row["day"], {"scans": 0, "visitors": 0})
        entry["scans"] += row["scans"]
        entry["visitors"] += row["visitors"]
    days = []
    day = start
    while day <= end:
        entry = per_day.get(day, {"scans": 0, "visitors": 0})
        days.append({"day": day, **entry})
        day += dt.timedelta(days=1)
    return days


def scans_breakdown(
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    by: str,
    code_id: int | None = None,
    tag: str = "",
    owner_id: int | None = None,
) -> list[dict[str, Any]]:
    """Scans by people per ``route``, ``source``, ``device`` or ``language`` over a period."""
    actor.require("qrcodes.view")
    if by not in ("route", "source", "device", "language"):
        raise ValueError(by)
    where = _code_filter(actor, code_id, tag, owner_id)
    rolled = set(
        RolledUpDay.objects.in_community(actor.community)
        .filter(day__gte=start, day__lte=end)
        .values_list("day", flat=True)
    )
    totals: dict[Any, int] = {}
    for row in (
        ScanDaily.objects.filter(where, day__gte=start, day__lte=end, day__in=rolled, bot=False)
        .values(by)
        .annotate(n=Sum("scans"))
        .order_by()
    ):
        totals[row[by]] = totals.get(row[by], 0) + (row["n"] or 0)
    for row in (
        Scan.objects.filter(where, day__gte=start, day__lte=end, bot=False)
        .exclude(day__in=rolled)
        .values(by)
        .annotate(n=Count("id"))
        .order_by()
    ):
        key = -1 if by == "route" and row[by] is None else row[by]
        totals[key] = totals.get(key, 0) + row["n"]
    return [{by: key, "scans": n} for key, n in sorted(totals.items(), key=lambda kv: -kv[1])]


def top_codes(
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    limit: int = 10,
    tag: str = "",
    owner_id: int | None = None,
) -> list[dict[str, Any]]:
    """The most scanned codes over a period (scans by people)."""
    actor.require("qrcodes.view")
    where = _code_filter(actor, None, tag, owner_id)
    rolled = set(
        RolledUpDay.objects.in_community(actor.community)
        .filter(day__gte=start, day__lte=end)
        .values_list("day", flat=True)
    )
    totals: dict[int, int] = {}
    for row in (
        CodeDay.objects.filter(where, day__gte=start, day__lte=end, day__in=rolled)
        .values("code_id")
        .annotate(n=Sum("scans"))
        .order_by()
    ):
        totals[row["code_id"]] = totals.get(row["code_id"], 0) + (row["n"] or 0)
    for row in (
        Scan.objects.filter(where, day__gte=start, day__lte=end, bot=False)
        .exclude(day__in=rolled)
        .values("code_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        totals[row["code_id"]] = totals.get(row["code_id"], 0) + row["n"]
    best = sorted(totals.items(), key=lambda kv: -kv[1])[:limit]
    names = {
        c.pk: c
        for c in Code.objects.in_community(actor.community).filter(pk__in=[pk for pk, _n in best])
    }
    return [
        {"code": names[pk].code, "id": pk, "title": names[pk].title, "scans": n}
        for pk, n in best
        if pk in names
    ]
