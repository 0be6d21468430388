"""The helpdesk's pages (the queue with late marks, a ticket's thread and actions, filing for
someone, the categories, the public help pages) and its API (Idempotency-Key on creation)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from buurtkit.activities import services as activities
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.helpdesk import selectors, services
from buurtkit.helpdesk.models import Category, Ticket
from buurtkit.people import services as people_services

pytestmark = pytest.mark.django_db


def _ticket(system: Actor, subject: str = "itsme werkt niet", **values: Any) -> Ticket:
    values.setdefault("contact", services.Contact(name="Jan", phone="0470112233"))
    return services.ticket_create(actor=system, channel="phone", subject=subject, **values)


def test_the_queue_shows_late_marks_filters_and_searches(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    services.categories_ensure_defaults(actor=system)
    category = Category.objects.get(community=community, key="banking-phishing")  # 4 h
    late = _ticket(system, "Phishing sms", category_id=category.pk)
    fresh = _ticket(system, "Smartschool")
    client = login_client(community, "staff")
    with clock.frozen(late.created_at + timedelta(hours=5)), translation.override("en"):
        page = client.get("/rabot/helpdesk/", HTTP_ACCEPT_LANGUAGE="en")
        body = page.content.decode()
        assert page.status_code == 200 and "Phishing sms" in body and "Smartschool" in body
        assert body.count("<strong>late</strong>") == 1
        only_late = client.get("/rabot/helpdesk/?late=late").content.decode()
        assert "Phishing sms" in only_late and "Smartschool" not in only_late
    found = client.get("/rabot/helpdesk/", {"q": "smartsch"}).content.decode()
    assert "Smartschool" in found and "Phishing sms" not in found
    by_number = client.get("/rabot/helpdesk/", {"q": f"#{fresh.number}"}).content.decode()
    assert "Smartschool" in by_number and "Phishing sms" not in by_number


def test_staff_reply_and_status_from_the_ticket_page(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    ticket = _ticket(system)
    client = login_client(community, "counter_clerk")
    url = f"/rabot/helpdesk/tickets/{ticket.pk}/"
    assert client.get(url).status_code == 200
    answer = client.post(
        url + "message/",
        {"kind": "reply", "via": "told", "body": "Gebeld", "idempotency_key": "a1"},
    )
    assert answer.status_code == 302
    client.post(
        url + "message/",
        {"kind": "reply", "via": "told", "body": "Gebeld", "idempotency_key": "a1"},
    )  # a double click
    assert ticket.messages.filter(kind="reply").count() == 1
    refused = client.post(url + "message/", {"kind": "reply", "via": "sms", "body": "Hallo"})
    assert refused.status_code == 422 and "Hallo" in refused.content.decode()  # kept
    client.post(url + "status/", {"status": "resolved"})
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.first_response_at is not None


def test_filing_for_someone_at_the_counter(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "counter_clerk")
    assert client.get("/rabot/helpdesk/new/").status_code == 200
    data = {
        "channel": "counter",
        "first_name": "Maria",
        "last_name": "Janssens",
        "subject": "Brief in e-Box",
        "idempotency_key": "file-1",
    }
    refused = client.post("/rabot/helpdesk/new/", data)
    assert refused.status_code == 422 and "Janssens" in refused.content.decode()
    made = client.post("/rabot/helpdesk/new/", {**data, "consent": "on"})
    assert made.status_code == 302
    ticket = Ticket.objects.get(community=community)
    assert ticket.person.last_name == "Janssens" and ticket.channel == "counter"
    assert made["Location"].endswith(f"/helpdesk/tickets/{ticket.pk}/")


def test_the_digibuddy_sees_only_their_tickets(community: Community, system: Actor) -> None:
    buddy = activities.volunteer_create(
        actor=system, person={"first_name": "Rita", "last_name": "B"}
    )
    login = people_services.person_give_login(
        actor=system, person_id=buddy.person_id, username="rita", password="a-long-test-password"
    )
    people_services.membership_grant(actor=system, username="rita", roles=["volunteer"])
    theirs, other = _ticket(system, "Voor Rita"), _ticket(system, "Niet voor Rita")
    services.ticket_transition(
        actor=system,
        ticket_id=theirs.pk,
        status="handed_over",
        handover_to="digibuddy",
        volunteer_id=buddy.pk,
    )
    client = Client()
    client.force_login(login)
    queue = client.get("/rabot/helpdesk/").content.decode()
    assert "Voor Rita" in queue and "Niet voor Rita" not in queue
    assert client.get(f"/rabot/helpdesk/tickets/{theirs.pk}/").status_code == 200
    assert client.get(f"/rabot/helpdesk/tickets/{other.pk}/").status_code == 404


def test_categories_page_for_coordinators(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    services.categories_ensure_defaults(actor=system)
    coordinator = login_client(community, "coordinator")
    with translation.override("nl"):
        assert (
            "Ziekenfonds"
            in coordinator.get(
                "/rabot/helpdesk/categories/", HTTP_ACCEPT_LANGUAGE="nl"
            ).content.decode()
        )
    made = coordinator.post(
        "/rabot/helpdesk/categories/new/",
        {
            "key": "pension",
            "name_nl": "Pensioen",
            "first_response_hours": "24",
            "resolution_hours": "96",
            "active": "on",
        },
    )
    assert made.status_code == 302
    assert Category.objects.filter(community=community, key="pension").exists()
    assert login_client(community, "staff").get("/rabot/helpdesk/categories/").status_code == 403


def test_public_help_pages_in_the_readers_language(community: Community, system: Actor) -> None:
    for language, title in (("nl", "itsme opnieuw"), ("fr", "Réinstaller itsme")):
        services.article_save(
            actor=system, language=language, slug="itsme", title=title, body="Tekst", public=True
        )
    services.article_save(
        actor=system, language="nl", slug="intern", title="Alleen intern", body="x"
    )
    client = Client()
    index = client.get("/rabot/help/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "itsme opnieuw" in index and "Alleen intern" not in index
    french = client.get("/rabot/help/itsme/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Réinstaller itsme" in french.content.decode()
    assert client.get("/rabot/help/intern/").status_code == 404


def test_api_create_is_idempotent_and_lists_the_queue(
    community: Community, api: Callable[..., Client]
) -> None:
    client = api(community, ["staff"])
    body = {"channel": "phone", "subject": "Tax-on-web", "contact": {"name": "Jan"}}
    first = client.post(
        "/api/v1/helpdesk/tickets",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="t-1",
    )
    again = client.post(
        "/api/v1/helpdesk/tickets",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="t-1",
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    ticket_id = first.json()["id"]
    note = client.post(
        f"/api/v1/helpdesk/tickets/{ticket_id}/messages",
        {"kind": "note", "body": "Intern"},
        content_type="application/json",
    )
    assert note.status_code == 201
    wrong = client.post(
        f"/api/v1/helpdesk/tickets/{ticket_id}/status",
        {"status": "closed"},
        content_type="application/json",
    )
    assert wrong.status_code == 201 or wrong.status_code == 200  # new → closed is allowed
    reopen = client.post(
        f"/api/v1/helpdesk/tickets/{ticket_id}/status",
        {"status": "open"},
        content_type="application/json",
    )
    assert reopen.status_code == 422 and reopen.json()["fields"]["status"]
    detail = client.get(f"/api/v1/helpdesk/tickets/{ticket_id}").json()
    assert [m["kind"] for m in detail["messages"]] == ["note"] and detail["late"] == ""
    listed = client.get("/api/v1/helpdesk/tickets?status=all").json()
    assert [t["id"] for t in listed["items"]] == [ticket_id]


def test_coordinators_write_standard_answers_help_pages_and_the_retention(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "coordinator")
    for url in ("answers/", "answers/new/", "articles/", "articles/new/", "settings/"):
        assert client.get(f"/rabot/helpdesk/{url}").status_code == 200, url
    assert client.post(
        "/rabot/helpdesk/answers/new/",
        {"title": "Terugbellen", "text_nl": "We bellen terug.", "text_fr": "On vous rappelle.",
         "active": "on"},
    ).status_code == 302  # fmt: skip
    refused = client.post("/rabot/helpdesk/answers/new/", {"title": "Leeg"})
    assert refused.status_code == 422 and "Leeg" in refused.content.decode()
    made = client.post(
        "/rabot/helpdesk/articles/new/",
        {"language": "fr", "slug": "ebox", "title": "L'eBox", "body": "Texte", "public": "on"},
    )
    assert made.status_code == 302
    article = selectors.articles(actor=system).get(slug="ebox")
    assert client.post(
        f"/rabot/helpdesk/articles/{article.pk}/",
        {"language": "fr", "slug": "ebox", "title": "L'eBox (mise à jour)", "body": "Texte"},
    ).status_code == 302  # fmt: skip
    article.refresh_from_db()
    assert article.title == "L'eBox (mise à jour)" and not article.public
    assert client.post("/rabot/helpdesk/settings/", {"retention_days": "90"}).status_code == 302
    assert services.settings_of(community).retention_days == 90
    staff = login_client(community, "staff")
    assert staff.get("/rabot/helpdesk/answers/").status_code == 403
