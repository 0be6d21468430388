"""What the ledger holds about a person, for the GDPR export and anonymisation.

Export: the person's accounts, their transfers, the PIN's state (never its hash), their
exchange-office visits and the payment requests they paid or that were made to them.
Anonymise: an account keeps its number, balance and history but not the name; the
descriptions of the person's transfers and payment requests go (free text about them); labels
that are the person's login name become the anonymised label; the PIN is removed. Amounts,
times and kinds stay, so balances and statistics do not change.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from buurtkit.core.anonymising import force_update, scrub_rows
from buurtkit.ledger.models import (
    Account,
    PaymentPin,
    PaymentRequest,
    PendingReward,
    TillMovement,
    Transfer,
)
from buurtkit.people.hooks import PersonTraces, declare_no_personal_data, register_person_data
from buurtkit.people.models import Person


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def export(person: Person) -> dict[str, Any]:
    accounts = list(
        Account.objects.in_community(person.community_id)
        .filter(person=person)
        .select_related("currency")
        .order_by("id")
    )
    ids = [a.pk for a in accounts]
    transfers = list(
        Transfer.objects.in_community(person.community_id)
        .filter(Q(debit_id__in=ids) | Q(credit_id__in=ids))
        .select_related("debit", "credit")
        .order_by("at", "id")
    )
    pin = PaymentPin.objects.in_community(person.community_id).filter(person=person).first()
    visits = (
        TillMovement.objects.in_community(person.community_id)
        .filter(transfer__in=transfers)
        .select_related("office")
        .order_by("at", "id")
    )
    requests = (
        PaymentRequest.objects.in_community(person.community_id)
        .filter(Q(payee_id__in=ids) | Q(transfer__in=transfers))
        .order_by("created_at", "id")
    )
    return {
        "accounts": [
            {
                "number": a.number,
                "kind": a.kind,
                "name": a.name,
                "currency": a.currency.code,
                "balance": a.balance,
                "frozen": a.frozen,
                "sms_receipts": a.sms_receipts,
                "created_at": _iso(a.created_at),
            }
            for a in accounts
        ],
        "transfers": [
            {
                "at": _iso(t.at),
                "kind": t.kind,
                "amount": t.amount,
                "from": t.debit.number,
                "to": t.credit.number,
                "description": t.description,
                "channel": t.channel,
            }
            for t in transfers
        ],
        "pin": (
            {
                "set_at": _iso(pin.set_at),
                "wrong_tries": pin.failed_attempts,
                "locked_at": _iso(pin.locked_at),
            }
            if pin
            else None
        ),
        "exchange_office_visits": [
            {
                "at": _iso(m.at),
                "office": m.office.name,
                "reason": m.reason,
                "denomination": m.denomination,
                "notes": m.delta,
            }
            for m in visits
        ],
        "payment_requests": [
            {
                "created_at": _iso(r.created_at),
                "amount": r.amount,
                "description": r.description,
                "status": r.status,
                "closed_at": _iso(r.closed_at),
            }
            for r in requests
        ],
    }


def anonymise(traces: PersonTraces) -> None:
    community_id = traces.community_id
    accounts = Account.objects.in_community(community_id).filter(person_id=traces.person_id)
    ids = list(accounts.values_list("pk", flat=True))
    accounts.update(name=_("Anonymous") + f" #{traces.person_id}", sms_receipts=False)
    # The person got other accounts' receipts (a shop's): not any more.
    Account.objects.in_community(community_id).filter(sms_contact_id=traces.person_id).update(
        sms_contact=None, sms_receipts=False
    )
    PaymentPin.objects.in_community(community_id).filter(person_id=traces.person_id).delete()

    theirs = Transfer.objects.in_community(community_id).filter(
        Q(debit_id__in=ids) | Q(credit_id__in=ids)
    )
    force_update(theirs, description="")
    requests = PaymentRequest.objects.in_community(community_id).filter(
        Q(payee_id__in=ids) | Q(transfer__in=theirs)
    )
    requests.update(description="")
    PendingReward.objects.in_community(community_id).filter(resident_id__in=ids).update(reason="")
    force_update(
        TillMovement.objects.in_community(community_id).filter(transfer__in=theirs), note=""
    )
    if traces.usernames:
        by_them = {"actor_label__in": traces.usernames}
        force_update(
            Transfer.objects.in_community(community_id).filter(**by_them),
            actor_label=traces.label,
        )
        force_update(
            TillMovement.objects.in_community(community_id).filter(**by_them),
            actor_label=traces.label,
        )
        qs = PaymentRequest.objects.in_community(community_id)
        qs.filter(created_by_label__in=traces.usernames).update(created_by_label=traces.label)
        qs.filter(closed_by_label__in=traces.usernames).update(closed_by_label=traces.label)
        qs = PendingReward.objects.in_community(community_id)
        qs.filter(created_by_label__in=traces.usernames).update(created_by_label=traces.label)
        qs.filter(decided_by_label__in=traces.usernames).update(decided_by_label=traces.label)
    # Someone else's free text that names the person (a payment "for Zoë Peeters").
    identifiers = traces.identifiers()
    for model, fields in (
        (Transfer, ("description",)),
        (PaymentRequest, ("description",)),
        (PendingReward, ("reason", "decision_note")),
        (TillMovement, ("note",)),
    ):
        mentions = Q()
        for needle in identifiers:
            for name in fields:
                mentions |= Q(**{f"{name}__icontains": needle})
        if identifiers:
            scrub_rows(
                model.objects.in_community(community_id).filter(mentions), fields, identifiers
            )


def register() -> None:
    register_person_data(
        "ledger",
        models=(
            "ledger.Account",
            "ledger.Transfer",
            "ledger.PaymentPin",
            "ledger.PaymentRequest",
            "ledger.PendingReward",
            "ledger.TillMovement",
        ),
        export=export,
        anonymise=anonymise,
    )
    declare_no_personal_data(
        "ledger.Currency",
        "ledger.IssuingBudget",
        "ledger.RewardPolicy",
        "ledger.RedemptionRun",
        "ledger.ExchangeOffice",
        "ledger.DailyCount",
        reason="the circle's settings and the counters' own bookkeeping (staff labels only)",
    )
