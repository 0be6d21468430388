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
    """Per community: the next ticket number and how long closed tickets keep personal data."""

    community = community_key(db_index=False)
    next_number = models.PositiveIntegerField(default=1)
    retention_days = models.PositiveIntegerField(
        _("keep closed tickets' personal data for (days)"), default=365
    )
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
    url = models.URLField(max_length=300, blank=True)
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
