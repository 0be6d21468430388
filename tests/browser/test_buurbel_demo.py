"""Buurbel in a real Chromium on the demo: the staff pages are accessible and fit a phone, and
starting the introductions of a matching run shows calls being placed by the simulator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_demo_pages import (
    DESKTOP,
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

BUURBEL_PAGES = [
    ("buurbel-dashboard", f"/{SLUG}/buurbel/"),
    ("buurbel-introductions", f"/{SLUG}/buurbel/introductions/"),
    ("buurbel-introduction", None),  # the first introduction of the list
    ("buurbel-flows", f"/{SLUG}/buurbel/flows/"),
    ("buurbel-flow", None),  # the first flow version
    ("buurbel-rules", f"/{SLUG}/buurbel/rules/"),
    ("buurbel-runs", f"/{SLUG}/buurbel/runs/"),
    ("buurbel-participants", f"/{SLUG}/buurbel/participants/"),
    ("buurbel-announcements", f"/{SLUG}/buurbel/announcements/"),
    ("buurbel-costs", f"/{SLUG}/buurbel/costs/"),
    ("buurbel-prices", f"/{SLUG}/buurbel/prices/"),
    ("buurbel-callbacks", f"/{SLUG}/buurbel/callbacks/"),
    ("buurbel-follow-up", f"/{SLUG}/buurbel/follow-up/"),
]
FIRST_LINK = {
    "buurbel-introduction": (f"/{SLUG}/buurbel/introductions/", "#introduction-rows tbody a"),
    "buurbel-flow": (f"/{SLUG}/buurbel/flows/", "main section.card a"),
}


@pytest.mark.parametrize("device_name", ["phone", "desktop"])
def test_buurbel_pages_are_accessible_and_fit_the_screen(
    open_page: OpenPage, screenshots: Path, device_name: str
) -> None:
    device = PHONE if device_name == "phone" else DESKTOP
    page = open_page(device)
    sign_in(page, "coordinator")
    problems: list[str] = []
    overflow: dict[str, int] = {}
    for name, path in BUURBEL_PAGES:
        if path is None:
            listing, selector = FIRST_LINK[name]
            page.goto(listing)
            path = page.locator(selector).first.get_attribute("href")
            assert path, name
        response = page.goto(path)
        assert response is not None and response.status == 200, (name, path)
        expect(page.locator("main h1")).to_be_visible()
        shoot(page, screenshots, f"{name}-{device_name}")
        overflow[name] = horizontal_overflow(page)
        try:
            assert_accessible(page, f"{name} ({device_name})")
        except pytest.fail.Exception as exc:  # report every page, not only the first
            problems.append(str(exc))
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
    if device_name == "phone":
        print(f"\nsideways overflow on a 360 px phone, in CSS px: {overflow}")
        assert overflow["buurbel-introductions"] == 0
        assert overflow["buurbel-flow"] == 0


def test_start_introductions_and_watch_the_calls(open_page: OpenPage, screenshots: Path) -> None:
    page: Page = open_page(DESKTOP, locale="en-GB")
    sign_in(page, "coordinator")
    page.goto(f"/{SLUG}/buurbel/runs/")
    page.locator("main table tbody a").first.click()
    expect(page.locator("main h1")).to_be_visible()
    start = page.get_by_role("button", name="Start the introductions")
    expect(start).to_be_visible()
    with page.expect_navigation():
        start.click()
    expect(page).to_have_url(re.compile(rf"/{SLUG}/buurbel/introductions/"))
    expect(page.locator(".flash, [role=status], .messages").first).to_contain_text(
        re.compile("introductions started|No introductions started")
    )
    shoot(page, screenshots, "buurbel-introductions-started")
    # The list shows the introductions and their state (the simulator phones in the background).
    expect(page.locator("#introduction-rows tbody tr").first).to_be_visible()


def test_a_partner_follows_its_own_participants_on_a_phone(
    open_page: OpenPage, screenshots: Path
) -> None:
    """Issue 17 item 13: the OCMW's worker finds its own people (not the CAW's), sees how far
    each one is without the other neighbour, and marks one as needing follow-up; staff then
    find that person on the follow-up list."""
    page: Page = open_page(PHONE, locale="en-GB")
    sign_in(page, "ocmw")
    page.get_by_role("link", name="Buurbel: our participants").first.click()
    expect(page.locator("main h1")).to_have_text("Our Buurbel participants")
    rows = page.locator("main table tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 10
    assert "CAW" not in page.locator("main").inner_text()
    assert horizontal_overflow(page) == 0
    assert_accessible(page, "buurbel-partner (phone)")
    shoot(page, screenshots, "buurbel-partner-phone")

    first = page.locator("main table tbody a").first
    name = first.inner_text()
    first.click()
    expect(page.locator("main h1")).to_have_text(name)
    page.get_by_label("Needs follow-up: someone should check on this person").check()
    page.get_by_label("Why (a few words, for staff and your colleagues)").fill("Sounds confused")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Sounds confused")
    assert horizontal_overflow(page) == 0
    assert_accessible(page, "buurbel-partner-participant (phone)")
    shoot(page, screenshots, "buurbel-partner-participant-phone")

    staff: Page = open_page(DESKTOP, locale="en-GB")
    sign_in(staff, "coordinator")
    staff.goto(f"/{SLUG}/buurbel/follow-up/")
    row = staff.locator("main table tbody tr", has_text=name)
    expect(row).to_contain_text("Sounds confused")
    with staff.expect_navigation():
        row.get_by_role("button", name="Done").click()
    expect(staff.locator("main table tbody")).not_to_contain_text(name)
