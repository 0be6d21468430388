"""The public programme: a resident without a login finds a session, signs up with a name
and a phone number, gets a confirmation with a cancel link that works, and lands on the
waiting list when it is full."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from buurtkit.activities import services
from buurtkit.activities.models import Registration, Session
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.messaging.models import Message
from buurtkit.people.models import Person
from buurtkit.places import services as places_services

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
_n = itertools.count(1)


def _phone() -> str:
    """A mobile number no other test (or earlier run on the shared Redis) has used: the
    sign-up's rate limit counts per number for an hour."""
    digits = f"{uuid.uuid4().int % 10**6:06d}"
    return f"0470 {digits[:2]} {digits[2:4]} {digits[4:]}"


def _client() -> Client:
    """A visitor from an address of its own (the rate limit counts per address)."""
    n = uuid.uuid4().int
    return Client(REMOTE_ADDR=f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}")


@pytest.fixture
def frozen() -> Any:
    with clock.frozen(NOW):
        yield


def _session(system: Actor, capacity: int = 2, published: bool = True) -> Session:
    place = places_services.place_create(
        actor=system, name=f"Digipunt Bib {next(_n)}", kind="digipunt", street="Rabotstraat 1"
    )
    series = services.series_create(
        actor=system,
        kind="it_cafe",
        title={"nl": "IT-café: je smartphone", "fr": "Café numérique : ton smartphone"},
        published=published,
    )
    return services.session_add(
        actor=system,
        series_id=series.pk,
        place_id=place.pk,
        starts_at=NOW + timedelta(days=2, hours=5),
        ends_at=NOW + timedelta(days=2, hours=7),
        capacity=capacity,
    )


def _form(client: Client, url: str, **values: str) -> dict[str, str]:
    page = client.get(url).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key, "the form carries an idempotency key"
    data = {
        "first_name": "Maria",
        "last_name": "Claes",
        "phone": _phone(),
        "email": "",
        "language": "nl",
        "consent": "on",
        "idempotency_key": key.group(1),
    }
    data.update(values)
    return data


