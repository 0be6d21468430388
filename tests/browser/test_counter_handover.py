"""The counter hand-over in a real Chromium on a tablet (800 x 1280, touch): find the devices,
(the page starts with a search box; a referral brings its device set aside), choose a loan, check the identity, sign on the pad with pointer moves, hand over once, and get
the signed agreement. Each page is scanned with axe and photographed.

Two wiped, available laptops are put in the demo's device bank first with ``buurtkit shell``.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import run_demo_command
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

TABLET = {
    "viewport": {"width": 800, "height": 1280},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 1,
}

PREPARE = """
from datetime import date
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.lending import services
community = Community.objects.get(slug="rabot")
system = Actor.system(community, label="browser test")
donation = services.donation_receive(
    actor=system, received_on=date(2026, 12, 1), donor_name="Barco",
    devices=[{"kind": "laptop", "brand": "Lenovo", "model": "T480", "serial": "TAB-1"},
             {"kind": "laptop", "brand": "Lenovo", "model": "T480", "serial": "TAB-2"}],
)
evidence = {"method": "NIST 800-88 purge", "tool": "nwipe", "operator": "Sofie",
            "wiped_on": "2026-12-01"}
for device in donation.devices.order_by("label"):
    services.device_record_event(actor=system, device_id=device.pk, kind="wiped",
                                 evidence=evidence)
    for kind in ("checked", "available"):
        services.device_record_event(actor=system, device_id=device.pk, kind=kind)
    print(device.label)
"""


def test_a_loan_is_handed_over_and_signed_on_a_tablet(
    demo_data_dir: Path, open_page: OpenPage, screenshots: Path
) -> None:
    printed = run_demo_command(demo_data_dir, "shell", "--no-imports", "-c", PREPARE)
    labels = re.findall(r"DB-\d{6}", printed)
    assert len(labels) == 2
    page = open_page(TABLET)
    sign_in(page, "loket")  # the counter clerk
    page.goto(f"/{SLUG}/lending/counter/")
    expect(page.locator("main h1")).to_be_visible()
    # The counter starts with a search box, not with every device on the shelf.
    expect(page.locator("input[name=device_ids]")).to_have_count(0)
    referrals = page.locator(".counter-referrals a")
    if referrals.count():  # the demo's requests with a device set aside
        with page.expect_navigation():
            referrals.first.click()
        expect(page.locator("input[name=device_ids]:checked")).to_have_count(1)
        expect(page.locator("input[name=referral_id]:checked")).not_to_have_value("")
        shoot(page, screenshots, "counter-referral")
        page.goto(f"/{SLUG}/lending/counter/")
    shoot(page, screenshots, "counter-start")
    page.fill("#q", "T480")
    with page.expect_navigation():
        page.locator("form.search button[type=submit]").click()
    for label in labels:
        expect(page.get_by_label(re.compile(label))).to_be_visible()
    for label in labels:
        page.get_by_label(re.compile(label)).check()
    page.locator("input[name=kind][value=loan]").check()
    expect(page.locator("[data-agreement='loan-nl']")).to_be_visible()
    expect(page.locator("[data-agreement='gift-nl']")).to_be_hidden()
    due = (date.today() + timedelta(days=60)).isoformat()
    page.fill("#due_on", due)
    page.fill("#recipient_name", "Fatima El Amrani")
    page.locator("input[name=identity_checked]").check()
    page.select_option("#identity_document", "eid")
    page.select_option("#connectivity", "social_tariff")
    assert horizontal_overflow(page) == 0, "the counter page scrolls sideways on a tablet"
    assert_accessible(page, "counter")

    canvas = page.locator("[data-signature-pad] canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 300
    x, y = box["x"], box["y"]
    page.mouse.move(x + 30, y + 150)
    page.mouse.down()
    for dx, dy in ((80, 40), (140, 160), (220, 50), (320, 150), (420, 60)):
        page.mouse.move(x + dx, y + dy, steps=8)
    page.mouse.up()
    value = page.locator("#signature").input_value()
    assert value.startswith("data:image/png;base64,")
    page.click("[data-clear]")  # "clear" empties the pad and the field
    assert page.locator("#signature").input_value() == ""
    page.mouse.move(x + 40, y + 140)
    page.mouse.down()
    for dx, dy in ((90, 30), (150, 150), (260, 40), (380, 130)):
        page.mouse.move(x + dx, y + dy, steps=8)
    page.mouse.up()
    shoot(page, screenshots, "counter-signed")

    with page.expect_navigation():
        page.click("main form[data-once] button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/{SLUG}/lending/handovers/\d+/$"))
    expect(page.locator("main h1")).to_contain_text(re.compile(r"\d+"))
    shoot(page, screenshots, "counter-result")
    assert_accessible(page, "counter result")
    pdf_link = page.locator("a[href$='agreement.pdf']").first
    response = page.request.get(pdf_link.get_attribute("href") or "")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.body()))
    text = reader.pages[0].extract_text()
    assert "Fatima El Amrani" in text and all(label in text for label in labels)
    images = [
        obj
        for obj in reader.pages[0]["/Resources"]["/XObject"].values()
        if obj.get_object()["/Subtype"] == "/Image"
    ]
    assert images, "the signature drawn on the pad is in the agreement"

    page.goto(f"/{SLUG}/lending/loans/")
    for label in labels:
        expect(page.locator("main table")).to_contain_text(label)
    assert_accessible(page, "loans")
    shoot(page, screenshots, "counter-loans")
