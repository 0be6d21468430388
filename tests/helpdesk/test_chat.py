"""The portal's chat box end to end with the Django test client: a visitor writes, staff see
it in the queue's live chats and answer, the visitor sees the answer; nobody on duty → a
ticket with contact details; a flood is stopped without losing what was accepted; another
visitor's or community's chat shows nothing; the staff chat pages' permission matrix."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.helpdesk import selectors, services
from buurtkit.helpdesk.models import ChatSession, Ticket, TicketMessage
from buurtkit.helpdesk.services import chat

pytestmark = pytest.mark.django_db

# Addresses start at a random point: on Redis the counters outlive the run (an hour).
_addresses = itertools.count(random.randrange(1, 2**24 - 100_000))


def _visitor() -> Client:
    """A visitor's browser from an address of its own (the rate limits count per address, and
    the counters outlive a test on Redis)."""
    n = next(_addresses)
    return Client(REMOTE_ADDR=f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}")


def _key() -> str:
    return f"k{next(_addresses)}-{id(object())}"


def _staff_on_duty(community: Community, login_client: Callable[..., Client]) -> Client:
    staff = login_client(community, "staff")
    assert staff.post("/rabot/helpdesk/chats/duty/", {"on": "1"}).status_code == 302
    assert chat.on_duty(community)
    return staff


def _panel_key(html: str) -> str:
    found = re.search(r'name="key" value="([0-9a-f]+)"', html)
    assert found, html
    return found.group(1)


def test_a_visitor_chats_live_with_the_staff_on_duty(
    community: Community, login_client: Callable[..., Client]
) -> None:
    staff = _staff_on_duty(community, login_client)
    visitor = _visitor()
    # The box is on the public help pages, for a visitor; it costs the page no query.
    help_page = visitor.get("/rabot/help/").content.decode()
    assert 'class="chatbox"' in help_page and "/rabot/chat/" in help_page
    panel = visitor.get("/rabot/chat/", HTTP_HX_REQUEST="true").content.decode()
    assert 'value="start"' in panel and "<html" not in panel  # htmx: the panel only
    key = _panel_key(panel)
    start = {"action": "start", "name": "Fatima", "body": "Mijn itsme <b>werkt niet</b>"}
    made = visitor.post("/rabot/chat/", {**start, "key": key})
    assert made.status_code == 302
    again = visitor.post("/rabot/chat/", {**start, "key": key})  # a double submit
    assert again.status_code == 302
    session = ChatSession.objects.get(community=community)
    ticket = session.ticket
    assert ticket.channel == "chat" and ticket.contact_name == "Fatima"
    assert ticket.messages.count() == 1
    # The cookie holds the chat's secret, signed: not the ticket number.
    cookie = visitor.cookies[f"buurtkit_chat_{community.pk}"].value
    assert cookie.split(":")[0] == session.token  # the random token, with its signature
    say = {"action": "say", "body": "Ik heb een Android", "key": "line-1"}
    assert visitor.post("/rabot/chat/", say, HTTP_HX_REQUEST="true").status_code == 200
    visitor.post("/rabot/chat/", say, HTTP_HX_REQUEST="true")  # the same line twice
    assert ticket.messages.filter(kind="incoming").count() == 2

    # Staff see it waiting in the queue's live chats, open it and answer.
    queue = staff.get("/rabot/helpdesk/").content.decode()
    assert f"/rabot/helpdesk/chats/{ticket.pk}/" in queue  # the queue's live chats panel
    live = selectors.live_chats(actor=Actor.system(community))
    assert [c.session.pk for c in live] == [session.pk] and live[0].waiting
    polled = staff.get("/rabot/helpdesk/chats/", HTTP_HX_REQUEST="true").content.decode()
    assert f"/rabot/helpdesk/chats/{ticket.pk}/" in polled and "Fatima" in polled
    view = staff.get(f"/rabot/helpdesk/chats/{ticket.pk}/").content.decode()
    assert "Ik heb een Android" in view
    assert "&lt;b&gt;werkt niet&lt;/b&gt;" in view and "<b>werkt niet</b>" not in view
    answered = staff.post(
        f"/rabot/helpdesk/chats/{ticket.pk}/", {"body": "Open de app opnieuw", "key": "r1"}
    )
    assert answered.status_code == 302
    staff.post(f"/rabot/helpdesk/chats/{ticket.pk}/", {"body": "Open de app opnieuw", "key": "r1"})
    reply = TicketMessage.objects.get(ticket=ticket, kind="reply")  # one line, not two
    assert reply.via == "chat" and reply.delivery == "live" and reply.outbound is None
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None and ticket.status == "open"
    assert not selectors.live_chats(actor=Actor.system(community))[0].waiting
    # An internal note is not for the visitor.
    services.message_add(
        actor=Actor.system(community), ticket_id=ticket.pk, kind="note", body="Geheime notitie"
    )

    # The visitor's polled lines show the answer, escaped, without the note.
    lines = visitor.get("/rabot/chat/?part=lines", HTTP_HX_REQUEST="true").content.decode()
    assert "Open de app opnieuw" in lines and "Geheime notitie" not in lines
    assert "&lt;b&gt;werkt niet&lt;/b&gt;" in lines and 'hx-trigger="every' in lines
    # Without JavaScript: the same chat is a plain page.
    page = visitor.get("/rabot/chat/").content.decode()
    assert "<html" in page and "Open de app opnieuw" in page

    # Staff end the chat: the visitor is told, and a new line is refused, kept in the box.
    staff.post(f"/rabot/helpdesk/chats/{ticket.pk}/", {"action": "end"})
    assert selectors.live_chats(actor=Actor.system(community)) == []
    refused = visitor.post("/rabot/chat/", {"action": "say", "body": "Nog iets", "key": "x"})
    assert refused.status_code == 422 and "Nog iets" not in ticket.messages.values_list(
        "body", flat=True
    )
    assert 'hx-trigger="every' not in visitor.get("/rabot/chat/?part=lines").content.decode()


def test_nobody_on_duty_makes_the_box_a_form_and_the_question_a_ticket(
    community: Community,
) -> None:
    assert not chat.on_duty(community)
    visitor = _visitor()
    panel = visitor.get("/rabot/chat/", HTTP_HX_REQUEST="true").content.decode()
    assert 'value="ask"' in panel and 'value="start"' not in panel
    # Starting a live chat anyway is refused with the form, nothing is made.
    start = visitor.post("/rabot/chat/", {"action": "start", "name": "Jan", "body": "Hallo"})
    assert start.status_code == 422 and not Ticket.objects.exists()
    question = {"action": "ask", "name": "Jan", "body": "Hoe vraag ik een parkeerkaart aan?"}
    no_contact = visitor.post("/rabot/chat/", {**question, "key": "q1"})
    assert no_contact.status_code == 422 and not Ticket.objects.exists()
    assert "parkeerkaart" in no_contact.content.decode()  # what they typed is kept
    done = visitor.post("/rabot/chat/", {**question, "phone": "0470 11 22 33", "key": "q1"})
    visitor.post("/rabot/chat/", {**question, "phone": "0470 11 22 33", "key": "q1"})  # twice
    assert done.status_code == 302
    ticket = Ticket.objects.get(community=community)
    assert ticket.channel == "chat" and ticket.contact_phone == "+32470112233"
    assert ticket.contact_name == "Jan" and not ChatSession.objects.exists()
    assert f"#{ticket.number}" in visitor.get(done["Location"]).content.decode()


def test_a_flood_is_stopped_and_nothing_accepted_is_lost(
    community: Community, login_client: Callable[..., Client]
) -> None:
    _staff_on_duty(community, login_client)
    visitor = _visitor()
    visitor.post("/rabot/chat/", {"action": "start", "name": "Bot", "body": "Hoi", "key": _key()})
    session = ChatSession.objects.get(community=community)
    too_long = "x" * (chat.MAX_LINE + 1)
    refused = visitor.post("/rabot/chat/", {"action": "say", "body": too_long, "key": "long"})
    assert refused.status_code == 422 and too_long in refused.content.decode()  # kept
    answers = [
        visitor.post("/rabot/chat/", {"action": "say", "body": f"regel {i}", "key": f"f{i}"})
        for i in range(chat.LINES_PER_CHAT_PER_MINUTE + 3)
    ]
    accepted = [a for a in answers if a.status_code == 302]
    flooded = [a for a in answers if a.status_code == 429]
    assert len(accepted) == chat.LINES_PER_CHAT_PER_MINUTE and len(flooded) == 3
    assert 'role="alert"' in flooded[0].content.decode()
    lines = list(session.ticket.messages.filter(kind="incoming").values_list("body", flat=True))
    assert lines == ["Hoi", *(f"regel {i}" for i in range(chat.LINES_PER_CHAT_PER_MINUTE))]
    # With htmx the refusal shows in the panel (htmx swaps only 2xx answers).
    in_panel = visitor.post(
        "/rabot/chat/", {"action": "say", "body": "nog", "key": "f-last"}, HTTP_HX_REQUEST="true"
    )
    assert in_panel.status_code == 200 and 'role="alert"' in in_panel.content.decode()


def test_chats_from_one_address_are_limited(community: Community, system: Actor) -> None:
    chat.ChatDuty.objects.create(
        community=community,
        user=_user(community),
        until=chat.clock.now() + chat.timedelta(hours=1),
    )
    address = f"192.0.2.{next(_addresses)}"  # one address of its own (not a real one)
    made = [
        _start(community, client_ip=address, key=_key())
        for _ in range(chat.STARTS_PER_ADDRESS_PER_HOUR)
    ]
    assert len(made) == chat.STARTS_PER_ADDRESS_PER_HOUR
    with pytest.raises(chat.ChatFlood):
        _start(community, client_ip=address, key=_key())
    assert ChatSession.objects.count() == chat.STARTS_PER_ADDRESS_PER_HOUR


def _user(community: Community) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username=f"duty-{next(_addresses)}")


def _start(community: Community, *, client_ip: str = "", key: str = "", **values: Any) -> Any:
    values.setdefault("contact", chat.VisitorContact(name="An"))
    return chat.chat_start(
        community=community, body="Vraag", client_ip=client_ip, idempotency_key=key, **values
    )


def test_another_visitors_or_communitys_chat_shows_nothing(
    community: Community,
    other_community: Community,
    login_client: Callable[..., Client],
    make_login: Callable[..., Any],
) -> None:
    _staff_on_duty(community, login_client)
    first = _visitor()
    first.post(
        "/rabot/chat/",
        {"action": "start", "name": "Els", "body": "Mijn paspoortvraag", "key": _key()},
    )
    session = ChatSession.objects.get()
    # Another visitor (no cookie, or a forged one) sees an empty chat box.
    other = _visitor()
    assert "Mijn paspoortvraag" not in other.get("/rabot/chat/").content.decode()
    other.cookies[f"buurtkit_chat_{community.pk}"] = session.token  # unsigned: ignored
    assert "Mijn paspoortvraag" not in other.get("/rabot/chat/?part=lines").content.decode()
    said = other.post("/rabot/chat/", {"action": "say", "body": "ingebroken", "key": "z"})
    assert said.status_code == 302 and session.ticket.messages.count() == 1
    # The ticket number leads nowhere for a visitor: there is no page by number.
    assert other.get(f"/rabot/helpdesk/tickets/{session.ticket_id}/").status_code == 302
    # The cookie of one community does not open a chat in another.
    first_cookie = first.cookies[f"buurtkit_chat_{community.pk}"].value
    elsewhere = _visitor()
    elsewhere.cookies[f"buurtkit_chat_{other_community.pk}"] = first_cookie
    assert "Mijn paspoortvraag" not in elsewhere.get("/heuvelwijk/chat/").content.decode()
    assert (
        selectors.visitor_chat(community=other_community, token=session.token, person_id=None)
        is None
    )
    # Staff of another community do not see it.
    staff_there = login_client(other_community, "staff")
    assert staff_there.get(f"/heuvelwijk/helpdesk/chats/{session.ticket_id}/").status_code == 404
    assert "Els" not in staff_there.get("/heuvelwijk/helpdesk/chats/").content.decode()


def test_a_signed_in_resident_sees_only_their_own_chats(
    community: Community,
    login_client: Callable[..., Client],
    make_login: Callable[..., Any],
) -> None:
    _staff_on_duty(community, login_client)
    mine, theirs = make_login(community, "resident"), make_login(community, "resident")
    me = _visitor()
    me.force_login(mine)
    panel = me.get("/rabot/chat/", HTTP_HX_REQUEST="true").content.decode()
    assert 'name="name"' not in panel  # known: no need to give a name
    me.post("/rabot/chat/", {"action": "start", "body": "Vraag van mij", "key": _key()})
    session = ChatSession.objects.get()
    assert session.ticket.person_id == mine.people.get().pk
    # Signed in on another device (no cookie): their chat is found by their person.
    elsewhere = _visitor()
    elsewhere.force_login(mine)
    assert "Vraag van mij" in elsewhere.get("/rabot/chat/").content.decode()
    # Another resident, even with the first one's cookie, sees nothing.
    them = _visitor()
    them.force_login(theirs)
    them.cookies[f"buurtkit_chat_{community.pk}"] = me.cookies[
        f"buurtkit_chat_{community.pk}"
    ].value
    assert "Vraag van mij" not in them.get("/rabot/chat/").content.decode()
    # And a visitor without a login who has the cookie neither: the chat is the resident's.
    anonymous = _visitor()
    anonymous.cookies[f"buurtkit_chat_{community.pk}"] = me.cookies[
        f"buurtkit_chat_{community.pk}"
    ].value
    assert "Vraag van mij" not in anonymous.get("/rabot/chat/").content.decode()


def test_a_chat_answer_is_only_for_live_chats(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    phone = services.ticket_create(
        actor=system,
        channel="phone",
        subject="Bellen",
        contact=services.Contact(name="Jan", phone="0470112233"),
    )
    with pytest.raises(chat.NotFound):
        chat.chat_reply(actor=system, ticket_id=phone.pk, body="Hallo")
    with pytest.raises(ValidationFailed):
        services.message_add(
            actor=system, ticket_id=phone.pk, kind="reply", body="Hallo", via="chat"
        )
    assert not phone.messages.filter(kind="reply").exists()
    # Its chat view is its ticket page.
    staff = login_client(community, "staff")
    moved = staff.get(f"/rabot/helpdesk/chats/{phone.pk}/")
    assert moved.status_code == 302 and moved["Location"].endswith(f"/tickets/{phone.pk}/")


# Who may open which page is decided in Python, the same on every engine: SQLite only.
@pytest.mark.engine_independent
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("coordinator", 200),
        ("staff", 200),
        ("counter_clerk", 200),
        ("auditor", 403),
        ("volunteer", 403),
        ("resident", 403),
        (None, 302),
    ],
)
def test_permission_matrix_of_the_staff_chat_pages(
    community: Community,
    login_client: Callable[..., Client],
    role: str | None,
    expected: int,
) -> None:
    """Only who answers tickets (``helpdesk.handle``) sees and answers chats."""
    chat.ChatDuty.objects.create(
        community=community, user=_user(community), until=chat.clock.now() + chat.timedelta(hours=1)
    )
    session = _start(community, key=_key())
    client = login_client(community, role) if role else Client()
    pages = [
        ("get", "/rabot/helpdesk/chats/", {}),
        ("get", f"/rabot/helpdesk/chats/{session.ticket_id}/", {}),
        ("post", f"/rabot/helpdesk/chats/{session.ticket_id}/", {"body": "Hallo", "key": "p"}),
        ("post", "/rabot/helpdesk/chats/duty/", {"on": "1"}),
    ]
    for method, url, data in pages:
        answer = getattr(client, method)(url, data)
        want = 302 if expected == 200 and method == "post" else expected
        assert answer.status_code == want, (role, method, url)
    replies = session.ticket.messages.filter(kind="reply").count()
    assert replies == (1 if expected == 200 else 0)
