"""The helpdesk's chat box in a real Chromium: a visitor on a phone opens the chat on a public
help page and writes; a staff login on a desktop goes on chat duty, sees the chat in the queue's
live chats and answers; the visitor's panel shows the answer without reloading (htmx polling).
The queue page and the open chat panel are scanned with axe; screenshots at 360 px and desktop.

One module, one demo server (the shared module-scoped fixtures), one test: it adds little time.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

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

pytestmark = [pytest.mark.browser, pytest.mark.engine_independent]
__all__ = ["open_page"]

QUESTION = "Mijn itsme-app vraagt een nieuwe code. Wat moet ik doen?"
ANSWER = "Open de app en kies 'Code vergeten'. Ik help u stap voor stap."


def test_a_visitor_chats_and_the_staff_answers_live(open_page: OpenPage, screenshots: Path) -> None:
    staff = open_page(DESKTOP)
    sign_in(staff, "medewerker")
    staff.goto(f"/{SLUG}/helpdesk/")
    with staff.expect_navigation():
        staff.locator("form[action$='/helpdesk/chats/duty/'] button").click()
    expect(staff.locator("form[action$='/helpdesk/chats/duty/'] input[name=on]")).to_have_value("0")

    visitor = open_page(PHONE)
    visitor.goto(f"/{SLUG}/help/")
    opener = visitor.locator(".chatbox .chat-open")
    expect(opener).to_have_text("Vraag het ons")
    opener.click()
    panel = visitor.locator("#chat-panel")
    expect(panel.locator("#chat-name")).to_be_visible()
    assert horizontal_overflow(visitor) == 0
    assert_accessible(visitor, "chat panel (start)")
    shoot(visitor, screenshots, "helpdesk-chat-start-phone")
    panel.locator("#chat-name").fill("Fatima")
    panel.locator("#chat-question").fill(QUESTION)
    panel.locator("form.chat-start button[type=submit]").click()
    expect(panel.locator("#chat-lines")).to_contain_text(QUESTION)
    expect(panel.locator("#chat-body")).to_be_visible()

    # Staff see the chat in the queue (the live chats panel) and answer it.
    staff.goto(f"/{SLUG}/helpdesk/")
    link = staff.locator("ul.live-chats li.waiting a", has_text="Fatima")
    expect(link).to_be_visible()
    assert_accessible(staff, "helpdesk queue with live chats")
    shoot(staff, screenshots, "helpdesk-queue-live-chats-desktop")
    with staff.expect_navigation():
        link.click()
    expect(staff.locator("#chat-lines")).to_contain_text(QUESTION)
    staff.locator("#reply-body").fill(ANSWER)
    with staff.expect_navigation():
        staff.locator("form.chat-say button[type=submit]").click()
    expect(staff.locator("#chat-lines")).to_contain_text(ANSWER)
    assert_accessible(staff, "staff chat view")
    shoot(staff, screenshots, "helpdesk-chat-staff-desktop")

    # The visitor's panel shows the answer by itself (polling), and reads well.
    expect(panel.locator("#chat-lines .from-staff")).to_contain_text(ANSWER, timeout=20_000)
    assert horizontal_overflow(visitor) == 0
    assert_accessible(visitor, "chat panel (answered)")
    shoot(visitor, screenshots, "helpdesk-chat-answered-phone")

    # On another page of the portal the chat goes on (the cookie reopens it), on a desktop too.
    visitor.set_viewport_size(DESKTOP["viewport"])
    visitor.goto(f"/{SLUG}/help/")
    expect(visitor.locator("#chat-panel #chat-lines")).to_contain_text(ANSWER)
    shoot(visitor, screenshots, "helpdesk-chat-answered-desktop")
