"""Setting up a circle without a shell: the currency, exchange offices, issuing budgets per
organisation and the shops that accept the currency, for the coordinator's pages, the CLI
commands and the API (issue 16). And who may issue from which organisation's account.

Each write is one transaction and safe to repeat:

- ``currency_set`` makes the community's one currency, or changes what may change later
  (names, euro value, paper notes, approval threshold); the code and the decimals are fixed
  once it exists, because every stored amount depends on them. Setting the same again
  changes nothing.
- ``exchange_office_open`` and ``organisation_budget_create`` take an optional idempotency
  key (the API's ``Idempotency-Key``, a page's hidden field): the same key with the same
  request returns the first office or budget (``replayed``); with another request it is
  refused. The key and the request's fingerprint are kept in the audit event of the first
  request, and every setup write locks the currency row first, so two requests with one key
  run one after the other and the second finds the first.
- ``shop_accept`` opens a shop's merchant account, or returns the one it has.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buurtkit.audit.models import AuditEvent
from buurtkit.audit.services import audit_record
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, ValidationFailed
from buurtkit.core.idempotency import clean_key, fingerprint
from buurtkit.core.scoping import get_scoped
from buurtkit.ledger.models import (
    Account,
    AccountKind,
    Currency,
    ExchangeOffice,
    IssuingBudget,
    RewardPolicy,
    SystemRole,
    TransferKind,
)
from buurtkit.ledger.rules import check_amount, parse_amount
from buurtkit.ledger.services._common import new_account, no_currency
from buurtkit.ledger.services.circle import currency_create
from buurtkit.ledger.services.exchange import exchange_office_create
from buurtkit.ledger.services.issuing import budget_create, reward_policy_set
from buurtkit.ledger.services.transfers import transfer_create
from buurtkit.people.models import Organisation

SETUP_CONFLICT = gettext_lazy("This idempotency key was already used for another request.")
LANGUAGES = ("nl", "en", "fr")
MAX_EURO_CENTS_PER_UNIT = 100_000  # 1,000 euro for one unit: anything above is a typing error
CODE = re.compile(r"^[A-Za-z0-9]{1,8}$")


# --- idempotency through the first request's audit event --------------------------------------


def setup_key(raw: str | None) -> str:
    """An optional idempotency key for a setup write ("" when none was given)."""
    return clean_key(raw, required=False)


def earlier_request(actor: Actor, *, verb: str, key: str, request: str) -> str | None:
    """The object id the first request with ``key`` made, if any; another request: refused."""
    if not key:
        return None
    event = (
        AuditEvent.objects.in_community(actor.community)
        .filter(verb=verb, data__idempotency_key=key)
        .order_by("pk")
        .first()
    )
    if event is None:
        return None
    if event.data.get("request") != request:
        raise Conflict(str(SETUP_CONFLICT), code="idempotency_conflict")
    return event.object_id


def _locked_currency(actor: Actor) -> Currency:
    currency = Currency.objects.in_community(actor.community).select_for_update().first()
    if currency is None:
        raise no_currency()
    return currency


# --- the currency ------------------------------------------------------------------------------


def _clean_names(names: Any) -> dict[str, dict[str, str]]:
    if not isinstance(names, dict):
        names = {}
    clean: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        given = names.get(language) or {}
        if not isinstance(given, dict):
            continue
        one = str(given.get("singular") or "").strip()[:40]
        more = str(given.get("plural") or "").strip()[:40]
        if one or more:
            clean[language] = {"singular": one or more, "plural": more or one}
    if "nl" not in clean:
        msg = _("Give the currency's name in Dutch, for example: toreke, torekes.")
        raise ValidationFailed(msg, fields={"names": msg})
    return clean


def _clean_code(code: Any) -> str:
    text = str(code or "").strip()
    if not CODE.match(text):
        msg = _("Use 1 to 8 letters or digits, for example TOR.")
        raise ValidationFailed(msg, fields={"code": msg})
    return text.upper()


def _clean_whole(value: Any, *, field: str, low: int, high: int, message: str) -> int:
    text = str(value).strip() if value is not None else ""
    if isinstance(value, bool) or not (text.isascii() and text.lstrip("-").isdigit()):
        raise ValidationFailed(message, fields={field: message})
    number = int(text)
    if not low <= number <= high:
        raise ValidationFailed(message, fields={field: message})
    return number


def _clean_denominations(value: Any) -> list[int]:
    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,;]+", value) if part]
    msg = _("Type the paper notes as whole numbers, for example: 1, 5, 10.")
    if not isinstance(value, list | tuple):
        raise ValidationFailed(msg, fields={"denominations": msg})
    notes = {
        _clean_whole(v, field="denominations", low=1, high=1_000_000, message=msg) for v in value
    }
    if len(notes) > 20:
        raise ValidationFailed(msg, fields={"denominations": msg})
    return sorted(notes)


@transaction.atomic
def currency_set(
    *,
    actor: Actor,
    code: str,
    names: dict[str, dict[str, str]],
    decimals: int | str = 0,
    denominations: list[int] | str | None = None,
    euro_cents_per_unit: int | str = 10,
    approval_threshold: str | None = None,
) -> Currency:
    """Make the community's currency, or change its names, euro value, notes and threshold.

    ``euro_cents_per_unit``: what one unit is worth in euro cents when a shop converts it
    (10: ten torekes are one euro). ``approval_threshold`` (major units as typed, optional):
    rewards above it wait for a second person. Returns the currency with ``created`` set
    (new, or changed) and ``changed`` (whether anything was written).
    """
    actor.require("ledger.manage")
    code = _clean_code(code)
    clean_names = _clean_names(names)
    places = _clean_whole(
        decimals, field="decimals", low=0, high=4, message=_("Use 0 to 4 decimals.")
    )
    cents = _clean_whole(
        euro_cents_per_unit,
        field="euro_cents_per_unit",
        low=0,
        high=MAX_EURO_CENTS_PER_UNIT,
        message=_("Type the value of one unit in euro cents, for example 10."),
    )
    notes = _clean_denominations(denominations or [])
    threshold_text = str(approval_threshold or "").strip()
    currency = Currency.objects.in_community(actor.community).select_for_update().first()
    created = currency is None
    if currency is None:
        try:
            with transaction.atomic():
                currency = currency_create(
                    actor=actor,
                    code=code,
                    names=clean_names,
                    decimals=places,
                    denominations=notes,
                    euro_cents_per_unit=cents,
                )
        except IntegrityError:  # made at the same moment by another request: change that one
            created = False
            currency = Currency.objects.in_community(actor.community).select_for_update().get()
    changed = created
    if not created:
        if currency.code != code or currency.decimals != places:
            msg = _(
                "The code and the decimals cannot change once the currency exists: "
                "it is %(code)s with %(decimals)d decimals."
            ) % {"code": currency.code, "decimals": currency.decimals}
            raise Conflict(msg, fields={"code": msg}, code="currency_fixed")
        new = {"names": clean_names, "denominations": notes, "euro_cents_per_unit": cents}
        old = {
            "names": currency.names,
            "denominations": list(currency.denominations),
            "euro_cents_per_unit": currency.euro_cents_per_unit,
        }
        if new != old:
            for name, value in new.items():
                setattr(currency, name, value)
            currency.save(update_fields=list(new))
            audit_record(
                actor=actor,
                verb="ledger.currency_changed",
                obj=currency,
                data={k: v for k, v in new.items() if v != old[k] and k != "names"}
                | ({"names": True} if new["names"] != old["names"] else {}),
            )
            changed = True
    if threshold_text:
        threshold = parse_amount(currency, threshold_text, field="approval_threshold")
        policy = RewardPolicy.objects.filter(currency=currency).first()
        if policy is None or policy.approval_threshold != threshold:
            reward_policy_set(actor=actor, approval_threshold=threshold)
            changed = True
    setattr(currency, "created", created)  # noqa: B010  (not stored: what this call did)
    setattr(currency, "changed", changed)  # noqa: B010
    return currency


# --- exchange offices, budgets, shops ----------------------------------------------------------


@transaction.atomic
def exchange_office_open(
    *, actor: Actor, name: str, organisation_id: int, idempotency_key: str | None = None
) -> ExchangeOffice:
    """Open an exchange office at an organisation (its address is the office's address)."""
    actor.require("ledger.manage")
    key = setup_key(idempotency_key)
    _locked_currency(actor)
    name = (name or "").strip()[:150]
    request = fingerprint({"name": name, "organisation_id": organisation_id})
    earlier = earlier_request(actor, verb="ledger.office_created", key=key, request=request)
    if earlier is not None:
        office = get_scoped(ExchangeOffice, actor.community, pk=int(earlier))
        office.replayed = True  # type: ignore[attr-defined]
        return office
    return exchange_office_create(
        actor=actor,
        name=name,
        organisation_id=organisation_id,
        idempotency_key=key,
        request=request,
    )


def _issuer_account(actor: Actor, currency: Currency, org: Organisation) -> Account:
    account = (
        Account.objects.in_community(actor.community)
        .filter(currency=currency, kind=AccountKind.ORGANISATION, organisation=org)
        .order_by("pk")
        .first()
    )
    if account is not None:
        return account
    account = new_account(
        currency, kind=AccountKind.ORGANISATION, name=org.name[:150], organisation=org
    )
    audit_record(
        actor=actor, verb="ledger.account_opened", obj=account, data={"kind": account.kind}
    )
    return account


@transaction.atomic
def organisation_budget_create(
    *,
    actor: Actor,
    organisation_id: int,
    starts_on: Any,
    ends_on: Any,
    amount: str | int,
    idempotency_key: str | None = None,
) -> IssuingBudget:
    """Give an organisation an issuing budget for a period; its issuer account is opened the
    first time (an organisation without one cannot reward yet), and the budget's amount is
    issued to it at once (an ``issue`` transfer keyed ``budget-<id>``)."""
    actor.require("ledger.manage")
    key = setup_key(idempotency_key)
    currency = _locked_currency(actor)
    if not isinstance(organisation_id, int) or isinstance(organisation_id, bool):
        msg = _("Choose the organisation.")
        raise ValidationFailed(msg, fields={"organisation_id": msg})
    org = get_scoped(Organisation, actor.community, pk=organisation_id)
    minor = parse_amount(currency, amount) if isinstance(amount, str) else check_amount(amount)
    request = fingerprint(
        {"organisation_id": org.pk, "starts_on": starts_on, "ends_on": ends_on, "amount": minor}
    )
    earlier = earlier_request(actor, verb="ledger.budget_created", key=key, request=request)
    if earlier is not None:
        budget = get_scoped(IssuingBudget, actor.community, pk=int(earlier))
        budget.replayed = True  # type: ignore[attr-defined]
        return budget
    issuer = _issuer_account(actor, currency, org)
    budget = budget_create(
        actor=actor,
        account_id=issuer.pk,
        starts_on=starts_on,
        ends_on=ends_on,
        amount=minor,
        idempotency_key=key,
        request=request,
    )
    # The budget's money is made at once on the organisation's account (as the demo does each
    # month), so it can reward from its first day; the budget still caps what it gives.
    issuance = Account.objects.get(currency=currency, system_role=SystemRole.ISSUANCE)
    transfer_create(
        actor=actor,
        debit_account_id=issuance.pk,
        credit_account_id=issuer.pk,
        amount=minor,
        kind=TransferKind.ISSUE,
        idempotency_key=f"budget-{budget.pk}",
        description=_("Budget %(start)s – %(end)s")
        % {"start": budget.starts_on.isoformat(), "end": budget.ends_on.isoformat()},
    )
    return budget


@transaction.atomic
def shop_accept(*, actor: Actor, organisation_id: int) -> Account:
    """A shop starts accepting the currency: its merchant account, opened once.

    Asking again returns the account it has (``replayed``), so a retry or a double click
    opens nothing twice. The shop then shows on the public list of places that accept it.
    """
    actor.require("ledger.manage")
    currency = _locked_currency(actor)
    org = get_scoped(Organisation, actor.community, pk=organisation_id)
    existing = (
        Account.objects.in_community(actor.community)
        .filter(currency=currency, kind=AccountKind.MERCHANT, organisation=org)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        existing.replayed = True  # type: ignore[attr-defined]
        return existing
    account = new_account(
        currency, kind=AccountKind.MERCHANT, name=org.name[:150], organisation=org
    )
    audit_record(
        actor=actor, verb="ledger.account_opened", obj=account, data={"kind": account.kind}
    )
    return account
