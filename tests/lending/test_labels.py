"""A device's printed QR label: one code of the qrcodes module per device (kept for ever), staff
who scan it land on the device's page, anyone else on a "please bring it back" page without
personal data, and an A4 sheet of labels whose codes scan to the public address."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.lending import qr, services
from buurtkit.lending.models import Device, Donation
from buurtkit.places import services as places_services
from buurtkit.qrcodes import cache, links
from buurtkit.qrcodes import services as qr_services
from buurtkit.qrcodes.models import Code, CodeStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_scan_cache(settings: Any) -> Any:
    settings.QR_SCAN_RECORDING = "sync"
    cache.clear()
    yield
    cache.clear()


def _donate(actor: Actor, n: int = 2, **extra: Any) -> Donation:
    return services.donation_receive(
        actor=actor,
        received_on=date(2026, 12, 1),
        donor_name="Barco",
        devices=[
            {"kind": "laptop", "brand": "Dell", "model": "Latitude", "serial": f"SECRET-SN{i}"}
            for i in range(n)
        ],
        **extra,
    )


def test_each_device_gets_one_code_and_keeps_it(system: Actor) -> None:
    donation = _donate(system, 3)
    first = services.device_label_codes(actor=system, donation_id=donation.pk)
    again = services.device_label_codes(actor=system, donation_id=donation.pk)
    assert [d.label for d, _c in first] == ["DB-000001", "DB-000002", "DB-000003"]
    assert [c.pk for _d, c in first] == [c.pk for _d, c in again]
    assert Code.objects.filter(link_type=qr.LINK_TYPE).count() == 3
    one = services.device_label_codes(actor=system, device_ids=[first[0][0].pk])
    assert one[0][1].pk == first[0][1].pk
    # A retired label does not count: the device gets a new one.
    qr_services.code_set_status(actor=system, code_id=first[0][1].pk, status=CodeStatus.RETIRED)
    renewed = services.device_label_codes(actor=system, device_ids=[first[0][0].pk])
    assert renewed[0][1].pk != first[0][1].pk
    assert Code.objects.filter(link_type=qr.LINK_TYPE).count() == 4


def test_a_volunteer_without_qr_rights_can_label_the_devices(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    donation = _donate(system, 2)
    client = login_client(community, "volunteer")
    response = client.post(f"/rabot/lending/donations/{donation.pk}/labels/")
    assert response.status_code == 302
    assert response["Location"] == f"/rabot/lending/donations/{donation.pk}/labels.pdf"
    client.post(f"/rabot/lending/donations/{donation.pk}/labels/")  # a second click
    assert Code.objects.filter(link_type=qr.LINK_TYPE, status=CodeStatus.ACTIVE).count() == 2
    # Who may only look cannot make codes.
    clerk = login_client(community, "counter_clerk")
    device = donation.devices.first()
    assert clerk.post(f"/rabot/lending/devices/{device.pk}/label/").status_code == 403


def test_labels_of_another_community_cannot_be_made(system: Actor, other_system: Actor) -> None:
    other = _donate(other_system, 1).devices.get()
    with pytest.raises(NotFound):
        services.device_label_codes(actor=system, device_ids=[other.pk])
    assert not Code.objects.filter(link_type=qr.LINK_TYPE).exists()


def _scanned(client: Client, code: Code) -> Any:
    return client.get(f"/q/{code.code}")


def test_staff_who_scan_land_on_the_device_page_anyone_else_on_the_return_page(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    store = places_services.place_create(
        actor=system,
        name="Bibliotheek De Krook",
        kind="library_store",
        street="Miriam Makebaplein 1",
        postcode="9000",
        phone="09 323 68 00",
    )
    donation = _donate(system, 1, place_id=store.pk)
    [(device, code)] = services.device_label_codes(actor=system, donation_id=donation.pk)

    staff = login_client(community, "volunteer")
    scan = _scanned(staff, code)
    assert scan.status_code == 302
    assert scan["Location"] == f"/rabot/lending/label/{device.label}/"
    landed = staff.get(scan["Location"])
    assert landed["Location"] == f"/rabot/lending/devices/{device.pk}/"

    for client in (Client(HTTP_ACCEPT_LANGUAGE="en"), login_client(community, "merchant")):
        scan = _scanned(client, code)
        assert scan["Location"] == f"/rabot/lending/return/{device.label}/"
        page = client.get(scan["Location"], HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        html = page.content.decode()
        assert "Property of the digibank Rabot" in html
        assert "Miriam Makebaplein 1" in html and "09 323 68 00" in html
        # No personal data, nothing to resell with: no serial number, no donor.
        assert "SECRET-SN" not in html and "Barco" not in html
    assert Client().get("/rabot/lending/return/DB-999999/").status_code == 404


def test_a_blank_sticker_claimed_for_a_device_gets_both_routes(system: Actor) -> None:
    device = _donate(system, 1).devices.get()
    blank = qr_services.code_create(actor=system, title="Sticker")
    claimed = qr_services.code_claim(
        actor=system, code_id=blank.pk, link_type=qr.LINK_TYPE, link_id=device.label.lower()
    )
    routes = list(claimed.routes.order_by("position").values_list("action", "params"))
    assert routes == [
        (qr.ACTION, {"device": device.label, "page": "staff"}),
        (qr.ACTION, {"device": device.label, "page": "return"}),
    ]
    assert links.describe(system.community, qr.LINK_TYPE, device.label) == str(device)


def test_a_code_cannot_be_linked_to_a_device_of_another_community(
    system: Actor, other_system: Actor
) -> None:
    other = _donate(other_system, 1).devices.get()
    mine = _donate(system, 1).devices.get()
    assert other.label == mine.label  # labels are per community: the link must say whose
    Device.objects.filter(pk=mine.pk).update(label="DB-000777")
    with pytest.raises(ValidationFailed):
        qr_services.code_create(actor=system, link_type=qr.LINK_TYPE, link_id="DB-000001")


def test_the_label_sheet_scans_to_the_public_address(
    system: Actor, community: Community, login_client: Callable[..., Client], settings: Any
) -> None:
    settings.PUBLIC_URL = "https://buurt.example.be"
    donation = _donate(system, 2)
    pairs = services.device_label_codes(actor=system, donation_id=donation.pk)
    client = login_client(community, "counter_clerk")
    response = client.get(
        f"/rabot/lending/donations/{donation.pk}/labels.pdf", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "DB-000001" in text and "DB-000002" in text
    assert "Property of the digibank Rabot" in text
    decoded = _decode(response.content)
    assert decoded == sorted(f"HTTPS://BUURT.EXAMPLE.BE/Q/{c.code.upper()}" for _d, c in pairs)
    assert "LOCALHOST" not in " ".join(decoded)


def test_printing_labels_before_they_exist_says_so(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    device = _donate(system, 1).devices.get()
    client = login_client(community, "counter_clerk")
    response = client.get(f"/rabot/lending/devices/{device.pk}/label.pdf")
    assert response.status_code == 302
    assert response["Location"] == f"/rabot/lending/devices/{device.pk}/"


def _pdf_text(data: bytes) -> str:
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(data)
    try:
        return " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in document)
    finally:
        document.close()


def _decode(data: bytes) -> list[str]:
    pdfium = pytest.importorskip("pypdfium2")
    zxingcpp = pytest.importorskip("zxingcpp")
    document = pdfium.PdfDocument(data)
    try:
        image = document[0].render(scale=4).to_pil()
    finally:
        document.close()
    return sorted(r.text for r in zxingcpp.read_barcodes(image))
