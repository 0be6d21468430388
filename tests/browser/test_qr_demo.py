"""The demo's QR codes in a real Chromium at 360 x 640: the library poster's menus, the bench form.

Each page is scanned with axe, must not scroll sideways, and is photographed into
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import run_demo_command
from tests.browser.test_demo_pages import (
    PHONE,
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


def check(page: Page, screenshots: Path, name: str) -> None:
    expect(page.locator("main h1")).to_be_visible()
    shoot(page, screenshots, name)
    assert horizontal_overflow(page) == 0, f"{name} scrolls sideways on a 360 px phone"
    assert_accessible(page, name)


def test_the_library_poster_menu_for_residents_and_for_staff(
    open_page: OpenPage, screenshots: Path
) -> None:
    page = open_page(PHONE)
    page.goto("/q/bib-rabot")
    expect(page.locator("main h1")).to_have_text("Bibliotheek Rabot")
    choices = page.locator("main ul.choices a")
    expect(choices).to_have_count(3)
    expect(choices.first).to_have_text("Openingsuren")
    check(page, screenshots, "qr-poster-menu-phone")

    with page.expect_navigation():
        choices.first.click()
    expect(page.locator("main h1")).to_have_text("Openingsuren")
    expect(page.locator("main article")).to_contain_text("woensdag: 10 tot 18 uur")
    check(page, screenshots, "qr-poster-hours-phone")
    # Issue 17 item 18: a way back to the menu, on the page itself.
    back = page.get_by_role("link", name="Terug naar het menu")
    expect(back).to_be_visible()
    with page.expect_navigation():
        back.click()
    expect(page.locator("main ul.choices a")).to_have_count(3)

    staff = open_page(PHONE)
    sign_in(staff, "medewerker")
    staff.goto("/q/bib-rabot")
    expect(staff.locator("main h1")).to_have_text("Voor medewerkers")
    expect(staff.locator("main ul.choices a")).to_have_count(3)
    check(staff, screenshots, "qr-poster-staff-menu-phone")


def test_the_bench_form_reports_a_problem(
    open_page: OpenPage, screenshots: Path, demo_server: str, demo_data_dir: Path
) -> None:
    printed = run_demo_command(
        demo_data_dir,
        "shell",
        "-c",
        "from buurtkit.qrcodes.models import Code; "
        "print(Code.objects.get(title='Bank in het Blaisantvestpark').code)",
    )
    code = printed.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9A-Z]{9}", code), printed

    page = open_page(PHONE)
    page.goto(f"/Q/{code}")
    expect(page.locator("main h1")).to_have_text("Meld een probleem")
    expect(page.locator("main fieldset input[type=radio]")).to_have_count(4)
    check(page, screenshots, "qr-bench-form-phone")

    # Nothing chosen: the page says what is missing, and keeps what was typed.
    page.fill("#f-beschrijving", "Plank gebroken")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator("main [role=alert]").first).to_be_visible()
    expect(page.locator("main .field.has-error .error")).to_have_count(1)
    expect(page.locator("#f-beschrijving")).to_have_value("Plank gebroken")
    check(page, screenshots, "qr-bench-form-error-phone")

    page.get_by_label("kapot").check()
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator("main [role=status]")).to_contain_text("Bedankt")
    check(page, screenshots, "qr-bench-form-sent-phone")


def test_printed_codes_point_at_this_demo_server(
    open_page: OpenPage, demo_server: str, demo_data_dir: Path
) -> None:
    """Issue 17 item 7: the demo runs on a free port, not 8000; its codes must scan back to it."""
    printed = run_demo_command(
        demo_data_dir,
        "shell",
        "-c",
        "from buurtkit.qrcodes.models import Code; "
        "c = Code.objects.get(title='Bank in het Blaisantvestpark'); print(c.pk, c.code)",
    )
    pk, code = printed.strip().splitlines()[-1].split()
    page = open_page(PHONE)
    sign_in(page, "medewerker")
    page.goto(f"/rabot/qr/codes/{pk}/")
    expect(page.locator("main .qr-figure .url")).to_have_text(f"{demo_server.upper()}/Q/{code}")
