"""The demo's key pages in a real Chromium: flows, languages, accessibility, phone layout.

The demo runs as a subprocess (see ``conftest.py``); every test opens its own browser context
and signs in through the real login form. Screenshots land in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

# The demo server these tests drive runs on its own SQLite data dir whatever DATABASE_URL
# says (tests/browser/conftest.py strips it): the PostgreSQL run would repeat the same run.
pytestmark = [pytest.mark.browser, pytest.mark.engine_independent]

SLUG = "rabot"
PASSWORD = "buurtkit-demo"
COMMUNITY_NAME = "Rabot – Blaisantvest"
PHONE = {
    "viewport": {"width": 360, "height": 640},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
BLOCKING_IMPACTS = {"serious", "critical"}
AXE = Axe()

OpenPage = Callable[..., Page]


@pytest.fixture
def open_page(browser: Any, demo_server: str) -> Iterator[OpenPage]:
    """A fresh page in its own context (own cookies), Belgian Dutch by default."""
    contexts: list[Any] = []

    def make(device: dict[str, Any] | None = None, locale: str = "nl-BE") -> Page:
        context = browser.new_context(base_url=demo_server, locale=locale, **(device or DESKTOP))
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()  # type: ignore[no-any-return]

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Page, username: str) -> None:
    """Sign in through the real form; the demo has one community, so we land on it."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/{SLUG}/$"))


