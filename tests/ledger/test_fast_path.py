"""The PostgreSQL fast path for payments (``ledger_fast_payment``, migration 0007) against the
ORM path: the same inputs give the same answers, errors, rows, balances and audit records.

Each comparison runs one scenario twice, in two communities: once with ``LEDGER_FAST_PATH``
off (the ORM path, as on SQLite) and once with it on. Account ids and numbers differ between
the two communities, so everything is compared by the accounts' names in the circle.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from buurtkit.audit.models import AuditEvent
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ServiceError
from buurtkit.core.idempotency import fingerprint
from buurtkit.core.permissions import permissions_for_roles
from buurtkit.core.services import community_create
from buurtkit.ledger import services
from buurtkit.ledger.models import Account, Transfer
from buurtkit.ledger.selectors import invariant_violations
from buurtkit.people.services import apikey_create
from tests.ledger.conftest import Circle, make_circle

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the fast path exists on PostgreSQL only: run with DATABASE_URL=postgres://...",
    ),
]

NAMES = ("alice", "bob", "merchant", "issuer", "issuance", "paper", "redemption")


def _names(circle: Circle) -> tuple[dict[int, str], dict[str, str]]:
    accounts = {name: getattr(circle, name) for name in NAMES}
    return (
        {a.pk: name for name, a in accounts.items()},
        {a.number: name for name, a in accounts.items()},
    )


def _scenario(circle: Circle, api_key: str) -> list[Any]:
    """Every kind of answer a payment can get, through the services and through the API."""
    community = circle.actor.community
    system = circle.actor
    ids, numbers = _names(circle)
    alice_person = circle.alice.person_id
    resident = Actor(community=community, label="alice", person_id=alice_person)
    counter = Actor(
        community=community,
        label="clerk",
        user_id=7,
        permissions=permissions_for_roles({"counter_clerk"}),
    ).acting_for(alice_person or 0)
    shopkeeper = Actor(
        community=community,
        label="shop",
        organisation_ids=frozenset({circle.merchant.organisation_id or 0}),
        channel="web",
    )
    stranger_key = Actor(community=community, label="api:viewer", api_key_id=99, channel="api")
    unknown = max(ids) + 10_000
    a, b, m, issuer = circle.alice.pk, circle.bob.pk, circle.merchant.pk, circle.issuer.pk
    outcomes: list[Any] = []

    def name_all(text: str) -> str:
        for number, name in numbers.items():
            text = text.replace(number, f"<{name}>")
        return text

    def run(label: str, call: Callable[[], Transfer]) -> None:
        try:
            t = call()
        except ServiceError as exc:
            outcomes.append(
                (
                    label,
                    type(exc).__name__,
                    exc.code,
                    exc.status,
                    name_all(str(exc.detail)),
                    {k: str(v) for k, v in exc.fields.items()},
                )
            )
            return
        outcomes.append(
            (
                label,
                "ok",
                t.replayed,
                t.kind,
                ids[t.debit_id],
                ids[t.credit_id],
                t.amount,
                t.description,
                t.idempotency_key,
                t.currency.code,
            )
        )

    def submit(actor: Actor, debit: int, credit: int, amount: str, key: str, **kw: Any) -> None:
        run(
            f"submit {key}",
            lambda: services.transfer_submit(
                actor=actor,
                debit_account_id=debit,
                credit_account_id=credit,
                amount=amount,
                idempotency_key=key,
                **kw,
            ),
        )

    def create(actor: Actor, debit: int, credit: int, amount: int, key: str, **kw: Any) -> None:
        run(
            f"create {key}",
            lambda: services.transfer_create(
                actor=actor,
                debit_account_id=debit,
                credit_account_id=credit,
                amount=amount,
                idempotency_key=key,
                **kw,
            ),
        )

    submit(system, a, m, "5", "k1", description='Brood & "koffie" — 5 €\n\\ ok')
    submit(system, a, m, "5", "k1", description='Brood & "koffie" — 5 €\n\\ ok')  # retry
    submit(system, a, m, "6", "k1")  # the same key, another payment
    create(system, a, m, 5, "k1", description='Brood & "koffie" — 5 €\n\\ ok')  # minor units
    submit(system, a, a, "1", "k2")  # yourself
    submit(system, a, m, "2.5", "k3")  # decimals: the currency has none
    submit(system, a, m, "2,0", "k4")  # a comma, and a whole number after all
    submit(system, a, m, "0", "k5")
    submit(system, a, m, "-3", "k6")
    submit(system, a, m, "1000000000001", "k7")  # above the maximum, on the fast path
    submit(system, a, m, "99999999999999999", "k8")  # far above: the ORM path words it
    submit(system, a, m, "abc", "k9")
    submit(system, a, m, "NaN", "k10")
    submit(system, a, m, "1", "")  # no key
    submit(system, a, m, "1", "x" * 101)  # a key too long
    submit(system, a, unknown, "1", "k11")
    submit(system, unknown, a, "1", "k12")
    submit(system, a, circle.issuance.pk, "1", "k13")  # payments do not go to system accounts
    submit(system, circle.paper.pk, a, "1", "k14")
    submit(system, a, m, "100000", "k15")  # more than alice has
    services.account_set_frozen(actor=system, account_id=b, frozen=True)
    submit(system, a, b, "1", "k16")  # to a frozen account
    submit(system, b, a, "1", "k17")  # from a frozen account
    services.account_set_frozen(actor=system, account_id=b, frozen=False)
    submit(system, a, b, "40", "k18")
    submit(resident, a, b, "1", "k19")  # a resident paying themselves: the PIN path
    create(resident, a, b, 1, "k20")  # the owner (no PIN at this level)
    create(resident, b, a, 1, "k21")  # not theirs
    submit(counter, a, m, "2", "k22")  # at the counter, on behalf of alice
    submit(counter, b, m, "2", "k23")  # on behalf of alice, from bob's account
    submit(shopkeeper, m, a, "3", "k24")  # a shop pays from its own account
    submit(shopkeeper, issuer, a, "3", "k25")  # not its organisation
    submit(stranger_key, a, m, "1", "k26")  # a key without a role
    Account.objects.filter(pk=m).update(lower_limit=-50)
    submit(system, m, b, "55", "k27")  # below zero, within its limit
    submit(system, m, b, "1000", "k28")  # beyond its limit
    create(system, issuer, a, 5, "k29", kind="reward")  # another kind: the ORM path
    submit(system, a, m, "1", "k30", kind="reward")
    submit(system, a, m, "1E+1", "k31")  # an exponent
    submit(system, a, m, "0.00000001", "k32")
    submit(system, a, m, "\u0662", "k33")  # an Arabic-Indic digit: Decimal reads it as 2

    client = Client()
    for body, key in [
        ({"debit_account_id": a, "credit_account_id": m, "amount": "2"}, "h1"),
        ({"debit_account_id": a, "credit_account_id": m, "amount": "2"}, "h1"),
        ({"debit_account_id": a, "credit_account_id": m, "amount": "3"}, "h1"),
        ({"debit_account_id": a, "credit_account_id": m, "amount": "0.5"}, "h2"),
        ({"debit_account_id": a, "credit_account_id": unknown, "amount": "1"}, "h3"),
        ({"debit_account_id": a, "credit_account_id": m, "amount": "99999"}, "h4"),
        ({"debit_account_id": a, "credit_account_id": m, "amount": "1"}, ""),
    ]:
        response = client.post(
            "/api/v1/ledger/transfers",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {api_key}",
            HTTP_IDEMPOTENCY_KEY=key,
            HTTP_ACCEPT_LANGUAGE="en",
        )
        data = response.json()
        for field in ("id", "at", "debit_account_id", "credit_account_id"):
            data.pop(field, None)
        if "detail" in data:
            data["detail"] = name_all(data["detail"])
        outcomes.append((f"api {key}", response.status_code, data))
    return outcomes


def _key_name(key: str) -> str:
    return "(make_circle)" if len(key) == 32 else key  # make_circle's keys are random


def _rows(circle: Circle) -> dict[str, Any]:
    """What the scenario left in the database, by name, and every fingerprint rechecked."""
    community = circle.actor.community
    ids, _numbers = _names(circle)
    transfers = []
    for t in Transfer.objects.filter(community=community).order_by("pk"):
        expected_hash = fingerprint(
            {
                "debit": t.debit_id,
                "credit": t.credit_id,
                "amount": t.amount,
                "kind": t.kind,
                "description": t.description,
                "reverses": t.reverses_id,
            }
        )
        assert t.request_hash == expected_hash, t.idempotency_key
        transfers.append(
            (
                t.kind,
                ids[t.debit_id],
                ids[t.credit_id],
                t.amount,
                t.description,
                _key_name(t.idempotency_key),
                t.actor_label,
                t.on_behalf_of_id == circle.alice.person_id if t.on_behalf_of_id else None,
                t.channel,
                t.debit_balance_after,
                t.credit_balance_after,
                t.currency_id == circle.currency.pk,
                t.reverses_id,
            )
        )
    audit = []
    for event in AuditEvent.objects.filter(community=community, verb="ledger.transfer").order_by(
        "pk"
    ):
        transfer = Transfer.objects.get(pk=int(event.object_id))
        data = dict(event.data)
        data["debit"], data["credit"] = ids[data["debit"]], ids[data["credit"]]
        audit.append(
            (
                _key_name(transfer.idempotency_key),
                event.object_type,
                event.actor_label,
                event.actor_user_id,
                event.actor_api_key_id is not None,
                event.on_behalf_of_id == circle.alice.person_id if event.on_behalf_of_id else None,
                event.channel,
                data,
            )
        )
    balances = {
        ids[a.pk]: (a.balance, a.lower_limit, a.frozen) for a in Account.objects.filter(pk__in=ids)
    }
    assert invariant_violations(currency=circle.currency) == []
    return {"transfers": transfers, "audit": audit, "balances": balances}


def _compare(settings: Any, capture: Any) -> int:
    results = []
    for n, fast in enumerate((False, True)):
        settings.LEDGER_FAST_PATH = fast
        community = community_create(name=f"Wijk {n}", slug=f"wijk-{n}", enabled_modules=["ledger"])
        system = Actor.system(community, label="test")
        circle = make_circle(system)
        Account.objects.filter(pk=circle.merchant.pk).update(sms_receipts=True)
        _key, raw = apikey_create(actor=system, name="test key", roles=["coordinator"])
        with capture() as callbacks, translation.override("en"):
            outcomes = _scenario(circle, raw)
        results.append((outcomes, _rows(circle), len(callbacks)))
    (orm_outcomes, orm_rows, orm_sms), (fast_outcomes, fast_rows, fast_sms) = results
    for orm, fast in zip(orm_outcomes, fast_outcomes, strict=True):
        assert fast == orm
    assert fast_rows == orm_rows
    assert fast_sms == orm_sms  # the SMS receipts of payments to the merchant, after commit
    # The scenario covers every answer: successes, replays and each refusal.
    kinds = {o[1] for o in orm_outcomes if o[0].startswith(("submit", "create"))}
    assert kinds >= {"ok", "ValidationFailed", "Conflict", "NotFound", "PermissionDenied"}
    assert "InsufficientBalance" in kinds
    return fast_sms


def test_fast_path_gives_what_the_orm_path_gives(
    db: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Inside a transaction (as services call each other): the fast path uses a savepoint."""
    assert _compare(settings, django_capture_on_commit_callbacks) > 0
    # (in autocommit, below, a receipt is queued at once: the payment has committed already)


