"""Exchange offices: paper notes in and out of a till, together with the money; the daily count."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from buurtkit.audit.models import AuditEvent
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.permissions import permissions_for_roles
from buurtkit.ledger import selectors, services
from buurtkit.ledger.models import DailyCount, TillMovement, Transfer
from buurtkit.people.services import organisation_create
from tests.ledger.conftest import Circle, key, make_circle, refresh

PIN = "4826"


def make_office(circle: Circle, name: str = "Wisselkantoor Rabot") -> Any:
    org = organisation_create(
        actor=circle.actor,
        name=f"Org {name}",
        slug=name.lower().replace(" ", "-"),
        kind="association",
    )
    office = services.exchange_office_create(actor=circle.actor, name=name, organisation_id=org.pk)
    services.office_opening_float(
        actor=circle.actor, office_id=office.pk, notes={1: 10, 5: 10, 10: 4}, idempotency_key=key()
    )
    return office


@pytest.fixture
def office(circle: Circle) -> Any:
    return make_office(circle)


def clerk(circle: Circle, person_id: int | None = None) -> Actor:
    actor = Actor(
        community=circle.actor.community,
        label="loket",
        roles=frozenset({"counter_clerk"}),
        permissions=permissions_for_roles({"counter_clerk"}),
    )
    return actor.acting_for(person_id, channel="counter") if person_id else actor


def counts() -> tuple[int, int, int, int]:
    return (
        Transfer.objects.count(),
        TillMovement.objects.count(),
        AuditEvent.objects.count(),
        DailyCount.objects.count(),
    )


def assert_all_invariants(circle: Circle, office: Any) -> None:
    assert selectors.invariant_violations(currency=circle.currency) == []
    assert selectors.till_violations(office_id=office.pk) == []


# --- deposit and withdraw ---------------------------------------------------------------


def test_deposit_moves_notes_and_money_together(circle: Circle, office: Any) -> None:
    actor = clerk(circle, circle.bob.person_id)
    transfer = services.exchange_deposit(
        actor=actor,
        office_id=office.pk,
        account_id=circle.bob.pk,
        notes={"5": 2, 10: 1, "1": "3"},
        idempotency_key=key(),
    )
    refresh(circle.bob, circle.paper)
    assert transfer.kind == "exchange_in" and transfer.amount == 23
    assert transfer.debit_id == circle.paper.pk and transfer.credit_id == circle.bob.pk
    assert circle.bob.balance == 23 and circle.paper.balance == -23
    assert selectors.till_counts(office_id=office.pk) == {1: 13, 5: 12, 10: 5}
    assert set(TillMovement.objects.filter(transfer=transfer).values_list("reason", flat=True)) == {
        "deposit"
    }
    # On behalf is recorded on the transfer and on the notes.
    assert transfer.on_behalf_of_id == circle.bob.person_id and transfer.channel == "counter"
    assert set(
        TillMovement.objects.filter(transfer=transfer).values_list("on_behalf_of_id", flat=True)
    ) == {circle.bob.person_id}
    assert AuditEvent.objects.filter(verb="ledger.exchange_deposit").count() == 1
    assert_all_invariants(circle, office)


def test_withdraw_moves_notes_and_money_together(circle: Circle, office: Any) -> None:
    actor = clerk(circle, circle.alice.person_id)
    transfer = services.exchange_withdraw(
        actor=actor,
        office_id=office.pk,
        account_id=circle.alice.pk,
        notes={10: 2, 5: 1},
        idempotency_key=key(),
    )
    refresh(circle.alice, circle.paper)
    assert transfer.kind == "exchange_out" and transfer.amount == 25
    assert circle.alice.balance == 475 and circle.paper.balance == 25
    assert selectors.till_counts(office_id=office.pk) == {1: 10, 5: 9, 10: 2}
    assert transfer.on_behalf_of_id == circle.alice.person_id
    assert_all_invariants(circle, office)


def test_money_goes_round_deposit_then_withdraw(circle: Circle, office: Any) -> None:
    services.exchange_withdraw(
        actor=clerk(circle, circle.alice.person_id),
        office_id=office.pk,
        account_id=circle.alice.pk,
        notes={10: 4},
        idempotency_key=key(),
    )
    services.exchange_deposit(
        actor=clerk(circle, circle.bob.person_id),
        office_id=office.pk,
        account_id=circle.bob.pk,
        notes={10: 4},
        idempotency_key=key(),
    )
    refresh(circle.paper, circle.bob)
    assert circle.paper.balance == 0 and circle.bob.balance == 40
    assert selectors.till_counts(office_id=office.pk)[10] == 4
    assert_all_invariants(circle, office)


BAD_NOTES = [
    ({3: 1}, "note_3"),  # no such note
    ({"abc": 1}, "note_abc"),
    ({5: -1}, "note_5"),
    ({5: "1.5"}, "note_5"),
    ({5: 0}, "notes"),  # nothing counted
    ({}, "notes"),
    ({5: 10**6}, "note_5"),
]


@pytest.mark.parametrize(("notes", "field"), BAD_NOTES)
def test_bad_notes_are_refused_and_nothing_is_written(
    circle: Circle, office: Any, notes: dict[Any, Any], field: str
) -> None:
    before = counts()
    for service, account in (
        (services.exchange_deposit, circle.bob),
        (services.exchange_withdraw, circle.alice),
    ):
        with pytest.raises(ValidationFailed) as exc:
            service(
                actor=clerk(circle, account.person_id),
                office_id=office.pk,
                account_id=account.pk,
                notes=notes,
                idempotency_key=key(),
            )
        assert field in exc.value.fields, exc.value.fields
    assert counts() == before


def test_too_few_notes_in_the_till_is_refused(circle: Circle, office: Any) -> None:
    before = counts()
    with pytest.raises(Conflict) as exc:
        services.exchange_withdraw(
            actor=clerk(circle, circle.alice.person_id),
            office_id=office.pk,
            account_id=circle.alice.pk,
            notes={10: 5, 5: 1},
            idempotency_key=key(),
        )
    assert exc.value.code == "not_enough_notes"
    assert set(exc.value.fields) == {"note_10"}
    assert counts() == before
    refresh(circle.alice)
    assert circle.alice.balance == 500


def test_insufficient_balance_is_refused(circle: Circle, office: Any) -> None:
    services.office_opening_float(
        actor=circle.actor, office_id=office.pk, notes={10: 100}, idempotency_key=key()
    )
    before = counts()
    with pytest.raises(services.InsufficientBalance):
        services.exchange_withdraw(
            actor=clerk(circle, circle.bob.person_id),
            office_id=office.pk,
            account_id=circle.bob.pk,
            notes={10: 1},
            idempotency_key=key(),
        )
    assert counts() == before
    assert_all_invariants(circle, office)


def test_a_retry_exchanges_once_and_a_different_request_with_the_key_is_refused(
    circle: Circle, office: Any
) -> None:
    actor = clerk(circle, circle.bob.person_id)
    k = key()
    first = services.exchange_deposit(
        actor=actor, office_id=office.pk, account_id=circle.bob.pk, notes={5: 2}, idempotency_key=k
    )
    before = counts()
    again = services.exchange_deposit(
        actor=actor,
        office_id=office.pk,
        account_id=circle.bob.pk,
        notes={"5": 2},
        idempotency_key=k,
    )
    assert again.pk == first.pk and again.replayed
    assert counts() == before
    # Same total, other notes; other account; other office; other direction: all refused.
    other_office = make_office(circle, "Tweede kantoor")
    before = counts()
    for kwargs in (
        {"notes": {1: 10}},
        {"account_id": circle.alice.pk},
        {"office_id": other_office.pk},
    ):
        call = {"office_id": office.pk, "account_id": circle.bob.pk, "notes": {5: 2}} | kwargs
        with pytest.raises(Conflict) as exc:
            services.exchange_deposit(actor=circle.actor, idempotency_key=k, **call)  # type: ignore[arg-type]
        assert exc.value.code == "idempotency_conflict"
    with pytest.raises(Conflict):
        services.exchange_withdraw(
            actor=circle.actor,
            office_id=office.pk,
            account_id=circle.bob.pk,
            notes={5: 2},
            idempotency_key=k,
        )
    assert counts() == before
    refresh(circle.bob)
    assert circle.bob.balance == 10
    assert_all_invariants(circle, office)


def test_opening_float_is_idempotent(circle: Circle, office: Any) -> None:
    k = key()
    services.office_opening_float(
        actor=circle.actor, office_id=office.pk, notes={20: 5}, idempotency_key=k
    )
    before = counts()
    services.office_opening_float(
        actor=circle.actor, office_id=office.pk, notes={20: 5}, idempotency_key=k
    )
    assert counts() == before
    with pytest.raises(Conflict):
        services.office_opening_float(
            actor=circle.actor, office_id=office.pk, notes={20: 6}, idempotency_key=k
        )
    assert selectors.till_counts(office_id=office.pk)[20] == 5


def test_withdraw_needs_the_resident_there_or_their_pin(circle: Circle, office: Any) -> None:
    """A clerk who is not serving the resident cannot take money out of their account;
    the resident's PIN typed at the counter is enough."""
    before = counts()
    with pytest.raises(PermissionDenied):
        services.exchange_withdraw(
            actor=clerk(circle),
            office_id=office.pk,
            account_id=circle.alice.pk,
            notes={5: 1},
            idempotency_key=key(),
        )
    with pytest.raises(PermissionDenied):  # serving Bob, not Alice
        services.exchange_withdraw(
            actor=clerk(circle, circle.bob.person_id),
            office_id=office.pk,
            account_id=circle.alice.pk,
            notes={5: 1},
            idempotency_key=key(),
        )
    assert counts() == before
    services.pin_set(
        actor=circle.actor, person_id=circle.alice.person_id, pin=PIN, identity_checked=True
    )
    with pytest.raises(ValidationFailed):
        services.exchange_withdraw(
            actor=clerk(circle),
            office_id=office.pk,
            account_id=circle.alice.pk,
            notes={5: 1},
            idempotency_key=key(),
            pin="9371",
        )
    transfer = services.exchange_withdraw(
        actor=clerk(circle),
        office_id=office.pk,
        account_id=circle.alice.pk,
        notes={5: 1},
        idempotency_key=key(),
        pin=PIN,
    )
    assert transfer.on_behalf_of_id == circle.alice.person_id


