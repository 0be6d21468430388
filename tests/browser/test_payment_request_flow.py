"""A payment request in two real Chromium phones: the shop shows a QR code, the customer pays,
the shop's screen turns to "paid ✓" by itself (htmx polling). Photographed at 360 x 640."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import run_demo_command
from tests.browser.test_demo_pages import (
    PHONE,
    SLUG,
    OpenPage,
    assert_accessible,
    horizontal_overflow,
    open_page,
    shoot,
    sign_in,
)

# The demo server these tests drive runs on its own SQLite data dir whatever DATABASE_URL
# says (tests/browser/conftest.py strips it): the PostgreSQL run would repeat the same run.
pytestmark = [pytest.mark.browser, pytest.mark.engine_independent]
__all__ = ["open_page"]


def test_shop_asks_customer_scans_and_pays(
    open_page: OpenPage, screenshots: Path, demo_server: str, demo_data_dir: Path
) -> None:
    made = run_demo_command(demo_data_dir, "ledger_demo", "--pin", "2468")
    me = re.search(r"^resident bewoner (\d{9}) (\S+)$", made, re.M)
    assert me, made
    pin = me.group(2) if me.group(2).isdigit() else "2468"

    shop = open_page(PHONE, locale="en")
    sign_in(shop, "bakker")
    shop.goto(f"/{SLUG}/pay/requests/")
    shop.fill("#id_amount", "3")
    shop.fill("#id_description", "Brood")
    with shop.expect_navigation():
        shop.click("#ask-button")
    expect(shop).to_have_url(re.compile(r"/pay/requests/[\w-]+/show/$"))
    expect(shop.locator(".request-qr svg")).to_be_visible()
    expect(shop.locator("#request-amount")).to_contain_text("3")
    shoot(shop, screenshots, "payment-request-qr-phone")
    assert horizontal_overflow(shop) == 0
    assert_accessible(shop, "payment-request-qr")
    pay_url = shop.url.removesuffix("show/")

    customer = open_page(PHONE, locale="en")
    sign_in(customer, "bewoner")
    customer.goto(pay_url)
    expect(customer.locator("#request-amount")).to_contain_text("3")
    expect(customer.locator("#request-payee")).not_to_be_empty()
    shoot(customer, screenshots, "payment-request-pay-phone")
    assert horizontal_overflow(customer) == 0
    assert_accessible(customer, "payment-request-pay")
    customer.fill("#id_pin", pin)
    customer.dblclick("#pay-button")
    expect(customer).to_have_url(re.compile(r"/pay/receipt/\d+/$"))
    shoot(customer, screenshots, "payment-request-receipt-phone")

    # The shop's screen learns it by itself, within a few seconds.
    expect(shop.locator("#request-status")).to_contain_text("Paid", timeout=15_000)
    shoot(shop, screenshots, "payment-request-paid-phone")
    assert_accessible(shop, "payment-request-paid")
    shop.goto(f"/{SLUG}/pay/requests/")
    shoot(shop, screenshots, "payment-requests-list-phone")
    assert horizontal_overflow(shop) == 0
