"""Staff pages: the week with its fill, check-in by name on a tablet, the attendance list."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pypdfium2 as pdfium
import pytest
from django.test import Client

from buurtkit.activities import services
from buurtkit.activities.models import Registration, Session
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.people.models import Person
from buurtkit.places import services as places_services

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday
_n = itertools.count(1)


def _pdf_text(content: bytes) -> str:
    doc = pdfium.PdfDocument(content)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


@pytest.fixture
def world(system: Actor, make_person: Callable[..., Person]) -> Any:
    with clock.frozen(NOW):
        place = places_services.place_create(
            actor=system, name=f"Digipunt {next(_n)}", kind="digipunt"
        )
        series = services.series_create(actor=system, kind="it_cafe", title={"nl": "IT-café Rabot"})
        session = services.session_add(
            actor=system, series_id=series.pk, place_id=place.pk,
            starts_at=NOW + timedelta(days=1, hours=4), ends_at=NOW + timedelta(days=1, hours=6),
            capacity=2,
        )  # fmt: skip
        people = [
            make_person(system, first_name=n, last_name="Peeters")
            for n in ("Anna", "Bert", "Carla")
        ]
        for p in people:
            services.registration_create(actor=system, session_id=session.pk, person_id=p.pk)
    return session, people


def test_the_week_shows_each_session_with_its_fill(
    community: Community, world: Any, login_client: Callable[..., Client]
) -> None:
    _session, _people = world
    with clock.frozen(NOW):
        page = (
            login_client(community, "coordinator")
            .get(f"/{community.slug}/activities/manage/")
            .content.decode()
        )
    assert "IT-café Rabot" in page and "2 / 2" in page
    assert "2 van 2 plaatsen bezet, 1 op wachtlijsten" in page


def test_a_volunteer_checks_people_in_by_name_at_the_door(
    community: Community, world: Any, login_client: Callable[..., Client]
) -> None:
    session, (anna, _bert, carla) = world
    client = login_client(community, "volunteer")
    url = f"/{community.slug}/activities/manage/sessions/{session.pk}/"
    page = client.get(url, {"q": "ann"}).content.decode()
    assert "Anna Peeters" in page and "Bert Peeters" not in page
    assert "Carla Peeters" in page  # on the waiting list, listed below
    registration = Registration.objects.get(person=anna)
    response = client.post(
        url + "check-in/", {"registration": registration.pk, "attended": "1", "back_q": "ann"}
    )
    assert response.status_code == 302 and response["Location"].endswith("?q=ann")
    assert Registration.objects.get(pk=registration.pk).state == "attended"
    # Someone on the waiting list cannot be checked in.
    waiting = Registration.objects.get(person=carla)
    client.post(url + "check-in/", {"registration": waiting.pk, "attended": "1"})
    assert Registration.objects.get(pk=waiting.pk).state == "waiting"


def test_an_auditor_sees_but_does_not_check_in(
    community: Community, world: Any, login_client: Callable[..., Client]
) -> None:
    session, (anna, _b, _c) = world
    client = login_client(community, "auditor")
    url = f"/{community.slug}/activities/manage/sessions/{session.pk}/"
    assert client.get(url).status_code == 200
    registration = Registration.objects.get(person=anna)
    assert client.post(url + "check-in/", {"registration": registration.pk}).status_code == 403
    assert Registration.objects.get(pk=registration.pk).state == "registered"


def test_the_attendance_list_has_a_row_to_sign_for_each_person_expected(
    community: Community, world: Any, login_client: Callable[..., Client]
) -> None:
    session, _people = world
    response = login_client(community, "coordinator").get(
        f"/{community.slug}/activities/manage/sessions/{session.pk}/attendance.pdf"
    )
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "Anna Peeters" in text and "Bert Peeters" in text
    assert "Carla Peeters" not in text  # waiting, not expected
    assert "IT-café Rabot" in text and "Handtekening" in text
    assert isinstance(Session.objects.get(pk=session.pk).capacity, int)
