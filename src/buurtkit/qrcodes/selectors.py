"""Reads on QR codes: resolving a scan, lists, history, previews and scan figures."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.utils.translation import gettext as _

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict
from buurtkit.core.scoping import get_scoped
from buurtkit.people.models import Organisation
from buurtkit.qrcodes import cache
from buurtkit.qrcodes.cache import CachedCode, CachedRoute
from buurtkit.qrcodes.codes import normalise
from buurtkit.qrcodes.exports import CodeRow
from buurtkit.qrcodes.models import (
    Batch,
    Booking,
    CheckInPoint,
    Code,
    CodeDay,
    CodeEvent,
    CodeStatus,
    CommunityDay,
    CommunityScanDaily,
    Delivery,
    Form,
    Kiosk,
    Resource,
    RolledUpDay,
    Scan,
    ScanDaily,
    Slot,
    Submission,
    Tag,
    Visit,
    Webhook,
)
from buurtkit.qrcodes.recording import local_day
from buurtkit.qrcodes.routing import (
    ACTIONS,
    ANONYMOUS,
    BRUSSELS,
    Audience,
    Outcome,
    ScanContext,
    Target,
)


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
        return ANONYMOUS
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
    # Codes in use first, then paused, blank stickers, retired; newest first within each.
    order = Case(
        When(status=CodeStatus.ACTIVE, then=Value(0)),
        When(status=CodeStatus.PAUSED, then=Value(1)),
        When(status=CodeStatus.UNASSIGNED, then=Value(2)),
        default=Value(3),
    )
    qs = qs.order_by(order, "-created_at", "-id")
    return qs.distinct() if tag else qs


def code_get(*, actor: Actor, code_id: int) -> Code:
    actor.require("qrcodes.view")
    return get_scoped(Code, actor.community, pk=code_id)


def code_by_public_id(*, actor: Actor, text: str) -> Code:
    """A code by its printed id or vanity name (scan-to-edit)."""
    actor.require("qrcodes.view")
    for key in cache.keys_for(text):
        kind, value = key[0], key[2:]
        lookup = {"code": value} if kind == "C" else {"slug": value}
        found = Code.objects.in_community(actor.community).filter(**lookup).first()
        if found is not None:
            return found
    return get_scoped(Code, actor.community, code="-")  # not found, with the usual message


def code_history(*, actor: Actor, code_id: int) -> QuerySet[CodeEvent]:
    code = code_get(actor=actor, code_id=code_id)
    return CodeEvent.objects.in_community(actor.community).filter(code=code)


def forms_list(*, actor: Actor) -> QuerySet[Form]:
    actor.require("qrcodes.view")
    forms = Form.objects.in_community(actor.community).annotate(answers=Count("submissions"))
    return cast("QuerySet[Form]", forms)


def submissions_list(*, actor: Actor, form_id: int) -> QuerySet[Submission]:
    actor.require("qrcodes.submissions")
    form = get_scoped(Form, actor.community, pk=form_id)
    return Submission.objects.in_community(actor.community).filter(form=form).select_related("code")


def webhooks_list(*, actor: Actor) -> QuerySet[Webhook]:
    actor.require("qrcodes.view")
    return Webhook.objects.in_community(actor.community)


# --- staff pages: pickers, batches, forms, deliveries -----------------------------------------


def tags_list(*, actor: Actor) -> QuerySet[Tag]:
    """The community's tags (filters and bulk tagging)."""
    actor.require("qrcodes.view")
    return Tag.objects.in_community(actor.community)


def teams_list(*, actor: Actor, editable: bool = False) -> QuerySet[Organisation]:
    """Organisations that can own codes; ``editable``: only those the actor may give codes to."""
    actor.require("qrcodes.view")
    qs = Organisation.objects.in_community(actor.community).order_by("name")
    if editable and not actor.has("qrcodes.admin"):
        qs = qs.filter(pk__in=actor.organisation_ids)
    return qs


def batches_list(*, actor: Actor) -> QuerySet[Batch]:
    actor.require("qrcodes.view")
    return Batch.objects.in_community(actor.community).select_related("owner")


def batch_get(*, actor: Actor, batch_id: int) -> Batch:
    actor.require("qrcodes.view")
    return get_scoped(Batch, actor.community, pk=batch_id)


# --- exports (files in qrcodes.exports) -------------------------------------------------------

MAX_EXPORT = 100_000


