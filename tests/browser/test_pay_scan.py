"""Scanning a code with the phone camera on the pay page, in a real Chromium at 360 x 640.

Headless Chromium has no camera and no ``BarcodeDetector`` on Linux, so the page gets a stand-in
for both before it loads (what the "camera" reads comes from ``sessionStorage['scan']``); the
page's own script does the rest: shows the button, reads, checks the address and navigates.
The resident's own QR code ("let others pay me") on the pay home is photographed too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import run_demo_command
from tests.browser.test_demo_pages import PHONE, SLUG, OpenPage, open_page, sign_in
from tests.browser.test_pay_flow import check

# The demo server these tests drive runs on its own SQLite data dir whatever DATABASE_URL
# says (tests/browser/conftest.py strips it): the PostgreSQL run would repeat the same run.
pytestmark = [pytest.mark.browser, pytest.mark.engine_independent]
__all__ = ["open_page"]

FAKE_CAMERA = """
window.BarcodeDetector = class {
  constructor() {}
  detect() {
    const raw = sessionStorage.getItem("scan");
    return Promise.resolve(raw ? [{rawValue: raw}] : []);
  }
};
if (navigator.mediaDevices) {
  navigator.mediaDevices.getUserMedia = () => {
    const canvas = document.createElement("canvas");
    canvas.width = 8; canvas.height = 8;
    canvas.getContext("2d").fillRect(0, 0, 8, 8);
    return Promise.resolve(canvas.captureStream());
  };
}
"""


def scan(page: Page, raw: str) -> None:
    page.goto(f"/{SLUG}/pay/to/")
    page.evaluate("raw => sessionStorage.setItem('scan', raw)", raw)
    expect(page.locator("#pay-scan-start")).to_be_visible()
    page.click("#pay-scan-start")


def test_scanning_a_code_on_the_pay_page(
    open_page: OpenPage, screenshots: Path, demo_server: str, demo_data_dir: Path
) -> None:
    made = run_demo_command(demo_data_dir, "ledger_demo", "--pin", "2468")
    shop = re.search(r"^merchant (\d{9}) (.+)$", made, re.M)
    assert shop, made
    number, shop_name = shop.group(1), shop.group(2).strip()

    # Without camera support the button stays hidden and the number field is there.
    plain = open_page(PHONE)
    sign_in(plain, "bewoner")
    plain.goto(f"/{SLUG}/pay/to/")
    expect(plain.locator("#pay-scanner")).to_be_hidden()
    expect(plain.locator("#id_number")).to_be_visible()

    page = open_page(PHONE)
    page.add_init_script(FAKE_CAMERA)
    sign_in(page, "bewoner")

    # The pay home shows the resident's own code to let others pay them.
    page.goto(f"/{SLUG}/pay/")
    expect(page.locator(".account-qr svg")).to_be_visible()
    own_code = page.locator(".account-qr .code").inner_text().replace("-", "").strip()
    page.locator(".account-qr").screenshot(path=str(screenshots / "pay-home-own-code-phone.png"))

    page.goto(f"/{SLUG}/pay/to/")
    expect(page.locator("#pay-scan-start")).to_be_visible()
    check(page, screenshots, "pay-to-scan-button-phone")

    # A code of another site is not followed.
    scan(page, "HTTPS://ELSEWHERE.EXAMPLE/Q/ABCDEFGHJ")
    expect(page.locator("#pay-scan-status")).to_contain_text(re.compile(r"\S"))
    page.wait_for_timeout(800)
    expect(page).to_have_url(re.compile(rf"/{SLUG}/pay/to/$"))
    page.click("#pay-scan-stop")

    # A code of this site is opened: scanning one's own code ends at "this is your own account".
    with page.expect_navigation(url=re.compile(r"/pay/to/\?to=")):
        scan(page, f"{demo_server}/Q/{own_code}")
    expect(page.locator("#id_number_error")).to_be_visible()

    # An account number read from a code goes to "how much?" for the shop.
    with page.expect_navigation(url=re.compile(r"/pay/amount/")):
        scan(page, number)
    expect(page.locator("main")).to_contain_text(shop_name)


def test_staff_see_a_shops_code_and_statement_form(
    open_page: OpenPage, screenshots: Path, demo_server: str, demo_data_dir: Path
) -> None:
    made = run_demo_command(demo_data_dir, "ledger_demo", "--pin", "2468")
    shop = re.search(r"^merchant (\d{9}) (.+)$", made, re.M)
    assert shop, made
    page = open_page(PHONE)
    sign_in(page, "coordinator")
    found = page.request.get(
        f"/api/v1/ledger/accounts/by-number/{shop.group(1)}?community={SLUG}"
    ).json()
    page.goto(f"/{SLUG}/pay/accounts/{found['id']}/")
    expect(page.locator(".account-qr svg")).to_be_visible()
    expect(page.locator("#statement-period")).to_be_visible()
    check(page, screenshots, "ledger-account-shop-phone")
    page.locator(".account-qr").screenshot(
        path=str(screenshots / "ledger-account-shop-code-phone.png")
    )
    with page.expect_download() as download:
        page.click("#statement-period button[formaction$='.pdf']")
    assert download.value.suggested_filename.endswith(".pdf")