def test_the_programme_lists_published_sessions_in_the_readers_language(
    system: Actor, community: Community, frozen: Any
) -> None:
    _session(system)
    _session(system, published=False)
    client = _client()
    page = client.get(f"/{community.slug}/activities/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Café numérique" in page and "IT-café" not in page
    assert page.count('class="card"') == 1
    assert "2 places restantes" in page


def test_a_programme_card_says_when_where_what_and_how_full_in_brussels_time(
    system: Actor, community: Community, frozen: Any
) -> None:
    session = _session(system, capacity=1)  # 9 December, 14:00–16:00 UTC
    client = _client()
    url = f"/{community.slug}/activities/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    card = page[page.index('class="card"') : page.index("</li>", page.index('class="card"'))]
    assert f'href="/{community.slug}/activities/sessions/{session.pk}/"' in card
    assert "woensdag 9 december" in card and "15:00–17:00" in card  # winter time: UTC+1
    assert "Rabotstraat 1" in card and "IT-café" in card and "gratis" in card
    assert "1 plaats vrij" in card
    Session.objects.filter(pk=session.pk).update(seats_taken=1)
    type(session.series).objects.filter(pk=session.series_id).update(price_cents=250)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    card = page[page.index('class="card"') : page.index("</li>", page.index('class="card"'))]
    assert "volzet: wachtlijst" in card.lower()
    assert "€ 2,50" in card and "gratis" not in card


def test_signing_up_without_a_login_confirms_by_sms_with_a_working_cancel_link(
    system: Actor, community: Community, frozen: Any, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://buurt.example.be"
    session = _session(system)
    client = _client()
    url = f"/{community.slug}/activities/sessions/{session.pk}/"
    data = _form(client, url)
    page = client.post(url, data).content.decode()
    assert "ingeschreven" in page.lower()
    registration = Registration.objects.get()
    assert registration.state == "registered" and registration.channel == "web"
    person = Person.objects.get(pk=registration.person_id)
    assert person.first_name == "Maria" and person.phone.startswith("+32470")
    # The confirmation is in Dutch, by SMS, with the cancel link on the public address.
    message = Message.objects.get(person=person)
    assert message.channel == "sms"
    link = re.search(r"https://buurt\.example\.be(/\S+)", message.body)
    assert link, message.body
    # A second click on the same form signs up once.
    client.post(url, data)
    assert Registration.objects.count() == 1
    # The link works (GET asks, POST cancels), for whoever holds it.
    assert "annuleren" in _client().get(link.group(1)).content.decode().lower()
    _client().post(link.group(1))
    assert Registration.objects.get().state == "cancelled"
    session.refresh_from_db()
    assert session.seats_taken == 0
    # A wrong secret finds nothing.
    wrong = link.group(1).rsplit("/", 2)[0] + "/guess/"
    assert _client().get(wrong).status_code == 404


def test_a_bad_number_is_explained_and_what_was_typed_stays(
    system: Actor, community: Community, frozen: Any
) -> None:
    session = _session(system)
    client = _client()
    url = f"/{community.slug}/activities/sessions/{session.pk}/"
    with translation.override("nl"):
        page = client.post(url, _form(client, url, phone="12", first_name="Jozef")).content.decode()
    assert "geen geldig telefoonnummer" in page.lower()
    assert 'value="Jozef"' in page
    assert (
        not Registration.objects.exists() and not Person.objects.filter(first_name="Jozef").exists()
    )
    page = client.post(url, _form(client, url, consent="")).content.decode()
    assert "vink het vakje aan" in page.lower()
    assert not Registration.objects.exists()


def test_a_full_session_puts_people_on_the_waiting_list_with_their_place(
    system: Actor, community: Community, frozen: Any
) -> None:
    session = _session(system, capacity=1)
    client = _client()
    url = f"/{community.slug}/activities/sessions/{session.pk}/"
    client.post(url, _form(client, url, first_name="Eerste"))
    page = client.post(url, _form(client, url, first_name="Tweede")).content.decode()
    assert "wachtlijst" in page.lower() and "nummer 1" in page.lower()
    assert sorted(Registration.objects.values_list("state", flat=True)) == ["registered", "waiting"]


def test_someone_who_signed_up_before_is_not_registered_twice(
    system: Actor, community: Community, frozen: Any
) -> None:
    first, second = _session(system), _session(system)
    client = _client()
    phone = _phone()
    for session in (first, second):
        url = f"/{community.slug}/activities/sessions/{session.pk}/"
        client.post(url, _form(client, url, first_name="maria", phone=phone))
    assert Person.objects.filter(first_name__iexact="maria").count() == 1
    assert Registration.objects.count() == 2


def test_the_programme_of_a_community_without_activities_is_not_found(
    system: Actor, community: Community, frozen: Any
) -> None:
    session = _session(system)
    community.enabled_modules = [m for m in community.enabled_modules if m != "activities"]
    community.save()
    client = _client()
    assert client.get(f"/{community.slug}/activities/").status_code == 404
    assert client.get(f"/{community.slug}/activities/sessions/{session.pk}/").status_code == 404


def test_too_many_sign_ups_for_one_number_are_refused(
    system: Actor, community: Community, frozen: Any
) -> None:
    from buurtkit.activities.services.public import PER_CONTACT_PER_HOUR

    sessions = [_session(system, capacity=50) for _ in range(PER_CONTACT_PER_HOUR + 1)]
    client, phone = _client(), _phone()
    for session in sessions:
        url = f"/{community.slug}/activities/sessions/{session.pk}/"
        response = client.post(url, _form(client, url, phone=phone))
    assert Registration.objects.count() == PER_CONTACT_PER_HOUR
    assert response.status_code == 200 and "te veel" in response.content.decode().lower()


def _offer_link(person: Person) -> str:
    body = Message.objects.filter(person=person).latest("pk").body
    found = re.search(r"https?://\S+(/\S+/activities/offer/\d+/[^/\s]+/)", body)
    assert found, body
    return found.group(1)


def test_a_freed_seat_is_offered_by_sms_and_answered_by_link(
    system: Actor, community: Community, make_person: Any, frozen: Any, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://buurt.example.be"
    session = _session(system, capacity=1)
    holder, first, second = (
        make_person(system, phone=f"0470 00 00 1{i}", consents={"contact_sms": True})
        for i in range(3)
    )
    held = services.registration_create(actor=system, session_id=session.pk, person_id=holder.pk)
    for person in (first, second):
        services.registration_create(actor=system, session_id=session.pk, person_id=person.pk)
    services.registration_cancel(actor=system, registration_id=held[0][0].pk)
    # The first on the waiting list gets a message with a link on the public address.
    message = Message.objects.filter(person=first).latest("pk")
    assert message.channel == "sms" and "https://buurt.example.be/" in message.body
    link = _offer_link(first)
    page = _client().get(link).content.decode()
    assert "Ja, ik kom" in page
    # "No": the seat goes on to the next person, who gets their own message.
    _client().post(link, {"answer": "no"})
    assert Registration.objects.get(person=first).state == "cancelled"
    assert Registration.objects.get(person=second).state == "offered"
    second_link = _offer_link(second)
    # Someone else's secret does not answer this offer.
    forged = second_link.rsplit("/", 2)[0] + "/guess/"
    assert _client().post(forged, {"answer": "yes"}).status_code == 404
    _client().post(second_link, {"answer": "yes"})
    assert Registration.objects.get(person=second).state == "registered"
    # The first link now says the seat went to someone else.
    assert "iemand anders" in _client().get(link).content.decode()


def test_an_expired_offer_cannot_be_taken_by_its_link(
    system: Actor, community: Community, make_person: Any, frozen: Any
) -> None:
    session = _session(system, capacity=1)
    holder = make_person(system)
    waiting = make_person(system, phone="0470 00 00 21", consents={"contact_sms": True})
    held = services.registration_create(actor=system, session_id=session.pk, person_id=holder.pk)
    services.registration_create(actor=system, session_id=session.pk, person_id=waiting.pk)
    services.registration_cancel(actor=system, registration_id=held[0][0].pk)
    link = _offer_link(waiting)
    with clock.frozen(NOW + timedelta(hours=25)):
        response = _client().post(link, {"answer": "yes"})
    assert response.status_code == 409
    assert Registration.objects.get(person=waiting).state == "offered"  # until the sweep runs
    session.refresh_from_db()
    assert session.seats_taken == 1


#: What one public sign-up may ask the database, all in (the community, the session read once,
#: the person looked up and added with their consents and audit events, the session locked,
#: one look for the same person or idempotency key, the registration and the seat count, its
#: audit event, the confirmation message and its audit event, savepoints). A sign-up rush is
#: thousands of these a minute: a new query here is a cost every person pays.
SIGN_UP_QUERIES = 21
#: The form: the community and the session with its activity and place.
FORM_QUERIES = 2


def test_a_public_sign_up_asks_the_database_little(
    system: Actor, community: Community, frozen: Any, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://buurt.example.be"
    session = _session(system, capacity=1)
    url = f"/{community.slug}/activities/sessions/{session.pk}/"
    client = _client()
    with CaptureQueriesContext(connection) as form_queries:
        data = _form(client, url)
    with CaptureQueriesContext(connection) as sign_up:
        page = client.post(url, data)
    assert page.status_code == 200 and Registration.objects.filter(state="registered").count() == 1
    assert Message.objects.filter(body__contains="/activities/my/").count() == 1
    listed = "\n".join(q["sql"][:120] for q in sign_up.captured_queries)
    assert len(form_queries.captured_queries) <= FORM_QUERIES
    assert len(sign_up.captured_queries) <= SIGN_UP_QUERIES, listed
    # The next person finds the session full: the waiting list costs no more (plus their place).
    other = _client()
    with CaptureQueriesContext(connection) as waiting:
        other.post(url, _form(other, url, first_name="Jan"))
    assert Registration.objects.filter(state="waiting").count() == 1
    assert len(waiting.captured_queries) <= FORM_QUERIES + SIGN_UP_QUERIES + 1
    # A double click (the same form again) is answered from the first sign-up, writing nothing.
    with CaptureQueriesContext(connection) as again:
        assert client.post(url, data).status_code == 200
    assert Registration.objects.count() == 2 and Person.objects.count() == 2
    assert len(again.captured_queries) <= SIGN_UP_QUERIES
