"""Many payers at once among a few hot accounts (issue 4): no deadlock, no double payment.

Eight workers pay each other thousands of times in random directions among four residents and
two merchants. Each payment carries an idempotency key; a share of the keys is sent again: by
another worker at about the same moment (a retry racing the first attempt), later by the same
worker (a retry after a lost answer), or by another worker with a different body (a client bug:
exactly one body may win, the other is refused). Afterwards: every invariant holds, no key has
two transfers, there are exactly as many transfers as distinct keys that succeeded, every retry
got the first transfer back, no worker died or saw a deadlock/serialisation/integrity error, and
the balances equal the starting balances plus the successful transfers.

- PostgreSQL: eight OS processes (``spawn``), each with its own connection to the test database.
- SQLite: eight threads, each with its own connection to a file database (see below why).

This module imports nothing from buurtkit at module level: ``spawn`` children import it before
they call ``django.setup()``.
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import sqlite3
import threading
import time
import traceback
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from django.db import connection, connections

WORKERS = 8
HOT_RESIDENTS = 4
HOT_MERCHANTS = 2
START_BALANCE = 300
# Share of the keys that are sent twice: at the same moment by another worker, later by the
# same worker, or by another worker with a different body.
RACING_RETRIES = 0.15
LATER_RETRIES = 0.10
CONFLICTING = 0.02
# Transfers that three workers each try to reverse (with their own keys) at about the same time.
REVERSAL_TARGETS = 30


class Op(NamedTuple):
    key: str
    debit: int
    credit: int
    amount: int
    reverses: int | None = None  # set for a reversal: the transfer it corrects


class Outcome(NamedTuple):
    op: Op
    result: str  # "ok", "insufficient", "conflict" or "error"
    detail: Any  # transfer id, error code or the error


# --- the circle and the plan -------------------------------------------------------------


def _open_circle() -> dict[str, Any]:
    """A fresh community with four residents and two merchants who all have money."""
    from buurtkit.core.actor import Actor
    from buurtkit.core.services import community_create
    from buurtkit.ledger import services
    from buurtkit.ledger.models import Account
    from buurtkit.people.services import organisation_create, person_create

    community = community_create(
        name="Hot", slug=f"hot-{uuid.uuid4().hex[:12]}", enabled_modules=["ledger"]
    )
    system = Actor.system(community, label="setup")
    currency = services.currency_create(
        actor=system, code="TOR", names={"nl": {"singular": "toreke", "plural": "torekes"}}
    )
    org = organisation_create(actor=system, name="Buurtwerk", slug="buurtwerk", kind="association")
    issuer = services.account_open(actor=system, kind="organisation", organisation_id=org.pk)
    paper = Account.objects.get(currency=currency, system_role="paper")
    issuance = Account.objects.get(currency=currency, system_role="issuance")

    def move(debit: int, credit: int, amount: int, kind: str) -> Any:
        return services.transfer_create(
            actor=system,
            debit_account_id=debit,
            credit_account_id=credit,
            amount=amount,
            kind=kind,
            idempotency_key=f"setup-{uuid.uuid4().hex}",
        )

    move(issuance.pk, issuer.pk, START_BALANCE * HOT_RESIDENTS, "issue")
    hot = []
    for i in range(HOT_RESIDENTS):
        person = person_create(actor=system, first_name=f"Resident{i}")
        account = services.account_open(actor=system, kind="resident", person_id=person.pk)
        move(issuer.pk, account.pk, START_BALANCE, "reward")
        hot.append(account.pk)
    for i in range(HOT_MERCHANTS):
        shop = organisation_create(actor=system, name=f"Shop{i}", slug=f"shop{i}", kind="merchant")
        account = services.account_open(actor=system, kind="merchant", organisation_id=shop.pk)
        move(paper.pk, account.pk, START_BALANCE, "exchange_in")  # paper notes at the counter
        hot.append(account.pk)
    # Payments that several workers will try to correct at the same time.
    rng = random.Random()
    targets = []
    for _ in range(REVERSAL_TARGETS):
        debit, credit = rng.sample(hot, 2)
        t = move(debit, credit, rng.randint(1, 20), "payment")
        targets.append((t.pk, t.debit_id, t.credit_id, t.amount))
    return {
        "targets": targets,
        "community_id": community.pk,
        "currency_id": currency.pk,
        "hot": hot,
        "balances": dict(Account.objects.filter(currency=currency).values_list("pk", "balance")),
    }


def _plan(circle: dict[str, Any], per_worker: int, seed: int) -> list[list[Op]]:
    """Each worker's requests in order, with retries placed near the first attempt or later."""
    rng = random.Random(seed)
    first: list[tuple[int, float, Op]] = []  # (worker, position, op)
    for worker in range(WORKERS):
        for i in range(per_worker):
            debit, credit = rng.sample(circle["hot"], 2)
            op = Op(f"pay-{seed}-{worker}-{i}", debit, credit, rng.randint(1, 40))
            first.append((worker, i, op))
    for n, (target, debit, credit, amount) in enumerate(circle["targets"]):
        at = rng.randrange(per_worker)
        for worker in rng.sample(range(WORKERS), 3):
            op = Op(f"rev-{seed}-{n}-{worker}", credit, debit, amount, reverses=target)
            first.append((worker, at + rng.random() - 0.5, op))
    placed: list[list[tuple[float, Op]]] = [[] for _ in range(WORKERS)]
    for worker, i, op in first:
        placed[worker].append((i, op))
        draw = rng.random()
        other = (worker + rng.randint(1, WORKERS - 1)) % WORKERS
        if draw < RACING_RETRIES:
            placed[other].append((i + rng.random() - 0.5, op))
        elif draw < RACING_RETRIES + LATER_RETRIES:
            placed[worker].append((i + rng.randint(1, 40) + 0.5, op))
        elif draw < RACING_RETRIES + LATER_RETRIES + CONFLICTING and op.reverses is None:
            placed[other].append((i + rng.random() - 0.5, op._replace(amount=op.amount + 1)))
    return [[op for _pos, op in sorted(ops, key=lambda p: p[0])] for ops in placed]


