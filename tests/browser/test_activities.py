"""Activities in a real Chromium (issue 13): a resident signs up on a cheap phone (390 px),
and a volunteer checks people in by name on a tablet at the door. Each page is scanned with axe
and photographed.

A session of today with three people signed up (and one with a single seat left) is put in the
demo first with ``buurtkit shell``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
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

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
TABLET = {
    "viewport": {"width": 800, "height": 1280},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 1,
}

PREPARE = """
from datetime import timedelta
from buurtkit.activities import services
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.people.services import person_create
from buurtkit.places.models import Place
community = Community.objects.get(slug="rabot")
system = Actor.system(community, label="browser test")
place = Place.objects.filter(community=community, status="open").order_by("pk").first()
series = services.series_create(
    actor=system, kind="it_cafe", published=True,
    title={"nl": "Browsertest: tablet aan de deur", "fr": "Test : tablette"},
)
now = clock.now()
today = services.session_add(
    actor=system, series_id=series.pk, place_id=place.pk,
    starts_at=now + timedelta(minutes=30), ends_at=now + timedelta(hours=2), capacity=10,
)
for first, last, phone in (("Rosa", "Vermeulen", "0470 11 22 01"),
                           ("Jozef", "Claeys", "0470 11 22 02"),
                           ("Mina", "Haddou", "0470 11 22 03")):
    person = person_create(actor=system, first_name=first, last_name=last, phone=phone,
                           consents={"data_processing": True, "contact_sms": True},
                           allow_duplicate=True)
    services.registration_create(actor=system, session_id=today.pk, person_id=person.pk,
                                 channel="desk", idempotency_key=f"browser-{phone}")
later = services.series_create(
    actor=system, kind="essential", published=True,
    title={"nl": "Browsertest: itsme op je gsm", "fr": "Test : itsme"},
)
one_seat = services.session_add(
    actor=system, series_id=later.pk, place_id=place.pk,
    starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=2, hours=2), capacity=1,
)
print("TODAY", today.pk)
print("ONE_SEAT", one_seat.pk)
"""


@pytest.fixture(scope="module")
def prepared(demo_data_dir: Path) -> dict[str, int]:
    printed = run_demo_command(demo_data_dir, "shell", "--no-imports", "-c", PREPARE)
    return {k: int(v) for k, v in re.findall(r"^(TODAY|ONE_SEAT) (\d+)$", printed, re.M)}


def test_a_resident_signs_up_on_a_phone(
    prepared: dict[str, int], open_page: OpenPage, screenshots: Path
) -> None:
    page = open_page(PHONE)
    page.goto(f"/{SLUG}/activities/")
    expect(page.locator("main h1")).to_be_visible()
    assert horizontal_overflow(page) == 0, "the programme scrolls sideways on a phone"
    assert_accessible(page, "programme on a phone")
    shoot(page, screenshots, "activities-phone-programme")

    page.goto(f"/{SLUG}/activities/sessions/{prepared['ONE_SEAT']}/")
    expect(page.locator("main h1")).to_contain_text("itsme")
    page.fill("input[name=first_name]", "Georgette")
    page.fill("input[name=last_name]", "Van Damme")
    page.fill("input[name=phone]", "12345")  # not a number
    page.locator("input[name=consent]").check()
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    # The mistake is said next to the field, and what was typed is still there.
    expect(page.locator("main")).to_contain_text(re.compile(r"0470|\+32"))
    assert page.locator("input[name=first_name]").input_value() == "Georgette"
    assert page.locator("input[name=last_name]").input_value() == "Van Damme"
    assert page.locator("input[name=phone]").input_value() == "12345"
    assert page.locator("input[name=phone]").get_attribute("aria-invalid") == "true"
    assert horizontal_overflow(page) == 0
    assert_accessible(page, "sign-up with a mistake on a phone")
    shoot(page, screenshots, "activities-phone-error")

    page.fill("input[name=phone]", "0470 12 34 99")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    cancel = page.locator(f"a[href*='/{SLUG}/activities/cancel/']")
    expect(cancel).to_have_count(1)
    assert horizontal_overflow(page) == 0
    assert_accessible(page, "sign-up confirmation on a phone")
    shoot(page, screenshots, "activities-phone-confirmed")

    # The last seat is gone: the next person lands on the waiting list, and is told so.
    page.goto(f"/{SLUG}/activities/sessions/{prepared['ONE_SEAT']}/")
    page.fill("input[name=first_name]", "Omar")
    page.fill("input[name=phone]", "0470 12 34 98")
    page.locator("input[name=consent]").check()
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator("main")).to_contain_text(re.compile("wachtlijst", re.I))
    shoot(page, screenshots, "activities-phone-waiting")

    # The cancel link of the first sign-up works (it frees the seat for Omar).
    page.goto(cancel.get_attribute("href") or "")
    expect(page.locator("main h1")).to_be_visible()
    assert_accessible(page, "cancel page on a phone")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator("main")).to_contain_text(re.compile("uitgeschreven|geannuleerd", re.I))
    shoot(page, screenshots, "activities-phone-cancelled")


def test_a_volunteer_checks_people_in_by_name_on_a_tablet(
    prepared: dict[str, int], open_page: OpenPage, screenshots: Path
) -> None:
    page = open_page(TABLET)
    sign_in(page, "vrijwilliger")
    page.goto(f"/{SLUG}/activities/manage/")
    expect(page.locator("main")).to_contain_text("Browsertest: tablet aan de deur")
    assert_accessible(page, "the week's sessions on a tablet")
    page.goto(f"/{SLUG}/activities/manage/sessions/{prepared['TODAY']}/")
    expect(page.locator("main h1")).to_contain_text("tablet aan de deur")
    search = page.locator("#q")
    box = search.bounding_box()
    assert box is not None and box["height"] >= 44, "the name field is a large target"
    page.fill("#q", "jozef")
    with page.expect_navigation():
        page.click("main form[role=search] button[type=submit]")
    cards = page.locator("main ul.cards > li")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Jozef Claeys")
    assert horizontal_overflow(page) == 0, "the check-in page scrolls sideways on a tablet"
    assert_accessible(page, "check-in on a tablet")
    box = cards.first.locator("button[value='1']").bounding_box()
    assert box is not None and box["height"] >= 44, "the check-in button is a large target"
    with page.expect_navigation():
        cards.first.locator("button[value='1']").click()
    expect(page.locator("main")).to_contain_text(re.compile("Jozef Claeys"))
    shoot(page, screenshots, "activities-tablet-checked-in")
    page.fill("#q", "")
    with page.expect_navigation():
        page.click("main form[role=search] button[type=submit]")
    jozef = page.locator("main ul.cards > li", has_text="Jozef Claeys")
    expect(jozef).to_contain_text(re.compile("gekomen|aanwezig", re.I))
    expect(jozef.locator("button[value='1']")).to_have_count(0)
    rosa = page.locator("main ul.cards > li", has_text="Rosa Vermeulen")
    expect(rosa.locator("button[value='1']")).to_have_count(1)
    assert_accessible(page, "check-in after one person came")
    shoot(page, screenshots, "activities-tablet-list")
