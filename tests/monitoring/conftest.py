"""A hand-built world for monitoring, built once per test module (tests/worlds.py): two
municipalities, digipunten, sessions and who came, hand-overs, transfers, Buurbel participants
and QR scans over the first half of 2026, with the clock frozen on 15 June 2026."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from buurtkit.activities.models import (
    Category,
    Duty,
    Registration,
    Series,
    Session,
    TrainingTrack,
    Volunteer,
)
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.modules import MODULES
from buurtkit.core.services import community_create
from buurtkit.helpexchange.models import Deal, Post, Response
from buurtkit.ledger.models import Account, Currency, Transfer
from buurtkit.lending.models import AgreementText, Device, HandOver, HandOverDevice
from buurtkit.monitoring import rollup
from buurtkit.neighbours.models import Introduction, Participant
from buurtkit.people import services as people_services
from buurtkit.places.models import Municipality, Place
from buurtkit.qrcodes.models import Code, CodeDay, Tag
from tests.worlds import rolled_back_world

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
_n = itertools.count(1)


def at(day: str, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


@dataclass
class World:
    community_id: int
    other_id: int
    kortrijk: int
    heule: int
    place_a: int
    place_b: int
    persons: dict[str, int]


def _places(c: Any) -> tuple[Municipality, Municipality, Place, Place]:
    kortrijk = Municipality.objects.create(community=c, name="Kortrijk", postcodes=["8500"])
    heule = Municipality.objects.create(community=c, name="Heule", postcodes=["8501"])

    def place(name: str, m: Municipality, hood: str, opened: str, **kw: Any) -> Place:
        return Place.objects.create(
            community=c, name=name, kind=kw.pop("kind", "digipunt"), municipality=m,
            neighbourhood=hood, status=kw.pop("status", "open"), opened_at=at(opened), **kw,
        )  # fmt: skip

    a = place("Digipunt Centrum", kortrijk, "Centrum", "2026-01-10")
    b = place("Digipunt Heule", heule, "Dorp", "2026-03-05")
    closed = place("Digipunt Oud", kortrijk, "Overleie", "2026-02-01", status="closed")
    Place.objects.filter(pk=closed.pk).update(updated_at=at("2026-03-20"))
    place("Bib", kortrijk, "Centrum", "2026-01-02", kind="library_store")  # not a digipunt
    place("Digipunt later", kortrijk, "Centrum", "2026-07-01")  # opens after now
    return kortrijk, heule, a, b


def _activities(c: Any, a: Place, b: Place, p: dict[str, Any]) -> None:
    topic = Category.objects.create(community=c, key="online", name={"nl": "Online"})
    cafe = Series.objects.create(community=c, kind="it_cafe", title={"nl": "IT-café"})
    course = Series.objects.create(
        community=c, kind="course", category=topic, title={"nl": "Cursus"}
    )

    def session(series: Series, place: Place, start: datetime, **kw: Any) -> Session:
        return Session.objects.create(
            community=c, series=series, place=place, starts_at=start,
            ends_at=start.replace(hour=23, minute=59), capacity=20, **kw,
        )  # fmt: skip

    s1 = session(cafe, a, at("2026-01-20"))
    s2 = session(cafe, b, at("2026-02-10"))
    s3 = session(course, a, at("2026-02-12"))
    session(cafe, a, at("2026-02-15"), cancelled_at=at("2026-02-01"))
    s5 = session(cafe, a, at("2026-07-01"))  # still to come
    s6 = session(course, a, at("2026-01-31", 23, 30))  # 1 February in Brussels

    def came(person: Any, s: Session, state: str = "attended") -> None:
        Registration.objects.create(
            community=c, session=s, person=person, state=state, channel="desk",
            registered_at=at("2026-01-01"), changed_at=at("2026-01-01"),
        )  # fmt: skip

    for s in (s1, s2, s3):
        came(p["p1"], s)
    came(p["p2"], s1)
    came(p["p3"], s2, "no_show")
    came(p["p4"], s6)
    came(p["p4"], s5)  # marked in advance by mistake: a session to come is not counted
    v1 = Volunteer.objects.create(
        community=c, person=p["v1"], track=TrainingTrack.CERTIFIED, certified_on=date(2026, 2, 1)
    )
    Volunteer.objects.create(community=c, person=p["v2"], track=TrainingTrack.IN_TRAINING)
    Duty.objects.create(
        community=c, volunteer=v1, session=s2, starts_at=s2.starts_at, ends_at=s2.ends_at
    )


def _lending(c: Any, a: Place, b: Place, p: dict[str, Any]) -> None:
    text = AgreementText.objects.create(
        community=c, kind="gift", language="nl", version=1, title="Schenking", body="…"
    )

    def handover(person: Any, place: Place | None, day: str, kind: str, online: str,
                 devices: list[str]) -> None:  # fmt: skip
        h = HandOver.objects.create(
            community=c, kind=kind, person=person, place=place, handed_at=at(day),
            handed_by_label="test", agreement_text=text, language="nl", connectivity=online,
        )  # fmt: skip
        for kind_of_device in devices:
            device = Device.objects.create(
                community=c, label=f"DB-{next(_n):06d}", kind=kind_of_device,
                state="handed_over", state_changed_at=at(day),
            )  # fmt: skip
            HandOverDevice.objects.create(community=c, handover=h, device=device)

    handover(p["p1"], a, "2026-01-15", "gift", "social_tariff", ["laptop", "tablet"])
    handover(p["p5"], None, "2026-03-03", "loan", "none", ["laptop"])  # lives in Heule
    handover(p["p1"], b, "2026-04-04", "gift", "own", ["pc"])


def _ledger(c: Any, p: dict[str, Any]) -> None:
    currency = Currency.objects.create(community=c, code="TOR", decimals=0)

    def account(number: str, kind: str, role: str = "", person: Any = None) -> Account:
        return Account.objects.create(
            community=c, currency=currency, number=number, kind=kind, system_role=role,
            name=number, person=person,
        )  # fmt: skip

    issuance = account("900000001", "system", "issuance")
    redemption = account("900000002", "system", "redemption")
    resident = account("100000001", "resident", person=p["p1"])
    shop = account("200000001", "merchant")

    def move(debit: Account, credit: Account, amount: int, kind: str, day: str) -> Transfer:
        return Transfer.objects.create(
            community=c, currency=currency, debit=debit, credit=credit, amount=amount,
            kind=kind, idempotency_key=f"k{next(_n)}", request_hash="x", at=at(day),
            actor_label="test", debit_balance_after=0, credit_balance_after=0,
        )  # fmt: skip

    move(issuance, resident, 100, "reward", "2026-01-05")
    move(resident, shop, 30, "payment", "2026-02-06")
    move(shop, redemption, 20, "redemption", "2026-03-07")
    wrong = move(issuance, shop, 50, "issue", "2026-03-09")
    correction = move(shop, issuance, 50, "reversal", "2026-03-10")
    assert correction.pk > wrong.pk


def _helpexchange(c: Any, other: Any, p: dict[str, Any]) -> None:
    """Posts and deals: one done with a reward paid (January post, February), one done without
    (posted 23:30 UTC on 31 January: February here), one agreed, one open, one after now."""
    held = Account.objects.create(
        community=c, currency=Currency.objects.get(community=c), number="900000009",
        kind="system", system_role="held", name="held",
    )  # fmt: skip
    resident = Account.objects.get(community=c, number="100000001")

    def post(community: Any, kind: str, category: str, hood: str, person: Any, day: datetime,
             state: str) -> Post:  # fmt: skip
        return Post.objects.create(
            community=community, kind=kind, category=category, neighbourhood=hood,
            person=person, title="Hulp", state=state, created_at=day, expires_at=at("2026-12-31"),
            posted_by_label="test",
        )  # fmt: skip

    def deal(made: Post, state: str, closed: datetime | None, reward: int = 0) -> None:
        answer = Response.objects.create(
            community=c, post=made, person=p["p2"], created_at=made.created_at
        )
        payout = None
        if reward:
            payout = Transfer.objects.create(
                community=c, currency=held.currency, debit=held, credit=resident, amount=reward,
                kind="hold_payout", idempotency_key=f"k{next(_n)}", request_hash="x", at=closed,
                actor_label="test", debit_balance_after=0, credit_balance_after=0,
            )  # fmt: skip
        Deal.objects.create(
            community=c, post=made, response=answer, helper=p["p2"], state=state, reward=reward,
            payout=payout, agreed_at=made.created_at, closed_at=closed,
        )  # fmt: skip

    moving = post(c, "request", "moving", "Centrum", p["p1"], at("2026-01-10"), "done")
    deal(moving, "done", at("2026-02-05"), reward=15)
    computer = post(c, "offer", "computer", "Dorp", p["p5"], at("2026-01-31", 23, 30), "done")
    deal(computer, "done", at("2026-03-03"))
    agreed = post(c, "request", "moving", "Centrum", p["p1"], at("2026-03-05"), "agreed")
    deal(agreed, "agreed", None)
    post(c, "request", "moving", "Centrum", p["p1"], at("2026-03-01"), "open")
    post(c, "request", "moving", "Centrum", p["p1"], at("2026-07-01"), "open")  # after now
    post(other, "request", "moving", "Centrum", None, at("2026-02-01"), "open")  # elsewhere


def _buurbel(c: Any, p: dict[str, Any]) -> None:
    one = Participant.objects.create(
        community=c, person=p["p2"], neighbourhood="Rabot", consent_at=at("2026-01-10")
    )
    two = Participant.objects.create(
        community=c, person=p["p3"], neighbourhood="Rabot", consent_at=at("2026-02-10"),
        opted_out_at=at("2026-04-02"),
    )  # fmt: skip
    for outcome, day in (
        ("connected", "2026-03-01"),
        ("met", "2026-03-15"),
        ("agreed", "2026-03-01"),
    ):
        Introduction.objects.create(
            community=c, participant_a=one, participant_b=two, outcome=outcome, at=at(day),
            actor_label="test",
        )  # fmt: skip


def _qr(c: Any) -> None:
    def code(name: str, tags: list[str]) -> Code:
        made = Code.objects.create(
            community=c, code=f"mon{next(_n)}", title=name, status="active",
            created_at=at("2026-01-01"), updated_at=at("2026-01-01"),
        )  # fmt: skip
        for tag in tags:
            made.tags.add(Tag.objects.get_or_create(community=c, name=tag)[0])
        return made

    bench = code("Bank", ["bank", "park"])
    poster = code("Affiche", [])
    CodeDay.objects.create(community=c, code=bench, day=date(2026, 2, 3), scans=5)
    CodeDay.objects.create(community=c, code=poster, day=date(2026, 2, 4), scans=3)
    CodeDay.objects.create(community=c, code=bench, day=date(2026, 3, 1), scans=2)


def _helpdesk(c: Any, other: Any, a: Place, p: dict[str, Any]) -> None:
    """Tickets by channel (one after now, one of another community) and home visits: two
    done (one on 31 March 23:30 UTC: April in Brussels), one cancelled, one still planned."""
    from buurtkit.helpdesk.models import Category as Topic
    from buurtkit.helpdesk.models import HomeVisit, Ticket

    itsme = Topic.objects.create(community=c, key="itsme-eid", name={"nl": "itsme"})
    numbers = itertools.count(1)

    def ticket(community: Any, channel: str, when: datetime, **kw: Any) -> Ticket:
        return Ticket.objects.create(
            community=community, number=next(numbers), channel=channel, subject="vraag",
            created_at=when, updated_at=when, **kw,
        )  # fmt: skip

    ticket(c, "phone", at("2026-01-10"), place=a, person=p["p1"], category=itsme)
    ticket(c, "email", at("2026-02-05"), person=p["p5"])  # 8501: Heule
    ticket(c, "counter", at("2026-01-31", 23, 30), place=a)  # 1 February in Brussels
    ticket(c, "chat", at("2026-07-01"))  # after now
    ticket(other, "phone", at("2026-01-10"))
    home = ticket(c, "counter", at("2026-03-01"), kind="home_help", person=p["p2"])

    def visit(community: Any, on: Ticket, status: str, out: datetime | None) -> None:
        HomeVisit.objects.create(
            community=community, ticket=on, provider="Thuishulp", address="Straat 1",
            scheduled_at=at("2026-03-05"), expected_minutes=60, budget_year=2026, status=status,
            checked_in_at=out, checked_out_at=out, created_at=at("2026-03-01"),
        )  # fmt: skip

    visit(c, home, "done", at("2026-03-10"))
    visit(c, home, "done", at("2026-03-31", 23, 30))
    visit(c, home, "cancelled", None)
    visit(c, home, "planned", None)
    visit(
        other, ticket(other, "phone", at("2026-03-01"), kind="home_help"), "done", at("2026-03-10")
    )


def build_world() -> World:
    c = community_create(name="Kortrijk", slug="kortrijk", enabled_modules=list(MODULES))
    other = community_create(name="Elders", slug="elders", enabled_modules=list(MODULES))
    system = Actor.system(c, label="test")
    persons = {
        name: people_services.person_create(
            actor=system, first_name=name, last_name="Test", postcode=postcode
        )
        for name, postcode in (
            ("p1", "8500"), ("p2", "8500"), ("p3", "8500"), ("p4", "8500"), ("p5", "8501"),
            ("v1", "8500"), ("v2", "8501"),
        )
    }  # fmt: skip
    kortrijk, heule, a, b = _places(c)
    _activities(c, a, b, persons)
    _lending(c, a, b, persons)
    _ledger(c, persons)
    _buurbel(c, persons)
    _qr(c)
    _helpdesk(c, other, a, persons)
    _helpexchange(c, other, persons)
    # Another community's digipunt and session in the same months: never counted here.
    elsewhere = Place.objects.create(
        community=other, name="Elders", kind="digipunt", status="open", opened_at=at("2026-01-11")
    )
    Session.objects.create(
        community=other, place=elsewhere, starts_at=at("2026-01-20"), ends_at=at("2026-01-20", 15),
        capacity=5, series=Series.objects.create(community=other, kind="it_cafe", title={}),
    )  # fmt: skip
    with clock.frozen(NOW):
        rollup.recount_community(c, full=True)
        rollup.recount_community(other, full=True)
    return World(
        c.pk, other.pk, kortrijk.pk, heule.pk, a.pk, b.pk, {k: v.pk for k, v in persons.items()}
    )


@pytest.fixture(scope="module")
def _world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with rolled_back_world(django_db_blocker):
        with django_db_blocker.unblock():
            world = build_world()
        yield world


@pytest.fixture
def world(db: Any, _world: World) -> Iterator[World]:
    with clock.frozen(NOW):
        yield _world
