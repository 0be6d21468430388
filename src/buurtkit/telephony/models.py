"""Calls, their append-only event log and the providers' price tables.

Money is stored in integer micro-units of the table's currency (``1 USD = 1_000_000``).
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped, ScopedQuerySet

MICROS = 1_000_000


class Direction(models.TextChoices):
    IN = "in", _("incoming")
    OUT = "out", _("outgoing")


class CallStatus(models.TextChoices):
    QUEUED = "queued", _("waiting")
    INITIATED = "initiated", _("dialling")
    RINGING = "ringing", _("ringing")
    IN_PROGRESS = "in-progress", _("in progress")
    COMPLETED = "completed", _("completed")
    BUSY = "busy", _("busy")
    NO_ANSWER = "no-answer", _("not answered")
    FAILED = "failed", _("failed")
    CANCELED = "canceled", _("cancelled")


#: A status only ever moves to a higher rank: a late "ringing" never undoes "completed".
STATUS_RANK: dict[str, int] = {
    CallStatus.QUEUED: 0,
    CallStatus.INITIATED: 1,
    CallStatus.RINGING: 2,
    CallStatus.IN_PROGRESS: 3,
    CallStatus.COMPLETED: 4,
    CallStatus.BUSY: 4,
    CallStatus.NO_ANSWER: 4,
    CallStatus.FAILED: 4,
    CallStatus.CANCELED: 4,
}
FINAL_RANK = 4


class AnsweredBy(models.TextChoices):
    UNKNOWN = "", _("unknown")
    HUMAN = "human", _("a person")
    MACHINE = "machine", _("an answering machine")


class LineKind(models.TextChoices):
    LOCAL = "local", _("landline")
    MOBILE = "mobile", _("mobile")


class Call(CommunityScoped):
    """One phone call. Written (status ``queued``) before any provider is asked to dial it."""

    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    from_number = models.CharField(_("from"), max_length=20)
    to_number = models.CharField(_("to"), max_length=20)
    line_kind = models.CharField(
        _("line"), max_length=10, choices=LineKind.choices, default=LineKind.LOCAL
    )
    language = models.CharField(_("language"), max_length=5, default="nl")
    status = models.CharField(
        _("status"), max_length=12, choices=CallStatus.choices, default=CallStatus.QUEUED
    )
    status_rank = models.PositiveSmallIntegerField(default=0)
    answered_by = models.CharField(
        _("answered by"), max_length=10, choices=AnsweredBy.choices, default="", blank=True
    )
    machine_detection = models.BooleanField(_("answering machine detection"), default=False)
    provider = models.CharField(_("provider"), max_length=20)
    provider_sid = models.CharField(max_length=64, blank=True)
    #: Who owns the call: another app's flow (``purpose``) and the row it is about.
    purpose = models.CharField(_("purpose"), max_length=40)
    subject_type = models.CharField(max_length=60, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    #: The owning flow's own memory between webhooks, plus ``seq`` (answers given so far).
    flow_state = models.JSONField(default=dict, blank=True)
    conference = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    dial_started_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    price_micros = models.BigIntegerField(null=True, blank=True)
    price_currency = models.CharField(max_length=3, blank=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_sid"],
                condition=~Q(provider_sid=""),
                name="telephony_call_provider_sid",
            ),
            models.CheckConstraint(
                condition=Q(direction__in=["in", "out"]), name="telephony_call_direction"
            ),
        ]
        indexes = [models.Index(fields=["community", "purpose", "subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.direction} {self.to_number}: {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status_rank >= FINAL_RANK


class EventImmutable(Exception):
    pass


class CallEventQuerySet(ScopedQuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise EventImmutable("call events cannot be updated")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise EventImmutable("call events cannot be deleted")


class CallEvent(CommunityScoped):
    """One webhook or status callback, as received, and the answer given (append-only).

    ``dedupe_key`` (provider sid + step + sequence) is unique per call: a webhook delivered
    twice finds its first event and gets the same answer; nothing changes.
    """

    class Kind(models.TextChoices):
        VOICE = "voice", _("call step")
        STATUS = "status", _("status change")
        DIAL = "dial", _("dialling")
        CONFERENCE = "conference", _("conference room")

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    dedupe_key = models.CharField(max_length=200)
    step = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=20, blank=True)
    digits = models.CharField(max_length=20, blank=True)
    #: Whether a status callback moved the call on (False: late or repeated).
    applied = models.BooleanField(default=True)
    params = models.JSONField(default=dict, blank=True)
    response = models.TextField(blank=True)
    at = models.DateTimeField()

    objects = CallEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["call", "dedupe_key"], name="telephony_event_dedupe")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.dedupe_key}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise EventImmutable("call events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise EventImmutable("call events cannot be deleted")


class PriceItem(models.TextChoices):
    VOICE_LOCAL = "voice_local", _("call to a landline, per minute")
    VOICE_MOBILE = "voice_mobile", _("call to a mobile, per minute")
    CONFERENCE = "conference", _("conference, per participant per minute")
    MACHINE_DETECTION = "machine_detection", _("answering machine detection, per call")
    SMS = "sms", _("text message, each")
    STUDIO_EXECUTION = "studio_execution", _("Studio flow execution, each")
    STUDIO_INVOCATION = "studio_invocation", _("Studio invocation, each")
    STUDIO_ASSET = "studio_asset", _("Studio asset request, each")


class PriceTable(CommunityScoped):
    """A provider's prices as this community pays them; staff edit the rows."""

    provider = models.CharField(_("provider"), max_length=20)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("price table")
        verbose_name_plural = _("price tables")
        constraints = [
            models.UniqueConstraint(fields=["community", "provider"], name="telephony_price_table")
        ]

    def __str__(self) -> str:
        return f"{self.provider} ({self.currency})"


