"""Every account people can pay has one QR code from the ``qrcodes`` app (``account_qr_code``)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, ValidationFailed
from buurtkit.ledger import services
from buurtkit.ledger.qr import ACTION, LINK_TYPE
from buurtkit.people.services import person_give_login
from buurtkit.qrcodes import cache
from buurtkit.qrcodes import services as qr_services
from buurtkit.qrcodes.models import Code
from tests.conftest import PASSWORD
from tests.ledger.conftest import Circle, make_circle


@pytest.fixture(autouse=True)
def _scans_written_at_once(settings: Any) -> Any:
    settings.QR_SCAN_RECORDING = "sync"
    cache.clear()
    yield
    cache.clear()


def resident_actor(circle: Circle, account: Any) -> Actor:
    return Actor(
        community=circle.actor.community,
        label="resident",
        person_id=account.person_id,
        permissions=frozenset(),
        roles=frozenset({"resident"}),
    )


def resident_client(circle: Circle, account: Any, username: str) -> Client:
    user = person_give_login(
        actor=circle.actor, person_id=account.person_id, username=username, password=PASSWORD
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_a_shops_code_is_made_once_and_opens_the_pay_page(circle: Circle) -> None:
    code = services.account_qr_code(actor=circle.actor, account_id=circle.merchant.pk)
    assert (code.link_type, code.link_id, code.status) == (
        LINK_TYPE,
        circle.merchant.number,
        "active",
    )
    [route] = code.routes.all()
    assert (route.action, route.params) == (ACTION, {"account": circle.merchant.number})
    again = services.account_qr_code(actor=circle.actor, account_id=circle.merchant.pk)
    assert again.pk == code.pk
    assert Code.objects.filter(link_id=circle.merchant.number).count() == 1

    client = resident_client(circle, circle.alice, "alice")
    scan = client.get(f"/Q/{code.code}")
    slug = circle.actor.community.slug
    assert scan["Location"] == f"/{slug}/pay/to/?to={circle.merchant.number}"
    # A shop goes straight to "how much?", naming the shop.
    step = client.get(scan["Location"])
    assert step["Location"] == f"/{slug}/pay/amount/?to={circle.merchant.number}"


def test_a_code_linked_by_staff_before_is_the_accounts_code(circle: Circle) -> None:
    sticker = qr_services.code_create(
        actor=circle.actor,
        title="Toonbank",
        link_type=LINK_TYPE,
        link_id=circle.merchant.number,
        routes=[{"action": ACTION, "params": {"account": circle.merchant.number}}],
    )
    code = services.account_qr_code(actor=circle.actor, account_id=circle.merchant.pk)
    assert code.pk == sticker.pk
    # A retired code is no longer the account's code: a new one is made.
    qr_services.code_set_status(actor=circle.actor, code_id=sticker.pk, status="retired")
    fresh = services.account_qr_code(actor=circle.actor, account_id=circle.merchant.pk)
    assert fresh.pk != sticker.pk
    assert services.account_qr_code(actor=circle.actor, account_id=circle.merchant.pk) == fresh


def test_a_resident_gets_their_own_code_and_a_scan_asks_to_check_the_name(
    circle: Circle,
) -> None:
    alice = resident_actor(circle, circle.alice)
    assert not alice.has("qrcodes.manage")
    code = services.account_qr_code(actor=alice, account_id=circle.alice.pk)
    assert code.link_id == circle.alice.number
    # Not someone else's account: not found, and nothing made.
    with pytest.raises(NotFound):
        services.account_qr_code(actor=alice, account_id=circle.bob.pk)
    assert not Code.objects.filter(link_id=circle.bob.number).exists()

    bob = resident_client(circle, circle.bob, "bob")
    slug = circle.actor.community.slug
    scan = bob.get(f"/q/{code.code}")
    assert scan["Location"] == f"/{slug}/pay/to/?to={circle.alice.number}"
    page = bob.get(scan["Location"])
    # Kept safety: a resident's code shows "is this the right person?" before the amount.
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="payee-found"' in html and "Alice" in html


def test_system_accounts_and_other_communities_have_no_code(
    circle: Circle, other_system: Actor
) -> None:
    with pytest.raises(ValidationFailed):
        services.account_qr_code(actor=circle.actor, account_id=circle.issuance.pk)
    other = make_circle(other_system)
    with pytest.raises(NotFound):
        services.account_qr_code(actor=circle.actor, account_id=other.merchant.pk)
    assert not Code.objects.exists()


def test_the_account_pages_show_the_code_and_print_it(
    circle: Circle, login_client: Any, system: Actor
) -> None:
    slug = circle.actor.community.slug
    staff = login_client(system.community, "coordinator")
    page = staff.get(f"/{slug}/pay/accounts/{circle.merchant.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    code = Code.objects.get(link_id=circle.merchant.number)
    assert 'id="account-qr-' in html and "<svg" in html
    assert f"/Q/{code.code}" in html
    print_url = f"/{slug}/pay/accounts/{circle.merchant.pk}/code.pdf"
    assert print_url in html
    pdf = staff.get(print_url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    alice = resident_client(circle, circle.alice, "alice")
    home = alice.get(f"/{slug}/pay/").content.decode()
    own = Code.objects.get(link_id=circle.alice.number)
    assert "let others pay me" in home and f"/Q/{own.code}" in home
    assert alice.get(f"/{slug}/pay/accounts/{circle.alice.pk}/code.pdf").status_code == 200
    # Another resident's code cannot be printed by Alice.
    assert alice.get(f"/{slug}/pay/accounts/{circle.bob.pk}/code.pdf").status_code == 404
    assert not Code.objects.filter(link_id=circle.bob.number).exists()


@pytest.mark.django_db(transaction=True)
def test_first_calls_at_once_make_one_code(system: Actor) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite runs writers one at a time anyway")
    circle = make_circle(system)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            services.account_qr_code(actor=system, account_id=circle.merchant.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert Code.objects.filter(link_type=LINK_TYPE, link_id=circle.merchant.number).count() == 1


def test_the_pay_page_offers_to_scan_the_shops_code(circle: Circle) -> None:
    client = resident_client(circle, circle.alice, "alice")
    slug = circle.actor.community.slug
    html = client.get(f"/{slug}/pay/to/").content.decode()
    # Hidden until the script finds camera support (BarcodeDetector); the number field stays.
    assert '<div class="card scanner" id="pay-scanner" hidden' in html
    assert "Scan the shop&#x27;s code" in html or "Scan the shop's code" in html
    assert 'id="pay-scan-start"' in html and "/static/ledger/pay-scan.js" in html
    assert 'name="number"' in html
    # The scanner opens codes of this site: the printed prefix is given to the script.
    assert 'data-scan-prefix="' in html and "/Q/" in html
    # Once a payee is found the page asks "is this right?" and offers no scanner.
    found = client.get(f"/{slug}/pay/to/", {"number": circle.bob.number}).content.decode()
    assert 'id="payee-found"' in found and "pay-scanner" not in found


def test_the_shops_request_page_shows_its_fixed_code(
    circle: Circle, make_login: Any, system: Actor
) -> None:
    from buurtkit.people import services as people_services

    user = make_login(system.community, "merchant", username="bakker")
    membership = people_services.membership_grant(
        actor=system,
        username="bakker",
        roles=["merchant"],
        organisation_id=circle.merchant.organisation_id,
    )
    assert membership is not None
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    html = client.get(f"/{system.community.slug}/pay/requests/").content.decode()
    code = Code.objects.get(link_type=LINK_TYPE, link_id=circle.merchant.number)
    assert "The fixed code of Bakkerij" in html and f"/Q/{code.code}" in html
