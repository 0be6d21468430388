"""The helpdesk: questions about online public services and requests for help at home, from
every channel (phone, e-mail, chat, counter, QR form, Buurbel, API) in one ticket queue.

A ticket belongs to a team through its category; each category sets the deadlines for the
first answer and for the solution. A ticket is about a person from the register, or — for
someone not in it (a chat visitor, an unknown caller) — about the contact details it holds.
Its thread (``TicketMessage``) holds what the resident wrote or said (``incoming``), the
answers sent to them (``reply``, sent through ``messaging``) and staff's internal notes.

The queue is read per community, team and status and ordered by ``created_at``; the indexes
below serve those reads (docs/helpdesk.md, "Queries and indexes"), and on PostgreSQL a GIN
index on the full-text vector of ``search_text`` serves the search box.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buurtkit.activities.models import Registration, Volunteer
from buurtkit.core.models import CommunityScoped, community_key
from buurtkit.core.urls import SafeURLField
from buurtkit.lending.models import Device
from buurtkit.people.models import Person
from buurtkit.places.models import Place


class Channel(models.TextChoices):
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")
    CHAT = "chat", _("chat")
    COUNTER = "counter", _("counter or digipunt")
    QR = "qr", _("QR form")
    BUURBEL = "buurbel", _("Buurbel")
    API = "api", _("API")


class Status(models.TextChoices):
    NEW = "new", _("new")
    OPEN = "open", _("open")
    WAITING = "waiting", _("waiting for the resident")
    HANDED_OVER = "handed_over", _("handed over")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")


#: The statuses a ticket may move to from each status. Anything else is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(
        {Status.OPEN, Status.WAITING, Status.HANDED_OVER, Status.RESOLVED, Status.CLOSED}
    ),
    Status.OPEN: frozenset({Status.WAITING, Status.HANDED_OVER, Status.RESOLVED}),
    Status.WAITING: frozenset({Status.OPEN, Status.HANDED_OVER, Status.RESOLVED}),
    Status.HANDED_OVER: frozenset({Status.OPEN, Status.WAITING, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

#: Statuses in which the ticket still needs work (the queue's default, the late marks).
ACTIVE = (Status.NEW, Status.OPEN, Status.HANDED_OVER)
#: Statuses of a ticket that is not finished yet.
UNFINISHED = (Status.NEW, Status.OPEN, Status.WAITING, Status.HANDED_OVER)


class HandoverTo(models.TextChoices):
    DIGIBUDDY = "digibuddy", _("a digibuddy")
    SECOND_LINE = "second_line", _("the second line")
    PARTNER = "partner", _("a partner organisation")
    PROVIDER = "provider", _("an outside provider")


class Kind(models.TextChoices):
    QUESTION = "question", _("question")
    HOME_HELP = "home_help", _("help at home")


class Team(CommunityScoped):
    """A group of staff answering one kind of question (the front desk, the device bank)."""

    community = community_key(db_index=False)
    key = models.SlugField(_("key"), max_length=40)
    name = models.JSONField(_("name"), default=dict)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["community", "key"], name="helpdesk_team_unique")
        ]

    def __str__(self) -> str:
        return self.key


class Category(CommunityScoped):
    """What a question is about (itsme, tax-on-web, …): routed to a team, with deadlines."""

    community = community_key(db_index=False)
    key = models.SlugField(_("key"), max_length=40)
    name = models.JSONField(_("name"), default=dict)
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="categories",
        verbose_name=_("team"),
    )
    #: Hours (on the clock, not office hours) to the first answer and to the solution.
    first_response_hours = models.PositiveIntegerField(_("first answer within (hours)"), default=24)
    resolution_hours = models.PositiveIntegerField(_("solved within (hours)"), default=120)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["community", "key"], name="helpdesk_category_unique"),
            models.CheckConstraint(
                condition=Q(first_response_hours__gte=1) & Q(resolution_hours__gte=1),
                name="helpdesk_category_deadlines_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class HelpdeskSettings(CommunityScoped):
    """Per community: the next ticket number, how long closed tickets keep personal data, and
    the home visits' rate, yearly budget and yearly target."""

    community = community_key(db_index=False)
    next_number = models.PositiveIntegerField(default=1)
    retention_days = models.PositiveIntegerField(
        _("keep closed tickets' personal data for (days)"), default=365
    )
    # --- help at home (seed 004: EUR 25 per half hour, EUR 5,000 a year, 100 or 200 visits) ---
    #: What an outside provider charges per started half hour, in cents.
    visit_rate_cents = models.PositiveIntegerField(
        _("outside provider's rate per half hour (cents)"), default=2500
    )
    #: The yearly budget for outside providers' home visits, in cents.
    visit_budget_cents = models.PositiveIntegerField(
        _("yearly budget for outside providers (cents)"), default=500000
    )
    #: How many home visits a year the community aims for.
    visit_target = models.PositiveIntegerField(_("home visits a year (target)"), default=200)
    # --- the phone line (docs/helpdesk.md, "Phone") ---
    #: The helpdesk's number (E.164) that the city line forwards to; "" = no phone line.
    phone_number = models.CharField(_("helpdesk phone number"), max_length=20, blank=True)
    #: Staff phones on duty (E.164), in order: calls in office hours are put through to the
    #: first one.
    phone_staff_numbers = models.JSONField(_("staff phones on duty"), default=list, blank=True)
    #: Office hours: ``[{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"}, …]``
    #: (1 = Monday), in Brussels time.
    phone_hours = models.JSONField(_("office hours"), default=list, blank=True)

    class Meta:
        verbose_name = _("helpdesk settings")
        verbose_name_plural = _("helpdesk settings")
        constraints = [
            models.UniqueConstraint(fields=["community"], name="helpdesk_settings_one"),
            # One number belongs to one community's helpdesk.
            models.UniqueConstraint(
                fields=["phone_number"],
                condition=~Q(phone_number=""),
                name="helpdesk_settings_phone_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community_id}"


class Ticket(CommunityScoped):
    community = community_key(db_index=False)
    #: The number people quote ("#123"), counted per community.
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.QUESTION)
    channel = models.CharField(_("came in by"), max_length=8, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    handover_to = models.CharField(
        _("handed over to"), max_length=12, choices=HandoverTo.choices, blank=True
    )
    subject = models.CharField(_("subject"), max_length=200)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    # --- who asked: a person of the register, or only contact details ---
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
        db_index=False,  # helpdesk_person_idx starts with it
    )
    contact_name = models.CharField(_("name"), max_length=150, blank=True)
    contact_phone = models.CharField(_("phone"), max_length=32, blank=True)
    contact_email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    #: The language answers go out in.
    language = models.CharField(_("language"), max_length=5, default="nl")
    # --- who works on it ---
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
        db_index=False,  # helpdesk_mine_idx
    )
    assigned_volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("digibuddy"),
        db_index=False,  # helpdesk_buddy_idx starts with it
    )
    # --- links ---
    #: A home-help ticket made from a question has the question as its parent.
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    device = models.ForeignKey(
        Device,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("device"),
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sign-up"),
    )
    #: The digipunt or counter where it was filed.
    place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("place"),
    )
    # --- times and deadlines ---
    created_at = models.DateTimeField(_("received"))
    created_by_label = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(_("last change"))
    first_response_at = models.DateTimeField(_("first answer"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_response_very_late_at = models.DateTimeField(null=True, blank=True)
    resolve_due_at = models.DateTimeField(null=True, blank=True)
    resolve_very_late_at = models.DateTimeField(null=True, blank=True)
    #: Lower-case reference, subject, contact and the start of the question: what the search
    #: box looks in (a GIN full-text index on PostgreSQL).
    search_text = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "number"], name="helpdesk_ticket_number"),
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="helpdesk_ticket_idempotency_key",
            ),
            models.CheckConstraint(
                condition=~Q(status="handed_over") | ~Q(handover_to=""),
                name="helpdesk_ticket_handover_says_to_whom",
            ),
        ]
        indexes = [
            # The queue's default view (unfinished tickets, any filter) and "all tickets",
            # newest first: read in index order, stopped after a page (migration 0002).
            models.Index(
                fields=["community", "-created_at", "-id"],
                condition=Q(status__in=UNFINISHED),
                name="helpdesk_unfinished_idx",
            ),
            models.Index(fields=["community", "-created_at", "-id"], name="helpdesk_recent_idx"),
            # The queue: per status (and team), newest first.
            models.Index(fields=["community", "status", "-created_at"], name="helpdesk_queue_idx"),
            models.Index(
                fields=["community", "team", "status", "-created_at"],
                name="helpdesk_queue_team_idx",
            ),
            # Late marks: unfinished tickets past a deadline.
            models.Index(
                fields=["community", "status", "resolve_due_at"], name="helpdesk_late_idx"
            ),
            models.Index(
                fields=["assigned_user", "status", "-created_at"], name="helpdesk_mine_idx"
            ),
            models.Index(
                fields=["assigned_volunteer", "status", "-created_at"],
                name="helpdesk_buddy_idx",
            ),
            models.Index(fields=["person", "-created_at"], name="helpdesk_person_idx"),
            models.Index(
                fields=["community", "status", "closed_at"], name="helpdesk_retention_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number}"

    @property
    def reference(self) -> str:
        return f"#{self.number}"


class MessageKind(models.TextChoices):
    INCOMING = "incoming", _("from the resident")
    REPLY = "reply", _("answer to the resident")
    NOTE = "note", _("internal note")


class TicketMessage(CommunityScoped):
    """One entry in a ticket's thread."""

    community = community_key(db_index=False)
    #: Not indexed alone: helpdesk_thread_idx (ticket, created_at) starts with it.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="messages", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=8, choices=MessageKind.choices)
    body = models.TextField(_("text"))
    #: How it came in or went out: a ticket channel, "sms", or "" for a note (or a reply that
    #: could not be sent: ``delivery`` says why).
    via = models.CharField(_("by"), max_length=8, blank=True)
    delivery = models.CharField(max_length=40, blank=True)
    outbound = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    author_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="helpdesk_message_idempotency_key",
            )
        ]
        indexes = [models.Index(fields=["ticket", "created_at"], name="helpdesk_thread_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"

    @property
    def via_label(self) -> str:
        """How it came in or went out, in words."""
        words = {"sms": _("text message"), "told": _("told by phone or in person")}
        if self.via in words:
            return str(words[self.via])
        return str(Channel(self.via).label) if self.via in Channel.values else self.via


class StandardAnswer(CommunityScoped):
    """A ready answer staff paste into a reply, with its text per language."""

    community = community_key(db_index=False)
    title = models.CharField(_("title"), max_length=120)
    texts = models.JSONField(_("text"), default=dict)
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("standard answer")
        verbose_name_plural = _("standard answers")
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["community", "active"], name="helpdesk_answer_idx")]

    def __str__(self) -> str:
        return self.title