class Price(CommunityScoped):
    table = models.ForeignKey(PriceTable, on_delete=models.CASCADE, related_name="prices")
    item = models.CharField(_("item"), max_length=20, choices=PriceItem.choices)
    #: Price of one unit (a minute, a call, a message) in micro-units of the table's currency.
    unit_micros = models.BigIntegerField(_("unit price (micro-units)"))
    #: Units free each month (Studio's free tiers).
    free_per_month = models.PositiveIntegerField(_("free each month"), default=0)

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.UniqueConstraint(fields=["table", "item"], name="telephony_price_item"),
            models.CheckConstraint(condition=Q(unit_micros__gte=0), name="telephony_price_gte0"),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.unit_micros}"


class FlowStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVE = "active", _("active")
    RETIRED = "retired", _("retired")


class FlowVersion(CommunityScoped):
    """One version of a call flow, as data (``telephony.flowdata``): nodes with prompts per
    language, key menus of at most three options, and the outcome each node reports.

    ``key`` names the flow (``buurbel.intro``); one version per key is active. An active
    version never changes: staff copy it to a new draft.
    """

    key = models.CharField(_("flow"), max_length=40)
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=FlowStatus.choices, default=FlowStatus.DRAFT
    )
    definition = models.JSONField(_("definition"), default=dict)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("call flow version")
        verbose_name_plural = _("call flow versions")
        ordering = ["key", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "key", "number"], name="telephony_flow_number"
            ),
            models.UniqueConstraint(
                fields=["community", "key"],
                condition=Q(status="active"),
                name="telephony_flow_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.number}"


class Recording(CommunityScoped):
    """An uploaded audio prompt (content management); flows and announcements refer to it."""

    name = models.CharField(_("name"), max_length=120)
    language = models.CharField(_("language"), max_length=5)
    audio = models.FileField(_("audio file"), upload_to="recordings/%Y/%m/")
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.CharField(max_length=150)
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        ordering = ["name", "language"]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"
