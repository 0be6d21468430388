"""The staff overview of activities: the week's sessions and their fill, waiting lists,
attendance, no-shows and the people reached, per kind, category, neighbourhood and month,
for a month, a quarter or a year (Brussels time), for the whole community or one
municipality (the municipality of the session's place). And the exports built on it.

Every figure is counted in the database (``GROUP BY``): Python only puts the rows in order.

- A *session* counts when it starts in the period and was not cancelled.
- *Signed up*: registrations that hold (or held) a seat: signed up, confirmed, offered a seat,
  came, did not come. *Came* and *did not come* are the attendance entered; the no-show rate is
  did not come / (came + did not come).
- A *participant* is a registration marked "came"; *people reached* counts distinct persons
  among them (someone who came to three sessions is three participations, one person).
- The neighbourhood is where the person lives (``Person.neighbourhood``; empty: not known).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtkit.activities import rules
from buurtkit.activities.models import (
    ActivityKind,
    Category,
    Registration,
    RegistrationState,
    Series,
    Session,
)
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, ValidationFailed
from buurtkit.core.scoping import get_scoped
from buurtkit.core.texts import translated
from buurtkit.places.models import Municipality

BRUSSELS = ZoneInfo("Europe/Brussels")
PERIODS = ("month", "quarter", "year")
#: Registrations that hold (or held) a seat: the people signed up.
SIGNED_UP = (*rules.HOLDS_SEAT,)
TREND_MONTHS = 12
#: The years a period may fall in (a year 9999 would have no year after it to end).
FIRST_YEAR, LAST_YEAR = 2000, 2199


def local_today() -> date:
    return timezone.localtime(clock.now(), BRUSSELS).date()


@dataclass(frozen=True)
class Period:
    kind: str  # month, quarter or year
    first: date  # its first day
    after: date  # the first day after it

    @property
    def last(self) -> date:
        return self.after - timedelta(days=1)

    @property
    def months(self) -> list[date]:
        return _months_between(self.first, self.after)

    @property
    def previous(self) -> date:
        return period_of(self.kind, self.first - timedelta(days=1)).first

    @property
    def next(self) -> date:
        return self.after

    def bounds(self) -> tuple[datetime, datetime]:
        return _day_start(self.first), _day_start(self.after)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BRUSSELS)


def _add_months(day: date, n: int) -> date:
    month = day.month - 1 + n
    return date(day.year + month // 12, month % 12 + 1, 1)


def _months_between(first: date, after: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month < after:
        months.append(month)
        month = _add_months(month, 1)
    return months


def period_of(kind: str, day: date) -> Period:
    """The month, quarter or year (calendar) that holds ``day``."""
    if kind not in PERIODS:
        msg = _("Choose a month, a quarter or a year.")
        raise ValidationFailed(msg, fields={"period": msg})
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        msg = _("Choose a day between %(first)d and %(last)d.") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
        raise ValidationFailed(msg, fields={"at": msg})
    if kind == "month":
        first = day.replace(day=1)
        return Period(kind, first, _add_months(first, 1))
    if kind == "quarter":
        first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return Period(kind, first, _add_months(first, 3))
    return Period(kind, date(day.year, 1, 1), date(day.year + 1, 1, 1))


def _local_month(value: datetime | date) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value, BRUSSELS).date().replace(day=1)
    return value.replace(day=1)


@dataclass(frozen=True)
class Scope:
    sessions: QuerySet[Session]  # not cancelled, of the community (and municipality)
    registrations: QuerySet[Registration]  # of those sessions


def _scope(actor: Actor, municipality_id: int | None, start: datetime, end: datetime) -> Scope:
    sessions = Session.objects.in_community(actor.community).filter(
        cancelled_at__isnull=True, starts_at__gte=start, starts_at__lt=end
    )
    if municipality_id:
        sessions = sessions.filter(place__municipality_id=municipality_id)
    registrations = Registration.objects.in_community(actor.community).filter(session__in=sessions)
    return Scope(sessions, registrations)


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def _totals(scope: Scope) -> dict[str, Any]:
    seats = scope.sessions.aggregate(n=Count("id"), seats=Sum("capacity"), taken=Sum("seats_taken"))
    states = dict(scope.registrations.values_list("state").annotate(n=Count("id")).order_by())
    attended = states.get(rules.ATTENDED, 0)
    no_show = states.get(rules.NO_SHOW, 0)
    signed_up = sum(states.get(state, 0) for state in SIGNED_UP)
    return {
        "sessions": seats["n"],
        "seats": seats["seats"] or 0,
        "signed_up": signed_up,
        "fill_rate": _percent(seats["taken"] or 0, seats["seats"] or 0),
        "attended": attended,
        "no_show": no_show,
        "no_show_rate": _percent(no_show, attended + no_show),
        "cancelled": states.get(rules.CANCELLED, 0),
        "waiting": states.get(rules.WAITING, 0),
        "people": scope.registrations.filter(state=rules.ATTENDED)
        .values("person_id")
        .distinct()
        .count(),
    }


def _breakdown(
    scope: Scope, field: str, labels: dict[Any, str], months: list[date], unknown: str
) -> list[dict[str, Any]]:
    """Participants (registrations marked "came") per value of ``field`` and per month, and the
    distinct people; the rows in the order of ``labels``, then the rest by name."""
    came = scope.registrations.filter(state=rules.ATTENDED)
    cells: dict[Any, dict[date, int]] = {}
    for row in (
        came.annotate(month=TruncMonth("session__starts_at", tzinfo=BRUSSELS))
        .values(field, "month")
        .annotate(n=Count("id"))
        .order_by()
    ):
        key = row[field] or None
        per_month = cells.setdefault(key, {})
        month = _local_month(row["month"])
        per_month[month] = per_month.get(month, 0) + row["n"]
    people: dict[Any, int] = {}
    for key, n in came.values_list(field).annotate(n=Count("person_id", distinct=True)).order_by():
        people[key or None] = people.get(key or None, 0) + n
    order = list(labels) + sorted((k for k in cells if k not in labels and k), key=str)
    if None in cells:
        order.append(None)
    rows = []
    for key in order:
        if key not in cells:
            continue
        per_month = cells[key]
        rows.append(
            {
                "key": key,
                "label": labels.get(key, str(key)) if key is not None else unknown,
                "months": [per_month.get(m, 0) for m in months],
                "total": sum(per_month.values()),
                "people": people.get(key, 0),
            }
        )
    return rows


def _trend(actor: Actor, municipality_id: int | None, period: Period) -> list[dict[str, Any]]:
    """Participants and people reached per month in the twelve months up to the period's end."""
    first = _add_months(period.after, -TREND_MONTHS)
    months = _months_between(first, period.after)
    scope = _scope(actor, municipality_id, _day_start(first), _day_start(period.after))
    came = scope.registrations.filter(state=rules.ATTENDED).annotate(
        month=TruncMonth("session__starts_at", tzinfo=BRUSSELS)
    )
    per_month = dict.fromkeys(months, 0)
    people = dict.fromkeys(months, 0)
    for row in (
        came.values("month")
        .annotate(n=Count("id"), people=Count("person_id", distinct=True))
        .order_by()
    ):
        month = _local_month(row["month"])
        per_month[month] = per_month.get(month, 0) + row["n"]
        people[month] = people.get(month, 0) + row["people"]
    return [{"month": m, "participants": per_month[m], "people": people[m]} for m in months]


