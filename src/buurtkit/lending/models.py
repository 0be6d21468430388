"""The device bank: donated devices, their append-only life cycle, and where they are.

Referrals, hand-overs with signed agreements, loans and repair tickets come next (issue 12);
this is the stock they build on.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped, community_key
from buurtkit.people.models import Organisation
from buurtkit.places.models import Place


class DeviceKind(models.TextChoices):
    LAPTOP = "laptop", _("laptop")
    PC = "pc", _("desktop PC")
    TABLET = "tablet", _("tablet")
    SMARTPHONE = "smartphone", _("smartphone")
    SCREEN = "screen", _("screen")
    PROJECTOR = "projector", _("projector")
    ROUTER = "router", _("router or modem")
    OTHER = "other", _("other")


class Condition(models.TextChoices):
    NEW = "new", _("as new")
    GOOD = "good", _("good")
    FAIR = "fair", _("fair: signs of use")
    POOR = "poor", _("poor: parts only")


class Pool(models.TextChoices):
    HANDOUT = "handout", _("for residents")
    PLACE = "place", _("equipment of a place")
    PARTS = "parts", _("spare parts")


class DeviceState(models.TextChoices):
    RECEIVED = "received", _("received")
    WIPED = "wiped", _("wiped")
    REFURBISHED = "refurbished", _("refurbished")
    CHECKED = "checked", _("checked")
    AVAILABLE = "available", _("available")
    RESERVED = "reserved", _("reserved")
    HANDED_OVER = "handed_over", _("handed over")
    IN_REPAIR = "in_repair", _("in repair")
    RETURNED = "returned", _("returned")
    WRITTEN_OFF = "written_off", _("written off")
    RECYCLED = "recycled", _("recycled")


class Donation(CommunityScoped):
    """A batch of devices given at once (by the city, the OCMW, a school, a company)."""

    donor = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("donor organisation"),
    )
    donor_name = models.CharField(_("donor"), max_length=150, blank=True)
    received_on = models.DateField(_("received on"))
    announced = models.PositiveIntegerField(_("devices announced"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="donation_idempotency_key_unique",
            )
        ]


class Device(CommunityScoped):
    community = community_key(db_index=False)
    #: The number on its printed label, e.g. "DB-000123": unique in the community.
    label = models.CharField(_("label"), max_length=20)
    kind = models.CharField(_("kind"), max_length=12, choices=DeviceKind.choices)
    brand = models.CharField(_("brand"), max_length=60, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    serial = models.CharField(_("serial number"), max_length=100, blank=True)
    specs = models.JSONField(_("specifications"), default=dict, blank=True)
    condition = models.CharField(
        _("condition"), max_length=6, choices=Condition.choices, default=Condition.GOOD
    )
    pool = models.CharField(_("pool"), max_length=8, choices=Pool.choices, default=Pool.HANDOUT)
    donation = models.ForeignKey(
        Donation, on_delete=models.PROTECT, null=True, blank=True, related_name="devices"
    )
    place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("where it is"),
    )
    #: The kind of its last event (kept with the event in one transaction, for fast lists).
    state = models.CharField(_("state"), max_length=12, choices=DeviceState.choices)
    state_changed_at = models.DateTimeField(_("since"))
    events_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["community", "label"], name="device_label_unique")
        ]
        indexes = [
            models.Index(fields=["community", "state", "kind"], name="device_stock_idx"),
            models.Index(fields=["community", "serial"], name="device_serial_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.brand} {self.model}".strip()


class DeviceEvent(CommunityScoped):
    """One step in a device's life, append-only. ``seq`` numbers a device's events 1, 2, 3…;
    a unique (device, seq) makes two writers racing on one device conflict, so one wins."""

    community = community_key(db_index=False)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(_("what happened"), max_length=12, choices=DeviceState.choices)
    at = models.DateTimeField(_("when"))
    actor_label = models.CharField(_("by"), max_length=150)
    note = models.CharField(_("note"), max_length=300, blank=True)
    #: Evidence of a wipe: {"method", "tool", "operator", "wiped_on"}; other events: free facts.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("device event")
        verbose_name_plural = _("device events")
        ordering = ["device_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["device", "seq"], name="device_event_seq_unique")
        ]
