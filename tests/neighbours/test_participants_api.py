"""The participants API: register, search, change, opt out and in, verify a number."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.messaging.models import Message
from buurtkit.neighbours import services
from buurtkit.neighbours.models import Participant
from buurtkit.people import services as people_services
from buurtkit.people.models import Person

BB = "/api/v1/buurbel"


def _post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def _patch(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.patch(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def staff(api: Callable[..., Client], community: Any) -> Client:
    return api(community, ["counter_clerk"])


def _register(staff: Client, person: Person, **extra: Any) -> Any:
    body = {
        "person_id": person.pk,
        "consent": True,
        "language": "fr",
        "call_windows": [{"days": [2, 4], "from": "14:00", "to": "17:00"}],
        "interests": ["Cards", "knitting"],
        "activities": ["coffee", "small_help"],
        "max_distance_m": 800,
        "wish": "practical",
        "can_offer": ["shopping"],
        "needs": ["computer"],
        "neighbourhood": "Rabot",
        "lat": 51.0612,
        "lon": 3.7123,
        **extra,
    }
    return _post(staff, f"{BB}/participants", body)


def test_register_verify_and_read(staff: Client, system: Actor, make_person: Any) -> None:
    person = make_person(system, phone="0470 60 00 01", first_name="Anna", last_name="Smet")
    response = _register(staff, person)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["call_windows"] == [{"days": [2, 4], "from": "14:00", "to": "17:00"}]
    assert data["interests"] == ["cards", "knitting"] and data["wish"] == "practical"
    assert data["neighbourhood"] == "rabot" and data["lat"] == 51.061
    assert data["verified"] is False and data["callable"] is False
    assert "phone" not in data
    pid = data["id"]

    started = _post(staff, f"{BB}/participants/{pid}/verification")
    assert started.status_code == 201, started.content
    assert started.json()["channel"] == "sms"
    code = re.findall(r"\b\d{6}\b", Message.objects.get(person=person).body)[0]
    wrong = _post(staff, f"{BB}/participants/{pid}/verification/check", {"code": "000000"})
    if code != "000000":
        assert wrong.status_code == 422 and wrong.json()["error"] == "code_wrong"
        assert "code" in wrong.json()["fields"]
    ok = _post(staff, f"{BB}/participants/{pid}/verification/check", {"code": code})
    assert ok.status_code == 200, ok.content
    assert ok.json()["verified"] is True and ok.json()["callable"] is True

    found = staff.get(f"{BB}/participants?q=smet&status=verified").json()["items"]
    assert [p["id"] for p in found] == [pid]
    assert staff.get(f"{BB}/participants?status=unverified").json()["items"] == []
    assert staff.get(f"{BB}/participants?q=0470600001").json()["items"][0]["id"] == pid

    # A new number: not verified any more.
    people_services.person_update(actor=system, person_id=person.pk, phone="0470 60 00 09")
    again = staff.get(f"{BB}/participants/{pid}").json()
    assert again["verified"] is False and again["callable"] is False
    assert again["phone_verified_at"] is not None


def test_invalid_number_and_missing_consent_are_refused(
    staff: Client, system: Actor, make_person: Any
) -> None:
    bad = Person.objects.create(community=system.community, first_name="Jan", phone="+32 12")
    response = _register(staff, bad)
    assert response.status_code == 422 and "phone" in response.json()["fields"]
    person = make_person(system, phone="0470 60 00 02")
    response = _register(staff, person, consent=False)
    assert response.status_code == 422 and "consent" in response.json()["fields"]
    response = _register(staff, person, activities=["bingo"])
    assert response.status_code == 422 and "activities" in response.json()["fields"]
    assert not Participant.objects.exists()


def test_patch_changes_only_what_is_sent(staff: Client, system: Actor, make_person: Any) -> None:
    person = make_person(system, phone="0470 60 00 03")
    pid = _register(staff, person).json()["id"]
    response = _patch(staff, f"{BB}/participants/{pid}", {"max_distance_m": 2000})
    assert response.status_code == 200, response.content
    assert response.json()["max_distance_m"] == 2000
    assert response.json()["interests"] == ["cards", "knitting"]
    response = _patch(staff, f"{BB}/participants/{pid}", {"nickname": "x"})
    assert response.status_code == 422


def test_opt_out_at_once_and_opt_in_by_staff_only(
    staff: Client, api: Callable[..., Client], community: Any, system: Actor, make_person: Any
) -> None:
    person = make_person(system, phone="0470 60 00 04")
    pid = _register(staff, person).json()["id"]
    services.participant_mark_verified(actor=system, participant_id=pid)
    out = _post(staff, f"{BB}/participants/{pid}/opt-out")
    assert out.status_code == 200 and out.json()["callable"] is False
    assert out.json()["opted_out_at"] is not None
    refused = _post(staff, f"{BB}/participants/{pid}/verification")
    assert refused.status_code == 409 and refused.json()["error"] == "opted_out"
    volunteer = api(community, ["volunteer"])
    assert _post(volunteer, f"{BB}/participants/{pid}/opt-in").status_code == 403
    back = _post(staff, f"{BB}/participants/{pid}/opt-in")
    assert back.status_code == 200 and back.json()["opted_out_at"] is None
    assert back.json()["callable"] is True


def test_too_many_codes_answers_429(staff: Client, system: Actor, make_person: Any) -> None:
    person = make_person(system, phone="0470 60 00 05")
    pid = _register(staff, person).json()["id"]
    for _ in range(3):
        assert _post(staff, f"{BB}/participants/{pid}/verification").status_code == 201
    response = _post(staff, f"{BB}/participants/{pid}/verification")
    assert response.status_code == 429 and response.json()["error"] == "too_many_codes"


def test_another_community_sees_nothing(
    staff: Client, api: Callable[..., Client], other_community: Any, system: Actor, make_person: Any
) -> None:
    person = make_person(system, phone="0470 60 00 06")
    pid = _register(staff, person).json()["id"]
    other = api(other_community, ["coordinator"])
    assert other.get(f"{BB}/participants").json()["items"] == []
    assert other.get(f"{BB}/participants/{pid}").status_code == 404
    assert _post(other, f"{BB}/participants/{pid}/verification").status_code == 404
    assert _post(other, f"{BB}/participants/{pid}/opt-out").status_code == 404
    assert Participant.objects.get(pk=pid).opted_out_at is None