def _week(actor: Actor, municipality_id: int | None, today: date) -> dict[str, Any]:
    """This (Monday to Sunday) week's sessions with their fill and waiting list."""
    monday = today - timedelta(days=today.weekday())
    scope = _scope(actor, municipality_id, _day_start(monday), _day_start(monday + timedelta(7)))
    sessions = list(scope.sessions.select_related("series", "place").order_by("starts_at", "pk"))
    sums = scope.sessions.aggregate(seats=Sum("capacity"), taken=Sum("seats_taken"))
    seats, taken = sums["seats"] or 0, sums["taken"] or 0
    return {
        "monday": monday,
        "sessions": [
            {
                "id": s.pk,
                "series": s.series,
                "place": s.place.name,
                "starts_at": s.starts_at,
                "capacity": s.capacity,
                "seats_taken": s.seats_taken,
                "waiting": s.waiting,
                "fill_rate": _percent(s.seats_taken, s.capacity),
            }
            for s in sessions
        ],
        "seats": seats,
        "taken": taken,
        "fill_rate": _percent(taken, seats),
    }


def _waiting_lists(actor: Actor, municipality_id: int | None) -> dict[str, Any]:
    """People waiting for a seat in a session still to come, and how many sessions have a list."""
    upcoming = Session.objects.in_community(actor.community).filter(
        cancelled_at__isnull=True, starts_at__gt=clock.now()
    )
    if municipality_id:
        upcoming = upcoming.filter(place__municipality_id=municipality_id)
    figures = upcoming.aggregate(
        people=Sum("waiting"), sessions=Count("id", filter=Q(waiting__gt=0))
    )
    return {"people": figures["people"] or 0, "sessions": figures["sessions"]}


