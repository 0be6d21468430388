"""The satisfaction survey: one question after a ticket is closed, asked once
(docs/helpdesk.md, "Satisfaction survey").

- By **SMS link** when the ticket's person has a mobile number and agreed to text messages:
  a tokenised public page (no login, works on a cheap phone), one answer, expires after
  :data:`SURVEY_DAYS` days. Only the token's SHA-256 is stored.
- By a short **outbound call** asking for a keypress (telephony's flow ``helpdesk.survey``)
  for a phone ticket of a person without a mobile number who may be phoned.
- Otherwise (no consent, contact details only, no number) nobody is asked.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, ServiceError, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.public_url import public_url
from buurtkit.helpdesk.models import Channel, Survey, SurveyWay, Ticket
from buurtkit.messaging.services import notify
from buurtkit.people.models import Person
from buurtkit.people.selectors import current_consents

#: How long the link (or the call's answer) is accepted.
SURVEY_DAYS = 14
CALL_PURPOSE = "helpdesk.survey"
SCORES = (1, 2, 3, 4, 5)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_link(community: Community, token: str) -> str:
    path = reverse("web:helpdesk_survey", kwargs={"slug": community.slug, "survey_token": token})
    return public_url(fallback="http://localhost:8000") + path


def _days() -> int:
    return int(getattr(settings, "HELPDESK_SURVEY_DAYS", SURVEY_DAYS))


def survey_start(*, ticket: Ticket) -> Survey | None:
    """Ask the closed ticket's resident the one question, once (inside the closing
    transaction; the SMS or the call leaves after commit). None when nobody can be asked."""
    if ticket.anonymised_at is not None or ticket.person_id is None:
        return None
    existing = Survey.objects.filter(ticket=ticket).first()
    if existing is not None:
        return existing
    person = Person.objects.filter(pk=ticket.person_id, anonymised_at__isnull=True).first()
    if person is None:
        return None
    consents = current_consents(person=person)
    mobile = bool(person.phone) and person.phone_kind == "mobile"
    now = clock.now()
    system = Actor.system(ticket.community, label="helpdesk survey")
    if mobile and consents.get("contact_sms", False):
        token = secrets.token_urlsafe(16)
        with transaction.atomic():
            survey = Survey.objects.create(
                community_id=ticket.community_id,
                ticket=ticket,
                way=SurveyWay.SMS,
                token_hash=token_hash(token),
                created_at=now,
                expires_at=now + timedelta(days=_days()),
            )
            survey.outbound = notify(
                actor=system,
                person_id=person.pk,
                template="helpdesk_survey",
                context={
                    "reference": ticket.reference,
                    "link": survey_link(ticket.community, token),
                },
                channel="sms",
                idempotency_key=f"helpdesk-survey-{ticket.pk}",
                language=ticket.language,
                person=person,
            )
            survey.save(update_fields=["outbound"])
        return survey
    if (
        ticket.channel == Channel.PHONE
        and person.phone
        and not mobile
        and consents.get("contact_phone", False)
    ):
        from buurtkit.telephony.services import call_create

        try:
            with transaction.atomic():
                survey = Survey.objects.create(
                    community_id=ticket.community_id,
                    ticket=ticket,
                    way=SurveyWay.CALL,
                    created_at=now,
                    expires_at=now + timedelta(days=_days()),
                )
                survey.call = call_create(
                    actor=system,
                    to_number=person.phone,
                    purpose=CALL_PURPOSE,
                    subject_type="helpdesk.survey",
                    subject_id=survey.pk,
                    language=ticket.language,
                )
                survey.save(update_fields=["call"])
        except (ServiceError, RuntimeError):
            return None  # no public address for the webhooks, a bad number: nobody is asked
        return survey
    return None


def _record(survey: Survey, score: int, by: str) -> Survey:
    if score not in SCORES:
        msg = _("Choose a number from 1 to 5.")
        raise ValidationFailed(msg, fields={"score": msg})
    if survey.answered_at is not None:
        msg = _("Thank you: this question was already answered.")
        raise ValidationFailed(msg, fields={"score": msg}, code="already_answered")
    now = clock.now()
    if now >= survey.expires_at:
        msg = _("This question has expired. Thank you all the same.")
        raise ValidationFailed(msg, fields={"score": msg}, code="expired")
    survey.score, survey.answered_at, survey.answered_by = score, now, by
    survey.save(update_fields=["score", "answered_at", "answered_by"])
    audit_record(
        actor=Actor.system(survey.community, label="helpdesk survey"),
        verb="helpdesk.survey_answered",
        obj=survey,
        data={"ticket": survey.ticket_id, "score": score, "by": by},
    )
    return survey


def survey_by_token(*, community: Community, token: str) -> Survey:
    """The survey of a link (scoped to the community of the page); unknown: not found."""
    token = (token or "")[:64]
    survey = (
        Survey.objects.in_community(community)
        .select_related("ticket", "community")
        .filter(token_hash=token_hash(token), way=SurveyWay.SMS)
        .first()
        if token
        else None
    )
    if survey is None:
        raise NotFound(_("This link is not valid."))
    return survey


@transaction.atomic
def survey_answer(*, community: Community, token: str, score: int) -> Survey:
    """The resident's answer through the link: once, before it expires."""
    found = survey_by_token(community=community, token=token)
    survey = Survey.objects.select_for_update().select_related("community").get(pk=found.pk)
    return _record(survey, score, "link")


@transaction.atomic
def survey_keypress(*, survey_id: int, digits: str) -> Survey | None:
    """A key pressed in the survey call (telephony's flow): 1–5 is the answer; anything
    else, an answer already there or an expired survey records nothing (None)."""
    survey = (
        Survey.objects.select_for_update()
        .select_related("community")
        .filter(pk=survey_id, way=SurveyWay.CALL)
        .first()
    )
    if survey is None or not digits.isdigit() or int(digits) not in SCORES:
        return None
    try:
        return _record(survey, int(digits), "keypress")
    except ValidationFailed:
        return None
