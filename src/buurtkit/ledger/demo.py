"""Demo data: the Rabot torekes circle with about four months of history, ending now.

Residents earn torekes by volunteering for neighbourhood organisations (gardening, cleaning up,
the school gate, the neighbourhood restaurant) and spend them in the local shops, on a bus
ticket or a plot in the community garden. People without a smartphone change digital torekes
for paper at the counter; shops bring the paper notes back; every month the shops' balances are
converted to euro. Everything goes through :mod:`buurtkit.ledger.services`, with the clock
frozen at each moment, so balances, running balances and the audit log are all consistent.
"""

from __future__ import annotations

import contextlib
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.ledger import services
from buurtkit.ledger.models import Account, AccountKind, SystemRole, TransferKind
from buurtkit.people.models import Membership, Organisation, OrganisationKind, Person

BRUSSELS = ZoneInfo("Europe/Brussels")
DAYS = 122  # about four months
RESIDENTS = 120
DEMO_RESIDENT = "bewoner"

ISSUER_KINDS = {
    OrganisationKind.ASSOCIATION,
    OrganisationKind.SCHOOL,
    OrganisationKind.CITY_DEPARTMENT,
}
# Monthly issuing budget per issuing organisation (torekes); others get the default.
BUDGETS = {"buurtwerk-rabot": 1500, "samenlevingsopbouw": 800, "stad-welzijn": 800}
DEFAULT_BUDGET = 500
PAPER_PRINTED = 4000

TASKS = {
    "buurtwerk-rabot": [
        ("Tuinieren in de buurtmoestuin", 20, 40),
        ("Helpen in het buurtrestaurant", 30, 60),
        ("Zwerfvuil opruimen in de wijk", 20, 40),
        ("Helpen op de rommelmarkt", 30, 50),
    ],
    "samenlevingsopbouw": [
        ("Bewonersvergadering mee voorbereiden", 20, 40),
        ("Folders rondbrengen in de blokken", 20, 30),
        ("Helpen bij de groepsaankoop energie", 30, 60),
    ],
    "school-wonderwijzer": [
        ("Begeleiden aan de schoolpoort", 20, 30),
        ("Voorlezen in de klas", 20, 40),
        ("Helpen bij het schoolfeest", 40, 60),
    ],
    "stad-welzijn": [
        ("Sneeuw en bladeren ruimen op het plein", 30, 50),
        ("Buren helpen met digitale formulieren", 30, 60),
        ("Opruimen na de buurtbarbecue", 20, 40),
    ],
}
DEFAULT_TASKS = [("Vrijwilligerswerk in de wijk", 20, 40)]

SHOP_ITEMS = {
    "bakkerij-torentje": [
        ("Brood", 5, 12),
        ("Brood en koffiekoeken", 8, 20),
        ("Taart voor een verjaardag", 20, 40),
    ],
    "buurtwinkel-rabot": [
        ("Boodschappen", 10, 40),
        ("Groenten en fruit", 5, 25),
        ("Spaarlampen", 15, 30),
    ],
}
DEFAULT_ITEMS = [("Aankoop", 5, 30)]
# Things organisations sell for torekes (the money goes round again as rewards).
ORGANISATION_ITEMS = {
    "buurtwerk-rabot": [("Busticket De Lijn", 20, 20), ("Maaltijd in het buurtrestaurant", 25, 35)],
    "samenlevingsopbouw": [("Perceel in de volkstuin (een maand)", 30, 30)],
}
GIFTS = ["Bedankt voor het oppassen", "Terug voor de boodschappen", "Voor de hulp bij de verhuis"]


@dataclass
class _Acc:
    account: Account
    balance: int = 0
    slug: str = ""
    person: Person | None = None


Action = Callable[[datetime], "list[tuple[datetime, Action]] | None"]


