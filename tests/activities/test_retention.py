"""Retention: participants' data is anonymised ``retention_months`` after the session ended;
the figures (seats, attendance, no-shows, waiting, unique participants) stay the same."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from buurtkit.activities import services
from buurtkit.activities.models import ActivitySettings, Evaluation, Registration, Session
from buurtkit.activities.services.retention import months_before
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.people.models import Person
from buurtkit.places import services as places_services

pytestmark = pytest.mark.django_db
THEN = datetime(2024, 9, 2, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
_n = itertools.count(1)


def _session(system: Actor, starts_at: datetime, capacity: int = 2) -> Session:
    place = places_services.place_create(
        actor=system, name=f"Digipunt R{next(_n)}", kind="digipunt"
    )
    series = services.series_create(actor=system, kind="it_cafe", title={"nl": "IT-café"})
    return services.session_add(
        actor=system,
        series_id=series.pk,
        place_id=place.pk,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        capacity=capacity,
    )


def _sign_up(system: Actor, session: Session, person: Person) -> Registration:
    (registration,), _token = services.registration_create(
        actor=system, session_id=session.pk, person_id=person.pk, channel="phone"
    )
    return registration


def _figures(session_ids: list[int]) -> dict[str, Any]:
    rows = Registration.objects.filter(session_id__in=session_ids)
    return {
        "states": Counter(rows.values_list("session_id", "state")),
        # Unique participants per session (a person still known elsewhere gets a stand-in for
        # their old sign-ups, so a span across the limit counts them twice: documented).
        "unique": [
            rows.filter(session_id=pk).values("person_id").distinct().count() for pk in session_ids
        ],
        "seats": list(
            Session.objects.filter(pk__in=session_ids)
            .order_by("pk")
            .values_list("seats_taken", "waiting")
        ),
        "satisfaction": sorted(Evaluation.objects.values_list("satisfaction", flat=True)),
    }


def test_old_sign_ups_lose_who_it_was_and_the_figures_stay(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    with clock.frozen(THEN):
        old = _session(system, THEN + timedelta(days=1))
        only_here = make_person(system, first_name="Marieke", last_name="Vos",
                                phone="0470 10 20 30")  # fmt: skip
        still_known = make_person(system, first_name="Omar", last_name="Haddad",
                                  phone="0470 40 50 60")  # fmt: skip
        absent = make_person(system, first_name="Lien", last_name="Claes", phone="09 222 33 44")
        came = _sign_up(system, old, only_here)
        came2 = _sign_up(system, old, still_known)
        waited = _sign_up(system, old, absent)
        assert waited.state == "waiting"
        Evaluation.objects.create(
            community=system.community, series=old.series, person=only_here, channel="paper",
            satisfaction=5, learned="Ik ben Marieke en ik kan nu mailen",
            created_at=THEN + timedelta(days=1),
        )  # fmt: skip
        Evaluation.objects.create(
            community=system.community, series=old.series, person=None, channel="paper",
            satisfaction=3, learned="Mailen. Omar Haddad hielp me, bel 0470 40 50 60",
            created_at=THEN + timedelta(days=1),
        )  # fmt: skip
    with clock.frozen(THEN + timedelta(days=1, hours=1)):
        services.attendance_mark(
            actor=system, registration_id=came.pk, session_id=old.pk, attended=True
        )
        services.attendance_mark(
            actor=system, registration_id=came2.pk, session_id=old.pk, attended=False
        )
    with clock.frozen(NOW - timedelta(days=3)):
        recent = _session(system, NOW + timedelta(days=2))
        kept = _sign_up(system, recent, still_known)
    ids = [old.pk, recent.pk]
    before = _figures(ids)
    with clock.frozen(NOW):
        counts = services.retention_sweep_community(system.community)
        assert counts == {"registrations": 3, "people": 2, "stand_ins": 1}
        # Idempotent: a second run finds nothing more.
        assert services.retention_sweep_community(system.community)["registrations"] == 0
    assert _figures(ids) == before
    for registration in Registration.objects.filter(session=old).select_related("person"):
        person = registration.person
        assert registration.anonymised_at == NOW
        assert person.phone == "" and person.anonymised_at is not None
        assert person.first_name not in {"Marieke", "Omar", "Lien"}
        assert registration.cancel_token_hash == "" and registration.registered_by_label == ""
    # Known only through the old sign-up: anonymised as a person.
    only_here.refresh_from_db()
    assert only_here.anonymised_at is not None and only_here.phone == ""
    # Still signed up for a coming session: keeps their record and that sign-up; the old
    # one now belongs to an anonymous stand-in.
    still_known.refresh_from_db()
    assert (still_known.first_name, still_known.phone) == ("Omar", "+32470405060")
    kept.refresh_from_db()
    assert kept.person_id == still_known.pk and kept.anonymised_at is None
    assert not Registration.objects.filter(session=old, person=still_known).exists()
    # Evaluations: the person's own free text is cleared, another's that names them is scrubbed;
    # the satisfaction figures stay (checked in the figures above).
    own, other = Evaluation.objects.order_by("pk")
    assert own.learned == "" and own.satisfaction == 5
    assert "Omar Haddad" not in other.learned and "0470 40 50 60" not in other.learned
    assert "Mailen" in other.learned


def test_nothing_goes_before_the_period_the_community_chose(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    with clock.frozen(THEN):
        old = _session(system, THEN + timedelta(days=1))
        person = make_person(system, first_name="Ann", phone="0470 77 88 99")
        _sign_up(system, old, person)
    with clock.frozen(NOW):
        services.activity_settings_update(actor=system, retention_months=36, offer_hours=24)
        assert services.retention_sweep_community(system.community)["registrations"] == 0
        person.refresh_from_db()
        assert person.phone == "+32470778899"
        services.activity_settings_update(actor=system, retention_months=12, offer_hours=24)
        assert services.retention_sweep(now=NOW).startswith("registrations: 1")
    person.refresh_from_db()
    assert person.phone == ""


@pytest.mark.parametrize(("months", "hours", "field"), [(0, 24, "retention_months"),
                                                       (121, 24, "retention_months"),
                                                       (24, 0, "offer_hours")])  # fmt: skip
def test_the_period_is_bounded_and_a_refusal_writes_nothing(
    system: Actor, months: int, hours: int, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.activity_settings_update(actor=system, retention_months=months, offer_hours=hours)
    assert field in refused.value.fields
    assert not ActivitySettings.objects.filter(community=system.community).exists()


def test_months_before_keeps_the_day_or_takes_the_months_last() -> None:
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 24) == datetime(2024, 1, 15, tzinfo=UTC)


def test_the_sweep_is_a_daily_job_of_the_worker() -> None:
    from buurtkit.core import scheduler
    from buurtkit.core.scheduler import DailyAt

    job = scheduler.JOBS["activities_retention"]
    assert job.schedule == DailyAt(3, 45, "Europe/Brussels")
    assert job.function() is services.retention_sweep


def test_staff_set_the_period_on_the_settings_page_and_a_wrong_value_stays_typed(
    community: Any, login_client: Callable[..., Any]
) -> None:
    url = f"/{community.slug}/activities/manage/settings/"
    client = login_client(community, "coordinator")
    assert 'value="24"' in client.get(url).content.decode()
    page = client.post(url, {"retention_months": "240", "offer_hours": "12"}).content.decode()
    assert "Kies tussen 1 en 120 maanden" in page and 'value="240"' in page
    assert not ActivitySettings.objects.filter(community=community).exists()
    assert client.post(url, {"retention_months": "6", "offer_hours": "12"}).status_code == 302
    saved = ActivitySettings.objects.get(community=community)
    assert (saved.retention_months, saved.offer_hours) == (6, 12)
    # A volunteer may sign people up but not change how long data is kept.
    assert login_client(community, "volunteer").get(url).status_code == 403


def test_someone_known_in_another_module_keeps_their_record(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    """A row of any other module that points at the person (here: on duty at a digipunt's
    hours) keeps them; only their old sign-up moves to an anonymous stand-in."""
    from datetime import time

    from buurtkit.places.models import OpeningHours

    with clock.frozen(THEN):
        old = _session(system, THEN + timedelta(days=1))
        buddy = make_person(system, first_name="Wim", phone="0470 66 77 88")
        registration = _sign_up(system, old, buddy)
    OpeningHours.objects.create(
        community=system.community, place=old.place, weekday=1, opens=time(9),
        closes=time(12), kind="drop_in", digibuddy=buddy,
    )  # fmt: skip
    with clock.frozen(NOW):
        counts = services.retention_sweep_community(system.community)
    assert counts == {"registrations": 1, "people": 0, "stand_ins": 1}
    buddy.refresh_from_db()
    registration.refresh_from_db()
    assert buddy.anonymised_at is None and buddy.first_name == "Wim"
    assert registration.person_id != buddy.pk and registration.person.phone == ""
