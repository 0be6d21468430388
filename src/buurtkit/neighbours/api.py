"""API router for Buurbel (``/api/v1/buurbel/...``): thin, one service or selector call per
endpoint. Everything acts in the community of the key; reading needs ``neighbours.view``.

Sections (each kept together): participants and verification, rules and matching runs,
introductions by phone, announcements, costs and the dashboard.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from buurtkit.core.apitools import (
    MAX_INT32,
    NONBLANK,
    ErrorOut,
    Id,
    In,
    Language,
    actor_of,
    idempotency_key_header,
    paged,
)
from buurtkit.neighbours import costs, selectors, services
from buurtkit.neighbours.dashboard import MAX_WEEKS
from buurtkit.telephony import selectors as telephony_selectors
from buurtkit.telephony import services as telephony_services
from buurtkit.telephony.selectors import recording_url

router = Router(tags=["buurbel"])


# --- announcements and recordings -------------------------------------------------------------


class AnnouncementOut(Schema):
    id: int
    title: str
    text: dict[str, str] = Field(..., description='Per language: {"nl": "…", "fr": "…"}.')
    recording: dict[str, int] = Field(..., description="Per language: a recording's id.")
    neighbourhood: str = Field(..., description="Empty: for everybody.")
    starts_on: dt.date
    ends_on: dt.date
    in_outbound_calls: bool
    active: bool
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


class AnnouncementIn(In):
    title: str = Field(..., max_length=120, pattern=NONBLANK)
    text: dict[Language, str] = Field(
        {}, description="Per language, at most 600 characters each (about a minute of speech)."
    )
    recording: dict[Language, Id | None] = Field(
        {}, description="Per language, a recording of that language; it is played instead of text."
    )
    neighbourhood: str = Field("", max_length=40, description="Empty: for everybody.")
    starts_on: dt.date
    ends_on: dt.date = Field(..., description="On or after starts_on, at most a year later.")
    in_outbound_calls: bool = Field(True, description="Also play it in introduction calls.")


class AnnouncementPatch(In):
    title: str | None = Field(None, max_length=120, pattern=NONBLANK)
    text: dict[Language, str] | None = Field(None, description="Replaces all languages' texts.")
    recording: dict[Language, Id | None] | None = Field(
        None, description="Replaces all languages' recordings."
    )
    neighbourhood: str | None = Field(None, max_length=40)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    in_outbound_calls: bool | None = None


class RecordingOut(Schema):
    id: int
    name: str
    language: str
    content_type: str = Field(..., description="audio/wav or audio/mpeg.")
    size: int = Field(..., description="Bytes.")
    uploaded_by: str
    uploaded_at: dt.datetime
    url: str = Field(..., description="The public address a telephony provider plays it from.")

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return recording_url(obj)


@router.get(
    "/announcements",
    response=list[AnnouncementOut],
    summary="List announcements, newest period first",
    description="`when`: current, upcoming, past (ended) or inactive (stopped); `q` searches "
    "the title, text and neighbourhood.",
)
@paged
def announcements_list(request: HttpRequest, q: str = "", when: str = "") -> Any:
    return selectors.announcements_list(actor=actor_of(request), q=q, when=when)


@router.post(
    "/announcements",
    response={201: AnnouncementOut},
    summary="Make an announcement (needs neighbours.manage)",
    description="Give a text or a recording in at least one language.",
)
def announcement_create(request: HttpRequest, payload: AnnouncementIn) -> Any:
    return Status(201, services.announcement_create(actor=actor_of(request), **payload.dict()))


@router.get("/announcements/{announcement_id}", response=AnnouncementOut, summary="An announcement")
def announcement_get(request: HttpRequest, announcement_id: Id) -> Any:
    return selectors.announcement_get(actor=actor_of(request), announcement_id=announcement_id)


@router.patch(
    "/announcements/{announcement_id}",
    response=AnnouncementOut,
    summary="Change an announcement (the fields given)",
)
def announcement_update(
    request: HttpRequest, announcement_id: Id, payload: AnnouncementPatch
) -> Any:
    return services.announcement_update(
        actor=actor_of(request),
        announcement_id=announcement_id,
        **payload.dict(exclude_unset=True, exclude_none=True),  # null leaves a field alone
    )


@router.post(
    "/announcements/{announcement_id}/deactivate",
    response=AnnouncementOut,
    summary="Stop playing an announcement (it is kept)",
)
def announcement_deactivate(request: HttpRequest, announcement_id: Id) -> Any:
    return services.announcement_deactivate(
        actor=actor_of(request), announcement_id=announcement_id
    )


@router.get(
    "/recordings",
    response=list[RecordingOut],
    summary="List the recorded prompts (needs telephony.recordings)",
)
@paged
def recordings_list(request: HttpRequest, q: str = "", language: str = "") -> Any:
    return telephony_selectors.recordings(actor=actor_of(request), q=q, language=language)


@router.post(
    "/recordings",
    response={201: RecordingOut},
    summary="Upload a recorded prompt (needs telephony.recordings)",
    description="Multipart upload: `file` (WAV or MP3, at most 5 MB, checked by its content), "
    "`name` and `language` (nl, fr or en).",
)
def recording_upload(
    request: HttpRequest,
    file: File[UploadedFile],
    name: Form[Annotated[str, Field(min_length=1, max_length=100, pattern=NONBLANK)]],
    language: Form[Language],
) -> Any:
    return Status(
        201,
        telephony_services.recording_upload(
            actor=actor_of(request), name=name, language=language, upload=file
        ),
    )


# --- rules and matching runs ------------------------------------------------------------------


class ConditionIn(In):
    name: str = Field(..., description="Short, lower-case letters, digits and _.")
    description: str = Field("", max_length=300, description="What it means, in plain words.")
    rule: Any = Field(..., description='JsonLogic over pair facts, e.g. {"var": "within_reach"}.')


class TermIn(ConditionIn):
    weight: int | float = Field(1, description="The score adds weight × the rule's value.")


class TestCaseIn(In):
    name: str = Field(..., max_length=80, pattern=NONBLANK)
    a: dict[str, Any] = Field(..., description="An example profile (as a participant's).")
    b: dict[str, Any] = Field(..., description="The other example profile.")
    history: dict[str, bool] = Field(
        {}, description="introduced_before and declined_before (default false)."
    )
    eligible: bool = Field(..., description="Should these two be matched?")
    score_min: float | None = Field(None, description="For an eligible pair: lowest score.")
    score_max: float | None = Field(None, description="For an eligible pair: highest score.")


class RuleVersionIn(In):
    copy_of: Id | None = Field(
        None, description="Start from this version; the lists given below replace its own."
    )
    eligibility: list[ConditionIn] | None = None
    weights: list[TermIn] | None = None
    test_cases: list[TestCaseIn] | None = None
    notes: str = Field("", max_length=2000)


class RuleVersionPatch(In):
    eligibility: list[ConditionIn] | None = None
    weights: list[TermIn] | None = None
    test_cases: list[TestCaseIn] | None = None
    notes: str | None = Field(None, max_length=2000)


class RuleVersionOut(Schema):
    id: int
    number: int
    status: str = Field(..., description="draft, active or retired.")
    notes: str
    eligibility: list[dict[str, Any]] = Field(..., description="Conditions: every one must hold.")
    weights: list[dict[str, Any]] = Field(..., description="Scoring terms: Σ weight × value.")
    test_cases: list[dict[str, Any]]
    created_by: str
    created_at: dt.datetime
    activated_at: dt.datetime | None
    retired_at: dt.datetime | None


class TestResultOut(Schema):
    name: str
    passed: bool
    expected: list[str] = Field(..., description="What was expected but not found.")
    eligible: bool
    score: float
    explanation: dict[str, Any] = Field(
        ..., description="The facts, each condition (held or not), each term's contribution."
    )


class MatchRunOut(Schema):
    id: int
    rule_version_id: int
    rule_version_number: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    run_by: str
    participants: int
    candidate_pairs: int
    eligible_pairs: int
    proposed_pairs: int
    total_score: float
    stats: dict[str, Any] = Field(..., description="Counts and the seconds of each phase.")

    @staticmethod
    def resolve_rule_version_number(obj: Any) -> int:
        return int(obj.rule_version.number)

    @staticmethod
    def resolve_run_by(obj: Any) -> str:
        return str(obj.actor_label)


class ProposedPairOut(Schema):
    id: int
    participant_a_id: int
    participant_b_id: int
    name_a: str
    name_b: str
    score: float
    explanation: dict[str, Any]

    @staticmethod
    def resolve_name_a(obj: Any) -> str:
        return str(obj.participant_a.person.full_name)

    @staticmethod
    def resolve_name_b(obj: Any) -> str:
        return str(obj.participant_b.person.full_name)


@router.get(
    "/rules",
    response=list[RuleVersionOut],
    summary="List the versions of the matching rules, newest first",
)
@paged
def rules_list(request: HttpRequest) -> Any:
    return selectors.rule_versions(actor=actor_of(request))


@router.post(
    "/rules",
    response={201: RuleVersionOut},
    summary="Make a draft version (needs neighbours.rules)",
    description="Give `copy_of` to start from an existing version (usually the active one).",
)
def rules_create(request: HttpRequest, payload: RuleVersionIn) -> Any:
    data = payload.dict(exclude_none=True)
    return Status(
        201,
        services.rule_version_create(
            actor=actor_of(request), copy_of_id=data.pop("copy_of", None), **data
        ),
    )


@router.get("/rules/{rule_version_id}", response=RuleVersionOut, summary="A rule version")
def rules_get(request: HttpRequest, rule_version_id: Id) -> Any:
    return selectors.rule_version_get(actor=actor_of(request), version_id=rule_version_id)


@router.patch(
    "/rules/{rule_version_id}",
    response=RuleVersionOut,
    summary="Change a draft (the fields given); an activated version answers 409",
)
def rules_update(request: HttpRequest, rule_version_id: Id, payload: RuleVersionPatch) -> Any:
    return services.rule_version_update(
        actor=actor_of(request), version_id=rule_version_id, **payload.dict(exclude_none=True)
    )


@router.post(
    "/rules/{rule_version_id}/test",
    response=list[TestResultOut],
    summary="Run a version's test cases (changes nothing)",
)
def rules_test(request: HttpRequest, rule_version_id: Id) -> Any:
    return selectors.rule_version_test_results(actor=actor_of(request), version_id=rule_version_id)


@router.post(
    "/rules/{rule_version_id}/activate",
    response=RuleVersionOut,
    summary="Activate a draft whose test cases all pass (needs neighbours.rules)",
    description="A failing test case refuses it (422, `test_cases_fail`, the cases listed); "
    "the previous active version retires.",
)
def rules_activate(request: HttpRequest, rule_version_id: Id) -> Any:
    return services.rule_version_activate(actor=actor_of(request), version_id=rule_version_id)


@router.get("/runs", response=list[MatchRunOut], summary="List matching runs, newest first")
@paged
def runs_list(request: HttpRequest) -> Any:
    return selectors.match_runs(actor=actor_of(request))


@router.post(
    "/runs",
    response={201: MatchRunOut},
    summary="Run the matching now with the active rules (needs neighbours.match)",
)
def runs_create(request: HttpRequest) -> Any:
    return Status(201, services.matching_run(actor=actor_of(request)))


@router.get("/runs/{match_run_id}", response=MatchRunOut, summary="A matching run and its figures")
def runs_get(request: HttpRequest, match_run_id: Id) -> Any:
    return selectors.match_run_get(actor=actor_of(request), run_id=match_run_id)


@router.get(
    "/runs/{match_run_id}/pairs",
    response=list[ProposedPairOut],
    summary="A run's proposed pairs, best first, each with its explanation",
    description="`q` finds pairs by a participant's name.",
)
@paged
def runs_pairs(request: HttpRequest, match_run_id: Id, q: str = "") -> Any:
    return selectors.proposed_pairs_search(actor=actor_of(request), run_id=match_run_id, q=q)


# --- costs and dashboard ----------------------------------------------------------------------


#: ``?weeks=`` of the dashboard.
Weeks = Annotated[int, Field(ge=1, le=MAX_WEEKS)]
#: A day of the week, 1 = Monday … 7 = Sunday.
Weekday = Annotated[int, Field(ge=1, le=7)]


def _ranged(name: str, description: str) -> Any:
    """An optional input of the cost projection, with the range the form and the service check."""
    field = next(f for f in costs.FIELDS if f.name == name)
    if field.kind == "int":
        return Field(None, ge=int(field.low), le=int(field.high), description=description)
    return Field(
        None,
        ge=field.low,
        le=field.high,
        description=description,
        json_schema_extra=_number_only,
    )


def _number_only(schema: dict[str, Any]) -> None:
    """A decimal is read from a number only: pydantic's document also offers any string."""
    if "anyOf" in schema:
        schema["anyOf"] = [s for s in schema["anyOf"] if s.get("type") != "string"]