def _pay_all(community_id: int, ops: list[Op], barrier: Any) -> tuple[list[Outcome], float]:
    """Run one worker's requests; every outcome is recorded, nothing is swallowed."""
    from buurtkit.core.actor import Actor
    from buurtkit.core.errors import Conflict
    from buurtkit.core.models import Community
    from buurtkit.ledger import services

    actor = Actor.system(Community.objects.get(pk=community_id), label="worker")
    barrier.wait(timeout=120)  # everyone starts paying at the same moment
    started = time.monotonic()
    outcomes = []
    for op in ops:
        try:
            if op.reverses is None:
                transfer = services.transfer_create(
                    actor=actor,
                    debit_account_id=op.debit,
                    credit_account_id=op.credit,
                    amount=op.amount,
                    idempotency_key=op.key,
                )
            else:
                transfer = services.transfer_reverse(
                    actor=actor, transfer_id=op.reverses, idempotency_key=op.key
                )
        except services.InsufficientBalance:
            outcomes.append(Outcome(op, "insufficient", None))
        except Conflict as exc:
            outcomes.append(Outcome(op, "conflict", exc.code))
        except Exception as exc:  # a deadlock, a serialisation failure, an IntegrityError...
            outcomes.append(Outcome(op, "error", f"{type(exc).__name__}: {exc}"))
        else:
            outcomes.append(Outcome(op, "ok", transfer.pk))
    return outcomes, time.monotonic() - started


# --- the checks --------------------------------------------------------------------------


