"""Reads of the helpdesk, always within what the actor may see (see ``access``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from buurtkit.activities.models import Volunteer
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.helpdesk import access
from buurtkit.helpdesk.deadlines import LATE, VERY_LATE, late_q, mark
from buurtkit.helpdesk.models import (
    UNFINISHED,
    Article,
    Category,
    Channel,
    ChatDuty,
    ChatSession,
    MessageKind,
    StandardAnswer,
    Status,
    Team,
    Ticket,
    TicketMessage,
)

#: The queue's status filter: the unfinished tickets, every ticket, or one status.
OPEN_ONES = "unfinished"
ALL = "all"
STATUS_FILTERS = (OPEN_ONES, ALL, *Status.values)
LATE_FILTERS = ("", LATE, VERY_LATE)

_WORD = re.compile(r"\w+", re.UNICODE)


def search(qs: QuerySet[Ticket], q: str) -> QuerySet[Ticket]:
    """Tickets whose reference, subject, contact or question match every word of ``q``.

    "#123" or "123" is the ticket number. On PostgreSQL the words are prefixes in a full-text
    query over ``search_text`` (its GIN index); elsewhere each word is a substring.
    """
    q = (q or "").strip()[:100]
    reference = q.lstrip("#")
    if reference.isdigit() and len(reference) <= 9:
        return qs.filter(number=int(reference))
    words = _WORD.findall(q.lower())[:6]
    if not words:
        return qs
    if connection.vendor == "postgresql":
        query = " & ".join(f"{w}:*" for w in words)
        return qs.filter(
            RawSQL(
                "to_tsvector('simple', helpdesk_ticket.search_text) @@ to_tsquery('simple', %s)",
                (query,),
                output_field=BooleanField(),
            )
        )
    for word in words:
        qs = qs.filter(search_text__contains=word)
    return qs


def queue(
    *,
    actor: Actor,
    team_id: int | None = None,
    status: str = OPEN_ONES,
    category_id: int | None = None,
    late: str = "",
    mine: bool = False,
    channel: str = "",
    q: str = "",
    person_id: int | None = None,
) -> QuerySet[Ticket]:
    """The tickets the actor may see, filtered, newest first (what the queue page and the API
    list page through)."""
    qs = access.readable(actor)
    if team_id:
        qs = qs.filter(team_id=team_id)
    if status == OPEN_ONES:
        qs = qs.filter(status__in=UNFINISHED)
    elif status in Status.values:
        qs = qs.filter(status=status)
    if category_id:
        qs = qs.filter(category_id=category_id)
    if late in (LATE, VERY_LATE):
        qs = qs.filter(late_q(clock.now(), very=late == VERY_LATE))
    if mine:
        qs = qs.filter(
            Q(assigned_user_id=actor.user_id or 0)
            | Q(assigned_volunteer__person_id=actor.person_id or 0)
        )
    if channel in Channel.values:
        qs = qs.filter(channel=channel)
    if person_id:
        qs = qs.filter(person_id=person_id)
    qs = search(qs, q)
    return qs.select_related(
        "category", "team", "person", "assigned_user", "assigned_volunteer__person"
    ).order_by("-created_at", "-id")


def ticket_get(*, actor: Actor, ticket_id: int) -> Ticket:
    ticket = (
        access.readable(actor)
        .select_related(
            "category",
            "team",
            "person",
            "assigned_user",
            "assigned_volunteer__person",
            "parent",
            "device",
            "registration__session__series",
            "place",
        )
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound("There is no such ticket.")
    return ticket


def thread(*, actor: Actor, ticket: Ticket) -> QuerySet[TicketMessage]:
    """The ticket's messages in order; a resident reading their own ticket sees no notes."""
    qs = TicketMessage.objects.filter(ticket=ticket).select_related("outbound")
    if not (
        actor.has("helpdesk.view") or actor.has("helpdesk.handle") or actor.has("helpdesk.buddy")
    ):
        qs = qs.exclude(kind=MessageKind.NOTE)
    return qs.order_by("created_at", "id")


def children(*, ticket: Ticket) -> QuerySet[Ticket]:
    return Ticket.objects.filter(parent=ticket).order_by("created_at", "id")


def late_mark(ticket: Ticket) -> str:
    return mark(ticket, clock.now())


@dataclass(frozen=True)
class QueueCounts:
    unfinished: int
    late: int
    very_late: int


def queue_counts(*, actor: Actor, team_id: int | None = None) -> QueueCounts:
    qs = access.readable(actor)
    if team_id:
        qs = qs.filter(team_id=team_id)
    now = clock.now()
    return QueueCounts(
        unfinished=qs.filter(status__in=UNFINISHED).count(),
        late=qs.filter(late_q(now)).count(),
        very_late=qs.filter(late_q(now, very=True)).count(),
    )


def categories(*, actor: Actor, active_only: bool = False) -> QuerySet[Category]:
    if not (access.may_file(actor) or actor.has("helpdesk.view")):
        access.workable(actor)  # raises PermissionDenied
    qs = Category.objects.in_community(actor.community).select_related("team")
    return qs.filter(active=True) if active_only else qs


def category_get(*, actor: Actor, category_id: int) -> Category:
    categories(actor=actor)
    return get_scoped(Category, actor.community, pk=category_id)


def teams(*, actor: Actor) -> QuerySet[Team]:
    categories(actor=actor)
    return Team.objects.in_community(actor.community).filter(active=True)


def standard_answers(*, actor: Actor) -> QuerySet[StandardAnswer]:
    access.workable(actor)
    return StandardAnswer.objects.in_community(actor.community).filter(active=True)


