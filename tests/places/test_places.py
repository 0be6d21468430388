"""Places: the life cycle with its checklist, hours with holidays, the public directory with
its posters and JSON, the staff pages, and one community never seeing another's places."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import translation

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.people import services as people_services
from buurtkit.places import rules, services
from buurtkit.places.models import OpeningHours, Place

pytestmark = pytest.mark.django_db
BXL = ZoneInfo("Europe/Brussels")
MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=BXL)


def _open_place(system: Actor, name: str = "Digipunt Bib", **extra: Any) -> Place:
    municipality = services.municipality_create(
        actor=system, name=f"Gent {name}", postcodes=["9000"]
    )
    host = people_services.organisation_create(
        actor=system, name=f"Host {name}", slug=re.sub(r"\W+", "-", name.lower()), kind="library"
    )
    place = services.place_create(
        actor=system,
        name=name,
        kind="digipunt",
        street="Opgeeistenlaan 455",
        postcode="9000",
        municipality_id=municipality.pk,
        host_id=host.pk,
        phone="09 266 70 00",
        **extra,
    )
    services.place_set_hours(
        actor=system,
        place_id=place.pk,
        hours=[
            {"weekday": 0, "opens": time(9), "closes": time(12), "kind": "open"},
            {"weekday": 0, "opens": time(14), "closes": time(17), "kind": "drop_in"},
        ],
    )
    services.place_change_status(actor=system, place_id=place.pk, status="equipping")
    for item in rules.MANUAL_ITEMS:
        services.place_tick(actor=system, place_id=place.pk, item=item, done=True)
    return services.place_change_status(actor=system, place_id=place.pk, status="open")


# --- services ---------------------------------------------------------------------------------


def test_a_place_opens_only_with_its_checklist_done(system: Actor) -> None:
    place = services.place_create(actor=system, name="Nieuw digipunt", kind="digipunt")
    services.place_change_status(actor=system, place_id=place.pk, status="equipping")
    with translation.override("en"), pytest.raises(Conflict) as refused:
        services.place_change_status(actor=system, place_id=place.pk, status="open")
    assert "Opening hours entered" in str(refused.value.detail)
    assert "Equipment installed and tested" in str(refused.value.detail)
    assert Place.objects.get(pk=place.pk).status == "equipping"


def test_the_life_cycle_refuses_a_jump(system: Actor) -> None:
    place = services.place_create(actor=system, name="Gepland", kind="digipunt")
    with pytest.raises(Conflict):
        services.place_change_status(actor=system, place_id=place.pk, status="open")
    opened = _open_place(system)
    assert opened.status == "open" and opened.opened_at is not None
    closed = services.place_change_status(actor=system, place_id=opened.pk, status="closed")
    assert closed.status == "closed"


def test_the_postcode_finds_the_municipality_and_a_wrong_one_is_refused(system: Actor) -> None:
    gent = services.municipality_create(actor=system, name="Gent", postcodes=["9000", "9030"])
    services.municipality_create(actor=system, name="Evergem", postcodes=["9940"])
    place = services.place_create(actor=system, name="Bib", kind="digipunt", postcode="9030")
    assert place.municipality_id == gent.pk
    with pytest.raises(ValidationFailed) as refused:
        services.place_create(
            actor=system, name="Fout", kind="digipunt", postcode="9940", municipality_id=gent.pk
        )
    assert "postcode" in refused.value.fields
    with pytest.raises(ValidationFailed):
        services.municipality_create(actor=system, name="Ergens", postcodes=["90000"])


def test_overlapping_hours_are_refused_and_nothing_is_replaced(system: Actor) -> None:
    place = _open_place(system)
    with pytest.raises(ValidationFailed):
        services.place_set_hours(
            actor=system,
            place_id=place.pk,
            hours=[
                {"weekday": 1, "opens": time(9), "closes": time(12), "kind": "open"},
                {"weekday": 1, "opens": time(11), "closes": time(13), "kind": "open"},
            ],
        )
    assert OpeningHours.objects.filter(place=place).count() == 2


def test_two_exceptions_on_the_same_days_are_refused(system: Actor) -> None:
    place = _open_place(system)
    services.place_add_exception(
        actor=system, place_id=place.pk, starts_on=date(2026, 12, 24), ends_on=date(2026, 12, 26)
    )
    with pytest.raises(Conflict):
        services.place_add_exception(actor=system, place_id=place.pk, starts_on=date(2026, 12, 25))


def test_a_name_is_used_once_per_community(system: Actor, other_system: Actor) -> None:
    services.place_create(actor=system, name="Digipunt", kind="digipunt")
    services.place_create(actor=other_system, name="Digipunt", kind="digipunt")
    with pytest.raises(Conflict):
        services.place_create(actor=system, name="Digipunt", kind="digipunt")


# --- the public directory ---------------------------------------------------------------------


def test_the_directory_needs_no_login_and_shows_open_places_only(
    community: Community, system: Actor
) -> None:
    _open_place(system, "Digipunt Rabot")
    services.place_create(actor=system, name="Nog niet open", kind="digipunt")
    with clock.frozen(MONDAY_10):
        page = Client().get(f"/{community.slug}/places/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Digipunt Rabot" in html and "Nog niet open" not in html
    assert "Open now, until 12:00" in html
    assert 'href="tel:092667000"' in html


def test_open_now_filter_and_the_json_twin(community: Community, system: Actor) -> None:
    _open_place(system, "Digipunt Rabot")
    with clock.frozen(MONDAY_10.replace(hour=13)):
        closed_now = Client().get(f"/{community.slug}/places/directory.json?open_now=1")
        data = Client().get(f"/{community.slug}/places/directory.json").json()
        page = Client().get(f"/{community.slug}/places/?open_now=1", HTTP_ACCEPT_LANGUAGE="en")
    assert closed_now.json()["places"] == []
    assert closed_now["Access-Control-Allow-Origin"] == "*"
    (entry,) = data["places"]
    assert entry["name"] == "Digipunt Rabot" and entry["open_now"] is False
    assert entry["next_opens"] == "2026-12-07T14:00"
    assert "No place matches" in page.content.decode()


def test_a_holiday_shows_on_the_public_page(community: Community, system: Actor) -> None:
    place = _open_place(system, "Digipunt Rabot")
    services.place_add_exception(
        actor=system, place_id=place.pk, starts_on=date(2026, 12, 7), reason="Inventaris"
    )
    with clock.frozen(MONDAY_10):
        html = (
            Client()
            .get(f"/{community.slug}/places/{place.pk}/", HTTP_ACCEPT_LANGUAGE="en")
            .content.decode()
        )
    assert "Closed now" in html and "Inventaris" in html


def test_a_place_that_is_not_open_has_no_public_page(community: Community, system: Actor) -> None:
    planned = services.place_create(actor=system, name="Gepland", kind="digipunt")
    assert Client().get(f"/{community.slug}/places/{planned.pk}/").status_code == 404
    assert Client().get(f"/{community.slug}/places/{planned.pk}/poster.pdf").status_code == 404
    unknown = Client().get("/no-such-community/places/", HTTP_ACCEPT_LANGUAGE="en")
    assert unknown.status_code == 404 and "Not found" in unknown.content.decode()


def test_posters_are_pdfs_whose_qr_points_at_the_address_used(
    community: Community, system: Actor, settings: Any
) -> None:
    """A poster printed from buurt.example:8123 must lead there, not to localhost:8000."""
    settings.ALLOWED_HOSTS = ["buurt.example"]
    place = _open_place(system, "Digipunt Rabot")
    client = Client(HTTP_HOST="buurt.example:8123")
    whole = client.get(f"/{community.slug}/places/poster.pdf")
    one = client.get(f"/{community.slug}/places/{place.pk}/poster.pdf")
    for response, target in (
        (whole, f"http://buurt.example:8123/{community.slug}/places/"),
        (one, f"http://buurt.example:8123/{community.slug}/places/{place.pk}/"),
    ):
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF") and len(response.content) > 2000
        assert f"/Subject ({target})".encode() in response.content


# --- staff pages ------------------------------------------------------------------------------


def test_staff_add_a_place_and_a_form_error_keeps_what_was_typed(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "coordinator")
    url = f"/{community.slug}/places/manage/new/"
    form = {"name": "Digipunt Noord", "kind": "digipunt", "postcode": "12", "street": "Kerkstraat 1",
            "pcs": "3", "laptops": "0", "tablets": "0", "internet": "wifi", "email": "fout"}  # fmt: skip
    refused = client.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200
    assert 'value="Kerkstraat 1"' in refused.content.decode()
    assert not Place.objects.filter(name="Digipunt Noord").exists()
    form["email"] = "noord@example.org"
    saved = client.post(url, form)
    place = Place.objects.get(name="Digipunt Noord")
    assert saved.status_code == 302 and saved["Location"].endswith(f"/manage/{place.pk}/")


def test_staff_set_the_week_tick_the_checklist_and_open(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "staff")
    place = services.place_create(
        actor=system, name="Digipunt Zuid", kind="digipunt", street="Zuidstraat 2",
        postcode="9000", phone="09 123 45 67",
    )  # fmt: skip
    base = f"/{community.slug}/places/manage/{place.pk}"
    bad = client.post(f"{base}/hours/", {"d0_1_opens": "12:00", "d0_1_closes": "09:00",
                                        "d0_1_kind": "open"}, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert bad.status_code == 400
    assert "The closing time must be after the opening time." in bad.content.decode()
    ok = client.post(f"{base}/hours/", {"d0_1_opens": "09:00", "d0_1_closes": "12:00",
                                       "d0_1_kind": "drop_in"})  # fmt: skip
    assert ok.status_code == 302
    assert OpeningHours.objects.get(place=place).kind == "drop_in"
    client.post(f"{base}/status/", {"status": "equipping"})
    refused = client.post(
        f"{base}/status/", {"status": "open"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Not ready to open yet" in refused.content.decode()
    assert Place.objects.get(pk=place.pk).status == "equipping"


def test_a_volunteer_sees_places_but_cannot_change_them(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    place = _open_place(system)
    client = login_client(community, "volunteer")
    assert client.get(f"/{community.slug}/places/manage/").status_code == 200
    assert client.get(f"/{community.slug}/places/manage/{place.pk}/").status_code == 200
    assert client.get(f"/{community.slug}/places/manage/new/").status_code == 403
    client.post(f"/{community.slug}/places/manage/{place.pk}/status/", {"status": "closed"})
    assert Place.objects.get(pk=place.pk).status == "open"
    assert (
        login_client(community, "resident").get(f"/{community.slug}/places/manage/").status_code
        == 403
    )


def test_another_communitys_place_is_not_found_on_any_page(
    community: Community,
    other_community: Community,
    other_system: Actor,
    login_client: Callable[..., Client],
) -> None:
    theirs = _open_place(other_system, "Hun digipunt")
    client = login_client(community, "coordinator")
    for path in ("", "edit/"):
        assert client.get(f"/{community.slug}/places/manage/{theirs.pk}/{path}").status_code == 404
    for path in ("hours/", "status/", "checklist/"):
        client.post(f"/{community.slug}/places/manage/{theirs.pk}/{path}", {"status": "closed"})
    assert Place.objects.get(pk=theirs.pk).status == "open"
    assert Client().get(f"/{community.slug}/places/{theirs.pk}/").status_code == 404
    listing = client.get(f"/{community.slug}/places/manage/").content.decode()
    assert "Hun digipunt" not in listing
    data = Client().get(f"/{community.slug}/places/directory.json").json()
    assert data["places"] == []


def test_the_anonymised_digibuddy_is_no_longer_on_duty(community: Community, system: Actor) -> None:
    buddy = people_services.person_create(actor=system, first_name="Sofie", last_name="Buddy")
    place = _open_place(system)
    services.place_set_hours(
        actor=system,
        place_id=place.pk,
        hours=[{"weekday": 0, "opens": time(9), "closes": time(17), "kind": "drop_in",
                "digibuddy_id": buddy.pk}],
    )  # fmt: skip
    export = people_services.person_gdpr_export(actor=system, person_id=buddy.pk)
    assert json.dumps(export).count("Digipunt Bib") >= 1
    people_services.person_anonymise(actor=system, person_id=buddy.pk)
    assert OpeningHours.objects.get(place=place).digibuddy_id is None


def test_a_resident_finds_the_directory_on_their_home_page(
    community: Community, login_client: Callable[..., Client]
) -> None:
    home = login_client(community, "resident").get(f"/{community.slug}/", HTTP_ACCEPT_LANGUAGE="en")
    assert home.status_code == 200
    html = home.content.decode()
    assert f'href="/{community.slug}/places/"' in html
    assert "Help with computers near you" in html
