"""Check-in by the QR of the confirmation: the "my sign-up" page shows a QR holding an absolute
address on the community's public address; a volunteer who scans it checks the person in with
one tap; a code for another session, someone waiting, a cancelled sign-up or a second scan is
refused with a clear message; anyone else is asked to show the code at the door. Also the
paper attendance list entered afterwards, and the check-in API by code."""

from __future__ import annotations

import base64
import io
import itertools
import re
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from PIL import Image

from buurtkit.activities import services
from buurtkit.activities.models import Registration, Session
from buurtkit.activities.services.checkin import checkin_path
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict
from buurtkit.core.models import Community
from buurtkit.messaging.models import Message
from buurtkit.people.models import Person
from buurtkit.places import services as places_services

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # Monday 10:00 in Brussels
PUBLIC = "https://buurt.example.be"
_n = itertools.count(1)


@pytest.fixture(autouse=True)
def frozen(settings: Any) -> Any:
    settings.PUBLIC_URL = PUBLIC
    with clock.frozen(NOW):
        yield


def _visitor() -> Client:
    n = uuid.uuid4().int
    return Client(REMOTE_ADDR=f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}")


def _phone() -> str:
    digits = f"{uuid.uuid4().int % 10**6:06d}"
    return f"0471 {digits[:2]} {digits[2:4]} {digits[4:]}"


def _session(
    system: Actor, *, hours: float = 3, capacity: int = 5, title: str = "IT-café"
) -> Session:
    place = places_services.place_create(
        actor=system, name=f"Digipunt {next(_n)}", kind="digipunt", street="Rabotstraat 1"
    )
    series = services.series_create(
        actor=system, kind="it_cafe", title={"nl": title}, published=True
    )
    return services.session_add(
        actor=system,
        series_id=series.pk,
        place_id=place.pk,
        starts_at=NOW + timedelta(hours=hours),
        ends_at=NOW + timedelta(hours=hours + 2),
        capacity=capacity,
    )


def _decode(page: str) -> list[str]:
    """The QR codes in a page's images, read the way a phone camera does (zxing)."""
    zxingcpp = pytest.importorskip("zxingcpp")
    found = []
    for data in re.findall(r'src="data:image/png;base64,([^"]+)"', page):
        image = Image.open(io.BytesIO(base64.b64decode(data))).convert("L")
        found += [r.text for r in zxingcpp.read_barcodes(image)]
    return found


def _sign_up(community: Community, session: Session) -> tuple[Registration, str]:
    """Sign up on the public page; return the registration and the confirmation's text."""
    client = _visitor()
    url = f"/{community.slug}/activities/sessions/{session.pk}/"
    key = re.search(r'name="idempotency_key" value="([^"]+)"', client.get(url).content.decode())
    assert key
    client.post(
        url,
        {
            "first_name": "Maria",
            "last_name": f"Claes{next(_n)}",
            "phone": _phone(),
            "language": "nl",
            "consent": "on",
            "idempotency_key": key.group(1),
        },
    )
    registration = Registration.objects.filter(session=session).latest("pk")
    return registration, Message.objects.get(person_id=registration.person_id).body


def _refused(response: Any, why: str) -> bool:
    """The scan page explains why not (in Dutch, the community's language) and offers no
    button to check in."""
    page = response.content.decode()
    alert = re.search(r'role="alert">([^<]+)<', page)
    assert alert, page
    assert why in alert.group(1), alert.group(1)
    return response.status_code == 200 and 'name="session"' not in page


def _code_path(community: Community, session: Session) -> tuple[Registration, str]:
    registration, body = _sign_up(community, session)
    link = re.search(re.escape(PUBLIC) + r"(/\S+/activities/my/\S+)", body)
    assert link, body
    page = _visitor().get(link.group(1)).content.decode()
    codes = _decode(page)
    assert len(codes) == 1, "the page shows one QR code"
    assert codes[0].startswith(PUBLIC + f"/{community.slug}/activities/check-in/")
    return registration, codes[0].removeprefix(PUBLIC)


