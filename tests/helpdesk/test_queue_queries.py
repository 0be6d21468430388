"""The queue's cost does not grow with its rows: the page and the API list ask the database a
fixed, small number of queries for a full page of tickets, each with its own person, staff
login and digibuddy (an N+1 would add a query per row), and the page's headline counts are one
query (bench/helpdesk_queue.py measures the same reads with 200,000 tickets)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from buurtkit.activities import services as activities
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.helpdesk import selectors, services
from buurtkit.helpdesk.models import Category, Ticket
from buurtkit.people import services as people_services
from buurtkit.web.pagination import PAGE_SIZE

pytestmark = pytest.mark.django_db

ROWS = PAGE_SIZE + 5  # more than a page: the count and the pager are read too

#: Session, community, login, membership and person of the actor; the count, the page; the
#: headline counts; teams; categories; the live-chat panel (waiting chats, one's own chat duty,
#: how many are on duty) — and nothing per row.
PAGE_QUERIES = 13
#: Key, count, page (ninja's paging).
API_QUERIES = 4


@pytest.fixture
def full_queue(community: Community, system: Actor) -> list[Ticket]:
    """More than a page of tickets, each with a person, a staff login and a digibuddy (three of
    each, taken in turn: without ``select_related`` every row would cost its own queries)."""
    services.categories_ensure_defaults(actor=system)
    categories = list(Category.objects.filter(community=community))
    people, users, buddies = [], [], []
    for n in range(3):
        people.append(
            people_services.person_create(actor=system, first_name=f"Vrager{n}", last_name="P")
        )
        users.append(get_user_model().objects.create_user(username=f"clerk{n}"))
        people_services.membership_grant(actor=system, username=f"clerk{n}", roles=["staff"])
        buddies.append(
            activities.volunteer_create(
                actor=system, person={"first_name": f"Buddy{n}", "last_name": "B"}
            )
        )
    tickets = []
    for n in range(ROWS):
        ticket = services.ticket_create(
            actor=system,
            channel="phone",
            subject=f"Vraag {n}",
            person_id=people[n % 3].pk,
            category_id=categories[n % len(categories)].pk,
        )
        Ticket.objects.filter(pk=ticket.pk).update(
            assigned_user=users[n % 3], assigned_volunteer=buddies[n % 3]
        )  # set directly: the assignment service is tested in test_tickets.py
        tickets.append(ticket)
    return tickets


def test_the_queue_page_and_the_api_list_ask_a_fixed_number_of_queries(
    community: Community,
    full_queue: list[Ticket],
    login_client: Callable[..., Client],
    api: Callable[..., Client],
    django_assert_max_num_queries: Any,
) -> None:
    client = login_client(community, "staff")
    client.get("/rabot/helpdesk/")  # the session's first touch may write
    for url in (
        "/rabot/helpdesk/",
        "/rabot/helpdesk/?status=all&page=2",
        "/rabot/helpdesk/?q=vraag",
    ):
        with django_assert_max_num_queries(PAGE_QUERIES):
            page = client.get(url)
        body = page.content.decode()
        assert page.status_code == 200 and len(_ticket_links(body)) >= 5
        assert "Vrager" in body and "clerk" in body and "Buddy" in body  # the joined rows shown
    key = api(community, ["staff"])
    key.get("/api/v1/helpdesk/tickets")  # the key's first use is cached
    with django_assert_max_num_queries(API_QUERIES):
        answer = key.get("/api/v1/helpdesk/tickets?limit=100")
    assert answer.status_code == 200 and answer.json()["count"] == ROWS
    assert len(answer.json()["items"]) == ROWS


def _ticket_links(body: str) -> set[str]:
    return set(re.findall(r"/rabot/helpdesk/tickets/[0-9]+/", body))


def test_counts_stop_at_a_cap_and_the_headline_is_one_query(
    community: Community,
    system: Actor,
    full_queue: list[Ticket],
    login_client: Callable[..., Client],
    api: Callable[..., Client],
    monkeypatch: pytest.MonkeyPatch,
    django_assert_num_queries: Any,
) -> None:
    """Past the cap the count stops ("more than N"), and every page is still reachable."""
    monkeypatch.setattr(selectors, "COUNT_CAP", 10)
    client = login_client(community, "staff")
    with translation.override("en"):
        first = client.get("/rabot/helpdesk/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert f"More than {PAGE_SIZE} results" in first  # counted to the page's end + 1
        assert "page=2" in first and "Page 1 of" not in first
        second = client.get("/rabot/helpdesk/?page=2", HTTP_ACCEPT_LANGUAGE="en")
        body = second.content.decode()
        assert f"{ROWS} results" in body and "Page 2 of 2" in body
        assert len(_ticket_links(body)) == ROWS - PAGE_SIZE
    key = api(community, ["staff"])
    page = key.get("/api/v1/helpdesk/tickets?limit=5").json()
    assert (page["count"], page["count_capped"], len(page["items"])) == (10, True, 5)
    deep = key.get("/api/v1/helpdesk/tickets?limit=5&offset=25").json()
    assert (deep["count"], deep["count_capped"], len(deep["items"])) == (ROWS, False, 5)
    monkeypatch.setattr(selectors, "COUNT_CAP", 1000)
    whole = client.get("/rabot/helpdesk/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "More than" not in whole
    # The headline: unfinished, late and very late, counted together, and counted right.
    staff = Actor.system(community, label="test")
    oldest = full_queue[0]
    services.ticket_transition(actor=system, ticket_id=full_queue[1].pk, status="resolved")
    with clock.frozen(oldest.created_at + timedelta(days=365)), django_assert_num_queries(1):
        counts = selectors.queue_counts(actor=staff)
    assert counts.unfinished == ROWS - 1
    assert counts.late == counts.very_late == ROWS - 1  # a year later every one is very late
    with clock.frozen(oldest.created_at):
        assert selectors.queue_counts(actor=staff).late == 0
