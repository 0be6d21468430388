"""A circle that runs without a shell (issue 16): the currency, exchange offices, budgets and
shops set up through services, pages, CLI and API; issuing scoped to one's own organisation;
the public list of places that accept the currency; the home-screen manifest and icons."""

from __future__ import annotations

import struct
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

import buurtkit.ledger
from buurtkit.audit.models import AuditEvent
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.ledger import services
from buurtkit.ledger.models import (
    Account,
    Currency,
    ExchangeOffice,
    IssuingBudget,
    PendingReward,
    Transfer,
)
from buurtkit.ledger.selectors import invariant_violations, local_today
from buurtkit.people import services as people_services
from buurtkit.people.models import Organisation
from buurtkit.people.selectors import actor_for_user
from tests.conftest import PASSWORD

NAMES = {"nl": {"singular": "toreke", "plural": "torekes"}}


def key() -> str:
    return uuid.uuid4().hex


def _org(system: Actor, slug: str, kind: str = "association", address: str = "") -> Organisation:
    return people_services.organisation_create(
        actor=system, name=slug.capitalize(), slug=slug, kind=kind, address=address
    )


def _currency(system: Actor, **extra: Any) -> Currency:
    return services.currency_set(actor=system, code="TOR", names=NAMES, **extra)


def _period() -> tuple[str, str]:
    today = local_today()
    return (today - timedelta(days=1)).isoformat(), (today + timedelta(days=30)).isoformat()


# --- the currency ------------------------------------------------------------------------------