def test_permissions_of_the_services(circle: Circle, office: Any) -> None:
    staff = Actor(
        community=circle.actor.community,
        label="staff",
        permissions=permissions_for_roles({"staff"}),
    ).acting_for(circle.bob.person_id)
    before = counts()
    with pytest.raises(PermissionDenied):
        services.exchange_deposit(
            actor=staff,
            office_id=office.pk,
            account_id=circle.bob.pk,
            notes={5: 1},
            idempotency_key=key(),
        )
    with pytest.raises(PermissionDenied):
        services.office_daily_count(actor=staff, office_id=office.pk, counted={5: 1})
    with pytest.raises(PermissionDenied):
        services.office_opening_float(
            actor=staff, office_id=office.pk, notes={5: 1}, idempotency_key=key()
        )
    assert counts() == before


def test_another_communitys_office_or_account_is_not_found(
    circle: Circle, office: Any, other_system: Actor
) -> None:
    other = make_circle(other_system)
    other_office = make_office(other, "Elders")
    before = counts()
    with pytest.raises(NotFound):  # our clerk, their office
        services.exchange_deposit(
            actor=clerk(circle),
            office_id=other_office.pk,
            account_id=circle.bob.pk,
            notes={5: 1},
            idempotency_key=key(),
        )
    with pytest.raises(NotFound):  # our office, their account
        services.exchange_deposit(
            actor=clerk(circle),
            office_id=office.pk,
            account_id=other.bob.pk,
            notes={5: 1},
            idempotency_key=key(),
        )
    with pytest.raises(NotFound):
        services.office_daily_count(actor=clerk(circle), office_id=other_office.pk, counted={})
    assert counts() == before