def batch_for_export(*, actor: Actor, batch_id: int) -> Batch:
    """A batch whose codes are all made; one still being made cannot be printed yet."""
    batch = batch_get(actor=actor, batch_id=batch_id)
    if batch.status != Batch.Status.DONE:
        raise Conflict(
            _(
                "This batch is not ready yet: %(done)s of %(size)s codes are made. "
                "Try again when it is ready."
            )
            % {"done": batch.done, "size": batch.size},
            code="batch_not_ready",
        )
    return batch


def export_codes(
    *,
    actor: Actor,
    batch_id: int | None = None,
    q: str = "",
    tag: str = "",
    owner_id: int | None = None,
    status: str = "",
) -> QuerySet[Code]:
    """The codes an export holds, oldest first (a batch prints in the order it was made)."""
    return codes_list(
        actor=actor, q=q, tag=tag, owner_id=owner_id, status=status, batch_id=batch_id
    ).order_by("pk")


def export_rows(*, actor: Actor, with_tags: bool = False, **filters: Any) -> Iterator[CodeRow]:
    """:class:`~buurtkit.qrcodes.exports.CodeRow` per code, read in chunks (100,000 fit)."""
    qs = export_codes(actor=actor, **filters)

    def rows() -> Iterator[CodeRow]:
        if with_tags:
            for code in qs.select_related(None).iterator(chunk_size=2000):
                tags = tuple(sorted(t.name for t in code.tags.all()))
                yield CodeRow(code.code, code.slug or "", code.title, code.status, tags)
            return
        plain = qs.select_related(None).prefetch_related(None)
        for value, slug, title, status in plain.values_list(
            "code", "slug", "title", "status"
        ).iterator(chunk_size=5000):
            yield CodeRow(value, slug or "", title, status)

    return rows()


def form_get(*, actor: Actor, form_id: int) -> Form:
    actor.require("qrcodes.view")
    return get_scoped(Form, actor.community, pk=form_id)


def webhook_get(*, actor: Actor, webhook_id: int) -> Webhook:
    actor.require("qrcodes.view")
    return get_scoped(Webhook, actor.community, pk=webhook_id)


def deliveries_recent(*, actor: Actor, limit: int = 30) -> list[Delivery]:
    """The latest webhook deliveries with their status (admins check the connections)."""
    actor.require("qrcodes.admin")
    return list(Delivery.objects.in_community(actor.community).select_related("webhook")[:limit])


# --- scan figures -----------------------------------------------------------------------------
#
# Finished days are read from the daily sums (``CodeDay``, ``ScanDaily``); days not summed yet
# (today, or a finished day before the roll-up ran) are counted from the single scans. Which days
# are which is decided once per call, so a roll-up that finishes meanwhile never counts a day
# twice. The single scans are only read for those "live" days (``day IN (...)``), never for the
# whole period, so the figures stay fast however many single scans are kept.
#
# "Visitors" are unique per code and day (the visitor hash is salted per day): someone who scans
# two codes on one day counts once for each, and someone who comes back the next day again.


def local_today() -> dt.date:
    """Today in Brussels: the day a scan made now is counted in."""
    return local_day(clock.now())