def test_the_confirmation_leads_to_a_qr_that_a_volunteer_scans_to_check_in(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    session = _session(system)
    registration, path = _code_path(community, session)
    # Anyone else who follows the code is asked to show it at the door; nothing changes.
    shown = _visitor().get(path)
    assert shown.status_code == 200 and b'name="session"' not in shown.content
    assert "Toon deze code aan de deur" in shown.content.decode()
    resident = login_client(community, "resident")
    assert b'name="session"' not in resident.get(path).content
    assert Registration.objects.get(pk=registration.pk).state == "registered"
    # A volunteer's phone: who it is, and one button.
    volunteer = login_client(community, "volunteer")
    page = volunteer.get(path).content.decode()
    assert registration.person.full_name in page
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key and f'name="session" value="{session.pk}"' in page
    data = {"session": session.pk, "idempotency_key": key.group(1)}
    response = volunteer.post(path, data)
    assert response.status_code == 302
    assert Registration.objects.get(pk=registration.pk).state == "attended"
    # The same tap again (a double tap) changes nothing; a second scan says so.
    assert volunteer.post(path, data).status_code == 302
    again = volunteer.get(path)
    assert _refused(again, "is al aangemeld")
    assert Registration.objects.get(pk=registration.pk).state == "attended"


def test_a_code_for_another_session_is_refused(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    today = _session(system, title="Veilig online")
    other = _session(system, hours=5, title="IT-café")
    tomorrow = _session(system, hours=27, title="Repaircafé")
    registration, path = _code_path(community, today)
    volunteer = login_client(community, "volunteer")
    # The volunteer runs the other session's door (opened its page on the tablet).
    assert (
        volunteer.get(f"/{community.slug}/activities/manage/sessions/{other.pk}/").status_code
        == 200
    )
    assert _refused(volunteer.get(path), "niet voor de sessie waarvoor je nu aanmeldt")
    # Posting the other session anyway is refused too, and writes nothing.
    volunteer.post(path, {"session": other.pk, "idempotency_key": "x1"})
    assert Registration.objects.get(pk=registration.pk).state == "registered"
    # A code for tomorrow, scanned by someone who runs no door today: not for today.
    _r2, tomorrow_path = _code_path(community, tomorrow)
    fresh = login_client(community, "volunteer")
    assert _refused(fresh.get(tomorrow_path), "niet voor vandaag")
    # The right session's door accepts it.
    assert (
        volunteer.get(f"/{community.slug}/activities/manage/sessions/{today.pk}/").status_code
        == 200
    )
    assert volunteer.get(path).status_code == 200


def test_waiting_cancelled_and_unknown_codes_are_refused(
    system: Actor, community: Community, login_client: Callable[..., Client], make_person: Any
) -> None:
    session = _session(system, capacity=1)
    seated, _path = _code_path(community, session)
    waiting, _body = _sign_up(community, session)
    assert waiting.state == "waiting"
    volunteer = login_client(community, "volunteer")
    assert _refused(volunteer.get(checkin_path(waiting)), "staat op de wachtlijst")
    services.registration_cancel(actor=system, registration_id=seated.pk)
    seated.refresh_from_db()
    assert _refused(volunteer.get(checkin_path(seated)), "is geannuleerd")
    assert Registration.objects.get(pk=seated.pk).state == "cancelled"
    wrong = checkin_path(seated).rsplit("/", 2)[0] + "/guess/"
    assert volunteer.get(wrong).status_code == 404


def test_the_check_in_api_by_code_uses_an_idempotency_key(
    system: Actor, community: Community, api: Callable[..., Client]
) -> None:
    session = _session(system)
    registration, path = _code_path(community, session)
    code = path.rstrip("/").rsplit("/", 1)[-1]
    client = api(community, ["volunteer"])
    url = f"/api/v1/activities/sessions/{session.pk}/check-in"
    body = {"registration_id": registration.pk, "code": code}
    assert client.post(url, body, content_type="application/json").status_code == 422
    first = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 200 and first.json()["state"] == "attended"
    retry = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert retry.status_code == 200
    second = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k2")
    assert second.status_code == 409 and second.json()["error"] == "already"
    wrong = {"registration_id": registration.pk, "code": "guess"}
    refused = client.post(url, wrong, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k3")
    assert refused.status_code == 404
    auditor = api(community, ["auditor"])
    denied = auditor.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k4")
    assert denied.status_code == 403


def test_the_paper_list_is_entered_in_one_go_and_counts_no_shows(
    system: Actor,
    community: Community,
    login_client: Callable[..., Client],
    make_person: Callable[..., Person],
) -> None:
    session = _session(system, hours=-3)  # this morning
    with clock.frozen(NOW - timedelta(days=1)):
        people = [make_person(system, first_name=n) for n in ("Anna", "Bert", "Carla")]
        regs = [
            services.registration_create(actor=system, session_id=session.pk, person_id=p.pk)[0][0]
            for p in people
        ]
    client = login_client(community, "volunteer")
    url = f"/{community.slug}/activities/manage/sessions/{session.pk}/"
    page = client.get(url).content.decode()
    assert f'name="r_{regs[0].pk}"' in page  # the paper list's form, for a past session
    client.post(url + "paper-list/", {f"r_{regs[0].pk}": "1", f"r_{regs[1].pk}": "0"})
    states = {r.pk: r.state for r in Registration.objects.filter(session=session)}
    assert states == {regs[0].pk: "attended", regs[1].pk: "no_show", regs[2].pk: "registered"}
    # One wrong row (someone of another session) writes nothing at all.
    other = _session(system, hours=-5)
    with clock.frozen(NOW - timedelta(days=1)):
        (elsewhere,), _t = services.registration_create(
            actor=system, session_id=other.pk, person_id=people[2].pk
        )
    client.post(url + "paper-list/", {f"r_{regs[2].pk}": "0", f"r_{elsewhere.pk}": "1"})
    assert Registration.objects.get(pk=regs[2].pk).state == "registered"
    assert Registration.objects.get(pk=elsewhere.pk).state == "registered"
    # A correction: Bert came after all.
    client.post(url + "paper-list/", {f"r_{regs[1].pk}": "1", f"r_{regs[2].pk}": "0"})
    assert services.attendance_enter(actor=system, session_id=session.pk, marks={}) == {
        "attended": 2,
        "no_show": 1,
    }
    # An auditor may not; a session still to come has no paper list yet.
    auditor = login_client(community, "auditor")
    assert auditor.post(url + "paper-list/", {f"r_{regs[0].pk}": "0"}).status_code == 403
    future = _session(system, hours=4)
    assert (
        'name="r_'
        not in client.get(
            f"/{community.slug}/activities/manage/sessions/{future.pk}/"
        ).content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_two_phones_scanning_the_same_code_at_once_check_in_once(
    system: Actor, community: Community, make_person: Callable[..., Person]
) -> None:
    """On PostgreSQL, six volunteers' phones confirm the same QR at the same moment: one
    check-in, five "already checked in", one audit entry."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers anyway")
    from buurtkit.activities.services.checkin import link_code
    from buurtkit.audit.models import AuditEvent

    session = _session(system)
    (registration,), _token = services.registration_create(
        actor=system, session_id=session.pk, person_id=make_person(system).pk
    )
    code = link_code(registration, "checkin")
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def scan(n: int) -> None:
        try:
            barrier.wait()
            services.checkin_by_code(
                actor=system,
                registration_id=registration.pk,
                code=code,
                session_id=session.pk,
                idempotency_key=f"phone-{n}",
            )
            outcomes.append("checked in")
        except Conflict as exc:
            outcomes.append(exc.code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan, args=(n,)) for n in range(6)]
    for t in threads:  # the clock is frozen once, by the autouse fixture, around them all
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(outcomes) == ["already"] * 5 + ["checked in"]
    assert Registration.objects.get(pk=registration.pk).state == "attended"
    verbs = AuditEvent.objects.filter(verb="activities.attendance")
    assert verbs.filter(object_id=str(registration.pk)).count() == 1


def test_one_code_for_a_whole_course_checks_in_at_the_days_session_until_anonymised(
    system: Actor, community: Community, make_person: Callable[..., Person], api: Any
) -> None:
    from buurtkit.activities.services.checkin import link_code
    from buurtkit.people import services as people_services

    place = places_services.place_create(actor=system, name="Bib Rabot", kind="digipunt")
    course = services.series_create(
        actor=system, kind="course", title={"nl": "Veilig online"}, whole_series=True
    )
    today, next_week = (
        services.session_add(
            actor=system, series_id=course.pk, place_id=place.pk,
            starts_at=NOW + timedelta(days=d, hours=3),
            ends_at=NOW + timedelta(days=d, hours=5), capacity=4,
        )
        for d in (0, 7)
    )  # fmt: skip
    person = make_person(system)
    regs, _token = services.registration_create(
        actor=system, session_id=today.pk, person_id=person.pk
    )
    first = regs[0]
    code = link_code(first, "checkin")
    client = api(community, ["volunteer"])
    url = "/api/v1/activities/sessions/{}/check-in"
    body = {"registration_id": first.pk, "code": code}
    # The same code at next week's session checks in there (the course's other seat).
    answer = client.post(
        url.format(next_week.pk), body, content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="w2",
    )  # fmt: skip
    assert answer.status_code == 200 and answer.json()["session_id"] == next_week.pk
    assert {r.session_id: r.state for r in Registration.objects.filter(person=person)} == {
        today.pk: "registered",
        next_week.pk: "attended",
    }
    # Anonymised: the code opens nothing any more.
    people_services.person_anonymise(actor=system, person_id=person.pk)
    gone = client.post(
        url.format(today.pk), body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="w3"
    )
    assert gone.status_code == 404
    assert Registration.objects.get(pk=first.pk).state == "registered"
