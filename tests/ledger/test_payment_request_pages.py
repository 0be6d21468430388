"""Payment request pages: the shop's QR screen (polled until paid) and the payer's page."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from buurtkit.ledger import services
from buurtkit.ledger.models import PaymentRequest, Transfer
from buurtkit.people.services import membership_grant, person_give_login
from tests.conftest import PASSWORD
from tests.ledger.conftest import Circle, key

PIN = "4826"


def signed_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def shopkeeper(circle: Circle) -> Client:
    """The baker's login: a merchant membership of the shop's organisation."""
    user = get_user_model().objects.create_user(username="bakker", password=PASSWORD)
    membership_grant(
        actor=circle.actor,
        username="bakker",
        roles=["merchant"],
        organisation_id=circle.merchant.organisation_id,
    )
    return signed_in(user)


def resident(circle: Circle, account: Any, username: str) -> Client:
    user = person_give_login(
        actor=circle.actor, person_id=account.person_id, username=username, password=PASSWORD
    )
    services.pin_set(
        actor=circle.actor, person_id=account.person_id, pin=PIN, identity_checked=True
    )
    return signed_in(user)


def _key(html: str) -> str:
    match = re.search(r'name="key" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_shop_asks_shows_a_qr_and_sees_it_paid(circle: Circle) -> None:
    shop = shopkeeper(circle)
    page = shop.get("/rabot/pay/requests/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="amount"' in html
    response = shop.post(
        "/rabot/pay/requests/",
        {"account": circle.merchant.pk, "amount": "12", "description": "Brood", "key": _key(html)},
    )
    request = PaymentRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rabot/pay/requests/{request.token}/show/"
    assert (request.payee_id, request.amount, request.description) == (
        circle.merchant.pk,
        12,
        "Brood",
    )
    # A double click on the form (same key) asks once.
    shop.post(
        "/rabot/pay/requests/",
        {"account": circle.merchant.pk, "amount": "12", "description": "Brood", "key": _key(html)},
    )
    assert PaymentRequest.objects.count() == 1

    screen = shop.get(f"/rabot/pay/requests/{request.token}/show/").content.decode()
    assert "<svg" in screen and 'class="qr"' in screen
    assert "12 torekes" in screen
    assert "Waiting for payment" in screen
    status_url = f"/rabot/pay/requests/{request.token}/status/"
    assert f'hx-get="{status_url}"' in screen and 'hx-trigger="every 3s"' in screen

    # The customer scans it: the shop's name, the amount, what for; the PIN pays.
    alice = resident(circle, circle.alice, "alice")
    pay_page = alice.get(f"/rabot/pay/requests/{request.token}/").content.decode()
    assert "Bakkerij" in pay_page and "12 torekes" in pay_page and "Brood" in pay_page
    paid = alice.post(f"/rabot/pay/requests/{request.token}/", {"key": _key(pay_page), "pin": PIN})
    transfer = Transfer.objects.get(credit=circle.merchant)
    assert paid.status_code == 302
    assert paid["Location"] == f"/rabot/pay/receipt/{transfer.pk}/"
    assert "12 torekes" in alice.get(paid["Location"]).content.decode()

    # The shop's screen, polled, now says paid and stops polling.
    status = shop.get(status_url).content.decode()
    assert "Paid ✓" in status and "hx-trigger" not in status
    listing = shop.get("/rabot/pay/requests/").content.decode()
    assert "paid ✓" in listing


def test_second_payment_and_wrong_pin_on_the_page(circle: Circle) -> None:
    request = services.payment_request_create(
        actor=circle.actor, payee_account_id=circle.merchant.pk, amount=5, idempotency_key=key()
    )
    alice = resident(circle, circle.alice, "alice")
    url = f"/rabot/pay/requests/{request.token}/"
    html = alice.get(url).content.decode()
    wrong = alice.post(url, {"key": _key(html), "pin": "9999"})
    assert wrong.status_code == 422
    assert "Wrong PIN" in wrong.content.decode()
    assert alice.post(url, {"key": _key(html), "pin": PIN}).status_code == 302
    # A second payer (or a second tab): refused, clearly; nothing paid twice.
    services.transfer_create(
        actor=circle.actor,
        debit_account_id=circle.alice.pk,
        credit_account_id=circle.bob.pk,
        amount=50,
        idempotency_key=key(),
    )
    bob = resident(circle, circle.bob, "bob")
    page = bob.get(url).content.decode()
    assert "already been paid" in page and 'name="pin"' not in page
    refused = bob.post(url, {"key": "web-other", "pin": PIN})
    assert refused.status_code == 422
    assert "already been paid" in refused.content.decode()
    assert Transfer.objects.filter(credit=circle.merchant).count() == 1


def test_the_shop_screen_is_the_shops_only(circle: Circle) -> None:
    request = services.payment_request_create(
        actor=circle.actor, payee_account_id=circle.merchant.pk, amount=5, idempotency_key=key()
    )
    alice = resident(circle, circle.alice, "alice")
    for suffix in ("show/", "status/"):
        assert alice.get(f"/rabot/pay/requests/{request.token}/{suffix}").status_code == 404
    assert alice.post(f"/rabot/pay/requests/{request.token}/cancel/").status_code == 302
    request.refresh_from_db()
    assert request.status == "open"
    assert alice.get("/rabot/pay/requests/nonsense/").status_code == 404
    # The shop cancels; the payer's page then says so and offers no PIN field.
    shop = shopkeeper(circle)
    assert shop.post(f"/rabot/pay/requests/{request.token}/cancel/").status_code == 302
    page = alice.get(f"/rabot/pay/requests/{request.token}/").content.decode()
    assert "cancelled" in page and 'name="pin"' not in page
