"""The demo's currency history, and the staff overview (totals, weeks, merchants, CSV)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.core.services import community_create
from buurtkit.ledger import selectors, services
from buurtkit.ledger.models import Account, Currency, Transfer
from tests.ledger.conftest import Circle, key, make_circle

BRUSSELS = ZoneInfo("Europe/Brussels")
# A Wednesday afternoon; its week starts on Monday 10 March 2025.
NOW = datetime(2025, 3, 12, 15, 0, tzinfo=BRUSSELS)


def move(circle: Circle, debit: Account, credit: Account, amount: int, kind: str) -> Transfer:
    return services.transfer_create(
        actor=circle.actor,
        debit_account_id=debit.pk,
        credit_account_id=credit.pk,
        amount=amount,
        kind=kind,
        idempotency_key=key(),
    )


@pytest.fixture
def frozen_now() -> Iterator[datetime]:
    with clock.frozen(NOW):
        yield NOW


@pytest.fixture
def busy_circle(system: Actor, frozen_now: datetime) -> Circle:
    """Issued 1000 to the issuer (500 rewarded to Alice) and 200 on paper; then, over 3 weeks,
    payments, paper in and out and a redemption. Expected totals: issued 1200, paper 250,
    redeemed 60, digital 890."""
    with clock.frozen(NOW - timedelta(weeks=3)):
        circle = make_circle(system)
        move(circle, circle.issuance, circle.paper, 200, "issue")
    # Monday 24 Feb 00:30 in Brussels is still Sunday 23 Feb in UTC: it counts for 24 Feb.
    with clock.frozen(datetime(2025, 2, 24, 0, 30, tzinfo=BRUSSELS)):
        move(circle, circle.alice, circle.merchant, 100, "payment")
    with clock.frozen(datetime(2025, 3, 3, 10, 0, tzinfo=BRUSSELS)):
        move(circle, circle.alice, circle.paper, 50, "exchange_out")
        move(circle, circle.alice, circle.bob, 20, "payment")
        wrong = move(circle, circle.alice, circle.merchant, 7, "payment")
        services.transfer_reverse(actor=circle.actor, transfer_id=wrong.pk, idempotency_key=key())
    with clock.frozen(datetime(2025, 3, 10, 9, 0, tzinfo=BRUSSELS)):
        move(circle, circle.merchant, circle.redemption, 60, "redemption")
    return circle


def staff_client(community: Community, make_login: Callable[..., Any], role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_login(community, role))
    return client


# --- the demo ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_history_keeps_the_invariants_and_gives_bewoner_torekes() -> None:
    from buurtkit.ledger import demo as ledger_demo
    from buurtkit.people import demo as people_demo

    community = community_create(name="Rabot", slug="rabot", enabled_modules=["ledger"])
    logins = people_demo.load(community)
    # The demo resident gets a payment PIN so a newcomer can try paying at once.
    assert ledger_demo.load(community) == [("payment PIN", "bewoner", ledger_demo.DEMO_PIN)]
    assert ("resident", "bewoner", people_demo.DEMO_PASSWORD) in logins

    currency = Currency.objects.get(community=community)
    assert (currency.code, currency.decimals, currency.denominations) == ("TOR", 0, [1, 5, 10, 20])
    assert currency.euro_cents_per_unit == 10
    assert selectors.invariant_violations(currency=currency) == []

    me = Account.objects.get(community=community, person__user__username="bewoner")
    assert me.kind == "resident"
    assert 100 <= me.balance <= 1000  # a few hundred torekes to try paying with
    kinds = Counter(Account.objects.filter(community=community).values_list("kind", flat=True))
    assert 110 <= kinds["resident"] <= 130
    assert kinds["merchant"] >= 2 and kinds["organisation"] >= 3 and kinds["system"] == 3

    transfers = Transfer.objects.filter(community=community)
    seen = Counter(transfers.values_list("kind", flat=True))
    for kind in ("issue", "reward", "payment", "exchange_in", "exchange_out", "redemption"):
        assert seen[kind] > 0, kind
    assert 1 <= seen["reversal"] <= 2
    # The paper stock was printed before anyone exchanged paper.
    first_paper = transfers.filter(credit__system_role="paper").order_by("at", "id").first()
    assert first_paper is not None and first_paper.kind == "issue"
    assert not transfers.filter(kind="exchange_in", at__lt=first_paper.at).exists()
    # About four months, ending now.
    now = clock.now()
    oldest = transfers.order_by("at").first()
    newest = transfers.order_by("-at").first()
    assert oldest is not None and newest is not None
    assert timedelta(days=100) < now - oldest.at < timedelta(days=130)
    assert newest.at <= now and now - newest.at < timedelta(days=7)
    # Rewards within 20-60, shop payments within 5-40.
    rewards = transfers.filter(kind="reward").values_list("amount", flat=True)
    assert min(rewards) >= 20 and max(rewards) <= 60
    shop = transfers.filter(kind="payment", credit__kind="merchant").values_list(
        "amount", flat=True
    )
    assert min(shop) >= 5 and max(shop) <= 40


# --- the overview page --------------------------------------------------------------------


def test_overview_shows_the_totals(
    busy_circle: Circle, community: Community, make_login: Callable[..., Any]
) -> None:
    client = staff_client(community, make_login, "coordinator")
    response = client.get(reverse("web:ledger_overview", args=[community.slug]))
    assert response.status_code == 200
    totals = response.context["totals"]
    assert (totals["issued"], totals["paper"], totals["digital"], totals["redeemed"]) == (
        1200,
        250,
        890,
        60,
    )
    html = response.content.decode()
    for text in ("1,200", "250", "890", "60", "€ 6.00", "<svg", "<table"):
        assert text in html, text
    # Merchants are organisations: the shop is named, the residents are not.
    assert "Bakkerij" in html
    assert "Alice" not in html and "Bob" not in html
    [shop] = response.context["merchants"]
    # The corrected payment of 7 is not counted; the one of 100 is.
    assert (shop["payments"], shop["received"], shop["redeemed"], shop["balance"]) == (
        1,
        100,
        60,
        40,
    )


def test_weekly_numbers(busy_circle: Circle) -> None:
    weeks = selectors.weekly_activity(actor=busy_circle.actor, weeks=16)
    assert len(weeks) == 16
    assert weeks[-1].week == date(2025, 3, 10)
    assert weeks[0].week == date(2025, 3, 10) - timedelta(weeks=15)
    by_week = {w.week: w for w in weeks}
    # Week of 17 Feb: issue, reward, paper issue -> issuer and Alice active.
    feb17 = by_week[date(2025, 2, 17)]
    assert (feb17.transfers, feb17.payments, feb17.paid, feb17.active_accounts) == (3, 0, 0, 2)
    # Monday 00:30 Brussels time belongs to the week of 24 Feb, not to the week before.
    feb24 = by_week[date(2025, 2, 24)]
    assert (feb24.transfers, feb24.payments, feb24.paid, feb24.active_accounts) == (1, 1, 100, 2)
    # Week of 3 Mar: exchange out, a payment to Bob, a payment and its correction.
    mar3 = by_week[date(2025, 3, 3)]
    assert (mar3.transfers, mar3.payments, mar3.paid, mar3.active_accounts) == (4, 1, 20, 3)
    mar10 = by_week[date(2025, 3, 10)]
    assert (mar10.transfers, mar10.active_accounts) == (1, 1)
    assert sum(w.transfers for w in weeks) == 9
    assert all(w.transfers == 0 for w in weeks[:-4])


def test_weekly_numbers_on_the_page(
    busy_circle: Circle, community: Community, make_login: Callable[..., Any]
) -> None:
    client = staff_client(community, make_login, "auditor")
    response = client.get(reverse("web:ledger_overview", args=[community.slug]))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r["transfers"] for r in rows[-4:]] == [3, 1, 4, 1]
    assert [r["active"] for r in rows[-4:]] == [2, 2, 3, 1]
    bars = response.context["transfers_chart"]["bars"]
    assert [b.value for b in bars[-4:]] == [3, 1, 4, 1]
    assert bars[-1].current and not bars[-2].current
    tallest = max(bars, key=lambda b: b.height)
    assert tallest.value == 4
    html = response.content.decode()
    assert 'role="img"' in html and "<desc" in html and "<details" in html


def test_csv_has_weeks_and_merchants_but_no_people(
    busy_circle: Circle, community: Community, make_login: Callable[..., Any]
) -> None:
    client = staff_client(community, make_login, "coordinator")
    response = client.get(reverse("web:ledger_overview_csv", args=[community.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert len(header) == 9 and all(len(r) == len(header) for r in body)
    sections = Counter(r[0] for r in body)
    assert sections == {"total": 4, "week": 16, "merchant": 1}
    weeks = {r[1]: r for r in body if r[0] == "week"}
    assert weeks["2025-02-24"][3:7] == ["1", "2", "1", "100"]
    [merchant] = [r for r in body if r[0] == "merchant"]
    assert merchant[2] == "Bakkerij" and merchant[5:9] == ["1", "100", "60", "6.00"]
    totals = {r[2]: r[6] for r in body if r[0] == "total"}
    assert sorted(totals.values(), key=int) == ["60", "250", "890", "1200"]
    for person in busy_circle.alice, busy_circle.bob:
        assert person.name not in text
        assert person.number not in text


def test_overview_without_a_currency(community: Community, make_login: Callable[..., Any]) -> None:
    client = staff_client(community, make_login, "coordinator")
    response = client.get(reverse("web:ledger_overview", args=[community.slug]))
    assert response.status_code == 200
    assert "no currency yet" in response.content.decode()
    response = client.get(reverse("web:ledger_overview_csv", args=[community.slug]))
    assert response.status_code == 200
    assert len(list(csv.reader(io.StringIO(response.content.decode())))) == 1


def test_dashboard_tile_only_for_ledger_view(
    community: Community, make_login: Callable[..., Any]
) -> None:
    url = reverse("web:ledger_overview", args=[community.slug])
    home = reverse("web:community", args=[community.slug])
    assert url in staff_client(community, make_login, "coordinator").get(home).content.decode()
    assert url not in staff_client(community, make_login, "volunteer").get(home).content.decode()


# --- permissions and tenant isolation -----------------------------------------------------


@pytest.mark.parametrize("name", ["web:ledger_overview", "web:ledger_overview_csv"])
def test_volunteer_gets_403(
    name: str, busy_circle: Circle, community: Community, make_login: Callable[..., Any]
) -> None:
    client = staff_client(community, make_login, "volunteer")
    assert client.get(reverse(name, args=[community.slug])).status_code == 403
    resident = staff_client(community, make_login, "resident")
    assert resident.get(reverse(name, args=[community.slug])).status_code == 403
    anonymous = Client().get(reverse(name, args=[community.slug]))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


@pytest.mark.parametrize("name", ["web:ledger_overview", "web:ledger_overview_csv"])
def test_other_community_staff_cannot_open_the_overview(
    name: str,
    busy_circle: Circle,
    community: Community,
    other_community: Community,
    make_login: Callable[..., Any],
) -> None:
    client = staff_client(other_community, make_login, "coordinator")
    response = client.get(reverse(name, args=[community.slug]))
    assert response.status_code == 403
    assert b"Bakkerij" not in response.content


def test_totals_and_weeks_never_include_another_community(
    busy_circle: Circle,
    community: Community,
    other_system: Actor,
    other_community: Community,
    make_login: Callable[..., Any],
) -> None:
    with clock.frozen(NOW - timedelta(days=1)):
        other = make_circle(other_system, funds=5000)
        move(other, other.alice, other.merchant, 333, "payment")
        move(other, other.merchant, other.redemption, 111, "redemption")
    client = staff_client(community, make_login, "coordinator")
    response = client.get(reverse("web:ledger_overview", args=[community.slug]))
    totals = response.context["totals"]
    assert (totals["issued"], totals["paper"], totals["digital"], totals["redeemed"]) == (
        1200,
        250,
        890,
        60,
    )
    assert [r["transfers"] for r in response.context["rows"][-4:]] == [3, 1, 4, 1]
    assert [m["received"] for m in response.context["merchants"]] == [100]
    text = client.get(reverse("web:ledger_overview_csv", args=[community.slug])).content.decode()
    assert "333" not in text and "111" not in text and "5000" not in text
    # And the other way round.
    other_client = staff_client(other_community, make_login, "coordinator")
    theirs = other_client.get(reverse("web:ledger_overview", args=[other_community.slug]))
    assert theirs.context["totals"]["issued"] == 5000
    assert theirs.context["totals"]["redeemed"] == 111
    assert [m["received"] for m in theirs.context["merchants"]] == [333]
