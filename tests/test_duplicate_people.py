"""Issue 17 item 14: adding someone with the same name and phone as a person already there warns
and offers that person (page and API); "someone else" can still be added on purpose."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.people.models import Person

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_page_offers_the_person_already_there(
    community: Community,
    system: Actor,
    make_person: Callable[..., Person],
    login_client: Callable[..., Client],
) -> None:
    marie = make_person(system, first_name="Marie", last_name="Peeters", phone="+32470123456")
    client = login_client(community, "staff")
    form = {"first_name": "marie", "last_name": "PEETERS", "phone": "0470 12 34 56"}
    form["preferred_language"] = "nl"
    response = client.post("/rabot/people/new/", form, **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Marie Peeters is already registered with this phone number." in page
    assert f'href="/rabot/people/{marie.pk}/"' in page
    assert 'name="allow_duplicate" value="1"' in page
    assert 'value="0470 12 34 56"' in page  # what was typed is kept
    assert Person.objects.filter(first_name__iexact="marie").count() == 1

    again = client.post("/rabot/people/new/", {**form, "allow_duplicate": "1"}, **EN)
    assert again.status_code == 302
    assert Person.objects.filter(first_name__iexact="marie").count() == 2


def test_another_name_or_number_is_no_duplicate(
    community: Community,
    system: Actor,
    make_person: Callable[..., Person],
    login_client: Callable[..., Client],
) -> None:
    make_person(system, first_name="Marie", last_name="Peeters", phone="+32470123456")
    client = login_client(community, "staff")
    base = {"first_name": "Marie", "last_name": "Peeters", "preferred_language": "nl"}
    assert client.post("/rabot/people/new/", {**base, "phone": "0470 12 34 57"}).status_code == 302
    other = {**base, "first_name": "Mia", "phone": "0470 12 34 56"}
    assert client.post("/rabot/people/new/", other).status_code == 302
    no_phone = {**base, "phone": ""}
    assert client.post("/rabot/people/new/", no_phone).status_code == 302


def test_the_api_answers_409_naming_the_person(
    community: Community,
    system: Actor,
    make_person: Callable[..., Person],
    api: Callable[..., Client],
) -> None:
    marie = make_person(system, first_name="Marie", last_name="Peeters", phone="+32470123456")
    client = api(community, ["staff"])
    body = {"first_name": "Marie", "last_name": "Peeters", "phone": "0470123456"}
    response = client.post(
        "/api/v1/people", json.dumps(body), content_type="application/json", **EN
    )
    assert response.status_code == 409
    answer = response.json()
    assert answer["error"] == "duplicate_person"
    assert answer["fields"]["duplicate_of"] == str(marie.pk)  # field values are text
    assert "already registered" in answer["detail"]
    assert Person.objects.filter(first_name="Marie").count() == 1

    body["allow_duplicate"] = True
    response = client.post("/api/v1/people", json.dumps(body), content_type="application/json")
    assert response.status_code == 201
    assert Person.objects.filter(first_name="Marie").count() == 2
