"""Activities: the programme (series of sessions at places), who signed up, who is waiting,
who came, what they thought of it, and the digibuddies who help.

A session's ``seats_taken`` counts the registrations that hold a seat (registered, confirmed,
offered, attended, no-show); a check constraint keeps it at most the capacity, so the
database itself refuses an overbooking, whatever the code above it does.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped, community_key
from buurtkit.people.models import Organisation, Person
from buurtkit.places.models import Place


class ActivityKind(models.TextChoices):
    IT_CAFE = "it_cafe", _("IT café")
    COURSE = "course", _("course")
    ESSENTIAL = "essential", _("essential online services")
    REPAIR_CAFE = "repair_cafe", _("repair café")
    OPEN_LAB = "open_lab", _("Open Lab")
    INFO_SESSION = "info_session", _("info session")
    ROADSHOW = "roadshow", _("roadshow")
    DROP_IN = "drop_in", _("drop-in")
    BUDDY_TRAINING = "buddy_training", _("digibuddy training")
    PARTNER_COURSE = "partner_course", _("partner course")


class Level(models.TextChoices):
    SHORT = "short", _("short")
    LONG = "long", _("longer, with repetition")


class Category(CommunityScoped):
    """A course category (finding information, communicating, …): names per language, editable."""

    community = community_key(db_index=False)
    key = models.SlugField(_("key"), max_length=40)
    name = models.JSONField(_("name"), default=dict)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["community", "key"], name="activity_category_unique")
        ]

    def __str__(self) -> str:
        return self.key


class ActivitySettings(CommunityScoped):
    """Per community: how long participants' data is kept, how long a waiting-list offer lasts."""

    community = community_key(db_index=False)
    retention_months = models.PositiveSmallIntegerField(
        _("keep participants' data for (months)"), default=24
    )
    offer_hours = models.PositiveSmallIntegerField(
        _("a freed seat is kept for (hours)"), default=24
    )

    class Meta:
        verbose_name = _("activity settings")
        verbose_name_plural = _("activity settings")
        constraints = [models.UniqueConstraint(fields=["community"], name="activity_settings_one")]

    def __str__(self) -> str:
        return f"{self.community_id}"


class Series(CommunityScoped):
    """An activity: one session (an IT café afternoon) or several (a course of six weeks)."""

    community = community_key(db_index=False)
    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    title = models.JSONField(_("title"), default=dict)
    description = models.JSONField(_("description"), default=dict, blank=True)
    level = models.CharField(_("level"), max_length=6, choices=Level.choices, default=Level.SHORT)
    language = models.CharField(_("given in"), max_length=5, default="nl")
    partner = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner"),
    )
    price_cents = models.PositiveIntegerField(_("price"), default=0)
    #: Signing up takes a seat in every session of the series (a course), not in one.
    whole_series = models.BooleanField(_("sign up for all sessions at once"), default=False)
    #: A digital-skills track: the before/after self-assessment is asked.
    self_assessment = models.BooleanField(_("before/after self-assessment"), default=False)
    published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["community", "kind"], name="series_kind_idx")]

    def __str__(self) -> str:
        return str(self.title.get("nl") or next(iter(self.title.values()), "")) or str(self.pk)


class Session(CommunityScoped):
    community = community_key(db_index=False)
    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="sessions")
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, related_name="+", verbose_name=_("place")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("seats"))
    seats_taken = models.PositiveIntegerField(_("seats taken"), default=0)
    waiting = models.PositiveIntegerField(_("on the waiting list"), default=0)
    #: Digibuddies wanted on duty (a session with fewer is a gap on the coordinator's list).
    buddies_needed = models.PositiveSmallIntegerField(_("digibuddies needed"), default=0)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")), name="session_never_overbooked"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["community", "starts_at"], name="session_date_idx")]

    def __str__(self) -> str:
        return f"{self.series} {self.starts_at:%Y-%m-%d %H:%M}"


