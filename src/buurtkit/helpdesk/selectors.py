"""Reads of the helpdesk, always within what the actor may see (see ``access``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

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
    MessageKind,
    PhoneRecording,
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


# --- the phone line ------------------------------------------------------------------------


def recordings(*, actor: Actor, ticket: Ticket) -> list[PhoneRecording]:
    """The messages callers left on a ticket; only staff with ``helpdesk.view`` play them."""
    if not actor.has("helpdesk.view"):
        return []
    return list(
        PhoneRecording.objects.in_community(actor.community)
        .filter(ticket=ticket)
        .order_by("created_at", "id")
    )


def recording_audio(*, actor: Actor, recording_id: int) -> tuple[bytes, str]:
    """The audio of a message left on the helpdesk line (``helpdesk.view``). Another
    community's recording, or one whose audio the provider no longer has, is "not found"."""
    from buurtkit.telephony.interface import get_provider

    actor.require("helpdesk.view")
    recording = get_scoped(PhoneRecording, actor.community, pk=recording_id)
    try:
        return get_provider(recording.provider).recording_audio(
            sid=recording.recording_sid, url=recording.url
        )
    except (LookupError, RuntimeError) as exc:
        raise NotFound("This recording is no longer available.") from exc