# --- the daily count ---------------------------------------------------------------------


def test_daily_count_records_expected_counted_and_the_difference(
    circle: Circle, office: Any
) -> None:
    actor = clerk(circle)
    count = services.office_daily_count(
        actor=actor, office_id=office.pk, counted={1: 10, 5: 9, 10: 4}, note="één vijfje kwijt"
    )
    assert count.expected == {"1": 10, "5": 10, "10": 4, "20": 0}
    assert count.counted == {"1": 10, "5": 9, "10": 4, "20": 0}
    assert count.discrepancy == {"1": 0, "5": -1, "10": 0, "20": 0}
    assert count.has_discrepancy and count.actor_label == "loket"
    # Recorded, never fixed: the till still says 10.
    assert selectors.till_counts(office_id=office.pk)[5] == 10
    event = AuditEvent.objects.get(verb="ledger.office_count")
    assert event.data["discrepancy"] == {"5": -1}
    # A recount the same day is a new row replacing the first.
    recount = services.office_daily_count(
        actor=actor, office_id=office.pk, counted={1: 10, 5: 10, 10: 4}
    )
    assert recount.replaces_id == count.pk and not recount.has_discrepancy
    assert DailyCount.objects.count() == 2


def test_correction_books_the_difference_with_a_reason_and_is_audited(
    circle: Circle, office: Any
) -> None:
    count = services.office_daily_count(
        actor=clerk(circle), office_id=office.pk, counted={1: 10, 5: 9, 10: 5}
    )
    before = counts()
    with pytest.raises(PermissionDenied):  # the clerk who counted cannot correct it
        services.office_correct_count(
            actor=clerk(circle), office_id=office.pk, count_id=count.pk, reason="x"
        )
    with pytest.raises(ValidationFailed):
        services.office_correct_count(
            actor=circle.actor, office_id=office.pk, count_id=count.pk, reason=" "
        )
    assert counts() == before
    movements = services.office_correct_count(
        actor=circle.actor, office_id=office.pk, count_id=count.pk, reason="Briefje gevonden"
    )
    assert {(m.denomination, m.delta, m.reason) for m in movements} == {
        (5, -1, "count_correction"),
        (10, 1, "count_correction"),
    }
    assert selectors.till_counts(office_id=office.pk) == {1: 10, 5: 9, 10: 5}
    event = AuditEvent.objects.get(verb="ledger.office_count_corrected")
    assert event.data["reason"] == "Briefje gevonden"
    with pytest.raises(Conflict):  # once
        services.office_correct_count(
            actor=circle.actor, office_id=office.pk, count_id=count.pk, reason="again"
        )


