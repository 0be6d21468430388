"""The community currency: one closed circle per community, double-entry and append-only."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped, ScopedQuerySet


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


class Account(CommunityScoped):
    """Money lives here, on the server: a lost phone loses nothing.

    ``balance`` is kept in the same transaction as each transfer; a database constraint keeps
    every non-system balance at or above its lower limit.
    """

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


class TransferImmutable(Exception):
    """Transfers are append-only; corrections are reversal transfers."""


class TransferQuerySet(ScopedQuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise TransferImmutable("transfers cannot be updated")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise TransferImmutable("transfers cannot be deleted")


class Transfer(CommunityScoped):
    """Money moving from one account to another. Never updated or deleted."""

    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="transfers")
    debit = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="debits")
    credit = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="credits")
    amount = models.BigIntegerField(_("amount"))
    kind = models.CharField(_("kind"), max_length=20, choices=TransferKind.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    idempotency_key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
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