def buddies(*, actor: Actor) -> QuerySet[Volunteer]:
    """The active digibuddies a ticket can be handed to."""
    actor.require("helpdesk.handle")
    return (
        Volunteer.objects.in_community(actor.community)
        .filter(active=True)
        .select_related("person")
        .order_by("person__first_name", "person__last_name", "pk")
    )


def help_articles(*, community: Community, language: str, q: str = "") -> QuerySet[Article]:
    """The public help pages in ``language`` (no login needed)."""
    qs = Article.objects.in_community(community).filter(public=True, language=language)
    q = (q or "").strip()[:100]
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(body__icontains=q))
    return qs.order_by("title", "id")


def help_article(*, community: Community, language: str, slug: str) -> Article:
    """A public help page: in the reader's language if it exists, else in Dutch, else any."""
    found = {
        a.language: a
        for a in Article.objects.in_community(community).filter(public=True, slug=slug[:80])
    }
    article = found.get(language) or found.get("nl") or next(iter(found.values()), None)
    if article is None:
        raise NotFound("There is no such help page.")
    return article


def articles(*, actor: Actor, q: str = "") -> QuerySet[Article]:
    actor.require("helpdesk.manage")
    qs = Article.objects.in_community(actor.community)
    if q.strip():
        qs = qs.filter(Q(title__icontains=q.strip()) | Q(slug__icontains=q.strip()))
    return qs.order_by("slug", "language", "id")


def answers_all(*, actor: Actor, q: str = "") -> QuerySet[StandardAnswer]:
    actor.require("helpdesk.manage")
    qs = StandardAnswer.objects.in_community(actor.community)
    if q.strip():
        qs = qs.filter(title__icontains=q.strip())
    return qs.order_by("title", "id")


def staff_queue(*, actor: Actor, **filters: Any) -> QuerySet[Ticket]:
    """The queue for the API: the whole community's, for holders of ``helpdesk.view``."""
    actor.require("helpdesk.view")
    return queue(actor=actor, **filters)


def staff_ticket(*, actor: Actor, ticket_id: int) -> Ticket:
    actor.require("helpdesk.view")
    ticket = ticket_get(actor=actor, ticket_id=ticket_id)
    ticket.thread = list(thread(actor=actor, ticket=ticket))  # type: ignore[attr-defined]
    ticket.mark = late_mark(ticket)  # type: ignore[attr-defined]
    return ticket


def staff_categories(*, actor: Actor) -> QuerySet[Category]:
    actor.require("helpdesk.view")
    return Category.objects.in_community(actor.community)


# --- the portal's chat -----------------------------------------------------------------------


def visitor_chat(*, community: Community, token: str, person_id: int | None) -> ChatSession | None:
    """The chat the visitor's cookie points at (``token``), or — for a signed-in resident
    without one — their latest chat that has not ended. A chat linked to a person is shown only
    to that person: another visitor, another resident or another community sees nothing."""
    qs = ChatSession.objects.in_community(community).select_related("ticket", "ticket__person")
    session = None
    if token:
        session = qs.filter(token=token).first()
    if session is None and person_id:
        session = (
            qs.filter(ticket__person_id=person_id, ended_at__isnull=True)
            .exclude(ticket__status=Status.CLOSED)
            .order_by("-started_at")
            .first()
        )
    if session is None:
        return None
    if session.ticket.person_id is not None and session.ticket.person_id != person_id:
        return None
    return session


def visitor_lines(*, session: ChatSession) -> list[TicketMessage]:
    """What the visitor sees of their chat: their lines and the answers, never the notes."""
    return list(
        TicketMessage.objects.filter(
            ticket_id=session.ticket_id, kind__in=(MessageKind.INCOMING, MessageKind.REPLY)
        ).order_by("created_at", "id")
    )


@dataclass(frozen=True)
class LiveChat:
    session: ChatSession
    #: The visitor wrote last: someone should answer.
    waiting: bool
    last_line_at: Any


def live_chats(*, actor: Actor) -> list[LiveChat]:
    """The chats going on now (not ended, ticket not finished), those waiting for an answer
    first, oldest first."""
    actor.require("helpdesk.handle")
    last_kind = (
        TicketMessage.objects.filter(ticket_id=OuterRef("ticket_id"))
        .exclude(kind=MessageKind.NOTE)
        .order_by("-created_at", "-id")
    )
    rows = (
        ChatSession.objects.in_community(actor.community)
        .filter(ended_at__isnull=True, ticket__status__in=UNFINISHED)
        .select_related("ticket", "ticket__person")
        .annotate(
            last_kind=Subquery(last_kind.values("kind")[:1]),
            last_at=Subquery(last_kind.values("created_at")[:1]),
        )
        .order_by("started_at")[:50]
    )
    chats = [
        LiveChat(session=s, waiting=s.last_kind == MessageKind.INCOMING, last_line_at=s.last_at)  # type: ignore[attr-defined]
        for s in rows
    ]
    return sorted(chats, key=lambda c: not c.waiting)


def chat_get(*, actor: Actor, ticket_id: int) -> ChatSession:
    """A chat for the staff chat view (``helpdesk.handle``); another community's is not found."""
    actor.require("helpdesk.handle")
    session = (
        ChatSession.objects.in_community(actor.community)
        .select_related("ticket", "ticket__person")
        .filter(ticket_id=ticket_id)
        .first()
    )
    if session is None:
        raise NotFound(_("There is no such chat."))
    return session


def chat_duty_of(*, actor: Actor) -> Any:
    """When the actor's chat duty ends, or None when they are not on duty."""
    if actor.user_id is None:
        return None
    duty = (
        ChatDuty.objects.in_community(actor.community)
        .filter(user_id=actor.user_id, until__gt=clock.now())
        .first()
    )
    return duty.until if duty else None


def on_duty_count(*, community: Community) -> int:
    return ChatDuty.objects.in_community(community).filter(until__gt=clock.now()).count()