class _History:
    """Runs the transfers in time order and keeps the balances it needs to choose amounts."""

    def __init__(self, community: Any) -> None:
        self.system = Actor.system(community, label="demo")
        self.counter = replace(self.system, label="Loket Buurtwerk Rabot", channel="counter")
        self.coordinator = replace(self.system, label="coordinator", channel="web")
        self.seq = 0
        self.queue: list[tuple[datetime, int, Action]] = []
        self.planned = 0

    def plan(self, at: datetime, action: Action) -> None:
        self.planned += 1
        heapq.heappush(self.queue, (at, self.planned, action))

    def run_until(self, now: datetime) -> None:
        """Run what was planned in time order (follow-ups included), up to ``now``."""
        while self.queue:
            at, _n, action = heapq.heappop(self.queue)
            if at >= now:
                continue
            for later, follow_up in action(at) or []:
                self.plan(later, follow_up)
        self.balances: dict[int, int] = {}

    def move(
        self,
        at: datetime,
        debit: _Acc,
        credit: _Acc,
        amount: int,
        kind: str,
        description: str,
        actor: Actor | None = None,
    ) -> int:
        self.seq += 1
        with clock.frozen(at):
            transfer = services.transfer_create(
                actor=actor or self.system,
                debit_account_id=debit.account.pk,
                credit_account_id=credit.account.pk,
                amount=amount,
                kind=kind,
                description=description,
                idempotency_key=f"demo-ledger-{self.seq:05d}",
            )
        debit.balance -= amount
        credit.balance += amount
        return transfer.pk

    def reverse(
        self, at: datetime, transfer_id: int, debit: _Acc, credit: _Acc, amount: int, reason: str
    ) -> None:
        """Correct ``transfer_id`` (which moved ``amount`` from ``debit`` to ``credit``)."""
        self.seq += 1
        with clock.frozen(at):
            services.transfer_reverse(
                actor=self.coordinator,
                transfer_id=transfer_id,
                reason=reason,
                idempotency_key=f"demo-ledger-{self.seq:05d}",
            )
        credit.balance -= amount
        debit.balance += amount


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BRUSSELS)


DEMO_PIN = "2468"


def _budgets_and_office(h: _History, issuers: list[_Acc], now: datetime) -> None:
    """Monthly issuing budgets over the history and next month, and one exchange office."""
    today = now.astimezone(BRUSSELS).date()
    month = (today - timedelta(days=DAYS)).replace(day=1)
    last = (today.replace(day=1) + timedelta(days=62)).replace(day=1)
    while month < last:
        following = (month + timedelta(days=32)).replace(day=1)
        for issuer in issuers:
            services.budget_create(
                actor=h.system,
                account_id=issuer.account.pk,
                starts_on=month,
                ends_on=following - timedelta(days=1),
                amount=4000,
            )
        month = following
    host = next(
        (i for i in issuers if i.slug == "buurtwerk-rabot"), issuers[0] if issuers else None
    )
    if host is None or host.account.organisation_id is None:
        return
    office = services.exchange_office_create(
        actor=h.system, name="Wisselkantoor Rabot", organisation_id=host.account.organisation_id
    )
    services.office_opening_float(
        actor=h.system,
        office_id=office.pk,
        notes={1: 100, 5: 60, 10: 40, 20: 20},
        idempotency_key="demo-opening-float",
    )