@pytest.mark.django_db(transaction=True)
def test_fast_path_gives_what_the_orm_path_gives_in_autocommit(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Outside a transaction (as the API runs it): one statement is one transaction."""
    assert not connection.in_atomic_block
    _compare(settings, django_capture_on_commit_callbacks)


def test_a_payment_is_one_statement_and_a_refusal_leaves_nothing(
    circle: Circle, settings: Any, api_key: Callable[..., str]
) -> None:
    raw = api_key(circle.actor.community, ["coordinator"])
    body = {"debit_account_id": circle.alice.pk, "credit_account_id": circle.bob.pk}

    def post(amount: str, key: str) -> Any:
        return Client().post(
            "/api/v1/ledger/transfers",
            data=json.dumps({**body, "amount": amount}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
            HTTP_IDEMPOTENCY_KEY=key,
        )

    with CaptureQueriesContext(connection) as queries:
        assert post("3", "one").status_code == 201
    ledger = [q["sql"] for q in queries.captured_queries if "ledger" in q["sql"]]
    assert len(ledger) == 1 and "ledger_fast_payment" in ledger[0]

    transfers, events = Transfer.objects.count(), AuditEvent.objects.count()
    alice_before = Account.objects.get(pk=circle.alice.pk).balance
    assert post("100000", "two").status_code == 409  # not enough money
    assert (Transfer.objects.count(), AuditEvent.objects.count()) == (transfers, events)
    assert Account.objects.get(pk=circle.alice.pk).balance == alice_before

    settings.LEDGER_FAST_PATH = False
    with CaptureQueriesContext(connection) as queries:
        assert post("3", "three").status_code == 201
    assert not any("ledger_fast_payment" in q["sql"] for q in queries.captured_queries)


def test_the_trigger_still_guards_fast_path_transfers(circle: Circle) -> None:
    from django.db import DatabaseError, transaction

    t = services.transfer_create(
        actor=circle.actor,
        debit_account_id=circle.alice.pk,
        credit_account_id=circle.bob.pk,
        amount=1,
        idempotency_key="guarded",
    )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_transfer SET amount = 2 WHERE id = %s", [t.pk])


@pytest.mark.django_db(transaction=True)
def test_a_payment_on_a_connection_cut_a_moment_ago_is_sent_again(circle: Circle) -> None:
    """The health check skips connections in use a moment ago (core/db/postgresql); a payment
    that finds its connection cut is sent once more on a new one (the key makes that safe)."""
    from django.db import close_old_connections

    from tests.test_db_backend import cut_connection

    close_old_connections()  # a new request on a connection used a moment ago
    pid = cut_connection()
    coordinator = Actor(
        community=circle.actor.community,
        label="coordinator",
        permissions=frozenset(permissions_for_roles(["coordinator"])),
    )
    with CaptureQueriesContext(connection) as queries:
        transfer = services.transfer_create(
            actor=coordinator,
            debit_account_id=circle.alice.pk,
            credit_account_id=circle.bob.pk,
            amount=7,
            idempotency_key="after-the-cut",
        )
    sent = [q["sql"] for q in queries.captured_queries if "ledger_fast_payment" in q["sql"]]
    assert len(sent) == 2  # the first on the cut connection, the second on a new one
    assert connection.connection.info.backend_pid != pid
    assert Transfer.objects.filter(idempotency_key="after-the-cut").count() == 1
    assert Transfer.objects.get(pk=transfer.pk).amount == 7
    assert invariant_violations(currency=circle.currency) == []


def _reads(table: str) -> tuple[int, int]:
    """(sequential scans, rows read) of a table by this transaction so far (PostgreSQL's own
    counters; a scan's dead row versions are not counted, so scans are counted apart)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(seq_scan, 0), COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0)"
            " FROM pg_stat_xact_user_tables WHERE relname = %s",
            [table],
        )
        row = cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fast_path", [True, False])
def test_a_payment_reads_a_few_rows_however_big_the_tables_have_grown(
    circle: Circle, settings: Any, fast_path: bool
) -> None:
    """A payment reads the rows it needs by key: no more in a neighbourhood of 3,000 accounts
    and 5,000 transfers than in a new one, also on a connection whose plans were made while the
    tables were small (migration 0009). Before, a payment locked its two accounts by reading
    every account of the community, and a plan made for a small table went on scanning all of
    its transfers for the idempotency key as the table grew."""
    from django.db import transaction

    from buurtkit.core import clock

    settings.LEDGER_FAST_PATH = fast_path
    community = circle.actor.community

    tables = ("ledger_account", "ledger_transfer")

    def pay(n: int) -> list[tuple[int, int]]:
        """(sequential scans, rows read) of accounts and of transfers for one payment."""
        with transaction.atomic():  # the counters count within one transaction
            before = [_reads(table) for table in tables]
            services.transfer_create(
                actor=circle.actor,
                debit_account_id=circle.alice.pk,
                credit_account_id=circle.bob.pk,
                amount=1,
                idempotency_key=f"grown-{n}",
            )
            after = [_reads(table) for table in tables]
        return [(a[0] - b[0], a[1] - b[1]) for a, b in zip(after, before, strict=True)]

    with connection.cursor() as cursor:  # statistics of small tables, as on a new install
        cursor.execute("ANALYZE ledger_account, ledger_transfer")
    small = [pay(n) for n in range(8)]  # plans made (and kept) while the tables are small
    accounts = Account.objects.bulk_create(
        Account(
            community=community,
            currency=circle.currency,
            number=f"Z{i:08d}",
            kind="resident",
            name=f"Resident {i}",
        )
        for i in range(3000)
    )
    Transfer.objects.bulk_create(
        Transfer(
            community=community,
            currency=circle.currency,
            debit=circle.issuance,
            credit=accounts[i % len(accounts)],
            amount=1,
            kind="issue",
            idempotency_key=f"old-{i}",
            request_hash="-",
            at=clock.now(),
            actor_label="test",
            debit_balance_after=0,
            credit_balance_after=0,
        )
        for i in range(5000)
    )
    grown = [pay(n) for n in range(8, 12)]
    if fast_path:  # (the ORM path plans each query afresh, for the tables as they are now)
        assert all(scans == 0 for payment in small + grown for scans, _rows in payment), small
    # the two locked accounts and their balance updates; the key looked up twice (none found)
    assert max(accounts for (_s, accounts), _t in grown) <= 6, grown
    assert max(transfers for _a, (_s, transfers) in grown) <= 4, grown
