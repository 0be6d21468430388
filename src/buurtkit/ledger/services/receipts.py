"""SMS receipts: a text message to the receiver of a payment, for accounts that opted in.

A payment queues its receipt after commit (``_common.receipt_after_commit``); the task
``ledger.tasks.send_payment_receipt`` calls ``payment_receipt_send``, which sends it once per
transfer in the receiver's language.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core.actor import Actor
from buurtkit.core.errors import PermissionDenied, ServiceError, ValidationFailed
from buurtkit.core.scoping import get_scoped
from buurtkit.ledger.models import Account, AccountKind, Transfer, TransferKind
from buurtkit.ledger.rules import PAYABLE_KINDS
from buurtkit.ledger.selectors import format_amount
from buurtkit.messaging.models import Message
from buurtkit.messaging.services import notify
from buurtkit.people.models import Person
from buurtkit.people.selectors import current_consents

logger = logging.getLogger(__name__)


def receipt_contact(account: Account) -> Person | None:
    """Who gets the account's SMS receipts: its resident, or the shop's chosen contact."""
    if account.kind == AccountKind.RESIDENT:
        return account.person
    return account.sms_contact


def _reachable_by_sms(person: Person) -> bool:
    consents = current_consents(person=person)
    mobile = bool(person.phone) and person.phone_kind == "mobile"
    return mobile and bool(consents.get("contact_sms", False))


@transaction.atomic
def account_set_sms_receipts(
    *, actor: Actor, account_id: int, enabled: bool, contact_person_id: int | None = None
) -> Account:
    """Switch SMS receipts on or off for an account (the opt-in).

    Counter staff record the resident's or shop's wish; a resident may switch their own. The
    person who gets them needs a mobile number and their consent to text messages (recorded on
    their person page), so an SMS is never sent to someone who did not agree to it.
    """
    account = get_scoped(Account, actor.community, for_update=True, pk=account_id)
    own = (account.person_id is not None and account.person_id == actor.person_id) or (
        account.organisation_id is not None and account.organisation_id in actor.organisation_ids
    )
    if not (own or actor.has("ledger.manage") or actor.has("ledger.pay_on_behalf")):
        raise PermissionDenied(_("You may not change this account."))
    if account.kind not in PAYABLE_KINDS:
        raise ValidationFailed(_("This account does not receive payments."))
    contact: Person | None = account.person
    if account.kind != AccountKind.RESIDENT:
        contact = (
            get_scoped(Person, actor.community, pk=contact_person_id)
            if contact_person_id
            else account.sms_contact
        )
    if enabled:
        if contact is None:
            msg = _("Choose who receives the text messages.")
            raise ValidationFailed(msg, fields={"contact_person_id": msg})
        if not _reachable_by_sms(contact):
            msg = _(
                "%(name)s has no mobile number or did not agree to text messages. "
                "Record that on their person page first."
            ) % {"name": contact.full_name}
            raise ValidationFailed(msg, fields={"contact_person_id": msg}, code="unreachable")
    account.sms_receipts = bool(enabled)
    if account.kind != AccountKind.RESIDENT:
        account.sms_contact = contact
    account.save(update_fields=["sms_receipts", "sms_contact"])
    audit_record(
        actor=actor,
        verb="ledger.sms_receipts_on" if enabled else "ledger.sms_receipts_off",
        obj=account,
        data={"contact": contact.pk if contact else None},
    )
    return account


def payment_receipt_send(*, transfer_id: int) -> Message | None:
    """Send the SMS receipt of one payment, in the receiver's language; once per transfer.

    Returns the queued message, or None when no receipt is due (not a payment, not opted in,
    no number or no consent any more). Never raises for an unreachable receiver.
    """
    transfer = (
        Transfer.objects.select_related("credit", "debit", "currency", "community")
        .filter(pk=transfer_id)
        .first()
    )
    if transfer is None or transfer.kind != TransferKind.PAYMENT:
        return None
    account = transfer.credit
    person = receipt_contact(account)
    if not account.sms_receipts or person is None or not person.phone:
        return None
    currency = transfer.currency
    language = person.preferred_language or "nl"
    one = 10**currency.decimals

    def units(minor: int) -> str:
        return f"{format_amount(currency, minor)} {currency.name(language, plural=minor != one)}"

    with translation.override(language):
        text = _("You received %(amount)s from %(payer)s. New balance: %(balance)s.") % {
            "amount": units(transfer.amount),
            "payer": transfer.debit.name,
            "balance": units(transfer.credit_balance_after),
        }
    try:
        return notify(
            actor=Actor.system(transfer.community, label="SMS receipts"),
            person_id=person.pk,
            template="ledger_receipt",
            context={"text": text},
            channel="sms",
            idempotency_key=f"ledger-receipt-{transfer.pk}",
        )
    except ServiceError as exc:  # unreachable now, or already sent in another wording
        logger.info("no SMS receipt for transfer %s: %s", transfer.pk, exc)
        return None
