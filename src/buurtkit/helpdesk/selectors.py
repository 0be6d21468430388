"""Reads of the helpdesk, always within what the actor may see (see ``access``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Avg, BooleanField, Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils import translation
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
    MailThread,
    MessageKind,
    PhoneRecording,
    QuarantinedMail,
    StandardAnswer,
    Status,
    Survey,
    Team,
    Ticket,
    TicketMail,
    TicketMessage,
)
from buurtkit.messaging.models import InboundAttachment

#: The queue's status filter: the unfinished tickets, every ticket, or one status.
OPEN_ONES = "unfinished"
ALL = "all"
STATUS_FILTERS = (OPEN_ONES, ALL, *Status.values)
LATE_FILTERS = ("", LATE, VERY_LATE)

_WORD = re.compile(r"\w+", re.UNICODE)


def search(qs: QuerySet[Ticket], q: str) -> QuerySet[Ticket]:
    """Tickets whose reference, subject, contact or question match every word of ``q``.

    "#123" or "123" is the ticket number. On PostgreSQL the words are prefixes in a full-text
    query over ``search_vector`` (a stored column the database makes from ``search_text``, with
    a GIN index: migration 0002); elsewhere each word is a substring.
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
                "helpdesk_ticket.search_vector @@ to_tsquery('simple', %s)",
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


#: Lists count their tickets up to here: "1,000 or more" instead of COUNT(*) over every
#: ticket of a city (bench/helpdesk_queue.py); nobody pages through thousands.
COUNT_CAP = 1000


def count_capped(qs: QuerySet[Any], *, at_least: int = 0) -> tuple[int, bool]:
    """(count, capped): the rows of ``qs`` counted up to ``max(COUNT_CAP, at_least)``, and
    whether there are more. The database stops at the cap."""
    cap = max(COUNT_CAP, at_least)
    found = qs.order_by().values("pk")[: cap + 1].count()
    return min(found, cap), found > cap


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
    """The queue's headline: unfinished, late and very late tickets, in one query over the
    unfinished tickets (late ones are unfinished: ``late_q`` asks for an active status)."""
    qs = access.readable(actor).filter(status__in=UNFINISHED)
    if team_id:
        qs = qs.filter(team_id=team_id)
    now = clock.now()
    counts = qs.aggregate(
        unfinished=Count("pk"),
        late=Count("pk", filter=late_q(now)),
        very_late=Count("pk", filter=late_q(now, very=True)),
    )
    return QueueCounts(**counts)


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


# --- help at home, barriers, the overview (hd-home) ---

from buurtkit.helpdesk.models import (  # noqa: E402
    Barrier,
    HomeHelpNeed,
    HomeVisit,
    PublicService,
    VisitStatus,
)
from buurtkit.helpdesk.overview import BarrierReport as BarrierReport  # noqa: E402
from buurtkit.helpdesk.overview import Overview as Overview  # noqa: E402
from buurtkit.helpdesk.overview import VisitFigures as VisitFigures  # noqa: E402
from buurtkit.helpdesk.overview import barrier_report as barrier_report  # noqa: E402
from buurtkit.helpdesk.overview import staff_overview as staff_overview  # noqa: E402
from buurtkit.helpdesk.overview import suppressed as suppressed  # noqa: E402
from buurtkit.helpdesk.overview import visit_figures as visit_figures  # noqa: E402

#: The visits list's filters: still to come, done, every visit.
VISIT_FILTERS = ("upcoming", "done", "all")


def visits_list(
    *, actor: Actor, which: str = "upcoming", ticket_id: int | None = None
) -> QuerySet[HomeVisit]:
    """Visits the actor may see (a digibuddy: only their own), soonest first for the ones to
    come, latest first otherwise."""
    visits = access.visits_readable(actor).select_related("ticket", "volunteer__person")
    if ticket_id:
        visits = visits.filter(ticket_id=ticket_id)
    if which == "upcoming":
        return visits.filter(status__in=(VisitStatus.PLANNED, VisitStatus.CHECKED_IN)).order_by(
            "scheduled_at", "id"
        )
    if which == "done":
        visits = visits.filter(status=VisitStatus.DONE)
    return visits.order_by("-scheduled_at", "-id")


