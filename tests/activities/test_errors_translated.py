"""Sign-up errors in the person's language, with nothing half-written: a sign-up after the
start, a double sign-up, an expired offer, cancelling someone else's sign-up, a phone number
that is not a number — on the pages (French reader) and in the API (Accept-Language: fr)."""

from __future__ import annotations

import html
import itertools
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from buurtkit.activities import services
from buurtkit.activities.models import Registration, Session
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.people import services as people_services
from buurtkit.people.models import Consent, Person
from buurtkit.places import services as places_services

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
_n = itertools.count(1)
FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}


def _phone() -> str:
    digits = f"{uuid.uuid4().int % 10**6:06d}"
    return f"0470 {digits[:2]} {digits[2:4]} {digits[4:]}"


def _visitor() -> Client:
    n = uuid.uuid4().int
    return Client(REMOTE_ADDR=f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}", **FR)


def _session(system: Actor, capacity: int = 3) -> Session:
    place = places_services.place_create(
        actor=system, name=f"Digipunt E{next(_n)}", kind="digipunt"
    )
    series = services.series_create(
        actor=system, kind="it_cafe", title={"nl": "IT-café", "fr": "Café numérique"},
        published=True,
    )  # fmt: skip
    return services.session_add(
        actor=system, series_id=series.pk, place_id=place.pk,
        starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=1, hours=2),
        capacity=capacity,
    )  # fmt: skip


def _written() -> tuple[int, int, int, list[tuple[int, str]]]:
    return (
        Person.objects.count(),
        Registration.objects.count(),
        Consent.objects.count(),
        list(Registration.objects.order_by("pk").values_list("pk", "state")),
    )


def _public_form(**values: str) -> dict[str, str]:
    data = {
        "first_name": "Amélie", "last_name": "Dubois", "phone": _phone(), "email": "",
        "language": "fr", "consent": "on", "idempotency_key": uuid.uuid4().hex,
    }  # fmt: skip
    data.update(values)
    return data


# --- the pages -------------------------------------------------------------------------------


def test_pages_sign_up_after_the_start_and_twice_in_french(
    system: Actor, community: Community
) -> None:
    with clock.frozen(NOW):
        session = _session(system)
    url = f"/{community.slug}/activities/sessions/{session.pk}/"
    form = _public_form()
    with clock.frozen(NOW):
        assert _visitor().post(url, form).status_code == 200
        before = _written()
        again = _public_form(phone=form["phone"])  # the same person, another click
        page = html.unescape(_visitor().post(url, again).content.decode())
        assert "Amélie Dubois est déjà inscrit·e." in page and 'value="Amélie"' in page
        assert _written() == before
    with clock.frozen(NOW + timedelta(days=1, minutes=5)):  # it has started
        page = html.unescape(_visitor().post(url, _public_form(first_name="Paul")).content.decode())
    assert "Vous ne pouvez plus vous inscrire" in page and 'value="Paul"' in page
    assert _written() == before


