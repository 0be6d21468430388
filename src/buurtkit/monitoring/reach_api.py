"""The API of the reach per target group, a person's digital track and the surveys; added to
monitoring's router (``api.py``). Reads need ``monitoring.view`` (the track:
``monitoring.track``); survey answers need ``monitoring.surveys``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from buurtkit.core.apitools import MONTH_PATTERN, Id, actor_of, idempotency_key_header
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.indicators import add_months
from buurtkit.core.texts import translated
from buurtkit.monitoring import reach, selectors, surveys
from buurtkit.monitoring.models import SurveyPhase


class MonitoringReachQuery(Schema):
    start: str | None = Field(
        None, alias="from", pattern=MONTH_PATTERN, description="First month, YYYY-MM."
    )
    end: str | None = Field(
        None, alias="to", pattern=MONTH_PATTERN, description="Last month, YYYY-MM."
    )


class MonitoringGroupReachOut(Schema):
    group: str
    label: str
    people: int | None = Field(description="Unique people reached; null when 1 to 4.")
    shown: str = Field(description='The count as shown: "< 5" for 1 to 4.')
    population: int | None
    ambition_percent: int
    ambition_people: int | None
    share_of_population: float | None
    share_of_ambition: int | None


class MonitoringReachOut(Schema):
    start: str
    end: str
    people: int | None = Field(description="Unique people reached across the modules.")
    profiled: int | None = Field(description="Of whom with a consented profile.")
    groups: list[MonitoringGroupReachOut]
    indicators: list[str]


def _small(n: int) -> int | None:
    return None if 0 < n < reach.SMALL else n


def _month(text: str | None, default: date) -> date:
    return date.fromisoformat(text + "-01") if text else default


def get_reach(request: HttpRequest, query: Query[MonitoringReachQuery]) -> Any:
    this = selectors.local_today().replace(day=1)
    try:
        r = reach.reach(
            actor=actor_of(request),
            first=_month(query.start, date(this.year, 1, 1)),
            last=_month(query.end, this),
        )
    except ValidationFailed as refused:  # the period's end is the query's "to"
        raise ValidationFailed(
            str(refused.detail), fields={"to": str(refused.detail)}, code=refused.code
        ) from None
    return {
        "start": r.first.strftime("%Y-%m"),
        "end": add_months(r.after, -1).strftime("%Y-%m"),
        "people": _small(r.people),
        "profiled": _small(r.profiled),
        "groups": [
            {
                "group": g.group,
                "label": g.label,
                "people": _small(g.people),
                "shown": g.shown,
                "population": g.population,
                "ambition_percent": g.ambition_percent,
                "ambition_people": g.ambition_people,
                "share_of_population": g.share_of_population,
                "share_of_ambition": g.share_of_ambition,
            }
            for g in r.groups
        ],
        "indicators": r.indicators,
    }


class MonitoringTrackEventOut(Schema):
    at: datetime
    module: str
    what: str
    detail: str


def get_track(request: HttpRequest, person_id: Id) -> Any:
    _person, lines = reach.track(actor=actor_of(request), person_id=person_id)
    return [
        {"at": line.at, "module": line.module, "what": line.what, "detail": line.detail}
        for line in lines
    ]


class MonitoringSurveyQuestionOut(Schema):
    key: str
    text: dict[str, str]


class MonitoringSurveyOut(Schema):
    id: int
    key: str
    title: dict[str, str]
    scale_min: int
    scale_max: int
    active: bool
    questions: list[MonitoringSurveyQuestionOut]


def list_surveys(request: HttpRequest) -> Any:
    actor = actor_of(request)
    actor.require("monitoring.view")
    return [
        {
            "id": s.pk,
            "key": s.key,
            "title": s.title,
            "scale_min": s.scale_min,
            "scale_max": s.scale_max,
            "active": s.active,
            "questions": [{"key": q.key, "text": q.text} for q in s.questions.all()],
        }
        for s in surveys.surveys_list(actor=actor).prefetch_related("questions")
    ]


class MonitoringQuestionChangeOut(Schema):
    key: str
    text: str
    pairs: int | None = Field(description="People who answered before and after; null: 1 to 4.")
    mean_before: float | None
    mean_after: float | None
    change: float | None


class MonitoringSurveyReportOut(Schema):
    survey: str
    responses_before: int
    responses_after: int
    pairs: int | None
    questions: list[MonitoringQuestionChangeOut]


def survey_report(request: HttpRequest, survey_id: Id) -> Any:
    report = surveys.survey_report(
        actor=actor_of(request), survey_id=survey_id, language=request.LANGUAGE_CODE
    )
    return {
        "survey": translated(report.survey.title, request.LANGUAGE_CODE),
        "responses_before": report.responses_before,
        "responses_after": report.responses_after,
        "pairs": _small(report.pairs),
        "questions": [
            {
                "key": q.key,
                "text": q.text,
                "pairs": _small(q.pairs),
                "mean_before": q.mean_before,
                "mean_after": q.mean_after,
                "change": q.change,
            }
            for q in report.questions
        ],
    }


class MonitoringSurveyResponseIn(Schema):
    phase: SurveyPhase
    answers: dict[str, int] = Field(description="{question key: value on the scale}")
    person_id: Id | None = None
    pairing_code: str = Field("", max_length=20)
    channel: str = Field("paper", pattern="^(paper|kiosk)$")


class MonitoringSurveyResponseOut(Schema):
    id: int
    phase: str
    channel: str
    answered_at: datetime


def create_response(
    request: HttpRequest,
    survey_id: Id,
    payload: MonitoringSurveyResponseIn,
    idempotency_key: str | None = idempotency_key_header("survey response"),
) -> Any:
    response = surveys.response_enter(
        actor=actor_of(request),
        survey_id=survey_id,
        phase=payload.phase,
        answers=payload.answers,
        channel=payload.channel,
        person_id=payload.person_id,
        pairing_code=payload.pairing_code,
        idempotency_key=idempotency_key or "",
    )
    return Status(200 if getattr(response, "replayed", False) else 201, response)


def register(router: Router) -> None:
    """Add these routes to monitoring's router (``api.py``), under ``/monitoring``."""
    router.get(
        "/reach",
        response=MonitoringReachOut,
        summary="Unique people reached across the modules, per target group (default: this year)",
    )(get_reach)
    router.get(
        "/people/{person_id}/track",
        response=list[MonitoringTrackEventOut],
        summary="A person's digital track across the modules, oldest first",
    )(get_track)
    router.get("/surveys", response=list[MonitoringSurveyOut], summary="List the surveys")(
        list_surveys
    )
    router.get(
        "/surveys/{survey_id}/report",
        response=MonitoringSurveyReportOut,
        summary="Before/after change per question (fewer than 5 pairs: no means)",
    )(survey_report)
    router.post(
        "/surveys/{survey_id}/responses",
        response={200: MonitoringSurveyResponseOut, 201: MonitoringSurveyResponseOut},
        summary="Enter a filled-in survey (paper or tablet; send an Idempotency-Key)",
    )(create_response)