class ProjectionQuery(Schema):
    """Every input is optional: a missing one takes its default (the seed's figures)."""

    inhabitants: int | None = _ranged("inhabitants", "1 to 10,000,000 (default 20,000).")
    participation_pct: Decimal | None = _ranged("participation_pct", "% of inhabitants (1).")
    introductions_per_participant: Decimal | None = _ranged(
        "introductions_per_participant", "Per year (4)."
    )
    turnover_pct: Decimal | None = _ranged("turnover_pct", "New participants a year, % (30).")
    sms_per_new_participant: Decimal | None = _ranged(
        "sms_per_new_participant", "Verification SMS (1)."
    )
    no_answer_pct: Decimal | None = _ranged("no_answer_pct", "% of calls not answered (15).")
    voicemail_pct: Decimal | None = _ranged("voicemail_pct", "% of calls reaching voicemail (20).")
    max_tries: int | None = _ranged("max_tries", "Calls to reach a neighbour, 1-10 (3).")
    agree_pct: Decimal | None = _ranged("agree_pct", "% of reached neighbours who agree (60).")
    mobile_pct: Decimal | None = _ranged("mobile_pct", "% of minutes to mobiles (50).")
    happy_minutes: Decimal | None = _ranged("happy_minutes", "First call (1.2).")
    more_info_pct: Decimal | None = _ranged("more_info_pct", "% asking for more info (30).")
    more_info_minutes: Decimal | None = _ranged("more_info_minutes", "Extra minutes (2).")
    voicemail_minutes: Decimal | None = _ranged("voicemail_minutes", "Call to voicemail (0.8).")
    second_minutes: Decimal | None = _ranged("second_minutes", "Call to the second neighbour (1).")
    conference_minutes: Decimal | None = _ranged("conference_minutes", "Per connected pair (5).")
    follow_up_calls: int | None = _ranged("follow_up_calls", "Per connected pair (2).")
    follow_up_minutes: Decimal | None = _ranged("follow_up_minutes", "Per follow-up call (1).")
    machine_detection: bool | None = Field(None, description="Answering machine detection (off).")
    studio_executions_per_call: Decimal | None = _ranged(
        "studio_executions_per_call", "Twilio Studio (0)."
    )
    studio_invocations_per_call: Decimal | None = _ranged(
        "studio_invocations_per_call", "Twilio Studio (0)."
    )
    provider: Literal["twilio", "simulator"] | None = Field(None, description="Price table.")
    usd_eur: Decimal | None = _ranged("usd_eur", "Euros for one dollar (0.92).")
    licence_telephony_eur: int | None = _ranged(
        "licence_telephony_eur", "In the licence, EUR (3000)."
    )