def _per_municipality(actor: Actor, period: Period) -> list[dict[str, Any]]:
    """The main figures per municipality of the session's place ("—": a place without one)."""
    scope = _scope(actor, None, *period.bounds())
    key = "place__municipality_id"
    sessions = {
        row[key]: row
        for row in scope.sessions.values(key)
        .annotate(n=Count("id"), seats=Sum("capacity"), taken=Sum("seats_taken"))
        .order_by()
    }
    reg_key = "session__place__municipality_id"
    people = {
        row[reg_key]: row
        for row in scope.registrations.values(reg_key)
        .annotate(
            attended=Count("id", filter=Q(state=rules.ATTENDED)),
            no_show=Count("id", filter=Q(state=rules.NO_SHOW)),
            people=Count("person_id", distinct=True, filter=Q(state=rules.ATTENDED)),
        )
        .order_by()
    }
    names = list(
        Municipality.objects.in_community(actor.community)
        .order_by("name")
        .values_list("pk", "name")
    )
    rows = []
    for pk, name in [*names, (None, "—")]:
        s = sessions.get(pk, {})
        p = people.get(pk, {})
        if pk is None and not s:
            continue
        attended, no_show = p.get("attended", 0), p.get("no_show", 0)
        rows.append(
            {
                "id": pk,
                "municipality": name,
                "sessions": s.get("n", 0),
                "seats": s.get("seats") or 0,
                "fill_rate": _percent(s.get("taken") or 0, s.get("seats") or 0),
                "attended": attended,
                "no_show": no_show,
                "no_show_rate": _percent(no_show, attended + no_show),
                "people": p.get("people", 0),
            }
        )
    return rows


def _kind_labels() -> dict[Any, str]:
    return {value: str(label) for value, label in ActivityKind.choices}


def _category_labels(actor: Actor, language: str) -> dict[Any, str]:
    return {
        c.pk: translated(c.name, language) or c.key
        for c in Category.objects.in_community(actor.community).order_by("position", "key")
    }


def activity_figures(
    *,
    actor: Actor,
    period: str = "month",
    day: date | None = None,
    municipality_id: int | None = None,
    language: str = "nl",
) -> dict[str, Any]:
    """Everything on the staff overview, for the period that holds ``day`` (today)."""
    actor.require("activities.view")
    today = local_today()
    chosen = period_of(period, day or today)
    municipality = None
    if municipality_id:
        municipality = get_scoped(Municipality, actor.community, pk=municipality_id)
    scope = _scope(actor, municipality_id, *chosen.bounds())
    months = chosen.months
    return {
        "today": today,
        "period": chosen,
        "municipality": municipality,
        "week": _week(actor, municipality_id, today),
        "waiting_lists": _waiting_lists(actor, municipality_id),
        "totals": _totals(scope),
        "per_kind": _breakdown(
            scope, "session__series__kind", _kind_labels(), months, _("not known")
        ),
        "per_category": _breakdown(
            scope,
            "session__series__category_id",
            _category_labels(actor, language),
            months,
            _("no category"),
        ),
        "per_neighbourhood": _breakdown(scope, "person__neighbourhood", {}, months, _("not known")),
        "trend": _trend(actor, municipality_id, chosen),
        "per_municipality": [] if municipality_id else _per_municipality(actor, chosen),
    }


# --- exports -------------------------------------------------------------------------------

EXPORTS = ("attendance", "figures", "evaluations")


def export_rows(
    *,
    actor: Actor,
    what: str,
    period: str = "month",
    day: date | None = None,
    municipality_id: int | None = None,
    language: str = "nl",
    series_id: int | None = None,
) -> Iterator[list[Any]]:
    """The rows of an export, header first, without personal data: ``attendance`` is one row
    per session of the period (counts only), ``figures`` the overview's numbers,
    ``evaluations`` one row per evaluation given in the period (or every one of the activity
    ``series_id``): its answers, never who gave it."""
    actor.require("activities.view")
    if what not in EXPORTS:
        raise NotFound(_("There is no such export."))
    chosen = period_of(period, day or local_today())
    if municipality_id:
        get_scoped(Municipality, actor.community, pk=municipality_id)
    if what == "attendance":
        return _export_attendance(actor, chosen, municipality_id, language)
    if what == "evaluations":
        if series_id:
            get_scoped(Series, actor.community, pk=series_id)
        return _export_evaluations(actor, chosen, municipality_id, language, series_id)
    return _export_figures(actor, chosen, municipality_id, language)


