"""Dynamic QR codes: one printed code per object, its behaviour decided (and changed) later."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped, ScopedQuerySet
from buurtkit.core.urls import SafeURLField


class CodeStatus(models.TextChoices):
    UNASSIGNED = "unassigned", _("unassigned (blank)")
    ACTIVE = "active", _("active")
    PAUSED = "paused", _("paused")
    RETIRED = "retired", _("retired")


class Tag(CommunityScoped):
    name = models.CharField(_("name"), max_length=40)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="qr_tag_unique")]

    def __str__(self) -> str:
        return self.name


class Batch(CommunityScoped):
    """Codes made together (a roll of stickers); ``done`` shows progress while it runs."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("being made")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    title = models.CharField(_("title"), max_length=120)
    size = models.PositiveIntegerField(_("number of codes"))
    done = models.PositiveIntegerField(_("codes made"), default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    owner = models.ForeignKey(
        "people.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    #: The API's ``Idempotency-Key``: ordering the same batch again returns the first one.
    idempotency_key = models.CharField(max_length=100, blank=True)

    #: Not stored: True on a batch returned for a retried idempotency key.
    replayed: bool = False

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(done__lte=models.F("size")), name="qr_batch_done"),
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="qr_batch_idempotent",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Code(CommunityScoped):
    """One printed QR code. Its public id never changes; what a scan does can, at any time."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    slug = models.CharField(_("vanity name"), max_length=60, unique=True, null=True, blank=True)
    title = models.CharField(_("title"), max_length=150, blank=True)
    description = models.TextField(_("description"), blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="codes", verbose_name=_("tags"))
    owner = models.ForeignKey(
        "people.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=CodeStatus.choices, default=CodeStatus.UNASSIGNED
    )
    contact = models.CharField(_("contact for questions"), max_length=200, blank=True)
    link_type = models.CharField(_("linked object type"), max_length=40, blank=True)
    link_id = models.CharField(_("linked object"), max_length=40, blank=True)
    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, null=True, blank=True, related_name="codes"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("QR code")
        verbose_name_plural = _("QR codes")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["community", "status"], name="qr_code_status"),
            models.Index(fields=["community", "link_type", "link_id"], name="qr_code_link"),
        ]

    def __str__(self) -> str:
        return self.title or self.code


class Route(CommunityScoped):
    """What a scan does, for whom. A code's routes are tried in order; the first match wins."""

    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="routes")
    position = models.PositiveIntegerField()
    name = models.CharField(_("name"), max_length=100, blank=True)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    action = models.CharField(_("action"), max_length=40)
    params = models.JSONField(_("settings"), default=dict, blank=True)

    class Meta:
        verbose_name = _("route")
        verbose_name_plural = _("routes")
        ordering = ["code", "position"]
        constraints = [
            models.UniqueConstraint(fields=["code", "position"], name="qr_route_position_unique")
        ]

    def __str__(self) -> str:
        return self.name or self.action


class HistoryImmutable(Exception):
    """A code's history is append-only."""


