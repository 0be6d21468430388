"""Monitoring in a real Chromium: the coordinator opens the demo plan's dashboard (targets on
track and behind, charts per month, per municipality, budget, milestones) on a laptop and on a
phone, scanned with axe and photographed; the target form keeps what was typed on an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_activities import PHONE
from tests.browser.test_demo_pages import (
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


def test_the_coordinator_reads_the_plans_dashboard(open_page: OpenPage, screenshots: Path) -> None:
    page = open_page()
    sign_in(page, "coordinator")
    page.goto(f"/{SLUG}/monitoring/")
    assert_accessible(page, "the plans")
    with page.expect_navigation():
        page.click("main table a")
    expect(page.locator("main h1")).to_contain_text("Digibank")
    main = page.locator("main")
    expect(main).to_contain_text("op schema")  # some targets on track…
    expect(main).to_contain_text("achter")  # …and some behind
    expect(main).to_contain_text("200 hulp-aan-huisvragen")  # counted by the helpdesk now
    expect(main).to_contain_text("Projectcoördinator")  # the budget
    expect(main).to_contain_text("Stuurgroep 1")  # the milestones
    expect(page.locator("main figure.chart svg").first).to_be_visible()
    assert_accessible(page, "a plan's dashboard")
    shoot(page, screenshots, "monitoring-dashboard")

    page.click("text=Een streefcijfer toevoegen")
    page.fill("#id_title", "Bijna goed")
    page.select_option("#id_indicator", "qrcodes.scans")
    page.fill("#id_breakdown", "kleur:rood")
    page.fill("#id_value", "77")
    with page.expect_navigation():
        page.click("main form button[type=submit] >> nth=0")
    expect(main).to_contain_text("kleur:rood")
    assert page.locator("#id_title").input_value() == "Bijna goed"
    assert page.locator("#id_value").input_value() == "77"
    assert_accessible(page, "the target form with a mistake")
    shoot(page, screenshots, "monitoring-target-error")


def test_the_dashboard_on_a_phone(open_page: OpenPage, screenshots: Path) -> None:
    page = open_page(PHONE)
    sign_in(page, "medewerker")
    page.goto(f"/{SLUG}/monitoring/")
    with page.expect_navigation():
        page.click("main table a")
    expect(page.locator("main h1")).to_contain_text("Digibank")
    assert horizontal_overflow(page) == 0, "the dashboard scrolls sideways on a phone"
    assert_accessible(page, "a plan's dashboard on a phone")
    shoot(page, screenshots, "monitoring-dashboard-phone")
