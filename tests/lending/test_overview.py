"""The device bank's staff overview on a known world: stock, requests and waiting time,
hand-overs per month and per partner, households online, loans due and overdue, repairs open;
split per municipality; the exports carry no personal data."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import PermissionDenied
from buurtkit.core.models import Community
from buurtkit.lending import selectors, services
from buurtkit.people import services as people
from buurtkit.places import services as places
from tests.lending.ops_world import available, devices, hand_over, referral, step

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 15, 11, 0, tzinfo=UTC)  # 12:00 in Brussels
TODAY = date(2026, 11, 15)
SECRET = "Annelies Vermeulen"  # a resident's name: never in an overview or an export


def _place(system: Actor, name: str, postcode: str) -> int:
    return places.place_create(actor=system, name=name, kind="digipunt", postcode=postcode).pk


def _world(system: Actor) -> dict[str, Any]:
    gent = places.municipality_create(actor=system, name="Gent", postcodes=["9000"])
    evergem = places.municipality_create(actor=system, name="Evergem", postcodes=["9940"])
    p_gent, p_ev = _place(system, "Bib", "9000"), _place(system, "Uitleenpunt", "9940")
    ocmw = people.organisation_create(
        actor=system, name="OCMW Gent", slug="ocmw", kind="social_welfare"
    )
    person = people.person_create(actor=system, first_name="Annelies", last_name="Vermeulen")

    # Stock at Gent: 2 laptops available, 1 just received; 3 more for hand-overs.
    at_gent = devices(system, 6, place_id=p_gent, brand='=HYPERLINK("http://evil.example/")')
    available(system, at_gent[0])
    available(system, at_gent[1])
    # Evergem: a tablet for residents (available), a tablet of the place's own (checked).
    tablets = devices(system, 3, kind="tablet", place_id=p_ev)
    available(system, tablets[0])
    step(system, tablets[1], "wiped", "checked")
    # Nowhere: one written off.
    gone = devices(system, 1)[0]
    step(system, gone, "written_off")

    # Requests: two waiting (10 and 4 days), one approved, one refused, one served: a device
    # set aside after 6 days (handed over later: the wait ends when the device bank matched).
    for days, state in ((10, "waiting"), (4, "waiting"), (2, "approved"), (20, "refused")):
        referral(system, ocmw.pk, state=state, filed_at=NOW - timedelta(days=days))
    served = referral(
        system,
        ocmw.pk,
        state="handed_over",
        filed_at=NOW - timedelta(days=70),
        matched_at=NOW - timedelta(days=64),  # a device set aside after 6 days
    )

    # Hand-overs: Gent this month (a loan, overdue), Gent again later for the same person
    # (a loan due in 5 days: the household is counted once, with its latest connection),
    # Evergem two months ago on referral (a gift of two tablets, not online), and one 13
    # months ago without place (outside the chart's window).
    hand_over(system, [at_gent[2]], person_id=person.pk, place_id=p_gent,
              at=NOW - timedelta(days=10), connectivity="none", due_on=TODAY - timedelta(days=3))  # fmt: skip
    hand_over(system, [at_gent[3]], person_id=person.pk, place_id=p_gent,
              at=NOW - timedelta(days=2), connectivity="social_tariff", due_on=TODAY + timedelta(days=5))  # fmt: skip
    hand_over(system, [tablets[2], devices(system, 1, kind="tablet", place_id=p_ev)[0]],
              kind="gift", organisation_id=ocmw.pk, referral=served, place_id=p_ev,
              at=served.filed_at + timedelta(days=9), connectivity="none")  # fmt: skip
    hand_over(system, [at_gent[4]], kind="sale", at=NOW - timedelta(days=400),
              connectivity="voucher")  # fmt: skip
    # Repairs: one open at Evergem (in stock there), one in repair of the Gent loan.
    services.repair_open(actor=system, device_id=tablets[0].pk, problem=f"{SECRET} zegt: stuk")
    loaned = services.repair_open(actor=system, device_id=at_gent[2].pk, problem="Scherm")
    services.repair_start(actor=system, ticket_id=loaned.pk)
    return {"gent": gent, "evergem": evergem, "ocmw": ocmw}


def test_the_figures_of_a_known_world(system: Actor) -> None:
    _world(system)
    with clock.frozen(NOW):
        f = selectors.lending_overview(actor=system)

    stock = f["stock"]
    assert stock["total"] == 11
    assert stock["by_state"] == {
        "available": 3,  # two laptops at Gent; the Evergem tablet reported broken, not taken in
        "received": 1,
        "checked": 1,
        "handed_over": 4,
        "in_repair": 1,  # a loaned laptop, brought in: in the digibank's hands again
        "written_off": 1,
    }
    assert stock["in_stock"] == 11 - 4 - 1
    assert stock["by_kind"]["tablet"]["total"] == 4
    assert stock["by_pool"]["handout"]["total"] == 11

    r = f["referrals"]
    assert r["waiting"] == 3 and r["by_state"]["refused"] == 1
    assert r["average_wait_days"] == 6.0 and r["served"] == 1  # until set aside, not handed
    assert r["waiting_now_days"] == round((10 + 4 + 2) / 3, 1)

    h = f["handovers"]
    assert [m["month"] for m in h["months"]][-1] == date(2026, 11, 1)
    assert len(h["months"]) == 12 and h["months"][0]["month"] == date(2025, 12, 1)
    by_month = {m["month"]: (m["handovers"], m["devices"]) for m in h["months"]}
    assert by_month[date(2026, 11, 1)] == (2, 2)
    assert by_month[date(2026, 9, 1)] == (1, 2)  # filed 70 days ago, handed over 9 days later
    assert h["total"] == 3  # the one 13 months ago is outside the chart
    assert h["by_kind"] == {"gift": 1, "loan": 2, "sale": 0}
    partners = {p["partner"]: p for p in h["per_partner"]}
    assert partners["OCMW Gent"]["gift"] == 1 and partners["OCMW Gent"]["total"] == 1

    households = f["households"]
    assert households["total"] == 3  # the person once, the referral, the sale
    assert households["online"] == 2  # social tariff (latest for the person) and the voucher
    assert households["by_connectivity"]["none"] == 1

    assert f["loans"] == {"open": 2, "overdue": 1, "due_soon": 1, "lost": 0}
    assert f["repairs"]["open"] == 2 and f["repairs"]["in_repair"] == 1


def test_the_overview_and_the_queue_show_one_waiting_time(system: Actor) -> None:
    # One computation (selectors.referral_wait_stats) feeds both pages: the same figures.
    _world(system)
    with clock.frozen(NOW):
        overview = selectors.lending_overview(actor=system)["referrals"]
        queue = selectors.referral_wait_stats(actor=system)
    assert overview["average_wait_days"] == queue["average_wait_days"] == 6.0
    assert overview["served"] == queue["matched"] == 1
    assert overview["waiting_now_days"] == queue["waiting_now_days"] == round(16 / 3, 1)


def test_the_figures_per_municipality(system: Actor) -> None:
    world = _world(system)
    with clock.frozen(NOW):
        ev = selectors.lending_overview(actor=system, municipality_id=world["evergem"].pk)
        gent = selectors.lending_overview(actor=system, municipality_id=world["gent"].pk)
        rows = {
            r["municipality"]: r
            for r in selectors.lending_overview(actor=system)["per_municipality"]
        }
    assert ev["municipality"] == world["evergem"]
    assert ev["stock"]["total"] == 4 and ev["stock"]["in_stock"] == 2
    assert ev["handovers"]["total"] == 1 and ev["households"] == {
        "total": 1, "online": 0,
        "by_connectivity": {"own": 0, "social_tariff": 0, "voucher": 0, "public": 0, "none": 1, "unknown": 0},
    }  # fmt: skip
    assert ev["loans"]["open"] == 0 and ev["repairs"]["open"] == 1
    assert gent["handovers"]["total"] == 2 and gent["loans"]["overdue"] == 1
    assert gent["repairs"]["open"] == 1 and gent["households"]["online"] == 1
    assert ev["per_municipality"] == []
    assert rows["Gent"]["in_stock"] == 4 and rows["Gent"]["loans_overdue"] == 1
    assert rows["Evergem"]["handovers"] == 1 and rows["Evergem"]["repairs_open"] == 1
    assert rows["—"]["handovers"] == 1 and rows["—"]["in_stock"] == 0
    total = sum(r["handovers"] for r in rows.values())
    assert total == 4  # every hand-over counted once


def test_the_overview_needs_lending_view(system: Actor) -> None:
    for role_permissions in (frozenset(), frozenset({"lending.refer"})):
        actor = Actor(community=system.community, label="x", permissions=role_permissions)
        with pytest.raises(PermissionDenied):
            selectors.lending_overview(actor=actor)


def test_another_communitys_rows_are_not_counted(system: Actor, other_system: Actor) -> None:
    _world(system)
    with clock.frozen(NOW):
        f = selectors.lending_overview(actor=other_system)
    assert f["stock"]["total"] == 0 and f["handovers"]["total"] == 0
    assert f["referrals"]["waiting"] == 0 and f["repairs"]["open"] == 0


# --- pages, API and exports -----------------------------------------------------------------------


def test_the_overview_page_draws_the_chart_and_the_tables(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    world = _world(system)
    client = login_client(community, "auditor")
    with clock.frozen(NOW):
        page = client.get("/rabot/lending/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and 'class="bar' in html and "Hand-overs per month" in html
    assert "OCMW Gent" in html and "Evergem" in html
    assert SECRET not in html and "Vermeulen" not in html
    one = client.get(
        f"/rabot/lending/?municipality={world['evergem'].pk}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert one.status_code == 200 and "Device bank: Evergem" in one.content.decode()
    assert login_client(community, "referrer").get("/rabot/lending/").status_code == 403


def test_the_api_answers_the_figures(
    community: Community, system: Actor, api: Callable[..., Client]
) -> None:
    world = _world(system)
    client = api(community, ["auditor"])
    with clock.frozen(NOW):
        body = client.get("/api/v1/lending/overview").json()
    assert body["stock"]["total"] == 11 and body["loans"]["open"] == 2
    assert len(body["handovers"]["months"]) == 12 and body["handovers"]["total"] == 3
    assert body["handovers"]["months"][-1] == {"month": "2026-11", "handovers": 2, "devices": 2}
    assert len(body["per_municipality"]) == 3
    one = client.get(f"/api/v1/lending/overview?municipality_id={world['gent'].pk}").json()
    assert one["municipality"] == {"id": world["gent"].pk, "name": "Gent"}
    assert one["per_municipality"] == []
    assert client.get("/api/v1/lending/overview?municipality_id=999999").status_code == 404
    assert api(community, ["referrer"]).get("/api/v1/lending/overview").status_code == 403


def _rows(response: Any) -> list[list[Any]]:
    if response["Content-Disposition"].endswith('.xlsx"'):
        sheet = load_workbook(io.BytesIO(response.content)).active
        return [["" if c.value is None else c.value for c in row] for row in sheet.iter_rows()]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_exports_hold_no_personal_data(
    fmt: str, community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    _world(system)
    client = login_client(community, "coordinator")
    found = {}
    for what in ("devices", "handovers", "loans", "repairs"):
        response = client.get(f"/rabot/lending/export/{what}/?fmt={fmt}", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert "attachment" in response["Content-Disposition"]
        rows = _rows(response)
        text = " ".join(str(c) for row in rows for c in row)
        assert "Annelies" not in text and "Resident" not in text  # names, the signed name
        assert "K-1" not in text  # the partner's client reference
        assert "zegt" not in text  # what was typed about the problem
        found[what] = rows
    assert len(found["devices"]) == 12  # header + 11 devices
    brand = found["devices"][1][2]
    assert str(brand).startswith("'=")  # typed text never runs as a formula
    months = {(r[0], r[1], r[2]) for r in found["handovers"][1:]}
    assert ("2026-11", "", "loan") in months and ("2026-09", "OCMW Gent", "gift") in months
    gift = next(r for r in found["handovers"][1:] if r[1] == "OCMW Gent")
    assert [int(x) for x in gift[4:7]] == [1, 2, 0] and gift[3] == "Evergem"
    assert len(found["loans"]) == 3 and len(found["repairs"]) == 3


def test_exports_need_lending_view(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "referrer")
    assert client.get("/rabot/lending/export/devices/").status_code == 403
