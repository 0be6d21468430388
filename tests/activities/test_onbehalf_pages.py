"""Signing someone up on their behalf (phone, desk) and partner referrals: the pages keep what
was typed on an error, offer the existing person instead of a duplicate, say "waiting list"
when full, print a slip, cancel for someone; a partner sees only their own referrals."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from buurtkit.activities import services
from buurtkit.activities.models import Registration, Session
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.messaging.models import Message
from buurtkit.people import services as people_services
from buurtkit.people.models import Consent, Person
from buurtkit.places import services as places_services

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
_n = itertools.count(1)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with clock.frozen(NOW):
        yield


def _session(system: Actor, capacity: int = 2) -> Session:
    place = places_services.place_create(
        actor=system, name=f"Digipunt OB{next(_n)}", kind="digipunt", street="Kerkstraat 3"
    )
    series = services.series_create(
        actor=system, kind="it_cafe", title={"nl": "IT-café Rabot"}, published=True
    )
    return services.session_add(
        actor=system, series_id=series.pk, place_id=place.pk,
        starts_at=NOW + timedelta(days=2), ends_at=NOW + timedelta(days=2, hours=2),
        capacity=capacity,
    )  # fmt: skip


def _form(**values: Any) -> dict[str, Any]:
    data = {
        "channel": "phone", "first_name": "", "last_name": "", "phone": "", "email": "",
        "language": "nl", "confirm": "slip", "consent": "on", "idempotency_key": uuid.uuid4().hex,
    }  # fmt: skip
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def _url(community: Community, session: Session) -> str:
    return f"/{community.slug}/activities/manage/sessions/{session.pk}/sign-up/"


def test_a_volunteer_adds_a_caller_and_signs_them_up_with_a_printed_slip(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    session = _session(system)
    client = login_client(community, "volunteer")
    page = client.get(_url(community, session)).content.decode()
    assert "Iemand inschrijven" in page and 'name="consent"' in page
    response = client.post(
        _url(community, session),
        _form(first_name="Gilberte", last_name="Maes", phone="09 233 44 55", channel="desk"),
    )
    assert response.status_code == 302
    registration = Registration.objects.get(person__first_name="Gilberte")
    assert (registration.channel, registration.state) == ("desk", "registered")
    consent = Consent.objects.get(person=registration.person, kind="data_processing")
    assert consent.granted
    assert not Message.objects.filter(person=registration.person).exists()  # slip: no message
    slip = client.get(
        f"/{community.slug}/activities/manage/registrations/{registration.pk}/slip/"
    ).content.decode()
    assert "Gilberte Maes" in slip and "Kerkstraat 3" in slip and "Digipunt OB" in slip
    assert "@page" not in slip and "activities/slip.css" in slip  # no inline style (CSP)


def test_errors_keep_what_was_typed_and_write_nothing(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    session = _session(system)
    client = login_client(community, "counter_clerk")
    before = (Person.objects.count(), Registration.objects.count())
    # Not a phone number.
    page = client.post(
        _url(community, session), _form(first_name="Jozef", last_name="Smet", phone="abc123")
    ).content.decode()
    assert response_error(page) and 'value="Jozef"' in page and 'value="abc123"' in page
    # No consent said aloud.
    page = client.post(
        _url(community, session),
        _form(first_name="Jozef", last_name="Smet", phone="0470 55 66 77", consent=None),
    ).content.decode()
    assert "zeg ja" in page.lower() or "ja zegt" in page.lower()
    assert 'value="0470 55 66 77"' in page
    # A message asked for someone with only a landline.
    page = client.post(
        _url(community, session),
        _form(first_name="Jozef", phone="09 266 10 10", confirm="message"),
    ).content.decode()
    assert "briefje" in page and 'value="09 266 10 10"' in page
    assert (Person.objects.count(), Registration.objects.count()) == before


def response_error(page: str) -> bool:
    return 'class="error"' in page or "flash error" in page


def test_the_same_name_and_number_offers_the_existing_person(
    community: Community,
    system: Actor,
    make_person: Callable[..., Person],
    login_client: Callable[..., Client],
) -> None:
    session = _session(system)
    known = make_person(system, first_name="Rita", last_name="Wouters", phone="0470 12 12 99")
    client = login_client(community, "staff")
    count = Person.objects.count()
    page = client.post(
        _url(community, session),
        _form(first_name="rita", last_name="WOUTERS", phone="+32 470 12 12 99"),
    ).content.decode()
    assert f"?person={known.pk}" in page and "Rita Wouters" in page
    assert Person.objects.count() == count and not Registration.objects.exists()
    # Found by name, chosen, signed up (by phone, confirmed by SMS).
    found = client.get(_url(community, session), {"q": "wouters"}).content.decode()
    assert f"?person={known.pk}" in found
    response = client.post(_url(community, session), _form(person=str(known.pk), confirm="message"))
    assert response.status_code == 302
    registration = Registration.objects.get(person=known)
    assert registration.channel == "phone"
    assert Message.objects.filter(person=known, channel="sms").exists()


def test_a_full_session_says_waiting_list_and_staff_cancel_for_someone(
    community: Community,
    system: Actor,
    make_person: Callable[..., Person],
    login_client: Callable[..., Client],
) -> None:
    session = _session(system, capacity=1)
    first = make_person(system, first_name="Eerste", phone="0470 00 00 01")
    (seated,), _t = services.registration_create(
        actor=system, session_id=session.pk, person_id=first.pk
    )
    client = login_client(community, "volunteer")
    page = client.get(_url(community, session)).content.decode()
    assert "wachtlijst" in page.lower()
    key = uuid.uuid4().hex
    form = _form(first_name="Tweede", last_name="Wachter", phone="0470 00 00 02",
                 idempotency_key=key)  # fmt: skip
    response = client.post(_url(community, session), form)
    again = client.post(_url(community, session), form)  # a double click
    assert again.status_code == 302 and again["Location"] == response["Location"]
    waiting = Registration.objects.get(person__first_name="Tweede")
    assert waiting.state == "waiting"
    assert "Nummer 1 op de wachtlijst" in client.get(response["Location"]).content.decode()
    cancel = f"/{community.slug}/activities/manage/registrations/{seated.pk}/cancel/"
    client.post(cancel)
    seated.refresh_from_db()
    waiting.refresh_from_db()
    assert seated.state == "cancelled" and waiting.state == "offered"


@pytest.fixture
def partner_client(community: Community, system: Actor) -> Callable[[str], Client]:
    def make(name: str) -> Client:
        org = people_services.organisation_create(
            actor=system, name=name, slug=f"org-{next(_n)}", kind="association"
        )
        username = f"ref-{next(_n)}"
        user = get_user_model().objects.create_user(username=username, password="x-long-pass-1")
        people_services.membership_grant(
            actor=system, username=username, roles=["referrer"], organisation_id=org.pk
        )
        client = Client()
        client.force_login(user)
        client.org = org  # type: ignore[attr-defined]
        return client

    return make


def test_a_partner_refers_someone_and_sees_only_their_own_referrals(
    community: Community,
    system: Actor,
    partner_client: Callable[[str], Client],
    login_client: Callable[..., Client],
) -> None:
    session = _session(system)
    caw, ocmw = partner_client("CAW Oost"), partner_client("OCMW Wijkpost")
    url = f"/{community.slug}/activities/referrals/"
    for client, name in ((caw, "Fatima"), (ocmw, "Luc")):
        response = client.post(url, {
            "session": session.pk, "organisation": client.org.pk,  # type: ignore[attr-defined]
            "first_name": name, "last_name": "Janssens", "phone": "0470 98 76 5" + str(len(name)),
            "language": "nl", "confirm": "message", "consent": "on",
            "idempotency_key": uuid.uuid4().hex,
        })  # fmt: skip
        assert response.status_code == 302, response.content.decode()[:500]
    fatima = Registration.objects.get(person__first_name="Fatima")
    assert (fatima.channel, fatima.referred_by_id) == ("partner", caw.org.pk)  # type: ignore[attr-defined]
    page = caw.get(url).content.decode()
    assert "Fatima Janssens" in page and "Luc" not in page
    # Another organisation's referral, or the session's list: not for a partner.
    luc = Registration.objects.get(person__first_name="Luc")
    assert (
        caw.get(f"/{community.slug}/activities/manage/registrations/{luc.pk}/").status_code == 404
    )
    assert caw.get(f"/{community.slug}/activities/manage/sessions/{session.pk}/").status_code == 403
    assert caw.get(_url(community, session)).status_code == 403
    # Staff see every partner's referral, with the organisation, on the session's page.
    staff = login_client(community, "staff")
    assert "Luc Janssens" in staff.get(url).content.decode()
    listing = staff.get(f"/{community.slug}/activities/manage/sessions/{session.pk}/")
    assert "CAW Oost" in listing.content.decode()


def test_a_partner_cannot_refer_for_another_organisation(
    community: Community, system: Actor, partner_client: Callable[[str], Client]
) -> None:
    session = _session(system)
    caw, ocmw = partner_client("CAW Noord"), partner_client("OCMW Zuid")
    page = caw.post(f"/{community.slug}/activities/referrals/", {
        "session": session.pk, "organisation": ocmw.org.pk,  # type: ignore[attr-defined]
        "first_name": "Piet", "phone": "0470 44 44 44", "language": "nl", "confirm": "message",
        "consent": "on",
    })  # fmt: skip
    assert page.status_code == 200 and 'value="Piet"' in page.content.decode()
    assert not Registration.objects.exists()


def test_the_referral_form_writes_session_dates_wholly_in_the_readers_language(
    community: Community, system: Actor, partner_client: Callable[[str], Client]
) -> None:
    """The sessions to choose from read "woensdag 9 december 10:00" in Dutch and "mercredi 9
    décembre 10:00" in French — never a mix such as "wo 9 Dec" (an abbreviated day and an
    English-looking month)."""
    _session(system)  # Wednesday 9 December, 10:00 in Brussels
    caw = partner_client("CAW Datum")
    url = f"/{community.slug}/activities/referrals/"
    with translation.override("nl"):
        dutch = caw.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    with translation.override("fr"):
        french = caw.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "woensdag 9 december 10:00 · IT-café Rabot" in dutch
    assert "mercredi 9 décembre 10:00 · IT-café Rabot" in french
    for page in (dutch, french):
        assert "Dec " not in page and "Wed" not in page


def test_a_sign_up_for_someone_sends_them_the_same_my_sign_up_message_as_the_web(
    community: Community,
    system: Actor,
    make_person: Callable[..., Person],
    login_client: Callable[..., Client],
    api: Any,
    settings: Any,
) -> None:
    """Staff on the phone (the page) or any client of the API sign someone up: the person gets
    the confirmation a web sign-up gets, by their own channel (SMS to a mobile, else e-mail),
    with the cancel link and the "my sign-up" page (the QR code for the door); in their
    language; a retry sends nothing twice; without a mobile or e-mail address, no message."""
    settings.PUBLIC_URL = "https://buurt.example.be"
    session = _session(system, capacity=5)
    by_sms = make_person(system, first_name="Sofie", phone="0470 31 31 31")
    by_mail = make_person(
        system, first_name="Jean", email="jean@example.org", preferred_language="fr",
        consents={"data_processing": True, "contact_email": True},
    )  # fmt: skip
    landline = make_person(system, first_name="Odette", phone="09 222 33 44")
    client = api(community, ["staff"])
    url = f"/api/v1/activities/sessions/{session.pk}/registrations"
    for person, key in ((by_sms, "k-sms"), (by_mail, "k-mail"), (landline, "k-land")):
        made = client.post(
            url, {"person_id": person.pk, "channel": "phone"},
            content_type="application/json", HTTP_IDEMPOTENCY_KEY=key,
        )  # fmt: skip
        assert made.status_code == 201, made.content
    again = client.post(
        url, {"person_id": by_sms.pk, "channel": "phone"},
        content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-sms",
    )  # fmt: skip
    assert again.status_code == 200
    sms = Message.objects.get(person=by_sms)  # once, despite the retry
    mail = Message.objects.get(person=by_mail)
    assert (sms.channel, mail.channel) == ("sms", "email")
    for message, person in ((sms, by_sms), (mail, by_mail)):
        registration = Registration.objects.get(person=person)
        assert f"https://buurt.example.be/{community.slug}/activities/my/{registration.pk}/" in (
            message.body
        )
        assert f"/activities/cancel/{registration.pk}/" in message.body
    assert mail.language == "fr" and "Vous êtes inscrit" in mail.subject  # their language
    assert not Message.objects.filter(person=landline).exists()
    # The page (a volunteer on the phone, confirmation by message): the same "my sign-up" link.
    caller = make_person(system, first_name="Walter", phone="0470 32 32 32")
    volunteer = login_client(community, "volunteer")
    response = volunteer.post(
        _url(community, session), _form(person=str(caller.pk), confirm="message")
    )
    assert response.status_code == 302
    registration = Registration.objects.get(person=caller)
    body = Message.objects.get(person=caller).body
    assert f"/{community.slug}/activities/my/{registration.pk}/" in body
