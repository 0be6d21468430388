"""Payment requests through the JSON API: the shop's key asks, the resident pays once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from buurtkit.audit.models import AuditEvent
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.ledger import services
from buurtkit.ledger.models import Account, PaymentRequest, Transfer
from buurtkit.people.models import Person
from buurtkit.people.services import apikey_create
from tests.api.apispec import assert_error
from tests.ledger.conftest import Circle, key, make_circle

JSON = "application/json"
L = "/api/v1/ledger/payment-requests"
PIN = "4826"


@pytest.fixture
def shop_key(circle: Circle) -> Client:
    """A merchant's API key, tied to the shop's organisation (the till software)."""
    _row, raw = apikey_create(
        actor=circle.actor,
        name="kassa",
        roles=["merchant"],
        organisation_id=circle.merchant.organisation_id,
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def payer(make_login: Any, circle: Circle, community: Community) -> tuple[Client, Account]:
    """A resident signed in on their phone, with money and a payment PIN."""
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
    services.pin_set(actor=circle.actor, person_id=person.pk, pin=PIN, identity_checked=True)
    client = Client()
    client.force_login(user)
    return client, account


def _post(client: Client, url: str, body: dict[str, Any] | None, idem: str | None) -> Any:
    headers = {"Accept-Language": "en"}
    if idem:
        headers["Idempotency-Key"] = idem
    return client.post(url, json.dumps(body or {}), content_type=JSON, headers=headers)


def _written() -> tuple[int, int, list[str]]:
    return (
        Transfer.objects.count(),
        AuditEvent.objects.count(),
        list(PaymentRequest.objects.order_by("pk").values_list("status", flat=True)),
    )


def test_shop_asks_resident_pays_exactly_once(
    shop_key: Client, payer: tuple[Client, Account], circle: Circle
) -> None:
    body = {"payee_account_id": circle.merchant.pk, "amount": "12", "description": "Brood"}
    created = _post(shop_key, L, body, "ask-1")
    assert created.status_code == 201, created.content
    request = created.json()
    assert request["status"] == "open" and request["amount"] == "12"
    assert request["url"] == f"/rabot/pay/requests/{request['token']}/"
    # A retry of the same request answers 200 with the same request.
    again = _post(shop_key, L, body, "ask-1")
    assert again.status_code == 200 and again.json()["id"] == request["id"]
    assert_error(_post(shop_key, L, {**body, "amount": "13"}, "ask-1"), 409, "idempotency_conflict")
    assert_error(_post(shop_key, L, body, None), 422, "validation_error")

    client, own = payer
    q = "?community=rabot"
    token = request["token"]
    seen = client.get(f"{L}/{token}{q}").json()
    assert (seen["payee_name"], seen["amount"]) == ("Bakkerij", "12")

    no_pin = _post(client, f"{L}/{token}/pay{q}", {}, "pay-1")
    assert "pin" in assert_error(no_pin, 422, "validation_error")["fields"]
    paid = _post(client, f"{L}/{token}/pay{q}", {"pin": PIN}, "pay-1")
    assert paid.status_code == 201, paid.content
    assert paid.json()["status"] == "paid"
    transfer = Transfer.objects.get(pk=paid.json()["transfer_id"])
    assert (transfer.debit_id, transfer.credit_id, transfer.amount) == (
        own.pk,
        circle.merchant.pk,
        12,
    )
    # The same call again (a retry): 200, the first payment.
    retry = _post(client, f"{L}/{token}/pay{q}", {"pin": PIN}, "pay-1")
    assert retry.status_code == 200 and retry.json()["transfer_id"] == transfer.pk
    # A second payment: a clear conflict, nothing written.
    before = _written()
    assert_error(_post(client, f"{L}/{token}/pay{q}", {"pin": PIN}, "pay-2"), 409, "already_paid")
    assert _written() == before
    # The shop sees it paid in its list; the payer does not list the shop's requests.
    listed = shop_key.get(L).json()["items"]
    assert [(r["id"], r["status"]) for r in listed] == [(request["id"], "paid")]
    assert client.get(f"{L}{q}").json()["items"] == []
    assert_error(_post(shop_key, f"{L}/{token}/cancel", None, None), 409, "already_paid")


def test_cancel_and_expired(
    shop_key: Client, payer: tuple[Client, Account], circle: Circle
) -> None:
    client, _own = payer
    q = "?community=rabot"
    body = {"payee_account_id": circle.merchant.pk, "amount": "3"}
    first = _post(shop_key, L, body, "a").json()
    # The payer cannot cancel the shop's request.
    assert_error(
        _post(client, f"{L}/{first['token']}/cancel{q}", None, None), 403, "permission_denied"
    )
    cancelled = _post(shop_key, f"{L}/{first['token']}/cancel", None, None)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    before = _written()
    refused = _post(client, f"{L}/{first['token']}/pay{q}", {"pin": PIN}, "p")
    assert_error(refused, 409, "cancelled")
    assert _written() == before

    second = _post(shop_key, L, {**body, "expires_in_hours": 1}, "b").json()
    request = PaymentRequest.objects.get(pk=second["id"])
    with clock.frozen(request.expires_at):
        assert shop_key.get(f"{L}/{second['token']}").json()["status"] == "expired"
        before = _written()
        refused = _post(client, f"{L}/{second['token']}/pay{q}", {"pin": PIN}, "p2")
        assert "expired" in assert_error(refused, 409, "expired")["detail"]
        assert _written() == before


def test_shop_key_asks_only_for_its_own_shop(shop_key: Client, circle: Circle) -> None:
    before = _written()
    for account in (circle.issuer, circle.alice):
        response = _post(shop_key, L, {"payee_account_id": account.pk, "amount": "3"}, key())
        assert_error(response, 403, "permission_denied")
    assert _written() == before


def test_another_communitys_token_is_not_found(
    api: Any, circle: Circle, other_system: Actor
) -> None:
    there = make_circle(other_system)
    foreign = services.payment_request_create(
        actor=other_system, payee_account_id=there.merchant.pk, amount=5, idempotency_key=key()
    )
    coordinator = api(circle.currency.community, ["coordinator"])
    before = _written()
    for response in (
        coordinator.get(f"{L}/{foreign.token}"),
        _post(coordinator, f"{L}/{foreign.token}/cancel", None, None),
        _post(
            coordinator, f"{L}/{foreign.token}/pay", {"debit_account_id": circle.alice.pk}, key()
        ),
    ):
        assert_error(response, 404, "not_found")
    assert _written() == before