class CostLineOut(Schema):
    item: str
    label: str
    unit: str
    quantity: Decimal = Field(..., description="Units a year as billed (after free tiers).")
    free: Decimal = Field(..., description="Units a year within the monthly free tiers.")
    unit_micros: int = Field(..., description="Price of one unit in micro-dollars.")
    usd_micros: int
    eur_cents: int


class ProjectionOut(Schema):
    inputs: dict[str, Any]
    participants: Decimal
    new_participants: Decimal
    introductions: Decimal
    connected_pairs: Decimal
    calls: Decimal
    answered_calls: Decimal
    minutes: Decimal
    lines: list[CostLineOut]
    total_usd_micros: int
    total_eur_cents: int
    per_participant_eur_cents: Decimal
    per_inhabitant_eur_cents: Decimal
    licence_eur_cents: int = Field(..., description="max(€0.30 × inhabitants, €5,000).")
    licence_minimum_applies: bool
    telephony_pct_of_licence: Decimal
    licence_plus_telephony_eur_cents: int
    telephony_budget_eur_cents: int
    within_budget: bool


@router.get(
    "/costs/projection",
    response=ProjectionOut,
    summary="Yearly telephony cost for a municipality, against the licence",
    description="Quantities and percentages are decimals (as strings); money is integer "
    "micro-dollars and euro cents. Priced with this community's price table.",
)
def get_cost_projection(request: HttpRequest, filters: Query[ProjectionQuery]) -> Any:
    inputs = {k: v for k, v in filters.dict().items() if v is not None}
    result = selectors.cost_projection(actor=actor_of(request), **inputs)
    out = vars(result).copy()
    out["inputs"] = {
        k: str(v) if isinstance(v, Decimal) else v for k, v in vars(result.inputs).items()
    }
    out["lines"] = [vars(line) for line in result.lines]
    return out