class RegistrationState(models.TextChoices):
    REGISTERED = "registered", _("signed up")
    CONFIRMED = "confirmed", _("confirmed")
    WAITING = "waiting", _("on the waiting list")
    OFFERED = "offered", _("offered a seat")
    ATTENDED = "attended", _("came")
    NO_SHOW = "no_show", _("did not come")
    CANCELLED = "cancelled", _("cancelled")


class Channel(models.TextChoices):
    WEB = "web", _("online")
    PHONE = "phone", _("by phone")
    DESK = "desk", _("at a desk or digipunt")
    PARTNER = "partner", _("referred by a partner")


class Registration(CommunityScoped):
    """One person for one session. A sign-up for a whole series is one registration per
    session, sharing a ``group``; they are taken, waited for and cancelled together."""

    community = community_key(db_index=False)
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="registrations")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    group = models.CharField(max_length=32, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=RegistrationState.choices)
    channel = models.CharField(_("signed up"), max_length=8, choices=Channel.choices)
    referred_by = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referred by"),
    )
    registered_at = models.DateTimeField(_("signed up at"))
    registered_by_label = models.CharField(max_length=150, blank=True)
    #: The language messages go out in (the person's, or the one they chose on the form).
    language = models.CharField(max_length=5, default="nl")
    waiting_since = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField()
    #: sha256 of the secret in the confirmation's cancel link (the secret itself is not kept).
    cancel_token_hash = models.CharField(max_length=64, blank=True)
    #: sha256 of the secret in the message offering a freed seat (accept or decline by link).
    offer_token_hash = models.CharField(max_length=64, blank=True)
    #: The day-before reminder: when it went and how ("sms", "email", "call"; "staff" when
    #: no channel is allowed and staff should phone).
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminded_via = models.CharField(max_length=8, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    # act-ops (issue 13): the retention sweep took away who it was (the row stays, counted).
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    # --- check-in by QR and the evaluation link (act-eval) ---
    #: The idempotency key of the QR check-in that checked the person in (a retry is no
    #: second scan).
    checkin_key = models.CharField(max_length=100, blank=True)
    #: When the message asking for an evaluation went (once per registration).
    evaluation_asked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["registered_at", "pk"]
        constraints = [
            # Nobody is signed up twice for one session (a cancelled sign-up does not count).
            models.UniqueConstraint(
                fields=["session", "person"],
                condition=~Q(state="cancelled"),
                name="registration_once_per_session",
            ),
            models.UniqueConstraint(
                fields=["community", "idempotency_key", "session"],
                condition=~Q(idempotency_key=""),
                name="registration_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["session", "state", "waiting_since"], name="registration_queue_idx"
            ),
            models.Index(
                fields=["community", "state", "offer_expires_at"], name="registration_offer_idx"
            ),
            models.Index(fields=["person"], name="registration_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.person_id} {self.state}"


class TrainingTrack(models.TextChoices):
    NONE = "none", _("not started")
    IN_TRAINING = "in_training", _("in training")
    CERTIFIED = "certified", _("certified")


class Volunteer(CommunityScoped):
    """A digibuddy in the volunteer register."""

    community = community_key(db_index=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    skills = models.JSONField(_("skills"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    neighbourhoods = models.JSONField(_("neighbourhoods"), default=list, blank=True)
    #: {"mon": ["morning", "afternoon"], …}
    availability = models.JSONField(_("available"), default=dict, blank=True)
    home_visits = models.BooleanField(_("does home visits"), default=False)
    track = models.CharField(
        _("training"), max_length=12, choices=TrainingTrack.choices, default=TrainingTrack.NONE
    )
    certified_on = models.DateField(_("certified on"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # --- act-buddy (issue 13): the register's training series and when the entry changed ---
    #: The digibuddy training series (kind ``buddy_training``) the volunteer follows.
    training_series = models.ForeignKey(
        Series,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("training series"),
    )
    created_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("digibuddy")
        verbose_name_plural = _("digibuddies")
        constraints = [
            models.UniqueConstraint(fields=["community", "person"], name="volunteer_once")
        ]

    def __str__(self) -> str:
        return str(self.person_id)


class DutyRole(models.TextChoices):
    BUDDY = "buddy", _("digibuddy")
    TEACHER = "teacher", _("teacher")


class DutyState(models.TextChoices):
    PLANNED = "planned", _("planned")
    SWAP_ASKED = "swap_asked", _("looking for someone to take over")
    CANCELLED = "cancelled", _("cancelled")


class Duty(CommunityScoped):
    """A volunteer on duty: at a session, or at a place's drop-in hours on a day."""

    community = community_key(db_index=False)
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="duties")
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, null=True, blank=True, related_name="duties"
    )
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on = models.DateField(_("day"), null=True, blank=True)
    role = models.CharField(
        _("role"), max_length=8, choices=DutyRole.choices, default=DutyRole.BUDDY
    )
    state = models.CharField(
        _("state"), max_length=10, choices=DutyState.choices, default=DutyState.PLANNED
    )
    # --- act-buddy (issue 13): times, cancelling and swapping ---
    #: When the duty starts and ends (a session's times, or the digipunt slot's); a volunteer
    #: is never on two duties that overlap.
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=300, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    swap_asked_at = models.DateTimeField(null=True, blank=True)
    #: Who had the duty before someone took it over in a swap.
    taken_over_from = models.ForeignKey(
        Volunteer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "volunteer"],
                condition=~Q(state="cancelled"),
                name="duty_once_per_session",
            ),
            models.CheckConstraint(
                condition=Q(session__isnull=False) | (Q(place__isnull=False) & Q(on__isnull=False)),
                name="duty_at_session_or_place",
            ),
        ]
        indexes = [
            models.Index(fields=["volunteer", "starts_at"], name="duty_volunteer_time_idx"),
            models.Index(fields=["community", "state", "starts_at"], name="duty_state_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} {self.session_id or self.place_id}"


class DigipuntSlot(CommunityScoped):
    """Drop-in hours at a digipunt (a place, from–until) and how many digibuddies they need.

    The digipunt duties at the same place and times fill it; the coordinators' gaps count the
    planned ones against ``buddies_needed``. Hours with duties but no slot row need one."""

    community = community_key(db_index=False)
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    buddies_needed = models.PositiveSmallIntegerField(_("digibuddies needed"), default=1)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("digipunt hours")
        verbose_name_plural = _("digipunt hours")
        constraints = [
            models.UniqueConstraint(
                fields=["place", "starts_at", "ends_at"], name="digipunt_slot_once"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="digipunt_slot_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["community", "starts_at"], name="digipunt_slot_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.place_id} {self.starts_at:%Y-%m-%d %H:%M}: {self.buddies_needed}"


class EvaluationChannel(models.TextChoices):
    PAPER = "paper", _("on paper")
    SMS = "sms", _("by SMS link")
    SESSION = "session", _("at the last session")


class EvaluationMoment(models.TextChoices):
    BEFORE = "before", _("before the course")
    AFTER = "after", _("afterwards")


class Evaluation(CommunityScoped):
    """What a participant thought of a series. ``person`` may be empty (anonymous paper form).

    ``moment`` "after" is the evaluation (with the self-assessment afterwards, for a
    digital-skills track); "before" holds only the self-assessment at the start. One answer
    per registration and moment."""

    community = community_key(db_index=False)
    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="evaluations")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("how"), max_length=8, choices=EvaluationChannel.choices)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    learned = models.CharField(_("what I learned"), max_length=500, blank=True)
    suggestion = models.CharField(_("suggestion"), max_length=500, blank=True)
    #: The before/after self-assessment of a digital-skills track: {"moment": "before"|"after",
    #: "answers": {skill: 1..4}}; empty for a plain evaluation.
    self_assessment = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    moment = models.CharField(
        _("when"), max_length=6, choices=EvaluationMoment.choices, default=EvaluationMoment.AFTER
    )
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        indexes = [models.Index(fields=["series", "moment"], name="evaluation_series_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "moment"],
                condition=Q(registration__isnull=False),
                name="evaluation_once_per_registration",
            ),
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="evaluation_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | (Q(satisfaction__gte=1) & Q(satisfaction__lte=5)),
                name="evaluation_satisfaction_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.series_id}: {self.satisfaction}"
