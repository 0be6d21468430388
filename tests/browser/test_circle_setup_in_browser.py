"""A new currency circle set up only through pages, from an empty community to the first
payment, in a real Chromium (issue 16).

No demo data: a fresh install (its own SQLite data dir) with one empty community and one
coordinator login, made with the commands an installer runs (``buurtkit migrate``,
``buurtkit community create``, ``buurtkit createsuperuser``, ``buurtkit community grant``), then
``buurtkit serve``. From there everything is a page: the coordinator adds a shop and a
neighbourhood centre, makes the currency, opens an exchange office, gives the centre a budget,
lets the shop accept payments, adds a resident and opens their account, rewards them from the
budget, and pays the shop on their behalf at the counter. The new pages are scanned with axe
and photographed into ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    HEALTH_TIMEOUT_SECONDS,
    _free_port,
    _healthy,
    _tail,
    demo_env,
)
from tests.browser.test_demo_pages import (
    DESKTOP,
    PHONE,
    OpenPage,
    assert_accessible,
    horizontal_overflow,
    shoot,
)

pytestmark = [pytest.mark.browser, pytest.mark.engine_independent]

NEW = "sluizeken"
PASSWORD = "a-long-coordinator-password"


def _install(data_dir: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "buurtkit.conf.cli", *args],
        env=_env(data_dir),
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=HEALTH_TIMEOUT_SECONDS * 2,
        check=False,
    )
    if done.returncode:
        pytest.fail(f"buurtkit {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def _env(data_dir: Path) -> dict[str, str]:
    # The demo's settings (plain HTTP, its secret) without the demo's data.
    return {
        **demo_env(data_dir),
        "BUURTKIT_DEMO": "1",
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    }


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh install with one empty community and its coordinator, served on a free port."""
    data_dir = tmp_path_factory.mktemp("empty-install")
    _install(data_dir, "migrate", "--noinput", "--verbosity", "0")
    _install(
        data_dir, "community", "create", "--name", "Sluizeken", "--slug", NEW, "--modules", "ledger"
    )
    _install(
        data_dir,
        "createsuperuser",
        "--noinput",
        "--username",
        "coordinator",
        "--email",
        "c@example.org",
    )
    _install(
        data_dir,
        "community",
        "grant",
        "--slug",
        NEW,
        "--username",
        "coordinator",
        "--role",
        "coordinator",
    )
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = data_dir / "serve.log"
    command = [sys.executable, "-m", "buurtkit.conf.cli", "serve", "--no-migrate"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, env=_env(data_dir), stdout=log, stderr=subprocess.STDOUT, cwd=data_dir
        )
        try:
            deadline = time.monotonic() + HEALTH_TIMEOUT_SECONDS
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    pytest.fail(f"buurtkit serve stopped:\n{_tail(log_path)}")
                if _healthy(f"{base_url}/healthz"):
                    break
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=0.1)
            else:
                pytest.fail(f"buurtkit serve did not answer /healthz:\n{_tail(log_path)}")
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def open_page(browser: Any, empty_server: str) -> Iterator[OpenPage]:
    contexts: list[Any] = []

    def make(device: dict[str, Any] | None = None, locale: str = "nl-BE") -> Page:
        context = browser.new_context(base_url=empty_server, locale=locale, **(device or DESKTOP))
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()  # type: ignore[no-any-return]

    yield make
    for context in contexts:
        context.close()


