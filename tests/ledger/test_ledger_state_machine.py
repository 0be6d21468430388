"""A property-based state machine over one currency circle (issue 4).

Hypothesis drives random sequences of payments, rewards, issuing, paper exchanges, redemptions,
reversals (also of reversals, and twice), freezes and idempotency-key reuse against the real
services and the real database. The machine keeps its own model of what every request should
do — succeed, return the first result of a retried key, or be refused — and of every balance,
and after every step it checks that the database agrees and that every ledger invariant holds.

Each example opens its own community (a fresh slug), so examples never see each other's rows
and nothing depends on a rollback between examples: all examples run inside the one test
transaction of the ``db`` fixture.

There is no service to change an account's lower limit (yet), so limits are exercised through
the currency's default lower limit, drawn per example (0, or a credit line below zero).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from buurtkit.audit.models import AuditEvent
from buurtkit.core.actor import Actor
from buurtkit.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from buurtkit.core.services import community_create
from buurtkit.ledger import services
from buurtkit.ledger.models import Account, Transfer
from buurtkit.ledger.selectors import invariant_violations
from buurtkit.ledger.services import MAX_AMOUNT, InsufficientBalance
from buurtkit.people.services import organisation_create, person_create

RESIDENTS = ["r0", "r1", "r2"]
MERCHANTS = ["m0", "m1"]
ORGS = ["org"]
PEOPLE_ACCOUNTS = RESIDENTS + MERCHANTS + ORGS
SYSTEM = ["issuance", "paper", "redemption"]
ALL_ACCOUNTS = PEOPLE_ACCOUNTS + SYSTEM
KINDS = ["payment", "reward", "issue", "exchange_in", "exchange_out", "redemption"]

# Which roles each kind of transfer may move money between (issue 4: residents, merchants and
# issuers pay each other; issuers reward residents; the issuance account issues to issuers and
# to paper; paper is exchanged for digital money and back; merchants redeem for euro).
ROLE_TABLE: dict[str, tuple[set[str], set[str]]] = {
    "payment": (
        {"resident", "merchant", "organisation"},
        {"resident", "merchant", "organisation"},
    ),
    "reward": ({"organisation"}, {"resident"}),
    "issue": ({"issuance"}, {"organisation", "paper"}),
    "exchange_in": ({"paper"}, {"resident", "merchant"}),
    "exchange_out": ({"resident", "merchant"}, {"paper"}),
    "redemption": ({"merchant"}, {"redemption"}),
}

# Small amounts that usually fit, large ones that usually do not, and invalid ones.
SMALL = st.integers(1, 60)
AMOUNTS = st.one_of(
    SMALL,
    SMALL,
    SMALL,
    st.integers(61, 5_000),
    st.sampled_from([0, -3, MAX_AMOUNT, MAX_AMOUNT + 1]),
)
# None: a new key; an integer n: reuse the n-th most recent key (with whatever body this step
# draws: usually a different one, so the request must be refused).
KEYS = st.one_of(st.none(), st.none(), st.none(), st.integers(min_value=0, max_value=10_000))
DESCRIPTIONS = st.sampled_from(["", "", "boodschappen"])


def _event(what: str) -> None:
    """Count outcomes (shown by ``--hypothesis-show-statistics`` for @given tests)."""
    if currently_in_test_context():
        event(what)


@dataclass
class Acc:
    name: str
    pk: int
    role: str  # kind, or system role for system accounts
    limit: int
    balance: int = 0
    frozen: bool = False

    @property
    def system(self) -> bool:
        return self.role in SYSTEM


@dataclass(frozen=True)
class Row:
    """What the model knows of one stored transfer; the database must never change it."""

    debit: int
    credit: int
    amount: int
    kind: str
    reverses: int | None
    key: str


class Refused(Exception):
    """The model's prediction: the request must be refused with one of ``allowed``."""

    def __init__(self, *allowed: type[ServiceError]) -> None:
        super().__init__(", ".join(t.__name__ for t in allowed))
        self.allowed = allowed


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.acc: dict[str, Acc] = {}
        self.by_pk: dict[int, Acc] = {}
        self.rows: dict[int, Row] = {}  # transfer id -> row
        self.reversed: set[int] = set()  # ids of transfers that have been reversed
        self.keys: dict[str, tuple[tuple[Any, ...], int]] = {}  # key -> (body, transfer id)
        self.tried_keys: list[str] = []  # every key sent, also refused ones
        self.requests: list[tuple[str, tuple[Any, ...]]] = []  # (key, body) sent, for retries
        self.retry_mismatches: list[str] = []
        self.expected_audits = 0
        self.key_seq = 0
        self.last = ""  # what the last step did, for failure messages

    # --- set-up ----------------------------------------------------------------------------

    @initialize(limit=st.sampled_from([0, 0, -50]))
    def open_circle(self, limit: int) -> None:
        slug = f"sm-{uuid.uuid4().hex[:16]}"
        community = community_create(name="Machine", slug=slug, enabled_modules=["ledger"])
        self.community = community
        self.system = Actor.system(community, label="state machine")
        self.currency = services.currency_create(
            actor=self.system,
            code="TOR",
            names={"nl": {"singular": "toreke", "plural": "torekes"}},
            denominations=[1, 5, 10],
            default_lower_limit=limit,
        )
        persons: dict[str, int] = {}
        for name in RESIDENTS:
            person = person_create(actor=self.system, first_name=name)
            persons[name] = person.pk
            account = services.account_open(actor=self.system, kind="resident", person_id=person.pk)
            self._remember(name, account)
        for name in MERCHANTS + ORGS:
            org = organisation_create(
                actor=self.system,
                name=name,
                slug=name,
                kind="merchant" if name in MERCHANTS else "association",
            )
            kind = "merchant" if name in MERCHANTS else "organisation"
            account = services.account_open(actor=self.system, kind=kind, organisation_id=org.pk)
            self._remember(name, account)
        for account in Account.objects.filter(currency=self.currency, kind="system"):
            self._remember(account.system_role, account)
        self.residents = {
            name: Actor(
                community=community,
                label=name,
                person_id=persons[name],
                permissions=frozenset(),
            )
            for name in RESIDENTS
        }
        self.expected_audits = self._audits()
        # Start with some money around so that most payments can succeed.
        self._send(self.system, "transfer", "issuance", "org", 400, "issue", "", self._new_key())
        for name in RESIDENTS:
            self._send(self.system, "transfer", "org", name, 60, "reward", "", self._new_key())

    def _remember(self, name: str, account: Account) -> None:
        role = account.system_role or account.kind
        acc = Acc(name=name, pk=account.pk, role=role, limit=account.lower_limit)
        assert account.balance == 0
        self.acc[name] = acc
        self.by_pk[account.pk] = acc

    # --- the model -------------------------------------------------------------------------

    def _new_key(self) -> str:
        self.key_seq += 1
        return f"k{self.key_seq}"

    def _key(self, choice: int | None) -> str:
        if choice is None or not self.tried_keys:
            return self._new_key()
        return self.tried_keys[-1 - choice % len(self.tried_keys)]

    def _audits(self) -> int:
        return AuditEvent.objects.in_community(self.community).count()

    def _transfers(self) -> int:
        return Transfer.objects.in_community(self.community).count()

    def _predict(
        self, key: str, body: tuple[Any, ...], extra: type[ServiceError] | None = None
    ) -> int | None:
        """The transfer id a retried key must return, None for a new transfer; or raise Refused.

        ``extra`` is a reason to refuse that the caller knows of (a missing permission).
        """
        if body[0] == "transfer":
            _op, debit, credit, amount, kind, _description = body
            if amount <= 0 or amount > MAX_AMOUNT:
                raise Refused(ValidationFailed)  # checked before the key is looked up
        else:
            _op, original_id = body
            if original_id not in self.rows:
                raise Refused(NotFound)
            original = self.rows[original_id]
            if original.kind == "reversal":
                raise Refused(Conflict)  # checked before the key is looked up
            debit, credit, amount, kind = original.credit, original.debit, original.amount, None
        if key in self.keys:
            first_body, first_id = self.keys[key]
            if first_body != body:
                raise Refused(Conflict)
            return first_id
        reasons: set[type[ServiceError]] = {extra} if extra else set()
        d, c = self.by_pk[debit], self.by_pk[credit]
        if debit == credit:
            reasons.add(ValidationFailed)
        if body[0] == "reverse" and body[1] in self.reversed:
            reasons.add(Conflict)
        if d.frozen or c.frozen:
            reasons.add(Conflict)
        if kind is not None:
            sources, targets = ROLE_TABLE[kind]
            if d.role not in sources or c.role not in targets:
                reasons.add(ValidationFailed)
        if not d.system and d.balance - amount < d.limit:
            reasons.add(InsufficientBalance)
        if reasons:
            raise Refused(*reasons)
        return None

    def _send(
        self,
        actor: Actor,
        op: str,
        debit_or_id: str | int,
        credit: str = "",
        amount: int = 0,
        kind: str = "payment",
        description: str = "",
        key: str = "",
        refused_as: type[ServiceError] | None = None,
    ) -> None:
        """Send one request, compare the outcome with the model's prediction, update the model."""
        if op == "transfer":
            assert isinstance(debit_or_id, str)
            d, c = self.acc[debit_or_id], self.acc[credit]
            body: tuple[Any, ...] = ("transfer", d.pk, c.pk, amount, kind, description)
        else:
            body = ("reverse", debit_or_id)
        self.last = f"{body} key={key} actor={actor.label}"
        prediction: Refused | None = None
        try:
            expected_id = self._predict(key, body, refused_as)
        except Refused as refused:
            prediction = refused
        transfers_before, audits_before = self._transfers(), self._audits()
        self.tried_keys.append(key)
        self.requests.append((key, body))
        try:
            if op == "transfer":
                result = services.transfer_create(
                    actor=actor,
                    debit_account_id=body[1],
                    credit_account_id=body[2],
                    amount=amount,
                    kind=kind,
                    description=description,
                    idempotency_key=key,
                )
            else:
                result = services.transfer_reverse(
                    actor=actor, transfer_id=body[1], idempotency_key=key
                )
        except ServiceError as exc:
            assert prediction is not None, f"{self.last}: refused with {exc!r}, model: success"
            assert isinstance(exc, prediction.allowed), (
                f"{self.last}: refused with {exc!r}, model expected {prediction}"
            )
            # Checked again by the invariant; here too, to name the step that wrote something.
            assert (self._transfers(), self._audits()) == (transfers_before, audits_before)
            _event(f"{kind if op == 'transfer' else op}: refused ({type(exc).__name__})")
            return
        assert prediction is None, f"{self.last}: succeeded, model expected refusal {prediction}"
        _event(f"{kind if op == 'transfer' else op}: {'retried' if expected_id else 'new'}")
        if expected_id is not None:
            if result.pk != expected_id:
                self.retry_mismatches.append(f"{key}: {result.pk} != first {expected_id}")
            return
        # A new transfer: apply it to the model.
        debit, credit = self.by_pk[result.debit_id], self.by_pk[result.credit_id]
        assert (debit.pk, credit.pk, result.amount) == (
            (body[1], body[2], amount)
            if op == "transfer"
            else (self.rows[body[1]].credit, self.rows[body[1]].debit, self.rows[body[1]].amount)
        )
        debit.balance -= result.amount
        credit.balance += result.amount
        assert (result.debit_balance_after, result.credit_balance_after) == (
            debit.balance,
            credit.balance,
        ), f"{self.last}: running balances on the transfer are wrong"
        reverses = body[1] if op == "reverse" else None
        if reverses is not None:
            self.reversed.add(reverses)
        self.rows[result.pk] = Row(
            debit=debit.pk,
            credit=credit.pk,
            amount=result.amount,
            kind=result.kind,
            reverses=reverses,
            key=key,
        )
        self.keys[key] = (body, result.pk)
        self.expected_audits += 1

    # --- rules -----------------------------------------------------------------------------

    @rule(
        debit=st.sampled_from(PEOPLE_ACCOUNTS),
        credit=st.sampled_from(PEOPLE_ACCOUNTS),
        amount=AMOUNTS,
        key=KEYS,
        description=DESCRIPTIONS,
    )
    def pay(self, debit: str, credit: str, amount: int, key: int | None, description: str) -> None:
        self._send(
            self.system, "transfer", debit, credit, amount, "payment", description, self._key(key)
        )

    @rule(
        payer=st.sampled_from(RESIDENTS),
        other=st.one_of(st.none(), st.none(), st.sampled_from(RESIDENTS)),
        credit=st.sampled_from(MERCHANTS + RESIDENTS),
        amount=st.integers(1, 80),
    )
    def resident_pays_with_phone(
        self, payer: str, other: str | None, credit: str, amount: int
    ) -> None:
        """A resident may pay from their own account only (``other``: try someone else's)."""
        debit = other or payer
        self._send(
            self.residents[payer],
            "transfer",
            debit,
            credit,
            amount,
            "payment",
            "",
            self._new_key(),
            refused_as=None if payer == debit else PermissionDenied,
        )

    @rule(resident=st.sampled_from([*RESIDENTS, "m0"]), amount=AMOUNTS, key=KEYS)
    def reward(self, resident: str, amount: int, key: int | None) -> None:
        self._send(self.system, "transfer", "org", resident, amount, "reward", "", self._key(key))

    @rule(to=st.sampled_from(["org", "org", "paper", "r0"]), amount=AMOUNTS, key=KEYS)
    def issue(self, to: str, amount: int, key: int | None) -> None:
        self._send(self.system, "transfer", "issuance", to, amount, "issue", "", self._key(key))

    @rule(
        account=st.sampled_from([*RESIDENTS, *MERCHANTS, "org"]),
        direction=st.sampled_from(["exchange_in", "exchange_out"]),
        amount=AMOUNTS,
        key=KEYS,
    )
    def exchange(self, account: str, direction: str, amount: int, key: int | None) -> None:
        """At the exchange office: paper for digital money (in) or digital for paper (out)."""
        debit, credit = ("paper", account) if direction == "exchange_in" else (account, "paper")
        self._send(self.system, "transfer", debit, credit, amount, direction, "", self._key(key))

    @rule(
        merchant=st.sampled_from([*MERCHANTS, "r1"]),
        share=st.sampled_from(["all", "half", "too much"]),
        key=KEYS,
    )
    def redeem(self, merchant: str, share: str, key: int | None) -> None:
        """Convert (part of) a merchant's balance to euro."""
        balance = self.acc[merchant].balance
        amount = {"all": balance, "half": balance // 2, "too much": balance + 1}[share]
        self._send(
            self.system,
            "transfer",
            merchant,
            "redemption",
            amount,
            "redemption",
            "",
            self._key(key),
        )

    @rule(
        kind=st.sampled_from(KINDS),
        debit=st.sampled_from(ALL_ACCOUNTS),
        credit=st.sampled_from(ALL_ACCOUNTS),
        amount=AMOUNTS,
        key=KEYS,
    )
    def any_transfer(
        self, kind: str, debit: str, credit: str, amount: int, key: int | None
    ) -> None:
        """Any kind between any two accounts: only the combinations of the role table pass."""
        self._send(self.system, "transfer", debit, credit, amount, kind, "", self._key(key))

    @rule(which=st.integers(min_value=0), key=KEYS, missing=st.integers(0, 9))
    def reverse(self, which: int, key: int | None, missing: int) -> None:
        """Reverse a random earlier transfer (a reversal, an unknown id, or a reversed one too)."""
        ids = sorted(self.rows)
        transfer_id = ids[which % len(ids)] if missing else max(ids) + 1000
        self._send(self.system, "reverse", transfer_id, key=self._key(key))

    @precondition(lambda self: bool(self.reversed))
    @rule(which=st.integers(min_value=0))
    def reverse_again(self, which: int) -> None:
        """A second correction of an already corrected transfer, with a new key."""
        ids = sorted(self.reversed)
        self._send(self.system, "reverse", ids[which % len(ids)], key=self._new_key())

    @precondition(lambda self: bool(self.requests))
    @rule(which=st.integers(min_value=0))
    def retry(self, which: int) -> None:
        """Send an earlier request again, exactly (a double click, a lost answer)."""
        key, body = self.requests[-1 - which % len(self.requests)]
        if body[0] == "transfer":
            _op, debit, credit, amount, kind, description = body
            self._send(
                self.system,
                "transfer",
                self.by_pk[debit].name,
                self.by_pk[credit].name,
                amount,
                kind,
                description,
                key,
            )
        else:
            self._send(self.system, "reverse", body[1], key=key)

    @rule(account=st.sampled_from(ALL_ACCOUNTS), frozen=st.sampled_from([True, False, False]))
    def freeze(self, account: str, frozen: bool) -> None:
        acc = self.acc[account]
        self.last = f"freeze {account} -> {frozen}"
        before = (self._transfers(), self._audits())
        try:
            services.account_set_frozen(actor=self.system, account_id=acc.pk, frozen=frozen)
        except ValidationFailed:
            assert acc.system, f"{self.last}: refused"
            assert (self._transfers(), self._audits()) == before
            return
        assert not acc.system, f"{self.last}: a system account was frozen"
        acc.frozen = frozen
        self.expected_audits += 1

    # --- invariants (checked after every step) --------------------------------------------

    @invariant()
    def ledger_invariants_hold(self) -> None:
        assert invariant_violations(currency=self.currency) == [], self.last

    @invariant()
    def database_matches_model(self) -> None:
        accounts = Account.objects.filter(currency=self.currency)
        assert {a.pk: (a.balance, a.frozen) for a in accounts} == {
            a.pk: (a.balance, a.frozen) for a in self.acc.values()
        }, self.last

    @invariant()
    def nothing_written_beyond_the_model(self) -> None:
        """Refused requests and retries wrote nothing; each new transfer wrote one row + one audit."""
        stored = {
            t.pk: Row(
                debit=t.debit_id,
                credit=t.credit_id,
                amount=t.amount,
                kind=t.kind,
                reverses=t.reverses_id,
                key=t.idempotency_key,
            )
            for t in Transfer.objects.in_community(self.community)
        }
        # Equal rows also mean no transfer was changed or removed (append-only).
        assert stored == self.rows, self.last
        assert self._audits() == self.expected_audits, self.last

    @invariant()
    def retried_keys_returned_the_first_transfer(self) -> None:
        assert self.retry_mismatches == [], self.last
        stored = dict(
            Transfer.objects.in_community(self.community).values_list("idempotency_key", "pk")
        )
        assert stored == {key: first_id for key, (_body, first_id) in self.keys.items()}


def test_ledger_state_machine(db: Any) -> None:
    # Sized to run well under a minute on two cores on SQLite and on PostgreSQL.
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


@pytest.mark.parametrize("limit", [0, -50])
def test_machine_model_sanity(db: Any, limit: int) -> None:
    """A fixed walk through the machine, so a broken model fails loudly and readably."""
    machine = LedgerMachine()
    machine.open_circle(limit=limit)
    machine.pay(debit="r0", credit="m0", amount=10, key=None, description="")
    machine.retry(which=0)  # the same request again: the same transfer
    machine.pay(debit="r1", credit="m0", amount=11, key=0, description="")  # same key: refused
    machine.reverse(which=4, key=None, missing=1)  # the payment of 10
    machine.reverse_again(which=0)
    machine.redeem(merchant="m0", share="all", key=None)  # nothing left: refused
    machine.pay(debit="r1", credit="m0", amount=20, key=None, description="")
    machine.redeem(merchant="m0", share="all", key=None)
    machine.reverse(which=0, key=None, missing=0)  # an unknown transfer
    machine.freeze(account="r2", frozen=True)
    machine.reward(resident="r2", amount=5, key=None)
    machine.freeze(account="paper", frozen=True)
    machine.resident_pays_with_phone(payer="r0", other="r1", credit="m1", amount=1)
    machine.resident_pays_with_phone(payer="r0", other=None, credit="m1", amount=1)
    for check in (
        machine.ledger_invariants_hold,
        machine.database_matches_model,
        machine.nothing_written_beyond_the_model,
        machine.retried_keys_returned_the_first_transfer,
    ):
        check()
    assert machine.acc["m0"].balance == 0
    kinds = [row.kind for row in machine.rows.values()]
    assert kinds[4:] == ["payment", "reversal", "payment", "redemption", "payment"]
    assert machine.acc["r0"].balance == 59 and machine.acc["m1"].balance == 1
