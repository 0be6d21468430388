"""The currency as each role meets it in the demo, in a real Chromium (issue 17, items 1-5).

The shopkeeper's home (balance, today's payments, the payment screen), the clerk who opens an
account for a resident found at the counter, the resident told at "how much?" that the amount
is more than they have, and the coordinator approving the large reward ``medewerker`` asked
for. Screenshots go to ``test-artifacts/screenshots/``.
"""

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
    open_page,
    shoot,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.engine_independent]
__all__ = ["open_page"]

NO_ACCOUNT = (
    "from buurtkit.people.models import Person; "
    "from buurtkit.ledger.models import Account; "
    "have = Account.objects.filter(person__isnull=False).values('person_id'); "
    "p = Person.objects.filter(anonymised_at__isnull=True).exclude(pk__in=have)"
    ".order_by('pk').first(); print('PERSON', p.pk, p.full_name)"
)


def test_each_role_finds_its_daily_actions(
    open_page: OpenPage, screenshots: Path, demo_data_dir: Path
) -> None:
    # The shopkeeper: a home with the shop's balance, today's payments and the payment screen.
    page = open_page(PHONE)
    sign_in(page, "bakker")
    shop = page.locator("section.shop-home")
    expect(shop).to_have_count(1)
    expect(shop.locator(".shop-balance")).to_contain_text("torekes")
    expect(shop.locator(".shop-today")).to_contain_text("torekes")
    shoot(page, screenshots, "currency-shop-home")
    assert_accessible(page, "currency-shop-home")
    with page.expect_navigation():
        shop.locator(f"a[href='/{SLUG}/pay/requests/']").click()
    expect(page.locator("main h1")).to_be_visible()
    page.go_back()
    with page.expect_navigation():
        shop.locator("a[href*='/pay/accounts/']").first.click()
    expect(page.locator("main h1")).to_contain_text("Bakkerij")
    page.context.close()  # the server has few threads: one open browser at a time

    # The clerk: a resident without an account is found at the counter and gets one.
    made = run_demo_command(demo_data_dir, "shell", "-c", NO_ACCOUNT)
    found = re.search(r"^PERSON (\d+) (.+)$", made, re.M)
    assert found, "the demo has no resident without an account"
    name = found.group(2).strip()
    page = open_page()
    sign_in(page, "loket")
    page.goto(f"/{SLUG}/exchange/")
    page.fill("#exchange-q", name)
    with page.expect_navigation():
        page.click("main form[role=search] button[type=submit]")
    person = page.locator("#without-account li", has_text=name).first
    expect(person).to_be_visible()
    shoot(page, screenshots, "currency-counter-without-account")
    with page.expect_navigation():
        person.locator("button[type=submit]").click()
    expect(page.locator("#exchange-chosen")).to_contain_text(name)
    expect(page.locator(".flash")).to_contain_text(name)
    page.context.close()

    # The resident: an amount above the balance is refused at "how much?", with the reason.
    page = open_page(PHONE)
    sign_in(page, "bewoner")
    page.goto(f"/{SLUG}/pay/")
    have = int(re.sub(r"\D", "", page.locator("#balance").inner_text()))
    shop_number = run_demo_command(
        demo_data_dir,
        "shell",
        "-c",
        "from buurtkit.ledger.models import Account; "
        "print('SHOP', Account.objects.filter(kind='merchant').order_by('pk').first().number)",
    )
    number = re.search(r"SHOP (\d{9})", shop_number)
    assert number
    page.goto(f"/{SLUG}/pay/amount/?to={number.group(1)}")
    page.fill("#id_amount", str(have + 5))
    with page.expect_navigation():
        page.click("main form.card button[type=submit]")
    expect(page.locator("#id_amount_error")).to_contain_text("Niet genoeg geld")
    expect(page.locator("main")).not_to_contain_text("−")  # no negative "after this you have"
    shoot(page, screenshots, "currency-amount-above-balance")
    page.context.close()

    # The coordinator approves the large reward that medewerker asked for.
    page = open_page()
    sign_in(page, "coordinator")
    with page.expect_navigation():
        page.click(f"main a.tile[href='/{SLUG}/ledger/issuing/']")
    waiting = page.locator("main form.inline button[value=approve]")
    expect(waiting.first).to_be_visible()
    shoot(page, screenshots, "currency-four-eyes")
    before = waiting.count()
    with page.expect_navigation():
        waiting.first.click()
    expect(page.locator(".flash").first).to_be_visible()
    assert page.locator("main form.inline button[value=approve]").count() == before - 1
