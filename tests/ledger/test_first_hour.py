"""Issue 17, currency items 1-6 and 15: what residents, shops, clerks and coordinators hit in
their first hour. Each test names the item it covers."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from buurtkit.audit.models import AuditEvent
from buurtkit.core.actor import Actor
from buurtkit.core.errors import PermissionDenied
from buurtkit.core.permissions import permissions_for_roles
from buurtkit.ledger import selectors, services
from buurtkit.ledger.models import Account, PendingReward
from buurtkit.ledger.numbers import format_account_number
from buurtkit.ledger.pages.forms import ConfirmForm
from buurtkit.ledger.rules import refusal
from buurtkit.people.services import membership_grant, person_create, person_give_login
from buurtkit.web.forms import apply_service_error
from tests.conftest import PASSWORD
from tests.ledger.conftest import Circle, key
from tests.ledger.test_exchange import make_office

PIN = "7315"


def client_for(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def staff_login(circle: Circle, role: str, username: str, organisation: Any = None) -> Any:
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    membership_grant(
        actor=circle.actor,
        username=username,
        roles=[role],
        organisation_id=organisation.organisation_id if organisation is not None else None,
    )
    return user


def resident(circle: Circle, account: Account, username: str) -> Client:
    user = person_give_login(
        actor=circle.actor, person_id=account.person_id, username=username, password=PASSWORD
    )
    return client_for(user)


def actor_with(circle: Circle, *roles: str, organisations: frozenset[int] = frozenset()) -> Actor:
    return Actor(
        community=circle.actor.community,
        label="-".join(roles),
        user_id=None,
        roles=frozenset(roles),
        permissions=permissions_for_roles(set(roles)),
        organisation_ids=organisations,
    )


# --- item 1: opening an account -----------------------------------------------------------


def test_a_clerk_opens_an_account_from_the_person_page_once(circle: Circle) -> None:
    slug = circle.actor.community.slug
    carol = person_create(actor=circle.actor, first_name="Carol", last_name="Claes")
    clerk = client_for(staff_login(circle, "counter_clerk", "loket"))
    page = clerk.get(f"/{slug}/people/{carol.pk}/").content.decode()
    assert "This person has no account yet." in page
    assert f"/{slug}/people/{carol.pk}/open-account/" in page

    answer = clerk.post(f"/{slug}/people/{carol.pk}/open-account/")
    assert answer.status_code == 302 and answer["Location"] == f"/{slug}/people/{carol.pk}/"
    clerk.post(f"/{slug}/people/{carol.pk}/open-account/")  # a double click
    accounts = Account.objects.filter(person=carol, kind="resident")
    assert accounts.count() == 1
    assert AuditEvent.objects.filter(verb="ledger.account_opened", object_id=str(accounts[0].pk))
    page = clerk.get(f"/{slug}/people/{carol.pk}/").content.decode()
    assert format_account_number(accounts[0].number) in page
    assert "open-account" not in page


def test_who_may_not_open_accounts_is_refused(circle: Circle) -> None:
    carol = person_create(actor=circle.actor, first_name="Carol")
    shop = actor_with(circle, "merchant")
    with pytest.raises(PermissionDenied) as refused:
        services.resident_account_open(actor=shop, person_id=carol.pk)
    assert "ledger." not in str(refused.value.detail)
    assert not Account.objects.filter(person=carol).exists()
    slug = circle.actor.community.slug
    volunteer = client_for(staff_login(circle, "volunteer", "vrijwilliger"))
    assert volunteer.post(f"/{slug}/people/{carol.pk}/open-account/").status_code == 403
    assert "open-account" not in volunteer.get(f"/{slug}/people/{carol.pk}/").content.decode()


def test_the_counter_search_finds_people_without_an_account_and_opens_one(
    circle: Circle,
) -> None:
    slug = circle.actor.community.slug
    office = make_office(circle)
    carol = person_create(actor=circle.actor, first_name="Carol", last_name="Claes")
    clerk = client_for(staff_login(circle, "counter_clerk", "loket"))
    page = clerk.get(f"/{slug}/exchange/{office.pk}/", {"q": "Claes"}).content.decode()
    assert "Nobody found" not in page
    assert "Carol Claes" in page and f"/people/{carol.pk}/open-account/" in page

    back = f"/{slug}/exchange/{office.pk}/?account=__account__"
    answer = clerk.post(f"/{slug}/people/{carol.pk}/open-account/", {"next": back})
    account = Account.objects.get(person=carol, kind="resident")
    assert answer["Location"] == f"/{slug}/exchange/{office.pk}/?account={account.pk}"
    page = clerk.get(answer["Location"]).content.decode()
    assert 'id="exchange-chosen"' in page and format_account_number(account.number) in page
    # Anywhere else than this site is not followed.
    dave = person_create(actor=circle.actor, first_name="Dave")
    answer = clerk.post(f"/{slug}/people/{dave.pk}/open-account/", {"next": "https://evil.test/"})
    assert answer["Location"] == f"/{slug}/people/{dave.pk}/"


def test_the_reward_form_offers_to_open_an_account(circle: Circle) -> None:
    slug = circle.actor.community.slug
    carol = person_create(actor=circle.actor, first_name="Carol", last_name="Claes")
    coordinator = client_for(staff_login(circle, "coordinator", "coordinator"))
    page = coordinator.get(f"/{slug}/ledger/issuing/", {"q": "Claes"}).content.decode()
    assert f"/people/{carol.pk}/open-account/" in page
    assert "Nobody found" not in page
    answer = coordinator.post(
        f"/{slug}/people/{carol.pk}/open-account/", {"next": f"/{slug}/ledger/issuing/?q=Claes"}
    )
    page = coordinator.get(answer["Location"]).content.decode()
    account = Account.objects.get(person=carol)
    assert f'name="resident" value="{account.pk}"' in page


# --- item 2: refusals say why, where they can be fixed --------------------------------------


def test_an_amount_above_the_balance_is_refused_at_how_much(circle: Circle) -> None:
    slug = circle.actor.community.slug
    alice = resident(circle, circle.alice, "alice")  # 500 torekes
    to = circle.merchant.number
    answer = alice.get(f"/{slug}/pay/amount/", {"to": to, "amount": "600"})
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "Not enough money: you have 500 torekes. Type at most 500 torekes." in page
    # The confirm page never shows a negative "after this you have": it sends you back.
    answer = alice.get(f"/{slug}/pay/confirm/", {"to": to, "amount": "600"})
    assert answer.status_code == 302 and "/pay/amount/" in answer["Location"]
    assert "amount=600" in answer["Location"]
    assert alice.get(f"/{slug}/pay/amount/", {"to": to, "amount": "500"}).status_code == 302


def test_the_lower_limit_is_named(circle: Circle) -> None:
    slug = circle.actor.community.slug
    Account.objects.filter(pk=circle.alice.pk).update(lower_limit=-50)
    alice = resident(circle, circle.alice, "alice")
    page = alice.get(
        f"/{slug}/pay/amount/", {"to": circle.merchant.number, "amount": "551"}
    ).content.decode()
    assert "may go 50 torekes below zero. Type at most 550 torekes." in page


def test_a_frozen_account_and_a_locked_pin_are_said_at_the_first_step(circle: Circle) -> None:
    slug = circle.actor.community.slug
    alice = resident(circle, circle.alice, "alice")
    services.account_set_frozen(actor=circle.actor, account_id=circle.alice.pk, frozen=True)
    page = alice.get(f"/{slug}/pay/to/").content.decode()
    assert "Your account is blocked: you cannot pay now." in page
    assert 'id="pay-number-form"' not in page
    answer = alice.get(f"/{slug}/pay/confirm/", {"to": circle.merchant.number, "amount": "5"})
    assert answer.status_code == 302 and "/pay/to/" in answer["Location"]
    services.account_set_frozen(actor=circle.actor, account_id=circle.alice.pk, frozen=False)

    alice_actor = selectors_actor(circle, "alice")
    services.pin_set(actor=alice_actor, person_id=circle.alice.person_id, pin=PIN)
    for _ in range(5):
        try:
            services.payment_with_pin(
                actor=alice_actor,
                debit_account_id=circle.alice.pk,
                credit_account_id=circle.merchant.pk,
                amount=1,
                pin="9999",
                idempotency_key=key(),
            )
        except Exception:  # noqa: S112 - wrong PINs, until it locks
            continue
    page = alice.get(f"/{slug}/pay/to/").content.decode()
    assert "Your PIN is locked after too many wrong tries, so you cannot pay now." in page


def selectors_actor(circle: Circle, username: str) -> Actor:
    from buurtkit.people.selectors import actor_for_user

    user = get_user_model().objects.get(username=username)
    actor = actor_for_user(user=user, community=circle.actor.community)
    assert actor is not None
    return actor


def test_a_clerk_hears_about_the_account_not_about_themselves(circle: Circle) -> None:
    slug = circle.actor.community.slug
    clerk = client_for(staff_login(circle, "counter_clerk", "loket"))
    session = clerk.session
    session[f"on_behalf:{slug}"] = circle.alice.person_id
    session.save()
    page = clerk.get(
        f"/{slug}/pay/amount/", {"to": circle.merchant.number, "amount": "900"}
    ).content.decode()
    assert "Not enough money: this account has 500 torekes. Type at most 500 torekes." in page


def test_an_error_on_a_hidden_field_is_shown_on_top_of_the_form(circle: Circle) -> None:
    form = ConfirmForm({"to": "1", "amount": "9", "key": "k"})
    assert form.is_valid()
    apply_service_error(form, refusal("insufficient", circle.alice.number))
    assert form.non_field_errors() == ["Not enough money on this account."]


# --- item 3: the shop's home --------------------------------------------------------------


def test_a_shop_sees_its_balance_todays_payments_and_its_payment_screen(circle: Circle) -> None:
    slug = circle.actor.community.slug
    services.transfer_create(
        actor=circle.actor,
        debit_account_id=circle.alice.pk,
        credit_account_id=circle.merchant.pk,
        amount=7,
        idempotency_key=key(),
        description="brood",
    )
    shop = client_for(staff_login(circle, "merchant", "bakker", organisation=circle.merchant))
    home = shop.get(f"/{slug}/")
    page = home.content.decode()
    assert home.status_code == 200
    assert "Hello bakker" in page
    assert "Received today" in page and "7 torekes" in page and "brood" in page
    assert f'href="/{slug}/pay/requests/"' in page
    assert f'href="/{slug}/pay/accounts/{circle.merchant.pk}/"' in page
    assert "Pay and see your account" not in page  # a shop login is not a resident
    # Its own account and income: no 403; anyone else's: not there.
    assert shop.get(f"/{slug}/pay/accounts/{circle.merchant.pk}/").status_code == 200
    assert shop.get(f"/{slug}/pay/accounts/{circle.alice.pk}/").status_code == 404
    assert shop.get(f"/{slug}/pay/requests/").status_code == 200


def test_shop_days_counts_only_todays_payments_of_ones_own_shop(circle: Circle) -> None:
    shop = actor_with(
        circle, "merchant", organisations=frozenset({circle.merchant.organisation_id})
    )
    assert selectors.shop_days(actor=shop)[0].received == 0
    services.transfer_create(
        actor=circle.actor,
        debit_account_id=circle.alice.pk,
        credit_account_id=circle.merchant.pk,
        amount=12,
        idempotency_key=key(),
    )
    (day,) = selectors.shop_days(actor=shop)
    assert (day.account.pk, day.received, len(day.payments)) == (circle.merchant.pk, 12, 1)
    assert selectors.shop_days(actor=actor_with(circle, "coordinator")) == []


# --- item 4: the counter sticker ----------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    """The text of a small reportlab PDF: its content streams, undone (ASCII85, deflate)."""
    out = []
    for body in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        body = body.strip()
        if body.endswith(b"~>"):
            body = base64.a85decode(body, adobe=True)
        try:
            out.append(zlib.decompress(body).decode("latin-1"))
        except zlib.error:
            out.append(body.decode("latin-1"))
    return "\n".join(out)


def test_the_counter_sticker_prints_name_number_and_what_to_do(circle: Circle) -> None:
    slug = circle.actor.community.slug
    shop = client_for(staff_login(circle, "merchant", "bakker", organisation=circle.merchant))
    answer = shop.get(f"/{slug}/pay/accounts/{circle.merchant.pk}/code.pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    text = pdf_text(answer.content)
    assert "Bakkerij" in text
    assert format_account_number(circle.merchant.number) in text
    assert "Pay with torekes: scan the code" in text and "number on the pay page." in text
    assert "/Subtype /Image" in answer.content.decode("latin-1")  # the QR code


# --- item 5: four eyes with demo roles, plain refusals --------------------------------------


def test_staff_and_coordinator_approve_each_others_large_rewards(circle: Circle) -> None:
    slug = circle.actor.community.slug
    services.reward_policy_set(actor=circle.actor, approval_threshold=20)
    today = selectors.local_today()
    services.budget_create(
        actor=circle.actor,
        account_id=circle.issuer.pk,
        starts_on=today.replace(day=1).isoformat(),
        ends_on=(today + timedelta(days=40)).isoformat(),
        amount="2000",
    )
    worker = client_for(staff_login(circle, "staff", "medewerker", organisation=circle.issuer))
    coordinator = client_for(staff_login(circle, "coordinator", "coordinator"))
    form = {
        "issuer": circle.issuer.pk,
        "resident": circle.bob.pk,
        "amount": "30",
        "reason": "Helped at the street party",
    }
    answer = worker.post(f"/{slug}/ledger/issuing/reward/", {**form, "idempotency_key": key()})
    assert answer.status_code == 302, answer.content.decode()[-3000:]
    pending = PendingReward.objects.get()
    own = worker.get(f"/{slug}/ledger/issuing/").content.decode()
    assert "another person decides" in own
    coordinator.post(f"/{slug}/ledger/issuing/pending/{pending.pk}/", {"decision": "approve"})
    pending.refresh_from_db()
    assert pending.status == "approved"

    coordinator.post(f"/{slug}/ledger/issuing/reward/", {**form, "idempotency_key": key()})
    second = PendingReward.objects.exclude(pk=pending.pk).get()
    worker.post(f"/{slug}/ledger/issuing/pending/{second.pk}/", {"decision": "approve"})
    second.refresh_from_db()
    assert second.status == "approved"


def test_the_issuing_page_is_linked_and_never_shows_a_permission_code(circle: Circle) -> None:
    slug = circle.actor.community.slug
    coordinator = client_for(staff_login(circle, "coordinator", "coordinator"))
    assert f'href="/{slug}/ledger/issuing/"' in coordinator.get(f"/{slug}/").content.decode()
    clerk = client_for(staff_login(circle, "counter_clerk", "loket"))
    answer = clerk.get(f"/{slug}/ledger/issuing/")  # ledger.view, not ledger.issue
    assert answer.status_code == 200
    assert "ledger.issue" not in answer.content.decode()
    shop = client_for(staff_login(circle, "merchant", "bakker", organisation=circle.merchant))
    refused = shop.get(f"/{slug}/ledger/issuing/").content.decode()
    assert "ledger.issue" not in refused
    assert "Reward volunteers with torekes from an issuing budget" in refused


def test_a_refused_permission_names_the_right_in_every_language(circle: Circle) -> None:
    nobody = actor_with(circle, "volunteer")
    for language in ("en", "nl", "fr"):
        with translation.override(language), pytest.raises(PermissionDenied) as refused:
            nobody.require("ledger.issue")
        text = str(refused.value.detail)
        assert "ledger.issue" not in text and "(" not in text, text
    with translation.override("nl"), pytest.raises(PermissionDenied) as refused:
        nobody.require("ledger.issue")
    assert "coördinator" in str(refused.value.detail)


def test_the_demo_has_a_second_person_who_may_approve() -> None:
    from buurtkit.ledger.demo import ISSUER_KINDS
    from buurtkit.people.demo import ORGANISATIONS, STAFF

    kinds = {slug: kind for _name, slug, kind, _email in ORGANISATIONS}
    issuing_staff = [
        username
        for username, role, org in STAFF
        if role != "coordinator"
        and "ledger.issue" in permissions_for_roles({role})
        and org is not None
        and kinds[org] in ISSUER_KINDS
    ]
    assert issuing_staff, "only the coordinator could approve a large reward"


# --- item 6: plain words in the resident's history ----------------------------------------


def test_a_paper_withdrawal_reads_as_paper_not_as_a_payment(circle: Circle) -> None:
    slug = circle.actor.community.slug
    services.transfer_create(
        actor=circle.actor,
        debit_account_id=circle.alice.pk,
        credit_account_id=circle.paper.pk,
        amount=23,
        kind="exchange_out",
        idempotency_key=key(),
    )
    alice = resident(circle, circle.alice, "alice")
    alice.cookies["django_language"] = "nl"
    page = client_lang(alice, "nl").get(f"/{slug}/pay/").content.decode()
    assert "Paper in circulation" not in page
    assert "Wisselkantoor (papieren torekes)" in page
    assert "omgezet in papier: </span>− 23 torekes" in page
    assert "betaald: </span>− 23" not in page
    statement = alice.get(f"/{slug}/pay/accounts/{circle.alice.pk}/statement.csv")
    text = statement.content.decode()
    assert "Paper in circulation" not in text and "Wisselkantoor (papieren torekes)" in text


def client_lang(client: Client, language: str) -> Client:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def test_the_overview_says_paper_counts_torekes_and_explains_the_shop_table(
    circle: Circle,
) -> None:
    slug = circle.actor.community.slug
    coordinator = client_lang(client_for(staff_login(circle, "coordinator", "co")), "nl")
    page = coordinator.get(f"/{slug}/ledger/").content.decode()
    assert "papieren biljetten in omloop" not in page
    assert "geen aantal biljetten" in page
    assert 'id="shop-table-help"' in page and "Nog op de rekening" in page


# --- item 15: home tiles ------------------------------------------------------------------


def test_home_tiles_are_links_to_modules_this_person_may_use(circle: Circle) -> None:
    slug = circle.actor.community.slug
    coordinator = client_for(staff_login(circle, "coordinator", "coordinator"))
    page = coordinator.get(f"/{slug}/").content.decode()
    assert '<div class="tile"><strong>' not in page  # every tile is a link
    volunteer = client_for(staff_login(circle, "volunteer", "vrijwilliger"))
    response = volunteer.get(f"/{slug}/")
    assert "ledger" not in [m.key for m in response.context["modules"]]
    alice = resident(circle, circle.alice, "alice")
    page = alice.get(f"/{slug}/").content.decode()
    assert '<div class="tile">' not in page
    assert f'href="/{slug}/pay/"' in page
    assert f'href="/{slug}/exchange/"' not in page