def load(community: Any) -> list[tuple[str, str, str]]:
    """Open the circle and write about four months of history. Adds no logins."""
    rng = random.Random(4020)  # the same history every time (relative to today)
    h = _History(community)
    currency = services.currency_create(
        actor=h.system,
        code="TOR",
        names={
            "nl": {"singular": "toreke", "plural": "torekes"},
            "fr": {"singular": "toreke", "plural": "torekes"},
            "en": {"singular": "toreke", "plural": "torekes"},
        },
        decimals=0,
        denominations=[1, 5, 10, 20],
        euro_cents_per_unit=10,
    )
    system_accounts = {
        a.system_role: _Acc(a) for a in Account.objects.filter(currency=currency, kind="system")
    }
    issuance = system_accounts[SystemRole.ISSUANCE]
    paper = system_accounts[SystemRole.PAPER]
    redemption = system_accounts[SystemRole.REDEMPTION]

    orgs = list(Organisation.objects.filter(community=community).order_by("pk"))
    issuers = [
        _Acc(
            services.account_open(
                actor=h.system, kind=AccountKind.ORGANISATION, organisation_id=o.pk
            ),
            slug=o.slug,
        )
        for o in orgs
        if o.kind in ISSUER_KINDS
    ]
    merchants = [
        _Acc(
            services.account_open(actor=h.system, kind=AccountKind.MERCHANT, organisation_id=o.pk),
            slug=o.slug,
        )
        for o in orgs
        if o.kind == OrganisationKind.MERCHANT
    ]
    sellers = [a for a in issuers if a.slug in ORGANISATION_ITEMS]

    people = list(Person.objects.filter(community=community).select_related("user").order_by("pk"))
    demo_person = next(
        (p for p in people if p.user is not None and p.user.username == DEMO_RESIDENT), None
    )
    others = [p for p in people if p is not demo_person]
    chosen = rng.sample(others, min(len(others), RESIDENTS - (1 if demo_person else 0)))
    if demo_person is not None:
        chosen.insert(0, demo_person)
    residents = [
        _Acc(
            services.account_open(actor=h.system, kind=AccountKind.RESIDENT, person_id=p.pk),
            person=p,
        )
        for p in chosen
    ]
    me = residents[0] if demo_person is not None else None

    buurtwerk = next((i for i in issuers if i.slug == "buurtwerk-rabot"), None) or (
        issuers[0] if issuers else None
    )
    # Who volunteers where: two thirds of the residents, most of them for one organisation.
    volunteers: dict[str, list[_Acc]] = {i.slug: [] for i in issuers}
    for r in residents:
        if r is me:
            continue  # rewarded every Wednesday, below
        if issuers and rng.random() < 0.67:
            for issuer in rng.sample(issuers, 2 if rng.random() < 0.2 else 1):
                volunteers[issuer.slug].append(r)
    no_phone = [r for r in residents if r.person is not None and not r.person.has_smartphone]

    now = clock.now()
    today = now.astimezone(BRUSSELS).date()
    first_day = today - timedelta(days=DAYS - 1)
    last_redeemed: tuple[int, int] | None = None

    for offset in range(DAYS):
        day = first_day + timedelta(days=offset)
        # Budgets: on the first day and on the first of every month, then the paper run.
        if offset == 0 or day.day == 1:
            for issuer in issuers:
                h.plan(_at(day, 8, 0), partial(_budget, h, issuance=issuance, issuer=issuer))
        if offset == 0:
            h.plan(_at(day, 8, 5), partial(_print_paper, h, issuance=issuance, paper=paper))
        # Shops' balances are converted to euro on the first working morning of the month.
        month = (day.year, day.month)
        if offset > 0 and month != last_redeemed and day.day <= 3 and day.weekday() < 5:
            last_redeemed = month
            for merchant in merchants:
                h.plan(
                    _at(day, 7, 30),
                    partial(
                        _redeem,
                        h,
                        merchant=merchant,
                        redemption=redemption,
                        cents_per_unit=currency.euro_cents_per_unit,
                    ),
                )

        weekday = day.weekday()
        busy = 1.0 if weekday < 5 else (0.6 if weekday == 5 else 0.25)
        # Rewards for volunteering.
        for issuer in issuers:
            pool = volunteers[issuer.slug]
            if not pool or rng.random() >= busy:
                continue
            for _i in range(rng.randint(0, 2)):
                h.plan(
                    _at(day, rng.randint(10, 17), rng.randint(0, 59)),
                    partial(_reward, h, rng, issuer=issuer, resident=rng.choice(pool)),
                )
        if me is not None and buurtwerk is not None and weekday == 2:
            # The demo resident helps in the community garden every Wednesday.
            h.plan(_at(day, 16, 30), lambda at: _reward(h, rng, at, buurtwerk, me))
        # Payments in the shops and at the organisations.
        for _i in range(int(rng.randint(5, 10) * busy)):
            h.plan(
                _at(day, rng.randint(8, 18), rng.randint(0, 59)),
                lambda at: _payment(h, rng, at, residents, merchants, sellers, me),
            )
        # Now and then neighbours pay each other.
        if rng.random() < 0.12:
            h.plan(
                _at(day, rng.randint(9, 20), rng.randint(0, 59)),
                lambda at: _gift(h, rng, at, residents, me),
            )
        # The exchange office is open on Tuesday and Thursday afternoon.
        if weekday in (1, 3):
            for _i in range(rng.randint(1, 3) if no_phone else 0):
                h.plan(
                    _at(day, rng.randint(13, 16), rng.randint(0, 59)),
                    partial(_to_paper, h, rng, resident=rng.choice(no_phone), paper=paper),
                )
            if rng.random() < 0.6:
                h.plan(
                    _at(day, rng.randint(13, 16), rng.randint(0, 59)),
                    partial(
                        _from_paper,
                        h,
                        rng,
                        account=rng.choice(residents),
                        paper=paper,
                        low=10,
                        high=60,
                    ),
                )
            for merchant in merchants if weekday == 3 else []:
                h.plan(
                    _at(day, 15, rng.randint(0, 59)),
                    partial(_from_paper, h, rng, account=merchant, paper=paper, low=40, high=160),
                )
        # Two corrections: a double payment at the bakery, a reward to the wrong neighbour.
        if offset == DAYS // 3 and merchants:
            h.plan(_at(day, 11, 12), lambda at: _double_payment(h, at, residents, merchants[0], me))
        if offset == (2 * DAYS) // 3 and buurtwerk is not None:
            h.plan(_at(day, 14, 40), lambda at: _wrong_reward(h, rng, at, buurtwerk, residents, me))

        h.run_until(now)
    _budgets_and_office(h, issuers, now)
    if demo_person is None:
        return []
    services.pin_set(actor=h.system, person_id=demo_person.pk, pin=DEMO_PIN, identity_checked=True)
    return [("payment PIN", demo_person.user.username if demo_person.user else "", DEMO_PIN)]


