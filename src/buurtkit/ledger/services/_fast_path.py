"""The PostgreSQL fast path for payments (docs/ledger.md, ADR 0012): one round trip.

``fast_payment`` calls the PL/pgSQL function ``ledger_fast_payment``, whose one definition is
``buurtkit/ledger/sql/ledger_fast_payment.sql`` (loaded by a migration). It mirrors, in SQL, what
the ORM path does for a payment (``transfers.transfer_create`` and ``transfers.make_transfer``)
and writes audit's table itself. Two tests fence it: tests/ledger/test_fast_path_sql.py (the
function in the database is the file) and tests/ledger/test_fast_path_property.py (random
sequences give the same outcomes, rows, balances and audit records on both paths).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.db import fetchone_server_bound
from buurtkit.core.idempotency import replay, same_fingerprint
from buurtkit.ledger.models import Currency, Transfer
from buurtkit.ledger.rules import TRANSFER_KINDS, amount_error, refusal
from buurtkit.ledger.services._common import TRANSFER_CONFLICT, no_currency, receipt_after_commit

_FAST_PAYMENT_SQL = (
    "SELECT * FROM ledger_fast_payment(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
    " %s, %s, %s::text[], %s::text[], %s, %s, %s, %s, %s::bigint[])"
)


_TRANSFER_COLUMNS = [
    "id",
    "community_id",
    "currency_id",
    "debit_id",
    "credit_id",
    "amount",
    "kind",
    "description",
    "reverses_id",
    "idempotency_key",
    "request_hash",
    "at",
    "actor_label",
    "on_behalf_of_id",
    "channel",
    "debit_balance_after",
    "credit_balance_after",
]


_FAST_PATH_LIMIT = Decimal(10) ** 13


def fast_path_enabled() -> bool:
    """Payments take one round trip on PostgreSQL (``LEDGER_FAST_PATH = False`` turns it off)."""
    return connection.vendor == "postgresql" and getattr(settings, "LEDGER_FAST_PATH", True)


def fast_submit_number(value: Any) -> Decimal | None:
    """The typed amount as a number the fast path may convert in the database, or None when
    only ``parse_amount`` can say what is wrong with it (the ORM path then answers)."""
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or abs(number) >= _FAST_PATH_LIMIT:
        return None
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -8:
        return None
    return number


def fast_payment(
    *,
    actor: Actor,
    debit_id: int,
    credit_id: int,
    amount: int | Decimal,
    major: bool,
    kind: str,
    description: str,
    key: str,
) -> Transfer:
    """``parse_amount`` (when ``major``) + ``run_once`` + ``make_transfer`` for a payment, as one
    call of the ``ledger_fast_payment`` function (sql/ledger_fast_payment.sql): the same checks
    in the same order, the same rows, the same errors.

    Outside a transaction the one statement is its own transaction; inside one (a service
    that pays as part of more work) it runs in a savepoint, like ``make_transfer``.
    """
    sources, targets, needed = TRANSFER_KINDS[kind]
    # core.idempotency.fingerprint's JSON around the amount in minor units, which only the database knows
    # when the amount was typed in major units ("amount" is the first key once sorted).
    text = json.dumps(
        {
            "amount": 0,
            "credit": credit_id,
            "debit": debit_id,
            "description": description,
            "kind": kind,
            "reverses": None,
        },
        sort_keys=True,
    )
    params = [
        actor.community.pk,
        debit_id,
        credit_id,
        amount,
        major,
        str(kind),
        description,
        key,
        '{"amount": ',
        text[len('{"amount": 0') :],
        clock.now(),
        actor.label[:150],
        actor.user_id,
        actor.api_key_id,
        actor.on_behalf_of_id,
        actor.channel,
        sorted(str(role) for role in sources),
        sorted(str(role) for role in targets),
        actor.has("ledger.manage"),
        not needed or actor.has(needed),
        actor.person_id,
        actor.has("ledger.pay_on_behalf"),
        sorted(actor.organisation_ids),
    ]
    if connection.in_atomic_block:
        with transaction.atomic():
            row = fetchone_server_bound(_FAST_PAYMENT_SQL, params)
    else:
        try:
            row = fetchone_server_bound(_FAST_PAYMENT_SQL, params)
        except OperationalError:
            # A connection that broke while idle (see core/db/postgresql): the call is one
            # idempotent statement, so it is sent once more on a new connection.
            if connection.is_usable():
                raise
            connection.close()
            row = fetchone_server_bound(_FAST_PAYMENT_SQL, params)
    assert row is not None  # the function always returns one row
    status, info, sms, fingerprint = row[0], row[1] or "", row[2], row[3]
    if status == "no_currency":
        raise no_currency()
    if status in ("decimals", "amount_not_positive", "amount_too_large"):
        raise amount_error(status, decimals=int(info or 0))
    if status not in ("created", "existing"):
        raise refusal(status, info)
    transfer = Transfer.from_db(connection.alias, _TRANSFER_COLUMNS, row[7:])
    if major:
        transfer.currency = Currency.from_db(
            connection.alias,
            ["id", "community_id", "code", "decimals"],
            [row[4], actor.community.pk, row[5], row[6]],
        )
    if status == "existing":
        return replay(transfer, same=same_fingerprint(fingerprint), conflict=TRANSFER_CONFLICT)
    if sms:
        receipt_after_commit(transfer.pk)  # opt-in SMS receipt, after commit, never blocking
    return transfer
