"""The digibuddy register in a real Chromium: a digibuddy's own schedule on a phone (take over a
duty someone offers, cancel one with a reason), and the coordinator's register, a volunteer's
page and the gaps on a tablet. Each page is scanned with axe and must fit the screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

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

pytestmark = [pytest.mark.browser, pytest.mark.engine_independent]
__all__ = ["open_page"]

TABLET = {
    "viewport": {"width": 800, "height": 1280},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 1,
}


def test_a_digibuddy_takes_over_and_cancels_duties_on_a_phone(
    open_page: OpenPage, screenshots: Path
) -> None:
    page = open_page(PHONE)
    sign_in(page, "digibuddy")
    page.goto(f"/{SLUG}/activities/duties/")
    expect(page.locator("main h1")).to_have_text("Mijn beurten")
    assert horizontal_overflow(page) == 0
    assert_accessible(page, "digibuddy schedule")
    shoot(page, screenshots, "digibuddy-schedule-phone")
    mine = page.locator("main ul.cards").first.locator("li.card")
    before = mine.count()
    with page.expect_navigation():
        page.get_by_role("button", name="Ik neem deze beurt").first.click()
    expect(page.locator(".flash").first).to_contain_text("De beurt is nu van jou")
    assert page.locator("main ul.cards").first.locator("li.card").count() == before + 1
    page.locator("main details summary").first.click()
    page.locator("main details input[name=reason]").first.fill("Op reis")
    with page.expect_navigation():
        page.locator("main details button").first.click()
    expect(page.locator(".flash").first).to_contain_text("afgezegd")
    assert page.locator("main ul.cards").first.locator("li.card").count() == before


def test_the_coordinator_sees_the_register_and_the_gaps_on_a_tablet(
    open_page: OpenPage, screenshots: Path
) -> None:
    page = open_page(TABLET)
    sign_in(page, "coordinator")
    for name, url in (
        ("register", f"/{SLUG}/activities/volunteers/"),
        ("gaps", f"/{SLUG}/activities/volunteers/gaps/"),
        ("new", f"/{SLUG}/activities/volunteers/new/"),
    ):
        page.goto(url)
        expect(page.locator("main h1")).to_be_visible()
        assert horizontal_overflow(page) == 0, name
        assert_accessible(page, f"digibuddies {name}")
        shoot(page, screenshots, f"digibuddies-{name}-tablet")
    page.goto(f"/{SLUG}/activities/volunteers/")
    with page.expect_navigation():
        page.locator("main table tbody tr a").first.click()
    assert horizontal_overflow(page) == 0
    assert_accessible(page, "digibuddy page")
    shoot(page, screenshots, "digibuddy-page-tablet")
