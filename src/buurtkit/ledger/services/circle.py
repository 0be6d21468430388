"""Setting a circle up: the community's currency, its accounts (and an account's QR code),
freezing an account, and copying a circle's setup to a new neighbourhood.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, ValidationFailed
from buurtkit.core.scoping import get_scoped
from buurtkit.ledger import qr, selectors
from buurtkit.ledger.models import (
    Account,
    AccountKind,
    Currency,
    ExchangeOffice,
    IssuingBudget,
    RewardPolicy,
    SystemRole,
)
from buurtkit.ledger.services._common import community_currency, new_account
from buurtkit.ledger.services.exchange import exchange_office_create
from buurtkit.ledger.services.issuing import budget_create, reward_policy_set
from buurtkit.people.models import Organisation, Person
from buurtkit.qrcodes import services as qr_services
from buurtkit.qrcodes.models import Code, CodeStatus


@transaction.atomic
def currency_create(
    *,
    actor: Actor,
    code: str,
    names: dict[str, dict[str, str]],
    decimals: int = 0,
    denominations: list[int] | None = None,
    euro_cents_per_unit: int = 10,
    default_lower_limit: int = 0,
) -> Currency:
    """Open the community's currency circle with its system accounts."""
    actor.require("ledger.manage")
    if Currency.objects.in_community(actor.community).exists():
        raise Conflict(_("This community already has a currency."))
    if not 0 <= decimals <= 4:
        msg = _("Use 0 to 4 decimals.")
        raise ValidationFailed(msg, fields={"decimals": msg})
    if default_lower_limit > 0:
        msg = _("The lower limit cannot be above zero.")
        raise ValidationFailed(msg, fields={"default_lower_limit": msg})
    denoms = sorted({int(d) for d in (denominations or [])})
    if any(d <= 0 for d in denoms):
        msg = _("Denominations must be more than zero.")
        raise ValidationFailed(msg, fields={"denominations": msg})
    currency = Currency.objects.create(
        community=actor.community,
        code=code.strip().upper()[:8],
        names=names,
        decimals=decimals,
        denominations=denoms,
        euro_cents_per_unit=euro_cents_per_unit,
        default_lower_limit=default_lower_limit,
    )
    labels = {
        SystemRole.ISSUANCE: "Issuance",
        SystemRole.REDEMPTION: "Redemption",
        SystemRole.PAPER: "Paper in circulation",
    }
    for role, label in labels.items():
        new_account(currency, kind=AccountKind.SYSTEM, name=label, system_role=role)
    audit_record(actor=actor, verb="ledger.currency_created", obj=currency)
    return currency


@transaction.atomic
def account_open(
    *,
    actor: Actor,
    kind: str,
    name: str = "",
    person_id: int | None = None,
    organisation_id: int | None = None,
) -> Account:
    """Open an account for a resident, a merchant, an issuing organisation or a till."""
    actor.require("ledger.manage")
    currency = community_currency(actor)
    if kind not in {
        AccountKind.RESIDENT,
        AccountKind.MERCHANT,
        AccountKind.ORGANISATION,
        AccountKind.TILL,
    }:
        msg = _("Unknown kind of account.")
        raise ValidationFailed(msg, fields={"kind": msg})
    person = get_scoped(Person, actor.community, pk=person_id) if person_id else None
    org = get_scoped(Organisation, actor.community, pk=organisation_id) if organisation_id else None
    if kind == AccountKind.RESIDENT and person is None:
        msg = _("Choose the resident.")
        raise ValidationFailed(msg, fields={"person_id": msg})
    if kind != AccountKind.RESIDENT and org is None:
        msg = _("Choose the organisation.")
        raise ValidationFailed(msg, fields={"organisation_id": msg})
    account = new_account(
        currency,
        kind=kind,
        name=(name or (person.full_name if person else org.name if org else ""))[:150],
        person=person,
        organisation=org,
    )
    audit_record(actor=actor, verb="ledger.account_opened", obj=account, data={"kind": kind})
    return account


ACCOUNT_OPENERS = ("ledger.open_account", "ledger.manage")