class Article(CommunityScoped):
    """A knowledge-base article in one language; public ones are help pages on the portal."""

    community = community_key(db_index=False)
    language = models.CharField(_("language"), max_length=5)
    slug = models.SlugField(_("short name"), max_length=80)
    title = models.CharField(_("title"), max_length=160)
    body = models.TextField(_("text"))
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    public = models.BooleanField(_("on the public help pages"), default=False)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "language", "slug"], name="helpdesk_article_unique"
            )
        ]

    def __str__(self) -> str:
        return self.slug


# --- Help at home (issue 14, hd-home): what the person needs, the visits, the budget ---


class Vulnerability(models.TextChoices):
    """Why the person cannot come to a digipunt (seed 004, objective 3)."""

    MONEY = "money", _("money")
    LANGUAGE = "language", _("language")
    SMALL_NETWORK = "small_network", _("small network")
    DEPENDENCE = "dependence", _("dependence on others")
    LOW_SCHOOLING = "low_schooling", _("little schooling")
    HEALTH = "health", _("health")
    MOBILITY = "mobility", _("mobility")


class HomeTask(models.TextChoices):
    """What needs doing at home."""

    EID_SOFTWARE = "eid_software", _("installing the eID software")
    ITSME = "itsme", _("itsme")
    CITIZEN_PROFILE = "citizen_profile", _("citizen profile and e-box")
    E_INVOICES = "e_invoices", _("e-invoices")
    OTHER = "other", _("something else")