class CodeEventQuerySet(ScopedQuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise HistoryImmutable("code history cannot be changed")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise HistoryImmutable("code history cannot be deleted")


class CodeEvent(CommunityScoped):
    """One change to a code: who, when, what, and the code with its routes afterwards."""

    code = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    verb = models.CharField(max_length=40)
    actor_label = models.CharField(max_length=150)
    snapshot = models.JSONField(default=dict)

    objects = CodeEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise HistoryImmutable("code history cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise HistoryImmutable("code history cannot be deleted")


class Form(CommunityScoped):
    """A small form behind a code: a survey, a check-in, a daily work report."""

    title = models.JSONField(_("title"), default=dict, help_text=_("One title per language."))
    fields = models.JSONField(_("fields"), default=list)
    thanks = models.JSONField(_("thank-you text"), default=dict, blank=True)
    owner = models.ForeignKey(
        "people.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    webhook = models.ForeignKey(
        "qrcodes.Webhook", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    #: Days its answers are kept; then typed texts, phone numbers and e-mails are cleared
    #: (choices and numbers stay for statistics). Empty: kept until staff remove them.
    keep_days = models.PositiveIntegerField(_("keep answers (days)"), null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("form")
        verbose_name_plural = _("forms")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return str(self.title.get("nl") or next(iter(self.title.values()), "") or self.pk)


class Submission(CommunityScoped):
    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="submissions")
    code = models.ForeignKey(
        Code, on_delete=models.PROTECT, null=True, blank=True, related_name="submissions"
    )
    data = models.JSONField(default=dict)
    language = models.CharField(max_length=5, blank=True)
    at = models.DateTimeField(db_index=True)
    submitted_by = models.CharField(max_length=150, blank=True)
    #: Its typed texts were cleared after the form's retention period (``Form.keep_days``).
    expired = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("form answer")
        verbose_name_plural = _("form answers")
        ordering = ["-at", "-id"]


class Webhook(CommunityScoped):
    """An external system that gets scans or form answers, signed with HMAC-SHA256."""

    name = models.CharField(_("name"), max_length=100)
    url = SafeURLField(_("address"), max_length=500)
    secret = models.CharField(max_length=80)
    owner = models.ForeignKey(
        "people.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Delivery(CommunityScoped):
    """One POST to a webhook, tried in a background task with retries."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=30)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class Scan(CommunityScoped):
    """One scan. No IP address is kept: ``visitor`` is a hash salted per day (unique counts)."""

    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="scans")
    at = models.DateTimeField()
    day = models.DateField()
    visitor = models.CharField(max_length=16)
    device = models.CharField(max_length=10)
    os = models.CharField(max_length=10)
    language = models.CharField(max_length=5)
    route = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=12)
    source = models.CharField(max_length=30, blank=True)
    bot = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["code", "day"], name="qr_scan_code_day"),
            models.Index(fields=["community", "day"], name="qr_scan_day"),
        ]


class ScanDaily(CommunityScoped):
    """Scans per code and day, per route, source, device and language: charts read these."""

    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="daily")
    day = models.DateField()
    route = models.IntegerField(default=-1)
    source = models.CharField(max_length=30, blank=True)
    device = models.CharField(max_length=10)
    language = models.CharField(max_length=5)
    bot = models.BooleanField(default=False)
    scans = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["community", "day"], name="qr_daily_day"),
            # Every column a dashboard of a tag or team reads: answered from the index alone.
            models.Index(
                fields=["code", "day", "bot", "route", "source", "device", "language", "scans"],
                name="qr_daily_code_cover",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "day", "route", "source", "device", "language", "bot"],
                name="qr_daily_unique",
            )
        ]


class CodeDay(CommunityScoped):
    """A code's totals for one day: scans by people, unique visitors, scans by bots."""

    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    scans = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)
    bot_scans = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["community", "day"], name="qr_codeday_day"),
            # Every column a dashboard of a tag or team reads: answered from the index alone.
            models.Index(
                fields=["code", "day", "scans", "visitors", "bot_scans"],
                name="qr_codeday_code_cover",
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["code", "day"], name="qr_codeday_unique")]


class CommunityDay(CommunityScoped):
    """All codes of a community together for one day (:class:`CodeDay` added up): the dashboard
    without a tag or team filter reads one row a day instead of one per code."""

    day = models.DateField()
    scans = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)  # per code and day, added up
    bot_scans = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "day"], name="qr_communityday_unique")
        ]


class CommunityScanDaily(CommunityScoped):
    """:class:`ScanDaily` added up over all codes of a community (a few dozen rows a day)."""

    day = models.DateField()
    route = models.IntegerField(default=-1)
    source = models.CharField(max_length=30, blank=True)
    device = models.CharField(max_length=10)
    language = models.CharField(max_length=5)
    bot = models.BooleanField(default=False)
    scans = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "day", "route", "source", "device", "language", "bot"],
                name="qr_communitydaily_unique",
            )
        ]


class OrphanScan(models.Model):
    """Scans of codes that do not exist (a typo, a removed code): per day, install-wide."""

    day = models.DateField()
    code = models.CharField(max_length=40)
    scans = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "code"], name="qr_orphan_day_code")]

    def __str__(self) -> str:
        return f"{self.day} {self.code}"