def _reward(
    h: _History, rng: random.Random, at: datetime, issuer: _Acc | None, resident: _Acc
) -> None:
    if issuer is None:
        return
    task, low, high = rng.choice(TASKS.get(issuer.slug, DEFAULT_TASKS))
    amount = rng.randint(low // 5, high // 5) * 5
    if issuer.balance >= amount:
        h.move(at, issuer, resident, amount, TransferKind.REWARD, task)


def _pay_actor(h: _History, resident: _Acc) -> Actor:
    person = resident.person
    assert person is not None
    if person.has_smartphone:
        return replace(h.system, label=person.full_name, person_id=person.pk, channel="app")
    return replace(h.counter, on_behalf_of_id=person.pk)


def _spendable(resident: _Acc, me: _Acc | None) -> int:
    # The demo resident saves: they keep a few hundred torekes to try paying with.
    return resident.balance - 250 if resident is me else resident.balance


def _payment(
    h: _History,
    rng: random.Random,
    at: datetime,
    residents: list[_Acc],
    merchants: list[_Acc],
    sellers: list[_Acc],
    me: _Acc | None,
) -> None:
    payer = rng.choice(residents)
    for _try in range(2):  # people with torekes to spend are the ones in the shops
        if _spendable(payer, me) >= 5:
            break
        payer = rng.choice(residents)
    if sellers and rng.random() < 0.15:
        payee = rng.choice(sellers)
        what, low, high = rng.choice(ORGANISATION_ITEMS[payee.slug])
    elif merchants:
        payee = rng.choice(merchants)
        what, low, high = rng.choice(SHOP_ITEMS.get(payee.slug, DEFAULT_ITEMS))
    else:
        return
    amount = min(rng.randint(low, high), _spendable(payer, me))
    if amount >= max(5, low):
        h.move(at, payer, payee, amount, TransferKind.PAYMENT, what, _pay_actor(h, payer))


def _gift(
    h: _History, rng: random.Random, at: datetime, residents: list[_Acc], me: _Acc | None
) -> None:
    payer, payee = rng.sample(residents, 2)
    amount = min(rng.randint(1, 6) * 5, _spendable(payer, me))
    if amount >= 5:
        h.move(
            at, payer, payee, amount, TransferKind.PAYMENT, rng.choice(GIFTS), _pay_actor(h, payer)
        )


def _to_paper(h: _History, rng: random.Random, at: datetime, resident: _Acc, paper: _Acc) -> None:
    amount = min(rng.randint(2, 8) * 5, resident.balance // 5 * 5)
    if amount >= 10:
        actor = replace(h.counter, on_behalf_of_id=resident.person.pk if resident.person else None)
        h.move(
            at,
            resident,
            paper,
            amount,
            TransferKind.EXCHANGE_OUT,
            "Papieren torekes afgehaald",
            actor,
        )


def _from_paper(
    h: _History, rng: random.Random, at: datetime, account: _Acc, paper: _Acc, low: int, high: int
) -> None:
    amount = min(rng.randint(low // 5, high // 5) * 5, paper.balance)
    if amount >= 5:
        h.move(
            at,
            paper,
            account,
            amount,
            TransferKind.EXCHANGE_IN,
            "Papieren torekes binnengebracht",
            h.counter,
        )


def _print_paper(h: _History, at: datetime, issuance: _Acc, paper: _Acc) -> None:
    """Paper notes come first: the exchange office needs a stock to hand out."""
    h.move(at, issuance, paper, PAPER_PRINTED, TransferKind.ISSUE, "Papieren torekes gedrukt")


def _budget(h: _History, at: datetime, issuance: _Acc, issuer: _Acc) -> None:
    amount = BUDGETS.get(issuer.slug, DEFAULT_BUDGET)
    h.move(at, issuance, issuer, amount, TransferKind.ISSUE, f"Budget {at:%m/%Y}")


def _redeem(
    h: _History, at: datetime, merchant: _Acc, redemption: _Acc, cents_per_unit: int
) -> None:
    if merchant.balance > 0:
        cents = merchant.balance * cents_per_unit
        h.move(
            at,
            merchant,
            redemption,
            merchant.balance,
            TransferKind.REDEMPTION,
            f"Omgezet naar euro: € {cents // 100},{cents % 100:02d}",
            h.coordinator,
        )


def _correct(
    h: _History, transfer_id: int, debit: _Acc, credit: _Acc, amount: int, reason: str
) -> Action:
    def run(at: datetime) -> None:
        if credit.balance >= amount:
            h.reverse(at, transfer_id, debit, credit, amount, reason)

    return run


def _double_payment(
    h: _History, at: datetime, residents: list[_Acc], shop: _Acc, me: _Acc | None
) -> list[tuple[datetime, Action]]:
    payer = next((r for r in residents if r is not me and r.balance >= 30), None)
    if payer is None:
        return []
    actor = _pay_actor(h, payer)
    what = "Brood en koffiekoeken"
    h.move(at, payer, shop, 12, TransferKind.PAYMENT, what, actor)
    twice = h.move(at + timedelta(seconds=40), payer, shop, 12, TransferKind.PAYMENT, what, actor)
    reason = "Twee keer betaald aan de kassa"
    return [(at + timedelta(hours=2), _correct(h, twice, payer, shop, 12, reason))]


def _wrong_reward(
    h: _History,
    rng: random.Random,
    at: datetime,
    issuer: _Acc,
    residents: list[_Acc],
    me: _Acc | None,
) -> list[tuple[datetime, Action]]:
    wrong, right = rng.sample([r for r in residents if r is not me], 2)
    if issuer.balance < 80:
        return []
    task = "Opruimen na de buurtbarbecue"
    first = h.move(at, issuer, wrong, 40, TransferKind.REWARD, task)
    reason = "Beloning aan de verkeerde buur gegeven"

    def give_right(later: datetime) -> None:
        h.move(later, issuer, right, 40, TransferKind.REWARD, task)

    return [
        (at + timedelta(minutes=25), _correct(h, first, issuer, wrong, 40, reason)),
        (at + timedelta(minutes=26), give_right),
    ]


SHOP_CODE_SHOP = "bakkerij-torentje"


def shop_codes(community: Any) -> list[tuple[str, str, str]]:
    """A QR code on the bakery's counter: residents scan it to pay the bakery. Adds no logins.

    Made a little over three months ago, so the QR demo's scan history fits in its lifetime.
    """
    from buurtkit.ledger import qr
    from buurtkit.qrcodes import services as qr_services

    shop = (
        Account.objects.in_community(community)
        .filter(kind=AccountKind.MERCHANT, organisation__slug=SHOP_CODE_SHOP)
        .select_related("organisation")
        .first()
    )
    if shop is None or shop.organisation is None:
        return []
    system = Actor.system(community, label="demo")
    with clock.frozen(clock.now() - timedelta(days=100)):
        qr_services.code_create(
            actor=system,
            title=f"Toonbank {shop.organisation.name}",
            description="Sticker op de toonbank naast de kassa: scan en betaal in torekes.",
            owner_id=shop.organisation_id,
            tags=["winkel", "betalen"],
            link_type=qr.LINK_TYPE,
            link_id=shop.number,
            routes=qr.pay_routes(shop.number),
        )
    return []


FOUR_EYES_ISSUER = "stad-welzijn"  # the staff login ``medewerker`` works there


def four_eyes(community: Any) -> list[tuple[str, str, str]]:
    """A large reward that ``medewerker`` (staff of the city's welfare department) asked for
    and that waits for a second person: the coordinator approves it on the issuing page. The
    other way round works too: a large reward the coordinator gives from that department's
    budget waits for ``medewerker``. Adds no logins."""
    from django.contrib.auth import get_user_model

    from buurtkit.core.errors import ServiceError
    from buurtkit.people.selectors import actor_for_user

    user = get_user_model().objects.filter(username="medewerker").first()
    issuer = (
        Account.objects.in_community(community)
        .filter(kind=AccountKind.ORGANISATION, organisation__slug=FOUR_EYES_ISSUER)
        .first()
    )
    resident = (
        Account.objects.in_community(community)
        .filter(kind=AccountKind.RESIDENT, frozen=False)
        .exclude(person__user__username=DEMO_RESIDENT)
        .order_by("pk")
        .first()
    )
    actor = actor_for_user(user=user, community=community) if user is not None else None
    if actor is None or issuer is None or resident is None:
        return []
    threshold = services.reward_approval_threshold(issuer.currency)
    try:
        services.reward_create(
            actor=actor,
            issuer_account_id=issuer.pk,
            resident_account_id=resident.pk,
            amount=threshold + 10**issuer.currency.decimals * 50,
            reason="Drie maanden elke week de buurtmaaltijd mee gekookt",
            idempotency_key="demo-four-eyes",
        )
    except ServiceError:
        return []  # the budget ran out in this history: the page still lets one try it
    return []


PARTNER_LOGIN = "school"  # a partner who issues from the school's budget only
PARTNER_ORGANISATION = "school-wonderwijzer"


def partner_issuer(community: Any) -> list[tuple[str, str, str]]:
    """A partner login (issue 16): ``school``, a trusted volunteer of the primary school, who
    rewards volunteers from the school's budget and from no other organisation's
    (``services.may_issue_from``). A large reward they asked for waits for a second person:
    someone else of the school or the coordinator (on the issuing page). Returns the login."""
    from django.contrib.auth import get_user_model

    from buurtkit.core.demo import DEMO_PASSWORD
    from buurtkit.core.errors import ServiceError
    from buurtkit.people import services as people_services
    from buurtkit.people.selectors import actor_for_user

    school = Organisation.objects.in_community(community).filter(slug=PARTNER_ORGANISATION).first()
    if school is None:
        return []
    User = get_user_model()
    user = User.objects.filter(username=PARTNER_LOGIN).first()
    if user is None:
        user = User.objects.create_user(
            username=PARTNER_LOGIN, password=DEMO_PASSWORD, email="school@example.org"
        )
    if not Membership.objects.in_community(community).filter(user=user).exists():
        people_services.membership_grant(
            actor=Actor.system(community, label="demo"),
            username=PARTNER_LOGIN,
            roles=["trusted_volunteer"],
            organisation_id=school.pk,
        )
    login = [("trusted_volunteer", PARTNER_LOGIN, DEMO_PASSWORD)]
    actor = actor_for_user(user=user, community=community)
    issuer = (
        Account.objects.in_community(community)
        .filter(kind=AccountKind.ORGANISATION, organisation=school)
        .first()
    )
    resident = (
        Account.objects.in_community(community)
        .filter(kind=AccountKind.RESIDENT, frozen=False)
        .exclude(person__user__username=DEMO_RESIDENT)
        .order_by("-pk")
        .first()
    )
    if actor is None or issuer is None or resident is None:
        return login
    threshold = services.reward_approval_threshold(issuer.currency)
    with contextlib.suppress(ServiceError):  # the budget ran out in this history: still a login
        services.reward_create(
            actor=actor,
            issuer_account_id=issuer.pk,
            resident_account_id=resident.pk,
            amount=threshold + 10**issuer.currency.decimals * 20,
            reason="Een schooljaar lang elke week voorgelezen in de klas",
            idempotency_key="demo-partner-four-eyes",
        )
    return login