class HomeHelpNeed(CommunityScoped):
    """On a home-help ticket: why the person cannot come and what needs doing."""

    community = community_key(db_index=False)
    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="home_need")
    vulnerabilities = models.JSONField(_("why the person cannot come"), default=list)
    tasks = models.JSONField(_("what needs doing"), default=list)
    tasks_other = models.CharField(_("something else"), max_length=300, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("home-help need")
        verbose_name_plural = _("home-help needs")

    def __str__(self) -> str:
        return f"{self.ticket_id}"


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    CHECKED_IN = "checked_in", _("visitor is there")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")
    NO_SHOW = "no_show", _("nobody home")


#: Visits that hold (planned) or spent (done) budget.
VISIT_COUNTS = (VisitStatus.PLANNED, VisitStatus.CHECKED_IN, VisitStatus.DONE)


class HomeVisit(CommunityScoped):
    """A visit at home for a home-help ticket: by a digibuddy who does home visits, or by an
    outside provider whose time costs money from the community's yearly budget."""

    community = community_key(db_index=False)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="visits", db_index=False
    )
    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("digibuddy"),
        db_index=False,  # helpdesk_visit_buddy_idx starts with it
    )
    provider = models.CharField(_("outside provider"), max_length=120, blank=True)
    #: Where to go. Only staff and the visitor the visit is assigned to see it.
    address = models.CharField(_("address"), max_length=300)
    scheduled_at = models.DateTimeField(_("when"))
    expected_minutes = models.PositiveIntegerField(_("expected duration (minutes)"))
    #: The Brussels calendar year of ``scheduled_at``: the budget year it counts in.
    budget_year = models.PositiveSmallIntegerField()
    status = models.CharField(
        _("status"), max_length=12, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    #: A provider's visit: reserved at planning (the expected time), the real cost once the
    #: visitor checked out (time started per half hour). A digibuddy's visit costs nothing.
    cost_cents = models.PositiveIntegerField(default=0)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    report = models.TextField(_("report"), blank=True)
    follow_up_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("follow-up of"),
    )
    #: Over the remaining budget, planned anyway by a coordinator.
    over_budget = models.BooleanField(default=False)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminded_via = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField()
    created_by_label = models.CharField(max_length=150, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("home visit")
        verbose_name_plural = _("home visits")
        ordering = ["scheduled_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="helpdesk_visit_idempotency_key",
            ),
            models.CheckConstraint(
                condition=(Q(volunteer__isnull=False) & Q(provider=""))
                | (Q(volunteer__isnull=True) & ~Q(provider="")),
                name="helpdesk_visit_one_visitor",
            ),
            models.CheckConstraint(
                condition=Q(expected_minutes__gte=1), name="helpdesk_visit_minutes_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["community", "scheduled_at"], name="helpdesk_visit_idx"),
            models.Index(
                fields=["community", "budget_year", "status"], name="helpdesk_visit_budget_idx"
            ),
            models.Index(fields=["volunteer", "scheduled_at"], name="helpdesk_visit_buddy_idx"),
            models.Index(fields=["ticket", "scheduled_at"], name="helpdesk_visit_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.scheduled_at:%Y-%m-%d}"

    @property
    def by_provider(self) -> bool:
        return not self.volunteer_id


class PublicService(CommunityScoped):
    """A public service where residents get stuck (itsme, MyMinfin…): staff tag tickets with it
    and the city's service owners get a monthly overview of the counts."""

    community = community_key(db_index=False)
    key = models.SlugField(_("key"), max_length=40)
    name = models.JSONField(_("name"), default=dict)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("public service")
        verbose_name_plural = _("public services")
        ordering = ["position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["community", "key"], name="helpdesk_service_unique")
        ]

    def __str__(self) -> str:
        return self.key


class Barrier(CommunityScoped):
    """A ticket tagged with a public service where the resident got stuck."""

    community = community_key(db_index=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="barriers")
    service = models.ForeignKey(PublicService, on_delete=models.PROTECT, related_name="+")
    #: The ticket's ``created_at``: the month the barrier counts in.
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("barrier report")
        verbose_name_plural = _("barrier reports")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "service"], name="helpdesk_barrier_once")
        ]
        indexes = [
            models.Index(fields=["community", "occurred_at"], name="helpdesk_barrier_month_idx")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.service_id}"