class WeekOut(Schema):
    week: dt.date = Field(..., description="The Monday (Europe/Brussels).")
    participants_new: int
    participants_verified: int
    participants_active: int
    calls: int
    calls_answered: int
    answer_rate: Decimal | None = Field(None, description="Percent; null without calls.")
    introductions: int
    connected: int
    met: int
    cost_micros: int


class DashboardOut(Schema):
    start: dt.date
    end: dt.date
    participants_active: int
    answer_rate: Decimal | None
    totals: dict[str, int]
    weeks: list[WeekOut]


@router.get(
    "/dashboard",
    response=DashboardOut,
    summary="Buurbel per week: participants, calls, answer rate, introductions, costs",
    description="The last ``weeks`` weeks (1-104, the running week last). Counts only.",
)
def get_dashboard(request: HttpRequest, weeks: Weeks = 8) -> Any:
    board = selectors.dashboard_weeks(actor=actor_of(request), weeks=weeks)
    return {
        "start": board.start,
        "end": board.end,
        "participants_active": board.participants_active,
        "answer_rate": board.answer_rate,
        "totals": board.totals,
        "weeks": [{**vars(w), "week": w.monday, "answer_rate": w.answer_rate} for w in board.weeks],
    }


class PriceOut(Schema):
    id: int | None = Field(None, description="Null: the seeded price, not stored yet.")
    item: str
    unit_micros: int = Field(..., description="Per unit, in micro-units of the currency.")
    free_per_month: int


