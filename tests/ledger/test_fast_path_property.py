"""Property: the PostgreSQL fast path and the ORM path agree on any sequence of payments.

Hypothesis draws a short sequence of steps: payments as a client types them
(``transfer_submit``) or in minor units (``transfer_create``), by different actors (the system,
a coordinator, a clerk acting for a resident, someone acting for her without the right to pay,
a shop, an issuer's staff, a resident, a key without rights), between any two accounts (system
accounts, an unknown id, another community's account), with retries of an earlier request (the
same key and body), reuse of an earlier key for another request, bad amounts, and freezes and
lower limits changed in between. The same sequence runs twice, each time in a new community
with the same circle: once with ``LEDGER_FAST_PATH = False`` (the ORM path, as on SQLite) and
once with it on. Every step's outcome (the transfer, or the error's class, code, status,
message and fields), the balances, limits and frozen flags, the transfers, their fingerprints,
the audit rows and the SMS receipts queued must be the same, compared by the accounts' names.

``tests/ledger/test_fast_path.py`` compares one fixed scenario (and the API, in autocommit);
this finds the combinations nobody wrote down. It runs inside the test's transaction, so the
fast path runs in a savepoint, as when a service pays as part of more work. Checked once by
breaking a rule on one path (the ORM path ignoring a frozen payee; the fast path letting anyone
acting for a resident pay): each failed, shrunk to three or four steps.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ServiceError
from buurtkit.core.permissions import permissions_for_roles
from buurtkit.core.services import community_create
from buurtkit.ledger import services
from buurtkit.ledger.models import Account, Transfer
from buurtkit.ledger.services import _fast_path
from tests.ledger.conftest import Circle, make_circle
from tests.ledger.test_fast_path import _names, _rows

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the fast path exists on PostgreSQL only: run with DATABASE_URL=postgres://...",
    ),
]

PAYERS = ["alice", "bob", "merchant", "issuer", "issuance", "paper", "unknown", "foreign"]
PAYEES = ["alice", "bob", "merchant", "issuer", "redemption", "paper", "unknown", "foreign"]
PEOPLE = ["alice", "bob", "merchant", "issuer"]  # accounts that can be frozen or given a limit
ACTORS = ["system", "coordinator", "counter", "helper", "shop", "club", "staff", "alice"]
ACTORS += ["stranger"]
TYPED = ["1", "3", "12", "2.5", "2,0", "0", "-3", "abc", "", "600", "1000000000001"]
MINOR = [1, 3, 12, 600, 0, -2, 10**12 + 1]
# Who pays from where (see _actors): payments that go through, so balances move and retries
# find a first result, and near misses, each refused by one rule. Most payments are drawn from
# these (with amounts that fit); the rest from every actor, account and amount.
TYPICAL = [
    ("system", "alice", "merchant"),
    ("system", "bob", "alice"),
    ("coordinator", "alice", "bob"),
    ("coordinator", "merchant", "alice"),
    ("counter", "alice", "merchant"),  # a clerk acting for alice
    ("shop", "merchant", "bob"),
    ("club", "issuer", "merchant"),
    ("alice", "alice", "bob"),  # her own account (submit: the PIN question)
    ("counter", "bob", "merchant"),  # acting for alice, bob's account
    ("helper", "alice", "merchant"),  # acting for alice without the right to pay
    ("staff", "alice", "merchant"),  # the right to pay for someone, acting for nobody
    ("shop", "issuer", "alice"),  # not the shop's organisation
    ("alice", "bob", "merchant"),  # not hers
    ("stranger", "alice", "merchant"),  # a key without rights
    ("system", "merchant", "redemption"),  # not a payment's kind of account
]


@dataclass(frozen=True)
class Pay:
    call: str  # "submit" (amount as typed) or "create" (minor units)
    actor: str
    debit: str
    credit: str
    amount: str | int
    kind: str
    description: str
    key: tuple[str, int]  # ("new", _), ("retry", n): step n again, ("reuse", n): n's key


@dataclass(frozen=True)
class Freeze:
    account: str
    frozen: bool


@dataclass(frozen=True)
class Limit:
    account: str
    lower_limit: int


KEYS = st.one_of(
    st.just(("new", 0)),
    st.just(("new", 0)),
    st.tuples(st.sampled_from(["retry", "retry", "reuse"]), st.integers(0, 20)),
)


def _likely(who: tuple[str, str, str], call: str, amount: str, description: str, key: Any) -> Pay:
    actor, debit, credit = who
    return Pay(
        call,
        actor,
        debit,
        credit,
        amount if call == "submit" else int(amount),
        "payment",
        description,
        key,
    )


LIKELY = st.builds(
    _likely,
    who=st.sampled_from(TYPICAL),
    call=st.sampled_from(["submit", "create"]),
    amount=st.sampled_from(["1", "3", "5", "12", "40", "450"]),
    description=st.sampled_from(["", "brood & koffie"]),
    key=KEYS,
)
ANY = st.one_of(
    st.builds(
        Pay,
        call=st.just("submit"),
        actor=st.sampled_from(ACTORS),
        debit=st.sampled_from(PAYERS),
        credit=st.sampled_from(PAYEES),
        amount=st.sampled_from(TYPED),
        kind=st.sampled_from(["payment"] * 5 + ["reward"]),
        description=st.sampled_from(["", "", "brood & koffie"]),
        key=KEYS,
    ),
    st.builds(
        Pay,
        call=st.just("create"),
        actor=st.sampled_from(ACTORS),
        debit=st.sampled_from(PAYERS),
        credit=st.sampled_from(PAYEES),
        amount=st.sampled_from(MINOR),
        kind=st.just("payment"),
        description=st.sampled_from(["", "brood & koffie"]),
        key=KEYS,
    ),
)
STEPS = st.lists(
    st.one_of(
        LIKELY,
        LIKELY,
        LIKELY,
        ANY,
        ANY,
        st.builds(Freeze, account=st.sampled_from(PEOPLE), frozen=st.booleans()),
        st.builds(Limit, account=st.sampled_from(PEOPLE), lower_limit=st.sampled_from([0, -50])),
    ),
    min_size=2,
    max_size=10,
)


def _actors(circle: Circle) -> dict[str, Actor]:
    community = circle.actor.community
    alice = circle.alice.person_id or 0
    return {
        "system": circle.actor,
        "coordinator": Actor(
            community=community,
            label="coordinator",
            user_id=5,
            permissions=permissions_for_roles({"coordinator"}),
        ),
        "counter": Actor(
            community=community,
            label="clerk",
            user_id=7,
            permissions=permissions_for_roles({"counter_clerk"}),
        ).acting_for(alice),
        "helper": Actor(  # acting for alice, without the right to pay for her
            community=community,
            label="helper",
            user_id=13,
            permissions=permissions_for_roles({"auditor"}),
        ).acting_for(alice),
        "shop": Actor(
            community=community,
            label="shop",
            organisation_ids=frozenset({circle.merchant.organisation_id or 0}),
            channel="web",
        ),
        "club": Actor(
            community=community,
            label="club",
            user_id=9,
            permissions=frozenset({"ledger.issue"}),
            organisation_ids=frozenset({circle.issuer.organisation_id or 0}),
        ),
        "staff": Actor(
            community=community,
            label="staff",
            user_id=11,
            permissions=permissions_for_roles({"staff"}),
        ),
        "alice": Actor(community=community, label="alice", person_id=alice),
        "stranger": Actor(community=community, label="api:viewer", api_key_id=99, channel="api"),
    }


def _run(
    steps: list[Any], *, fast: bool, foreign: int, capture: Callable[..., Any]
) -> tuple[list[Any], dict[str, Any], int]:
    """The steps in a new community's circle: each step's outcome, the rows, receipts queued."""
    with override_settings(LEDGER_FAST_PATH=fast):
        community = community_create(
            name="Wijk", slug=f"wijk-{uuid.uuid4().hex[:12]}", enabled_modules=["ledger"]
        )
        circle = make_circle(Actor.system(community, label="test"))
        Account.objects.filter(pk=circle.merchant.pk).update(sms_receipts=True)
        ids, numbers = _names(circle)
        pks = {name: pk for pk, name in ids.items()}
        pks["unknown"] = max(ids) + 100_000
        pks["foreign"] = foreign
        actors = _actors(circle)
        sent: list[tuple[str, Pay]] = []  # (key, request) of each payment so far
        outcomes: list[Any] = []

        def named(text: str) -> str:
            for number, name in numbers.items():
                text = text.replace(number, f"<{name}>")
            return text

        def pay(step: Pay) -> Transfer:
            how, n = step.key
            if how == "retry" and sent:
                key, step = sent[n % len(sent)]
            elif how == "reuse" and sent:
                key = sent[n % len(sent)][0]
            else:
                key = f"k{len(sent)}"
            sent.append((key, step))
            common = {
                "actor": actors[step.actor],
                "debit_account_id": pks[step.debit],
                "credit_account_id": pks[step.credit],
                "idempotency_key": key,
                "kind": step.kind,
                "description": step.description,
            }
            if step.call == "submit":
                return services.transfer_submit(amount=str(step.amount), **common)
            return services.transfer_create(amount=int(step.amount), **common)

        with capture() as callbacks, translation.override("en"):
            for step in steps:
                if isinstance(step, Freeze):
                    services.account_set_frozen(
                        actor=circle.actor, account_id=pks[step.account], frozen=step.frozen
                    )
                    continue
                if isinstance(step, Limit):
                    try:  # (a limit above the balance is refused by a check constraint)
                        with transaction.atomic():
                            Account.objects.filter(pk=pks[step.account]).update(
                                lower_limit=step.lower_limit
                            )
                    except IntegrityError:
                        outcomes.append(("limit refused", step.account))
                    continue
                try:
                    t = pay(step)
                except ServiceError as exc:
                    outcomes.append(
                        (
                            type(exc).__name__,
                            exc.code,
                            exc.status,
                            named(str(exc.detail)),
                            {k: named(str(v)) for k, v in exc.fields.items()},
                        )
                    )
                    continue
                outcomes.append(
                    (
                        "ok",
                        t.replayed,
                        t.kind,
                        ids[t.debit_id],
                        ids[t.credit_id],
                        t.amount,
                        t.description,
                        t.idempotency_key,
                        t.currency.code,
                        t.debit_balance_after,
                        t.credit_balance_after,
                        t.actor_label,
                        t.channel,
                    )
                )
        return outcomes, _rows(circle), len(callbacks)


def test_the_fast_path_and_the_orm_path_agree_on_random_payments(
    db: Any, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"fast": 0, "orm": 0}
    path = {"now": "orm"}
    real = _fast_path.fetchone_server_bound

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[path["now"]] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(_fast_path, "fetchone_server_bound", counting)
    other = community_create(name="Elders", slug="elders", enabled_modules=["ledger"])
    foreign = make_circle(Actor.system(other, label="test"), funds=0).bob.pk

    # Sized for CI: about half a minute on two cores (40 sequences of 2 to 10 steps).
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(steps=STEPS)
    def both_paths_agree(steps: list[Any]) -> None:
        path["now"] = "orm"
        orm = _run(steps, fast=False, foreign=foreign, capture=django_capture_on_commit_callbacks)
        path["now"] = "fast"
        fast = _run(steps, fast=True, foreign=foreign, capture=django_capture_on_commit_callbacks)
        for n, (orm_outcome, fast_outcome) in enumerate(zip(orm[0], fast[0], strict=True)):
            assert fast_outcome == orm_outcome, (n, steps)
        assert fast[1] == orm[1], steps  # transfers, audit rows, balances, limits, frozen
        assert fast[2] == orm[2], steps  # SMS receipts queued after commit

    both_paths_agree()
    assert calls["orm"] == 0  # LEDGER_FAST_PATH = False never calls the function
    assert calls["fast"] > 0  # and the fast runs did