def submit(page: Page, selector: str = "main form.card button[type=submit]") -> None:
    with page.expect_navigation():
        page.click(selector)


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            lines.append(f"    at {', '.join(map(str, node['target']))}")
            lines.append(f"       {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n         ")
            if summary:
                lines.append(f"       {summary}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def assert_accessible(page: Page, name: str) -> None:
    """axe-core on the page as it is now; serious and critical violations fail the test."""
    violations = AXE.run(page).response["violations"]
    if violations:
        print(f"\naxe on {name} ({page.url}):\n{format_violations(violations)}")
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(
            f"axe found serious or critical problems on {name} ({page.url}):\n"
            f"{format_violations(blocking)}",
            pytrace=False,
        )


def shoot(page: Page, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"{name}.png"), full_page=True)


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the screen (0 = no sideways scrolling)."""
    return int(
        page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - document.documentElement.clientWidth"
        )
    )


def row_names(page: Page) -> list[str]:
    return page.locator("#rows tbody tr td:first-child a").all_inner_texts()


# --- Languages ---------------------------------------------------------------------------


def test_dashboard_speaks_dutch_english_and_french(open_page: OpenPage) -> None:
    """Dutch by default for a Belgian browser; the header buttons switch to EN and FR.

    Relies on the msgids "Overview" (nav item) and "Overview of %(name)s" (page heading).
    """
    page = open_page()
    sign_in(page, "coordinator")
    overview = page.locator("header nav.main a").first
    heading = page.locator("main h1")
    expected_overview = {"nl": "Overzicht", "en": "Overview", "fr": "Aperçu"}
    # (html lang, nav item, heading) per step: the browser's default, then each button.
    seen: list[tuple[str, str | None, str, str]] = []
    for code in ("nl", "en", "fr", "nl"):
        if seen:
            with page.expect_navigation():
                page.click(f"header form.langs button[value={code}]")
            expect(page).to_have_url(re.compile(rf"/{SLUG}/$"))
        expect(page.locator(f"header form.langs button[value={code}]")).to_have_attribute(
            "aria-current", "true"
        )
        lang = page.locator("html").get_attribute("lang")
        seen.append((code, lang, overview.inner_text().strip(), heading.inner_text().strip()))
    # The switch itself works (this does not depend on the catalogues)...
    assert [lang for _code, lang, _nav, _h1 in seen] == ["nl", "en", "fr", "nl"], seen
    # ...and the words change with it (this needs the nl and fr catalogues).
    assert [nav for _code, _lang, nav, _h1 in seen] == [
        expected_overview[code] for code, *_rest in seen
    ], f"nav item per language: {seen}"
    headings = {code: h1 for code, _lang, _nav, h1 in seen}
    assert headings["en"] == f"Overview of {COMMUNITY_NAME}"
    assert len(set(headings.values())) == 3, f"the heading must differ per language: {headings}"
    assert all(COMMUNITY_NAME in h1 for h1 in headings.values()), headings
    assert seen[0][3] == seen[-1][3], "switching back to Dutch gives the Dutch page again"


# --- People: search, paging, create, act on behalf ----------------------------------------


def test_people_live_search_and_paging(open_page: OpenPage) -> None:
    page = open_page()
    sign_in(page, "coordinator")
    page.goto(f"/{SLUG}/people/")
    rows = page.locator("#rows tbody tr")
    expect(rows).to_have_count(25)
    first_page = row_names(page)

    # Paging: page 2 shows other people; "previous" brings page 1 back.
    page.click("nav.pager a[href$='page=2']")
    expect(page).to_have_url(re.compile(r"[?&]page=2$"))
    second_page = row_names(page)
    assert second_page
    assert not set(first_page) & set(second_page)
    page.click("nav.pager a[href$='page=1']")
    expect(page).to_have_url(re.compile(r"[?&]page=1$"))
    assert row_names(page) == first_page

    # Live search (htmx): typing replaces the rows without a page load and updates the URL.
    surname = first_page[0].split()[-1]

    def is_live_search(response: Any) -> bool:
        return f"/{SLUG}/people/" in response.url and bool(
            response.request.headers.get("hx-request")
        )

    with page.expect_response(is_live_search):
        page.fill("#q", surname)
    expect(page).to_have_url(re.compile(rf"[?&]q={re.escape(surname)}"))
    found = row_names(page)
    assert found, f"searching {surname!r} found nobody"
    assert first_page[0] in found
    assert all(surname.lower() in name.lower() for name in found), found

    with page.expect_response(is_live_search):
        page.fill("#q", "zzq-nobody-by-this-name")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td[colspan]")).to_be_visible()

    # A filter and paging together: the page links keep the filter.
    page.goto(f"/{SLUG}/people/?smartphone=no")
    next_link = page.locator("nav.pager a[href*='page=2']")
    if next_link.count():
        assert "smartphone=no" in (next_link.get_attribute("href") or "")


def test_create_person_keeps_the_typed_values_after_a_bad_phone_number(
    open_page: OpenPage, screenshots: Path
) -> None:
    page = open_page(PHONE)
    sign_in(page, "coordinator")
    page.goto(f"/{SLUG}/people/new/")
    last_name = f"Testpersoon {uuid.uuid4().hex[:6]}"
    typed = {
        "#id_first_name": "Godelieve",
        "#id_last_name": last_name,
        "#id_phone": "12345",
        "#id_email": "godelieve@example.org",
        "#id_postcode": "9000",
        "#id_neighbourhood": "Rabot",
        "#id_birth_year": "1948",
    }
    for selector, value in typed.items():
        page.fill(selector, value)
    page.check("#consent")
    submit(page)

    expect(page).to_have_url(re.compile(rf"/{SLUG}/people/new/$"))
    phone_field = page.locator("div.field.invalid", has=page.locator("#id_phone"))
    expect(phone_field.locator(".error")).to_be_visible()
    expect(page.locator("main [role=alert]").first).to_be_visible()
    for selector, value in typed.items():
        expect(page.locator(selector)).to_have_value(value)
    expect(page.locator("#consent")).to_be_checked()
    # Screen readers hear the error and the hint with the field (Django's aria-describedby).
    phone = page.locator("#id_phone")
    expect(phone).to_have_attribute("aria-invalid", "true")
    described_by = (phone.get_attribute("aria-describedby") or "").split()
    assert described_by, "the phone field is not linked to its error and hint"
    for element_id in described_by:
        expect(page.locator(f"[id='{element_id}']")).to_have_count(1)
    expect(page.locator("#id_phone_error")).to_have_text(phone_field.locator(".error").inner_text())
    assert_accessible(page, "person form with an error")
    shoot(page, screenshots, "person-form-error-phone")

    page.fill("#id_phone", "0470 12 34 56")
    submit(page)
    expect(page).to_have_url(re.compile(rf"/{SLUG}/people/\d+/$"))
    expect(page.locator("main h1")).to_have_text(f"Godelieve {last_name}")
    expect(page.locator("main dl.facts")).to_contain_text("+32 470 12 34 56")
    expect(page.locator("main .flash")).to_contain_text(f"Godelieve {last_name}")


def test_act_on_behalf_of_a_resident_without_smartphone(
    open_page: OpenPage, screenshots: Path
) -> None:
    page = open_page()
    sign_in(page, "loket")
    page.goto(f"/{SLUG}/people/?smartphone=no")
    person_link = page.locator("#rows tbody tr td:first-child a").first
    name = person_link.inner_text().strip()
    person_link.click()
    expect(page.locator("main h1")).to_have_text(name)
    detail_url = page.url

    submit(page, "main form[action$='/act/'] button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/{SLUG}/$"))
    banner = page.locator("main .banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(name)
    assert_accessible(page, "resident home while acting on behalf")
    shoot(page, screenshots, "on-behalf-desktop")

    # Every page keeps showing whose name we act in, until we stop.
    page.goto(f"/{SLUG}/people/")
    expect(banner).to_contain_text(name)
    submit(page, "main .banner button[type=submit]")
    expect(page).to_have_url(detail_url)
    expect(page.locator("main .banner")).to_have_count(0)


def test_resident_sees_the_resident_home(open_page: OpenPage) -> None:
    page = open_page()
    sign_in(page, "bewoner")
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("header nav.main")).to_have_count(0)  # no staff menu
    expect(page.locator("main .card h2").first).to_be_visible()  # "No smartphone? No problem."
    response = page.goto(f"/{SLUG}/people/")
    assert response is not None
    assert response.status == 403


# --- Every key page: accessibility, screenshots, phone layout -----------------------------

STAFF_PAGES = [
    ("dashboard", f"/{SLUG}/"),
    ("people-list", f"/{SLUG}/people/"),
    ("person-detail", None),  # the first person of the list
    ("person-form", f"/{SLUG}/people/new/"),
    ("organisations", f"/{SLUG}/organisations/"),
    ("memberships", f"/{SLUG}/memberships/"),
    ("apikeys", f"/{SLUG}/apikeys/"),
    ("audit", f"/{SLUG}/audit/"),
]
NO_SIDEWAYS_SCROLL_ON_PHONE = {"dashboard", "people-list"}


@pytest.mark.parametrize("device_name", ["phone", "desktop"])
def test_key_pages_are_accessible_and_fit_the_screen(
    open_page: OpenPage, screenshots: Path, device_name: str
) -> None:
    device = PHONE if device_name == "phone" else DESKTOP
    page = open_page(device)
    problems: list[str] = []
    overflow: dict[str, int] = {}

    def visit(page: Page, name: str) -> None:
        expect(page.locator("main h1")).to_be_visible()
        shoot(page, screenshots, f"{name}-{device_name}")
        overflow[name] = horizontal_overflow(page)
        try:
            assert_accessible(page, f"{name} ({device_name})")
        except pytest.fail.Exception as exc:  # report every page, not only the first
            problems.append(str(exc))

    page.goto("/accounts/login/")
    visit(page, "login")
    sign_in(page, "coordinator")
    for name, path in STAFF_PAGES:
        if path is None:
            page.goto(f"/{SLUG}/people/")
            path = page.locator("#rows tbody tr td:first-child a").first.get_attribute("href")
            assert path
        page.goto(path)
        visit(page, name)

    resident = open_page(device)
    sign_in(resident, "bewoner")
    visit(resident, "resident-home")

    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
    if device_name == "phone":
        print(f"\nsideways overflow on a 360 px phone, in CSS px: {overflow}")
        too_wide = {n: px for n, px in overflow.items() if n in NO_SIDEWAYS_SCROLL_ON_PHONE and px}
        assert not too_wide, f"pages scroll sideways on a 360 px phone: {too_wide}"


def test_the_helpdesk_phone_line_page_and_a_phone_message_in_the_queue(
    open_page: OpenPage, screenshots: Path
) -> None:
    """The coordinator's phone-line page (the demo's simulator line), and a message left on it
    that staff play from the ticket."""
    page = open_page()
    sign_in(page, "coordinator")
    page.goto(f"/{SLUG}/helpdesk/phone/")
    expect(page.locator("#id_phone_number")).to_have_value("+3256277777")
    assert_accessible(page, "helpdesk phone line")
    shoot(page, screenshots, "helpdesk-phone-line")
    page.goto(f"/{SLUG}/helpdesk/?q=telefoonbericht&status=")
    with page.expect_navigation():
        page.locator("main table a", has_text="telefoonbericht").first.click()
    player = page.locator("main audio")
    expect(player).to_have_count(1)
    audio = page.request.get(player.get_attribute("src") or "")
    assert audio.status == 200 and audio.headers["content-type"] == "audio/wav"
    assert_accessible(page, "helpdesk ticket with a phone message")
    shoot(page, screenshots, "helpdesk-ticket-phone-message")
