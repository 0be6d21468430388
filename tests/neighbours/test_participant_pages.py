"""Staff pages for Buurbel participants and the residents' own page to join."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.messaging.models import Message
from buurtkit.neighbours import selectors, services
from buurtkit.neighbours.models import Participant, PhoneVerification
from buurtkit.people import services as people_services
from buurtkit.people.models import Person
from tests.neighbours.conftest import profile

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def buurbel_community(community: Community) -> Community:
    community.enabled_modules = [*community.enabled_modules, "neighbours"]
    community.save(update_fields=["enabled_modules"])
    return community


@pytest.fixture
def clerk(login_client: Callable[..., Client], community: Community) -> Client:
    return login_client(community, "counter_clerk")


def _url(community: Community, tail: str) -> str:
    return f"/{community.slug}/buurbel/{tail}"


def _participant(system: Actor, make_person: Any, **values: Any) -> Participant:
    person = make_person(system, phone=values.pop("phone", "0470 70 00 01"), **values)
    return services.participant_register(
        actor=system, person_id=person.pk, consent=True, **profile()
    )


def _code(person: Person) -> str:
    return re.findall(r"\b\d{6}\b", Message.objects.filter(person=person).latest("id").body)[0]


def _form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "language": "fr",
        "activities": ["coffee", "walk"],
        "wish": "both",
        "max_distance_m": "500",
        "win0_days": ["1", "3"],
        "win0_from": "10:00",
        "win0_to": "12:00",
        "win1_days": ["6"],
        "win1_from": "14:00",
        "win1_to": "16:30",
        "interests": "Cards, gardening",
        "can_offer": "shopping",
        "needs": "",
        "neighbourhood": "Rabot",
        "lat": "",
        "lon": "",
        "consent": "on",
    }
    data.update(overrides)
    return data


def test_register_on_behalf_with_search_and_all_fields(
    clerk: Client, system: Actor, make_person: Any
) -> None:
    person = make_person(system, first_name="Maria", last_name="Claes", phone="0470 70 00 02")
    page = clerk.get(_url(system.community, "participants/new/?q=claes"), **EN)
    assert page.status_code == 200
    assert f"?person={person.pk}" in page.content.decode()

    form = clerk.get(_url(system.community, f"participants/new/?person={person.pk}"), **EN)
    body = form.content.decode()
    assert "Maria Claes" in body and 'type="time"' in body and 'type="checkbox"' in body

    response = clerk.post(
        _url(system.community, "participants/new/"), {"person": person.pk, **_form()}, **EN
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    p = Participant.objects.get(person=person)
    assert p.language == "fr" and p.activities == ["coffee", "walk"] and p.wish == "both"
    assert p.max_distance_m == 500 and p.interests == ["cards", "gardening"]
    assert p.call_windows == [
        {"days": [1, 3], "from": "10:00", "to": "12:00"},
        {"days": [6], "from": "14:00", "to": "16:30"},
    ]
    assert p.can_offer == ["shopping"] and p.neighbourhood == "rabot"
    assert response["Location"].endswith(f"/participants/{p.pk}/")


def test_errors_keep_what_was_typed(clerk: Client, system: Actor, make_person: Any) -> None:
    person = make_person(system, phone="0470 70 00 03")
    data = _form(consent="", interests="Chess, knitting", win0_from="12:00", win0_to="10:00")
    response = clerk.post(
        _url(system.community, "participants/new/"), {"person": person.pk, **data}, **EN
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Chess, knitting" in body
    assert "Buurbel can only call someone who agrees to it." in body
    assert not Participant.objects.exists()
    # Consent given, but call times the wrong way round.
    response = clerk.post(
        _url(system.community, "participants/new/"),
        {"person": person.pk, **_form(win0_from="12:00", win0_to="10:00")},
        **EN,
    )
    assert response.status_code == 422
    assert 'value="12:00"' in response.content.decode()
    assert "call windows" in response.content.decode()
    assert not Participant.objects.exists()


def test_invalid_number_is_refused_on_the_page(clerk: Client, system: Actor) -> None:
    person = Person.objects.create(community=system.community, first_name="Jan", phone="+32 12")
    response = clerk.post(
        _url(system.community, "participants/new/"), {"person": person.pk, **_form()}, **EN
    )
    assert response.status_code == 422
    assert "not a valid phone number" in response.content.decode()
    assert not Participant.objects.exists()


def test_list_search_filters_paging_and_csv_without_phones(
    clerk: Client, system: Actor, make_person: Any
) -> None:
    a = _participant(system, make_person, first_name="Ann", last_name="Verified")
    services.participant_mark_verified(actor=system, participant_id=a.pk)
    _participant(system, make_person, first_name="Bob", last_name="Waiting", phone="0470700004")
    c = _participant(system, make_person, first_name="Cas", last_name="Gone", phone="0470700005")
    services.participant_opt_out(actor=system, participant_id=c.pk)

    def names(query: str) -> str:
        return clerk.get(_url(system.community, f"participants/{query}"), **EN).content.decode()

    assert "Verified" in names("?status=verified") and "Waiting" not in names("?status=verified")
    assert "Waiting" in names("?status=unverified") and "Gone" not in names("?status=unverified")
    assert "Gone" in names("?status=opted_out") and "Verified" not in names("?status=opted_out")
    assert "Waiting" in names("?q=0470700004") and "Verified" not in names("?q=0470700004")
    assert "Verified" in names("?q=rabot")

    export = clerk.get(_url(system.community, "participants/export.csv"), **EN)
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    text = export.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 4 and "Ann Verified" in text
    assert "470" not in text  # no phone numbers


def test_paging(clerk: Client, system: Actor, make_person: Any) -> None:
    for n in range(26):
        _participant(system, make_person, phone=f"0470 71 00 {n:02d}")
    page = clerk.get(_url(system.community, "participants/"), **EN).content.decode()
    assert "Page 1 of 2" in page


def test_detail_send_and_check_code_then_opt_out_and_in(
    clerk: Client, system: Actor, make_person: Any
) -> None:
    p = _participant(system, make_person, phone="0470 70 00 06")
    detail = _url(system.community, f"participants/{p.pk}/")
    body = clerk.get(detail, **EN).content.decode()
    assert "Number not verified" in body and "Send a code" in body
    assert clerk.post(detail + "send-code/", **EN).status_code == 302
    body = clerk.get(detail, **EN).content.decode()
    assert "Check the code" in body and "text message" in body
    clerk.post(detail + "check-code/", {"code": "12345"}, **EN)
    assert not selectors.participant_verified(Participant.objects.get(pk=p.pk))
    clerk.post(detail + "check-code/", {"code": _code(p.person)}, **EN)
    assert selectors.participant_callable(Participant.objects.get(pk=p.pk))
    assert "Number verified" in clerk.get(detail, **EN).content.decode()

    clerk.post(detail + "opt-out/", **EN)
    assert Participant.objects.get(pk=p.pk).opted_out_at is not None
    body = clerk.get(detail, **EN).content.decode()
    assert "Opted out" in body and "Opt in again" in body
    clerk.post(detail + "opt-in/", **EN)
    assert Participant.objects.get(pk=p.pk).opted_out_at is None


def test_verified_in_person_and_edit(clerk: Client, system: Actor, make_person: Any) -> None:
    p = _participant(system, make_person, phone="0470 70 00 07")
    detail = _url(system.community, f"participants/{p.pk}/")
    clerk.post(detail + "verified-in-person/", **EN)
    assert PhoneVerification.objects.get(participant=p).channel == "in_person"
    assert "in person" in clerk.get(detail, **EN).content.decode()
    edit = clerk.get(detail + "edit/", **EN).content.decode()
    assert 'value="09:00"' in edit and "gardening, cards" in edit
    response = clerk.post(detail + "edit/", _form(interests="music"), **EN)
    assert response.status_code == 302
    assert Participant.objects.get(pk=p.pk).interests == ["music"]


def test_detail_shows_introductions_and_calls(
    clerk: Client, system: Actor, make_person: Any
) -> None:
    a = _participant(system, make_person, first_name="Ada", phone="0470 70 00 08")
    b = _participant(system, make_person, first_name="Bea", phone="0470 70 00 09")
    services.introduction_record(
        actor=system, participant_a_id=a.pk, participant_b_id=b.pk, outcome="met"
    )
    body = clerk.get(_url(system.community, f"participants/{a.pk}/"), **EN).content.decode()
    assert "Bea" in body and "met" in body


def test_volunteer_reads_but_cannot_change(
    login_client: Callable[..., Client], system: Actor, make_person: Any
) -> None:
    p = _participant(system, make_person, phone="0470 70 00 10")
    volunteer = login_client(system.community, "volunteer")
    detail = _url(system.community, f"participants/{p.pk}/")
    assert volunteer.get(detail, **EN).status_code == 200
    assert "Send a code" not in volunteer.get(detail, **EN).content.decode()
    for tail in ("send-code/", "verified-in-person/", "opt-out/", "edit/"):
        assert volunteer.post(detail + tail, **EN).status_code == 403
    assert volunteer.get(_url(system.community, "participants/new/"), **EN).status_code == 403
    assert Participant.objects.get(pk=p.pk).opted_out_at is None
    assert not PhoneVerification.objects.exists()


# --- the resident's own page -------------------------------------------------------------


@pytest.fixture
def resident(buurbel_community: Community, make_login: Any) -> tuple[Client, Person]:
    user = make_login(buurbel_community, "resident")
    person = Person.objects.get(user=user)
    people_services.person_update(
        actor=Actor.system(buurbel_community), person_id=person.pk, phone="0470 70 00 20"
    )
    client = Client()
    client.force_login(user)
    return client, person


def test_resident_home_links_to_buurbel(resident: tuple[Client, Person], community: Any) -> None:
    client, _person = resident
    body = client.get(f"/{community.slug}/", **EN).content.decode()
    assert f"/{community.slug}/buurbel/join/" in body


def test_resident_joins_verifies_and_opts_out(
    resident: tuple[Client, Person], community: Community
) -> None:
    client, person = resident
    url = _url(community, "join/")
    page = client.get(url, **EN)
    assert page.status_code == 200 and "Sign me up" in page.content.decode()
    # No consent: refused, what was typed is kept.
    refused = client.post(
        url,
        {
            "action": "join",
            "language": "nl",
            "days": ["2"],
            "parts": ["afternoon"],
            "wish": "social",
            "max_distance_m": "1000",
            "interests": "Cards",
        },
        **EN,
    )
    assert refused.status_code == 422 and 'value="Cards"' in refused.content.decode()
    assert not Participant.objects.exists()
    joined = client.post(
        url,
        {
            "action": "join",
            "language": "nl",
            "days": ["2", "4"],
            "parts": ["morning", "evening"],
            "activities": ["walk"],
            "wish": "social",
            "max_distance_m": "1000",
            "interests": "Cards",
            "consent": "on",
        },
        **EN,
    )
    assert joined.status_code == 302
    p = Participant.objects.get(person=person)
    assert p.call_windows == [
        {"days": [2, 4], "from": "09:00", "to": "12:00"},
        {"days": [2, 4], "from": "18:00", "to": "20:00"},
    ]
    # The code went out at once.
    code = _code(person)
    body = client.get(url, **EN).content.decode()
    assert "confirm your phone number" in body
    client.post(url, {"action": "check", "code": code}, **EN)
    assert selectors.participant_callable(Participant.objects.get(pk=p.pk))
    assert "You take part" in client.get(url, **EN).content.decode()

    client.post(url, {"action": "opt_out"}, **EN)  # not confirmed: nothing happens
    assert Participant.objects.get(pk=p.pk).opted_out_at is None
    client.post(url, {"action": "opt_out", "confirm": "yes"}, **EN)
    assert Participant.objects.get(pk=p.pk).opted_out_at is not None
    body = client.get(url, **EN).content.decode()
    assert "come to a counter" in body.lower()
    # The resident cannot opt in again, neither here nor on the staff page.
    client.post(url, {"action": "opt_in"}, **EN)
    assert client.post(_url(community, f"participants/{p.pk}/opt-in/"), **EN).status_code == 403
    assert Participant.objects.get(pk=p.pk).opted_out_at is not None


def test_staff_without_a_person_are_told_the_join_page_is_for_residents(
    clerk: Client, community: Community
) -> None:
    response = clerk.get(_url(community, "join/"), **EN)
    assert response.status_code == 200
    assert "for residents with their own login" in response.content.decode()
    assert clerk.post(_url(community, "join/"), {"action": "join"}, **EN).status_code == 200
    assert not Participant.objects.exists()
