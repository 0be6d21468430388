"""Surveys for impact (issue 15): before/after self-assessments defined once (questions in
each language on one scale), filled in on paper (typed in by staff), by a text-message link
(a secret page without a login, once, until it expires) or on a tablet, and reported as the
change per question over the pairs that answered both before and after.

A response is linked to a person, or anonymous with a pairing code written on the paper form;
the same person (or the same code) before and after is a pair. The newest answer of each
phase counts. Fewer than 5 pairs are shown as "< 5", never as a mean.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, ValidationFailed
from buurtkit.core.idempotency import clean_key, fingerprint, run_once, same_fingerprint
from buurtkit.core.models import Community
from buurtkit.core.public_url import public_url
from buurtkit.core.scoping import get_scoped, scoped
from buurtkit.core.texts import translated
from buurtkit.messaging.services import notify
from buurtkit.monitoring.models import (
    Survey,
    SurveyAnswer,
    SurveyChannel,
    SurveyLink,
    SurveyPhase,
    SurveyQuestion,
    SurveyResponse,
)
from buurtkit.people.models import Person

SMALL = 5
#: How long a link sent by text message works.
LINK_VALID = timedelta(days=14)
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- definitions -----------------------------------------------------------------------------


def surveys_list(*, actor: Actor) -> QuerySet[Survey]:
    _require_view_or_enter(actor)
    return scoped(Survey, actor.community).order_by("key")


def _require_view_or_enter(actor: Actor) -> None:
    if not actor.has("monitoring.surveys"):
        actor.require("monitoring.view")


def survey_get(*, actor: Actor, survey_id: int) -> Survey:
    _require_view_or_enter(actor)
    return get_scoped(Survey, actor.community, pk=survey_id)


@transaction.atomic
def survey_define(
    *,
    actor: Actor,
    key: str,
    title: dict[str, str],
    questions: list[tuple[str, dict[str, str]]],
    scale_min: int = 1,
    scale_max: int = 4,
    scale_labels: dict[str, dict[str, str]] | None = None,
    intro: dict[str, str] | None = None,
) -> Survey:
    """Define a survey once (the demo and a coordinator's script); the same key again is
    refused: a survey that has answers must not change under them."""
    actor.require("monitoring.manage")
    key = (key or "").strip()
    if not key or scoped(Survey, actor.community).filter(key=key).exists():
        msg = _("Choose a short name that no other survey has.")
        raise ValidationFailed(msg, fields={"key": msg})
    if not translated(title, "nl") or not questions:
        msg = _("A survey needs a title and at least one question.")
        raise ValidationFailed(msg, fields={"questions": msg})
    if not 0 <= scale_min < scale_max <= 10:
        msg = _("The scale runs from a lower to a higher number, at most 10.")
        raise ValidationFailed(msg, fields={"scale_max": msg})
    survey = Survey.objects.create(
        community=actor.community, key=key, title=title, intro=intro or {},
        scale_min=scale_min, scale_max=scale_max, scale_labels=scale_labels or {},
        created_at=clock.now(),
    )  # fmt: skip
    SurveyQuestion.objects.bulk_create(
        SurveyQuestion(community=actor.community, survey=survey, position=n, key=qkey, text=text)
        for n, (qkey, text) in enumerate(questions, start=1)
    )
    audit_record(actor=actor, verb="monitoring.survey_defined", obj=survey)
    return survey


@dataclass(frozen=True)
class QuestionText:
    question: SurveyQuestion
    text: str


def questions_of(survey: Survey, language: str | None = None) -> list[QuestionText]:
    language = language or get_language() or "nl"
    return [QuestionText(q, translated(q.text, language)) for q in survey.questions.all()]


def scale_of(survey: Survey, language: str | None = None) -> list[tuple[int, str]]:
    language = language or get_language() or "nl"
    return [
        (n, translated(survey.scale_labels.get(str(n), {}), language) or str(n))
        for n in range(survey.scale_min, survey.scale_max + 1)
    ]


# --- answers ---------------------------------------------------------------------------------


def _clean_answers(survey: Survey, answers: dict[str, Any]) -> dict[int, int]:
    """{question key: value} -> {question id: value}; every question answered on the scale."""
    cleaned: dict[int, int] = {}
    for q in survey.questions.all():
        value = answers.get(q.key)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if not isinstance(value, int) or not survey.scale_min <= value <= survey.scale_max:
            msg = _("Choose an answer from %(low)d to %(high)d.") % {
                "low": survey.scale_min,
                "high": survey.scale_max,
            }
            raise ValidationFailed(msg, fields={f"answers.{q.key}": msg})
        cleaned[q.pk] = value
    return cleaned


def _create(
    *,
    actor: Actor,
    survey: Survey,
    phase: str,
    person: Person | None,
    pairing_code: str,
    channel: str,
    values: dict[int, int],
    key: str = "",
    request_hash: str = "",
) -> SurveyResponse:
    response = SurveyResponse.objects.create(
        community=actor.community, survey=survey, phase=phase, person=person,
        pairing_code=pairing_code, channel=channel, answered_at=clock.now(),
        entered_by_label=actor.label[:150], idempotency_key=key, request_hash=request_hash,
    )  # fmt: skip
    SurveyAnswer.objects.bulk_create(
        SurveyAnswer(community=actor.community, response=response, question_id=qid, value=v)
        for qid, v in values.items()
    )
    audit_record(
        actor=actor,
        verb="monitoring.survey_answered",
        obj=survey,
        data={"response": response.pk, "phase": phase, "channel": channel},
    )
    return response


@transaction.atomic
def response_enter(
    *,
    actor: Actor,
    survey_id: int,
    phase: str,
    answers: dict[str, Any],
    channel: str = SurveyChannel.PAPER,
    person_id: int | None = None,
    pairing_code: str = "",
    idempotency_key: str = "",
) -> SurveyResponse:
    """Staff type in a paper form, or a resident fills it in on the tablet (``kiosk``).
    Linked to a person, or anonymous with the pairing code written on the form."""
    actor.require("monitoring.surveys")
    survey = get_scoped(Survey, actor.community, pk=survey_id, active=True)
    if phase not in SurveyPhase.values:
        msg = _("Say whether this is before or after.")
        raise ValidationFailed(msg, fields={"phase": msg})
    if channel not in (SurveyChannel.PAPER, SurveyChannel.KIOSK):
        msg = _("Say how the survey was filled in.")
        raise ValidationFailed(msg, fields={"channel": msg})
    code = "".join((pairing_code or "").split()).upper()
    if len(code) > 20:
        msg = _("A pairing code has at most 20 characters.")
        raise ValidationFailed(msg, fields={"pairing_code": msg})
    person = get_scoped(Person, actor.community, pk=person_id) if person_id else None
    if person is None and not code:
        msg = _("Choose the person, or write the pairing code of the form.")
        raise ValidationFailed(msg, fields={"pairing_code": msg})
    values = _clean_answers(survey, answers)
    key = clean_key(idempotency_key, required=False)
    request_hash = fingerprint([survey.pk, phase, person_id, code, channel, sorted(values.items())])

    def create() -> SurveyResponse:
        return _create(
            actor=actor, survey=survey, phase=phase, person=person, pairing_code=code,
            channel=channel, values=values, key=key, request_hash=request_hash,
        )  # fmt: skip

    if not key:
        return create()
    return run_once(
        queryset=SurveyResponse.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(request_hash),
        create=create,
        conflict=_("This idempotency key was already used for other answers."),
    )


@transaction.atomic
def link_send(
    *, actor: Actor, survey_id: int, person_id: int, phase: str, idempotency_key: str
) -> SurveyLink:
    """Send the survey to a person by text message: a link that works once, for 14 days."""
    actor.require("monitoring.surveys")
    survey = get_scoped(Survey, actor.community, pk=survey_id, active=True)
    person = get_scoped(Person, actor.community, pk=person_id)
    if phase not in SurveyPhase.values:
        msg = _("Say whether this is before or after.")
        raise ValidationFailed(msg, fields={"phase": msg})
    key = clean_key(idempotency_key)
    token = secrets.token_urlsafe(24)
    now = clock.now()
    link = SurveyLink.objects.create(
        community=actor.community, survey=survey, phase=phase, person=person,
        token_hash=token_hash(token), created_at=now, expires_at=now + LINK_VALID,
    )  # fmt: skip
    url = public_url(fallback=DEFAULT_BASE_URL) + link_path(actor.community, token)
    notify(
        actor=Actor.system(actor.community, label=actor.label),
        person_id=person.pk,
        template="monitoring_survey",
        context={"title": translated(survey.title, person.preferred_language), "url": url},
        channel="sms",
        idempotency_key=f"monitoring-survey-{key}"[:100],
    )
    audit_record(actor=actor, verb="monitoring.survey_sent", obj=survey, data={"person": person.pk})
    link.token = token  # type: ignore[attr-defined]  # shown once (tests, the staff page)
    return link


def link_path(community: Community, token: str) -> str:
    return f"/{community.slug}/monitoring/s/{token}/"


def link_get(*, community: Community, token: str) -> SurveyLink:
    """The open link for ``token``; used, expired or unknown is not found."""
    link = (
        scoped(SurveyLink, community)
        .select_related("survey")
        .filter(token_hash=token_hash(token or ""))
        .first()
    )
    if link is None or link.used_at is not None or link.expires_at <= clock.now():
        raise NotFound(_("This link is not valid (any more)."))
    return link


@transaction.atomic
def response_by_link(
    *, community: Community, token: str, answers: dict[str, Any]
) -> SurveyResponse:
    """The person answers by the link in the text message: once, before it expires."""
    found = link_get(community=community, token=token)
    link = SurveyLink.objects.select_for_update().get(pk=found.pk)
    if link.used_at is not None:
        raise NotFound(_("This link is not valid (any more)."))
    values = _clean_answers(link.survey, answers)
    response = _create(
        actor=Actor.system(community, label="survey link"),
        survey=link.survey,
        phase=link.phase,
        person=link.person,
        pairing_code="",
        channel=SurveyChannel.SMS,
        values=values,
    )
    link.used_at = clock.now()
    link.response = response
    link.save(update_fields=["used_at", "response"])
    return response


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionChange:
    key: str
    text: str
    pairs: int
    mean_before: float | None  # None when fewer than 5 pairs
    mean_after: float | None

    @property
    def suppressed(self) -> bool:
        return self.pairs < SMALL

    @property
    def pairs_shown(self) -> str:
        return f"< {SMALL}" if 0 < self.pairs < SMALL else str(self.pairs)

    @property
    def change(self) -> float | None:
        if self.mean_before is None or self.mean_after is None:
            return None
        return round(self.mean_after - self.mean_before, 2)


@dataclass(frozen=True)
class SurveyReport:
    survey: Survey
    responses_before: int
    responses_after: int
    pairs: int
    questions: list[QuestionChange]

    @property
    def pairs_shown(self) -> str:
        return f"< {SMALL}" if 0 < self.pairs < SMALL else str(self.pairs)


def _pair_key(person_id: int | None, code: str) -> str:
    return f"p{person_id}" if person_id else f"c{code}"


def survey_report(*, actor: Actor, survey_id: int, language: str | None = None) -> SurveyReport:
    """The change per question: mean before and after over the pairs (the same person or
    pairing code before and after; the newest answer of each phase); fewer than 5: "< 5"."""
    actor.require("monitoring.view")
    survey = get_scoped(Survey, actor.community, pk=survey_id)
    latest: dict[tuple[str, str], int] = {}  # (pair key, phase) -> newest response id
    counts: dict[str, int] = {SurveyPhase.BEFORE: 0, SurveyPhase.AFTER: 0}
    rows = (
        scoped(SurveyResponse, actor.community)
        .filter(survey=survey)
        .order_by("answered_at", "pk")
        .values_list("pk", "phase", "person_id", "pairing_code")
    )
    for pk, phase, person_id, code in rows.iterator(chunk_size=5000):
        counts[phase] = counts.get(phase, 0) + 1
        latest[(_pair_key(person_id, code), phase)] = pk
    pairs = {
        who: (latest[(who, SurveyPhase.BEFORE)], latest[(who, SurveyPhase.AFTER)])
        for (who, phase) in latest
        if phase == SurveyPhase.BEFORE and (who, SurveyPhase.AFTER) in latest
    }
    before_ids = {b for b, _a in pairs.values()}
    after_ids = {a for _b, a in pairs.values()}
    sums: dict[int, list[int]] = {}  # question id -> [sum before, sum after, n before, n after]
    answers = scoped(SurveyAnswer, actor.community).filter(
        response_id__in=[*before_ids, *after_ids]
    )
    for response_id, question_id, value in answers.values_list(
        "response_id", "question_id", "value"
    ).iterator(chunk_size=5000):
        acc = sums.setdefault(question_id, [0, 0, 0, 0])
        if response_id in before_ids:
            acc[0] += value
            acc[2] += 1
        if response_id in after_ids:
            acc[1] += value
            acc[3] += 1
    n = len(pairs)
    questions = []
    for qt in questions_of(survey, language):
        acc = sums.get(qt.question.pk, [0, 0, 0, 0])
        shown = n >= SMALL and acc[2] and acc[3]
        questions.append(
            QuestionChange(
                key=qt.question.key,
                text=qt.text,
                pairs=n,
                mean_before=round(acc[0] / acc[2], 2) if shown else None,
                mean_after=round(acc[1] / acc[3], 2) if shown else None,
            )
        )
    return SurveyReport(survey, counts[SurveyPhase.BEFORE], counts[SurveyPhase.AFTER], n, questions)
