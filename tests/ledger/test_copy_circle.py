"""Copying a circle's setup for a new neighbourhood: ``currency_copy``, the command, the staff action."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from buurtkit.audit.models import AuditEvent
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.services import community_create
from buurtkit.ledger import services
from buurtkit.ledger.models import (
    Account,
    AccountKind,
    Currency,
    ExchangeOffice,
    IssuingBudget,
    PaymentPin,
    RewardPolicy,
    Transfer,
)
from buurtkit.ledger.selectors import local_today
from buurtkit.people import services as people_services
from buurtkit.people.services import organisation_create
from tests.conftest import PASSWORD
from tests.ledger.conftest import Circle


@pytest.fixture
def rabot(circle: Circle) -> Circle:
    """The old circle: a threshold, two exchange offices, a past, a running and a later budget."""
    system = circle.actor
    services.reward_policy_set(actor=system, approval_threshold=250)
    library = organisation_create(actor=system, name="Bib", slug="bib", kind="association")
    services.exchange_office_create(
        actor=system, name="Loket Buurtwerk", organisation_id=circle.issuer.organisation_id
    )
    services.exchange_office_create(actor=system, name="Loket Bib", organisation_id=library.pk)
    today = local_today()
    for start, end, amount in (
        (today - timedelta(days=60), today - timedelta(days=31), 100),
        (today - timedelta(days=30), today + timedelta(days=30), 700),
        (today + timedelta(days=31), today + timedelta(days=90), 900),
    ):
        services.budget_create(
            actor=system, account_id=circle.issuer.pk, starts_on=start, ends_on=end, amount=amount
        )
    return circle


@pytest.fixture
def sluizeken(db: Any) -> Community:
    community = community_create(name="Sluizeken", slug="sluizeken", enabled_modules=["ledger"])
    organisation_create(
        actor=Actor.system(community),
        name="Buurtwerk Sluizeken",
        slug="buurtwerk",
        kind="association",
    )
    return community


def test_the_setup_is_copied_without_money_or_people(rabot: Circle, sluizeken: Community) -> None:
    target = Actor.system(sluizeken, label="test")
    money_before = list(Transfer.objects.values_list("pk", flat=True))

    copied = services.currency_copy(actor=rabot.actor, target=target)

    source = rabot.currency
    new = Currency.objects.get(community=sluizeken)
    assert copied.currency == new
    assert (new.code, new.names, new.decimals, new.denominations) == (
        source.code,
        source.names,
        source.decimals,
        source.denominations,
    )
    assert (new.euro_cents_per_unit, new.default_lower_limit) == (
        source.euro_cents_per_unit,
        source.default_lower_limit,
    )
    assert RewardPolicy.objects.get(currency=new).approval_threshold == 250
    # Its own system accounts, all at zero; an issuer account for the organisation it has too.
    accounts = Account.objects.filter(community=sluizeken)
    assert sorted(a.system_role for a in accounts.filter(kind=AccountKind.SYSTEM)) == [
        "issuance",
        "paper",
        "redemption",
    ]
    assert all(a.balance == 0 for a in accounts)
    assert not accounts.filter(kind__in=[AccountKind.RESIDENT, AccountKind.MERCHANT]).exists()
    # The exchange office of an organisation the new neighbourhood has; the other one is named.
    assert copied.offices == ["Loket Buurtwerk"] and copied.offices_skipped == ["Loket Bib"]
    office = ExchangeOffice.objects.get(community=sluizeken)
    assert office.organisation.slug == "buurtwerk" and office.account.community_id == sluizeken.pk
    # Budgets that are not over yet, with their periods and amounts; a past one is not copied.
    budgets = IssuingBudget.objects.filter(community=sluizeken).order_by("starts_on")
    assert [b.amount for b in budgets] == [700, 900]
    assert {b.account.organisation.slug for b in budgets} == {"buurtwerk"}
    assert len(copied.budgets) == 2 and not copied.budgets_skipped
    # No money moved, nobody copied.
    assert list(Transfer.objects.values_list("pk", flat=True)) == money_before
    assert not PaymentPin.objects.filter(community=sluizeken).exists()
    assert AuditEvent.objects.filter(verb="ledger.circle_copied").count() == 2


def test_a_neighbourhood_with_a_currency_or_the_same_one_is_refused(
    rabot: Circle, sluizeken: Community
) -> None:
    target = Actor.system(sluizeken, label="test")
    services.currency_copy(actor=rabot.actor, target=target)
    before = (
        Currency.objects.count(),
        ExchangeOffice.objects.count(),
        IssuingBudget.objects.count(),
    )
    with pytest.raises(Conflict):
        services.currency_copy(actor=rabot.actor, target=target)
    with pytest.raises(ValidationFailed):
        services.currency_copy(actor=rabot.actor, target=rabot.actor)
    assert (
        Currency.objects.count(),
        ExchangeOffice.objects.count(),
        IssuingBudget.objects.count(),
    ) == before


def test_both_sides_need_a_coordinator(rabot: Circle, sluizeken: Community) -> None:
    staff = Actor(community=sluizeken, label="staff", permissions=frozenset({"ledger.view"}))
    with pytest.raises(PermissionDenied):
        services.currency_copy(actor=rabot.actor, target=staff)
    source_staff = Actor(
        community=rabot.actor.community, label="staff", permissions=frozenset({"ledger.view"})
    )
    with pytest.raises(PermissionDenied):
        services.currency_copy(actor=source_staff, target=Actor.system(sluizeken))
    assert not Currency.objects.filter(community=sluizeken).exists()


def test_the_command(rabot: Circle, sluizeken: Community) -> None:
    out = io.StringIO()
    call_command("ledger_copy_circle", "--from", "rabot", "--to", "sluizeken", stdout=out)
    printed = out.getvalue()
    assert "currency TOR in sluizeken" in printed
    assert "exchange office Loket Buurtwerk" in printed
    assert "skipped exchange office Loket Bib" in printed
    assert Currency.objects.filter(community=sluizeken, code="TOR").exists()
    with translation.override("en"), pytest.raises(CommandError, match="already has a currency"):
        call_command("ledger_copy_circle", "--from", "rabot", "--to", "sluizeken", stdout=out)
    with pytest.raises(CommandError, match="no community"):
        call_command("ledger_copy_circle", "--from", "rabot", "--to", "nowhere", stdout=out)


def coordinator_of(*communities: Community, roles: tuple[str, ...] = ("coordinator",)) -> Client:
    user = get_user_model().objects.create_user(username="coord", password=PASSWORD)
    for community, role in zip(communities, roles * len(communities), strict=False):
        people_services.membership_grant(
            actor=Actor.system(community), username="coord", roles=[role]
        )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_the_staff_action_for_a_coordinator_of_both(rabot: Circle, sluizeken: Community) -> None:
    client = coordinator_of(rabot.actor.community, sluizeken)
    page = client.get("/rabot/ledger/").content.decode()
    assert 'id="copy-circle"' in page and 'value="sluizeken"' in page
    done = client.post("/rabot/ledger/copy/", {"target": "sluizeken"})
    assert done.status_code == 302 and done["Location"] == "/sluizeken/ledger/"
    assert Currency.objects.filter(community=sluizeken).exists()
    after = client.get(done["Location"]).content.decode()
    assert "Sluizeken now has the currency TOR" in after
    # Nothing left to copy to: the action is no longer offered.
    assert 'id="copy-circle"' not in client.get("/rabot/ledger/").content.decode()


def test_the_staff_action_needs_coordinating_the_target_too(
    rabot: Circle, sluizeken: Community, login_client: Callable[..., Client]
) -> None:
    client = coordinator_of(rabot.actor.community, sluizeken, roles=("coordinator", "staff"))
    assert 'id="copy-circle"' not in client.get("/rabot/ledger/").content.decode()
    refused = client.post("/rabot/ledger/copy/", {"target": "sluizeken"}, follow=True)
    assert "Choose a neighbourhood you coordinate" in refused.content.decode()
    assert not Currency.objects.filter(community=sluizeken).exists()
    # Staff of the old circle may not copy at all.
    staff = login_client(rabot.actor.community, "staff")
    assert staff.post("/rabot/ledger/copy/", {"target": "sluizeken"}).status_code == 403
    assert not Currency.objects.filter(community=sluizeken).exists()
