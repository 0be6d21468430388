"""Exchange offices (wisselkantoren): paper notes <-> digital money, tills and their counts.

The money moves between the ``paper`` system account and the resident's or shop's account
(``exchange_in`` / ``exchange_out``); the notes move in and out of the office's till as
append-only ``TillMovement`` rows, in the same transaction. The notes in a till are the sum
of its movements. Every write on a till first locks the office row (``SELECT ... FOR
UPDATE``), then the two accounts in ascending id order, always in that order: movements of
one office are serialised (no count can go below zero between the check and the write) and
no two transactions wait for each other in a cycle.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, ValidationFailed
from buurtkit.core.idempotency import replay
from buurtkit.core.scoping import get_scoped
from buurtkit.ledger.models import (
    Account,
    AccountKind,
    Currency,
    DailyCount,
    ExchangeOffice,
    SystemRole,
    TillMovement,
    TillReason,
    Transfer,
    TransferKind,
)
from buurtkit.ledger.rules import check_amount
from buurtkit.ledger.selectors import BRUSSELS, till_counts
from buurtkit.ledger.services._common import (
    TRANSFER_CONFLICT,
    community_currency,
    new_account,
    transfer_key,
)
from buurtkit.ledger.services.pin import pin_verify
from buurtkit.ledger.services.transfers import transfer_create
from buurtkit.people.models import Organisation

MAX_NOTES = 100_000  # of one denomination in one request


def _note_field(denomination: Any) -> str:
    return f"note_{denomination}"


def _clean_notes(
    currency: Currency, notes: Any, *, require_some: bool = True, label: str = "notes"
) -> dict[int, int]:
    """Notes per denomination as typed, checked: known denominations, whole counts, not below 0.

    Zero counts are dropped. Keys may be numbers or strings of digits (JSON keys are strings).
    """
    if not isinstance(notes, dict):
        msg = _("Give the number of notes per denomination.")
        raise ValidationFailed(msg, fields={label: msg})
    allowed = {int(d) for d in currency.denominations}
    clean: dict[int, int] = {}
    errors: dict[str, str] = {}
    for raw_denomination, raw_count in notes.items():
        text = str(raw_denomination).strip()
        if isinstance(raw_denomination, bool) or not text.isascii() or not text.isdigit():
            errors[_note_field(text)] = _("There is no note of %(d)s.") % {"d": text}
            continue
        denomination = int(text)
        if denomination not in allowed:
            errors[_note_field(denomination)] = _("There is no note of %(d)s.") % {
                "d": denomination
            }
            continue
        if isinstance(raw_count, bool) or not isinstance(raw_count, int | str):
            count_text = ""
        else:
            count_text = str(raw_count).strip() or "0"
        if count_text.startswith("-") and count_text[1:].isdigit():
            errors[_note_field(denomination)] = _("The number of notes cannot be below zero.")
            continue
        if not (count_text.isascii() and count_text.isdigit()):
            errors[_note_field(denomination)] = _("Type a whole number of notes, for example 3.")
            continue
        count = int(count_text)
        if count > MAX_NOTES:
            errors[_note_field(denomination)] = _("That is too many notes.")
            continue
        if count:
            clean[denomination] = clean.get(denomination, 0) + count
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    if require_some and not clean:
        msg = _("Count at least one note.")
        raise ValidationFailed(msg, fields={label: msg})
    return clean


def notes_total(currency: Currency, notes: dict[int, int]) -> int:
    """The value of ``notes`` (denominations in major units) in minor units."""
    return sum(d * n for d, n in notes.items()) * 10**currency.decimals


def notes_parse(*, currency: Currency, notes: dict[Any, Any], require_some: bool = True) -> int:
    """Check notes per denomination as typed (for a live total on the counter screen) and
    return their value in minor units; the same errors the exchanges give."""
    return notes_total(currency, _clean_notes(currency, notes, require_some=require_some))


def _office_locked(actor: Actor, office_id: int) -> ExchangeOffice:
    office = get_scoped(ExchangeOffice, actor.community, for_update=True, pk=office_id)
    if not office.active:
        raise Conflict(_("This exchange office is closed."), code="office_closed")
    return office


def _paper_account(currency: Currency) -> Account:
    return Account.objects.get(currency=currency, system_role=SystemRole.PAPER)


def _exchange_replay(
    office: ExchangeOffice, existing: Transfer, kind: str, account_id: int, notes: dict[int, int]
) -> Transfer:
    """A retried exchange: the first result, if it was the same request; else refused.

    An exchange's request is its transfer plus the notes that moved in one till, so it is
    compared with the rows themselves rather than with a stored fingerprint.
    """

    def same(transfer: Transfer) -> bool:
        moved: dict[int, int] = {}
        offices = set()
        for m in TillMovement.objects.filter(transfer=transfer):
            moved[m.denomination] = moved.get(m.denomination, 0) + abs(m.delta)
            offices.add(m.office_id)
        party = transfer.credit_id if kind == TransferKind.EXCHANGE_IN else transfer.debit_id
        return (
            transfer.kind == kind
            and offices == {office.pk}
            and party == account_id
            and moved == notes
        )

    return replay(existing, same=same, conflict=TRANSFER_CONFLICT)


def _till_movements(
    actor: Actor,
    office: ExchangeOffice,
    notes: dict[int, int],
    *,
    sign: int,
    reason: str,
    transfer: Transfer | None = None,
    key: str = "",
    note: str = "",
    daily_count: DailyCount | None = None,
) -> list[TillMovement]:
    now = clock.now()
    return [
        TillMovement.objects.create(
            community=actor.community,
            office=office,
            denomination=d,
            delta=sign * n,
            reason=reason,
            transfer=transfer,
            daily_count=daily_count,
            idempotency_key=key,
            note=note[:200],
            at=now,
            actor_label=actor.label[:150],
            on_behalf_of_id=actor.on_behalf_of_id,
        )
        for d, n in sorted(notes.items())
        if n
    ]


def _notes_json(notes: dict[int, int]) -> dict[str, int]:
    return {str(d): n for d, n in sorted(notes.items())}


@transaction.atomic
def exchange_office_create(
    *,
    actor: Actor,
    name: str,
    organisation_id: int,
    idempotency_key: str = "",
    request: str = "",
) -> ExchangeOffice:
    """Open an exchange office for an organisation, with its own till account.

    ``idempotency_key`` and ``request`` (its fingerprint) are kept in the audit event, where
    ``setup.exchange_office_open`` finds a retry.
    """
    actor.require("ledger.manage")
    currency = community_currency(actor)
    name = (name or "").strip()[:150]
    if not name:
        msg = _("Give the exchange office a name.")
        raise ValidationFailed(msg, fields={"name": msg})
    org = get_scoped(Organisation, actor.community, pk=organisation_id)
    if ExchangeOffice.objects.in_community(actor.community).filter(name=name).exists():
        msg = _("There is already an exchange office with this name.")
        raise ValidationFailed(msg, fields={"name": msg})
    till = new_account(currency, kind=AccountKind.TILL, name=name, organisation=org)
    office = ExchangeOffice.objects.create(
        community=actor.community, name=name, organisation=org, account=till
    )
    data: dict[str, Any] = {"till": till.pk}
    if idempotency_key:
        data |= {"idempotency_key": idempotency_key, "request": request}
    audit_record(actor=actor, verb="ledger.office_created", obj=office, data=data)
    return office


def exchange_deposit(
    *,
    actor: Actor,
    office_id: int,
    account_id: int,
    notes: dict[Any, Any],
    idempotency_key: str,
) -> Transfer:
    """A resident or shop hands in paper notes: the notes go into the till and their value is
    credited to the account (``exchange_in`` from the paper account), in one transaction.

    ``notes`` is the number of notes per denomination. A retry with the same key returns the
    first transfer (``replayed``); the same key with other notes, account or office is refused.
    """
    actor.require("ledger.exchange")
    with transaction.atomic():
        office = _office_locked(actor, office_id)
        currency = community_currency(actor)
        clean = _clean_notes(currency, notes)
        amount = check_amount(notes_total(currency, clean), field="notes")
        key = transfer_key(idempotency_key)
        existing = Transfer.objects.in_community(actor.community).filter(idempotency_key=key)
        if existing.exists():
            return _exchange_replay(
                office, existing.get(), TransferKind.EXCHANGE_IN, account_id, clean
            )
        transfer = transfer_create(
            actor=actor,
            debit_account_id=_paper_account(currency).pk,
            credit_account_id=account_id,
            amount=amount,
            idempotency_key=key,
            kind=TransferKind.EXCHANGE_IN,
        )
        if transfer.replayed:  # the key was taken meanwhile, at another office
            return _exchange_replay(office, transfer, TransferKind.EXCHANGE_IN, account_id, clean)
        _till_movements(actor, office, clean, sign=1, reason="deposit", transfer=transfer, key=key)
        audit_record(
            actor=actor,
            verb="ledger.exchange_deposit",
            obj=office,
            data={
                "transfer": transfer.pk,
                "account": account_id,
                "amount": amount,
                "notes": _notes_json(clean),
            },
        )
        return transfer


def exchange_withdraw(
    *,
    actor: Actor,
    office_id: int,
    account_id: int,
    notes: dict[Any, Any],
    idempotency_key: str,
    pin: str | None = None,
) -> Transfer:
    """Digital money out as paper notes: ``exchange_out`` to the paper account, notes out of the
    till, in one transaction. Refused when the till has too few notes of a denomination or the
    account too little money.

    Whose money it is must be clear: a clerk acting on behalf of the resident at the counter
    (the normal case), the resident's payment PIN typed at the counter (``pin``), a shop's own
    staff, or ``ledger.manage``.
    """
    actor.require("ledger.exchange")
    account = get_scoped(Account, actor.community, pk=account_id)
    currency = community_currency(actor)
    clean = _clean_notes(currency, notes)
    amount = check_amount(notes_total(currency, clean), field="notes")
    key = transfer_key(idempotency_key)
    get_scoped(ExchangeOffice, actor.community, pk=office_id)  # unknown office: 404 first
    if (
        pin is not None
        and account.person_id is not None
        and actor.on_behalf_of_id != account.person_id
    ):
        # The resident confirms with their PIN; a wrong try is counted in its own transaction.
        pin_verify(actor, account.person_id, pin)
        actor = actor.acting_for(
            account.person_id, channel="counter" if actor.channel == "web" else actor.channel
        )
    with transaction.atomic():
        office = _office_locked(actor, office_id)
        existing = Transfer.objects.in_community(actor.community).filter(idempotency_key=key)
        if existing.exists():
            return _exchange_replay(
                office, existing.get(), TransferKind.EXCHANGE_OUT, account_id, clean
            )
        in_till = till_counts(office_id=office.pk)
        short = {d: n for d, n in clean.items() if in_till.get(d, 0) < n}
        if short:
            fields = {
                _note_field(d): _("The till has only %(n)d notes of %(d)d.")
                % {"n": max(in_till.get(d, 0), 0), "d": d}
                for d in sorted(short)
            }
            raise Conflict(
                _("There are not enough notes in the till."),
                code="not_enough_notes",
                fields=fields,
            )
        transfer = transfer_create(
            actor=actor,
            debit_account_id=account.pk,
            credit_account_id=_paper_account(currency).pk,
            amount=amount,
            idempotency_key=key,
            kind=TransferKind.EXCHANGE_OUT,
        )
        if transfer.replayed:
            return _exchange_replay(office, transfer, TransferKind.EXCHANGE_OUT, account_id, clean)
        _till_movements(
            actor, office, clean, sign=-1, reason="withdrawal", transfer=transfer, key=key
        )
        audit_record(
            actor=actor,
            verb="ledger.exchange_withdraw",
            obj=office,
            data={
                "transfer": transfer.pk,
                "account": account.pk,
                "amount": amount,
                "notes": _notes_json(clean),
            },
        )
        return transfer


@transaction.atomic
def office_opening_float(
    *,
    actor: Actor,
    office_id: int,
    notes: dict[Any, Any],
    idempotency_key: str,
    note: str = "",
) -> list[TillMovement]:
    """Put notes into a till from the organisation's stock (the float it opens with, or a top-up).

    No money moves: these notes are already counted on the paper account when they were issued.
    A retry with the same key returns the first movements; other notes with it are refused.
    """
    actor.require("ledger.exchange")
    office = _office_locked(actor, office_id)
    clean = _clean_notes(community_currency(actor), notes)
    key = transfer_key(idempotency_key)
    earlier = list(
        TillMovement.objects.in_community(actor.community).filter(
            office=office, reason=TillReason.OPENING_FLOAT, idempotency_key=key
        )
    )
    if earlier:
        replay(
            earlier[0],
            same=lambda _first: {m.denomination: m.delta for m in earlier} == clean,
            conflict=_("This idempotency key was already used for a different request."),
        )
        return earlier
    movements = _till_movements(
        actor, office, clean, sign=1, reason=TillReason.OPENING_FLOAT, key=key, note=note
    )
    audit_record(
        actor=actor,
        verb="ledger.office_float",
        obj=office,
        data={"notes": _notes_json(clean), "note": note[:200]},
    )
    return movements


@transaction.atomic
def office_daily_count(
    *, actor: Actor, office_id: int, counted: dict[Any, Any], note: str = ""
) -> DailyCount:
    """Record the notes counted in the till against what the movements say should be there.

    A denomination left out counts as zero notes. Differences are recorded, never fixed here
    (see :func:`office_correct_count`). A recount the same day is a new row that replaces the
    previous count.
    """
    actor.require("ledger.exchange")
    office = _office_locked(actor, office_id)
    currency = community_currency(actor)
    clean = _clean_notes(currency, counted, require_some=False, label="counted")
    expected = till_counts(office_id=office.pk)
    denominations = sorted({int(d) for d in currency.denominations} | set(expected))
    counted_all = {d: clean.get(d, 0) for d in denominations}
    expected_all = {d: expected.get(d, 0) for d in denominations}
    difference = {d: counted_all[d] - expected_all[d] for d in denominations}
    day = clock.now().astimezone(ZoneInfo(BRUSSELS)).date()
    previous = (
        DailyCount.objects.in_community(actor.community)
        .filter(office=office, date=day, replaced_by__isnull=True)
        .order_by("-id")
        .first()
    )
    count = DailyCount.objects.create(
        community=actor.community,
        office=office,
        date=day,
        counted=_notes_json(counted_all),
        expected=_notes_json(expected_all),
        discrepancy=_notes_json(difference),
        note=(note or "").strip()[:500],
        replaces=previous,
        actor_label=actor.label[:150],
        user_id=actor.user_id,
        at=clock.now(),
    )
    audit_record(
        actor=actor,
        verb="ledger.office_count",
        obj=office,
        data={
            "count": count.pk,
            "discrepancy": {k: v for k, v in count.discrepancy.items() if v},
            "replaces": previous.pk if previous else None,
        },
    )
    return count


@transaction.atomic
def office_correct_count(
    *, actor: Actor, office_id: int, count_id: int, reason: str
) -> list[TillMovement]:
    """Book a count's differences as ``count_correction`` movements, so the till matches the
    notes counted. Needs ``ledger.manage`` (a second person, not the clerk who counted), a
    reason, and a till unchanged since the count; a count is corrected once."""
    actor.require("ledger.manage")
    office = _office_locked(actor, office_id)
    count = get_scoped(DailyCount, actor.community, office=office, pk=count_id)
    reason = (reason or "").strip()
    if not reason:
        msg = _("Say why the till is corrected.")
        raise ValidationFailed(msg, fields={"reason": msg})
    if DailyCount.objects.filter(replaces=count).exists():
        raise Conflict(_("A later count replaces this one. Correct that one."), code="recounted")
    if count.corrections.exists():
        raise Conflict(_("This count has already been corrected."), code="already_corrected")
    now = {d: n for d, n in till_counts(office_id=office.pk).items() if n}
    if now != {int(d): int(n) for d, n in count.expected.items() if int(n)}:
        raise Conflict(
            _("Notes came in or went out after this count. Count the till again."),
            code="till_changed",
        )
    difference = {int(d): int(n) for d, n in count.discrepancy.items() if int(n)}
    if not difference:
        raise ValidationFailed(_("This count matches the till: there is nothing to correct."))
    movements = [
        TillMovement.objects.create(
            community=actor.community,
            office=office,
            denomination=d,
            delta=n,
            reason=TillReason.COUNT_CORRECTION,
            daily_count=count,
            note=reason[:200],
            at=clock.now(),
            actor_label=actor.label[:150],
            on_behalf_of_id=actor.on_behalf_of_id,
        )
        for d, n in sorted(difference.items())
    ]
    audit_record(
        actor=actor,
        verb="ledger.office_count_corrected",
        obj=office,
        data={"count": count.pk, "difference": _notes_json(difference), "reason": reason[:200]},
    )
    return movements