def test_pages_a_number_that_is_not_a_number_in_french(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    with clock.frozen(NOW):
        session = _session(system)
        before = _written()
        url = f"/{community.slug}/activities/sessions/{session.pk}/"
        page = html.unescape(
            _visitor().post(url, _public_form(phone="zéro quatre")).content.decode()
        )
        assert "Ce numéro de téléphone n'est pas valable" in page
        assert 'value="zéro quatre"' in page
        staff = login_client(community, "volunteer")
        staff.defaults.update(FR)
        page = staff.post(
            f"/{community.slug}/activities/manage/sessions/{session.pk}/sign-up/",
            {"channel": "phone", "first_name": "Paul", "phone": "04-ab", "language": "fr",
             "confirm": "slip", "consent": "on", "idempotency_key": uuid.uuid4().hex},
        ).content.decode()  # fmt: skip
        page = html.unescape(page)
        assert "Ce numéro de téléphone n'est pas valable" in page and 'value="04-ab"' in page
    assert _written() == before


def test_pages_an_expired_offer_and_someone_elses_cancel_link_in_french(
    system: Actor, community: Community, make_person: Callable[..., Person]
) -> None:
    with clock.frozen(NOW):
        session = _session(system, capacity=1)
        holder = make_person(system, phone=_phone())
        waiting = make_person(system, phone=_phone(), consents={"contact_sms": True})
        (held,), held_secret = services.registration_create(
            actor=system, session_id=session.pk, person_id=holder.pk
        )
        (offered,), _offered_secret = services.registration_create(
            actor=system, session_id=session.pk, person_id=waiting.pk
        )
        other = make_person(system, phone=_phone())
        other_session = _session(system)
        (theirs,), _secret = services.registration_create(
            actor=system, session_id=other_session.pk, person_id=other.pk
        )
        # Someone else's sign-up with my link's secret: not valid, nothing cancelled.
        wrong = f"/{community.slug}/activities/cancel/{theirs.pk}/{held_secret}/"
        response = _visitor().post(wrong)
        assert response.status_code == 404
        assert "Ce lien n'est pas (plus) valable." in html.unescape(response.content.decode())
        services.registration_cancel(actor=system, registration_id=held.pk)
    offered.refresh_from_db()
    assert offered.state == "offered"
    from buurtkit.messaging.models import Message

    body = Message.objects.filter(person=waiting).latest("pk").body
    link = body[body.index(f"/{community.slug}/activities/offer/") :].split()[0]
    before = _written()
    with clock.frozen(NOW + timedelta(hours=24)):  # the offer ran out (at the start)
        response = _visitor().post(link, {"answer": "yes"})
    assert response.status_code == 409
    assert "Cette offre a expiré" in html.unescape(response.content.decode())
    assert _written() == before
    theirs.refresh_from_db()
    assert theirs.state == "registered"


# --- the API ---------------------------------------------------------------------------------


def _post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(
        url,
        json.dumps(body or {}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        **FR,
    )


def test_api_sign_up_after_the_start_twice_and_an_expired_offer_in_french(
    system: Actor,
    community: Community,
    make_person: Callable[..., Person],
    api: Callable[..., Client],
) -> None:
    client = api(community, ["staff"])
    with clock.frozen(NOW):
        session = _session(system, capacity=1)
        first, second = make_person(system, phone=_phone()), make_person(system, phone=_phone())
        url = f"/api/v1/activities/sessions/{session.pk}/registrations"
        assert _post(client, url, {"person_id": first.pk}).status_code == 201
        before = _written()
        twice = _post(client, url, {"person_id": first.pk})
        assert twice.status_code == 409 and "est déjà inscrit·e" in twice.json()["detail"]
        assert _written() == before
        (waiting,), _s = services.registration_create(
            actor=system, session_id=session.pk, person_id=second.pk
        )
        seated = Registration.objects.get(person=first)
        services.registration_cancel(actor=system, registration_id=seated.pk)
    before = _written()
    with clock.frozen(NOW + timedelta(days=1, minutes=1)):
        late = _post(client, url, {"person_id": make_person(system, phone=_phone()).pk})
        assert late.status_code == 409
        assert late.json()["detail"].startswith("Vous ne pouvez plus vous inscrire")
        expired = _post(client, f"/api/v1/activities/registrations/{waiting.pk}/accept")
        assert expired.status_code == 409 and "Cette offre a expiré" in expired.json()["detail"]
    after = _written()
    assert (after[1], after[3]) == (before[1], before[3])  # only the new person was added


def test_api_a_partner_cannot_cancel_someone_elses_sign_up_in_french(
    system: Actor, community: Community, make_person: Callable[..., Person], api_key: Any
) -> None:
    org = people_services.organisation_create(
        actor=system, name="CAW", slug=f"caw-{next(_n)}", kind="association"
    )
    _key, raw = people_services.apikey_create(
        actor=system, name="caw", roles=["referrer"], organisation_id=org.pk
    )
    partner = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with clock.frozen(NOW):
        session = _session(system)
        (theirs,), _s = services.registration_create(
            actor=system, session_id=session.pk, person_id=make_person(system, phone=_phone()).pk
        )
        other = make_person(system, phone=_phone())
        before = _written()
        refused = _post(partner, f"/api/v1/activities/registrations/{theirs.pk}/cancel")
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            "C'est l'inscription de quelqu'un d'autre : vous ne pouvez pas la modifier."
        )
        # Nor sign someone up as another organisation's referral, or as a desk sign-up.
        url = f"/api/v1/activities/sessions/{session.pk}/registrations"
        for body in ({"person_id": other.pk, "channel": "desk"},
                     {"person_id": other.pk, "channel": "partner", "referred_by_id": org.pk + 999}):  # fmt: skip
            assert _post(partner, url, body).status_code in (403, 404)
        assert _written() == before
        # Their own referral they may cancel.
        mine = _post(
            partner, url, {"person_id": other.pk, "channel": "partner", "referred_by_id": org.pk}
        )
        assert mine.status_code == 201, mine.json()
        registration_id = mine.json()["registrations"][0]["id"]
        done = _post(partner, f"/api/v1/activities/registrations/{registration_id}/cancel")
        assert done.status_code == 200 and done.json()[0]["state"] == "cancelled"


def test_api_a_number_that_is_not_a_number_in_french(
    community: Community, api: Callable[..., Client]
) -> None:
    before = _written()
    response = _post(
        api(community, ["staff"]), "/api/v1/people", {"first_name": "Paul", "phone": "04-ab"}
    )
    assert response.status_code in (400, 422)
    assert "Ce numéro de téléphone n'est pas valable" in response.json()["detail"]
    assert _written() == before
