"""Check-in by QR in a real Chromium: the participant's "my sign-up" page on a phone (390 px)
shows a QR that zxing reads; a volunteer's tablet (800 x 1280, touch) opens that address,
checks the person in with one tap, then hands the tablet over for the evaluation. Each page is
scanned with axe and photographed.

A session that starts in an hour, with one person signed up, is added to the demo with
``buurtkit shell``; it prints the "my sign-up" address.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

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

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TABLET = {
    "viewport": {"width": 800, "height": 1280},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 1,
}

PREPARE = """
from datetime import timedelta
from buurtkit.activities import services
from buurtkit.activities.models import Series, Session
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.people import services as people
from buurtkit.places.models import Place
community = Community.objects.get(slug="rabot")
system = Actor.system(community, label="browser test")
series = Series.objects.in_community(community).filter(kind="it_cafe").first()
place = Place.objects.in_community(community).filter(status="open").first()
now = clock.now()
session = services.session_add(actor=system, series_id=series.pk, place_id=place.pk,
    starts_at=now + timedelta(minutes=50), ends_at=now + timedelta(minutes=100), capacity=5)
person = people.person_create(actor=system, first_name="Yusuf", last_name="Browsertest")
(registration,), token = services.registration_create(
    actor=system, session_id=session.pk, person_id=person.pk, channel="phone")
# The doors open now: the session is on today whatever the hour (signed up for in advance, it
# started a moment ago; 50 minutes ahead is tomorrow after 23:10 in Brussels).
Session.objects.filter(pk=session.pk).update(starts_at=clock.now())
print(services.my_path(community, registration, token))
"""


def test_a_volunteer_scans_the_qr_and_hands_the_tablet_over(
    demo_data_dir: Path, open_page: OpenPage, screenshots: Path
) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    printed = run_demo_command(demo_data_dir, "shell", "--no-imports", "-c", PREPARE)
    my_path = re.search(rf"/{SLUG}/activities/my/\S+", printed)
    assert my_path, printed
    phone = open_page(PHONE)
    phone.goto(my_path.group(0))
    expect(phone.locator("main h1")).to_be_visible()
    assert horizontal_overflow(phone) == 0, "the sign-up page scrolls sideways on a phone"
    assert_accessible(phone, "my sign-up")
    shoot(phone, screenshots, "activities-my-sign-up")
    src = phone.locator("figure.my-qr img").get_attribute("src") or ""
    image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    (scanned,) = [r.text for r in zxingcpp.read_barcodes(image)]
    assert f"/{SLUG}/activities/check-in/" in scanned

    tablet = open_page(TABLET)
    sign_in(tablet, "vrijwilliger")
    tablet.goto(scanned)
    button = tablet.locator("main form button.primary")
    expect(button).to_contain_text("Yusuf")
    assert_accessible(tablet, "check-in by QR")
    shoot(tablet, screenshots, "activities-scan")
    with tablet.expect_navigation():
        button.click()
    expect(tablet.locator("main")).to_contain_text("Yusuf Browsertest is aangemeld")
    session_page = tablet.url.split("?")[0]
    assert re.search(rf"/{SLUG}/activities/manage/sessions/\d+/$", session_page), session_page
    # A second scan says so, and offers no button.
    tablet.goto(scanned)
    expect(tablet.locator("[role=alert]")).to_contain_text("al aangemeld")
    expect(tablet.locator("main form button.primary")).to_have_count(0)

    # The tablet handed over for the evaluation.
    tablet.goto(session_page + "evaluation/?tablet=1")
    assert horizontal_overflow(tablet) == 0
    assert_accessible(tablet, "evaluation on the tablet")
    tablet.get_by_label(re.compile("Heel goed")).first.check()
    tablet.fill("textarea[name=learned]", "Foto's doorsturen")
    with tablet.expect_navigation():
        tablet.click("main form button.primary")
    expect(tablet.locator("main")).to_contain_text("Dank je")
    shoot(tablet, screenshots, "activities-evaluation-tablet")