def submit(page: Page, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def look(page: Page, screenshots: Path, name: str) -> None:
    expect(page.locator("main h1")).to_be_visible()
    shoot(page, screenshots, name)
    assert_accessible(page, name)


def test_a_new_circle_through_pages_from_an_empty_community_to_the_first_payment(
    open_page: OpenPage, screenshots: Path
) -> None:
    page = open_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", "coordinator")
    page.fill("#id_password", PASSWORD)
    submit(page, "main form")
    page.goto(f"/{NEW}/")
    expect(page.locator(f"main a[href='/{NEW}/ledger/setup/']")).to_be_visible()

    # The shop and the neighbourhood centre, as organisations with their address.
    for name, slug, kind, address in (
        ("Bakkerij Sluizeken", "bakkerij", "merchant", "Sluizeken 12, 9000 Gent"),
        ("Buurtcentrum De Sluis", "de-sluis", "association", "Tolhuislaan 3, 9000 Gent"),
    ):
        page.goto(f"/{NEW}/organisations/new/")
        page.fill("#id_name", name)
        page.fill("#id_slug", slug)
        page.select_option("#id_kind", kind)
        page.fill("#id_address", address)
        submit(page, "main form[method=post]")
        expect(page).to_have_url(re.compile(rf"/{NEW}/organisations/$"))
        expect(page.locator("main")).to_contain_text(name)

    # 1. The currency: a mistake first (kept, and said where), then right.
    page.goto(f"/{NEW}/ledger/setup/")
    look(page, screenshots, "circle-setup-empty")
    currency_form = "main form[action$='/ledger/setup/currency/']"
    page.fill("#id_code", "S L")
    page.fill("#id_name_nl_singular", "sluiske")
    page.fill("#id_name_nl_plural", "sluiskes")
    page.fill("#id_euro_cents_per_unit", "10")
    page.fill("#id_denominations", "1, 5, 10")
    page.fill("#id_approval_threshold", "50")
    submit(page, currency_form)
    expect(page.locator("#id_code_error")).to_be_visible()
    expect(page.locator("#id_name_nl_plural")).to_have_value("sluiskes")
    look(page, screenshots, "circle-setup-currency-error")
    page.fill("#id_code", "SLS")
    submit(page, currency_form)
    expect(page.locator("main .flash")).to_be_visible()

    # 2. An exchange office at the centre; 3. a budget for the centre; 4. the shop.
    page.select_option("#id_office-organisation_id", label="Buurtcentrum De Sluis")
    page.fill("#id_office-name", "Loket De Sluis")
    submit(page, "main form[action$='/ledger/setup/offices/']")
    expect(page.locator("#offices")).to_contain_text("Loket De Sluis")

    today = date.today()
    page.select_option("#id_budget-organisation_id", label="Buurtcentrum De Sluis")
    page.fill("#id_budget-starts_on", (today - timedelta(days=2)).isoformat())
    page.fill("#id_budget-ends_on", (today + timedelta(days=60)).isoformat())
    page.fill("#id_budget-amount", "200")
    submit(page, "main form[action$='/ledger/setup/budgets/']")
    expect(page.locator("#budgets")).to_contain_text("Buurtcentrum De Sluis")

    page.select_option("#id_shop-organisation_id", label="Bakkerij Sluizeken")
    submit(page, "main form[action$='/ledger/setup/shops/']")
    expect(page.locator("#shops")).to_contain_text("Sluizeken 12")
    look(page, screenshots, "circle-setup-done")

    page.click("#shops a")
    number = re.sub(r"\D", "", page.locator("main dd.number").first.inner_text())
    assert len(number) == 9

    # A resident, added at the counter, gets an account and a reward from the budget.
    page.goto(f"/{NEW}/people/new/")
    page.fill("#id_first_name", "Fatima")
    page.fill("#id_last_name", "Sluizeken")
    if page.locator("#consent").count():
        page.check("#consent")
    submit(page, "main form.card")
    expect(page).to_have_url(re.compile(rf"/{NEW}/people/\d+/$"))
    person_url = page.url
    submit(page, "main form:has(#open-account)")
    expect(page.locator("#open-account")).to_have_count(0)

    page.goto(f"/{NEW}/ledger/issuing/?q=Fatima")
    page.select_option("#issuer", label="Buurtcentrum De Sluis")
    page.fill("#amount", "10")
    page.fill("#reason", "Hielp bij het buurtfeest")
    submit(page, "main form[action$='/ledger/issuing/reward/']")
    expect(page.locator("main .flash")).to_be_visible()

    # The first payment: the resident has no smartphone; staff pay the shop on their behalf.
    page.goto(person_url)
    submit(page, "main form[action$='/act/']")
    phone = open_page(PHONE)  # the same counter, on a phone-sized screen
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"/{NEW}/pay/to/?to={number}")
    expect(phone.locator("#id_amount")).to_be_visible()
    phone.fill("#id_amount", "4")
    phone.fill("#id_description", "Brood")
    submit(phone, "main form:has(#id_amount)")
    expect(phone).to_have_url(re.compile(r"/pay/confirm/"))
    phone.click("#pay-button")
    expect(phone).to_have_url(re.compile(r"/pay/receipt/\d+/$"))
    expect(phone.locator("#receipt-amount")).to_contain_text("4")
    phone.goto(f"/{NEW}/pay/")
    assert int(re.sub(r"\D", "", phone.locator("#balance").inner_text())) == 6
    assert phone.locator("link[rel=manifest]").count() == 1

    # Anyone sees where the currency is accepted, also on a phone and in the embed.
    visitor = open_page(PHONE, locale="fr-BE")
    visitor.goto(f"/{NEW}/pay/where/")
    expect(visitor.locator("main")).to_contain_text("Sluizeken 12, 9000 Gent")
    expect(visitor.locator("main")).to_contain_text("Loket De Sluis")
    expect(visitor.locator("main")).not_to_contain_text("Fatima")
    assert horizontal_overflow(visitor) == 0
    look(visitor, screenshots, "circle-places-phone-fr")
    visitor.goto(f"/{NEW}/pay/where/embed/?lang=nl")
    expect(visitor.locator("h1")).to_contain_text("sluiskes")
    shoot(visitor, screenshots, "circle-places-embed")
    assert_accessible(visitor, "circle-places-embed")
