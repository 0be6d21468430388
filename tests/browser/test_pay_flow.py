"""Paying with one phone in a real Chromium at 360 x 640: who, how much, PIN, receipt.

The demo gets what paying needs from ``buurtkit ledger_demo`` (idempotent: a currency, a shop
account, the demo resident's account with torekes and a payment PIN). Each pay page is scanned
with axe, must not scroll sideways, and is photographed into ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

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
__all__ = ["open_page"]  # the fixture, shared with the demo page tests


def balance(page: Page) -> int:
    page.goto(f"/{SLUG}/pay/")
    return int(re.sub(r"\D", "", page.locator("#balance").inner_text()))


def check(page: Page, screenshots: Path, name: str) -> None:
    expect(page.locator("main h1")).to_be_visible()
    shoot(page, screenshots, name)
    page.screenshot(path=str(screenshots / f"{name}-top.png"))  # what the phone shows first
    assert horizontal_overflow(page) == 0, f"{name} scrolls sideways on a 360 px phone"
    assert_accessible(page, name)


def test_a_resident_pays_a_shop_with_one_phone(
    open_page: OpenPage, screenshots: Path, demo_server: str, demo_data_dir: Path
) -> None:
    made = run_demo_command(demo_data_dir, "ledger_demo", "--pin", "2468")
    shop = re.search(r"^merchant (\d{9}) (.+)$", made, re.M)
    me = re.search(r"^resident bewoner (\d{9}) (\S+)$", made, re.M)
    assert shop and me, made
    number, shop_name = shop.group(1), shop.group(2).strip()
    pin = me.group(2) if me.group(2).isdigit() else "2468"

    page = open_page(PHONE)
    sign_in(page, "bewoner")
    page.click("main a[href$='/pay/']")
    expect(page.locator("#balance")).to_be_visible()
    before = int(re.sub(r"\D", "", page.locator("#balance").inner_text()))
    assert before >= 5
    check(page, screenshots, "pay-home-phone")

    # Step 1: a typo in the account number is caught by the check digit.
    page.click("main .bigbuttons a[href$='/pay/to/']")
    typo = number[:-1] + str((int(number[-1]) + 1) % 10)
    page.fill("#id_number", f"{typo[:4]} {typo[4:8]} {typo[8:]}")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator("#id_number_error")).to_be_visible()
    expect(page.locator("#id_number")).to_have_value(f"{typo[:4]} {typo[4:8]} {typo[8:]}")
    check(page, screenshots, "pay-to-typo-phone")

    # The right number shows whose account it is, to confirm.
    page.fill("#id_number", number)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator("#payee-found .payee-name")).to_have_text(shop_name)
    check(page, screenshots, "pay-to-found-phone")
    with page.expect_navigation():
        page.click("#payee-found a[href*='/pay/amount/']")

    # Step 2: how much; a bad amount is refused and kept.
    page.fill("#id_amount", "vijf")
    page.fill("#id_description", "Brood")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator("#id_amount_error")).to_be_visible()
    expect(page.locator("#id_description")).to_have_value("Brood")
    check(page, screenshots, "pay-amount-error-phone")
    page.fill("#id_amount", "5")
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    # Step 3: confirm with the PIN; a wrong one is refused and counted.
    expect(page).to_have_url(re.compile(r"/pay/confirm/"))
    expect(page.locator("#id_pin")).to_have_attribute("inputmode", "numeric")
    expect(page.locator("#id_pin")).to_have_attribute("autocomplete", "off")
    check(page, screenshots, "pay-confirm-phone")
    page.fill("#id_pin", "0001" if pin != "0001" else "0002")
    with page.expect_navigation():
        page.click("#pay-button")
    expect(page.locator("#id_pin_error")).to_be_visible()
    check(page, screenshots, "pay-confirm-wrong-pin-phone")

    # The right PIN, with an impatient double tap: one payment, one receipt.
    page.fill("#id_pin", pin)
    page.dblclick("#pay-button")
    expect(page).to_have_url(re.compile(r"/pay/receipt/\d+/$"))
    expect(page.locator("#receipt-amount")).to_contain_text("5")
    check(page, screenshots, "pay-receipt-phone")
    page.reload()  # a browser retry of the receipt changes nothing either

    assert balance(page) == before - 5
    first_line = page.locator("ul.statement li").first
    expect(first_line).to_contain_text(shop_name)
    expect(first_line).to_contain_text("Brood")
    check(page, screenshots, "pay-home-after-phone")

    # Choosing a PIN page is accessible too.
    page.goto(f"/{SLUG}/pay/pin/")
    check(page, screenshots, "pay-pin-phone")
