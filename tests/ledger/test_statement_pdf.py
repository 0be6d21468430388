"""Statements per period as PDF: API ``statement.pdf`` and the account pages' period form."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pypdfium2 as pdfium
import pytest
from django.test import Client

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.ledger import services, statements
from buurtkit.ledger.numbers import format_account_number
from buurtkit.people.services import person_give_login
from tests.api.apispec import assert_error
from tests.conftest import PASSWORD
from tests.ledger.conftest import Circle, key, make_circle

L = "/api/v1/ledger"


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    doc = pdfium.PdfDocument(content)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def pay(circle: Circle, debit: Any, credit: Any, amount: int, description: str = "") -> None:
    services.transfer_create(
        actor=circle.actor,
        debit_account_id=debit.pk,
        credit_account_id=credit.pk,
        amount=amount,
        idempotency_key=key(),
        description=description,
    )


@pytest.fixture
def april(circle: Circle) -> Circle:
    """Alice has 500; 10 before April, then in April (Brussels): -11, +4, -13; one in May."""
    times = [
        (datetime(2030, 3, 31, 21, 0, tzinfo=UTC), circle.alice, circle.merchant, 10, "maart"),
        # 22:30 UTC on 31 March is 00:30 on 1 April in Brussels (summer time).
        (datetime(2030, 3, 31, 22, 30, tzinfo=UTC), circle.alice, circle.merchant, 11, "brood"),
        (datetime(2030, 4, 15, 9, 0, tzinfo=UTC), circle.merchant, circle.alice, 4, "terug"),
        (datetime(2030, 4, 30, 21, 59, tzinfo=UTC), circle.alice, circle.bob, 13, "soep"),
        (datetime(2030, 4, 30, 22, 1, tzinfo=UTC), circle.alice, circle.merchant, 7, "mei"),
    ]
    for at, debit, credit, amount, description in times:
        with clock.frozen(at):
            pay(circle, debit, credit, amount, description)
    return circle


def test_the_pdf_shows_opening_lines_running_balance_and_closing(
    api: Callable[..., Client], april: Circle
) -> None:
    client = api(april.currency.community, ["coordinator"])
    response = client.get(
        f"{L}/accounts/{april.alice.pk}/statement.pdf?from=2030-04-01&to=2030-04-30",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert (
        f"statement-{april.alice.number}-2030-04-01-2030-04-30.pdf"
        in (response["Content-Disposition"])
    )
    text = pdf_text(response.content)
    assert "Rabot" in text and "Statement" in text and "Alice" in text
    assert format_account_number(april.alice.number) in text
    assert re.search(r"Opening balance\s+490\b", text), text
    assert re.search(r"Closing balance\s+470\b", text), text
    # Each line: date (Brussels), description, the other account, in or out, running balance.
    assert "01-04-2030 00:30" in text and "15-04-2030 11:00" in text
    assert "30-04-2030 23:59" in text
    for description in ("brood", "terug", "soep"):
        assert description in text
    assert "maart" not in text and "mei" not in text  # outside the period
    assert "Bakkerij" in text and "Bob" in text
    for balance in ("479", "483", "470"):
        assert re.search(rf"\b{balance}\b", text)
    assert re.search(r"Totals\s+4\s+24\b", text), text


def test_the_pdf_of_a_quiet_period_and_of_everything(
    api: Callable[..., Client], april: Circle
) -> None:
    client = api(april.currency.community, ["coordinator"])
    response = client.get(
        f"{L}/accounts/{april.alice.pk}/statement.pdf?from=2030-06-01&to=2030-06-30",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    text = pdf_text(response.content)
    assert re.search(r"Opening balance\s+463\b", text), text
    assert re.search(r"Closing balance\s+463\b", text), text
    assert "No payments in this period." in text
    # Without a start: from the account's opening, ending at its balance.
    url = f"{L}/accounts/{april.alice.pk}/statement.pdf?to=2030-12-31"
    everything = pdf_text(client.get(url).content)
    assert "463" in everything and "maart" in everything and "mei" in everything


def test_a_wrong_or_too_long_period_is_refused(
    api: Callable[..., Client], april: Circle, monkeypatch: Any
) -> None:
    client = api(april.currency.community, ["coordinator"])
    url = f"{L}/accounts/{april.alice.pk}/statement.pdf"
    assert_error(client.get(f"{url}?from=2030-05-01&to=2030-04-01"), 422, "validation_error")
    monkeypatch.setattr(statements, "MAX_LINES", 2)  # April has 3 lines
    assert_error(client.get(f"{url}?from=2030-04-01&to=2030-04-30"), 422, "validation_error")


def test_a_resident_gets_their_own_statement_only(april: Circle) -> None:
    user = person_give_login(
        actor=april.actor, person_id=april.bob.person_id, username="bob", password=PASSWORD
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    slug = april.actor.community.slug
    q = f"?community={slug}&from=2030-04-01&to=2030-04-30"
    own = client.get(f"{L}/accounts/{april.bob.pk}/statement.pdf{q}")
    assert own.status_code == 200
    assert re.search(r"Closing balance\s+13\b", pdf_text(own.content))
    assert_error(client.get(f"{L}/accounts/{april.alice.pk}/statement.pdf{q}"), 404, "not_found")

    # The pay home offers the period form (PDF and CSV); the page route serves their own only.
    home = client.get(f"/{slug}/pay/").content.decode()
    pdf_url = f"/{slug}/pay/accounts/{april.bob.pk}/statement.pdf"
    assert 'id="statement-period"' in home and pdf_url in home
    assert f"/{slug}/pay/accounts/{april.bob.pk}/statement.csv" in home
    page = client.get(pdf_url, {"from": "2030-04-01", "to": "2030-04-30"})
    assert page.status_code == 200 and page["Content-Type"] == "application/pdf"
    assert "soep" in pdf_text(page.content)
    csv = client.get(f"/{slug}/pay/accounts/{april.bob.pk}/statement.csv", {"from": "2030-04-01"})
    assert csv.status_code == 200 and "soep" in csv.content.decode("utf-8-sig")
    other = client.get(f"/{slug}/pay/accounts/{april.alice.pk}/statement.pdf")
    assert other.status_code == 404
    # A wrong date: a clear message back on their page, no file.
    wrong = client.get(pdf_url, {"from": "2030-05-01", "to": "2030-04-01"}, follow=True)
    assert "The start date is after the end date." in wrong.content.decode()
    typo = client.get(pdf_url, {"from": "2030-13-01"}, follow=True)
    assert "Choose a start and an end date." in typo.content.decode()


def test_staff_see_the_form_on_the_account_page(
    april: Circle, login_client: Callable[..., Client], system: Actor
) -> None:
    slug = april.actor.community.slug
    staff = login_client(system.community, "coordinator")
    page = staff.get(f"/{slug}/pay/accounts/{april.merchant.pk}/").content.decode()
    assert f"/{slug}/pay/accounts/{april.merchant.pk}/statement.pdf" in page
    assert staff.get(f"/{slug}/pay/accounts/{april.merchant.pk}/statement.pdf").status_code == 200


def test_another_communitys_account_is_not_found(
    api: Callable[..., Client], april: Circle, other_system: Actor
) -> None:
    other = make_circle(other_system)
    client = api(april.currency.community, ["coordinator"])
    assert_error(client.get(f"{L}/accounts/{other.alice.pk}/statement.pdf"), 404, "not_found")