@transaction.atomic
def resident_account_open(*, actor: Actor, person_id: int) -> Account:
    """Open the resident account of a person who has none yet, or return the one they have.

    For the counter, the person page and the reward form (``ledger.open_account``): a resident
    added by staff can be paid and can pay from the moment staff open their account. Asking
    twice (a double click, two clerks) opens one account.
    """
    if not any(actor.has(p) for p in ACCOUNT_OPENERS):
        actor.require("ledger.open_account")
    currency = community_currency(actor)
    person = get_scoped(Person, actor.community, for_update=True, pk=person_id)
    if person.anonymised_at is not None:
        raise Conflict(_("This person's data was removed; no account can be opened."))
    existing = (
        Account.objects.in_community(actor.community)
        .filter(person_id=person.pk, kind=AccountKind.RESIDENT)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing
    account = new_account(
        currency, kind=AccountKind.RESIDENT, name=person.full_name[:150], person=person
    )
    audit_record(
        actor=actor, verb="ledger.account_opened", obj=account, data={"kind": account.kind}
    )
    return account


@transaction.atomic
def account_set_frozen(*, actor: Actor, account_id: int, frozen: bool) -> Account:
    """Freeze an account (no money in or out) or unfreeze it; system accounts stay open."""
    actor.require("ledger.manage")
    account = get_scoped(Account, actor.community, for_update=True, pk=account_id)
    if account.kind == AccountKind.SYSTEM:
        raise ValidationFailed(_("System accounts cannot be frozen."))
    account.frozen = frozen
    account.save(update_fields=["frozen"])
    audit_record(
        actor=actor,
        verb="ledger.account_frozen" if frozen else "ledger.account_unfrozen",
        obj=account,
    )
    return account


@transaction.atomic
def account_qr_code(*, actor: Actor, account_id: int) -> Code:
    """The QR code of an account people can pay: its one linked code, made the first time.

    Anyone who may see the account gets it (a resident their own, to let others pay them; staff
    any). Scanning it opens the pay page with this account filled in (``ledger.qr``). The account
    row is locked first, so two first calls at once still make one code (a database constraint
    cannot say "one code per link" on the codes table). A retired code does not count: the
    account gets a new one.
    """
    account = selectors.account_get(actor=actor, account_id=account_id)
    if account.kind not in qr.PAYABLE_KINDS:
        raise ValidationFailed(_("Nobody can pay to this account, so it has no QR code."))
    linked = (
        Code.objects.in_community(actor.community)
        .filter(link_type=qr.LINK_TYPE, link_id=account.number)
        .exclude(status=CodeStatus.RETIRED)
        .order_by("created_at", "id")
    )
    existing = linked.first()  # the usual case: no lock needed to read it
    if existing is not None:
        return existing
    get_scoped(Account, actor.community, for_update=True, pk=account.pk)
    existing = linked.first()  # made by someone who held the lock before us?
    if existing is not None:
        return existing
    # Residents and shops may not make QR codes themselves; this one code is made for them.
    maker = actor if actor.has("qrcodes.manage") else Actor.system(actor.community, actor.label)
    code = qr_services.code_create(
        actor=maker,
        title=account.name,
        link_type=qr.LINK_TYPE,
        link_id=account.number,
        routes=qr.pay_routes(account.number, account.kind),
    )
    audit_record(actor=actor, verb="ledger.account_qr_code", obj=account, data={"code": code.code})
    return code


@dataclass
class CircleCopy:
    """What ``currency_copy`` made in the new neighbourhood, and what it left out (by name)."""

    currency: Currency
    offices: list[str] = field(default_factory=list)
    offices_skipped: list[str] = field(default_factory=list)
    budgets: list[str] = field(default_factory=list)
    budgets_skipped: list[str] = field(default_factory=list)


@transaction.atomic
def currency_copy(*, actor: Actor, target: Actor) -> CircleCopy:
    """Copy the setup of ``actor``'s circle into ``target``'s community, which has none yet.

    Copied: the currency (code, names, decimals, paper denominations, euro value, default lower
    limit, with its own system accounts), the reward approval threshold, and - for the
    organisations the new neighbourhood has too (same short name) - the exchange offices and
    the issuing budgets that are not over yet (the issuer gets an empty account there).
    Never copied: accounts with money, transfers, people, PINs. Both sides need
    ``ledger.manage``: a coordinator of the old circle who also coordinates the new one.
    Returns what was copied and what was left out, by name.
    """
    actor.require("ledger.manage")
    target.require("ledger.manage")
    if target.community.pk == actor.community.pk:
        raise ValidationFailed(_("Choose another neighbourhood to copy the currency to."))
    source = community_currency(actor)
    if Currency.objects.in_community(target.community).exists():
        raise Conflict(
            _("%(community)s already has a currency.") % {"community": target.community.name},
            code="currency_exists",
        )
    currency = currency_create(
        actor=target,
        code=source.code,
        names=source.names,
        decimals=source.decimals,
        denominations=list(source.denominations),
        euro_cents_per_unit=source.euro_cents_per_unit,
        default_lower_limit=source.default_lower_limit,
    )
    policy = RewardPolicy.objects.filter(currency=source).first()
    if policy is not None:
        reward_policy_set(actor=target, approval_threshold=int(policy.approval_threshold))
    orgs = {o.slug: o for o in Organisation.objects.in_community(target.community)}
    report = CircleCopy(currency=currency)
    offices = (
        ExchangeOffice.objects.in_community(actor.community)
        .filter(active=True)
        .select_related("organisation")
        .order_by("name", "pk")
    )
    for office in offices:
        org = orgs.get(office.organisation.slug)
        if org is None:
            report.offices_skipped.append(office.name)
            continue
        exchange_office_create(actor=target, name=office.name, organisation_id=org.pk)
        report.offices.append(office.name)
    issuers: dict[int, Account] = {}
    budgets = (
        IssuingBudget.objects.in_community(actor.community)
        .filter(ends_on__gte=selectors.local_today())
        .select_related("account__organisation")
        .order_by("starts_on", "pk")
    )
    for budget in budgets:
        label = f"{budget.account.name} {budget.starts_on:%Y-%m-%d}..{budget.ends_on:%Y-%m-%d}"
        source_org = budget.account.organisation
        org = orgs.get(source_org.slug) if source_org is not None else None
        if org is None:
            report.budgets_skipped.append(label)
            continue
        if org.pk not in issuers:
            issuers[org.pk] = Account.objects.in_community(target.community).filter(
                currency=currency, kind=AccountKind.ORGANISATION, organisation=org
            ).first() or account_open(
                actor=target, kind=AccountKind.ORGANISATION, organisation_id=org.pk
            )
        budget_create(
            actor=target,
            account_id=issuers[org.pk].pk,
            starts_on=budget.starts_on,
            ends_on=budget.ends_on,
            amount=int(budget.amount),
        )
        report.budgets.append(label)
    data = {
        "from": actor.community.slug,
        "to": target.community.slug,
        "offices": report.offices,
        "budgets": report.budgets,
    }
    audit_record(actor=actor, verb="ledger.circle_copied", obj=source, data=data)
    audit_record(actor=target, verb="ledger.circle_copied", obj=currency, data=data)
    return report