def _each_day(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _code_filter(actor: Actor, code_id: int | None, tag: str, owner_id: int | None) -> Q:
    """Rows of the community, of one code or of the codes with a tag or of a team (as they are
    tagged and owned now). Tag and team become a list of code ids in a subquery, so the sums
    are read through their (code, day) index, not by going through every code's rows."""
    if tag or owner_id:
        codes = Code.objects.in_community(actor.community)
        if code_id:
            codes = codes.filter(pk=code_id)
        if tag:
            codes = codes.filter(tags__name=tag.strip().lower())
        if owner_id:
            codes = codes.filter(owner_id=owner_id)
        return Q(code_id__in=codes.order_by().values("pk"))  # the community's codes only
    q = Q(community_id=actor.community.pk)
    return q & Q(code_id=code_id) if code_id else q


def _whole(code_id: int | None, tag: str, owner_id: int | None) -> bool:
    """No filter: the community's own daily sums answer (a row a day, not a row per code)."""
    return not (code_id or tag or owner_id)


def _live_days(actor: Actor, start: dt.date, end: dt.date) -> list[dt.date]:
    """The days of the period that are not rolled up (yet): counted from the single scans."""
    rolled = set(
        RolledUpDay.objects.in_community(actor.community)
        .filter(day__gte=start, day__lte=end)
        .values_list("day", flat=True)
    )
    return [day for day in _each_day(start, end) if day not in rolled]


def _summed(qs: QuerySet[Any], start: dt.date, end: dt.date, live: list[dt.date]) -> QuerySet[Any]:
    qs = qs.filter(day__gte=start, day__lte=end)
    return qs.exclude(day__in=live) if live else qs


_PEOPLE = Q(bot=False)
_FIGURES = ("scans", "visitors", "bots")


def _figures(
    sums: QuerySet[Any], where: Q, start: dt.date, end: dt.date, live: list[dt.date], key: str
) -> dict[Any, dict[str, int]]:
    """Scans by people, unique visitors and bot scans per ``key`` (``day`` or ``code_id``): the
    daily sums for summed days, plus the single scans of the ``live`` days (each visitor counted
    once per code and day, as in the sums)."""
    figures: dict[Any, dict[str, int]] = {}
    for row in (
        _summed(sums, start, end, live)
        .values(key)
        .annotate(scans=Sum("scans"), visitors=Sum("visitors"), bots=Sum("bot_scans"))
        .order_by()
    ):
        figures[row[key]] = {name: row[name] or 0 for name in _FIGURES}
    if live:
        live_rows: Iterable[Any] = (
            Scan.objects.filter(where, day__in=live)
            .values("day", "code_id")
            .annotate(
                scans=Count("id", filter=_PEOPLE),
                visitors=Count("visitor", distinct=True, filter=_PEOPLE),
                bots=Count("id", filter=~_PEOPLE),
            )
            .order_by()
        )
        for row in live_rows:
            entry = figures.setdefault(row[key], dict.fromkeys(_FIGURES, 0))
            for name in _FIGURES:
                entry[name] += row[name]
    return figures


def scans_per_day(
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    code_id: int | None = None,
    tag: str = "",
    owner_id: int | None = None,
) -> list[dict[str, Any]]:
    """Per day of the period: ``scans`` by people, unique ``visitors`` (per code, summed over the
    codes) and ``bots`` (scans by link previews and crawlers, never counted in ``scans``)."""
    actor.require("qrcodes.view")
    where = _code_filter(actor, code_id, tag, owner_id)
    live = _live_days(actor, start, end)
    sums = (
        CommunityDay.objects.in_community(actor.community)
        if _whole(code_id, tag, owner_id)
        else CodeDay.objects.filter(where)
    )
    per_day = _figures(sums, where, start, end, live, "day")
    empty = {"scans": 0, "visitors": 0, "bots": 0}
    return [{"day": day, **per_day.get(day, empty)} for day in _each_day(start, end)]


BREAKDOWNS = ("route", "source", "device", "language")


def scans_breakdowns(
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    code_id: int | None = None,
    tag: str = "",
    owner_id: int | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """:func:`scans_breakdown` for all of ``BREAKDOWNS`` at once, from one read of the sums
    (a dashboard needs all four: reading the rows once is four times cheaper)."""
    actor.require("qrcodes.view")
    return _breakdowns(actor, start, end, BREAKDOWNS, code_id, tag, owner_id)


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
    """Scans by people per ``route`` (position from 0; -1: no route answered), ``source``,
    ``device`` or ``language`` over a period, the largest first."""
    actor.require("qrcodes.view")
    if by not in BREAKDOWNS:
        raise ValueError(by)
    return _breakdowns(actor, start, end, (by,), code_id, tag, owner_id)[by]


def _breakdowns(
    actor: Actor,
    start: dt.date,
    end: dt.date,
    dims: tuple[str, ...],
    code_id: int | None,
    tag: str,
    owner_id: int | None,
) -> dict[str, list[dict[str, Any]]]:
    where = _code_filter(actor, code_id, tag, owner_id)
    live = _live_days(actor, start, end)
    totals: dict[str, dict[Any, int]] = {by: {} for by in dims}

    def add(row: dict[str, Any], n: int) -> None:
        for by in dims:
            key = -1 if by == "route" and row[by] is None else row[by]
            totals[by][key] = totals[by].get(key, 0) + n

    sums = (
        CommunityScanDaily.objects.in_community(actor.community)
        if _whole(code_id, tag, owner_id)
        else ScanDaily.objects.filter(where)
    )
    for row in (
        _summed(sums.filter(bot=False), start, end, live)
        .values(*dims)
        .annotate(n=Sum("scans"))
        .order_by()
    ):
        add(row, row["n"] or 0)
    if live:
        for row in (
            Scan.objects.filter(where, day__in=live, bot=False)
            .values(*dims)
            .annotate(n=Count("id"))
            .order_by()
        ):
            add(row, row["n"])
    result = {}
    for by, counts in totals.items():
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        result[by] = [{by: key, "scans": n} for key, n in ranked if n]
    return result


def _per_code(
    actor: Actor, start: dt.date, end: dt.date, tag: str, owner_id: int | None
) -> dict[int, dict[str, int]]:
    # Through the code ids even without a filter: the sums are then read per code, in the order
    # of the (code, day) index, which is much faster on SQLite and about the same on PostgreSQL.
    everything = Code.objects.in_community(actor.community).order_by().values("pk")
    where = (
        _code_filter(actor, None, tag, owner_id) if tag or owner_id else Q(code_id__in=everything)
    )
    live = _live_days(actor, start, end)
    totals: dict[int, dict[str, int]] = _figures(
        CodeDay.objects.filter(where), where, start, end, live, "code_id"
    )
    return totals


def top_codes(
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    limit: int = 10,
    tag: str = "",
    owner_id: int | None = None,
) -> list[dict[str, Any]]:
    """The most scanned codes over a period (scans by people; ``visitors`` summed per day)."""
    actor.require("qrcodes.view")
    totals = _per_code(actor, start, end, tag, owner_id)
    best = sorted(
        ((pk, t) for pk, t in totals.items() if t["scans"]),
        key=lambda item: (-item[1]["scans"], item[0]),
    )[:limit]
    names = {
        c.pk: c
        for c in Code.objects.in_community(actor.community).filter(pk__in=[pk for pk, _t in best])
    }
    return [
        {"code": names[pk].code, "id": pk, "title": names[pk].title, "slug": names[pk].slug, **t}
        for pk, t in best
        if pk in names
    ]


def code_days(
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    code_id: int | None = None,
    tag: str = "",
    owner_id: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Per day and code with scans (by people or bots): ``day``, ``code_id``, ``scans``,
    ``visitors``, ``bots``, in order of day and code; streamed, for exports of long periods."""
    actor.require("qrcodes.view")
    where = _code_filter(actor, code_id, tag, owner_id)
    live = _live_days(actor, start, end)
    summed = (
        _summed(CodeDay.objects.filter(where), start, end, live)
        .order_by("day", "code_id")
        .values("day", "code_id", "scans", "visitors", bots=F("bot_scans"))
        .iterator(chunk_size=5000)
    )
    fresh: list[dict[str, Any]] = []
    if live:
        fresh = [
            dict(row)
            for row in Scan.objects.filter(where, day__in=live)
            .values("day", "code_id")
            .annotate(
                scans=Count("id", filter=_PEOPLE),
                visitors=Count("visitor", distinct=True, filter=_PEOPLE),
                bots=Count("id", filter=~_PEOPLE),
            )
            .order_by("day", "code_id")
        ]
    yield from heapq.merge(summed, fresh, key=lambda row: (row["day"], row["code_id"]))


def stats_summary(
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    code_id: int | None = None,
    tag: str = "",
    owner_id: int | None = None,
    top: int = 10,
) -> dict[str, Any]:
    """Everything a statistics answer holds for a period: totals, per day, the four breakdowns
    and the top codes (the API's ``/stats``)."""
    where: dict[str, Any] = {"code_id": code_id, "tag": tag, "owner_id": owner_id}
    days = scans_per_day(actor=actor, start=start, end=end, **where)
    breakdowns = scans_breakdowns(actor=actor, start=start, end=end, **where)
    return {
        "start": start,
        "end": end,
        "scans": sum(d["scans"] for d in days),
        "visitors": sum(d["visitors"] for d in days),
        "bots": sum(d.get("bots", 0) for d in days),
        "days": days,
        **{f"by_{by}": rows for by, rows in breakdowns.items()},
        "top_codes": top_codes(
            actor=actor, start=start, end=end, tag=tag, owner_id=owner_id, limit=top
        ),
    }


# --- reservations and check-ins ---------------------------------------------------------------


def resources_list(*, actor: Actor) -> QuerySet[Resource]:
    actor.require("qrcodes.view")
    return Resource.objects.in_community(actor.community).select_related("code")


def resource_get(*, actor: Actor, resource_id: int) -> Resource:
    actor.require("qrcodes.view")
    return get_scoped(Resource, actor.community, pk=resource_id)


def resource_public(*, community: Any, resource_id: int) -> Resource:
    """A resource as the public booking page shows it (switched-off ones too: the page says so)."""
    return get_scoped(Resource, community, pk=resource_id)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=BRUSSELS)
    return start, start + dt.timedelta(days=1)


def slots_of_day(*, community: Any, resource_id: int, day: dt.date) -> QuerySet[Slot]:
    start, end = _day_bounds(day)
    return Slot.objects.in_community(community).filter(
        resource_id=resource_id, starts_at__gte=start, starts_at__lt=end
    )


def free_slots(*, community: Any, resource_id: int, days: int = 14) -> QuerySet[Slot]:
    """Slots still to come with a free place, the next ``days`` days: the booking page."""
    now = clock.now()
    return Slot.objects.in_community(community).filter(
        resource_id=resource_id,
        starts_at__gt=now,
        starts_at__lt=now + dt.timedelta(days=days),
        booked__lt=F("capacity"),
    )


def slots_list(*, actor: Actor, resource_id: int, day: dt.date | None = None) -> QuerySet[Slot]:
    resource = resource_get(actor=actor, resource_id=resource_id)
    qs = Slot.objects.in_community(actor.community).filter(resource=resource)
    if day is not None:
        start, end = _day_bounds(day)
        qs = qs.filter(starts_at__gte=start, starts_at__lt=end)
    return qs


def bookings_list(
    *, actor: Actor, resource_id: int, day: dt.date | None = None
) -> QuerySet[Booking]:
    """A resource's bookings (of one day, Brussels time): names and contacts, so staff who may
    read answers only."""
    actor.require("qrcodes.submissions")
    resource = get_scoped(Resource, actor.community, pk=resource_id)
    qs = Booking.objects.in_community(actor.community).filter(resource=resource)
    if day is not None:
        start, end = _day_bounds(day)
        qs = qs.filter(slot__starts_at__gte=start, slot__starts_at__lt=end)
    return qs.select_related("slot").order_by("slot__starts_at", "created_at", "id")


def booking_by_token(*, community: Any, token: str) -> Booking:
    return get_scoped(Booking, community, token=str(token)[:32])


def booking_rows(*, actor: Actor, resource_id: int, day: dt.date) -> Iterator[list[Any]]:
    """The staff list of one day as rows for ``core.exports`` (a header first)."""
    yield [_("Time"), _("Name"), _("Phone or e-mail"), _("Status")]
    for b in bookings_list(actor=actor, resource_id=resource_id, day=day):
        local = b.slot.starts_at.astimezone(BRUSSELS)
        yield [local.strftime("%H:%M"), b.name, b.contact, str(b.get_status_display())]


def points_list(*, actor: Actor) -> QuerySet[CheckInPoint]:
    actor.require("qrcodes.view")
    return CheckInPoint.objects.in_community(actor.community).select_related("code")


def point_get(*, actor: Actor, point_id: int) -> CheckInPoint:
    actor.require("qrcodes.view")
    return get_scoped(CheckInPoint, actor.community, pk=point_id)


def point_public(*, community: Any, point_id: int) -> CheckInPoint:
    return get_scoped(CheckInPoint, community, pk=point_id)


def present(*, actor: Actor, point_id: int) -> QuerySet[Visit]:
    """Who is in the building now: checked in at this entrance and not yet out."""
    actor.require("qrcodes.submissions")
    point = get_scoped(CheckInPoint, actor.community, pk=point_id)
    return Visit.objects.in_community(actor.community).filter(point=point, out_at__isnull=True)


def present_at_kiosk(*, community: Any, point_id: int) -> QuerySet[Visit]:
    """Who is in, for the entrance's registered tablet (to check out there)."""
    return Visit.objects.in_community(community).filter(point_id=point_id, out_at__isnull=True)


def visit_by_token(*, community: Any, token: str) -> Visit | None:
    if not token:
        return None
    return Visit.objects.in_community(community).filter(token=str(token)[:32]).first()


def kiosks_list(*, actor: Actor, code_id: int) -> QuerySet[Kiosk]:
    actor.require("qrcodes.view")
    return Kiosk.objects.in_community(actor.community).filter(code_id=code_id, revoked_at=None)
