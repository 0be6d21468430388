"""The satisfaction survey after closing: one question, once, by an SMS link (a tokenised
public page: one answer, expiry, wrong token) or by a keypress in a short outbound call through
telephony's webhooks (the simulator's signing); consent respected; averages per channel and
category (docs/helpdesk.md, "Satisfaction survey")."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.helpdesk import selectors, services
from buurtkit.helpdesk.models import Category, Survey, Ticket
from buurtkit.messaging.models import Message
from buurtkit.people import services as people_services
from buurtkit.people.models import Person
from buurtkit.telephony.models import Call
from buurtkit.telephony.simulator import sign, simulator_token

pytestmark = pytest.mark.django_db


def _person(system: Actor, **values: Any) -> Person:
    values.setdefault("first_name", "Rita")
    values.setdefault("last_name", "Claes")
    return people_services.person_create(actor=system, **values)


def _closed(system: Actor, person: Person, channel: str = "counter", **values: Any) -> Ticket:
    ticket = services.ticket_create(
        actor=system, channel=channel, subject="itsme", body="help", person_id=person.pk, **values
    )
    for status in ("resolved", "closed"):
        services.ticket_transition(actor=system, ticket_id=ticket.pk, status=status)
    return ticket


def _link_of(message: Message) -> str:
    found = re.search(r"https?://\S+/helpdesk/survey/(\S+?)/", message.body)
    assert found, message.body
    return found.group(0).split("://", 1)[1].split("/", 1)[1]


# @pytest.mark.engine_independent: pages, tokens and a count; nothing engine-specific.
@pytest.mark.engine_independent
def test_closing_sends_the_question_once_by_sms_and_the_link_takes_one_answer(
    community: Community, other_community: Community, system: Actor
) -> None:
    person = _person(
        system, phone="0470 12 34 56", consents={"contact_sms": True}, preferred_language="en"
    )
    ticket = _closed(system, person)
    survey = Survey.objects.get(ticket=ticket)
    assert survey.way == "sms" and survey.score is None
    message = Message.objects.get(pk=survey.outbound_id)
    assert message.channel == "sms" and message.to == "+32470123456"
    assert ticket.reference in message.body
    path = "/" + _link_of(message)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    assert token not in survey.token_hash  # only the hash is stored
    # No login needed; a cheap phone gets five big buttons.
    page = Client().get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.content.decode().count('name="score"') == 5
    # A wrong token, or the right one under another community: not found.
    assert Client().get(path.replace(token, token[:-2] + "xx")).status_code == 404
    assert Client().get(path.replace("/rabot/", "/heuvelwijk/")).status_code == 404
    assert Client().post(path, {"score": "9"}).status_code == 422
    answer = Client().post(path, {"score": "4"})
    assert answer.status_code == 302
    survey.refresh_from_db()
    assert survey.score == 4 and survey.answered_by == "link" and survey.answered_at
    again = Client().post(path, {"score": "1"})
    assert again.status_code == 422
    survey.refresh_from_db()
    assert survey.score == 4
    assert (
        "Thank you for your answer"
        in Client().get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    # Closed once: never asked twice for the same ticket.
    assert services.survey_start(ticket=ticket) == survey
    assert Survey.objects.count() == 1 and Message.objects.filter(to=message.to).count() == 1


@pytest.mark.engine_independent  # a frozen clock and a comparison; nothing engine-specific
def test_the_link_expires(system: Actor) -> None:
    person = _person(system, phone="0470 12 34 57", consents={"contact_sms": True})
    now = clock.now()
    with clock.frozen(now):
        ticket = _closed(system, person)
    survey = Survey.objects.get(ticket=ticket)
    path = "/" + _link_of(Message.objects.get(pk=survey.outbound_id))
    with clock.frozen(now + timedelta(days=14, seconds=1)):
        page = Client().get(path, HTTP_ACCEPT_LANGUAGE="en")
        assert "expired" in page.content.decode()
        assert Client().post(path, {"score": "5"}).status_code == 422
    survey.refresh_from_db()
    assert survey.score is None


@pytest.mark.engine_independent  # consent rules; nothing engine-specific
def test_nobody_is_asked_without_consent_or_a_person(system: Actor) -> None:
    no_consent = _person(system, phone="0470 12 34 58")
    _closed(system, no_consent)
    contact_only = services.ticket_create(
        actor=system,
        channel="phone",
        subject="x",
        contact=services.Contact(name="Jan", phone="0470 99 88 77"),
    )
    services.ticket_transition(actor=system, ticket_id=contact_only.pk, status="closed")
    assert not Survey.objects.exists() and not Message.objects.exists()


def test_a_phone_ticket_without_a_mobile_is_asked_by_a_keypress_call(
    settings: Any, community: Community, system: Actor
) -> None:
    settings.TELEPHONY_PROVIDER = "simulator"
    settings.PUBLIC_URL = ""
    person = _person(
        system, phone="09 234 56 78", consents={"contact_phone": True}, preferred_language="en"
    )
    ticket = _closed(system, person, channel="phone")
    survey = Survey.objects.get(ticket=ticket)
    assert survey.way == "call"
    call = Call.objects.get(pk=survey.call_id)
    assert call.purpose == "helpdesk.survey" and call.to_number == "+3292345678"
    # The provider rings and calls our webhooks (signed as Twilio signs them).
    call.provider_sid = "CA" + "b" * 32
    call.save(update_fields=["provider_sid"])
    token = simulator_token()

    def voice(step: str, seq: int, **extra: str) -> Any:
        path = f"/telephony/voice/{call.pk}/{step}?seq={seq}"
        params = {"CallSid": call.provider_sid, "CallStatus": "in-progress", **extra}
        return Client().post(
            path,
            params,
            HTTP_X_TWILIO_SIGNATURE=sign("http://testserver" + path, params, token),
        )

    start = voice("start", 0)
    assert start.status_code == 200
    assert b"Press a key from 1 to 5" in start.content and b"<Gather" in start.content
    assert voice("pressed", 1, Digits="5").status_code == 200
    survey.refresh_from_db()
    assert survey.score == 5 and survey.answered_by == "keypress"
    # A key outside 1–5, or a second answer: nothing more is recorded.
    assert services.survey_keypress(survey_id=survey.pk, digits="2") is None
    survey.refresh_from_db()
    assert survey.score == 5


@pytest.mark.engine_independent  # an average over a few rows; nothing engine-specific
def test_averages_per_channel_and_category_on_the_satisfaction_page(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    services.categories_ensure_defaults(actor=system)
    category = Category.objects.get(community=community, key="itsme-eid")
    for n, (channel, score) in enumerate((("counter", 5), ("counter", 2), ("email", 4))):
        person = _person(system, phone=f"0470 00 00 0{n}", consents={"contact_sms": True})
        ticket = _closed(system, person, channel=channel, category_id=category.pk)
        Survey.objects.filter(ticket=ticket).update(score=score, answered_at=clock.now())
    _closed(system, _person(system, phone="0470 00 00 09", consents={"contact_sms": True}))
    rows = {r.key: r for r in selectors.survey_results(actor=system, by="channel")}
    assert (rows["counter"].asked, rows["counter"].answered, rows["counter"].average) == (3, 2, 3.5)
    assert rows["email"].average == 4.0
    by_category = {r.key: r for r in selectors.survey_results(actor=system, by="category")}
    assert by_category[str(category.pk)].average == pytest.approx(3.67, abs=0.01)
    for role, expected in (
        ("coordinator", 200),
        ("staff", 200),
        ("auditor", 200),
        ("volunteer", 403),
        ("resident", 403),
    ):
        page = login_client(community, role).get(
            "/rabot/helpdesk/satisfaction/", HTTP_ACCEPT_LANGUAGE="en"
        )
        assert page.status_code == expected, role
        if expected == 200:
            assert "3.5" in page.content.decode()
