"""The device bank's stock pages: the list with its overview, search and filters; a device's
page with the next step (a wipe with its evidence, a second click, a step that cannot follow);
the donation intake with rows and a double submit; who may see and write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.lending import services
from buurtkit.lending.models import Device, DeviceEvent, Donation
from buurtkit.people import services as people_services

pytestmark = pytest.mark.django_db
EVIDENCE = {"method": "NIST 800-88 purge", "tool": "nwipe 0.35", "operator": "Sofie",
            "wiped_on": "2026-12-01"}  # fmt: skip


def _donate(actor: Actor, devices: list[dict[str, Any]], **extra: Any) -> Donation:
    return services.donation_receive(
        actor=actor,
        received_on=date(2026, 12, 1),
        donor_name=extra.pop("donor_name", "Barco"),
        devices=devices,
        **extra,
    )


def _step_post(device: Device, **values: Any) -> dict[str, Any]:
    return {"expected_seq": device.events_count, "note": "", **values}


def test_device_list_shows_the_stock_and_finds_by_label_serial_and_text(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    _donate(
        system,
        [
            {"kind": "laptop", "brand": "Dell", "model": "Latitude 5490", "serial": "SN-AAA"},
            {"kind": "laptop", "brand": "Lenovo", "model": "ThinkPad T480", "serial": "SN-BBB"},
            {"kind": "tablet", "brand": "Samsung", "model": "Tab A", "pool": "place"},
        ],
    )
    client = login_client(community, "counter_clerk")  # lending.view only
    page = client.get("/rabot/lending/devices/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "3 devices in all" in html
    assert "Take in a donation" not in html  # no lending.manage
    # laptop row: 2 received, total 2; pool "equipment of a place": 1
    laptop = next(row for row in page.context["stock_rows"] if row[0] == "laptop")
    assert laptop[1][0] == 2 and laptop[2] == 2
    assert ("equipment of a place", 1) in [(str(a), b) for a, b in page.context["pool_rows"]]

    def labels(**params: str) -> list[str]:
        response = client.get("/rabot/lending/devices/", params)
        return [d.label for d in response.context["page"]]

    assert labels(q="sn-bbb") == ["DB-000002"]
    assert labels(q="DB-000003") == ["DB-000003"]
    assert labels(q="thinkpad") == ["DB-000002"]
    assert labels(q="lenovo thinkpad") == ["DB-000002"]  # brand and model together
    assert labels(q="000003") == ["DB-000003"]  # part of a label
    assert labels(q="SN-") == []  # a serial number is found whole, not by a part
    assert labels(kind="tablet") == ["DB-000003"]
    assert labels(pool="handout") == ["DB-000001", "DB-000002"]
    assert labels(state="wiped") == []
    assert labels(state="nonsense") == ["DB-000001", "DB-000002", "DB-000003"]  # ignored


def test_a_wipe_needs_its_evidence_and_the_form_keeps_what_was_typed(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    device = _donate(system, [{"kind": "laptop", "serial": "SN1"}]).devices.get()
    client = login_client(community, "volunteer")
    url = f"/rabot/lending/devices/{device.pk}/step/"
    refused = client.post(
        url, _step_post(device, kind="wiped", method="DBAN 3 passes", tool="DBAN 2.3")
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'value="DBAN 3 passes"' in html and 'value="DBAN 2.3"' in html
    assert not DeviceEvent.objects.filter(device=device, kind="wiped").exists()

    done = client.post(url, _step_post(device, kind="wiped", **EVIDENCE))
    assert done.status_code == 302
    event = DeviceEvent.objects.get(device=device, kind="wiped")
    assert event.data == EVIDENCE and event.seq == 2
    page = client.get(f"/rabot/lending/devices/{device.pk}/").content.decode()
    assert f"EC-{device.label}-002" in page  # its certificate is linked
    assert f"/rabot/lending/devices/{device.pk}/certificates/2.pdf" in page


def test_a_second_click_records_the_step_once(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    device = _donate(system, [{"kind": "laptop"}]).devices.get()
    client = login_client(community, "staff")
    form = _step_post(device, kind="wiped", **EVIDENCE)  # the page as it was shown
    first = client.post(f"/rabot/lending/devices/{device.pk}/step/", form)
    second = client.post(
        f"/rabot/lending/devices/{device.pk}/step/", form, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert first.status_code == 302
    assert second.status_code == 400
    assert "Someone else changed this device just now" in second.content.decode()
    assert DeviceEvent.objects.filter(device=device).count() == 2
    # The page now offers the steps after "wiped", with the new number of steps.
    assert second.context["form"]["expected_seq"].value() == 2
    assert second.context["form"]["method"].value() == EVIDENCE["method"]


def test_the_form_offers_only_the_steps_that_may_follow(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    device = _donate(system, [{"kind": "laptop"}]).devices.get()
    client = login_client(community, "staff")
    page = client.get(f"/rabot/lending/devices/{device.pk}/")
    offered = [key for key, _label in page.context["form"].fields["kind"].choices]
    assert offered == ["wiped", "written_off", "recycled"]
    refused = client.post(
        f"/rabot/lending/devices/{device.pk}/step/", _step_post(device, kind="available")
    )
    assert refused.status_code == 400
    assert DeviceEvent.objects.filter(device=device).count() == 1


def test_a_hand_over_is_not_a_step_of_the_device_page_but_of_the_counter(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    """Handing a device over needs the identity check and the signed agreement: the device
    page sends staff to the counter instead of recording it."""
    device = _donate(system, [{"kind": "laptop"}]).devices.get()
    services.device_record_event(actor=system, device_id=device.pk, kind="wiped", evidence=EVIDENCE)
    for step in ("checked", "available"):
        services.device_record_event(actor=system, device_id=device.pk, kind=step)
    device.refresh_from_db()
    client = login_client(community, "staff")
    page = client.get(f"/rabot/lending/devices/{device.pk}/")
    offered = [key for key, _label in page.context["form"].fields["kind"].choices]
    assert "handed_over" not in offered and "reserved" in offered
    assert f"/rabot/lending/counter/?q={device.label}" in page.content.decode()
    refused = client.post(
        f"/rabot/lending/devices/{device.pk}/step/", _step_post(device, kind="handed_over")
    )
    assert refused.status_code == 400
    assert Device.objects.get(pk=device.pk).state == "available"


def test_roles_without_lending_manage_cannot_record_a_step(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    device = _donate(system, [{"kind": "laptop"}]).devices.get()
    for role in ("counter_clerk", "auditor"):
        client = login_client(community, role)
        assert client.get(f"/rabot/lending/devices/{device.pk}/").status_code == 200
        response = client.post(
            f"/rabot/lending/devices/{device.pk}/step/", _step_post(device, kind="recycled")
        )
        assert response.status_code == 403
    for role in ("referrer", "merchant", "resident"):
        client = login_client(community, role)
        assert client.get("/rabot/lending/devices/").status_code == 403
    assert DeviceEvent.objects.filter(device=device).count() == 1


def test_pages_are_not_found_where_lending_is_switched_off(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    device = _donate(system, [{"kind": "laptop"}]).devices.get()
    client = login_client(community, "coordinator")
    assert 'href="/rabot/lending/devices/"' in client.get("/rabot/").content.decode()
    community.enabled_modules = ["ledger"]
    community.save(update_fields=["enabled_modules"])
    assert client.get("/rabot/lending/devices/").status_code == 404
    assert client.get(f"/rabot/lending/return/{device.label}/").status_code == 404
    assert 'href="/rabot/lending/devices/"' not in client.get("/rabot/").content.decode()


def _intake(**extra: Any) -> dict[str, Any]:
    data = {
        "donor_name": "Barco",
        "received_on": "2026-12-02",
        "idempotency_key": "intake-form-1",
        "devices-TOTAL_FORMS": "4",
        "devices-INITIAL_FORMS": "0",
        "devices-MIN_NUM_FORMS": "0",
        "devices-MAX_NUM_FORMS": "500",
    }
    for i in range(4):
        data.update({f"devices-{i}-condition": "good", f"devices-{i}-pool": "handout"})
    data.update({"devices-0-kind": "laptop", "devices-0-brand": "HP", "devices-0-serial": "X1"})
    data.update(
        {"devices-1-kind": "tablet", "devices-1-model": "iPad 9", "devices-1-pool": "place"}
    )
    data.update(extra)
    return data


def test_a_donation_is_taken_in_from_rows_once_even_when_sent_twice(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "volunteer")
    form = client.get("/rabot/lending/donations/new/")
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="idempotency_key"' in html and "device-rows.js" in html
    assert "<template" in html and "devices-__prefix__-kind" in html  # the row to copy

    first = client.post("/rabot/lending/donations/new/", _intake())
    again = client.post("/rabot/lending/donations/new/", _intake())
    donation = Donation.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/rabot/lending/donations/{donation.pk}/"
    devices = list(donation.devices.order_by("label"))
    assert [(d.kind, d.serial, d.pool) for d in devices] == [
        ("laptop", "X1", "handout"),
        ("tablet", "", "place"),
    ]
    page = client.get(f"/rabot/lending/donations/{donation.pk}/").content.decode()
    assert "DB-000001" in page and "DB-000002" in page
    assert f"/rabot/lending/donations/{donation.pk}/receipt.pdf" in page


def test_a_refused_intake_keeps_the_rows_and_takes_in_nothing(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "staff")
    no_donor = client.post(
        "/rabot/lending/donations/new/", _intake(donor_name=""), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert no_donor.status_code == 400
    html = no_donor.content.decode()
    assert "Say who gave the devices." in html
    assert 'value="X1"' in html and 'value="iPad 9"' in html
    no_rows = client.post(
        "/rabot/lending/donations/new/",
        _intake(**{"devices-0-kind": "", "devices-0-brand": "", "devices-0-serial": "",
                   "devices-1-kind": "", "devices-1-model": "", "devices-1-pool": "handout"}),
    )  # fmt: skip
    assert no_rows.status_code == 400
    assert not Donation.objects.exists() and not Device.objects.exists()


def test_the_intake_offers_the_communitys_organisations_as_donors(
    system: Actor,
    community: Community,
    other_system: Actor,
    login_client: Callable[..., Client],
) -> None:
    ours = people_services.organisation_create(
        actor=system, name="OCMW Gent", slug="ocmw", kind="social_welfare"
    )
    people_services.organisation_create(
        actor=other_system, name="Other town's school", slug="school", kind="school"
    )
    client = login_client(community, "volunteer")
    html = client.get("/rabot/lending/donations/new/").content.decode()
    assert "OCMW Gent" in html and "Other town" not in html
    response = client.post(
        "/rabot/lending/donations/new/", _intake(donor_name="", donor_id=str(ours.pk))
    )
    assert response.status_code == 302
    assert Donation.objects.get().donor_id == ours.pk
