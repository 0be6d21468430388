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
    made, token = services.registration_create(
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
