"""Paying a shop by scanning the QR code on its counter (link type and route action of ``ledger.qr``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import unquote

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.ledger import services as ledger_services
from buurtkit.ledger.models import Transfer
from buurtkit.ledger.qr import ACTION, LINK_TYPE, pay_routes
from buurtkit.people.services import person_give_login
from buurtkit.qrcodes import cache, links, selectors
from buurtkit.qrcodes import services as qr_services
from buurtkit.qrcodes.models import Code
from buurtkit.qrcodes.routing import Audience
from tests.conftest import PASSWORD
from tests.ledger.conftest import Circle, make_circle, refresh

PIN = "4826"


@pytest.fixture(autouse=True)
def _scans_written_at_once(settings: Any) -> Any:
    settings.QR_SCAN_RECORDING = "sync"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def counter_code(circle: Circle) -> Code:
    return qr_services.code_create(
        actor=circle.actor,
        title="Toonbank bakkerij",
        link_type=LINK_TYPE,
        link_id=circle.merchant.number,
        routes=pay_routes(circle.merchant.number),
    )


def alice_client(circle: Circle, *, pin: bool = True) -> Client:
    person_id = circle.alice.person_id
    assert person_id is not None
    user = person_give_login(
        actor=circle.actor, person_id=person_id, username="alice", password=PASSWORD
    )
    if pin:
        ledger_services.pin_set(
            actor=circle.actor, person_id=person_id, pin=PIN, identity_checked=True
        )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def key_from(html: str) -> str:
    match = re.search(r'name="key" value="([^"]+)"', html)
    assert match, "the confirm form has no idempotency key"
    return match.group(1)


def test_scanning_the_counter_code_pays_the_shop_with_the_pin(
    circle: Circle, counter_code: Code
) -> None:
    client = alice_client(circle)
    slug = circle.actor.community.slug
    number = circle.merchant.number

    scan = client.get(f"/Q/{counter_code.code}")
    assert scan.status_code == 302
    assert scan["Location"] == f"/{slug}/pay/to/?to={number}"
    assert scan["Cache-Control"] == "no-store"
    # The "who do you pay?" step is skipped: straight to "how much?", naming the shop.
    step1 = client.get(scan["Location"])
    assert step1.status_code == 302
    assert step1["Location"] == f"/{slug}/pay/amount/?to={number}"
    step2 = client.get(step1["Location"])
    assert step2.status_code == 200
    html = step2.content.decode()
    assert "Bakkerij" in html and f'name="to" value="{number}"' in html

    to_confirm = client.get(
        f"/{slug}/pay/amount/", {"to": number, "amount": "12", "description": "brood"}
    )
    assert to_confirm.status_code == 302
    confirm = client.get(to_confirm["Location"]).content.decode()
    assert "Bakkerij" in confirm and 'name="pin"' in confirm
    form = {"to": number, "amount": "12", "description": "brood", "key": key_from(confirm)}
    # The PIN is still needed: a wrong one pays nothing.
    assert client.post(f"/{slug}/pay/confirm/", {**form, "pin": "0001"}).status_code == 422
    assert not Transfer.objects.filter(kind="payment").exists()
    paid = client.post(f"/{slug}/pay/confirm/", {**form, "pin": PIN})
    assert paid.status_code == 302
    transfer = Transfer.objects.get(kind="payment")
    assert (transfer.debit_id, transfer.credit_id, transfer.amount) == (
        circle.alice.pk,
        circle.merchant.pk,
        12,
    )
    refresh(circle.alice, circle.merchant)
    assert (circle.alice.balance, circle.merchant.balance) == (488, 12)
    # The scan was counted on the code, as a scan of the printed code.
    scan_row = counter_code.scans.get()
    assert (scan_row.outcome, scan_row.source, scan_row.route) == (ACTION, "print", 0)


def test_a_scanner_who_is_not_signed_in_signs_in_and_comes_back_to_pay(
    circle: Circle, counter_code: Code
) -> None:
    alice_client(circle)  # gives Alice her login and PIN
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    slug = circle.actor.community.slug
    number = circle.merchant.number

    scan = client.get(f"/q/{counter_code.code}")
    to_login = client.get(scan["Location"])
    assert to_login.status_code == 302
    login_url = to_login["Location"]
    assert login_url.startswith("/accounts/login/?next=")
    next_url = unquote(login_url.split("next=", 1)[1])
    assert next_url == f"/{slug}/pay/to/?to={number}"

    signed_in = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD, "next": next_url}
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == next_url
    back = client.get(next_url, follow=True)
    assert back.redirect_chain[-1][0] == f"/{slug}/pay/amount/?to={number}"
    assert "Bakkerij" in back.content.decode()


def test_to_a_residents_number_asks_to_check_the_name_first(circle: Circle) -> None:
    client = alice_client(circle, pin=False)
    slug = circle.actor.community.slug
    page = client.get(f"/{slug}/pay/to/", {"to": circle.bob.number})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="payee-found"' in html and "Bob" in html
    assert f"/{slug}/pay/amount/?to={circle.bob.number}" in html


def test_to_a_bad_or_own_number_shows_the_error_on_the_first_step(circle: Circle) -> None:
    client = alice_client(circle, pin=False)
    slug = circle.actor.community.slug
    number = circle.merchant.number
    typo = number[:-1] + str((int(number[-1]) + 1) % 10)
    page = client.get(f"/{slug}/pay/to/", {"to": typo})
    assert page.status_code == 200
    assert "not right" in page.content.decode()
    own = client.get(f"/{slug}/pay/to/", {"to": circle.alice.number})
    assert own.status_code == 200
    assert "your own account" in own.content.decode()


def test_a_frozen_shop_cannot_be_paid_through_its_code(circle: Circle, counter_code: Code) -> None:
    client = alice_client(circle, pin=False)
    type(circle.merchant).objects.filter(pk=circle.merchant.pk).update(frozen=True)
    page = client.get(client.get(f"/q/{counter_code.code}")["Location"])
    assert page.status_code == 200
    assert "blocked" in page.content.decode()


# --- cleaning and the registries -------------------------------------------------------------


def test_cleaning_keeps_only_a_payable_account_of_this_community(
    circle: Circle, other_system: Actor, system: Actor
) -> None:
    other = make_circle(other_system)
    spaced = (
        f"{circle.merchant.number[:4]} {circle.merchant.number[4:8]} {circle.merchant.number[8]}"
    )
    [route] = qr_services.clean_routes(
        system.community, [{"action": ACTION, "params": {"account": spaced}}]
    )
    assert route["params"] == {"account": circle.merchant.number}
    # A resident's or an issuer's own code pays them too (``account_qr_code``); a system
    # account, another community's shop or a wrong number cannot be paid by scanning.
    for number in (circle.alice.number, circle.issuer.number):
        [route] = qr_services.clean_routes(
            system.community, [{"action": ACTION, "params": {"account": number}}]
        )
        assert route["params"] == {"account": number}
    for wrong in (circle.issuance.number, other.merchant.number, "12", ""):
        with pytest.raises(ValidationFailed) as err:
            qr_services.code_create(
                actor=system, routes=[{"action": ACTION, "params": {"account": wrong}}]
            )
        assert "routes.1.account" in err.value.fields, wrong
    assert not Code.objects.exists()


def test_link_type_names_the_shop_and_refuses_other_accounts(
    circle: Circle, other_system: Actor
) -> None:
    community = circle.actor.community
    other = make_circle(other_system)
    assert links.describe(community, LINK_TYPE, circle.merchant.number) == "Bakkerij"
    assert links.describe(community, LINK_TYPE, circle.alice.number) == "Alice"
    for wrong in (circle.paper.number, other.merchant.number, "nonsense"):
        with pytest.raises(ValidationFailed) as err:
            qr_services.code_create(actor=circle.actor, link_type=LINK_TYPE, link_id=wrong)
        assert "link_id" in err.value.fields


def test_a_blank_sticker_claimed_for_a_shop_gets_the_pay_route(circle: Circle) -> None:
    blank = qr_services.code_create(actor=circle.actor, title="Sticker")
    assert blank.status == "unassigned"
    claimed = qr_services.code_claim(
        actor=circle.actor,
        code_id=blank.pk,
        title="Toonbank",
        link_type=LINK_TYPE,
        link_id=circle.merchant.number,
    )
    assert claimed.status == "active"
    [route] = claimed.routes.all()
    assert (route.action, route.params) == (ACTION, {"account": circle.merchant.number})
    answer = Client().get(f"/q/{claimed.code}")
    assert (
        answer["Location"] == f"/{circle.actor.community.slug}/pay/to/?to={circle.merchant.number}"
    )


def test_the_route_preview_says_what_a_scan_does(circle: Circle, counter_code: Code) -> None:
    result = selectors.preview(
        actor=circle.actor,
        code_id=counter_code.pk,
        at=dt.datetime(2026, 3, 14, 10, 0, tzinfo=dt.UTC),
        language="en",
        device="phone",
        os_name="android",
        audience=Audience(signed_in=True, resident=True),
    )
    assert result["action"] == ACTION
    number = circle.merchant.number
    assert f"{number[:4]} {number[4:8]} {number[8]}" in result["description"]
