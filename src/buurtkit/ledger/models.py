"""The community currency: one closed circle per community, double-entry and append-only."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped, ScopedQuerySet, community_key


class Currency(CommunityScoped):
    """A community's currency (a closed circle). Amounts are integers in minor units."""

    code = models.CharField(_("code"), max_length=8)
    names = models.JSONField(
        _("names"), default=dict, help_text=_("Singular and plural name per language.")
    )
    decimals = models.PositiveSmallIntegerField(_("decimals"), default=0)
    denominations = models.JSONField(_("paper denominations"), default=list)
    euro_cents_per_unit = models.PositiveIntegerField(_("euro cents per unit"), default=10)
    default_lower_limit = models.BigIntegerField(_("default lower limit"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("currency")
        verbose_name_plural = _("currencies")
        constraints = [
            models.UniqueConstraint(fields=["community"], name="currency_one_per_community"),
            models.CheckConstraint(condition=Q(decimals__lte=4), name="currency_decimals_max_4"),
            models.CheckConstraint(
                condition=Q(default_lower_limit__lte=0), name="currency_limit_not_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def name(self, language: str, plural: bool = True) -> str:
        names = self.names.get(language) or self.names.get("nl") or {}
        return str(names.get("plural" if plural else "singular") or self.code)


class AccountKind(models.TextChoices):
    RESIDENT = "resident", _("resident")
    MERCHANT = "merchant", _("merchant")
    ORGANISATION = "organisation", _("organisation (issuer)")
    TILL = "till", _("exchange office till")
    SYSTEM = "system", _("system")


class SystemRole(models.TextChoices):
    ISSUANCE = "issuance", _("issuance")
    REDEMPTION = "redemption", _("redemption")
    PAPER = "paper", _("paper in circulation")
    # Rewards promised for agreed help, reserved from the issuer's budget until the help is
    # done (paid to the helper) or cancelled (back to the issuer): ledger/services/holds.py.
    HELD = "held", _("rewards held for agreed help")


class Account(CommunityScoped):
    """Money lives here, on the server: a lost phone loses nothing.

    ``balance`` is kept in the same transaction as each transfer; a database constraint keeps
    every non-system balance at or above its lower limit.
    """

    # Indexed by account_number_unique (community, number). A lone community index once led
    # PostgreSQL to lock a payment's two accounts by reading every account of the community.
    community = community_key(db_index=False)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="accounts")
    number = models.CharField(_("account number"), max_length=9)
    kind = models.CharField(_("kind"), max_length=20, choices=AccountKind.choices)
    system_role = models.CharField(max_length=20, choices=SystemRole.choices, blank=True)
    name = models.CharField(_("name"), max_length=150)
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "people.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    balance = models.BigIntegerField(_("balance"), default=0)
    lower_limit = models.BigIntegerField(_("lower limit"), default=0)
    frozen = models.BooleanField(_("frozen"), default=False)
    # SMS receipts (opt-in): a text message for every payment received, to the account's
    # resident or, for a shop or organisation, to ``sms_contact``. See services.receipts_set.
    sms_receipts = models.BooleanField(_("SMS receipt for every payment received"), default=False)
    sms_contact = models.ForeignKey(
        "people.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("receives the SMS receipts"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["community", "number"], name="account_number_unique"),
            models.UniqueConstraint(
                fields=["currency", "system_role"],
                condition=~Q(system_role=""),
                name="account_one_per_system_role",
            ),
            models.CheckConstraint(
                condition=Q(kind="system") | Q(balance__gte=F("lower_limit")),
                name="account_balance_above_limit",
            ),
            models.CheckConstraint(
                condition=Q(kind="system") | Q(lower_limit__lte=0),
                name="account_limit_not_positive",
            ),
            models.CheckConstraint(
                condition=(Q(kind="system") & ~Q(system_role=""))
                | (~Q(kind="system") & Q(system_role="")),
                name="account_system_role_iff_system",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class TransferKind(models.TextChoices):
    PAYMENT = "payment", _("payment")
    ISSUE = "issue", _("issued")
    REWARD = "reward", _("reward for volunteering")
    EXCHANGE_IN = "exchange_in", _("paper exchanged for digital")
    EXCHANGE_OUT = "exchange_out", _("digital exchanged for paper")
    REDEMPTION = "redemption", _("converted to euro")
    REVERSAL = "reversal", _("correction")
    # A reward reserved from an issuer for agreed help, and its payment to the helper
    # (ledger/services/holds.py); a released hold is a reversal of the hold.
    HOLD = "hold", _("reward held for agreed help")
    HOLD_PAYOUT = "hold_payout", _("reward for help given")


class TransferImmutable(Exception):
    """Transfers are append-only; corrections are reversal transfers."""


class TransferQuerySet(ScopedQuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise TransferImmutable("transfers cannot be updated")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise TransferImmutable("transfers cannot be deleted")


class Transfer(CommunityScoped):
    """Money moving from one account to another. Never updated or deleted."""

    # No index of their own: (community, idempotency_key), (debit, at) and (credit, at) begin
    # with these columns. Every index costs each payment's insert, and a lone community index
    # once led PostgreSQL, planning before it had statistics, to read all of a community's
    # transfers to find one idempotency key.
    community = community_key(db_index=False)
    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="transfers", db_index=False
    )
    debit = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="debits", db_index=False
    )
    credit = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="credits", db_index=False
    )
    amount = models.BigIntegerField(_("amount"))
    kind = models.CharField(_("kind"), max_length=20, choices=TransferKind.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # At most one reversal per transfer: a partial unique index (transfer_reversed_once), so
    # the many transfers that reverse nothing add nothing to it.
    reverses = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        db_index=False,
    )
    idempotency_key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    # Alone, not (community, at): with the key's index, that would give PostgreSQL a second
    # index beginning with the community to choose for an idempotency lookup, and a plan made
    # while the table was small chose it (reading all of the community's transfers per key).
    at = models.DateTimeField(_("time"), db_index=True)
    actor_label = models.CharField(max_length=150)
    on_behalf_of_id = models.BigIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=20, default="web")
    # Balances right after this transfer, for statements with a running balance.
    debit_balance_after = models.BigIntegerField()
    credit_balance_after = models.BigIntegerField()

    objects = TransferQuerySet.as_manager()

    #: Not stored: True on a transfer returned for a retried idempotency key.
    replayed: bool = False

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"], name="transfer_idempotent"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(condition=~Q(debit=F("credit")), name="transfer_two_accounts"),
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="transfer_reversed_once",
            ),
        ]
        indexes = [
            models.Index(fields=["debit", "at"]),
            models.Index(fields=["credit", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.debit_id}->{self.credit_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TransferImmutable("transfers cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TransferImmutable("transfers cannot be deleted")


class PaymentPin(CommunityScoped):
    """A resident's payment PIN, separate from the login. Stored hashed, locked after wrong tries.

    Money lives on the server: a lost phone only needs its sessions ended and its PIN reset at
    the counter (see ``services.sessions_end_everywhere`` and ``services.pin_reset_by_staff``).
    """

    person = models.OneToOneField(
        "people.Person", on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    pin_hash = models.CharField(max_length=200)
    failed_attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    set_at = models.DateTimeField(_("set at"))

    class Meta:
        verbose_name = _("payment PIN")
        verbose_name_plural = _("payment PINs")

    def __str__(self) -> str:
        return f"PIN of person {self.person_id}"


# --- issuing budgets, second-person approval, monthly redemption (issue 4) ---------------


class IssuingBudget(CommunityScoped):
    """What an issuing organisation may reward in one period (both dates included).

    ``used`` is not stored: it is the sum of the period's rewards from the account that were
    not corrected (see ``selectors.budget_usage``), read while the account is locked.
    """

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="issuing_budgets", verbose_name=_("account")
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    amount = models.BigIntegerField(_("budget"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by_label = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = _("issuing budget")
        verbose_name_plural = _("issuing budgets")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_amount_positive"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="budget_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.starts_on}..{self.ends_on}: {self.amount}"


class RewardPolicy(CommunityScoped):
    """Per currency: rewards above ``approval_threshold`` (minor units) need a second person."""

    currency = models.OneToOneField(Currency, on_delete=models.CASCADE, related_name="+")
    approval_threshold = models.BigIntegerField(_("approval needed above"))

    class Meta:
        verbose_name = _("reward policy")
        verbose_name_plural = _("reward policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(approval_threshold__gte=0), name="reward_policy_threshold_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency_id}: {self.approval_threshold}"


class PendingRewardStatus(models.TextChoices):
    PENDING = "pending", _("waiting for approval")
    APPROVED = "approved", _("approved and paid")
    REJECTED = "rejected", _("rejected")


class PendingReward(CommunityScoped):
    """A large reward waiting for a second person; approving it makes the transfer once."""

    issuer = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField(_("amount"))
    reason = models.CharField(_("reason"), max_length=200)
    idempotency_key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PendingRewardStatus.choices,
        default=PendingRewardStatus.PENDING,
    )
    created_at = models.DateTimeField(_("asked at"))
    created_by_label = models.CharField(max_length=150)
    # Who asked, to refuse them as the approver: a login, an API key or a person.
    created_by_user_id = models.BigIntegerField(null=True, blank=True)
    created_by_api_key_id = models.BigIntegerField(null=True, blank=True)
    created_by_person_id = models.BigIntegerField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by_label = models.CharField(max_length=150, blank=True)
    decision_note = models.CharField(max_length=200, blank=True)
    transfer = models.OneToOneField(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    #: Not stored: True when returned for a retried key or decided before.
    replayed: bool = False

    class Meta:
        verbose_name = _("reward waiting for approval")
        verbose_name_plural = _("rewards waiting for approval")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"], name="pending_reward_idempotent"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="pending_reward_positive"),
            models.CheckConstraint(
                condition=Q(status="approved", transfer__isnull=False)
                | (~Q(status="approved") & Q(transfer__isnull=True)),
                name="pending_reward_transfer_iff_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.issuer_id}->{self.resident_id} ({self.status})"


class RedemptionRun(CommunityScoped):
    """One month's conversion of the merchants' balances to euro (run once; a re-run adds nothing)."""

    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    run_at = models.DateTimeField(_("run at"))
    run_by_label = models.CharField(max_length=150)

    #: Not stored: whether ``services.redemption_run`` made this run now (False: a re-run).
    created: bool = False

    class Meta:
        verbose_name = _("redemption run")
        verbose_name_plural = _("redemption runs")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "month"], name="redemption_run_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.currency_id} {self.month:%Y-%m}"


# --- exchange offices (wisselkantoren): paper notes at a counter ---------------------------


class ExchangeOffice(CommunityScoped):
    """A counter where residents and shops swap paper notes for digital money and back.

    The money itself moves between the ``paper`` system account and the resident's or shop's
    account (``exchange_in`` / ``exchange_out`` transfers); the office keeps count of the paper
    notes in its till (:class:`TillMovement`). ``account`` is the office's own till account
    (kind ``till``), for its QR code and its place among the accounts.
    """

    name = models.CharField(_("name"), max_length=150)
    organisation = models.ForeignKey(
        "people.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    account = models.OneToOneField(
        Account, on_delete=models.PROTECT, related_name="exchange_office", verbose_name=_("till")
    )
    active = models.BooleanField(_("open"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exchange office")
        verbose_name_plural = _("exchange offices")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="exchange_office_name"),
        ]

    def __str__(self) -> str:
        return self.name


class TillReason(models.TextChoices):
    OPENING_FLOAT = "opening_float", _("opening float")
    DEPOSIT = "deposit", _("paper handed in")
    WITHDRAWAL = "withdrawal", _("paper handed out")
    COUNT_CORRECTION = "count_correction", _("correction after a count")


class TillMovementQuerySet(ScopedQuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise TransferImmutable("till movements cannot be updated")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise TransferImmutable("till movements cannot be deleted")


class TillMovement(CommunityScoped):
    """Paper notes of one denomination coming into (``delta`` > 0) or leaving an office's till.

    Append-only: the notes in the till are the sum of the movements. Written under a lock on
    the office row, in the same transaction as the transfer it belongs to.
    """

    office = models.ForeignKey(ExchangeOffice, on_delete=models.PROTECT, related_name="movements")
    denomination = models.PositiveIntegerField(_("note"))
    delta = models.IntegerField(_("notes"))
    reason = models.CharField(_("reason"), max_length=20, choices=TillReason.choices)
    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="till_movements"
    )
    daily_count = models.ForeignKey(
        "DailyCount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    idempotency_key = models.CharField(max_length=100, blank=True)
    note = models.CharField(_("remark"), max_length=200, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor_label = models.CharField(max_length=150)
    on_behalf_of_id = models.BigIntegerField(null=True, blank=True)

    objects = TillMovementQuerySet.as_manager()

    class Meta:
        verbose_name = _("till movement")
        verbose_name_plural = _("till movements")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="till_movement_not_zero"),
            models.CheckConstraint(
                condition=Q(denomination__gt=0), name="till_movement_denomination_positive"
            ),
            models.UniqueConstraint(
                fields=["office", "transfer", "denomination"],
                condition=Q(transfer__isnull=False),
                name="till_movement_once_per_transfer",
            ),
        ]
        indexes = [models.Index(fields=["office", "denomination"])]

    def __str__(self) -> str:
        return f"{self.delta:+d} x {self.denomination} ({self.reason})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TransferImmutable("till movements cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TransferImmutable("till movements cannot be deleted")


class DailyCount(CommunityScoped):
    """The notes counted in an office's till at the end of a day, against what was expected.

    Keys of the JSON objects are denominations (as strings), values numbers of notes. A
    discrepancy is recorded, never fixed silently: ``services.office_correct_count`` books it
    as a separate, audited movement. A recount the same day is a new row that ``replaces``
    the previous one; only one first count per office and day.
    """

    office = models.ForeignKey(ExchangeOffice, on_delete=models.PROTECT, related_name="counts")
    date = models.DateField(_("date"))
    counted = models.JSONField(_("counted"), default=dict)
    expected = models.JSONField(_("expected"), default=dict)
    discrepancy = models.JSONField(_("difference"), default=dict)
    note = models.CharField(_("remark"), max_length=500, blank=True)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    actor_label = models.CharField(_("counted by"), max_length=150)
    user_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("daily count")
        verbose_name_plural = _("daily counts")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "date"],
                condition=Q(replaces__isnull=True),
                name="daily_count_one_per_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.date}"

    @property
    def has_discrepancy(self) -> bool:
        return any(int(v) for v in self.discrepancy.values())


# --- payment requests: a shop asks, the payer accepts ---------------------------------------


class PaymentRequestStatus(models.TextChoices):
    OPEN = "open", _("waiting for payment")
    PAID = "paid", _("paid")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired")


class PaymentRequest(CommunityScoped):
    """A shop (or anyone with an account) asks for an amount; the payer accepts it once.

    The payer reaches it by its ``token`` (random, unguessable: in the QR code on the shop's
    screen). Paying makes one payment transfer and links it here, under a lock on this row, so
    a request is paid at most once. An open request past ``expires_at`` counts as expired
    (:meth:`status_at`); nothing is written when it expires.
    """

    payee = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="payment_requests", verbose_name=_("to")
    )
    amount = models.BigIntegerField(_("amount"))
    description = models.CharField(_("what for"), max_length=200, blank=True)
    token = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PaymentRequestStatus.choices,
        default=PaymentRequestStatus.OPEN,
    )
    created_at = models.DateTimeField(_("asked at"))
    expires_at = models.DateTimeField(_("valid until"))
    created_by_label = models.CharField(max_length=150)
    created_by_user_id = models.BigIntegerField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    transfer = models.OneToOneField(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="payment_request"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_label = models.CharField(max_length=150, blank=True)

    #: Not stored: True on a request returned for a retried idempotency key.
    replayed: bool = False

    class Meta:
        verbose_name = _("payment request")
        verbose_name_plural = _("payment requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"], name="payment_request_idempotent"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_request_positive"),
            models.CheckConstraint(
                condition=Q(status="paid", transfer__isnull=False)
                | (~Q(status="paid") & Q(transfer__isnull=True)),
                name="payment_request_transfer_iff_paid",
            ),
        ]
        indexes = [models.Index(fields=["payee", "created_at"])]

    def __str__(self) -> str:
        return f"{self.amount} to {self.payee_id} ({self.status})"

    def status_at(self, now: Any) -> str:
        """The status as people see it: an open request past its time is expired."""
        if self.status == PaymentRequestStatus.OPEN and now >= self.expires_at:
            return PaymentRequestStatus.EXPIRED
        return str(self.status)