class PriceTableOut(Schema):
    provider: str
    currency: str
    updated_at: dt.datetime | None
    prices: list[PriceOut]


@router.get("/prices", response=list[PriceTableOut], summary="The telephony price tables")
def get_prices(request: HttpRequest) -> Any:
    return [vars(t) for t in selectors.price_tables(actor=actor_of(request))]


class PriceIn(In):
    unit_micros: int = Field(..., ge=0, le=10**12, description="E.g. 60000 for $0.06.")
    free_per_month: int | None = Field(
        None, ge=0, le=MAX_INT32, description="Unchanged when left out."
    )


@router.put(
    "/prices/{price_id}",
    response=PriceOut,
    summary="Change one price (needs telephony.prices)",
    description="The id comes from GET /prices; a price without an id is stored at the first "
    "change of its table.",
)
def put_price(request: HttpRequest, price_id: Id, payload: PriceIn) -> Any:
    actor = actor_of(request)
    price = selectors.price_get(actor=actor, price_id=price_id)
    return telephony_services.price_set(
        actor=actor,
        provider=price.table.provider,
        item=price.item,
        unit_micros=payload.unit_micros,
        free_per_month=(
            price.free_per_month if payload.free_per_month is None else payload.free_per_month
        ),
    )


# --- introductions by phone and call flows ----------------------------------------------------


class MatchOut(Schema):
    id: int
    proposed_pair_id: int
    participant_a_id: int = Field(..., description="Called first.")
    participant_b_id: int
    state: str = Field(
        ...,
        description="proposed, calling_a, a_agreed, calling_b, connecting, connected, "
        "appointment, follow_up, completed, declined, gave_up or cancelled.",
    )
    attempts: int = Field(..., description="Calls tried in the current step.")
    attempts_total: int
    next_call_at: dt.datetime | None = Field(..., description="Always inside a call window.")
    last_outcome: str
    meeting_note: str
    met: bool | None
    again: bool | None
    created_at: dt.datetime
    state_changed_at: dt.datetime
    closed_at: dt.datetime | None


class HistoryOut(Schema):
    outcome: str
    at: dt.datetime
    call_id: int | None
    declined_by_id: int | None


class CallOut(Schema):
    id: int
    purpose: str
    direction: str
    status: str
    answered_by: str
    created_at: dt.datetime
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    duration_seconds: int | None
    price_micros: int | None = Field(..., description="Micro-units of price_currency.")
    price_currency: str
    conference: str


class MatchDetailOut(MatchOut):
    history: list[HistoryOut]
    calls: list[CallOut]


class StartIn(In):
    pair_ids: list[Id] | None = Field(None, description="Only these pairs (default: all).")


@router.get(
    "/introductions",
    response=list[MatchOut],
    summary="Introductions by phone, newest first",
    description="`state`: one state, or `open`; `q` searches both names.",
)
@paged
def introductions_list(request: HttpRequest, state: str = "", q: str = "") -> Any:
    return selectors.matches(actor=actor_of(request), state=state, q=q)


@router.get(
    "/introductions/{match_id}",
    response=MatchDetailOut,
    summary="An introduction with its history and calls",
)
def introductions_get(request: HttpRequest, match_id: Id) -> Any:
    actor = actor_of(request)
    match = selectors.match_get(actor=actor, match_id=match_id)
    return {
        **MatchOut.from_orm(match).dict(),
        "history": list(selectors.match_history(actor=actor, match=match)),
        "calls": list(selectors.match_calls(actor=actor, match=match)),
    }


@router.post(
    "/runs/{match_run_id}/introductions",
    response={201: list[MatchOut]},
    summary="Start phoning a run's pairs (needs neighbours.manage)",
    description="Pairs where someone is already being introduced, or cannot be called "
    "(unverified, opted out), are left out. Calls follow inside each person's call windows.",
)
def introductions_start(request: HttpRequest, match_run_id: Id, payload: StartIn) -> Any:
    return Status(
        201,
        services.introductions_start(
            actor=actor_of(request), run_id=match_run_id, pair_ids=payload.pair_ids
        ),
    )


@router.post(
    "/introductions/{match_id}/cancel",
    response=MatchOut,
    summary="Stop an introduction: nobody is called for it any more",
)
def introductions_cancel(request: HttpRequest, match_id: Id) -> Any:
    return services.introduction_cancel(actor=actor_of(request), match_id=match_id)


class FlowVersionOut(Schema):
    id: int
    key: str = Field(..., description="buurbel.first, buurbel.second, buurbel.connect, …")
    number: int
    status: str = Field(..., description="draft, active or retired.")
    notes: str
    definition: dict[str, Any] = Field(..., description="See docs/neighbours.md (call flows).")
    created_by: str
    created_at: dt.datetime
    activated_at: dt.datetime | None