def visit_get(*, actor: Actor, visit_id: int) -> HomeVisit:
    visit = (
        access.visits_readable(actor)
        .select_related("ticket__person", "volunteer__person", "follow_up_of")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None:
        raise NotFound(_("There is no such visit."))
    return visit


def home_need_of(ticket: Ticket) -> HomeHelpNeed | None:
    return HomeHelpNeed.objects.filter(ticket=ticket).first()


def public_services(*, actor: Actor, active_only: bool = False) -> QuerySet[PublicService]:
    services = PublicService.objects.in_community(actor.community)
    return services.filter(active=True) if active_only else services


def barriers_of(ticket: Ticket) -> list[int]:
    return list(Barrier.objects.filter(ticket=ticket).values_list("service_id", flat=True))


def home_visitors(*, actor: Actor) -> QuerySet[Volunteer]:
    """The digibuddies who do home visits (active), for the planning form."""
    return (
        Volunteer.objects.in_community(actor.community)
        .filter(active=True, home_visits=True)
        .select_related("person")
        .order_by("person__first_name", "pk")
    )


# --- the mail channel ------------------------------------------------------------------------


def quarantine_list(*, actor: Actor, status: str = "waiting") -> QuerySet[QuarantinedMail]:
    """The mails that wait for staff's decision (or, ``status="all"``, every one)."""
    actor.require("helpdesk.view")
    qs = QuarantinedMail.objects.in_community(actor.community).select_related("mail", "ticket")
    if status != "all":
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def quarantine_get(*, actor: Actor, quarantine_id: int) -> QuarantinedMail:
    actor.require("helpdesk.view")
    item = (
        QuarantinedMail.objects.in_community(actor.community)
        .select_related("mail", "ticket", "result_ticket")
        .filter(pk=quarantine_id)
        .first()
    )
    if item is None:
        raise NotFound(_("There is no such e-mail in the quarantine."))
    return item


def ticket_mails(*, actor: Actor, ticket: Ticket) -> list[TicketMail]:
    """The mails of a ticket with their attachments (staff only; others get none)."""
    if not actor.has("helpdesk.view"):
        return []
    return list(
        TicketMail.objects.filter(ticket=ticket, inbound__isnull=False)
        .select_related("inbound")
        .prefetch_related("inbound__attachments")
        .order_by("created_at", "id")
    )


def mail_thread(*, ticket: Ticket) -> MailThread | None:
    return MailThread.objects.filter(ticket=ticket).select_related("follows").first()


def attachment_get(*, actor: Actor, attachment_id: int) -> tuple[InboundAttachment, Path]:
    """A kept attachment of a mail in a ticket or in the quarantine of the actor's
    community, and its file (under MAIL_DIR only). Only for ``helpdesk.view``."""
    actor.require("helpdesk.view")
    attachment = (
        InboundAttachment.objects.in_community(actor.community)
        .filter(pk=attachment_id, mail__mailbox__purpose="helpdesk")
        .filter(Q(mail__helpdesk_mail__isnull=False) | Q(mail__helpdesk_quarantine__isnull=False))
        .exclude(path="")
        .first()
    )
    if attachment is None or attachment.refused:
        raise NotFound(_("There is no such attachment."))
    root = Path(settings.MAIL_DIR).resolve()
    path = (root / attachment.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound(_("There is no such attachment."))
    return attachment, path


# --- the satisfaction survey -----------------------------------------------------------------


@dataclass(frozen=True)
class SurveyRow:
    key: str
    label: str
    asked: int
    answered: int
    average: float | None


def survey_results(
    *, actor: Actor, by: str = "channel", since: datetime | None = None
) -> list[SurveyRow]:
    """Satisfaction per channel (``by="channel"``) or per category (``"category"``): how
    many were asked, how many answered and the average score (1–5), for tickets closed
    since ``since`` (default: all)."""
    actor.require("helpdesk.view")
    qs = Survey.objects.in_community(actor.community)
    if since is not None:
        qs = qs.filter(ticket__closed_at__gte=since)
    field = "ticket__channel" if by == "channel" else "ticket__category_id"
    rows = (
        qs.values(field)
        .annotate(
            asked=Count("id"),
            answered=Count("id", filter=Q(score__isnull=False)),
            average=Avg("score"),
        )
        .order_by(field)
    )
    lang = translation.get_language() or "nl"
    names: dict[Any, str] = {}
    if by == "channel":
        names = {value: str(label) for value, label in Channel.choices}
    else:
        for category in Category.objects.in_community(actor.community):
            names[category.pk] = category.name.get(lang) or category.name.get("nl") or category.key
    out = []
    for row in rows:
        key = row[field]
        out.append(
            SurveyRow(
                key=str(key or ""),
                label=str(names.get(key, "—")) if key else "—",
                asked=row["asked"],
                answered=row["answered"],
                average=round(float(row["average"]), 2) if row["average"] is not None else None,
            )
        )
    return out


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