def test_correction_refused_when_the_till_changed_since_the_count(
    circle: Circle, office: Any
) -> None:
    count = services.office_daily_count(actor=clerk(circle), office_id=office.pk, counted={1: 9})
    services.exchange_deposit(
        actor=clerk(circle, circle.bob.person_id),
        office_id=office.pk,
        account_id=circle.bob.pk,
        notes={5: 1},
        idempotency_key=key(),
    )
    before = counts()
    with pytest.raises(Conflict) as exc:
        services.office_correct_count(
            actor=circle.actor, office_id=office.pk, count_id=count.pk, reason="x"
        )
    assert exc.value.code == "till_changed"
    assert counts() == before


def test_till_movements_are_append_only(circle: Circle, office: Any) -> None:
    from buurtkit.ledger.models import TransferImmutable

    movement = TillMovement.objects.first()
    assert movement is not None
    with pytest.raises(TransferImmutable):
        movement.save()
    with pytest.raises(TransferImmutable):
        TillMovement.objects.all().update(delta=5)
    with pytest.raises(TransferImmutable):
        TillMovement.objects.all().delete()


# --- pages -------------------------------------------------------------------------------


def page_client(circle: Circle, make_login: Any, role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_login(circle.actor.community, role))
    return client


def url(circle: Circle, path: str) -> str:
    return f"/{circle.actor.community.slug}/exchange/{path}"


