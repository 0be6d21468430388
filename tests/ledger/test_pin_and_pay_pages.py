"""Paying with one phone: the payment PIN, paying with it, the counter, a lost phone, the pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import translation

from buurtkit.audit.models import AuditEvent
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.ledger import services
from buurtkit.ledger.models import PaymentPin, Transfer
from buurtkit.people.selectors import actor_for_user
from buurtkit.people.services import person_give_login
from tests.conftest import PASSWORD
from tests.ledger.conftest import Circle, key, make_circle, refresh

PIN = "4826"


def resident_login(circle: Circle, account: Any, username: str) -> tuple[Any, Actor]:
    user = person_give_login(
        actor=circle.actor, person_id=account.person_id, username=username, password=PASSWORD
    )
    actor = actor_for_user(user=user, community=circle.actor.community)
    assert actor is not None
    return user, actor


def signed_in(user: Any) -> Client:
    # The pages speak Dutch by default; these tests read the English source texts.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def clerk(circle: Circle, person_id: int) -> Actor:
    """A counter clerk acting on behalf of ``person_id`` (as the page decorator makes it)."""
    from buurtkit.core.permissions import permissions_for_roles

    return Actor(
        community=circle.actor.community,
        label="loket",
        user_id=None,
        roles=frozenset({"counter_clerk"}),
        permissions=permissions_for_roles({"counter_clerk"}),
    ).acting_for(person_id, channel="counter")


def pin_row(account: Any) -> PaymentPin:
    return PaymentPin.objects.get(person_id=account.person_id)


# --- PIN rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["", "123", "1234567", "12a4", "１２３４", "0000", "1111", "1234", "4321", "123456"]
)
def test_pin_rules_refuse_short_long_non_digit_and_trivial(circle: Circle, bad: str) -> None:
    _user, alice = resident_login(circle, circle.alice, "alice")
    with pytest.raises(ValidationFailed) as err:
        services.pin_set(actor=alice, person_id=circle.alice.person_id, pin=bad)
    assert "pin" in err.value.fields
    assert not PaymentPin.objects.exists()


def test_pin_is_stored_hashed_and_audited(circle: Circle) -> None:
    _user, alice = resident_login(circle, circle.alice, "alice")
    services.pin_set(actor=alice, person_id=circle.alice.person_id, pin="902731")
    row = pin_row(circle.alice)
    assert "902731" not in row.pin_hash
    assert check_password("902731", row.pin_hash)
    assert AuditEvent.objects.filter(verb="ledger.pin_set").count() == 1


def test_changing_a_pin_needs_the_current_one(circle: Circle) -> None:
    _user, alice = resident_login(circle, circle.alice, "alice")
    person_id = circle.alice.person_id
    services.pin_set(actor=alice, person_id=person_id, pin=PIN)
    with pytest.raises(ValidationFailed) as err:
        services.pin_set(actor=alice, person_id=person_id, pin="5937")
    assert "current_pin" in err.value.fields
    with pytest.raises(ValidationFailed):
        services.pin_set(actor=alice, person_id=person_id, pin="5937", current_pin="0001")
    services.pin_set(actor=alice, person_id=person_id, pin="5937", current_pin=PIN)
    assert check_password("5937", pin_row(circle.alice).pin_hash)


def test_a_resident_cannot_set_someone_elses_pin_and_staff_need_an_identity_check(
    circle: Circle,
) -> None:
    _user, bob = resident_login(circle, circle.bob, "bob")
    with pytest.raises(PermissionDenied):
        services.pin_set(actor=bob, person_id=circle.alice.person_id, pin=PIN)
    staff = clerk(circle, circle.alice.person_id)
    with pytest.raises(ValidationFailed) as err:
        services.pin_set(actor=staff, person_id=circle.alice.person_id, pin=PIN)
    assert "identity_checked" in err.value.fields
    services.pin_set(actor=staff, person_id=circle.alice.person_id, pin=PIN, identity_checked=True)
    assert check_password(PIN, pin_row(circle.alice).pin_hash)


# --- paying with the PIN -----------------------------------------------------------------


def pay(actor: Actor, circle: Circle, *, pin: str, amount: int = 10, k: str | None = None) -> Any:
    return services.payment_with_pin(
        actor=actor,
        debit_account_id=circle.alice.pk,
        credit_account_id=circle.merchant.pk,
        amount=amount,
        pin=pin,
        idempotency_key=k or key(),
        description="brood",
    )


def test_the_right_pin_pays(circle: Circle) -> None:
    _user, alice = resident_login(circle, circle.alice, "alice")
    services.pin_set(actor=alice, person_id=circle.alice.person_id, pin=PIN)
    transfer = pay(alice, circle, pin=PIN)
    refresh(circle.alice, circle.merchant)
    assert (circle.alice.balance, circle.merchant.balance) == (490, 10)
    assert transfer.on_behalf_of_id is None
    assert transfer.channel == "web"


def test_no_pin_yet_is_a_clear_error(circle: Circle) -> None:
    _user, alice = resident_login(circle, circle.alice, "alice")
    with pytest.raises(ValidationFailed) as err:
        pay(alice, circle, pin=PIN)
    assert err.value.code == "pin_not_set"
    assert not Transfer.objects.filter(kind="payment").exists()


def test_five_wrong_tries_lock_the_pin_and_nothing_is_paid(circle: Circle) -> None:
    _user, alice = resident_login(circle, circle.alice, "alice")
    services.pin_set(actor=alice, person_id=circle.alice.person_id, pin=PIN)
    for attempt in range(1, 5):
        with pytest.raises(ValidationFailed) as err:
            pay(alice, circle, pin="9999")
        assert err.value.code == "pin_wrong"
        assert "pin" in err.value.fields
        assert str(5 - attempt) in str(err.value.detail)
        assert pin_row(circle.alice).failed_attempts == attempt
    with pytest.raises(ValidationFailed) as err, translation.override("en"):
        pay(alice, circle, pin="9999")
    assert err.value.code == "pin_locked"
    assert "counter" in str(err.value.detail)
    assert pin_row(circle.alice).locked_at is not None
    # Locked: even the right PIN is refused now, until the counter resets it.
    with pytest.raises(ValidationFailed) as err:
        pay(alice, circle, pin=PIN)
    assert err.value.code == "pin_locked"
    with pytest.raises(ValidationFailed):
        services.pin_set(actor=alice, person_id=circle.alice.person_id, pin="5937", current_pin=PIN)
    assert not Transfer.objects.filter(kind="payment").exists()
    refresh(circle.alice)
    assert circle.alice.balance == 500
    assert AuditEvent.objects.filter(verb="ledger.pin_wrong").count() == 4
    assert AuditEvent.objects.filter(verb="ledger.pin_locked").count() == 1

    staff = clerk(circle, circle.alice.person_id)
    services.pin_reset_by_staff(
        actor=staff, person_id=circle.alice.person_id, identity_checked=True, new_pin="5937"
    )
    row = pin_row(circle.alice)
    assert (row.failed_attempts, row.locked_at) == (0, None)
    pay(alice, circle, pin="5937")


def test_a_right_pin_clears_the_wrong_tries(circle: Circle) -> None:
    _user, alice = resident_login(circle, circle.alice, "alice")
    services.pin_set(actor=alice, person_id=circle.alice.person_id, pin=PIN)
    for _ in range(3):
        with pytest.raises(ValidationFailed):
            pay(alice, circle, pin="0001")
    pay(alice, circle, pin=PIN)
    assert pin_row(circle.alice).failed_attempts == 0


@pytest.mark.django_db(transaction=True)
def test_the_wrong_try_is_saved_although_the_payment_is_refused(system: Actor) -> None:
    """Committed for real (no test transaction around it): the count survives the refusal."""
    circle = make_circle(system)
    _user, alice = resident_login(circle, circle.alice, "alice")
    services.pin_set(actor=alice, person_id=circle.alice.person_id, pin=PIN)
    with pytest.raises(ValidationFailed):
        pay(alice, circle, pin="0001")
    assert pin_row(circle.alice).failed_attempts == 1
    assert AuditEvent.objects.filter(verb="ledger.pin_wrong").count() == 1
    assert not Transfer.objects.filter(kind="payment").exists()


def test_nobody_can_lock_someone_elses_pin_by_guessing(circle: Circle) -> None:
    _user, alice = resident_login(circle, circle.alice, "alice")
    _user_b, bob = resident_login(circle, circle.bob, "bob")
    services.pin_set(actor=alice, person_id=circle.alice.person_id, pin=PIN)
    for _ in range(6):
        with pytest.raises(PermissionDenied):
            pay(bob, circle, pin="0001")
    assert pin_row(circle.alice).failed_attempts == 0


def test_the_same_key_pays_once_and_a_different_request_is_refused(circle: Circle) -> None:
    _user, alice = resident_login(circle, circle.alice, "alice")
    services.pin_set(actor=alice, person_id=circle.alice.person_id, pin=PIN)
    k = key()
    first = pay(alice, circle, pin=PIN, k=k)
    again = pay(alice, circle, pin=PIN, k=k)
    assert again.pk == first.pk
    assert Transfer.objects.filter(kind="payment").count() == 1
    refresh(circle.alice)
    assert circle.alice.balance == 490
    with pytest.raises(Conflict):
        pay(alice, circle, pin=PIN, k=k, amount=11)


# --- the counter: paying on behalf without a PIN -----------------------------------------


def test_a_clerk_pays_on_behalf_without_a_pin(circle: Circle) -> None:
    staff = clerk(circle, circle.alice.person_id)
    transfer = services.payment_on_behalf(
        actor=staff,
        debit_account_id=circle.alice.pk,
        credit_account_id=circle.merchant.pk,
        amount=7,
        idempotency_key=key(),
    )
    assert transfer.on_behalf_of_id == circle.alice.person_id
    assert transfer.channel == "counter"
    assert transfer.actor_label == "loket"
    event = AuditEvent.objects.get(verb="ledger.transfer", object_id=str(transfer.pk))
    assert (event.on_behalf_of_id, event.channel) == (circle.alice.person_id, "counter")


def test_paying_on_behalf_needs_the_permission_and_the_right_resident(circle: Circle) -> None:
    def attempt(actor: Actor, debit: int | None = None) -> Any:
        return services.payment_on_behalf(
            actor=actor,
            debit_account_id=debit or circle.alice.pk,
            credit_account_id=circle.merchant.pk,
            amount=7,
            idempotency_key=key(),
        )

    community = circle.actor.community
    may_act_only = Actor(
        community=community, label="x", permissions=frozenset({"people.act_on_behalf"})
    ).acting_for(circle.alice.person_id)
    with pytest.raises(PermissionDenied):
        attempt(may_act_only)
    not_acting = Actor(
        community=community, label="x", permissions=frozenset({"ledger.pay_on_behalf"})
    )
    with pytest.raises(PermissionDenied):
        attempt(not_acting)
    _user, alice = resident_login(circle, circle.alice, "alice")
    with pytest.raises(PermissionDenied):
        attempt(alice)  # a resident cannot skip their own PIN
    for_bob = clerk(circle, circle.bob.person_id)
    with pytest.raises(PermissionDenied):
        attempt(for_bob)  # acting for Bob does not open Alice's account
    assert not Transfer.objects.filter(kind="payment").exists()


# --- a lost phone ------------------------------------------------------------------------


def test_lost_phone_ends_every_session_and_resets_the_pin(circle: Circle, make_login: Any) -> None:
    user, alice = resident_login(circle, circle.alice, "alice")
    services.pin_set(actor=alice, person_id=circle.alice.person_id, pin=PIN)
    phone, laptop = signed_in(user), signed_in(user)
    other = signed_in(make_login(circle.actor.community, "resident"))
    slug = circle.actor.community.slug
    for client in (phone, laptop, other):
        assert client.get(f"/{slug}/pay/").status_code in (200, 404)
    sessions_before = Session.objects.count()

    _user_b, bob = resident_login(circle, circle.bob, "bob")
    with pytest.raises(PermissionDenied):
        services.sessions_end_everywhere(actor=bob, person_id=circle.alice.person_id)
    staff = clerk(circle, circle.alice.person_id)
    with pytest.raises(ValidationFailed):
        services.lost_phone(actor=staff, person_id=circle.alice.person_id, identity_checked=False)
    assert Session.objects.count() == sessions_before
    assert PaymentPin.objects.exists()

    ended = services.lost_phone(
        actor=staff, person_id=circle.alice.person_id, identity_checked=True
    )
    assert ended == 2
    assert Session.objects.count() == sessions_before - 2
    assert not PaymentPin.objects.filter(person_id=circle.alice.person_id).exists()
    for client in (phone, laptop):
        response = client.get(f"/{slug}/pay/")
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert other.get(f"/{slug}/pay/").status_code != 302
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"ledger.sessions_ended", "ledger.pin_reset"} <= verbs


# --- the pages ---------------------------------------------------------------------------


def key_from(html: str) -> str:
    match = re.search(r'name="key" value="([^"]+)"', html)
    assert match, "the confirm form has no idempotency key"
    return match.group(1)


def test_the_pay_flow_in_pages_pays_once_on_a_double_submit(circle: Circle) -> None:
    user, _alice = resident_login(circle, circle.alice, "alice")
    client = signed_in(user)
    slug = circle.actor.community.slug
    number = circle.merchant.number

    # No PIN yet: the home page says so; choosing one with a typo in the repeat keeps nothing.
    home = client.get(f"/{slug}/pay/")
    assert home.status_code == 200
    assert "500" in home.content.decode()
    bad = client.post(f"/{slug}/pay/pin/", {"pin": PIN, "pin_again": "4827"})
    assert bad.status_code == 422
    assert not PaymentPin.objects.exists()
    trivial = client.post(f"/{slug}/pay/pin/", {"pin": "1234", "pin_again": "1234"})
    assert trivial.status_code == 422
    ok = client.post(f"/{slug}/pay/pin/", {"pin": PIN, "pin_again": PIN})
    assert ok.status_code == 302

    # Step 1: a typo in the number is caught by the check digit; the right one shows the name.
    typo = number[:-1] + str((int(number[-1]) + 1) % 10)
    page = client.get(f"/{slug}/pay/to/", {"number": typo}).content.decode()
    assert "not right" in page
    assert f'value="{typo}"' in page  # what was typed stays
    page = client.get(f"/{slug}/pay/to/", {"number": number}).content.decode()
    assert "Bakkerij" in page
    assert f"to={number}" in page

    # Step 2: a bad amount is refused and kept; a good one goes on to the confirm page.
    page = client.get(f"/{slug}/pay/amount/", {"to": number, "amount": "2,5"}).content.decode()
    assert "whole numbers" in page
    assert 'value="2,5"' in page
    step2 = client.get(
        f"/{slug}/pay/amount/", {"to": number, "amount": "25", "description": "brood"}
    )
    assert step2.status_code == 302
    confirm = client.get(step2["Location"])
    html = confirm.content.decode()
    assert 'inputmode="numeric"' in html and 'autocomplete="off"' in html
    k = key_from(html)
    form = {"to": number, "amount": "25", "description": "brood", "key": k}

    # A wrong PIN: refused, counted, nothing paid; the key stays the same on the form.
    wrong = client.post(f"/{slug}/pay/confirm/", {**form, "pin": "0001"})
    assert wrong.status_code == 422
    assert "Wrong PIN" in wrong.content.decode()
    assert key_from(wrong.content.decode()) == k
    assert pin_row(circle.alice).failed_attempts == 1
    assert not Transfer.objects.filter(kind="payment").exists()

    # The right PIN, twice (a double click or a retry): paid once, the same receipt.
    first = client.post(f"/{slug}/pay/confirm/", {**form, "pin": PIN})
    second = client.post(f"/{slug}/pay/confirm/", {**form, "pin": PIN})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Transfer.objects.filter(kind="payment").count() == 1
    refresh(circle.alice, circle.merchant)
    assert (circle.alice.balance, circle.merchant.balance) == (475, 25)
    receipt = client.get(first["Location"]).content.decode()
    assert "Bakkerij" in receipt and "25" in receipt and "475" in receipt

    # The recent payee is offered next time; the statement shows the running balance.
    assert f"to={number}" in client.get(f"/{slug}/pay/to/").content.decode()
    home = client.get(f"/{slug}/pay/").content.decode()
    assert "brood" in home and "475" in home


def test_a_clerk_on_behalf_pays_without_a_pin_in_the_pages(
    circle: Circle, login_client: Any
) -> None:
    slug = circle.actor.community.slug
    client = login_client(circle.actor.community, "counter_clerk")
    # Without acting on behalf the clerk has no account to pay from.
    assert 'id="balance"' not in client.get(f"/{slug}/pay/").content.decode()
    client.post(f"/{slug}/people/{circle.alice.person_id}/act/")
    step2 = client.get(
        f"/{slug}/pay/amount/", {"to": circle.merchant.number, "amount": "3", "description": ""}
    )
    html = client.get(step2["Location"]).content.decode()
    assert 'name="pin"' not in html
    form = {"to": circle.merchant.number, "amount": "3", "description": "", "key": key_from(html)}
    response = client.post(f"/{slug}/pay/confirm/", form)
    assert response.status_code == 302
    transfer = Transfer.objects.get(kind="payment")
    assert (transfer.on_behalf_of_id, transfer.channel) == (circle.alice.person_id, "counter")


def test_person_page_has_the_currency_card_and_the_lost_phone_action(
    circle: Circle, login_client: Any
) -> None:
    slug = circle.actor.community.slug
    user, alice = resident_login(circle, circle.alice, "alice")
    services.pin_set(actor=alice, person_id=circle.alice.person_id, pin=PIN)
    phone = signed_in(user)
    client = login_client(circle.actor.community, "counter_clerk")
    page = client.get(f"/{slug}/people/{circle.alice.person_id}/").content.decode()
    assert 'id="currency-card"' in page
    n = circle.alice.number
    assert f"{n[:4]} {n[4:8]} {n[8:]}" in page
    assert "lost-phone" in page

    url = f"/{slug}/people/{circle.alice.person_id}/lost-phone/"
    client.post(url, {"action": "lost_phone"})  # no identity check: refused
    assert PaymentPin.objects.filter(person_id=circle.alice.person_id).exists()
    assert phone.get(f"/{slug}/pay/").status_code == 200
    response = client.post(url, {"action": "lost_phone", "identity_checked": "on"})
    assert response.status_code == 302
    assert not PaymentPin.objects.filter(person_id=circle.alice.person_id).exists()
    assert phone.get(f"/{slug}/pay/").status_code == 302

    resident = signed_in(make_resident_user(circle))
    assert resident.post(url, {"action": "lost_phone", "identity_checked": "on"}).status_code == 403


def make_resident_user(circle: Circle) -> Any:
    user, _actor = resident_login(circle, circle.bob, "bob")
    return user


def test_pages_never_show_another_communitys_accounts(
    circle: Circle, other_system: Actor, login_client: Any
) -> None:
    other = make_circle(other_system)
    other_payment = services.transfer_create(
        actor=other_system,
        debit_account_id=other.alice.pk,
        credit_account_id=other.merchant.pk,
        amount=5,
        idempotency_key=key(),
    )
    slug = circle.actor.community.slug
    user, alice = resident_login(circle, circle.alice, "alice")
    services.pin_set(actor=alice, person_id=circle.alice.person_id, pin=PIN)
    client = signed_in(user)
    foreign = other.merchant.number

    page = client.get(f"/{slug}/pay/to/", {"number": foreign}).content.decode()
    assert "There is no account with this number" in page
    assert "Bakkerij" not in page
    assert client.get(f"/{slug}/pay/amount/", {"to": foreign, "amount": "5"}).status_code == 302
    response = client.post(
        f"/{slug}/pay/confirm/", {"to": foreign, "amount": "5", "key": key(), "pin": PIN}
    )
    assert response.status_code == 302
    assert "/pay/to/" in response["Location"]
    assert client.get(f"/{slug}/pay/receipt/{other_payment.pk}/").status_code == 404
    other_slug = other_system.community.slug
    assert client.get(f"/{other_slug}/pay/").status_code == 403
    assert Transfer.objects.filter(community=circle.actor.community, kind="payment").count() == 0

    staff = login_client(circle.actor.community, "coordinator")
    assert staff.get(f"/{slug}/pay/accounts/{circle.alice.pk}/").status_code == 200
    assert staff.get(f"/{slug}/pay/accounts/{other.alice.pk}/").status_code == 404
    assert staff.get(f"/{slug}/people/{other.alice.person_id}/").status_code == 404
    assert (
        staff.post(
            f"/{slug}/people/{other.alice.person_id}/lost-phone/",
            {"action": "lost_phone", "identity_checked": "on"},
        ).status_code
        == 404
    )


def test_another_residents_receipt_is_not_shown(circle: Circle) -> None:
    slug = circle.actor.community.slug
    user_a, alice = resident_login(circle, circle.alice, "alice")
    user_b, _bob = resident_login(circle, circle.bob, "bob")
    services.pin_set(actor=alice, person_id=circle.alice.person_id, pin=PIN)
    transfer = pay(alice, circle, pin=PIN)
    assert signed_in(user_a).get(f"/{slug}/pay/receipt/{transfer.pk}/").status_code == 200
    assert signed_in(user_b).get(f"/{slug}/pay/receipt/{transfer.pk}/").status_code == 404
    # The account page is open to an account's own people (a shop's); for anyone else
    # another's account is simply not there.
    assert signed_in(user_b).get(f"/{slug}/pay/accounts/{circle.alice.pk}/").status_code == 404


# --- the demo command --------------------------------------------------------------------


def test_ledger_demo_command_is_idempotent(community: Any, make_login: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    from buurtkit.ledger.models import Account

    make_login(community, "resident", username="bewoner")
    outputs = []
    for _ in range(2):
        out = StringIO()
        call_command("ledger_demo", "--pin", "2468", stdout=out)
        outputs.append(out.getvalue())
    assert "resident bewoner" in outputs[0] and " 2468" in outputs[0]
    assert "(unchanged)" in outputs[1]
    assert outputs[0].splitlines()[0] == outputs[1].splitlines()[0]  # the same shop
    mine = Account.objects.get(kind="resident", person__user__username="bewoner")
    assert mine.balance == 100
    assert Account.objects.filter(kind="merchant").count() == 1
    assert PaymentPin.objects.count() == 1