class FlowVersionIn(In):
    key: str
    copy_of: Id | None = Field(None, description="Start from this version.")
    definition: dict[str, Any] | None = None
    notes: str = Field("", max_length=2000)


class FlowVersionPatch(In):
    definition: dict[str, Any]
    notes: str | None = Field(None, max_length=2000)


@router.get("/flows", response=list[FlowVersionOut], summary="Every version of the call flows")
@paged
def flows_list(request: HttpRequest, key: str = "") -> Any:
    return telephony_selectors.flow_versions(actor=actor_of(request), key=key).order_by(
        "key", "-number"
    )


@router.get("/flows/{flow_id}", response=FlowVersionOut, summary="A call flow version")
def flows_get(request: HttpRequest, flow_id: Id) -> Any:
    return telephony_selectors.flow_version_get(actor=actor_of(request), version_id=flow_id)


@router.post(
    "/flows",
    response={201: FlowVersionOut},
    summary="Make a draft version of a call flow (needs telephony.flows)",
)
def flows_create(request: HttpRequest, payload: FlowVersionIn) -> Any:
    return Status(
        201,
        telephony_services.flow_version_create(
            actor=actor_of(request),
            key=payload.key,
            definition=payload.definition,
            copy_of_id=payload.copy_of,
            notes=payload.notes,
        ),
    )


@router.patch(
    "/flows/{flow_id}",
    response=FlowVersionOut,
    summary="Change a draft; an active or retired version answers 409",
)
def flows_update(request: HttpRequest, flow_id: Id, payload: FlowVersionPatch) -> Any:
    return telephony_services.flow_version_update(
        actor=actor_of(request),
        version_id=flow_id,
        definition=payload.definition,
        notes=payload.notes,
    )


@router.post(
    "/flows/{flow_id}/activate",
    response=FlowVersionOut,
    summary="Use a draft for new calls (calls under way keep their version)",
)
def flows_activate(request: HttpRequest, flow_id: Id) -> Any:
    return telephony_services.flow_version_activate(actor=actor_of(request), version_id=flow_id)


# --- participants and verification ------------------------------------------------------------


class CallWindowIn(In):
    days: list[Weekday] = Field(..., description="1 = Monday … 7 = Sunday.")
    from_: str = Field(..., alias="from", description="HH:MM, Brussels time.")
    to: str = Field(..., description="HH:MM, Brussels time.")


class ParticipantOut(Schema):
    id: int
    person_id: int
    name: str
    language: str
    call_windows: list[dict[str, Any]] = Field(
        ..., description='[{"days": [1..7], "from": "HH:MM", "to": "HH:MM"}]'
    )
    interests: list[str]
    activities: list[str] = Field(..., description="coffee, walk, small_help.")
    max_distance_m: int
    wish: str = Field(..., description="social, practical or both.")
    can_offer: list[str]
    needs: list[str]
    neighbourhood: str
    lat: float | None = Field(..., description="Rounded to about 100 m.")
    lon: float | None
    consent_at: dt.datetime
    phone_verified_at: dt.datetime | None = Field(
        ..., description="When a number was last verified (maybe an earlier number)."
    )
    verified: bool = Field(..., description="The person's current number is verified.")
    callable: bool = Field(
        ..., description="Buurbel may call: verified, consented, active, not opted out."
    )
    opted_out_at: dt.datetime | None
    active: bool
    organisation_id: int | None = Field(
        ..., description="The partner who registered them and follows them up."
    )
    needs_follow_up: bool = Field(..., description="On the staff's follow-up list.")
    follow_up_note: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.person.full_name)

    @staticmethod
    def resolve_verified(obj: Any) -> bool:
        known = getattr(obj, "is_verified", None)
        return bool(known) if known is not None else selectors.participant_verified(obj)

    @staticmethod
    def resolve_callable(obj: Any) -> bool:
        verified = ParticipantOut.resolve_verified(obj)
        return bool(verified and obj.active and obj.consent_at and obj.opted_out_at is None)


class ProfileIn(In):
    language: Language | None = Field(None, description="The language of the calls.")
    call_windows: list[CallWindowIn] | None = None
    interests: list[str] | None = None
    activities: list[str] | None = Field(None, description="coffee, walk, small_help.")
    max_distance_m: int | None = Field(None, ge=0, le=50_000)
    wish: str | None = Field(None, description="social, practical or both.")
    can_offer: list[str] | None = None
    needs: list[str] | None = None
    neighbourhood: str | None = Field(None, max_length=40)
    lat: float | None = None
    lon: float | None = None
    organisation_id: int | None = Field(
        None, description="The partner who registers them (default: the key's one partner)."
    )
    needs_follow_up: bool | None = Field(None, description="Put on the staff's follow-up list.")
    follow_up_note: str | None = Field(None, max_length=200)

    def values(self) -> dict[str, Any]:
        """What was sent; ``null`` leaves a field alone, except those that may be cleared."""
        data = self.dict(exclude_unset=True, by_alias=True)
        return {
            k: v
            for k, v in data.items()
            if k not in ("person_id", "consent") and (v is not None or k in CLEARABLE)
        }


