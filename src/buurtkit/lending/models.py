"""The device bank: donated devices and their append-only life cycle (the stock); referrals
by social services and partners; hand-overs with signed agreements; loans; repair tickets.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat, Upper
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped, ScopedQuerySet, community_key
from buurtkit.people.models import Organisation, Person
from buurtkit.places.models import Place


class EvidenceImmutable(Exception):
    """A device's history, agreement texts and signed hand-overs are never edited; a mistake
    is corrected by a new record. (Anonymising uses ``core.anonymising.force_update``.)"""


class AppendOnlyQuerySet(ScopedQuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise EvidenceImmutable(f"{self.model._meta.verbose_name_plural} cannot be updated")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise EvidenceImmutable(f"{self.model._meta.verbose_name_plural} cannot be deleted")


class AppendOnly(models.Model):
    """Rows written once (PostgreSQL triggers guard them too: migration 0003)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise EvidenceImmutable(f"{self._meta.verbose_name} cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        raise EvidenceImmutable(f"{self._meta.verbose_name} cannot be deleted")


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
    #: Brand and model in capitals, kept by the database: text search compares it as it is
    #: (no UPPER() per row), from an index (migration 0005; bench/lending_stock.py).
    search_text = models.GeneratedField(
        expression=Upper(Concat("brand", Value(" "), "model")),
        output_field=models.CharField(max_length=161),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["community", "label"], name="device_label_unique")
        ]
        indexes = [
            # The stock overview counts from this index alone (state, kind and pool per device).
            models.Index(
                fields=["community", "state", "kind", "pool"], name="device_stock_pool_idx"
            ),
            models.Index(fields=["community", "serial"], name="device_serial_idx"),
            # Text search counts its matches from this index alone on SQLite (PostgreSQL also
            # has a trigram index on search_text: migration 0005).
            models.Index(fields=["community", "search_text"], name="device_text_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.brand} {self.model}".strip()


class DeviceEvent(AppendOnly, CommunityScoped):
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

    def __str__(self) -> str:
        return f"{self.device_id}#{self.seq} {self.kind}"


def device_photo_path(photo: DevicePhoto, filename: str) -> str:
    """Under MEDIA_ROOT, per community; the name is generated (never what was uploaded)."""
    return f"lending/photos/{photo.community_id}/{filename}"


class DevicePhoto(CommunityScoped):
    """A photo of a device (its state, a scratch, the serial plate), taken by staff with a
    phone. Stored re-encoded as JPEG without its metadata (no location), under a generated
    name; shown only to staff of the same community. Holds no personal data."""

    community = community_key(db_index=False)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="photos")
    image = models.FileField(_("photo"), upload_to=device_photo_path, max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(_("added on"))
    created_by_label = models.CharField(_("added by"), max_length=150)

    class Meta:
        verbose_name = _("device photo")
        verbose_name_plural = _("device photos")
        ordering = ["device_id", "pk"]
        indexes = [models.Index(fields=["community", "device"], name="device_photo_idx")]

    def __str__(self) -> str:
        return f"photo {self.pk} of device {self.device_id}"


# --- Referrals: a partner asks a device for a household --------------------------------------


class Eligibility(models.TextChoices):
    LOW_INCOME = "low_income", _("low income or debt counselling")
    SOCIAL_SERVICE = "social_service", _("client of the social service (OCMW)")
    JOBSEEKER = "jobseeker", _("looking for work or training")
    PUPIL = "pupil", _("pupil or student at home")
    SENIOR = "senior", _("older person alone")
    NEWCOMER = "newcomer", _("newcomer")
    OTHER = "other", _("other reason")


class AgreementKind(models.TextChoices):
    GIFT = "gift", _("gift")
    LOAN = "loan", _("loan")
    SALE = "sale", _("sale at social tariff")


class ReferralState(models.TextChoices):
    WAITING = "waiting", _("waiting")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")
    MATCHED = "matched", _("device set aside")
    INVITED = "invited", _("invited to pick it up")
    HANDED_OVER = "handed_over", _("handed over")
    CANCELLED = "cancelled", _("cancelled")


class InvitedVia(models.TextChoices):
    SMS = "sms", _("text message")
    EMAIL = "email", _("e-mail")
    CALL = "call", _("automated phone call")
    REFERRER = "referrer", _("the referring partner tells them")


class CapPeriod(models.TextChoices):
    MONTH = "month", _("per month")
    QUARTER = "quarter", _("per quarter")
    YEAR = "year", _("per year")


class ReferralCap(CommunityScoped):
    """At most ``max_referrals`` requests from one partner per period (a share of the stock)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("partner")
    )
    period = models.CharField(_("period"), max_length=8, choices=CapPeriod.choices)
    max_referrals = models.PositiveIntegerField(_("at most"))

    class Meta:
        verbose_name = _("referral cap")
        verbose_name_plural = _("referral caps")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "organisation", "period"], name="referral_cap_unique"
            )
        ]


class Referral(CommunityScoped):
    """A request for a device for one household, filed by a referrer (OCMW, a partner).

    ``client_ref`` is the partner's own pseudonymous reference; ``person`` (the resident) is
    filled in only where a loan needs a name, and only the partner who entered it sees it.
    """

    community = community_key(db_index=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("referred by")
    )
    client_ref = models.CharField(_("your reference"), max_length=60)
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident"),
    )
    #: The resident was entered by the referring partner while filing (only then may the
    #: partner see who it is: a name the digibank added later stays hidden from them).
    person_by_referrer = models.BooleanField(_("resident entered by the partner"), default=False)
    household_size = models.PositiveSmallIntegerField(_("people in the household"), null=True)
    kind = models.CharField(_("device needed"), max_length=12, choices=DeviceKind.choices)
    purpose = models.CharField(_("for what"), max_length=300)
    eligibility = models.CharField(_("why"), max_length=16, choices=Eligibility.choices)
    eligibility_note = models.CharField(_("note on eligibility"), max_length=300, blank=True)
    wished = models.CharField(
        _("as"), max_length=8, choices=AgreementKind.choices, default=AgreementKind.GIFT
    )
    state = models.CharField(
        _("state"), max_length=12, choices=ReferralState.choices, default=ReferralState.WAITING
    )
    filed_at = models.DateTimeField(_("filed at"))
    filed_by_label = models.CharField(_("filed by"), max_length=150)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by_label = models.CharField(_("decided by"), max_length=150, blank=True)
    refusal_reason = models.CharField(_("reason"), max_length=300, blank=True)
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pickup_place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pick up at"),
    )
    matched_at = models.DateTimeField(_("device set aside at"), null=True, blank=True)
    pickup_at = models.DateTimeField(_("pick up on"), null=True, blank=True)
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    invited_via = models.CharField(
        _("invited by"), max_length=8, choices=InvitedVia.choices, blank=True
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by_label = models.CharField(_("cancelled by"), max_length=150, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["filed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="referral_idempotency_key_unique",
            ),
            # A device is set aside for one referral at a time.
            models.UniqueConstraint(
                fields=["device"],
                condition=Q(state__in=["matched", "invited"]),
                name="referral_one_open_per_device",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "state", "filed_at"], name="referral_queue_idx"),
            models.Index(
                fields=["community", "organisation", "filed_at"], name="referral_partner_idx"
            ),
        ]


# --- Hand-overs: the device reaches the resident, with a signed agreement --------------------


class AgreementText(AppendOnly, CommunityScoped):
    """The text a resident signs, per kind and language, versioned. Never edited: a change is
    a new version, and a signed agreement keeps pointing at the version it was signed on."""

    kind = models.CharField(_("kind"), max_length=8, choices=AgreementKind.choices)
    language = models.CharField(_("language"), max_length=5)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by_label = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = _("agreement text")
        verbose_name_plural = _("agreement texts")
        ordering = ["kind", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "kind", "language", "version"],
                name="agreement_text_version_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.language} v{self.version}"


class Connectivity(models.TextChoices):
    OWN = "own", _("own internet connection")
    SOCIAL_TARIFF = "social_tariff", _("connection at social tariff")
    VOUCHER = "voucher", _("voucher or prepaid data")
    PUBLIC = "public", _("only public Wi-Fi or a digipunt")
    NONE = "none", _("not online")
    UNKNOWN = "unknown", _("not asked")


class IdentityDocument(models.TextChoices):
    EID = "eid", _("Belgian identity card")
    RESIDENCE = "residence", _("residence card")
    PASSPORT = "passport", _("passport")
    DRIVING = "driving", _("driving licence")
    OTHER = "other", _("other document")


class HandOver(AppendOnly, CommunityScoped):
    """One or several devices handed to a household at once, with the signed agreement.

    Append-only once signed: the signature and the PDF are evidence. Anonymising clears the
    name, the signature and the PDF; the kind, date, devices and price stay for the figures.
    """

    community = community_key(db_index=False)
    kind = models.CharField(_("as"), max_length=8, choices=AgreementKind.choices)
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident"),
    )
    #: The name on the agreement, as signed (cleared when the person is anonymised).
    recipient_label = models.CharField(_("received by"), max_length=150, blank=True)
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: The referring partner, kept when the referral is gone from view (figures per partner).
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handed_at = models.DateTimeField(_("handed over at"))
    handed_by_label = models.CharField(_("handed over by"), max_length=150)
    agreement_text = models.ForeignKey(
        AgreementText, on_delete=models.PROTECT, related_name="+", verbose_name=_("agreement")
    )
    language = models.CharField(_("language"), max_length=5)
    price_cents = models.PositiveIntegerField(_("price paid"), default=0)
    receipt_number = models.CharField(_("receipt number"), max_length=30, blank=True)
    signature_png = models.BinaryField(_("signature"), blank=True, default=b"")
    agreement_pdf = models.BinaryField(_("signed agreement"), blank=True, default=b"")
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    connectivity = models.CharField(
        _("online at home"),
        max_length=14,
        choices=Connectivity.choices,
        default=Connectivity.UNKNOWN,
    )
    connectivity_note = models.CharField(_("note"), max_length=200, blank=True)
    #: Staff saw an identity document (which kind; never its number).
    identity_checked = models.BooleanField(_("identity checked"), default=False)
    identity_document = models.CharField(
        _("identity document"), max_length=10, choices=IdentityDocument.choices, blank=True
    )
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")
        ordering = ["-handed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="handover_idempotency_key_unique",
            )
        ]
        indexes = [
            models.Index(fields=["community", "handed_at"], name="handover_month_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.handed_at:%Y-%m-%d} #{self.pk}"


class HandOverDevice(AppendOnly, CommunityScoped):
    """A device in a hand-over (append-only, like the hand-over)."""

    community = community_key(db_index=False)
    handover = models.ForeignKey(HandOver, on_delete=models.PROTECT, related_name="items")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("device handed over")
        verbose_name_plural = _("devices handed over")
        constraints = [
            models.UniqueConstraint(fields=["handover", "device"], name="handover_device_unique")
        ]

    def __str__(self) -> str:
        return f"{self.handover_id}: {self.device_id}"


# --- Loans and repairs ----------------------------------------------------------------------


class LoanState(models.TextChoices):
    OPEN = "open", _("on loan")
    RETURNED = "returned", _("returned")
    LOST = "lost", _("not returned")


class Loan(CommunityScoped):
    """A device lent with a hand-over of kind "loan": due date, extensions, the return check."""

    community = community_key(db_index=False)
    handover = models.ForeignKey(HandOver, on_delete=models.PROTECT, related_name="loans")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due on"))
    extensions = models.PositiveSmallIntegerField(_("extensions"), default=0)
    state = models.CharField(
        _("state"), max_length=8, choices=LoanState.choices, default=LoanState.OPEN
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    returned_complete = models.BooleanField(_("complete"), null=True)
    returned_damaged = models.BooleanField(_("damaged"), null=True)
    return_note = models.CharField(_("note"), max_length=300, blank=True)
    #: The last reminder sent ("before", "due", "after", "after2"…), so the sweep sends each once.
    last_reminder = models.CharField(max_length=12, blank=True)
    #: How that reminder went out: "sms", "email", "call", or "staff" (nobody may be reached
    #: that way: a member of staff phones or writes; the loans page lists them).
    reminder_via = models.CharField(_("reminded by"), max_length=6, blank=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["device"], condition=Q(state="open"), name="loan_one_open_per_device"
            )
        ]
        indexes = [models.Index(fields=["community", "state", "due_on"], name="loan_due_idx")]


class RepairState(models.TextChoices):
    OPEN = "open", _("open")
    IN_REPAIR = "in_repair", _("in repair")
    FIXED = "fixed", _("fixed")
    REPLACED = "replaced", _("replaced")
    BEYOND_REPAIR = "beyond_repair", _("beyond repair")


class Repairer(models.TextChoices):
    AFTER_SALES = "after_sales", _("after-sales service (second-hand shop)")
    REPAIR_CAFE = "repair_cafe", _("repair café")
    PARTNER = "partner", _("partner repairer")
    OWN = "own", _("our own volunteers")


class OpenedVia(models.TextChoices):
    STAFF = "staff", _("staff")
    REFERRER = "referrer", _("the referring partner")
    COUNTER = "counter", _("the resident at a counter")


class RepairTicket(CommunityScoped):
    """A device that needs repair, at the digibank or after it was handed over."""

    community = community_key(db_index=False)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    handover = models.ForeignKey(
        HandOver, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_via = models.CharField(_("opened by"), max_length=8, choices=OpenedVia.choices)
    opened_by_label = models.CharField(max_length=150)
    opened_at = models.DateTimeField(_("opened at"))
    problem = models.CharField(_("what is wrong"), max_length=500)
    repairer = models.CharField(
        _("repaired by"), max_length=12, choices=Repairer.choices, default=Repairer.AFTER_SALES
    )
    repairer_name = models.CharField(_("repairer"), max_length=150, blank=True)
    state = models.CharField(
        _("state"), max_length=14, choices=RepairState.choices, default=RepairState.OPEN
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome_note = models.CharField(_("outcome"), max_length=300, blank=True)
    replacement = models.ForeignKey(
        Device,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replacement device"),
    )
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("repair ticket")
        verbose_name_plural = _("repair tickets")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="repair_idempotency_key_unique",
            ),
            models.UniqueConstraint(
                fields=["device"],
                condition=Q(state__in=["open", "in_repair"]),
                name="repair_one_open_per_device",
            ),
        ]
        indexes = [models.Index(fields=["community", "state"], name="repair_state_idx")]
