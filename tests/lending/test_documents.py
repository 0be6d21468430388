"""The device bank's PDFs: an erasure certificate per wipe (the facts, a number from device and
step, the same bytes every time), the donor's combined certificates and the donation receipt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.lending import services
from buurtkit.lending.models import Device, Donation
from buurtkit.people import services as people_services

pytestmark = pytest.mark.django_db
EVIDENCE = {"method": "NIST 800-88 purge", "tool": "nwipe 0.35", "operator": "Sofie Claes",
            "wiped_on": "2026-12-03"}  # fmt: skip


def pdf_text(data: bytes) -> str:
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(data)
    try:
        pages = [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()
    return "\n".join(" ".join(p.split()) for p in pages)


def pdf_pages(data: bytes) -> int:
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(data)
    try:
        return len(document)
    finally:
        document.close()


def _donation(actor: Actor, slug: str = "barco") -> Donation:
    org = people_services.organisation_create(
        actor=actor, name="Barco Kortrijk", slug=slug, kind="association"
    )
    return services.donation_receive(
        actor=actor,
        received_on=date(2026, 12, 1),
        donor_id=org.pk,
        devices=[
            {"kind": "laptop", "brand": "Dell", "model": "Latitude 5490", "serial": "CN-0X1"},
            {"kind": "laptop", "brand": "HP", "model": "EliteBook 840", "serial": "5CG-77"},
            {"kind": "tablet", "brand": "Samsung", "model": "Galaxy Tab A8", "serial": "R52-9"},
        ],
    )


def _wipe(actor: Actor, device: Device, **evidence: str) -> None:
    services.device_record_event(
        actor=actor, device_id=device.pk, kind="wiped", evidence={**EVIDENCE, **evidence}
    )


def test_the_certificate_holds_the_facts_and_never_changes(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    donation = _donation(system)
    device = donation.devices.order_by("label").first()
    assert device is not None
    _wipe(system, device)
    client = login_client(community, "auditor")
    url = f"/rabot/lending/devices/{device.pk}/certificates/2.pdf"
    first = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    text = pdf_text(first.content)
    for fact in (
        "Certificate of data erasure",
        "EC-DB-000001-002",  # the device's label and the wipe's step number
        "DB-000001",
        "laptop",
        "Dell",
        "Latitude 5490",
        "CN-0X1",
        "NIST 800-88 purge",
        "nwipe 0.35",
        "Sofie Claes",
        "3 December 2026",
        "Barco Kortrijk",
    ):
        assert fact in text, fact
    # Later steps do not change it: the same bytes, from the append-only event.
    services.device_record_event(actor=system, device_id=device.pk, kind="checked")
    again = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert again.content == first.content
    # Dutch, the default language, says the same facts in Dutch.
    assert "Attest van gegevenswissing" in pdf_text(client.get(url).content)


def test_only_a_wipe_has_a_certificate(
    system: Actor,
    other_system: Actor,
    community: Community,
    login_client: Callable[..., Client],
) -> None:
    device = _donation(system).devices.order_by("label").first()
    assert device is not None
    client = login_client(community, "staff")
    assert client.get(f"/rabot/lending/devices/{device.pk}/certificates/1.pdf").status_code == 404
    other = _donation(other_system).devices.order_by("label").first()
    assert other is not None
    _wipe(other_system, other)
    response = client.get(f"/rabot/lending/devices/{other.pk}/certificates/2.pdf")
    assert response.status_code == 404


def test_the_donor_gets_all_certificates_of_the_donation_in_one_pdf(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    donation = _donation(system)
    devices = list(donation.devices.order_by("label"))
    _wipe(system, devices[0])
    _wipe(system, devices[2], operator="Jonas Peeters")
    _wipe(system, devices[2], operator="Jonas Peeters", method="Samsung factory reset")
    elsewhere = _donation(system, "barco-2").devices.order_by("label").first()  # another donation
    assert elsewhere is not None
    _wipe(system, elsewhere, operator="Somebody Else")
    client = login_client(community, "staff")
    response = client.get(
        f"/rabot/lending/donations/{donation.pk}/certificates.pdf", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert pdf_pages(response.content) == 3  # one page per wipe
    text = pdf_text(response.content)
    assert "EC-DB-000001-002" in text and "EC-DB-000003-002" in text
    assert "EC-DB-000003-003" in text and "Samsung factory reset" in text
    assert "Somebody Else" not in text and "EC-DB-000002" not in text


def test_the_receipt_thanks_the_donor_and_lists_the_devices(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    donation = _donation(system)
    client = login_client(community, "counter_clerk")
    response = client.get(
        f"/rabot/lending/donations/{donation.pk}/receipt.pdf", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    text = pdf_text(response.content)
    for fact in (
        "Receipt for donated devices",
        "Barco Kortrijk",
        "1 December 2026",
        "2 × laptop",
        "1 × tablet",
        "DB-000001",
        "DB-000003",
        "CN-0X1",
        "R52-9",
        "Thank you!",
    ):
        assert fact in text, fact
