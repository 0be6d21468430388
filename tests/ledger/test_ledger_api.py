"""The ledger through the JSON API: accounts, transfers with Idempotency-Key, statements.

Every refused request is checked to have written nothing: no transfer, no audit event, no
balance changed.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from buurtkit.audit.models import AuditEvent
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.ledger import services
from buurtkit.ledger.models import Account, Transfer
from buurtkit.ledger.numbers import format_account_number
from buurtkit.people.models import Person
from tests.api.apispec import assert_error
from tests.ledger.conftest import Circle, key, make_circle, refresh

JSON = "application/json"
L = "/api/v1/ledger"


@pytest.fixture
def coordinator(api: Callable[..., Client], circle: Circle) -> Client:
    return api(circle.currency.community, ["coordinator"])


def _pay(
    client: Client,
    debit: Account | int,
    credit: Account | int,
    amount: Any,
    idem: str | None = "fresh",
    query: str = "",
    **extra: Any,
) -> Any:
    body = {
        "debit_account_id": debit if isinstance(debit, int) else debit.pk,
        "credit_account_id": credit if isinstance(credit, int) else credit.pk,
        "amount": amount,
        **extra,
    }
    headers = {}
    if idem is not None:
        headers["Idempotency-Key"] = key() if idem == "fresh" else idem
    return client.post(
        f"{L}/transfers{query}", json.dumps(body), content_type=JSON, headers=headers
    )


def _written() -> tuple[int, int, list[int]]:
    """What a refused request must leave as it was."""
    return (
        Transfer.objects.count(),
        AuditEvent.objects.count(),
        list(Account.objects.order_by("pk").values_list("balance", flat=True)),
    )


def _items(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return response.json()["items"]  # type: ignore[no-any-return]


# --- currency and accounts -----------------------------------------------------------------


def test_currency(coordinator: Client) -> None:
    data = coordinator.get(f"{L}/currency").json()
    assert data["code"] == "TOR"
    assert data["decimals"] == 0
    assert data["denominations"] == [1, 5, 10, 20]
    assert data["names"]["nl"] == {"singular": "toreke", "plural": "torekes"}
    assert data["euro_cents_per_unit"] == 10


def test_no_currency_yet_is_not_found(api: Callable[..., Client], other_community: Any) -> None:
    client = api(other_community, ["coordinator"])
    assert_error(client.get(f"{L}/currency"), 404, "not_found")
    assert_error(client.get(f"{L}/overview"), 404, "not_found")


def test_accounts_list_search_and_detail(coordinator: Client, circle: Circle) -> None:
    items = _items(coordinator.get(f"{L}/accounts"))
    assert {a["id"] for a in items} == set(
        Account.objects.filter(currency=circle.currency).values_list("id", flat=True)
    )

    (alice,) = _items(coordinator.get(f"{L}/accounts?q=alice"))
    assert alice["id"] == circle.alice.pk
    assert alice["number"] == circle.alice.number
    assert alice["number_formatted"] == format_account_number(circle.alice.number)
    assert len(alice["number_formatted"]) == 11 and alice["number_formatted"][4] == " "
    assert (alice["balance"], alice["balance_minor"]) == ("500", 500)
    assert (alice["lower_limit"], alice["lower_limit_minor"]) == ("0", 0)
    assert alice["kind"] == "resident" and alice["frozen"] is False
    assert alice["currency"] == "TOR"

    by_number = _items(coordinator.get(f"{L}/accounts?q={circle.merchant.number[:5]}"))
    assert circle.merchant.pk in {a["id"] for a in by_number}
    merchants = _items(coordinator.get(f"{L}/accounts?kind=merchant"))
    assert [a["id"] for a in merchants] == [circle.merchant.pk]

    detail = coordinator.get(f"{L}/accounts/{circle.alice.pk}").json()
    assert detail == alice


def test_paginated(coordinator: Client) -> None:
    body = coordinator.get(f"{L}/accounts?limit=2&offset=1").json()
    assert body["count"] == 7 and len(body["items"]) == 2


def test_find_payee_by_typed_number(coordinator: Client, circle: Circle) -> None:
    typed = format_account_number(circle.merchant.number)  # "1234 5678 9", as read out
    response = coordinator.get(f"{L}/accounts/by-number/{typed}")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "id": circle.merchant.pk,
        "number": circle.merchant.number,
        "number_formatted": typed,
        "name": "Bakkerij",
        "kind": "merchant",
    }  # no balance

    # One digit wrong: the check digit catches it.
    wrong = circle.merchant.number[:-1] + str((int(circle.merchant.number[-1]) + 1) % 10)
    assert_error(coordinator.get(f"{L}/accounts/by-number/{wrong}"), 404, "not_found")
    assert_error(coordinator.get(f"{L}/accounts/by-number/12"), 404, "not_found")


def test_open_account(coordinator: Client, circle: Circle, make_person: Any) -> None:
    person = make_person(circle.actor)
    response = coordinator.post(
        f"{L}/accounts",
        json.dumps({"kind": "resident", "person_id": person.pk}),
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    account = Account.objects.get(pk=response.json()["id"])
    assert account.person_id == person.pk and account.balance == 0
    assert account.community_id == circle.currency.community_id


def test_open_account_refuses_unknown_fields(coordinator: Client, circle: Circle) -> None:
    before = _written()
    response = coordinator.post(
        f"{L}/accounts",
        json.dumps({"kind": "till", "organisation_id": circle.merchant.organisation_id, "x": 1}),
        content_type=JSON,
    )
    assert_error(response, 422, "validation_error")
    assert _written() == before


# --- transfers -----------------------------------------------------------------------------


def test_payment_happy_path(coordinator: Client, circle: Circle) -> None:
    response = _pay(coordinator, circle.alice, circle.merchant, "12", description="Brood")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["amount"] == "12" and data["amount_minor"] == 12
    assert data["kind"] == "payment" and data["description"] == "Brood"
    assert (data["debit_account_id"], data["credit_account_id"]) == (
        circle.alice.pk,
        circle.merchant.pk,
    )
    assert "debit_balance_after" not in data  # the other side's balance is not shown
    refresh(circle.alice, circle.merchant)
    assert (circle.alice.balance, circle.merchant.balance) == (488, 12)

    assert coordinator.get(f"{L}/transfers/{data['id']}").json() == data

    lines = _items(coordinator.get(f"{L}/accounts/{circle.alice.pk}/transfers"))
    assert lines[0]["id"] == data["id"]  # newest first
    assert (lines[0]["change"], lines[0]["balance_after"]) == ("-12", "488")
    assert (lines[0]["other_account_id"], lines[0]["other_name"]) == (
        circle.merchant.pk,
        "Bakkerij",
    )
    assert (lines[1]["change_minor"], lines[1]["balance_after_minor"]) == (500, 500)
    shop = _items(coordinator.get(f"{L}/accounts/{circle.merchant.pk}/transfers"))
    assert (shop[0]["change"], shop[0]["balance_after"]) == ("12", "12")


def test_retry_with_the_same_key_returns_the_first_transfer(
    coordinator: Client, circle: Circle
) -> None:
    first = _pay(coordinator, circle.alice, circle.merchant, "10", idem="k-1")
    written = _written()
    again = _pay(coordinator, circle.alice, circle.merchant, "10", idem="k-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert Transfer.objects.filter(idempotency_key="k-1").count() == 1
    assert _written() == written
    refresh(circle.alice)
    assert circle.alice.balance == 490


def test_same_key_with_another_body_is_refused(coordinator: Client, circle: Circle) -> None:
    assert _pay(coordinator, circle.alice, circle.merchant, "10", idem="k-2").status_code == 201
    before = _written()
    for amount, extra in (("11", {}), ("10", {"description": "other"})):
        response = _pay(coordinator, circle.alice, circle.merchant, amount, idem="k-2", **extra)
        assert_error(response, 409, "idempotency_conflict")
    assert _written() == before


@pytest.mark.parametrize("header", [None, "", "x" * 101])
def test_idempotency_key_is_required(
    coordinator: Client, circle: Circle, header: str | None
) -> None:
    before = _written()
    response = _pay(coordinator, circle.alice, circle.merchant, "5", idem=header)
    body = assert_error(response, 422, "validation_error")
    assert "idempotency_key" in body["fields"]
    assert _written() == before


@pytest.mark.parametrize(
    ("amount", "field"),
    [("0", "amount"), ("-5", "amount"), ("1.5", "amount"), ("abc", "amount"), ("", "amount")],
)
def test_bad_amounts_are_refused(
    coordinator: Client, circle: Circle, amount: str, field: str
) -> None:
    before = _written()
    body = assert_error(
        _pay(coordinator, circle.alice, circle.merchant, amount), 422, "validation_error"
    )
    assert field in body["fields"], body
    assert _written() == before


def test_a_number_instead_of_a_string_is_refused(coordinator: Client, circle: Circle) -> None:
    before = _written()
    body = assert_error(
        _pay(coordinator, circle.alice, circle.merchant, 1.5), 422, "validation_error"
    )
    assert "amount" in body["fields"]
    assert _written() == before


def test_unknown_account(coordinator: Client, circle: Circle) -> None:
    before = _written()
    missing = Account.objects.order_by("-pk").first().pk + 1000  # type: ignore[union-attr]
    assert_error(_pay(coordinator, circle.alice, missing, "1"), 404, "not_found")
    assert_error(_pay(coordinator, missing, circle.alice, "1"), 404, "not_found")
    assert _written() == before


def test_frozen_account(coordinator: Client, circle: Circle) -> None:
    services.account_set_frozen(actor=circle.actor, account_id=circle.merchant.pk, frozen=True)
    before = _written()
    assert_error(_pay(coordinator, circle.alice, circle.merchant, "1"), 409, "account_frozen")
    assert _written() == before


def test_insufficient_balance(coordinator: Client, circle: Circle) -> None:
    before = _written()
    body = assert_error(
        _pay(coordinator, circle.alice, circle.merchant, "501"), 409, "insufficient_balance"
    )
    assert "amount" in body["fields"]
    assert _written() == before


def test_paying_yourself(coordinator: Client, circle: Circle) -> None:
    before = _written()
    body = assert_error(_pay(coordinator, circle.alice, circle.alice, "1"), 422, "validation_error")
    assert "credit_account_id" in body["fields"]
    assert _written() == before


def test_another_communitys_account_is_not_found(
    coordinator: Client, circle: Circle, other_system: Actor
) -> None:
    other = make_circle(other_system)
    before = _written()
    assert_error(_pay(coordinator, circle.alice, other.merchant, "1"), 404, "not_found")
    assert_error(_pay(coordinator, other.alice, circle.merchant, "1"), 404, "not_found")
    for url in (
        f"{L}/accounts/{other.alice.pk}",
        f"{L}/accounts/{other.alice.pk}/transfers",
        f"{L}/accounts/{other.alice.pk}/statement.csv",
        f"{L}/accounts/by-number/{other.merchant.number}",
    ):
        assert_error(coordinator.get(url), 404, "not_found")
    assert _written() == before


def test_decimals_follow_the_currency(api: Callable[..., Client], other_system: Actor) -> None:
    services.currency_create(
        actor=other_system, code="EUT", names={"fr": {"plural": "euros"}}, decimals=2
    )
    circle = make_circle_in_existing_currency(other_system)
    client = api(other_system.community, ["coordinator"])

    response = _pay(client, circle["alice"], circle["shop"], "2.50")
    assert response.status_code == 201, response.content
    assert (response.json()["amount"], response.json()["amount_minor"]) == ("2.50", 250)
    account = client.get(f"{L}/accounts/{circle['alice'].pk}").json()
    assert (account["balance"], account["balance_minor"]) == ("7.50", 750)

    before = _written()
    body = assert_error(
        _pay(client, circle["alice"], circle["shop"], "2.505"), 422, "validation_error"
    )
    assert "amount" in body["fields"]
    assert _written() == before


def make_circle_in_existing_currency(system: Actor) -> dict[str, Account]:
    from buurtkit.people.services import organisation_create, person_create

    shop = organisation_create(actor=system, name="Winkel", slug="winkel", kind="merchant")
    alice = services.account_open(
        actor=system, kind="resident", person_id=person_create(actor=system, first_name="A").pk
    )
    shop_account = services.account_open(actor=system, kind="merchant", organisation_id=shop.pk)
    issuance = Account.objects.get(community=system.community, system_role="issuance")
    issuer = services.account_open(actor=system, kind="organisation", organisation_id=shop.pk)
    for debit, credit, amount, kind in (
        (issuance, issuer, 1000, "issue"),
        (issuer, alice, 1000, "reward"),
    ):
        services.transfer_create(
            actor=system,
            debit_account_id=debit.pk,
            credit_account_id=credit.pk,
            amount=amount,
            kind=kind,
            idempotency_key=key(),
        )
    return {"alice": alice, "shop": shop_account}


def test_reverse(coordinator: Client, circle: Circle) -> None:
    paid = _pay(coordinator, circle.alice, circle.merchant, "30").json()
    url = f"{L}/transfers/{paid['id']}/reverse"

    first = coordinator.post(
        url, json.dumps({"reason": "Dubbel"}), content_type=JSON, headers={"Idempotency-Key": "r-1"}
    )
    again = coordinator.post(
        url, json.dumps({"reason": "Dubbel"}), content_type=JSON, headers={"Idempotency-Key": "r-1"}
    )
    assert (first.status_code, again.status_code) == (201, 200), first.content
    assert first.json() == again.json()
    assert first.json()["reverses_id"] == paid["id"] and first.json()["kind"] == "reversal"
    refresh(circle.alice, circle.merchant)
    assert (circle.alice.balance, circle.merchant.balance) == (500, 0)

    before = _written()
    response = coordinator.post(url, "", content_type=JSON, headers={"Idempotency-Key": "r-2"})
    assert_error(response, 409, "already_reversed")
    response = coordinator.post(url, "", content_type=JSON)
    assert "idempotency_key" in assert_error(response, 422, "validation_error")["fields"]
    assert _written() == before


def test_overview(coordinator: Client, circle: Circle, api: Callable[..., Client]) -> None:
    data = coordinator.get(f"{L}/overview").json()
    assert data == {
        "currency": "TOR",
        "issued": "1000",
        "issued_minor": 1000,
        "paper": "0",
        "paper_minor": 0,
        "digital": "1000",
        "digital_minor": 1000,
        "redeemed": "0",
        "redeemed_minor": 0,
    }
    volunteer = api(circle.currency.community, ["volunteer"])
    assert_error(volunteer.get(f"{L}/overview"), 403, "permission_denied")


# --- residents: their own accounts only ---------------------------------------------------


@pytest.fixture
def resident(make_login: Any, circle: Circle, community: Community) -> tuple[Client, Account]:
    """A resident signed in on the web (session auth on the API), with an account and money."""
    user = make_login(community, "resident")
    person = Person.objects.get(user=user)
    account = services.account_open(actor=circle.actor, kind="resident", person_id=person.pk)
    services.transfer_create(
        actor=circle.actor,
        debit_account_id=circle.issuer.pk,
        credit_account_id=account.pk,
        amount=100,
        kind="reward",
        idempotency_key=key(),
    )
    client = Client()
    client.force_login(user)
    return client, account


def test_residents_see_only_their_own_accounts(
    resident: tuple[Client, Account], circle: Circle
) -> None:
    client, own = resident
    q = f"?community={circle.currency.community.slug}"

    assert [a["id"] for a in _items(client.get(f"{L}/accounts{q}"))] == [own.pk]
    assert client.get(f"{L}/accounts/{own.pk}{q}").json()["balance"] == "100"
    assert len(_items(client.get(f"{L}/accounts/{own.pk}/transfers{q}"))) == 1
    assert client.get(f"{L}/currency{q}").status_code == 200

    for url in (
        f"{L}/accounts/{circle.alice.pk}",
        f"{L}/accounts/{circle.alice.pk}/transfers",
        f"{L}/accounts/{circle.alice.pk}/statement.csv",
    ):
        assert_error(client.get(url + q), 404, "not_found")
    alice_line = Transfer.objects.filter(credit=circle.alice).first()
    assert_error(client.get(f"{L}/transfers/{alice_line.pk}{q}"), 404, "not_found")  # type: ignore[union-attr]
    assert_error(client.get(f"{L}/overview{q}"), 403, "permission_denied")

    # A payee is found by number, without its balance.
    payee = client.get(f"{L}/accounts/by-number/{circle.merchant.number}{q}").json()
    assert payee["id"] == circle.merchant.pk and "balance" not in payee


def test_resident_pays_from_their_own_account_with_their_pin(
    resident: tuple[Client, Account], circle: Circle
) -> None:
    client, own = resident
    q = f"?community={circle.currency.community.slug}"

    before = _written()
    assert_error(
        _pay(client, circle.alice, circle.merchant, "1", query=q), 403, "permission_denied"
    )
    body = assert_error(_pay(client, own, circle.merchant, "1", query=q), 422, "validation_error")
    assert "pin" in body["fields"]  # a stolen phone with an open session cannot pay
    assert _written() == before

    services.pin_set(
        actor=circle.actor, person_id=own.person_id or 0, pin="4826", identity_checked=True
    )
    response = _pay(client, own, circle.merchant, "7", query=q, pin="4826")
    assert response.status_code == 201, response.content
    paid = client.get(f"{L}/transfers/{response.json()['id']}{q}")
    assert paid.status_code == 200
    refresh(own)
    assert own.balance == 93


# --- statements ----------------------------------------------------------------------------


def test_statement_csv(coordinator: Client, circle: Circle) -> None:
    # 22:30 UTC on 31 March is 00:30 on 1 April in Brussels (summer time).
    times = [
        datetime(2030, 3, 31, 21, 0, tzinfo=UTC),
        datetime(2030, 3, 31, 22, 30, tzinfo=UTC),
        datetime(2030, 4, 15, 9, 0, tzinfo=UTC),
        datetime(2030, 4, 30, 21, 59, tzinfo=UTC),
        datetime(2030, 4, 30, 22, 1, tzinfo=UTC),
    ]
    for n, at in enumerate(times):
        with clock.frozen(at):
            if n == 2:
                services.transfer_create(
                    actor=circle.actor,
                    debit_account_id=circle.merchant.pk,
                    credit_account_id=circle.alice.pk,
                    amount=4,
                    idempotency_key=key(),
                    description="=HYPERLINK(1)",
                )
            else:
                _pay(coordinator, circle.alice, circle.merchant, str(10 + n))

    response = coordinator.get(
        f"{L}/accounts/{circle.alice.pk}/statement.csv?from=2030-04-01&to=2030-04-30"
    )

    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets read it as UTF-8
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(header) == 8
    assert [r[0] for r in rows] == ["2030-04-01 00:30", "2030-04-15 11:00", "2030-04-30 23:59"]
    changes = [int(r[6]) for r in rows]
    balances = [int(r[7]) for r in rows]
    assert changes == [-11, 4, -13]
    # The running balance: the opening balance (after 31 March's payment of 10) plus changes.
    opening = 500 - 10
    running = []
    for change in changes:
        opening += change
        running.append(opening)
    assert balances == running
    assert rows[1][3] == "'=HYPERLINK(1)"  # shown as text, never run as a formula
    assert rows[1][4] == format_account_number(circle.merchant.number)
    assert rows[1][5] == "Bakkerij"

    everything = coordinator.get(f"{L}/accounts/{circle.alice.pk}/statement.csv")
    all_rows = list(csv.reader(io.StringIO(everything.content.decode("utf-8-sig"))))[1:]
    refresh(circle.alice)
    assert int(all_rows[-1][7]) == circle.alice.balance
    assert sum(int(r[6]) for r in all_rows) == circle.alice.balance


def test_statement_with_decimals(api: Callable[..., Client], other_system: Actor) -> None:
    services.currency_create(actor=other_system, code="EUT", names={}, decimals=2)
    accounts = make_circle_in_existing_currency(other_system)
    client = api(other_system.community, ["coordinator"])
    assert _pay(client, accounts["alice"], accounts["shop"], "0.05").status_code == 201
    text = client.get(f"{L}/accounts/{accounts['alice'].pk}/statement.csv").content.decode(
        "utf-8-sig"
    )
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert [(r[6], r[7]) for r in rows] == [("10.00", "10.00"), ("-0.05", "9.95")]


def test_statement_period_must_make_sense(coordinator: Client, circle: Circle) -> None:
    url = f"{L}/accounts/{circle.alice.pk}/statement.csv"
    body = assert_error(
        coordinator.get(f"{url}?from=2030-05-01&to=2030-04-01"), 422, "validation_error"
    )
    assert "from" in body["fields"]
    body = assert_error(coordinator.get(f"{url}?from=yesterday"), 422, "validation_error")
    assert "from" in body["fields"]


def test_uuid_keys_are_fine(coordinator: Client, circle: Circle) -> None:
    response = _pay(coordinator, circle.alice, circle.merchant, "1", idem=str(uuid.uuid4()))
    assert response.status_code == 201