#: The fields of a participant that ``null`` clears (no place on the map, no partner).
CLEARABLE = frozenset({"lat", "lon", "organisation_id"})


class ParticipantIn(ProfileIn):
    person_id: Id
    consent: Literal[True] = Field(..., description="The resident agrees that Buurbel calls them.")


class VerificationOut(Schema):
    id: int
    channel: str = Field(..., description="sms (a mobile) or call (a landline); '' in person.")
    created_at: dt.datetime
    expires_at: dt.datetime
    attempts: int = Field(..., description="Wrong tries so far (at most 5).")
    verified_at: dt.datetime | None
    call_id: int | None


class VerificationCodeIn(In):
    code: str = Field(
        ..., max_length=20, pattern=r"^\s*([0-9]\s*){6}$", description="The 6 digits received."
    )


@router.get(
    "/participants",
    response=list[ParticipantOut],
    summary="Participants, by name",
    description="`q` searches name, phone and neighbourhood; "
    "`status`: verified, unverified, opted_out or follow_up (needs follow-up); "
    "`organisation_id`: registered by that partner.",
)
@paged
def participants_list(
    request: HttpRequest, q: str = "", status: str = "", organisation_id: Id | None = None
) -> Any:
    return selectors.participants_search(
        actor=actor_of(request), q=q, status=status, organisation_id=organisation_id
    )


@router.post(
    "/participants",
    response={201: ParticipantOut},
    summary="Register a resident for Buurbel (needs neighbours.manage, or the resident)",
    description="The person needs a valid phone number and must agree (`consent`). "
    "Then verify the number: POST …/verification.",
)
def participants_create(request: HttpRequest, payload: ParticipantIn) -> Any:
    return Status(
        201,
        services.participant_register(
            actor=actor_of(request),
            person_id=payload.person_id,
            consent=payload.consent,
            **payload.values(),
        ),
    )


@router.get("/participants/{participant_id}", response=ParticipantOut, summary="A participant")
def participants_get(request: HttpRequest, participant_id: Id) -> Any:
    return selectors.participant_get(actor=actor_of(request), participant_id=participant_id)


@router.patch(
    "/participants/{participant_id}",
    response=ParticipantOut,
    summary="Change a participant's profile (only the fields sent)",
)
def participants_update(request: HttpRequest, participant_id: Id, payload: ProfileIn) -> Any:
    return services.participant_update(
        actor=actor_of(request), participant_id=participant_id, **payload.values()
    )


@router.post(
    "/participants/{participant_id}/opt-out",
    response=ParticipantOut,
    summary="“Never call me again”: at once, until they opt in again at a counter",
)
def participants_opt_out(request: HttpRequest, participant_id: Id) -> Any:
    return services.participant_opt_out(actor=actor_of(request), participant_id=participant_id)


@router.post(
    "/participants/{participant_id}/opt-in",
    response=ParticipantOut,
    summary="Undo an opt-out (staff with neighbours.manage only)",
)
def participants_opt_in(request: HttpRequest, participant_id: Id) -> Any:
    return services.participant_opt_in(actor=actor_of(request), participant_id=participant_id)


@router.post(
    "/participants/{participant_id}/verification",
    response={201: VerificationOut, 429: ErrorOut},
    summary="Send a new code: by SMS to a mobile, by a call to a landline",
    description="A code is valid for 15 minutes; a new code replaces the older ones; "
    "at most 3 codes an hour (429 `too_many_codes`).",
)
def participants_verification_start(request: HttpRequest, participant_id: Id) -> Any:
    return Status(
        201,
        services.verification_start(actor=actor_of(request), participant_id=participant_id),
    )


@router.post(
    "/participants/{participant_id}/verification/check",
    response=ParticipantOut,
    summary="Check the code the resident received",
    description="Wrong: 422 `code_wrong` (counted); after 5 wrong tries `code_locked`; "
    "expired or replaced: `code_expired`.",
)
def participants_verification_check(
    request: HttpRequest, participant_id: Id, payload: VerificationCodeIn
) -> Any:
    return services.verification_check(
        actor=actor_of(request), participant_id=participant_id, code=payload.code
    )


# --- partners: their own participants ---------------------------------------------------------

PartnerStatus = Literal["waiting", "introduced", "not_verified", "follow_up", "opted_out"]
PartnerState = Literal["not_verified", "waiting", "introduced", "opted_out"]