def test_counter_pages_for_a_clerk(circle: Circle, office: Any, make_login: Any) -> None:
    client = page_client(circle, make_login, "counter_clerk")
    # One office: straight to its counter screen.
    assert client.get(url(circle, "")).url.endswith(f"/exchange/{office.pk}/")
    page = client.get(url(circle, f"{office.pk}/?q=Bob"))
    assert page.status_code == 200
    assert b"Bob" in page.content and b"Serve this person" in page.content
    # Serve Bob: acting on his behalf at the counter.
    served = client.post(url(circle, f"{office.pk}/serve/{circle.bob.pk}/"))
    assert served.status_code == 302
    # Deposit: the live total, then confirm.
    deposit = url(circle, f"{office.pk}/deposit/{circle.bob.pk}/")
    form = client.get(deposit)
    assert b'inputmode="numeric"' in form.content and b"note_20" in form.content
    total = client.post(
        deposit, {"note_5": "2", "note_1": "1", "action": "total"}, HTTP_HX_REQUEST="true"
    )
    assert b"11" in total.content
    assert TillMovement.objects.filter(reason="deposit").count() == 0
    done = client.post(deposit, {"note_5": "2", "note_1": "1", "key": "k1", "action": "confirm"})
    assert done.status_code == 302, done.content
    again = client.post(deposit, {"note_5": "2", "note_1": "1", "key": "k1", "action": "confirm"})
    assert again.status_code == 302
    refresh(circle.bob)
    assert circle.bob.balance == 11
    transfer = Transfer.objects.get(idempotency_key="k1")
    assert transfer.on_behalf_of_id == circle.bob.person_id
    # Bad input: a clear error, the typed values kept, nothing written.
    before = counts()
    bad = client.post(deposit, {"note_5": "-2", "note_10": "3", "key": "k2", "action": "confirm"})
    assert bad.status_code == 422
    assert b"cannot be below zero" in bad.content and b'value="3"' in bad.content
    assert counts() == before
    # Withdraw for Bob (served), more than he has: refused.
    withdraw = url(circle, f"{office.pk}/withdraw/{circle.bob.pk}/")
    refused = client.post(withdraw, {"note_10": "2", "key": "k3", "action": "confirm"})
    assert refused.status_code == 422 and b"Not enough money" in refused.content
    ok = client.post(withdraw, {"note_10": "1", "key": "k4", "action": "confirm"})
    assert ok.status_code == 302, ok.content
    # The counter screen shows the till and today's history.
    screen = client.get(url(circle, f"{office.pk}/"))
    assert b"paper handed in" in screen.content and b"paper handed out" in screen.content
    # The daily count: a difference is shown, and recorded.
    count = client.post(
        url(circle, f"{office.pk}/count/"), {"note_1": "11", "note_5": "12", "note_10": "2"}
    )
    assert count.status_code == 302
    shown = client.get(url(circle, f"{office.pk}/count/"))
    assert b"does not match" in shown.content and b'class="bad"' in shown.content
    assert DailyCount.objects.get().has_discrepancy
    assert_all_invariants(circle, office)


def test_pages_need_the_permission_and_the_community(
    circle: Circle, office: Any, make_login: Any, other_system: Actor
) -> None:
    staff = page_client(circle, make_login, "staff")
    for path in (
        "",
        f"{office.pk}/",
        f"{office.pk}/count/",
        f"{office.pk}/deposit/{circle.bob.pk}/",
    ):
        assert staff.get(url(circle, path)).status_code == 403
    before = counts()
    assert (
        staff.post(
            url(circle, f"{office.pk}/deposit/{circle.bob.pk}/"),
            {"note_5": "1", "key": "x", "action": "confirm"},
        ).status_code
        == 403
    )
    assert counts() == before
    # A clerk of another community: their office id is not found here.
    other = make_circle(other_system)
    other_office = make_office(other, "Elders")
    clerk_client = page_client(circle, make_login, "counter_clerk")
    before = counts()
    assert clerk_client.get(url(circle, f"{other_office.pk}/")).status_code == 404
    assert (
        clerk_client.post(
            url(circle, f"{office.pk}/deposit/{other.bob.pk}/"),
            {"note_5": "1", "key": "y", "action": "confirm"},
        ).status_code
        == 404
    )
    assert counts() == before
    # Correcting a count needs ledger.manage.
    count = services.office_daily_count(actor=circle.actor, office_id=office.pk, counted={})
    refused = clerk_client.post(
        url(circle, f"{office.pk}/count/{count.pk}/correct/"), {"reason": "x"}
    )
    assert refused.status_code == 403
    assert not TillMovement.objects.filter(reason="count_correction").exists()


def test_dashboard_links_to_the_exchange_office(circle: Circle, make_login: Any) -> None:
    client = page_client(circle, make_login, "counter_clerk")
    page = client.get(f"/{circle.actor.community.slug}/")
    assert f"/{circle.actor.community.slug}/exchange/".encode() in page.content