# --- the mail channel (docs/helpdesk.md, "E-mail") -------------------------------------------


class MailThread(CommunityScoped):
    """What an e-mail ticket needs to thread: the short secret token of its subject reference
    (``[#123-k7q2m9]``: a guessed number alone is not enough), the mailbox it came in on
    (answers say Reply-To its address) and, for a ticket made from a reply to a closed
    ticket, that closed ticket."""

    community = community_key(db_index=False)
    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="mail_thread")
    token = models.CharField(max_length=12)
    mailbox = models.ForeignKey(
        "messaging.Mailbox", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    follows = models.ForeignKey(
        Ticket,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followed_by",
        verbose_name=_("follows up on"),
    )

    class Meta:
        verbose_name = _("e-mail thread")
        verbose_name_plural = _("e-mail threads")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.token}"


class TicketMail(CommunityScoped):
    """A mail in a ticket's thread: one that came in (``inbound``) or an answer we sent
    (``outbound``), with its Message-ID so a reply's In-Reply-To/References finds the ticket."""

    community = community_key(db_index=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="mails")
    entry = models.ForeignKey(
        TicketMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    inbound = models.OneToOneField(
        "messaging.InboundMail",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="helpdesk_mail",
    )
    outbound = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message_id = models.CharField(max_length=255, blank=True)
    #: The sender of an incoming mail (lower case): the per-sender rate counts these.
    sender = models.CharField(max_length=254, blank=True)
    #: This mail started the ticket (the flood rate counts these).
    opened_ticket = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ticket e-mail")
        verbose_name_plural = _("ticket e-mails")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["community", "message_id"], name="helpdesk_mail_msgid_idx"),
            models.Index(
                fields=["community", "sender", "created_at"], name="helpdesk_mail_sender_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.message_id}"


class QuarantineStatus(models.TextChoices):
    WAITING = "waiting", _("waiting for a decision")
    ACCEPTED = "accepted", _("accepted into the ticket")
    NEW_TICKET = "new_ticket", _("made into a new ticket")
    DISCARDED = "discarded", _("discarded")


class QuarantineReason(models.TextChoices):
    NOT_PARTICIPANT = "not_participant", _("a reply from someone who is not in the ticket")
    FLOOD = "flood", _("too many mails from one sender")
    NO_SENDER = "no_sender", _("no sender address")


class QuarantinedMail(CommunityScoped):
    """A mail the helpdesk did not put anywhere on its own: staff decide (accept into the
    ticket it answers, make it a new ticket, or discard it)."""

    community = community_key(db_index=False)
    mail = models.OneToOneField(
        "messaging.InboundMail", on_delete=models.PROTECT, related_name="helpdesk_quarantine"
    )
    #: The ticket the mail says it answers (by its subject reference or headers), if any.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=QuarantineReason.choices)
    status = models.CharField(
        max_length=12, choices=QuarantineStatus.choices, default=QuarantineStatus.WAITING
    )
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    result_ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("quarantined e-mail")
        verbose_name_plural = _("quarantined e-mails")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["community", "status", "-created_at"], name="helpdesk_quarantine_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mail_id} {self.status}"


# --- the satisfaction survey -----------------------------------------------------------------


class SurveyWay(models.TextChoices):
    SMS = "sms", _("text message with a link")
    CALL = "call", _("phone call with a keypress")


class Survey(CommunityScoped):
    """The one question asked once after a ticket is closed ("Were you helped well? 1–5").

    The link's token is kept only as its SHA-256 (``token_hash``): the database does not hold
    the link. One answer per ticket; no answer after ``expires_at``.
    """

    community = community_key(db_index=False)
    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="survey")
    way = models.CharField(max_length=4, choices=SurveyWay.choices)
    token_hash = models.CharField(max_length=64, blank=True)
    outbound = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    call = models.ForeignKey(
        "telephony.Call", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.CharField(max_length=8, blank=True)  # "link" or "keypress"

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="helpdesk_survey_score_1_to_5",
            )
        ]
        indexes = [
            models.Index(fields=["token_hash"], name="helpdesk_survey_token_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.score}"


# --- the portal's chat ----------------------------------------------------------------------


class ChatSession(CommunityScoped):
    """A visitor's live chat from the portal: its ticket (channel ``chat``) and the secret the
    visitor's signed cookie carries. The ticket number is never what identifies the visitor, so
    guessing another ticket's number shows nothing."""

    community = community_key(db_index=False)
    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="chat")
    #: Random, unique: what the visitor's signed cookie holds.
    token = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField()
    #: When the visitor or staff ended the chat; the ticket itself lives on in the queue.
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        indexes = [
            models.Index(
                fields=["community", "ended_at", "-started_at"], name="helpdesk_chat_live_idx"
            )
        ]

    def __str__(self) -> str:
        return f"chat {self.ticket_id}"


class ChatDuty(CommunityScoped):
    """A staff login on chat duty until ``until``: while someone is, the portal's chat box is a
    live chat; otherwise it is a form whose question becomes a ticket with contact details."""

    community = community_key(db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    until = models.DateTimeField(_("on chat duty until"))

    class Meta:
        verbose_name = _("chat duty")
        verbose_name_plural = _("chat duties")
        constraints = [
            models.UniqueConstraint(fields=["community", "user"], name="helpdesk_chat_duty_one")
        ]
        indexes = [models.Index(fields=["community", "until"], name="helpdesk_chat_duty_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} until {self.until}"


class PhoneRecording(CommunityScoped):
    """A message a caller left on the helpdesk line (``<Record>``), kept with its ticket.

    The audio stays with the provider: the simulator's file under ``BUURTKIT_DATA_DIR``
    (outside the web root), Twilio's recording fetched with the account's credentials when a
    member of staff plays it (``helpdesk.view``).
    """

    community = community_key(db_index=False)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="recordings", db_index=False
    )
    provider = models.CharField(max_length=20)
    call_sid = models.CharField(max_length=64)
    recording_sid = models.CharField(max_length=64)
    url = SafeURLField(max_length=300, blank=True)
    duration_seconds = models.PositiveIntegerField(_("length (seconds)"), default=0)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("phone message")
        verbose_name_plural = _("phone messages")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "recording_sid"], name="helpdesk_recording_unique"
            )
        ]
        indexes = [models.Index(fields=["ticket", "created_at"], name="helpdesk_recording_idx")]

    def __str__(self) -> str:
        return self.recording_sid