class PartnerParticipantOut(Schema):
    """What a partner sees of one of its participants: the person it registered, their way
    through Buurbel, and the follow-up flag; never who the other neighbours are."""

    id: int
    name: str
    phone: str = Field(..., description="The participant's own number (E.164).")
    language: str
    neighbourhood: str
    organisation_id: int | None
    organisation: str = Field(..., description="The partner's name; '' for none.")
    registered_at: dt.datetime
    state: PartnerState = Field(
        ...,
        description="not_verified (the number is not confirmed yet), waiting (for a match), "
        "introduced (at least one introduction), opted_out.",
    )
    introductions: int = Field(..., description="Introductions by phone started with them.")
    latest_introduction: str | None = Field(
        ..., description="The latest introduction's state (proposed … completed), or null."
    )
    calls: int = Field(..., description="Buurbel calls with their number (in and out).")
    last_contact: dt.datetime | None = Field(..., description="The last answered Buurbel call.")
    needs_follow_up: bool
    follow_up_note: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.person.full_name)

    @staticmethod
    def resolve_phone(obj: Any) -> str:
        return str(obj.person.phone)

    @staticmethod
    def resolve_organisation(obj: Any) -> str:
        return obj.organisation.name if obj.organisation else ""

    @staticmethod
    def resolve_registered_at(obj: Any) -> dt.datetime:
        return obj.created_at  # type: ignore[no-any-return]

    @staticmethod
    def resolve_state(obj: Any) -> str:
        return selectors.partner_state(obj)

    @staticmethod
    def resolve_latest_introduction(obj: Any) -> str | None:
        return obj.latest_state  # type: ignore[no-any-return]


class PartnerParticipantIn(ProfileIn):
    first_name: str = Field(..., max_length=100, pattern=NONBLANK)
    last_name: str = Field("", max_length=100)
    phone: str = Field(..., max_length=30, pattern=NONBLANK, description="A real number.")
    consent: Literal[True] = Field(..., description="The resident agrees that Buurbel calls them.")
    organisation_id: int | None = Field(
        None,
        description="Left out: the key's own organisation (a partner's key with several "
        "must name one of them; staff may name any partner).",
    )
    needs_follow_up: bool | None = Field(None, description="Staff should check on them.")
    follow_up_note: str | None = Field(
        None, max_length=200, description="Why (needed with needs_follow_up)."
    )


class FollowUpIn(In):
    needs_follow_up: bool = Field(..., description="true: put on the follow-up list; false: done.")
    note: str = Field(
        "", max_length=200, description="Why someone should check on them (needed with true)."
    )


@router.get(
    "/partner/participants",
    response=list[PartnerParticipantOut],
    summary="A partner's own participants (needs neighbours.refer)",
    description="The key's organisation's participants (staff who see Buurbel: every "
    "partner's). `q` searches name, phone and neighbourhood.",
)
@paged
def partner_participants_list(
    request: HttpRequest, q: str = Query("", max_length=100), status: PartnerStatus | None = None
) -> Any:
    return selectors.partner_participants(actor=actor_of(request), q=q, status=status or "")


@router.post(
    "/partner/participants",
    response={200: PartnerParticipantOut, 201: PartnerParticipantOut},
    summary="A partner registers a resident it helps (send an Idempotency-Key)",
    description="The resident and their Buurbel profile in one step, for the key's own "
    "organisation. Then the number is verified (staff, or the resident).",
)
def partner_participants_create(
    request: HttpRequest,
    payload: PartnerParticipantIn,
    idempotency_key: str = idempotency_key_header("registration", required=True),
) -> Any:
    actor = actor_of(request)
    data = payload.values()
    participant = services.partner_participant_register(
        actor=actor, consent=payload.consent, idempotency_key=idempotency_key, **data
    )
    status = 200 if getattr(participant, "replayed", False) else 201
    return Status(
        status, selectors.partner_participant_get(actor=actor, participant_id=participant.pk)
    )


@router.get(
    "/partner/participants/{participant_id}",
    response=PartnerParticipantOut,
    summary="One of a partner's participants",
)
def partner_participants_get(request: HttpRequest, participant_id: Id) -> Any:
    return selectors.partner_participant_get(actor=actor_of(request), participant_id=participant_id)


@router.post(
    "/partner/participants/{participant_id}/follow-up",
    response=PartnerParticipantOut,
    summary="Mark a participant as needing follow-up (with a note), or unmark them",
)
def partner_participants_follow_up(
    request: HttpRequest, participant_id: Id, payload: FollowUpIn
) -> Any:
    actor = actor_of(request)
    services.partner_follow_up(
        actor=actor,
        participant_id=participant_id,
        needs_follow_up=payload.needs_follow_up,
        note=payload.note,
    )
    return selectors.partner_participant_get(actor=actor, participant_id=participant_id)