class DailySalt(models.Model):
    """Today's random salt for visitor hashes; removed after two days so hashes cannot be reversed."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)

    def __str__(self) -> str:
        return str(self.day)


class RolledUpDay(CommunityScoped):
    """A day whose scans have been summed into :class:`ScanDaily` and :class:`CodeDay`."""

    day = models.DateField()
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "day"], name="qr_rolled_up_day")
        ]

    def __str__(self) -> str:
        return str(self.day)


# --- reservations and check-ins (a code that books a place, a code at an entrance) ----------


class Resource(CommunityScoped):
    """Something people book for a while through a code: a room, a laptop, a cargo bike."""

    name = models.CharField(_("name"), max_length=120)
    code = models.ForeignKey(
        Code, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    capacity = models.PositiveIntegerField(_("places per time slot"), default=1)
    #: Days after the slot that the names and contacts are kept; then they are anonymised.
    keep_days = models.PositiveIntegerField(_("keep personal data (days)"), default=14)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("bookable resource")
        verbose_name_plural = _("bookable resources")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="qr_resource_capacity"),
            models.CheckConstraint(condition=Q(keep_days__gte=1), name="qr_resource_keep_days"),
        ]

    def __str__(self) -> str:
        return self.name


class Slot(CommunityScoped):
    """One time slot of a resource. ``booked`` counts its live bookings and can never pass
    ``capacity`` (a check constraint; bookings raise it with one conditional UPDATE)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    booked = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(booked__lte=models.F("capacity")), name="qr_slot_full"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="qr_slot_times"
            ),
            models.UniqueConstraint(fields=["resource", "starts_at"], name="qr_slot_unique_start"),
        ]


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("booked")
    CHECKED_IN = "checked_in", _("came")
    NO_SHOW = "no_show", _("did not come")
    CANCELLED = "cancelled", _("cancelled")


class Booking(CommunityScoped):
    """One place in a slot, for a person (signed in) or a name with a phone or e-mail."""

    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="bookings")
    person = models.ForeignKey(
        "people.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=120)
    contact = models.CharField(_("phone or e-mail"), max_length=200, blank=True)
    #: Secret in the cancel link the person keeps ("/…/booking/<token>/").
    token = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=12, choices=BookingStatus.choices, default="booked")
    created_at = models.DateTimeField()
    changed_at = models.DateTimeField(null=True, blank=True)
    anonymised = models.BooleanField(default=False)
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    #: Not stored: True on a booking returned for a retried idempotency key.
    replayed: bool = False

    class Meta:
        ordering = ["slot__starts_at", "id"]
        indexes = [models.Index(fields=["community", "status"], name="qr_booking_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="qr_booking_idempotent",
            )
        ]


class CheckInPoint(CommunityScoped):
    """An entrance with a code: people check in and out; staff see who is in now."""

    name = models.CharField(_("name"), max_length=120)
    code = models.ForeignKey(
        Code, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    #: Days the names are kept after the visit; then they are anonymised (the count stays).
    keep_days = models.PositiveIntegerField(_("keep personal data (days)"), default=14)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("check-in point")
        verbose_name_plural = _("check-in points")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(keep_days__gte=1), name="qr_point_keep_days"),
        ]

    def __str__(self) -> str:
        return self.name


class Visit(CommunityScoped):
    """One stay in a building: checked in, and out by the person, by staff or at day's end."""

    class Out(models.TextChoices):
        SELF = "self", _("by the visitor")
        STAFF = "staff", _("by staff")
        AUTO = "auto", _("at the end of the day")

    point = models.ForeignKey(CheckInPoint, on_delete=models.PROTECT, related_name="visits")
    person = models.ForeignKey(
        "people.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=120)
    #: Secret in the visitor's cookie, to check out from the same phone.
    token = models.CharField(max_length=32, unique=True)
    in_at = models.DateTimeField()
    out_at = models.DateTimeField(null=True, blank=True)
    out_how = models.CharField(max_length=6, choices=Out.choices, blank=True)
    kiosk = models.BooleanField(default=False)
    anonymised = models.BooleanField(default=False)

    class Meta:
        ordering = ["-in_at", "-id"]
        indexes = [models.Index(fields=["point", "out_at"], name="qr_visit_open")]


class Kiosk(CommunityScoped):
    """A shared tablet that staff registered for one code (a check-in at the entrance): its
    signed cookie lifts the per-address limit on answers for that code only."""

    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="+")
    label = models.CharField(_("name of the tablet"), max_length=80)
    registered_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label