def _session_rows(actor: Actor, period: Period, municipality_id: int | None) -> QuerySet[Session]:
    scope = _scope(actor, municipality_id, *period.bounds())
    return (
        scope.sessions.select_related("series__category", "place__municipality")
        .annotate(
            attended=Count("registrations", filter=Q(registrations__state=rules.ATTENDED)),
            no_show=Count("registrations", filter=Q(registrations__state=rules.NO_SHOW)),
            cancelled=Count("registrations", filter=Q(registrations__state=rules.CANCELLED)),
        )
        .order_by("starts_at", "pk")
    )


def _session_cells(session: Any, language: str) -> list[Any]:
    starts = timezone.localtime(session.starts_at, BRUSSELS)
    ends = timezone.localtime(session.ends_at, BRUSSELS)
    category = session.series.category
    return [
        starts.date(),
        f"{starts:%H:%M}",
        f"{ends:%H:%M}",
        translated(session.series.title, language),
        str(ActivityKind(session.series.kind).label),
        (translated(category.name, language) or category.key) if category else "",
        session.place.name,
        session.place.municipality.name if session.place.municipality else "",
    ]


def _session_header() -> list[str]:
    return [
        _("date"),
        _("from"),
        _("until"),
        _("activity"),
        _("kind"),
        _("category"),
        _("place"),
        _("municipality"),
    ]


def _export_attendance(
    actor: Actor, period: Period, municipality_id: int | None, language: str
) -> Iterator[list[Any]]:
    yield [
        *_session_header(),
        _("seats"),
        _("signed up"),
        _("came"),
        _("did not come"),
        _("cancelled"),
        _("waiting list"),
    ]
    session: Any
    for session in _session_rows(actor, period, municipality_id).iterator(chunk_size=2000):
        s = session  # annotated with attended, no_show and cancelled
        yield [
            *_session_cells(s, language),
            s.capacity,
            s.seats_taken,
            s.attended,
            s.no_show,
            s.cancelled,
            s.waiting,
        ]


def _export_figures(
    actor: Actor, period: Period, municipality_id: int | None, language: str
) -> Iterator[list[Any]]:
    figures = activity_figures(
        actor=actor,
        period=period.kind,
        day=period.first,
        municipality_id=municipality_id,
        language=language,
    )
    months = period.months
    blank = [""] * len(months)
    yield [
        _("part"),
        _("figure"),
        _("total"),
        *[m.strftime("%Y-%m") for m in months],
        _("people"),
    ]
    totals = figures["totals"]
    for label, key in (
        (_("sessions"), "sessions"),
        (_("seats"), "seats"),
        (_("signed up"), "signed_up"),
        (_("fill rate (%)"), "fill_rate"),
        (_("came"), "attended"),
        (_("did not come"), "no_show"),
        (_("no-show rate (%)"), "no_show_rate"),
        (_("people reached"), "people"),
    ):
        value = totals[key]
        yield [_("total"), label, "" if value is None else value, *blank, ""]
    for title, rows in (
        (_("per kind"), figures["per_kind"]),
        (_("per category"), figures["per_category"]),
        (_("per neighbourhood"), figures["per_neighbourhood"]),
    ):
        for row in rows:
            yield [title, row["label"], row["total"], *row["months"], row["people"]]
    for row in figures["per_municipality"]:
        yield [_("per municipality"), row["municipality"], row["attended"], *blank, row["people"]]


def _export_evaluations(
    actor: Actor,
    period: Period,
    municipality_id: int | None,
    language: str,
    series_id: int | None,
) -> Iterator[list[Any]]:
    """One row per evaluation (and per self-assessment before a course) given in the period
    (or, with ``series_id``, all of that activity's):
    the day, the activity, how and when it was given, the face, the texts and the six
    statements (1–4). No name, no person, no sign-up: the answers only."""
    from buurtkit.activities.models import Evaluation, EvaluationChannel, EvaluationMoment
    from buurtkit.activities.questions import FACES, STATEMENTS

    rows = Evaluation.objects.in_community(actor.community)
    if series_id:  # one activity: all its answers, whenever given
        rows = rows.filter(series_id=series_id)
    else:
        start, end = period.bounds()
        rows = rows.filter(created_at__gte=start, created_at__lt=end)
    if municipality_id:
        rows = rows.filter(
            series__in=Series.objects.filter(sessions__place__municipality_id=municipality_id)
        )
    kinds = dict(ActivityKind.choices)
    channels = dict(EvaluationChannel.choices)
    moments = dict(EvaluationMoment.choices)
    yield [
        _("day"),
        _("activity"),
        _("kind"),
        _("category"),
        _("how"),
        _("when"),
        _("satisfaction (1–5)"),
        _("face"),
        _("what I learned"),
        _("suggestion"),
        *[str(text) for text in STATEMENTS.values()],
    ]
    for e in (
        rows.select_related("series__category")
        .order_by("created_at", "pk")
        .iterator(chunk_size=2000)
    ):
        answers = (e.self_assessment or {}).get("answers", {})
        category = e.series.category
        yield [
            timezone.localtime(e.created_at, BRUSSELS).date(),
            translated(e.series.title, language),
            str(kinds.get(e.series.kind, e.series.kind)),
            translated(category.name, language) if category else "",
            str(channels.get(e.channel, e.channel)),
            str(moments.get(e.moment, e.moment)),
            e.satisfaction if e.satisfaction is not None else "",
            str(FACES[e.satisfaction][1]) if e.satisfaction in FACES else "",
            e.learned,
            e.suggestion,
            *[answers.get(key, "") for key in STATEMENTS],
        ]


