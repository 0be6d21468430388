"""The staff overview of activities: figures counted against a hand-built world, per period,
per municipality and in Brussels time; the exports without names, the one with names only
with its permission and in the log; the monthly brochure read back from the PDF."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from buurtkit.activities import selectors_figures, services
from buurtkit.activities.models import Registration
from buurtkit.audit.models import AuditEvent
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.people.models import Person
from buurtkit.places import services as places_services

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday
SIGN_UP_AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
_n = itertools.count(1)


@pytest.fixture(autouse=True)
def _dutch() -> Any:
    """The labels below are Dutch: say so, whatever an earlier test on this worker left active
    (a page asked in French leaves French active in the thread)."""
    with translation.override("nl"):
        yield


def _at(day: str, hour: float = 13) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=hour)
    return start, start + timedelta(hours=2)


@pytest.fixture
def world(system: Actor, make_person: Callable[..., Person]) -> dict[str, Any]:
    """Two municipalities with a digipunt each; an IT café and a course; five people.

    s0 starts 30 November 23:30 UTC: 1 December in Brussels (a December session).
    """
    n = next(_n)
    with clock.frozen(SIGN_UP_AT):
        kortrijk = places_services.municipality_create(actor=system, name=f"Kortrijk {n}")
        heule = places_services.municipality_create(actor=system, name=f"Heule {n}")
        a = places_services.place_create(
            actor=system, name=f"Digipunt Centrum {n}", kind="digipunt",
            municipality_id=kortrijk.pk, neighbourhood="Centrum", phone="056 27 00 00",
        )  # fmt: skip
        b = places_services.place_create(
            actor=system, name=f"Bib Heule {n}", kind="digipunt",
            municipality_id=heule.pk, neighbourhood="Heule-dorp",
        )  # fmt: skip
        (topic, *_rest) = services.categories_ensure_defaults(actor=system)
        cafe = services.series_create(
            actor=system, kind="it_cafe", title={"nl": "IT-café", "fr": "Café IT"}
        )
        course = services.series_create(
            actor=system, kind="course", category_id=topic.pk, title={"nl": "Veilig online"}
        )

        def session(series: Any, place: Any, when: tuple[datetime, datetime], seats: int) -> Any:
            return services.session_add(
                actor=system, series_id=series.pk, place_id=place.pk,
                starts_at=when[0], ends_at=when[1], capacity=seats,
            )  # fmt: skip

        s0 = session(cafe, a, (datetime(2026, 11, 30, 23, 30, tzinfo=UTC),
                               datetime(2026, 12, 1, 0, 30, tzinfo=UTC)), 1)  # fmt: skip
        s1 = session(cafe, a, _at("2026-11-10"), 4)
        s2 = session(cafe, a, _at("2026-12-01"), 3)
        s3 = session(course, b, _at("2026-12-02"), 2)
        s4 = session(cafe, b, _at("2026-12-08"), 2)  # this week, still to come
        p1, p2, p3, p4, p5 = (
            make_person(system, first_name=name, last_name="Figuur", neighbourhood=hood)
            for name, hood in (
                ("Anna", "Rabot"), ("Bert", "Rabot"), ("Carla", "Sluizeken"),
                ("Dirk", ""), ("Emma", ""),
            )
        )  # fmt: skip
        plan = {
            s0: [(p5, True)],
            s1: [(p1, True), (p2, True), (p3, False)],
            s2: [(p1, True), (p3, True), (p4, False)],
            s3: [(p1, True), (p2, True), (p5, None)],  # Emma waits
            s4: [(p2, None), (p3, None), (p4, None)],  # Dirk waits
        }
        for s, rows in plan.items():
            for person, _came in rows:
                services.registration_create(
                    actor=system, session_id=s.pk, person_id=person.pk, channel="desk"
                )
    for s, rows in plan.items():
        for person, came in rows:
            if came is not None and s is not s4:
                registration = Registration.objects.get(session=s, person=person)
                services.attendance_mark(
                    actor=system, registration_id=registration.pk, session_id=s.pk, attended=came
                )
    return {"kortrijk": kortrijk, "heule": heule, "topic": topic, "sessions": [s0, s1, s2, s3, s4]}


def _figures(actor: Actor, **kwargs: Any) -> dict[str, Any]:
    with clock.frozen(NOW):
        return selectors_figures.activity_figures(actor=actor, **kwargs)


def _rows(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["label"], r["months"], r["total"], r["people"]) for r in rows]


def test_december_figures_match_the_world(system: Actor, world: dict[str, Any]) -> None:
    f = _figures(system, period="month", day=date(2026, 12, 1))
    assert f["totals"] == {
        "sessions": 4,  # s0 (1 December in Brussels), s2, s3, s4
        "seats": 8,
        "signed_up": 8,
        "fill_rate": 100,
        "attended": 5,
        "no_show": 1,
        "no_show_rate": 17,  # 1 of 6
        "cancelled": 0,
        "waiting": 2,
        "people": 4,  # Anna, Bert, Carla, Emma
    }
    assert _rows(f["per_kind"]) == [("IT-café", [3], 3, 3), ("cursus", [2], 2, 2)]
    topic = world["topic"].name["nl"]
    assert _rows(f["per_category"]) == [(topic, [2], 2, 2), ("geen categorie", [3], 3, 3)]
    assert _rows(f["per_neighbourhood"]) == [
        ("Rabot", [3], 3, 2),
        ("Sluizeken", [1], 1, 1),
        ("niet gekend", [1], 1, 1),
    ]
    assert f["waiting_lists"] == {"people": 1, "sessions": 1}  # s4; s3's list is over
    assert f["week"]["monday"] == date(2026, 12, 7)
    assert [(s["id"], s["fill_rate"], s["waiting"]) for s in f["week"]["sessions"]] == [
        (world["sessions"][4].pk, 100, 1)
    ]
    municipalities = {r["municipality"]: r for r in f["per_municipality"]}
    heule = municipalities[world["heule"].name]
    kortrijk = municipalities[world["kortrijk"].name]
    assert (heule["sessions"], heule["attended"], heule["no_show"], heule["people"]) == (2, 2, 0, 2)
    assert (kortrijk["sessions"], kortrijk["attended"], kortrijk["no_show"], kortrijk["people"]) == (
        2, 3, 1, 3,
    )  # fmt: skip
    assert kortrijk["no_show_rate"] == 25
    trend = {row["month"]: (row["participants"], row["people"]) for row in f["trend"]}
    assert len(trend) == 12 and trend[date(2026, 11, 1)] == (2, 2)
    assert trend[date(2026, 12, 1)] == (5, 4) and trend[date(2026, 1, 1)] == (0, 0)


def test_a_municipality_quarter_and_november(system: Actor, world: dict[str, Any]) -> None:
    heule = _figures(system, day=date(2026, 12, 15), municipality_id=world["heule"].pk)
    assert (heule["totals"]["sessions"], heule["totals"]["attended"]) == (2, 2)
    assert heule["waiting_lists"] == {"people": 1, "sessions": 1}
    assert heule["per_municipality"] == []
    kortrijk = _figures(system, day=date(2026, 12, 15), municipality_id=world["kortrijk"].pk)
    assert kortrijk["week"]["sessions"] == [] and kortrijk["waiting_lists"]["people"] == 0

    quarter = _figures(system, period="quarter", day=date(2026, 11, 3))
    assert (quarter["period"].first, quarter["period"].after) == (
        date(2026, 10, 1),
        date(2027, 1, 1),
    )
    totals = quarter["totals"]
    assert (totals["sessions"], totals["attended"], totals["no_show"]) == (5, 7, 2)
    assert (totals["no_show_rate"], totals["people"]) == (22, 4)
    assert _rows(quarter["per_kind"])[0] == ("IT-café", [0, 2, 3], 5, 4)

    november = _figures(system, period="month", day=date(2026, 11, 30))
    assert (november["totals"]["sessions"], november["totals"]["no_show_rate"]) == (1, 33)
    year = _figures(system, period="year", day=date(2026, 6, 1))
    assert len(year["period"].months) == 12 and year["totals"]["attended"] == 7


def test_another_community_counts_nothing_of_ours(
    world: dict[str, Any], other_system: Actor
) -> None:
    f = _figures(other_system, day=date(2026, 12, 1))
    assert f["totals"]["sessions"] == 0 and f["totals"]["people"] == 0
    assert f["per_kind"] == [] and f["waiting_lists"] == {"people": 0, "sessions": 0}


def test_the_overview_page(
    community: Community, world: dict[str, Any], login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "auditor")
    with clock.frozen(NOW):
        page = client.get(
            f"/{community.slug}/activities/figures/", {"period": "month", "at": "2026-12"}
        ).content.decode()
    assert "<svg" in page and "december 2026" in page
    assert "Rabot" in page and "IT-café" in page
    assert "/activities/figures/export/attendance/" in page
    assert "/activities/figures/export/names/" not in page  # an auditor may not
    with clock.frozen(NOW):
        other = client.get(f"/{community.slug}/activities/figures/", {"period": "week"})
        assert other.status_code == 200  # an unknown period: the month


def _csv(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_exports_hold_counts_not_names(
    community: Community, world: dict[str, Any], login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "staff")
    base = f"/{community.slug}/activities/figures/export"
    with clock.frozen(NOW):
        attendance = client.get(f"{base}/attendance/", {"at": "2026-12"})
        figures = client.get(f"{base}/figures/", {"at": "2026-12", "fmt": "xlsx"})
        names = client.get(f"{base}/names/", {"at": "2026-12"})
    rows = _csv(attendance)
    assert len(rows) == 5  # the header and December's four sessions
    s2 = next(r for r in rows if r[0] == "2026-12-01" and r[1] == "14:00")
    assert s2[3] == "IT-café" and s2[-6:] == ["3", "3", "2", "1", "0", "0"]
    text = attendance.content.decode("utf-8-sig") + str(
        [
            c.value
            for row in load_workbook(io.BytesIO(figures.content)).active.iter_rows()
            for c in row
        ]
    )
    for name in ("Anna", "Bert", "Carla", "Figuur"):
        assert name not in text
    assert "Rabot" in text  # a neighbourhood is a count, not a person
    assert names.status_code == 403  # staff have no permission for names


def test_the_export_with_names_is_logged(
    community: Community, world: dict[str, Any], login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "coordinator")
    before = AuditEvent.objects.filter(community=community, verb="activities.names_exported")
    assert before.count() == 0
    with clock.frozen(NOW):
        response = client.get(
            f"/{community.slug}/activities/figures/export/names/",
            {"at": "2026-12", "municipality": world["heule"].pk},
        )
    rows = _csv(response)
    assert ("Anna", "Figuur", "aanwezig") in {(r[8], r[9], r[10]) for r in rows[1:]}
    assert all(r[7] == world["heule"].name for r in rows[1:])
    assert "Carla" in response.content.decode("utf-8-sig")  # Carla, in s4 at Heule
    event = AuditEvent.objects.get(community=community, verb="activities.names_exported")
    assert (
        event.data["first"] == "2026-12-01" and event.data["municipality_id"] == world["heule"].pk
    )


# --- the monthly brochure ---------------------------------------------------------------------


def _pdf(content: bytes) -> tuple[str, list[str], Any]:
    import pypdf
    import pypdfium2 as pdfium

    reader = pypdf.PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    codes: list[str] = []
    zxingcpp = pytest.importorskip("zxingcpp")
    document = pdfium.PdfDocument(content)
    try:
        image = document[0].render(scale=4).to_pil()
    finally:
        document.close()
    codes = sorted(r.text for r in zxingcpp.read_barcodes(image))
    return text, codes, reader.metadata


def test_the_brochure_lists_the_month_by_week_with_a_code_to_the_portal(
    settings: Any, community: Community, world: dict[str, Any], system: Actor
) -> None:
    settings.PUBLIC_URL = "https://buurt.example.be"
    hidden = services.series_create(
        actor=system, kind="open_lab", title={"nl": "Geheim lab"}, published=False
    )
    with clock.frozen(SIGN_UP_AT):
        services.session_add(
            actor=system, series_id=hidden.pk, place_id=world["sessions"][0].place_id,
            starts_at=_at("2026-12-03")[0], ends_at=_at("2026-12-03")[1], capacity=3,
        )  # fmt: skip
    client = Client()
    url = f"/{community.slug}/activities/brochure.pdf"
    with clock.frozen(NOW):
        dutch = client.get(url, {"month": "2026-12"}, HTTP_ACCEPT_LANGUAGE="nl")
        french = client.get(url, {"month": "2026-12"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert dutch.status_code == 200 and dutch["Content-Type"] == "application/pdf"
    text, codes, meta = _pdf(dutch.content)
    portal = f"https://buurt.example.be/{community.slug}/activities/"
    assert codes == [portal] and meta.subject == portal
    assert "Cursussen en IT-cafés in december 2026" in text
    assert portal in text  # the address written out, for those without a camera
    assert "Week van 30 november" in text and "Week van 7 december" in text
    # 1 December in Brussels (30 November 23:30 UTC) is under Tuesday 1 December.
    assert text.index("Dinsdag 1 december") < text.index("00:30–01:30 IT-café")
    assert "14:00–16:00 Veilig online" in text and "056 27 00 00" in text
    assert "Cursus · Informatie zoeken · gratis" in text  # what it is, in plain words
    assert "Geheim lab" not in text  # not published
    assert "10 november" not in text  # another month
    french_text, _codes, _meta = _pdf(french.content)
    assert "Cours et cafés IT en décembre 2026" in french_text and "Café IT" in french_text


def test_an_empty_month_says_so(community: Community, world: dict[str, Any]) -> None:
    response = Client().get(f"/{community.slug}/activities/brochure.pdf", {"month": "2030-05"})
    text, codes, _meta = _pdf(response.content)
    assert "Deze maand is er nog niets gepland" in text and len(codes) == 1


# --- the public programme's filters -----------------------------------------------------------


def test_the_programme_filters_by_day_neighbourhood_and_near_a_place(
    community: Community, other_community: Community, world: dict[str, Any], system: Actor,
    other_system: Actor,
) -> None:  # fmt: skip
    s0, _s1, _s2, s3, _s4 = world["sessions"]
    centrum, heule = s0.place, s3.place
    with clock.frozen(SIGN_UP_AT):
        n = next(_n)
        wijkhuis = places_services.place_create(
            actor=system, name=f"Wijkhuis {n}", kind="partner_venue",
            municipality_id=world["kortrijk"].pk, neighbourhood="centrum",
        )  # fmt: skip
        station = places_services.place_create(
            actor=system, name=f"Station {n}", kind="digipunt", postcode="8500"
        )
        overleie = places_services.place_create(
            actor=system, name=f"Overleie {n}", kind="digipunt", postcode="8500",
            neighbourhood="Overleie",
        )  # fmt: skip
        elsewhere = places_services.place_create(actor=other_system, name="Elders", kind="digipunt")
        cafe = s0.series
        titles = {}
        for day, place in (("2026-12-10", centrum), ("2026-12-11", wijkhuis),
                           ("2026-12-12", heule), ("2026-12-14", station),
                           ("2026-12-15", overleie)):  # fmt: skip
            titles[day] = services.session_add(
                actor=system, series_id=cafe.pk, place_id=place.pk,
                starts_at=_at(day)[0], ends_at=_at(day)[1], capacity=5,
            )  # fmt: skip

    def days(**params: Any) -> list[str]:
        with clock.frozen(NOW):
            response = Client().get(f"/{community.slug}/activities/", params)
        assert response.status_code == 200
        page = response.context["page"]
        return [s.starts_at.date().isoformat() for s in page]

    everything = [
        "2026-12-08",
        "2026-12-10",
        "2026-12-11",
        "2026-12-12",
        "2026-12-14",
        "2026-12-15",
    ]
    assert days() == everything
    assert days(**{"from": "2026-12-11"}) == everything[2:]
    assert days(hood="Heule-dorp") == ["2026-12-08", "2026-12-12"]
    assert days(hood="Nergens") == everything  # not a neighbourhood of the programme: ignored
    # Near the Centrum digipunt: there, and at the Wijkhuis in the same neighbourhood.
    assert days(near=centrum.pk) == ["2026-12-10", "2026-12-11"]
    # Near the station (no neighbourhood): there, and Overleie with the same postcode.
    assert days(near=station.pk) == ["2026-12-14", "2026-12-15"]
    assert days(near=overleie.pk, **{"from": "2026-12-15"}) == ["2026-12-15"]
    assert days(near=elsewhere.pk) == []  # another community's place
    with clock.frozen(NOW):
        page = Client().get(f"/{community.slug}/activities/").content.decode()
    assert 'name="near"' in page and 'name="hood"' in page and 'type="date"' in page
    assert f"Station {n}" in page and "Elders" not in page
    assert "/activities/brochure.pdf" in page


def test_the_api_gives_the_same_figures(
    community: Community, world: dict[str, Any], api: Callable[..., Client]
) -> None:
    client = api(community, ["auditor"])
    with clock.frozen(NOW):
        body = client.get(
            "/api/v1/activities/figures",
            {"period": "quarter", "at": "2026-11-03", "municipality_id": world["kortrijk"].pk},
        ).json()
        wrong = client.get("/api/v1/activities/figures", {"at": "1999-12-31"})
    assert (body["first"], body["last"], body["months"]) == (
        "2026-10-01", "2026-12-31", ["2026-10", "2026-11", "2026-12"],
    )  # fmt: skip
    # Kortrijk: s0, s1, s2 at the Centrum digipunt.
    assert (body["totals"]["sessions"], body["totals"]["attended"], body["totals"]["no_show"]) == (
        3, 5, 2,
    )  # fmt: skip
    assert body["per_kind"] == [
        {"key": "it_cafe", "label": "IT-café", "months": [0, 2, 3], "total": 5, "people": 4}
    ]
    assert {r["key"] for r in body["per_neighbourhood"]} == {"Rabot", "Sluizeken", ""}
    assert body["per_municipality"] == [] and body["week"] == []
    assert wrong.status_code == 422 and "at" in wrong.json()["fields"]
