"""The activities API: the programme, sessions, sign-ups and attendance.

Reads take ``activities.view``; planning ``activities.manage``; signing people up and
cancelling ``activities.register``; check-in ``activities.attend``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from buurtkit.activities import selectors, selectors_figures, services
from buurtkit.activities.models import ActivityKind, Channel, Level, RegistrationState
from buurtkit.core.apitools import (
    NONBLANK,
    Count,
    Day,
    Id,
    In,
    Language,
    actor_of,
    idempotency_key_header,
    one_of,
    paged,
)

router = Router(tags=["activities"])

Kind = one_of(ActivityKind.values)
KindFilter = one_of(["", *ActivityKind.values])
StateFilter = one_of(["", *RegistrationState.values])
#: A text per language: at least one language, each text saying something.
Texts = dict[Language, Annotated[str, Field(min_length=1, max_length=2000, pattern=NONBLANK)]]


class ActivityCategoryOut(Schema):
    id: int
    key: str
    name: dict[str, str]


class ActivitySeriesOut(Schema):
    id: int
    kind: str
    category_id: int | None
    title: dict[str, str]
    description: dict[str, str]
    level: str
    language: str
    partner_id: int | None
    price_cents: int
    whole_series: bool
    self_assessment: bool
    published: bool


class ActivitySeriesIn(In):
    kind: Kind  # type: ignore[valid-type]
    title: Texts = Field(..., min_length=1)
    description: Texts = {}
    category_id: Id | None = None
    level: one_of(Level.values) = "short"  # type: ignore[valid-type]
    language: Language = "nl"
    partner_id: Id | None = None
    price_cents: Count = 0
    whole_series: bool = False
    self_assessment: bool = False
    published: bool = True


class ActivitySessionOut(Schema):
    id: int
    series_id: int
    place_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_taken: int
    waiting: int
    buddies_needed: int
    cancelled_at: datetime | None


class ActivitySessionIn(In):
    place_id: Id
    starts_at: datetime
    ends_at: datetime
    capacity: Count
    buddies_needed: Count = 0


class ActivityRegistrationOut(Schema):
    id: int
    session_id: int
    person_id: int
    group: str
    state: str
    channel: str
    referred_by_id: int | None
    registered_at: datetime
    offer_expires_at: datetime | None


class ActivitySignedUpOut(Schema):
    registrations: list[ActivityRegistrationOut]
    #: The secret of the cancel link; only in the first answer (empty on a retry).
    cancel_token: str


class ActivityRegistrationIn(In):
    person_id: Id
    channel: one_of(Channel.values) = "desk"  # type: ignore[valid-type]
    referred_by_id: Id | None = None
    language: Language | None = None
    join_waiting_list: bool = True


class ActivityAttendanceIn(In):
    registration_id: Id
    attended: bool = True


@router.get("/categories", response=list[ActivityCategoryOut], summary="Course categories")
def list_categories(request: HttpRequest) -> Any:
    return selectors.categories(actor=actor_of(request))


@router.get("/series", response=list[ActivitySeriesOut], summary="Activities")
@paged
def list_series(
    request: HttpRequest,
    q: str = "",
    kind: KindFilter = "",  # type: ignore[valid-type]
    category_id: Id | None = None,
) -> Any:
    return selectors.series_search(
        actor=actor_of(request), q=q[:100], kind=kind, category_id=category_id
    )


@router.post("/series", response={201: ActivitySeriesOut}, summary="Plan an activity")
def create_series(request: HttpRequest, payload: ActivitySeriesIn) -> Any:
    return Status(201, services.series_create(actor=actor_of(request), **payload.dict()))


@router.get("/series/{series_id}", response=ActivitySeriesOut, summary="One activity")
def get_series(request: HttpRequest, series_id: Id) -> Any:
    return selectors.series_get(actor=actor_of(request), series_id=series_id)


@router.post(
    "/series/{series_id}/sessions", response={201: ActivitySessionOut}, summary="Add a session"
)
def add_session(request: HttpRequest, series_id: Id, payload: ActivitySessionIn) -> Any:
    return Status(
        201, services.session_add(actor=actor_of(request), series_id=series_id, **payload.dict())
    )


@router.get("/sessions", response=list[ActivitySessionOut], summary="Sessions by date")
@paged
def list_sessions(
    request: HttpRequest,
    start: Day | None = None,
    end: Day | None = None,
    kind: KindFilter = "",  # type: ignore[valid-type]
    place_id: Id | None = None,
    series_id: Id | None = None,
) -> Any:
    return selectors.sessions_search(
        actor=actor_of(request),
        start=start,
        end=end,
        kind=kind,
        place_id=place_id,
        series_id=series_id,
    )


@router.get("/sessions/{session_id}", response=ActivitySessionOut, summary="One session")
def get_session(request: HttpRequest, session_id: Id) -> Any:
    return selectors.session_get(actor=actor_of(request), session_id=session_id)


@router.get(
    "/sessions/{session_id}/registrations",
    response=list[ActivityRegistrationOut],
    summary="Who signed up",
)
@paged
def list_registrations(
    request: HttpRequest,
    session_id: Id,
    state: StateFilter = "",  # type: ignore[valid-type]
) -> Any:
    return selectors.session_registrations(
        actor=actor_of(request), session_id=session_id, state=state
    )


@router.post(
    "/sessions/{session_id}/registrations",
    response={200: ActivitySignedUpOut, 201: ActivitySignedUpOut},
    summary="Sign someone up (send an Idempotency-Key)",
)
def sign_up(
    request: HttpRequest,
    session_id: Id,
    payload: ActivityRegistrationIn,
    idempotency_key: str | None = idempotency_key_header("sign-up"),
) -> Any:
    data = payload.dict()
    data["language"] = data["language"] or ""
    # The person gets the same confirmation as a web sign-up (the "my sign-up" page's QR link).
    made, token = services.sign_up_and_confirm(
        actor=actor_of(request), session_id=session_id, idempotency_key=idempotency_key, **data
    )
    replayed = getattr(made[0], "replayed", False) or not token
    return Status(200 if replayed else 201, {"registrations": made, "cancel_token": token})


@router.post(
    "/registrations/{registration_id}/cancel",
    response=list[ActivityRegistrationOut],
    summary="Cancel a sign-up (a whole-series sign-up: all its sessions)",
)
def cancel(request: HttpRequest, registration_id: Id) -> Any:
    return services.registration_cancel(actor=actor_of(request), registration_id=registration_id)


@router.post(
    "/registrations/{registration_id}/accept",
    response=ActivityRegistrationOut,
    summary="Accept a waiting-list offer",
)
def accept(request: HttpRequest, registration_id: Id) -> Any:
    return services.offer_accept(actor=actor_of(request), registration_id=registration_id)


@router.post(
    "/sessions/{session_id}/attendance",
    response=ActivityRegistrationOut,
    summary="Check someone in (or mark them absent)",
)
def attendance(request: HttpRequest, session_id: Id, payload: ActivityAttendanceIn) -> Any:
    return services.attendance_mark(
        actor=actor_of(request),
        session_id=session_id,
        registration_id=payload.registration_id,
        attended=payload.attended,
    )


# --- act-buddy (issue 13): the digibuddy register -------------------------------------------

from buurtkit.activities import volunteer_selectors  # noqa: E402
from buurtkit.activities.models import DutyRole, DutyState, TrainingTrack  # noqa: E402
from buurtkit.activities.services.volunteers import (  # noqa: E402
    BUDDY_LANGUAGES,
    PARTS_OF_DAY,
    WEEKDAYS,
)
from buurtkit.core.apitools import Email  # noqa: E402

TrackFilter = one_of(["", *TrainingTrack.values])
DutyStateFilter = one_of(["", *DutyState.values])
BuddyLanguage = one_of(list(BUDDY_LANGUAGES))
Part = one_of(list(PARTS_OF_DAY))
Item = Annotated[str, Field(min_length=1, max_length=60, pattern=NONBLANK)]
Availability = dict[one_of(list(WEEKDAYS)), list[Part]]  # type: ignore[misc, valid-type]


class ActivityVolunteerOut(Schema):
    id: int
    person_id: int
    skills: list[str]
    languages: list[str]
    neighbourhoods: list[str]
    availability: dict[str, list[str]]
    home_visits: bool
    track: str
    training_series_id: int | None
    certified_on: date | None
    active: bool
    note: str


class ActivityNewPersonIn(In):
    first_name: Annotated[str, Field(min_length=1, max_length=100, pattern=NONBLANK)]
    last_name: Annotated[str, Field(max_length=100)] = ""
    phone: Annotated[str, Field(max_length=30)] = ""
    email: Email | None = None


class ActivityVolunteerFieldsIn(In):
    skills: list[Item] = Field(default_factory=list, max_length=20)
    languages: list[BuddyLanguage] = Field(default_factory=list, max_length=20)  # type: ignore[valid-type]
    neighbourhoods: list[Item] = Field(default_factory=list, max_length=20)
    availability: Availability = Field(default_factory=dict)  # type: ignore[valid-type]
    home_visits: bool = False
    training_series_id: Id | None = None
    note: Annotated[str, Field(max_length=300)] = ""


class ActivityVolunteerIn(ActivityVolunteerFieldsIn):
    """Either ``person_id`` (someone known) or ``person`` (a new person)."""

    person_id: Id | None = None
    person: ActivityNewPersonIn | None = None
    allow_duplicate: bool = False


class ActivityVolunteerUpdateIn(In):
    skills: list[Item] | None = Field(None, max_length=20)
    languages: list[BuddyLanguage] | None = Field(None, max_length=20)  # type: ignore[valid-type]
    neighbourhoods: list[Item] | None = Field(None, max_length=20)
    availability: Availability | None = None  # type: ignore[valid-type]
    home_visits: bool | None = None
    training_series_id: Id | None = None
    note: Annotated[str, Field(max_length=300)] | None = None
    active: bool | None = None


class ActivityCertifyIn(In):
    on: Day


class ActivityDutyOut(Schema):
    id: int
    volunteer_id: int
    session_id: int | None
    place_id: int | None
    role: str
    state: str
    starts_at: datetime | None
    ends_at: datetime | None
    cancel_reason: str
    taken_over_from_id: int | None


class ActivityDutyIn(In):
    """A session (``session_id``), or a place with a time slot (``place_id``, ``starts_at``,
    ``ends_at``)."""

    session_id: Id | None = None
    place_id: Id | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    role: one_of(DutyRole.values) = "buddy"  # type: ignore[valid-type]


class ActivityDutyCancelIn(In):
    reason: Annotated[str, Field(min_length=1, max_length=300, pattern=NONBLANK)]


class ActivityDutyTakeIn(In):
    #: A coordinator hands the duty to this volunteer; a volunteer leaves it out (themself).
    volunteer_id: Id | None = None


class ActivityGapOut(Schema):
    session_id: int | None
    duty_id: int | None
    place_id: int
    starts_at: datetime
    ends_at: datetime
    needed: int
    planned: int
    swap_asked: int


class ActivityGapAskIn(In):
    session_id: Id | None = None
    duty_id: Id | None = None


class ActivityAskedOut(Schema):
    #: Volunteers messaged now; those asked before for this gap get no second message.
    asked: int
    already_asked: int


@router.get("/volunteers", response=list[ActivityVolunteerOut], summary="Digibuddies")
@paged
def list_volunteers(
    request: HttpRequest,
    q: str = "",
    track: TrackFilter = "",  # type: ignore[valid-type]
) -> Any:
    return volunteer_selectors.volunteers_search(
        actor=actor_of(request), q=q[:100], track=track, active=None
    )


@router.post("/volunteers", response={201: ActivityVolunteerOut}, summary="Add a digibuddy")
def create_volunteer(request: HttpRequest, payload: ActivityVolunteerIn) -> Any:
    data = payload.dict()
    person = data.pop("person")
    if person is not None:
        person = {k: v for k, v in person.items() if v not in (None, "")}
    return Status(201, services.volunteer_create(actor=actor_of(request), person=person, **data))


@router.get("/volunteers/{volunteer_id}", response=ActivityVolunteerOut, summary="One digibuddy")
def get_volunteer(request: HttpRequest, volunteer_id: Id) -> Any:
    return volunteer_selectors.volunteer_get(actor=actor_of(request), volunteer_id=volunteer_id)


@router.patch(
    "/volunteers/{volunteer_id}", response=ActivityVolunteerOut, summary="Change a digibuddy"
)
def update_volunteer(
    request: HttpRequest, volunteer_id: Id, payload: ActivityVolunteerUpdateIn
) -> Any:
    values = payload.dict(exclude_unset=True)
    values = {k: v for k, v in values.items() if v is not None or k == "training_series_id"}
    return services.volunteer_update(actor=actor_of(request), volunteer_id=volunteer_id, **values)


@router.post(
    "/volunteers/{volunteer_id}/certify",
    response=ActivityVolunteerOut,
    summary="Record that a digibuddy is certified",
)
def certify_volunteer(request: HttpRequest, volunteer_id: Id, payload: ActivityCertifyIn) -> Any:
    return services.volunteer_certify(
        actor=actor_of(request), volunteer_id=volunteer_id, on=payload.on
    )


@router.post(
    "/volunteers/{volunteer_id}/duties",
    response={201: ActivityDutyOut},
    summary="Put a digibuddy on a session or on digipunt duty",
)
def assign_duty(request: HttpRequest, volunteer_id: Id, payload: ActivityDutyIn) -> Any:
    return Status(
        201,
        services.duty_assign(actor=actor_of(request), volunteer_id=volunteer_id, **payload.dict()),
    )


@router.get("/duties", response=list[ActivityDutyOut], summary="Duties still to come")
@paged
def list_duties(
    request: HttpRequest,
    volunteer_id: Id | None = None,
    state: DutyStateFilter = "",  # type: ignore[valid-type]
) -> Any:
    actor = actor_of(request)
    actor.require("activities.volunteers")  # an API key has no duties of its own
    return volunteer_selectors.duties_search(actor=actor, volunteer_id=volunteer_id, state=state)


@router.post(
    "/duties/{duty_id}/cancel",
    response=ActivityDutyOut,
    summary="Cancel a duty with a reason (send an Idempotency-Key)",
)
def cancel_duty(
    request: HttpRequest,
    duty_id: Id,
    payload: ActivityDutyCancelIn,
    idempotency_key: str = idempotency_key_header("cancellation", required=True),
) -> Any:
    return services.duty_cancel(
        actor=actor_of(request),
        duty_id=duty_id,
        reason=payload.reason,
        idempotency_key=idempotency_key,
    )


@router.post("/duties/{duty_id}/swap", response=ActivityDutyOut, summary="Offer a duty for a swap")
def offer_duty(request: HttpRequest, duty_id: Id) -> Any:
    return services.duty_offer_swap(actor=actor_of(request), duty_id=duty_id)


@router.post(
    "/duties/{duty_id}/take",
    response=ActivityDutyOut,
    summary="Take over a duty offered for a swap (send an Idempotency-Key)",
)
def take_duty(
    request: HttpRequest,
    duty_id: Id,
    payload: ActivityDutyTakeIn,
    idempotency_key: str = idempotency_key_header("take-over", required=True),
) -> Any:
    return services.duty_take(
        actor=actor_of(request),
        duty_id=duty_id,
        volunteer_id=payload.volunteer_id,
        idempotency_key=idempotency_key,
    )


@router.get("/gaps", response=list[ActivityGapOut], summary="Sessions and duties short of help")
def list_gaps(request: HttpRequest) -> Any:
    actor = actor_of(request)
    actor.require("activities.volunteers")
    return [
        {
            "session_id": g.session.pk if g.session else None,
            "duty_id": g.duty.pk if g.duty else None,
            "place_id": g.place.pk,
            "starts_at": g.starts_at,
            "ends_at": g.ends_at,
            "needed": g.needed,
            "planned": g.planned,
            "swap_asked": g.swap_asked,
        }
        for g in volunteer_selectors.gaps(actor=actor)
    ]


@router.post(
    "/gaps/ask",
    response=ActivityAskedOut,
    summary="Ask the free digibuddies to fill a gap (once per volunteer)",
)
def ask_gap(request: HttpRequest, payload: ActivityGapAskIn) -> Any:
    return services.gap_ask(actor=actor_of(request), **payload.dict())


# --- the overview's figures (act-figures) ---------------------------------------------------

Period = one_of(["month", "quarter", "year"])


class ActivityFiguresRowOut(Schema):
    key: str = Field(
        ..., description="The kind, the category's id or the neighbourhood; '' unknown."
    )
    label: str
    months: list[int] = Field(..., description="Participants per month of the period, in order.")
    total: int = Field(..., description="Times someone came in the period.")
    people: int = Field(..., description="Distinct people who came.")


class ActivityFiguresTotalsOut(Schema):
    sessions: int
    seats: int
    signed_up: int
    fill_rate: int | None = Field(..., description="Seats taken / seats, in percent.")
    attended: int
    no_show: int
    no_show_rate: int | None = Field(..., description="No-shows / (came + no-shows), in percent.")
    cancelled: int
    waiting: int
    people: int = Field(..., description="Distinct people who came at least once.")


class ActivityFiguresWeekSessionOut(Schema):
    id: int
    series_id: int
    place: str
    starts_at: datetime
    capacity: int
    seats_taken: int
    waiting: int
    fill_rate: int | None


class ActivityFiguresMonthOut(Schema):
    month: str = Field(..., description="YYYY-MM")
    participants: int
    people: int


class ActivityFiguresMunicipalityOut(Schema):
    id: int | None
    municipality: str
    sessions: int
    seats: int
    fill_rate: int | None
    attended: int
    no_show: int
    no_show_rate: int | None
    people: int


class ActivityFiguresOut(Schema):
    period: str
    first: date
    last: date
    months: list[str]
    municipality_id: int | None
    week_of: date
    week: list[ActivityFiguresWeekSessionOut]
    waiting_people: int
    waiting_sessions: int
    totals: ActivityFiguresTotalsOut
    per_kind: list[ActivityFiguresRowOut]
    per_category: list[ActivityFiguresRowOut]
    per_neighbourhood: list[ActivityFiguresRowOut]
    trend: list[ActivityFiguresMonthOut]
    per_municipality: list[ActivityFiguresMunicipalityOut]


def _figure_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "key": "" if row["key"] is None else str(row["key"])} for row in rows]


@router.get(
    "/figures",
    response=ActivityFiguresOut,
    summary="The overview's figures for a month, quarter or year (Brussels), per municipality",
)
def figures(
    request: HttpRequest,
    period: Period = "month",  # type: ignore[valid-type]
    at: Day | None = None,
    municipality_id: Id | None = None,
    language: Language = "nl",
) -> Any:
    f = selectors_figures.activity_figures(
        actor=actor_of(request),
        period=period,
        day=at,
        municipality_id=municipality_id,
        language=language,
    )
    chosen = f["period"]
    return {
        "period": chosen.kind,
        "first": chosen.first,
        "last": chosen.last,
        "months": [m.strftime("%Y-%m") for m in chosen.months],
        "municipality_id": municipality_id,
        "week_of": f["week"]["monday"],
        "week": [{**s, "series_id": s["series"].pk} for s in f["week"]["sessions"]],
        "waiting_people": f["waiting_lists"]["people"],
        "waiting_sessions": f["waiting_lists"]["sessions"],
        "totals": f["totals"],
        "per_kind": _figure_rows(f["per_kind"]),
        "per_category": _figure_rows(f["per_category"]),
        "per_neighbourhood": _figure_rows(f["per_neighbourhood"]),
        "trend": [{**row, "month": row["month"].strftime("%Y-%m")} for row in f["trend"]],
        "per_municipality": f["per_municipality"],
    }


# --- check-in by QR and evaluations (act-eval) -----------------------------------------------

Satisfaction = Annotated[int, Field(ge=1, le=5)]
Statement = one_of(["find", "communicate", "problems", "software", "safe", "repair"])
Score = Annotated[int, Field(ge=1, le=4)]
FreeText = Annotated[str, Field(max_length=500)]


class ActivityCheckInIn(In):
    registration_id: Id
    #: The code in the QR's address (``…/check-in/<registration_id>/<code>/``).
    code: Annotated[str, Field(min_length=1, max_length=64, pattern=NONBLANK)]


class ActivityEvaluationOut(Schema):
    id: int
    series_id: int
    registration_id: int | None
    channel: str
    moment: str
    satisfaction: int | None
    learned: str
    suggestion: str
    answers: dict[str, int]
    created_at: datetime

    @staticmethod
    def resolve_answers(obj: Any) -> dict[str, int]:
        return dict((obj.self_assessment or {}).get("answers", {}))


class ActivityEvaluationIn(In):
    channel: one_of(["paper", "session"]) = "paper"  # type: ignore[valid-type]
    moment: one_of(["after", "before"]) = "after"  # type: ignore[valid-type]
    registration_id: Id | None = None
    satisfaction: Satisfaction | None = None
    learned: FreeText = ""
    suggestion: FreeText = ""
    answers: dict[Statement, Score] = {}  # type: ignore[valid-type]


@router.post(
    "/sessions/{session_id}/check-in",
    response={200: ActivityRegistrationOut},
    summary="Check in by the code of the person's QR (send an Idempotency-Key)",
)
def check_in_by_code(
    request: HttpRequest,
    session_id: Id,
    payload: ActivityCheckInIn,
    idempotency_key: str = idempotency_key_header("check-in", required=True),
) -> Any:
    return services.checkin_by_code(
        actor=actor_of(request),
        session_id=session_id,
        registration_id=payload.registration_id,
        code=payload.code,
        idempotency_key=idempotency_key,
    )


@router.get(
    "/series/{series_id}/evaluations",
    response=list[ActivityEvaluationOut],
    summary="Evaluations and self-assessments of an activity (no names)",
)
@paged
def list_evaluations(request: HttpRequest, series_id: Id) -> Any:
    return selectors.evaluations_of_series(actor=actor_of(request), series_id=series_id)


@router.post(
    "/series/{series_id}/evaluations",
    response={200: ActivityEvaluationOut, 201: ActivityEvaluationOut},
    summary="Enter an evaluation (a paper form, the tablet) (send an Idempotency-Key)",
)
def create_evaluation(
    request: HttpRequest,
    series_id: Id,
    payload: ActivityEvaluationIn,
    idempotency_key: str = idempotency_key_header("evaluation", required=True),
) -> Any:
    made = services.evaluation_create(
        actor=actor_of(request),
        series_id=series_id,
        idempotency_key=idempotency_key,
        **payload.dict(),
    )
    return Status(200 if getattr(made, "replayed", False) else 201, made)
