"""Evaluations after a series (or a single session), and the before/after self-assessment.

Three ways in: staff type a paper form, the participant answers the link in a message sent
after the last session (``evaluations_ask``, once per registration, only by a channel they
agreed to), or the participant fills it in on the tablet at the last session. One answer per
registration and moment; an anonymous paper form has no registration.

For a digital-skills track (``Series.self_assessment``) the same six statements (one per
course category, scale 1–4) are asked before (from the "my sign-up" page) and afterwards
(with the evaluation); staff see counts and averages, never names.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from buurtkit.activities import rules
from buurtkit.activities.models import (
    Evaluation,
    EvaluationChannel,
    EvaluationMoment,
    Registration,
    Series,
    Session,
)
from buurtkit.activities.questions import STATEMENTS
from buurtkit.activities.services.checkin import by_link_code, link_code
from buurtkit.activities.services.registrations import DEFAULT_BASE_URL
from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, ValidationFailed
from buurtkit.core.idempotency import clean_key, fingerprint, run_once, same_fingerprint
from buurtkit.core.models import Community
from buurtkit.core.public_url import public_url
from buurtkit.core.scoping import get_scoped
from buurtkit.core.texts import translated
from buurtkit.messaging.services import notify

#: How long after the last session the evaluation link is still sent.
ASK_WITHIN = timedelta(days=3)
#: Who may answer (a sign-up that was cancelled or stayed on the waiting list may not).
_MAY_ANSWER = frozenset({rules.REGISTERED, rules.CONFIRMED, rules.ATTENDED, rules.NO_SHOW})


def _clean_answers(answers: dict[str, Any] | None) -> dict[str, int]:
    cleaned: dict[str, int] = {}
    for key, value in (answers or {}).items():
        if key not in STATEMENTS or not isinstance(value, int) or not 1 <= value <= 4:
            msg = _("Choose an answer from 1 to 4 for each statement.")
            raise ValidationFailed(msg, fields={f"answers.{key}": msg})
        cleaned[key] = value
    return cleaned


def _clean(
    series: Series,
    *,
    channel: str,
    moment: str,
    satisfaction: int | None,
    learned: str,
    suggestion: str,
    answers: dict[str, Any] | None,
) -> dict[str, Any]:
    if channel not in EvaluationChannel.values:
        msg = _("Say how the evaluation was given.")
        raise ValidationFailed(msg, fields={"channel": msg})
    if moment not in EvaluationMoment.values:
        msg = _("Say whether this is before or after the course.")
        raise ValidationFailed(msg, fields={"moment": msg})
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        msg = _("Choose one of the five faces.")
        raise ValidationFailed(msg, fields={"satisfaction": msg})
    cleaned = _clean_answers(answers)
    if cleaned and not series.self_assessment:
        msg = _("This activity has no self-assessment.")
        raise ValidationFailed(msg, fields={"answers": msg})
    learned, suggestion = learned.strip()[:500], suggestion.strip()[:500]
    if moment == EvaluationMoment.BEFORE:
        if not series.self_assessment:
            msg = _("This activity has no self-assessment.")
            raise ValidationFailed(msg, fields={"moment": msg})
        if len(cleaned) != len(STATEMENTS):
            msg = _("Choose an answer for each statement.")
            raise ValidationFailed(msg, fields={"answers": msg})
        satisfaction, learned, suggestion = None, "", ""
    elif satisfaction is None and not learned and not suggestion and not cleaned:
        msg = _("Choose a face, or write what you learned or a suggestion.")
        raise ValidationFailed(msg, fields={"satisfaction": msg})
    return {
        "satisfaction": satisfaction,
        "learned": learned,
        "suggestion": suggestion,
        "self_assessment": {"moment": moment, "answers": cleaned} if cleaned else {},
    }


def _create(
    *,
    actor: Actor,
    series: Series,
    channel: str,
    moment: str,
    registration: Registration | None,
    person_id: int | None,
    values: dict[str, Any],
    key: str,
    request_hash: str,
) -> Evaluation:
    if registration is not None:
        if registration.session.series_id != series.pk:
            msg = _("This sign-up is for another activity.")
            raise ValidationFailed(msg, fields={"registration_id": msg})
        if registration.state not in _MAY_ANSWER:
            raise Conflict(
                _("Only people who had a seat can give an evaluation."), code="not_participant"
            )
        person_id = registration.person_id
        if Evaluation.objects.filter(registration=registration, moment=moment).exists():
            raise Conflict(_("This was already answered. Thank you!"), code="already_answered")
        if (
            moment == EvaluationMoment.BEFORE
            and Evaluation.objects.filter(
                series=series, person_id=person_id, moment=EvaluationMoment.BEFORE
            ).exists()
        ):  # once per person and activity (a course: on any of its sessions' sign-ups)
            raise Conflict(_("This was already answered. Thank you!"), code="already_answered")
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                community=actor.community,
                series=series,
                person_id=person_id,
                registration=registration,
                channel=channel,
                moment=moment,
                created_at=clock.now(),
                idempotency_key=key,
                request_hash=request_hash,
                **values,
            )
    except IntegrityError as exc:  # two answers at the same moment: the first one counts
        raise Conflict(_("This was already answered. Thank you!"), code="already_answered") from exc
    audit_record(
        actor=actor,
        verb="activities.evaluated",
        obj=evaluation,
        data={"channel": channel, "moment": moment},
    )
    return evaluation


def evaluation_create(
    *,
    actor: Actor,
    series_id: int,
    channel: str = EvaluationChannel.PAPER,
    moment: str = EvaluationMoment.AFTER,
    registration_id: int | None = None,
    satisfaction: int | None = None,
    learned: str = "",
    suggestion: str = "",
    answers: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> Evaluation:
    """Staff enter a paper form, or hand the tablet over at the last session (``session``).
    Without ``registration_id`` the answer is anonymous."""
    actor.require("activities.attend")
    series = get_scoped(Series, actor.community, pk=series_id)
    values = _clean(
        series,
        channel=channel,
        moment=moment,
        satisfaction=satisfaction,
        learned=learned,
        suggestion=suggestion,
        answers=answers,
    )
    key = clean_key(idempotency_key, required=False)
    request_hash = fingerprint([series_id, channel, moment, registration_id, values])

    def create() -> Evaluation:
        registration = (
            get_scoped(Registration, actor.community, pk=registration_id)
            if registration_id
            else None
        )
        return _create(
            actor=actor,
            series=series,
            channel=channel,
            moment=moment,
            registration=registration,
            person_id=None,
            values=values,
            key=key,
            request_hash=request_hash,
        )

    with transaction.atomic():
        if not key:
            return create()
        return run_once(
            queryset=Evaluation.objects.in_community(actor.community),
            key=key,
            same=same_fingerprint(request_hash),
            create=create,
            conflict=_("This idempotency key was used for another evaluation."),
        )


@transaction.atomic
def evaluation_by_link(
    *,
    community: Community,
    registration_id: int,
    code: str,
    moment: str = EvaluationMoment.AFTER,
    satisfaction: int | None = None,
    learned: str = "",
    suggestion: str = "",
    answers: dict[str, Any] | None = None,
) -> Evaluation:
    """The participant answers by the link in the message (``evaluate``), or fills in the
    self-assessment before the course from their "my sign-up" page (``moment`` "before";
    ``code`` is then the secret of that page). One answer per registration and moment."""
    if moment == EvaluationMoment.BEFORE:
        from buurtkit.activities.selectors import registration_by_link

        registration = registration_by_link(
            community=community, registration_id=registration_id, token=code
        )
    else:
        registration = by_link_code(
            community=community, registration_id=registration_id, code=code, purpose="evaluate"
        )
    if registration is None:
        raise NotFound(_("This link is not valid (any more)."))
    Registration.objects.select_for_update().filter(pk=registration.pk).first()
    series = registration.session.series
    values = _clean(
        series,
        channel=EvaluationChannel.SMS,
        moment=moment,
        satisfaction=satisfaction,
        learned=learned,
        suggestion=suggestion,
        answers=answers,
    )
    return _create(
        actor=Actor.system(community, label="evaluation link"),
        series=series,
        channel=EvaluationChannel.SMS,
        moment=moment,
        registration=registration,
        person_id=None,
        values=values,
        key="",
        request_hash="",
    )


def evaluation_path(registration: Registration) -> str:
    code = link_code(registration, "evaluate")
    return f"/{registration.community.slug}/activities/evaluate/{registration.pk}/{code}/"


def _asks_after(session: Session) -> bool:
    """An evaluation is asked after a single session, or after the last one of a course."""
    if not session.series.whole_series:
        return True
    return not Session.objects.filter(
        series_id=session.series_id, cancelled_at__isnull=True, starts_at__gt=session.starts_at
    ).exists()


def evaluations_ask() -> int:
    """Send the evaluation link to everyone who came to a session that just ended (a single
    session, or the last of a course): once per registration, within ``ASK_WITHIN``, and
    only by SMS or e-mail they agreed to. Returns how many messages were queued."""
    now = clock.now()
    sessions = Session.objects.filter(
        cancelled_at__isnull=True, ends_at__lte=now, ends_at__gt=now - ASK_WITHIN
    ).select_related("series", "community")
    sent = 0
    for session in sessions:
        if not _asks_after(session):
            continue
        due = Registration.objects.filter(
            session=session, state=rules.ATTENDED, evaluation_asked_at__isnull=True
        ).values_list("pk", flat=True)
        for registration_id in list(due):
            sent += _ask(registration_id, now=now)
    return sent


def _ask(registration_id: int, *, now: datetime) -> int:
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update()
            .filter(pk=registration_id, evaluation_asked_at__isnull=True)
            .first()
        )
        if registration is None:
            return 0  # another worker asked already
        registration.evaluation_asked_at = now
        registration.save(update_fields=["evaluation_asked_at"])
        if not registration.cancel_token_hash:
            return 0  # anonymised
        community = registration.community
        session = registration.session
        try:
            with transaction.atomic():
                notify(
                    actor=Actor.system(community, label="evaluation"),
                    person_id=registration.person_id,
                    template="activities_evaluation",
                    context={
                        "title": translated(session.series.title, registration.language),
                        "url": public_url(fallback=DEFAULT_BASE_URL)
                        + evaluation_path(registration),
                    },
                    idempotency_key=f"activities-evaluate-{registration.pk}",
                    language=registration.language,
                )
        except ValidationFailed:
            return 0  # no channel they agreed to: staff ask on paper
        return 1