def _check(circle: dict[str, Any], outcomes: list[Outcome]) -> Counter[str]:
    from django.db.models import Count

    from buurtkit.ledger.models import Account, Currency, Transfer
    from buurtkit.ledger.selectors import invariant_violations

    errors = [o for o in outcomes if o.result == "error"]
    assert errors == [], f"{len(errors)} payments failed with an error, first: {errors[:3]}"

    # Every attempt that succeeded got the same transfer for its key: the first one.
    ids_per_key: dict[str, set[int]] = defaultdict(set)
    bodies_ok: dict[str, set[Op]] = defaultdict(set)
    for o in outcomes:
        if o.result == "ok":
            ids_per_key[o.op.key].add(o.detail)
            bodies_ok[o.op.key].add(o.op)
    split = {k: ids for k, ids in ids_per_key.items() if len(ids) > 1}
    assert split == {}, "a retried key returned different transfers"
    assert all(len(b) == 1 for b in bodies_ok.values()), "one key accepted two different bodies"

    transfers = list(
        Transfer.objects.filter(currency_id=circle["currency_id"]).exclude(
            idempotency_key__startswith="setup-"
        )
    )
    duplicated = (
        Transfer.objects.filter(currency_id=circle["currency_id"])
        .values("idempotency_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert list(duplicated) == []
    # Exactly one transfer per key that succeeded, none for keys that were always refused.
    assert {t.idempotency_key: t.pk for t in transfers} == {
        k: next(iter(ids)) for k, ids in ids_per_key.items()
    }
    stored = {
        t.idempotency_key: Op(t.idempotency_key, t.debit_id, t.credit_id, t.amount, t.reverses_id)
        for t in transfers
    }
    for key, bodies in bodies_ok.items():
        assert bodies == {stored[key]}
    # Each target was corrected at most once, whoever raced for it.
    reversals = Counter(op.reverses for op in stored.values() if op.reverses is not None)
    assert [target for target, n in reversals.items() if n > 1] == []
    assert set(reversals) <= {target for target, *_rest in circle["targets"]}
    # A conflict is only the refusal of a different body under a used key, or of a second
    # correction of a transfer that another key has corrected.
    for o in outcomes:
        if o.result != "conflict":
            continue
        if o.detail == "already_reversed":
            assert o.op.reverses in reversals and o.op.key not in stored, o
        else:
            assert o.detail == "idempotency_conflict", o
            assert o.op.key in stored and stored[o.op.key] != o.op, o

    # Balances: the start plus every distinct successful transfer, and the invariants.
    expected = dict(circle["balances"])
    for op in stored.values():
        expected[op.debit] -= op.amount
        expected[op.credit] += op.amount
    currency = Currency.objects.get(pk=circle["currency_id"])
    actual = dict(Account.objects.filter(currency=currency).values_list("pk", "balance"))
    assert actual == expected
    assert invariant_violations(currency=currency) == []

    stats = Counter(o.result for o in outcomes)
    stats["transfers"] = len(transfers)
    stats["reversed targets"] = len(reversals)
    stats["retried keys"] = sum(1 for o in Counter(o.op.key for o in outcomes).values() if o > 1)
    ok_per_key = Counter(o.op.key for o in outcomes if o.result == "ok")
    stats["keys returned twice"] = sum(1 for n in ok_per_key.values() if n > 1)
    # The test must really have paid thousands of times and really have retried.
    assert stats["transfers"] >= 1000
    assert stats["keys returned twice"] >= 100
    return stats


# --- PostgreSQL: processes -----------------------------------------------------------------


def _process_main(
    db_name: str, circle: dict[str, Any], ops: list[Op], barrier: Any, results: Any, index: int
) -> None:
    """A spawned child: its own Django, pointed at the test database, its own connection."""
    outcomes: list[Outcome] = []
    seconds = 0.0
    failure = None
    try:
        from django.conf import settings

        # The settings module computes the non-test name; use the test database before any
        # query (and before django.setup(), which may already open a connection).
        settings.DATABASES["default"]["NAME"] = db_name
        import django

        django.setup()
        from django.db import connections as child_connections

        child_connections.close_all()  # nothing is inherited under spawn; safe under fork too
        outcomes, seconds = _pay_all(circle["community_id"], ops, barrier)
    except BaseException:
        failure = traceback.format_exc()
        barrier.abort()  # the others stop waiting for this one
    finally:
        from django.db import connections as child_connections

        child_connections.close_all()
    results.put((index, outcomes, seconds, failure))


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_postgresql_processes() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: run with DATABASE_URL=postgres://... (SQLite: threads test)")
    circle = _open_circle()
    plans = _plan(circle, per_worker=300, seed=random.randrange(10**6))
    db_name = connection.settings_dict["NAME"]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    processes = [
        ctx.Process(
            target=_process_main,
            args=(db_name, circle, plans[i], barrier, results, i),
            name=f"payer-{i}",
        )
        for i in range(WORKERS)
    ]
    started = time.monotonic()
    for process in processes:
        process.start()
    try:
        try:
            reports = [results.get(timeout=150) for _ in processes]
        except queue.Empty:
            codes = [p.exitcode for p in processes]
            pytest.fail(
                f"a payer process did not finish within 150 s (exit codes {codes}):"
                " lock waits or deadlocks (PostgreSQL resolves each after deadlock_timeout)?"
            )
        for process in processes:
            process.join(timeout=30)
    finally:
        for process in processes:
            if process.is_alive():  # only ever the children this test started
                process.kill()
                process.join()
    elapsed = time.monotonic() - started
    failures = [(i, failure) for i, _outcomes, _s, failure in reports if failure]
    assert failures == [], failures
    assert sorted(i for i, _o, _s, _f in reports) == list(range(WORKERS))
    assert [p.exitcode for p in processes] == [0] * WORKERS
    outcomes = [o for _i, worker_outcomes, _s, _f in reports for o in worker_outcomes]
    paying = max(seconds for _i, _o, seconds, _f in reports)
    assert len(outcomes) == sum(len(p) for p in plans)
    stats = _check(circle, outcomes)
    print(
        f"\n{WORKERS} processes: {len(outcomes)} requests in {paying:.1f}s"
        f" ({elapsed:.1f}s with start-up): {dict(stats)}"
    )


# --- SQLite: threads -----------------------------------------------------------------------


@contextmanager
def _connection_to(settings_dict: dict[str, Any]) -> Iterator[None]:
    """Point this thread's ``default`` connection at another database, then restore it.

    Django keeps one connection per alias per thread; replacing it in ``connections`` affects
    only the calling thread.
    """
    original = connections["default"]
    replacement = original.__class__(settings_dict, "default")
    connections["default"] = replacement
    try:
        yield
    finally:
        replacement.close()
        connections["default"] = original


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_sqlite_threads(tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only (PostgreSQL is tested with processes)")
    # pytest-django gives us Django's SQLite test database, which is IN MEMORY
    # ("file:memorydb_default?mode=memory&cache=shared"): every thread's connection shares it
    # through SQLite's shared cache, whose table locks fail at once with "database table is
    # locked" instead of waiting for the busy timeout, and which has no WAL. That is not how
    # buurtkit runs. So this test copies the migrated test database into a FILE (SQLite's
    # backup API), and every thread - this one included - swaps its own `default` connection
    # for one to that file with the real settings (IMMEDIATE transactions, timeout 20, WAL).
    # The in-memory test database is left alone and flushed as usual afterwards. (Were the
    # test database a file, because DATABASES TEST NAME is set, the copy works the same.)
    path = tmp_path / "ledger-threads.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    file_db = {**connection.settings_dict, "NAME": str(path)}

    with _connection_to(file_db):
        circle = _open_circle()
    plans = _plan(circle, per_worker=300, seed=random.randrange(10**6))
    barrier = threading.Barrier(WORKERS)
    reports: dict[int, tuple[list[Outcome], float]] = {}
    failures: dict[int, str] = {}

    def work(index: int) -> None:
        try:
            with _connection_to(file_db):
                reports[index] = _pay_all(circle["community_id"], plans[index], barrier)
        except BaseException:
            failures[index] = traceback.format_exc()
            barrier.abort()

    threads = [threading.Thread(target=work, args=(i,), name=f"payer-{i}") for i in range(WORKERS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=150)
    elapsed = time.monotonic() - started
    assert [t.name for t in threads if t.is_alive()] == [], "a payer never finished"
    assert failures == {}, failures
    assert sorted(reports) == list(range(WORKERS))
    outcomes = [o for i in range(WORKERS) for o in reports[i][0]]
    paying = max(seconds for _o, seconds in reports.values())
    assert len(outcomes) == sum(len(p) for p in plans)
    with _connection_to(file_db):
        stats = _check(circle, outcomes)
    print(
        f"\n{WORKERS} threads: {len(outcomes)} requests in {paying:.1f}s"
        f" ({elapsed:.1f}s in all): {dict(stats)}"
    )
