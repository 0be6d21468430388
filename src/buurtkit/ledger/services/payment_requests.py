"""Payment requests: a shop (or a resident) asks for an amount, the payer accepts it once.

The request is shown as a QR code; paying it goes through the usual payment checks
(``transfer_create``, the payer's PIN or a clerk acting for them) and closes it.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.core.idempotency import clean_key, fingerprint, run_once, same_fingerprint
from buurtkit.core.scoping import get_scoped
from buurtkit.ledger.models import Account, AccountKind, PaymentRequest, PaymentRequestStatus
from buurtkit.ledger.rules import PAYABLE_KINDS, check_amount, may_ask_for, parse_amount
from buurtkit.ledger.services._common import TRANSFER_CONFLICT, community_currency
from buurtkit.ledger.services.pin import paying_person, pin_verify
from buurtkit.ledger.services.transfers import transfer_create

REQUEST_KEY_MESSAGE = gettext_lazy("Every request needs an idempotency key of 1 to 100 characters.")

REQUEST_HOURS_DEFAULT = 24
REQUEST_HOURS_MAX = 24 * 31


def may_manage_payment_request(actor: Actor, payment_request: PaymentRequest) -> bool:
    """The asking side (it sees the request's QR screen and may cancel it)."""
    return may_ask_for(actor, payment_request.payee)


def payment_request_create(
    *,
    actor: Actor,
    payee_account_id: int,
    amount: int | str,
    idempotency_key: str,
    description: str = "",
    expires_in_hours: int = REQUEST_HOURS_DEFAULT,
) -> PaymentRequest:
    """Ask for ``amount`` (minor units, or as typed in major units: ``"2.50"``) to an account.

    The shop's people (a membership of the shop's organisation), the resident for their own
    account, or a manager. The same key with the same request returns the first request
    (``replayed``); the same key with another request is refused.
    """
    key = clean_key(idempotency_key, message=REQUEST_KEY_MESSAGE)
    if isinstance(amount, str):
        amount = parse_amount(community_currency(actor), amount)
    amount = check_amount(amount)
    if isinstance(expires_in_hours, bool) or not 1 <= int(expires_in_hours) <= REQUEST_HOURS_MAX:
        msg = _("A request is valid for 1 hour to 31 days.")
        raise ValidationFailed(msg, fields={"expires_in_hours": msg})
    description = (description or "").strip()[:200]
    request = fingerprint(
        {
            "payee": payee_account_id,
            "amount": amount,
            "description": description,
            "hours": expires_in_hours,
        }
    )
    return run_once(
        queryset=PaymentRequest.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(request),
        create=lambda: _payment_request_new(
            actor=actor,
            payee_account_id=payee_account_id,
            amount=amount,
            description=description,
            hours=int(expires_in_hours),
            key=key,
            fingerprint=request,
        ),
        conflict=_("This idempotency key was already used for a different request."),
    )


def _payment_request_new(
    *,
    actor: Actor,
    payee_account_id: int,
    amount: int,
    description: str,
    hours: int,
    key: str,
    fingerprint: str,
) -> PaymentRequest:
    """A new request (in ``run_once``'s savepoint)."""
    payee = get_scoped(Account, actor.community, pk=payee_account_id)
    if not may_ask_for(actor, payee):
        raise PermissionDenied(_("You may not ask money for this account."))
    if payee.kind not in PAYABLE_KINDS:
        msg = _("Nobody can pay to this account.")
        raise ValidationFailed(msg, fields={"payee_account_id": msg})
    if payee.frozen:
        raise Conflict(
            _("Account %(number)s is frozen.") % {"number": payee.number}, code="account_frozen"
        )
    now = clock.now()
    request = PaymentRequest.objects.create(
        community=actor.community,
        payee=payee,
        amount=amount,
        description=description,
        token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
        created_by_label=actor.label[:150],
        created_by_user_id=actor.user_id,
        idempotency_key=key,
        request_hash=fingerprint,
    )
    audit_record(
        actor=actor,
        verb="ledger.payment_request_created",
        obj=request,
        data={"amount": amount, "payee": payee.pk},
    )
    return request


def _payment_request_by_token(
    actor: Actor, token: str, *, for_update: bool = False
) -> PaymentRequest:
    return get_scoped(PaymentRequest, actor.community, for_update=for_update, token=str(token))


def _refuse_unless_open(request: PaymentRequest) -> None:
    status = request.status_at(clock.now())
    if status == PaymentRequestStatus.PAID:
        raise Conflict(_("This request has already been paid."), code="already_paid")
    if status == PaymentRequestStatus.CANCELLED:
        raise Conflict(_("This request was cancelled. Ask for a new one."), code="cancelled")
    if status == PaymentRequestStatus.EXPIRED:
        raise Conflict(_("This request has expired. Ask for a new one."), code="expired")


@transaction.atomic
def payment_request_cancel(*, actor: Actor, token: str) -> PaymentRequest:
    """The asking side withdraws an open request; cancelling twice is harmless."""
    request = _payment_request_by_token(actor, token, for_update=True)
    if not may_ask_for(actor, request.payee):
        raise PermissionDenied(_("You may not cancel this request."))
    if request.status == PaymentRequestStatus.CANCELLED:
        return request
    _refuse_unless_open(request)
    request.status = PaymentRequestStatus.CANCELLED
    request.closed_at = clock.now()
    request.closed_by_label = actor.label[:150]
    request.save(update_fields=["status", "closed_at", "closed_by_label"])
    audit_record(actor=actor, verb="ledger.payment_request_cancelled", obj=request)
    return request


def payment_request_pay(
    *,
    actor: Actor,
    token: str,
    idempotency_key: str,
    pin: str | None = None,
    debit_account_id: int | None = None,
) -> PaymentRequest:
    """Pay a request exactly once, through the usual payment checks.

    A resident pays from their own account with their payment PIN (a wrong PIN is counted as
    for any payment); a counter clerk acting on behalf of a resident pays without it; a
    manager (or API key with ``ledger.manage``) names the paying account. The request row is
    locked while the transfer is made, so two payers at once cannot both pay it: the second
    gets a conflict and nothing is written. A retry with the same key returns the first result.
    Call it outside a transaction (the PIN's wrong tries must be kept).
    """
    key = clean_key(idempotency_key, message=REQUEST_KEY_MESSAGE)
    request = _payment_request_by_token(actor, token)
    if debit_account_id is None:
        payer_id = actor.on_behalf_of_id or actor.person_id
        account = (
            Account.objects.in_community(actor.community)
            .filter(person_id=payer_id, kind=AccountKind.RESIDENT)
            .first()
            if payer_id
            else None
        )
        if account is None:
            msg = _("Choose the account that pays.")
            raise ValidationFailed(msg, fields={"debit_account_id": msg})
        debit_account_id = account.pk
    debit = get_scoped(Account, actor.community, pk=debit_account_id)
    if _is_replay(request, key, debit.pk):
        request.replayed = True
        return request
    _refuse_unless_open(request)  # before the PIN: no wrong try counted for a closed request
    own = debit.person_id is not None and debit.person_id == actor.person_id
    if own and not actor.on_behalf_of_id:
        if not pin:
            msg = _("Confirm the payment with your payment PIN.")
            raise ValidationFailed(msg, fields={"pin": msg})
        pin_verify(actor, paying_person(actor, debit.pk).person_id or 0, pin)
    elif actor.on_behalf_of_id is not None:
        actor.require("ledger.pay_on_behalf")
        paying_person(actor, debit.pk)
        if actor.channel == "web":
            actor = actor.acting_for(actor.on_behalf_of_id, channel="counter")
    with transaction.atomic():
        request = _payment_request_by_token(actor, token, for_update=True)
        if _is_replay(request, key, debit.pk):
            request.replayed = True
            return request
        _refuse_unless_open(request)
        transfer = transfer_create(
            actor=actor,
            debit_account_id=debit.pk,
            credit_account_id=request.payee_id,
            amount=request.amount,
            idempotency_key=key,
            description=request.description,
        )
        if transfer.replayed:
            # The key made a transfer of its own (not this request's payment).
            raise Conflict(str(TRANSFER_CONFLICT), code="idempotency_conflict")
        request.status = PaymentRequestStatus.PAID
        request.transfer = transfer
        request.closed_at = transfer.at
        request.closed_by_label = actor.label[:150]
        request.save(update_fields=["status", "transfer", "closed_at", "closed_by_label"])
        audit_record(
            actor=actor,
            verb="ledger.payment_request_paid",
            obj=request,
            data={"transfer": transfer.pk, "debit": debit.pk},
        )
    return request


def _is_replay(request: PaymentRequest, key: str, debit_id: int) -> bool:
    """The same payment sent again (a double click, a retry): not a second payment."""
    return (
        request.transfer_id is not None
        and request.transfer is not None
        and request.transfer.idempotency_key == key
        and request.transfer.debit_id == debit_id
    )