def test_currency_set_makes_then_changes_and_repeats_harmlessly(system: Actor) -> None:
    made = _currency(
        system, denominations="1, 5, 10", euro_cents_per_unit="10", approval_threshold="50"
    )
    assert made.created and made.changed
    assert made.names == {"nl": {"singular": "toreke", "plural": "torekes"}}
    assert made.denominations == [1, 5, 10] and made.euro_cents_per_unit == 10
    assert Account.objects.filter(currency=made, kind="system").count() == 3
    assert services.reward_approval_threshold(made) == 50
    events = AuditEvent.objects.filter(community=system.community).count()

    again = _currency(
        system, denominations=[10, 5, 1], euro_cents_per_unit=10, approval_threshold="50"
    )
    assert (again.pk, again.created, again.changed) == (made.pk, False, False)
    assert AuditEvent.objects.filter(community=system.community).count() == events

    changed = _currency(system, euro_cents_per_unit=12, denominations=[5])
    assert changed.changed and not changed.created
    made.refresh_from_db()
    assert (made.euro_cents_per_unit, made.denominations) == (12, [5])

    with pytest.raises(Conflict) as fixed:
        services.currency_set(actor=system, code="TRK", names=NAMES)
    assert fixed.value.code == "currency_fixed"
    with pytest.raises(Conflict):
        services.currency_set(actor=system, code="TOR", names=NAMES, decimals=2)
    assert Currency.objects.filter(community=system.community).count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"code": "", "names": NAMES}, "code"),
        ({"code": "TO R", "names": NAMES}, "code"),
        ({"code": "TOR", "names": {"en": {"singular": "toreke", "plural": "torekes"}}}, "names"),
        ({"code": "TOR", "names": NAMES, "decimals": 5}, "decimals"),
        ({"code": "TOR", "names": NAMES, "euro_cents_per_unit": -1}, "euro_cents_per_unit"),
        ({"code": "TOR", "names": NAMES, "denominations": "1, 0"}, "denominations"),
        ({"code": "TOR", "names": NAMES, "approval_threshold": "-5"}, "approval_threshold"),
    ],
)
def test_currency_set_refuses_bad_input_and_writes_nothing(
    system: Actor, values: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.currency_set(actor=system, **values)
    assert field in refused.value.fields
    assert not Currency.objects.filter(community=system.community).exists()
    assert not Account.objects.filter(community=system.community).exists()


def _staff(community: Community) -> Actor:
    return Actor(
        community=community,
        label="staff",
        user_id=77,
        permissions=frozenset({"ledger.view", "ledger.issue", "ledger.open_account"}),
    )


def test_only_a_coordinator_sets_a_circle_up(system: Actor) -> None:
    staff = _staff(system.community)
    org = _org(system, "buurtwerk")
    with pytest.raises(PermissionDenied):
        services.currency_set(actor=staff, code="TOR", names=NAMES)
    _currency(system)
    start, end = _period()
    for call in (
        lambda: services.exchange_office_open(actor=staff, name="Loket", organisation_id=org.pk),
        lambda: services.organisation_budget_create(
            actor=staff, organisation_id=org.pk, starts_on=start, ends_on=end, amount="100"
        ),
        lambda: services.shop_accept(actor=staff, organisation_id=org.pk),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert not ExchangeOffice.objects.exists() and not IssuingBudget.objects.exists()


# --- offices, budgets, shops: retries and refusals --------------------------------------------


def test_office_key_replays_and_conflicts(system: Actor) -> None:
    _currency(system)
    org = _org(system, "buurtwerk", address="Rabotstraat 1, 9000 Gent")
    k = key()
    first = services.exchange_office_open(
        actor=system, name="Loket", organisation_id=org.pk, idempotency_key=k
    )
    again = services.exchange_office_open(
        actor=system, name="Loket", organisation_id=org.pk, idempotency_key=k
    )
    assert again.pk == first.pk and again.replayed
    with pytest.raises(Conflict) as conflict:
        services.exchange_office_open(
            actor=system, name="Loket 2", organisation_id=org.pk, idempotency_key=k
        )
    assert conflict.value.code == "idempotency_conflict"
    with pytest.raises(ValidationFailed):  # no key: the same name twice is refused
        services.exchange_office_open(actor=system, name="Loket", organisation_id=org.pk)
    assert ExchangeOffice.objects.count() == 1
    assert Account.objects.filter(kind="till").count() == 1


def test_budget_opens_the_issuer_account_once_and_replays(system: Actor) -> None:
    _currency(system)
    org = _org(system, "buurtwerk")
    start, end = _period()
    k = key()
    budget = services.organisation_budget_create(
        actor=system,
        organisation_id=org.pk,
        starts_on=start,
        ends_on=end,
        amount="300",
        idempotency_key=k,
    )
    assert budget.account.kind == "organisation" and budget.account.organisation_id == org.pk
    again = services.organisation_budget_create(
        actor=system,
        organisation_id=org.pk,
        starts_on=start,
        ends_on=end,
        amount="300",
        idempotency_key=k,
    )
    assert again.pk == budget.pk and again.replayed
    with pytest.raises(Conflict):
        services.organisation_budget_create(
            actor=system,
            organisation_id=org.pk,
            starts_on=start,
            ends_on=end,
            amount="301",
            idempotency_key=k,
        )
    with pytest.raises(ValidationFailed) as overlap:  # another key, an overlapping period
        services.organisation_budget_create(
            actor=system, organisation_id=org.pk, starts_on=start, ends_on=end, amount="5"
        )
    assert overlap.value.code == "budget_overlap"
    assert IssuingBudget.objects.count() == 1
    assert Account.objects.filter(kind="organisation").count() == 1
    # The budget's money is issued to the organisation once, whatever the retries.
    issued = Transfer.objects.get(kind="issue")
    assert (issued.credit_id, issued.amount) == (budget.account_id, 300)
    budget.account.refresh_from_db()
    assert budget.account.balance == 300


def test_a_refused_budget_leaves_no_issuer_account(system: Actor) -> None:
    _currency(system)
    org = _org(system, "school")
    start, end = _period()
    with pytest.raises(ValidationFailed):
        services.organisation_budget_create(
            actor=system, organisation_id=org.pk, starts_on=end, ends_on=start, amount="5"
        )
    assert not Account.objects.filter(kind="organisation").exists()


def test_shop_accept_opens_one_account(system: Actor) -> None:
    _currency(system)
    shop = _org(system, "bakker", kind="merchant")
    first = services.shop_accept(actor=system, organisation_id=shop.pk)
    again = services.shop_accept(actor=system, organisation_id=shop.pk)
    assert first.kind == "merchant" and again.pk == first.pk and again.replayed
    assert Account.objects.filter(kind="merchant").count() == 1


def test_setup_needs_a_currency_and_this_communitys_organisations(
    system: Actor, other_system: Actor
) -> None:
    theirs = _org(other_system, "bakker", kind="merchant")
    with pytest.raises(NotFound):
        services.shop_accept(actor=system, organisation_id=theirs.pk)
    _currency(system)
    with pytest.raises(NotFound):
        services.shop_accept(actor=system, organisation_id=theirs.pk)
    with pytest.raises(NotFound):
        services.exchange_office_open(actor=system, name="Loket", organisation_id=theirs.pk)
    assert not Account.objects.filter(community=system.community, kind="merchant").exists()


# --- issuing scoped to one's own organisation --------------------------------------------------


class World:
    def __init__(self, system: Actor) -> None:
        self.system = system
        self.currency = _currency(system, approval_threshold="20")
        self.buurtwerk = _org(system, "buurtwerk")
        self.school = _org(system, "school")
        self.shop = _org(system, "bakker", kind="merchant")
        start, end = _period()
        self.budget = services.organisation_budget_create(
            actor=system, organisation_id=self.buurtwerk.pk, starts_on=start, ends_on=end,
            amount="100",
        )  # fmt: skip
        services.organisation_budget_create(
            actor=system, organisation_id=self.school.pk, starts_on=start, ends_on=end, amount="100"
        )
        self.issuer = self.budget.account
        self.school_issuer = Account.objects.get(kind="organisation", organisation=self.school)
        # The issuers get their money (the coordinator issues it).
        for account in (self.issuer, self.school_issuer):
            services.transfer_create(
                actor=system,
                debit_account_id=Account.objects.get(
                    currency=self.currency, system_role="issuance"
                ).pk,
                credit_account_id=account.pk,
                amount=1000,
                kind="issue",
                idempotency_key=key(),
            )
        person = people_services.person_create(actor=system, first_name="Vera")
        self.resident = services.resident_account_open(actor=system, person_id=person.pk)

    def login(self, name: str, *grants: tuple[str, Organisation | None]) -> Actor:
        get_user_model().objects.create_user(username=name, password=PASSWORD)
        for role, org in grants:
            people_services.membership_grant(
                actor=self.system,
                username=name,
                roles=[role],
                organisation_id=org.pk if org else None,
            )
        user = get_user_model().objects.get(username=name)
        actor = actor_for_user(user=user, community=self.system.community)
        assert actor is not None
        return actor

    def reward(self, actor: Actor, amount: str, issuer: Account | None = None) -> Any:
        return services.reward_create(
            actor=actor,
            issuer_account_id=(issuer or self.issuer).pk,
            resident_account_id=self.resident.pk,
            amount=amount,
            reason="Helped at the repair café",
            idempotency_key=key(),
        )


@pytest.fixture
def world(system: Actor) -> World:
    return World(system)


def test_partner_staff_and_trusted_volunteers_reward_from_their_organisation(
    world: World,
) -> None:
    staff = world.login("els", ("staff", world.buurtwerk))
    trusted = world.login("omar", ("trusted_volunteer", world.buurtwerk))
    assert trusted.has("ledger.issue") and not trusted.has("ledger.manage")
    assert world.reward(staff, "5").transfer is not None
    assert world.reward(trusted, "7").transfer is not None
    assert services.issuing_organisation_ids(trusted) == {world.buurtwerk.pk}
    world.resident.refresh_from_db()
    assert world.resident.balance == 12


def test_refusals_of_scoped_issuing(world: World) -> None:
    trusted = world.login("omar", ("trusted_volunteer", world.buurtwerk))
    volunteer = world.login("lien", ("volunteer", world.buurtwerk))
    # Staff of the school who is only a shopkeeper at Buurtwerk: issues for the school only.
    mixed = world.login("karim", ("staff", world.school), ("merchant", world.buurtwerk))
    before = Transfer.objects.count(), PendingReward.objects.count()

    with pytest.raises(PermissionDenied):  # another organisation's budget
        world.reward(trusted, "5", issuer=world.school_issuer)
    with pytest.raises(PermissionDenied):  # a volunteer who is not trusted to issue
        world.reward(volunteer, "5")
    with pytest.raises(PermissionDenied):  # ledger.issue from another membership
        world.reward(mixed, "5")
    assert services.issuing_organisation_ids(mixed) == {world.school.pk}
    with pytest.raises(Conflict) as over:  # more than the budget has left
        world.reward(trusted, "101")
    assert over.value.code == "budget_exceeded"
    assert (Transfer.objects.count(), PendingReward.objects.count()) == before
    assert world.reward(mixed, "5", issuer=world.school_issuer).transfer is not None


def test_second_approval_by_a_colleague_or_a_coordinator_never_the_same_person(
    world: World,
) -> None:
    trusted = world.login("omar", ("trusted_volunteer", world.buurtwerk))
    colleague = world.login("els", ("staff", world.buurtwerk))
    other_org = world.login("karim", ("staff", world.school))
    coordinator = world.login("coco", ("coordinator", None))

    pending = world.reward(trusted, "30").pending  # above the threshold of 20
    assert pending is not None
    with pytest.raises(PermissionDenied) as own:
        services.pending_reward_approve(actor=trusted, pending_id=pending.pk)
    assert own.value.code == "own_request"
    with pytest.raises(PermissionDenied):  # staff of another organisation
        services.pending_reward_approve(actor=other_org, pending_id=pending.pk)
    with pytest.raises(PermissionDenied):
        services.pending_reward_reject(actor=other_org, pending_id=pending.pk)
    assert not Transfer.objects.filter(kind="reward").exists()

    approved = services.pending_reward_approve(actor=colleague, pending_id=pending.pk)
    assert approved.transfer is not None
    again = services.pending_reward_approve(actor=colleague, pending_id=pending.pk)
    assert again.transfer_id == approved.transfer_id  # paid once

    second = world.reward(colleague, "25").pending
    assert second is not None
    with pytest.raises(PermissionDenied):
        services.pending_reward_approve(actor=colleague, pending_id=second.pk)
    services.pending_reward_approve(actor=coordinator, pending_id=second.pk)
    assert Transfer.objects.filter(kind="reward").count() == 2
    world.resident.refresh_from_db()
    assert world.resident.balance == 55
    assert invariant_violations(currency=world.currency) == []


# --- pages -------------------------------------------------------------------------------------


def _client(community: Community, username: str, role: str) -> Client:
    get_user_model().objects.create_user(username=username, password=PASSWORD)
    people_services.membership_grant(
        actor=Actor.system(community, label="test"), username=username, roles=[role]
    )
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_coordinator_sets_up_a_circle_through_the_pages(system: Actor) -> None:
    community = system.community
    client = _client(community, "coco", "coordinator")
    shop = _org(system, "bakker", kind="merchant", address="Wondelgemstraat 10, 9000 Gent")
    club = _org(system, "buurtwerk", address="Rabotstraat 1, 9000 Gent")
    base = f"/{community.slug}/ledger/setup/"
    assert client.get(base).status_code == 200
    assert client.get(f"/{community.slug}/").status_code == 200

    # A mistake keeps what was typed and says where.
    bad = client.post(
        base + "currency/",
        {"code": "T R", "name_nl_singular": "toreke", "name_nl_plural": "torekes",
         "decimals": "0", "euro_cents_per_unit": "10"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert 'value="toreke"' in bad.content.decode()
    assert not Currency.objects.exists()

    made = client.post(
        base + "currency/",
        {"code": "TOR", "name_nl_singular": "toreke", "name_nl_plural": "torekes",
         "name_fr_singular": "toreke", "name_fr_plural": "torekes", "decimals": "0",
         "euro_cents_per_unit": "10", "denominations": "1, 5, 10", "approval_threshold": "50"},
    )  # fmt: skip
    assert made.status_code == 302
    currency = Currency.objects.get(community=community)
    assert currency.denominations == [1, 5, 10]

    k = key()
    office = {
        "office-idempotency_key": k,
        "office-name": "Loket Buurtwerk",
        "office-organisation_id": str(club.pk),
    }
    assert client.post(base + "offices/", office).status_code == 302
    assert client.post(base + "offices/", office).status_code == 302  # a double click
    assert ExchangeOffice.objects.count() == 1

    start, end = _period()
    budget = {"budget-idempotency_key": key(), "budget-organisation_id": str(club.pk),
              "budget-starts_on": start, "budget-ends_on": end, "budget-amount": "500"}  # fmt: skip
    assert client.post(base + "budgets/", budget).status_code == 302
    assert client.post(base + "budgets/", budget).status_code == 302
    assert IssuingBudget.objects.count() == 1
    overlap = client.post(
        base + "budgets/", budget | {"budget-idempotency_key": key(), "budget-amount": "9"}
    )
    assert overlap.status_code == 422 and 'value="9"' in overlap.content.decode()

    assert client.post(base + "shops/", {"shop-organisation_id": str(shop.pk)}).status_code == 302
    page = client.get(base).content.decode()
    assert "Loket Buurtwerk" in page and "Wondelgemstraat 10" in page
    assert Account.objects.filter(kind="merchant", organisation=shop).count() == 1


@pytest.mark.engine_independent  # paging and a name filter of a page: nothing about the engine
def test_setup_lists_are_paged_each_on_their_own_and_searchable(
    system: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from buurtkit.ledger.pages import views_setup

    monkeypatch.setattr(views_setup, "SETUP_PAGE_SIZE", 2)
    _currency(system)
    for name in ("anker", "bakker", "citroen"):
        shop = _org(system, name, kind="merchant")
        services.shop_accept(actor=system, organisation_id=shop.pk)
    for name in ("loket-a", "loket-b", "loket-c"):
        services.exchange_office_create(
            actor=system, name=name.capitalize(), organisation_id=_org(system, name).pk
        )
    client = _client(system.community, "coco", "coordinator")
    base = f"/{system.community.slug}/ledger/setup/"

    # (The names are also options of the forms' organisation lists: look at the cards.)
    def listed(page: str, name: str) -> bool:
        return f">{name}</a>" in page or f"<strong>{name}</strong>" in page

    first = client.get(base).content.decode()
    assert listed(first, "Anker") and listed(first, "Bakker") and not listed(first, "Citroen")
    assert listed(first, "Loket-a") and not listed(first, "Loket-c")
    assert "shops_page=2#shops" in first and "offices_page=2#offices" in first
    # The shops' second page keeps the offices on their first.
    second = client.get(base + "?shops_page=2").content.decode()
    assert listed(second, "Citroen") and not listed(second, "Anker")
    assert listed(second, "Loket-a")
    found = client.get(base + "?q=citr").content.decode()
    assert listed(found, "Citroen") and not listed(found, "Anker")
    assert not listed(found, "Loket-a") and 'value="citr"' in found


def test_setup_pages_are_for_coordinators_only(system: Actor) -> None:
    _currency(system)
    org = _org(system, "buurtwerk")
    staff = _client(system.community, "els", "staff")
    base = f"/{system.community.slug}/ledger/setup/"
    assert staff.get(base).status_code == 403
    assert staff.post(base + "shops/", {"shop-organisation_id": str(org.pk)}).status_code == 403
    assert not Account.objects.filter(kind="merchant").exists()


# --- the public list of places, its embed, the manifest ----------------------------------------


def test_public_places_list_shops_and_offices_without_personal_data(
    system: Actor, other_system: Actor
) -> None:
    _currency(system)
    shop = _org(system, "bakker", kind="merchant", address="Wondelgemstraat 10, 9000 Gent")
    club = _org(system, "buurtwerk", address="Rabotstraat 1, 9000 Gent")
    services.shop_accept(actor=system, organisation_id=shop.pk)
    services.exchange_office_open(actor=system, name="Loket", organisation_id=club.pk)
    person = people_services.person_create(actor=system, first_name="Zoë", last_name="Vanneste")
    services.resident_account_open(actor=system, person_id=person.pk)
    services.currency_set(actor=other_system, code="HEU", names=NAMES)
    theirs = _org(other_system, "quaxshop", kind="merchant", address="Elders 1")
    services.shop_accept(actor=other_system, organisation_id=theirs.pk)

    client = Client()
    url = f"/{system.community.slug}/pay/where/"
    for lang, heading in (("nl", "Waar"), ("en", "Where"), ("fr", "Où")):
        page = client.get(url, {"lang": lang})
        assert page.status_code == 200
        body = page.content.decode()
        assert f'<html lang="{lang}">' in body and heading in body
        assert "Wondelgemstraat 10" in body and "Rabotstraat 1" in body
        assert "Vanneste" not in body and "Zoë" not in body and "Quaxshop" not in body
    found = client.get(url, {"q": "wondelgem"}).content.decode()
    assert "Bakker" in found and "Rabotstraat" not in found

    embed = client.get(f"/{system.community.slug}/pay/where/embed/", {"lang": "fr"})
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    assert "frame-ancestors" in embed["Content-Security-Policy"]
    assert "Wondelgemstraat 10" in embed.content.decode()
    plain = client.get(url)
    assert plain["X-Frame-Options"] == "DENY"


def test_manifest_icons_and_the_link_on_resident_pages(system: Actor, login_client: Any) -> None:
    _currency(system)
    slug = system.community.slug
    client = Client()
    response = client.get(f"/{slug}/pay/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = response.json()
    assert data["start_url"] == f"/{slug}/pay/" and data["display"] == "standalone"
    assert {i["sizes"] for i in data["icons"]} == {"192x192", "512x512"}
    assert all("maskable" in i["purpose"] for i in data["icons"])
    static = Path(buurtkit.ledger.__file__).parent / "static"
    for icon in data["icons"]:
        png = (static / icon["src"].split("/static/", 1)[1]).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert f"{width}x{height}" == icon["sizes"]

    resident = login_client(system.community, "resident")
    with translation.override("en"):
        page = resident.get(f"/{slug}/pay/").content.decode()
    assert f'<link rel="manifest" href="/{slug}/pay/manifest.webmanifest">' in page


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_sets_up_a_circle_and_repeats_harmlessly(
    system: Actor, capsys: pytest.CaptureFixture[str]
) -> None:
    slug = system.community.slug
    _org(system, "buurtwerk", address="Rabotstraat 1")
    _org(system, "bakker", kind="merchant")
    start, end = _period()
    for _round in range(2):
        call_command(
            "ledger_currency_create", community=slug, code="TOR", name_nl="toreke/torekes",
            name_fr="toreke/torekes", notes="1,5,10", euro_cents=10, approval_threshold="50",
        )  # fmt: skip
        call_command(
            "ledger_office_create", community=slug, name="Loket", organisation="buurtwerk", key="o1"
        )
        call_command(
            "ledger_budget_create", community=slug, organisation="buurtwerk",
            starts_on=start, ends_on=end, amount="500", key="b1",
        )  # fmt: skip
        call_command("ledger_shop_add", community=slug, organisation="bakker")
    out = capsys.readouterr().out
    assert "currency TOR in rabot: made" in out and "currency TOR in rabot: unchanged" in out
    assert "(already there)" in out
    assert ExchangeOffice.objects.count() == 1 and IssuingBudget.objects.count() == 1
    assert Account.objects.filter(kind="merchant").count() == 1
    with pytest.raises(CommandError, match="no organisation"):
        call_command("ledger_shop_add", community=slug, organisation="nergens")
    with translation.override("en"), pytest.raises(CommandError, match="code and the decimals"):
        call_command("ledger_currency_create", community=slug, code="XYZ", name_nl="a/b")


# --- API ---------------------------------------------------------------------------------------


def test_api_sets_up_a_circle_with_idempotency_keys(system: Actor, api: Any) -> None:
    client = api(system.community, ["coordinator"])
    club = _org(system, "buurtwerk")
    shop = _org(system, "bakker", kind="merchant")
    body = {"code": "TOR", "names": NAMES, "denominations": [1, 5], "approval_threshold": "50"}
    made = client.put("/api/v1/ledger/currency", body, content_type="application/json")
    assert made.status_code == 201, made.content
    same = client.put("/api/v1/ledger/currency", body, content_type="application/json")
    assert same.status_code == 200
    fixed = client.put(
        "/api/v1/ledger/currency", body | {"decimals": 2}, content_type="application/json"
    )
    assert fixed.status_code == 409 and fixed.json()["error"] == "currency_fixed"

    k = {"HTTP_IDEMPOTENCY_KEY": key()}
    office = {"name": "Loket", "organisation_id": club.pk}
    first = client.post("/api/v1/ledger/offices", office, content_type="application/json", **k)
    assert first.status_code == 201, first.content
    retry = client.post("/api/v1/ledger/offices", office, content_type="application/json", **k)
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    other = client.post(
        "/api/v1/ledger/offices", office | {"name": "Loket 2"}, content_type="application/json", **k
    )
    assert other.status_code == 409 and other.json()["error"] == "idempotency_conflict"
    missing = client.post("/api/v1/ledger/offices", office, content_type="application/json")
    assert missing.status_code == 422

    start, end = _period()
    url = f"/api/v1/ledger/organisations/{club.pk}/budgets"
    budget = {"starts_on": start, "ends_on": end, "amount": "500"}
    kb = {"HTTP_IDEMPOTENCY_KEY": key()}
    b1 = client.post(url, budget, content_type="application/json", **kb)
    assert b1.status_code == 201, b1.content
    assert b1.json()["remaining"] == "500"
    b2 = client.post(url, budget, content_type="application/json", **kb)
    assert b2.status_code == 200 and b2.json()["id"] == b1.json()["id"]

    s1 = client.post(
        "/api/v1/ledger/shops", {"organisation_id": shop.pk}, content_type="application/json"
    )
    s2 = client.post(
        "/api/v1/ledger/shops", {"organisation_id": shop.pk}, content_type="application/json"
    )
    assert (s1.status_code, s2.status_code) == (201, 200)
    assert s1.json()["id"] == s2.json()["id"] and s1.json()["kind"] == "merchant"