def names_export_rows(
    *, actor: Actor, period: Period, municipality_id: int | None, language: str
) -> Iterator[list[Any]]:
    """Who signed up for each session of the period, with their names and attendance (only for
    ``activities.export_names``; the view records the download in the log)."""
    actor.require("activities.export_names")
    scope = _scope(actor, municipality_id, *period.bounds())
    qs = (
        scope.registrations.filter(state__in=[*SIGNED_UP, rules.CANCELLED])
        .select_related("session__series__category", "session__place__municipality", "person")
        .order_by("session__starts_at", "session_id", "person__last_name", "person__first_name")
    )
    yield [*_session_header(), _("first name"), _("last name"), _("state"), _("signed up")]
    for r in qs.iterator(chunk_size=2000):
        yield [
            *_session_cells(r.session, language),
            r.person.first_name,
            r.person.last_name,
            str(RegistrationState(r.state).label),
            r.get_channel_display(),
        ]


# --- the monthly brochure (public) -----------------------------------------------------------


def brochure_sessions(*, community: Any, month: date) -> list[Session]:
    """The sessions of published activities in ``month`` (Brussels), not cancelled, by date."""
    first = month.replace(day=1)
    return list(
        Session.objects.in_community(community)
        .filter(
            series__published=True,
            cancelled_at__isnull=True,
            starts_at__gte=_day_start(first),
            starts_at__lt=_day_start(_add_months(first, 1)),
        )
        .select_related("series__category", "place__municipality")
        .order_by("starts_at", "pk")
    )


# --- the public programme's filters: from a day, a neighbourhood, near a place ----------------


def programme_filtered(
    *,
    community: Any,
    kind: str = "",
    category_id: int | None = None,
    place_id: int | None = None,
    start: date | None = None,
    neighbourhood: str = "",
    near_place_id: int | None = None,
) -> QuerySet[Session]:
    """The public programme (``selectors.programme``) from ``start`` (a Brussels day), in a
    neighbourhood (of the session's place), or near a place: at that place, or at a place in
    the same neighbourhood (of the same municipality) or with the same postcode. Places have
    no coordinates, so "near" is the neighbourhood and the postcode."""
    from buurtkit.activities import selectors

    qs = selectors.programme(
        community=community, kind=kind, category_id=category_id, place_id=place_id
    )
    if start:
        qs = qs.filter(starts_at__gte=_day_start(start))
    if neighbourhood:
        qs = qs.filter(place__neighbourhood__iexact=neighbourhood)
    if near_place_id:
        near = _near(community, near_place_id)
        qs = qs.filter(near) if near is not None else qs.none()
    return qs


def _near(community: Any, place_id: int) -> Q | None:
    from buurtkit.places.models import Place

    place = Place.objects.in_community(community).filter(pk=place_id).first()
    if place is None:
        return None
    near = Q(place_id=place.pk)
    if place.neighbourhood:
        near |= Q(
            place__neighbourhood__iexact=place.neighbourhood,
            place__municipality_id=place.municipality_id,
        )
    if place.postcode:
        near |= Q(place__postcode=place.postcode)
    return near


def programme_neighbourhoods(*, places: list[Any]) -> list[str]:
    """The neighbourhoods of the places that have sessions to come
    (``selectors.programme_places``), by name."""
    return sorted(
        {p.neighbourhood.strip() for p in places if p.neighbourhood.strip()}, key=str.casefold
    )


def places_to_be_near(*, community: Any) -> list[Any]:
    """The places a resident may know (open ones, and those with sessions to come)."""
    from buurtkit.activities import selectors
    from buurtkit.places.models import Place, PlaceStatus

    return list(
        Place.objects.in_community(community)
        .filter(Q(status=PlaceStatus.OPEN) | Q(selectors.has_sessions_to_come()))
        .order_by("name")
    )
