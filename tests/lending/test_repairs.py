"""Repair tickets: who may open one, one open ticket per device, the steps open → in repair →
fixed / replaced / beyond repair with the device's history following, and refusals for
wrong steps; the API and the pages (the device's QR leads to its ticket)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.permissions import ROLE_PERMISSIONS
from buurtkit.lending import selectors, services
from buurtkit.lending.models import Device, DeviceEvent, Loan, RepairTicket
from buurtkit.people import services as people
from buurtkit.people.models import Organisation
from tests.lending.ops_world import available, devices, hand_over, step

pytestmark = pytest.mark.django_db


def _org(system: Actor, slug: str) -> Organisation:
    return people.organisation_create(
        actor=system, name=slug.upper(), slug=slug, kind="social_welfare"
    )


def _as(system: Actor, role: str, *, orgs: tuple[int, ...] = (), label: str = "") -> Actor:
    return Actor(
        community=system.community,
        label=label or role,
        user_id=1,
        permissions=frozenset(ROLE_PERMISSIONS[role]),
        roles=frozenset({role}),
        organisation_ids=frozenset(orgs),
    )


def _events(device: Device) -> list[str]:
    return list(
        DeviceEvent.objects.filter(device=device).order_by("seq").values_list("kind", flat=True)
    )


def _open(actor: Actor, device: Device, **extra: object) -> RepairTicket:
    extra.setdefault("problem", "Het scherm blijft zwart")
    return services.repair_open(actor=actor, device_id=device.pk, **extra)  # type: ignore[arg-type]


# --- the life of a ticket ---------------------------------------------------------------------


def test_a_device_in_stock_is_repaired_and_goes_back_to_the_shelf(system: Actor) -> None:
    device = available(system, devices(system)[0])
    ticket = _open(system, device, repairer="repair_cafe", repairer_name="Repair Café Gent")
    assert ticket.state == "open" and ticket.opened_via == "staff" and ticket.handover is None
    device.refresh_from_db()
    assert device.state == "available"  # reported, not yet taken in

    services.repair_start(actor=system, ticket_id=ticket.pk)
    device.refresh_from_db()
    assert device.state == "in_repair"

    ticket = services.repair_close(actor=system, ticket_id=ticket.pk, outcome="fixed", note="Kabel")
    device.refresh_from_db()
    assert (ticket.state, ticket.outcome_note) == ("fixed", "Kabel") and ticket.closed_at
    assert device.state == "checked"  # checked again before it is offered
    assert _events(device)[-2:] == ["in_repair", "checked"]


def test_a_households_device_goes_back_to_the_household_when_fixed(system: Actor) -> None:
    ocmw = _org(system, "ocmw")
    device = devices(system)[0]
    handover = hand_over(system, [device], organisation_id=ocmw.pk)
    ticket = _open(system, device)
    assert ticket.handover_id == handover.pk and ticket.organisation_id == ocmw.pk
    services.repair_start(actor=system, ticket_id=ticket.pk)
    services.repair_close(actor=system, ticket_id=ticket.pk, outcome="fixed")
    device.refresh_from_db()
    assert device.state == "handed_over"
    assert Loan.objects.get(device=device).state == "open"  # the loan goes on


def test_beyond_repair_writes_the_device_off_and_ends_its_loan(system: Actor) -> None:
    device = devices(system)[0]
    hand_over(system, [device])
    ticket = _open(system, device)
    services.repair_start(actor=system, ticket_id=ticket.pk)
    services.repair_close(actor=system, ticket_id=ticket.pk, outcome="beyond_repair")
    device.refresh_from_db()
    assert device.state == "written_off"
    loan = Loan.objects.get(device=device)
    assert loan.state == "returned" and loan.returned_damaged is True and loan.returned_at


def test_a_replacement_is_recorded_and_the_broken_device_written_off(system: Actor) -> None:
    broken, spare = devices(system, 2)
    hand_over(system, [broken])
    available(system, spare)
    ticket = _open(system, broken)
    # A swap at the counter: straight from "open".
    ticket = services.repair_close(
        actor=system, ticket_id=ticket.pk, outcome="replaced", replacement_device_id=spare.pk
    )
    broken.refresh_from_db()
    spare.refresh_from_db()
    assert ticket.state == "replaced" and ticket.replacement_id == spare.pk
    assert broken.state == "written_off"
    assert spare.state == "available"  # handed over at the counter, with its agreement


def test_replacement_refusals(system: Actor) -> None:
    broken, spare, shelf = devices(system, 3)
    hand_over(system, [broken])
    ticket = _open(system, broken)
    with pytest.raises(ValidationFailed) as missing:
        services.repair_close(actor=system, ticket_id=ticket.pk, outcome="replaced")
    assert "replacement_device_id" in missing.value.fields
    with pytest.raises(ValidationFailed):  # itself
        services.repair_close(
            actor=system, ticket_id=ticket.pk, outcome="replaced", replacement_device_id=broken.pk
        )
    with pytest.raises(Conflict):  # not wiped and checked: not available
        services.repair_close(
            actor=system, ticket_id=ticket.pk, outcome="replaced", replacement_device_id=spare.pk
        )
    with pytest.raises(ValidationFailed):  # a replacement for a device that is fixed
        services.repair_close(
            actor=system,
            ticket_id=ticket.pk,
            outcome="beyond_repair",
            replacement_device_id=spare.pk,
        )
    # A device in the stock has no household to replace it for.
    in_stock = _open(system, available(system, shelf))
    with pytest.raises(Conflict):
        services.repair_close(
            actor=system,
            ticket_id=in_stock.pk,
            outcome="replaced",
            replacement_device_id=available(system, spare).pk,
        )
    assert RepairTicket.objects.filter(state__in=["open", "in_repair"]).count() == 2
    broken.refresh_from_db()
    assert broken.state == "handed_over"  # nothing half-written


def test_wrong_steps_are_refused_clearly(system: Actor) -> None:
    device = available(system, devices(system)[0])
    ticket = _open(system, device)
    with pytest.raises(Conflict) as unrepaired:
        services.repair_close(actor=system, ticket_id=ticket.pk, outcome="fixed")
    assert "outcome" in unrepaired.value.fields
    with pytest.raises(ValidationFailed):
        services.repair_close(actor=system, ticket_id=ticket.pk, outcome="lost")
    services.repair_start(actor=system, ticket_id=ticket.pk)
    with pytest.raises(Conflict) as twice:
        services.repair_start(actor=system, ticket_id=ticket.pk)
    assert "state" in twice.value.fields
    services.repair_close(actor=system, ticket_id=ticket.pk, outcome="fixed")
    for call in (
        lambda: services.repair_start(actor=system, ticket_id=ticket.pk),
        lambda: services.repair_close(actor=system, ticket_id=ticket.pk, outcome="beyond_repair"),
    ):
        with pytest.raises(Conflict):
            call()
    device.refresh_from_db()
    assert device.state == "checked"


def test_a_device_that_cannot_go_in_for_repair_is_refused(system: Actor) -> None:
    fresh, gone = devices(system, 2)
    with pytest.raises(Conflict):  # just received: not even wiped
        _open(system, fresh)
    step(system, gone, "written_off")
    with pytest.raises(Conflict):
        _open(system, gone)
    assert not RepairTicket.objects.exists()


def test_bad_input_is_refused(system: Actor) -> None:
    device = available(system, devices(system)[0])
    for extra, field in (
        ({"problem": "  "}, "problem"),
        ({"problem": "x" * 501}, "problem"),
        ({"repairer": "the neighbour"}, "repairer"),
        ({"repairer": "partner", "repairer_name": ""}, "repairer_name"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            _open(system, device, **extra)
        assert field in refused.value.fields
    assert not RepairTicket.objects.exists()


# --- one open ticket, and a second click ------------------------------------------------------


def test_one_open_ticket_per_device(system: Actor) -> None:
    device = available(system, devices(system)[0])
    first = _open(system, device)
    with pytest.raises(Conflict) as refused:
        _open(system, device, problem="Batterij")
    assert refused.value.code == "repair_open"
    services.repair_start(actor=system, ticket_id=first.pk)
    services.repair_close(actor=system, ticket_id=first.pk, outcome="fixed")
    step(system, device, "available")
    second = _open(system, device, problem="Batterij")  # closed: a new one may open
    assert second.pk != first.pk


def test_a_retried_opening_answers_the_first_ticket(system: Actor) -> None:
    device = available(system, devices(system)[0])
    first = _open(system, device, idempotency_key="click-1")
    again = _open(system, device, idempotency_key="click-1")
    assert again.pk == first.pk and getattr(again, "replayed", False)
    with pytest.raises(Conflict):
        _open(system, device, problem="Iets anders", idempotency_key="click-1")
    assert RepairTicket.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_people_opening_a_ticket_at_once_make_one(system: Actor) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and the partial unique index race on PostgreSQL")
    device = available(system, devices(system)[0])
    results: list[object] = []
    barrier = threading.Barrier(4)

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            results.append(_open(system, device, problem=f"Kapot {n}"))
        except Conflict as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(r, RepairTicket) for r in results) == 1
    assert RepairTicket.objects.filter(device=device).count() == 1


# --- who may open and see tickets -------------------------------------------------------------


def test_a_referrer_reports_only_devices_of_households_they_referred(system: Actor) -> None:
    ocmw, other = _org(system, "ocmw"), _org(system, "cawo")
    theirs, not_theirs, in_stock = devices(system, 3)
    hand_over(system, [theirs], organisation_id=ocmw.pk)
    hand_over(system, [not_theirs], organisation_id=other.pk)
    available(system, in_stock)
    referrer = _as(system, "referrer", orgs=(ocmw.pk,))

    ticket = _open(referrer, theirs)
    assert ticket.opened_via == "referrer" and ticket.organisation_id == ocmw.pk
    for device in (not_theirs, in_stock):
        with pytest.raises(PermissionDenied):
            _open(referrer, device)
    # They see their own organisation's tickets only.
    mine = _open(system, not_theirs)
    assert list(selectors.repairs_for(actor=referrer)) == [ticket]
    assert selectors.repair_get(actor=referrer, ticket_id=ticket.pk) == ticket
    with pytest.raises(NotFound):
        selectors.repair_get(actor=referrer, ticket_id=mine.pk)
    assert selectors.device_for_repair(actor=referrer, label=theirs.label) == theirs
    with pytest.raises(NotFound):
        selectors.device_for_repair(actor=referrer, label=not_theirs.label)
    # Starting and closing repairs is the digibank's work.
    with pytest.raises(PermissionDenied):
        services.repair_start(actor=referrer, ticket_id=ticket.pk)


def test_a_referrer_without_an_organisation_and_other_roles_are_refused(system: Actor) -> None:
    device = devices(system)[0]
    hand_over(system, [device])
    for actor in (_as(system, "referrer"), _as(system, "auditor"), _as(system, "resident")):
        with pytest.raises(PermissionDenied):
            _open(actor, device)
        with pytest.raises(PermissionDenied):
            list(selectors.repairs_for(actor=actor))


def test_the_resident_at_the_counter_through_staff(system: Actor, make_person: Callable) -> None:
    person = make_person(system)
    device = devices(system)[0]
    hand_over(system, [device], person_id=person.pk)
    clerk = _as(system, "counter_clerk").acting_for(person.pk)
    ticket = _open(clerk, device)
    assert ticket.opened_via == "counter"
    with pytest.raises(PermissionDenied):  # the clerk reports; the repairers repair
        services.repair_start(actor=clerk, ticket_id=ticket.pk)


def test_tickets_of_another_community_are_not_found(system: Actor, other_system: Actor) -> None:
    device = available(system, devices(system)[0])
    ticket = _open(system, device)
    with pytest.raises(NotFound):
        selectors.repair_get(actor=other_system, ticket_id=ticket.pk)
    with pytest.raises(NotFound):
        services.repair_start(actor=other_system, ticket_id=ticket.pk)
    with pytest.raises(NotFound):
        _open(other_system, device)
    assert list(selectors.repairs_for(actor=other_system)) == []


# --- the API ---------------------------------------------------------------------------------


def _post(client: Client, url: str, body: dict, **headers: str) -> object:
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def test_the_api_opens_starts_and_closes(
    community: Community, system: Actor, api: Callable[..., Client]
) -> None:
    device = available(system, devices(system)[0])
    client = api(community, ["staff"])
    key = uuid.uuid4().hex
    body = {"device_id": device.pk, "problem": "Toetsenbord", "repairer": "after_sales"}
    first = _post(client, "/api/v1/lending/repairs", body, **{"Idempotency-Key": key})
    assert first.status_code == 201, first.content
    again = _post(client, "/api/v1/lending/repairs", body, **{"Idempotency-Key": key})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    ticket_id = first.json()["id"]
    assert first.json()["device_label"] == device.label
    second = _post(client, "/api/v1/lending/repairs", {**body, "problem": "Ander"})
    assert second.status_code == 409 and second.json()["error"] == "repair_open"
    fixed = _post(client, f"/api/v1/lending/repairs/{ticket_id}/close", {"outcome": "fixed"})
    assert fixed.status_code == 409
    started = _post(client, f"/api/v1/lending/repairs/{ticket_id}/start", {})
    assert started.json()["state"] == "in_repair"
    closed = _post(client, f"/api/v1/lending/repairs/{ticket_id}/close", {"outcome": "fixed"})
    assert closed.json()["state"] == "fixed"
    listed = client.get("/api/v1/lending/repairs?state=fixed").json()
    assert [t["id"] for t in listed["items"]] == [ticket_id]
    assert client.get("/api/v1/lending/repairs?state=weird").status_code == 422


# --- the pages ---------------------------------------------------------------------------------


def test_the_device_qr_leads_to_its_ticket_or_to_reporting_it(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    device = available(system, devices(system)[0])
    client = login_client(community, "volunteer")
    url = f"/rabot/lending/devices/{device.pk}/repair/"
    to_form = client.get(url)
    assert to_form.status_code == 302 and "repairs/new/" in to_form["Location"]
    page = client.get(to_form["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and device.label in page.content.decode()
    key = uuid.uuid4().hex
    post = {"device": device.label, "problem": "Geen geluid", "repairer": "own",
            "repairer_name": "Jan", "idempotency_key": key}  # fmt: skip
    opened = client.post("/rabot/lending/repairs/new/", post)
    assert opened.status_code == 302
    ticket = RepairTicket.objects.get()
    assert client.post("/rabot/lending/repairs/new/", post).status_code == 302  # second click
    assert RepairTicket.objects.count() == 1
    assert client.get(url)["Location"].endswith(f"/repairs/{ticket.pk}/")
    detail = client.get(f"/rabot/lending/repairs/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Geen geluid" in detail.content.decode()
    client.post(f"/rabot/lending/repairs/{ticket.pk}/start/")
    client.post(f"/rabot/lending/repairs/{ticket.pk}/close/", {"outcome": "fixed", "note": "ok"})
    ticket.refresh_from_db()
    assert ticket.state == "fixed"
    listing = client.get("/rabot/lending/repairs/?state=fixed", HTTP_ACCEPT_LANGUAGE="en")
    assert device.label in listing.content.decode()


def test_the_form_keeps_what_was_typed_on_error(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "counter_clerk")
    response = client.post(
        "/rabot/lending/repairs/new/",
        {
            "device": "DB-999999",
            "problem": "Valt uit",
            "repairer": "after_sales",
            "idempotency_key": "k",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Valt uit" in page and "DB-999999" in page
    assert not RepairTicket.objects.exists()


def test_a_referrer_uses_the_pages_for_their_own_households(
    community: Community, system: Actor, make_login: Callable
) -> None:
    ocmw = _org(system, "ocmw")
    device = devices(system)[0]
    hand_over(system, [device], organisation_id=ocmw.pk)
    user = make_login(community, "referrer")
    people.membership_grant(
        actor=system, username=user.username, roles=["referrer"], organisation_id=ocmw.pk
    )
    client = Client()
    client.force_login(user)
    response = client.post(
        "/rabot/lending/repairs/new/",
        {
            "device": device.label,
            "problem": "Scherm",
            "repairer": "after_sales",
            "idempotency_key": "r1",
        },
    )
    assert response.status_code == 302, response.content
    ticket = RepairTicket.objects.get()
    assert ticket.opened_via == "referrer"
    assert client.get("/rabot/lending/repairs/").status_code == 200
    assert client.get(f"/rabot/lending/repairs/{ticket.pk}/").status_code == 200
    assert client.post(f"/rabot/lending/repairs/{ticket.pk}/start/").status_code == 403
    assert client.get("/rabot/lending/").status_code == 403  # the overview is the staff's


def test_staff_close_with_a_replacement_on_the_page(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    broken, spare = devices(system, 2)
    hand_over(system, [broken])
    available(system, spare)
    ticket = _open(system, broken)
    client = login_client(community, "staff")
    page = client.get(f"/rabot/lending/repairs/{ticket.pk}/").content.decode()
    assert spare.label in page  # offered as a replacement
    client.post(
        f"/rabot/lending/repairs/{ticket.pk}/close/",
        {"outcome": "replaced", "replacement": str(spare.pk)},
    )
    ticket.refresh_from_db()
    assert ticket.state == "replaced" and ticket.replacement_id == spare.pk


# --- GDPR -----------------------------------------------------------------------------------


def test_a_persons_repairs_are_exported_and_anonymised(
    system: Actor, make_person: Callable
) -> None:
    person = make_person(system, first_name="Griet", last_name="Van Acker")
    device = devices(system)[0]
    hand_over(system, [device], person_id=person.pk)
    ticket = _open(system, device, problem="Griet Van Acker liet hem vallen")
    services.repair_start(actor=system, ticket_id=ticket.pk)
    services.repair_close(
        actor=system, ticket_id=ticket.pk, outcome="fixed", note="Terug naar Griet"
    )
    exported = people.person_gdpr_export(actor=system, person_id=person.pk)
    repairs = exported["lending"]["repairs"]
    assert [r["device"] for r in repairs] == [device.label]
    assert repairs[0]["state"] == "fixed" and "Griet" in repairs[0]["problem"]

    people.person_anonymise(actor=system, person_id=person.pk)
    ticket.refresh_from_db()
    assert "Griet" not in ticket.problem and "Van Acker" not in ticket.problem
    assert "Griet" not in ticket.outcome_note
    assert ticket.state == "fixed" and ticket.device_id == device.pk  # the figures stay


def test_a_device_returned_while_in_repair_is_not_sent_back(system: Actor) -> None:
    device = devices(system)[0]
    hand_over(system, [device])
    ticket = _open(system, device)
    services.repair_start(actor=system, ticket_id=ticket.pk)
    step(system, device, "returned")  # the household ended the loan meanwhile
    services.repair_close(actor=system, ticket_id=ticket.pk, outcome="fixed")
    device.refresh_from_db()
    assert device.state == "returned"  # to be wiped before anything else, not handed over
    assert _events(device)[-1] == "returned"
