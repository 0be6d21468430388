"""Hand-overs at the counter: the signed agreement as a PDF, everything or nothing, a second
click answered once, a device never handed over twice (also by two counters at once), the
agreement texts versioned per kind and language, immutability, and GDPR."""

from __future__ import annotations

import io
import threading
import uuid
from typing import Any

import pytest
from django.db import ProgrammingError, connection, transaction
from django.test import override_settings
from pypdf import PdfReader

from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.lending import services
from buurtkit.lending.agreements import sha256
from buurtkit.lending.models import (
    AgreementText,
    Device,
    DeviceEvent,
    EvidenceImmutable,
    HandOver,
    HandOverDevice,
    Loan,
    Referral,
)
from buurtkit.messaging.models import Message
from buurtkit.people.services import person_anonymise, person_gdpr_export
from tests.lending.handover_kit import due_in, hand_over, ready_devices, signature

pytestmark = pytest.mark.django_db


def _nothing_written(devices: list[Device]) -> None:
    assert not HandOver.objects.exists()
    assert not HandOverDevice.objects.exists()
    assert not Loan.objects.exists()
    for device in devices:
        assert Device.objects.get(pk=device.pk).state == "available"
        assert not DeviceEvent.objects.filter(device=device, kind="handed_over").exists()


def test_one_hand_over_of_two_devices_with_the_signed_agreement(system: Actor) -> None:
    devices = ready_devices(system, 2)
    handover = hand_over(system, devices)
    assert handover.kind == "gift" and handover.identity_checked
    assert handover.identity_document == "eid"
    assert handover.connectivity == "social_tariff"
    assert {i.device_id for i in handover.items.all()} == {d.pk for d in devices}
    for device in devices:
        device.refresh_from_db()
        assert device.state == "handed_over"
    pdf = bytes(handover.agreement_pdf)
    assert pdf.startswith(b"%PDF") and handover.pdf_sha256 == sha256(pdf)
    assert services.agreement_pdf(handover) == pdf
    assert bytes(handover.signature_png) == signature()


def test_the_agreement_pdf_holds_the_text_version_and_the_signature_image(
    system: Actor,
) -> None:
    devices = ready_devices(system, 2)
    handover = hand_over(system, devices, kind="loan", due_on=due_in(60), language="fr")
    text = handover.agreement_text
    assert (text.kind, text.language, text.version) == ("loan", "fr", 1)
    reader = PdfReader(io.BytesIO(bytes(handover.agreement_pdf)))
    words = " ".join(page.extract_text() for page in reader.pages)
    assert text.title in words
    assert f"{text.pk}, version 1" in words  # "Texte de l'accord 1, version 1 (fr)"
    assert "La banque numérique vous prête" in words
    for device in devices:
        assert device.label in words and device.serial in words
    assert "Fatima El Amrani" in words
    images = [
        obj
        for page in reader.pages
        for obj in page["/Resources"]["/XObject"].values()
        if obj.get_object()["/Subtype"] == "/Image"
    ]
    assert images, "the signature is drawn into the PDF as an image"


def test_a_second_click_answers_the_first_hand_over(system: Actor) -> None:
    devices = ready_devices(system, 1)
    key = uuid.uuid4().hex
    first = hand_over(system, devices, idempotency_key=key)
    again = hand_over(system, devices, idempotency_key=key)
    assert again.pk == first.pk and getattr(again, "replayed", False)
    assert HandOver.objects.count() == 1
    assert DeviceEvent.objects.filter(kind="handed_over").count() == 1
    with pytest.raises(Conflict) as refused:  # the same key for another hand-over
        hand_over(system, devices, idempotency_key=key, recipient_name="Someone else")
    assert refused.value.code == "idempotency_conflict"


def test_a_device_handed_over_twice_is_refused(system: Actor) -> None:
    devices = ready_devices(system, 2)
    hand_over(system, devices[:1])
    with pytest.raises(Conflict) as refused:
        hand_over(system, devices)
    assert refused.value.code == "already_handed_over"
    assert devices[0].label in str(refused.value.detail)
    assert HandOver.objects.count() == 1
    assert Device.objects.get(pk=devices[1].pk).state == "available"


def test_a_device_not_wiped_since_it_came_back_takes_nothing_with_it(system: Actor) -> None:
    ready, back = ready_devices(system, 2)
    for kind in ("handed_over", "returned", "in_repair", "checked", "available"):
        services.device_record_event(actor=system, device_id=back.pk, kind=kind)
    before = DeviceEvent.objects.count()
    with pytest.raises(Conflict) as refused:
        hand_over(system, [ready, back])
    assert refused.value.code == "not_wiped"
    assert DeviceEvent.objects.count() == before
    assert not HandOver.objects.exists() and not HandOverDevice.objects.exists()
    assert Device.objects.get(pk=ready.pk).state == "available"


def test_a_device_still_in_the_workshop_is_refused(system: Actor) -> None:
    donation = services.donation_receive(
        actor=system,
        received_on=due_in(-3),
        donor_name="OCMW",
        devices=[{"kind": "tablet"}],
    )
    device = donation.devices.get()
    with pytest.raises(Conflict) as refused:
        hand_over(system, [device])
    assert refused.value.code == "not_available"
    assert not HandOver.objects.exists()


@pytest.mark.parametrize(
    ("png", "code"),
    [
        (b"", "signature_missing"),
        (signature(ink=False), "signature_invalid"),  # an empty pad
        (b"GIF89a" + b"\x00" * 100, "signature_invalid"),  # not a PNG
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 400_000, "signature_invalid"),  # too large
        (b"\x89PNG\r\n\x1a\nbroken", "signature_invalid"),  # a PNG header, no image
    ],
    ids=["missing", "empty", "not-png", "too-large", "broken"],
)
def test_a_hand_over_without_a_real_signature_is_refused(
    system: Actor, png: bytes, code: str
) -> None:
    devices = ready_devices(system, 1)
    with pytest.raises(ValidationFailed) as refused:
        hand_over(system, devices, signature_png=png)
    assert refused.value.code == code and "signature_png" in refused.value.fields
    _nothing_written(devices)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "loan"}, "due_on"),  # a loan without a due date
        ({"kind": "loan", "due_on": due_in(400)}, "due_on"),  # longer than the longest loan
        ({"kind": "loan", "due_on": due_in(0)}, "due_on"),  # due today
        ({"kind": "gift", "due_on": due_in(30)}, "due_on"),  # a gift has no due date
        ({"kind": "sale", "price_cents": 2500}, "receipt_number"),  # a sale without a receipt
        ({"kind": "gift", "price_cents": 2500}, "price_cents"),  # a gift has no price
        ({"identity_checked": False}, "identity_checked"),
        ({"identity_document": "library_card"}, "identity_document"),
        ({"connectivity": "maybe"}, "connectivity"),
        ({"language": "de"}, "language"),
        ({"device_ids": []}, "device_ids"),
        ({"recipient_name": ""}, "recipient_name"),
        ({"idempotency_key": ""}, "idempotency_key"),
    ],
)
def test_bad_input_is_refused_with_nothing_written(
    system: Actor, overrides: dict[str, Any], field: str
) -> None:
    devices = ready_devices(system, 1)
    with pytest.raises(ValidationFailed) as refused:
        hand_over(system, devices, **overrides)
    assert field in refused.value.fields
    _nothing_written(devices)


def test_a_loan_longer_than_the_setting_is_refused(system: Actor) -> None:
    devices = ready_devices(system, 1)
    with override_settings(LENDING_LOAN_MAX_DAYS=30), pytest.raises(ValidationFailed) as refused:
        hand_over(system, devices, kind="loan", due_on=due_in(31))
    assert refused.value.code == "loan_too_long"
    handover = hand_over(system, devices, kind="loan", due_on=due_in(30))
    assert handover.loans.get().due_on == due_in(30)


def test_a_sale_at_social_tariff_keeps_the_price_and_receipt(system: Actor) -> None:
    devices = ready_devices(system, 1)
    handover = hand_over(
        system, devices, kind="sale", price_cents=3500, receipt_number="KW-2026-0042"
    )
    assert (handover.price_cents, handover.receipt_number) == (3500, "KW-2026-0042")
    words = PdfReader(io.BytesIO(bytes(handover.agreement_pdf))).pages[0].extract_text()
    assert "35,00" in words and "KW-2026-0042" in words
    assert not handover.loans.exists()


def test_only_counter_staff_hand_over(community: Any, system: Actor) -> None:
    devices = ready_devices(system, 1)
    volunteer = Actor(
        community=community,
        label="vrijwilliger",
        permissions=frozenset({"lending.view", "lending.manage"}),
    )
    with pytest.raises(PermissionDenied):
        hand_over(volunteer, devices)
    clerk = Actor(
        community=community,
        label="loket",
        permissions=frozenset({"lending.view", "lending.hand_over"}),
    )
    handover = hand_over(clerk, devices)  # the stock step is part of the counter's right
    assert handover.handed_by_label == "loket"
    assert DeviceEvent.objects.get(kind="handed_over").actor_label == "loket"


def test_the_hand_over_of_a_referral_closes_it(system: Actor, make_person: Any) -> None:
    from buurtkit.core import clock
    from buurtkit.people import services as people_services

    devices = ready_devices(system, 2)
    ocmw = people_services.organisation_create(
        actor=system, name="OCMW", slug="ocmw", kind="social_welfare"
    )
    person = make_person(system, first_name="Jan", last_name="Peeters")
    referral = Referral.objects.create(
        community=system.community,
        organisation=ocmw,
        client_ref="D-17",
        person=person,
        kind="laptop",
        purpose="school work",
        eligibility="pupil",
        state="matched",
        filed_at=clock.now(),
        filed_by_label="ocmw",
        device=devices[0],
    )
    with pytest.raises(Conflict) as refused:  # the device set aside is not among them
        hand_over(system, devices[1:], referral_id=referral.pk, recipient_name="")
    assert refused.value.code == "referral_device"
    handover = hand_over(system, devices, referral_id=referral.pk, recipient_name="")
    referral.refresh_from_db()
    assert referral.state == "handed_over"
    assert handover.organisation_id == ocmw.pk and handover.person_id == person.pk
    assert handover.recipient_label == "Jan Peeters"
    with pytest.raises(Conflict) as again:
        hand_over(system, ready_devices(system, 1), referral_id=referral.pk)
    assert again.value.code == "referral_state"


# --- agreement texts ----------------------------------------------------------------------------


def test_agreement_texts_are_versions_never_edits(system: Actor) -> None:
    devices = ready_devices(system, 2)
    first = hand_over(system, devices[:1], language="en")
    assert first.agreement_text.version == 1  # the standard text, published on first use
    newer = services.agreement_text_publish(
        actor=system, kind="gift", language="en", title="Gift", body="Our own words."
    )
    assert newer.version == 2
    second = hand_over(system, devices[1:], language="en")
    assert second.agreement_text_id == newer.pk
    first.refresh_from_db()
    assert first.agreement_text.version == 1  # a signed agreement keeps its version
    assert (
        "Our own words."
        in PdfReader(io.BytesIO(bytes(second.agreement_pdf))).pages[0].extract_text()
    )
    with pytest.raises(EvidenceImmutable):
        newer.body = "changed"
        newer.save()
    with pytest.raises(EvidenceImmutable):
        AgreementText.objects.filter(pk=newer.pk).update(body="changed")
    with pytest.raises(ValidationFailed):
        services.agreement_text_publish(
            actor=system, kind="gift", language="de", title="Geschenk", body="…"
        )
    clerk = Actor(
        community=system.community, label="loket", permissions=frozenset({"lending.hand_over"})
    )
    with pytest.raises(PermissionDenied):
        services.agreement_text_publish(
            actor=clerk, kind="gift", language="en", title="Gift", body="Mine."
        )


def test_a_signed_hand_over_cannot_be_edited(system: Actor) -> None:
    handover = hand_over(system, ready_devices(system, 1))
    with pytest.raises(EvidenceImmutable):
        handover.price_cents = 1
        handover.save()
    with pytest.raises(EvidenceImmutable):
        HandOver.objects.filter(pk=handover.pk).update(kind="sale")
    with pytest.raises(EvidenceImmutable):
        handover.delete()


def test_postgresql_itself_refuses_to_edit_a_signed_hand_over(system: Actor) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's; the ORM guard is tested on every engine")
    handover = hand_over(system, ready_devices(system, 1))
    for sql in (
        "UPDATE lending_handover SET kind = 'sale' WHERE id = %s",
        "UPDATE lending_handover SET agreement_text_id = agreement_text_id WHERE id = %s",
        "DELETE FROM lending_handover WHERE id = %s",
        "UPDATE lending_agreementtext SET body = 'changed' WHERE id = %s",
    ):
        target = handover.agreement_text_id if "agreementtext" in sql else handover.pk
        with (
            pytest.raises(ProgrammingError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [target])


# --- a copy by e-mail, GDPR ----------------------------------------------------------------------


def test_a_copy_by_e_mail_only_with_consent(system: Actor, make_person: Any) -> None:
    devices = ready_devices(system, 2)
    willing = make_person(
        system, first_name="Ann", email="ann@example.org", consents={"contact_email": True}
    )
    shy = make_person(system, first_name="Bart", email="bart@example.org")
    handover = hand_over(system, devices[:1], person_id=willing.pk, recipient_name="")
    message = services.handover_email_copy(actor=system, handover_id=handover.pk)
    assert message.channel == "email" and message.to == "ann@example.org"
    assert handover.agreement_text.title in message.subject + message.body
    assert devices[0].label in message.body
    again = services.handover_email_copy(actor=system, handover_id=handover.pk)
    assert again.pk == message.pk  # once per hand-over
    other = hand_over(system, devices[1:], person_id=shy.pk, recipient_name="")
    with pytest.raises(ValidationFailed) as refused:
        services.handover_email_copy(actor=system, handover_id=other.pk)
    assert refused.value.code == "unreachable"
    assert Message.objects.count() == 1


def test_export_and_anonymise_of_hand_overs_and_loans(system: Actor, make_person: Any) -> None:
    person = make_person(system, first_name="Lotte", last_name="Claes")
    devices = ready_devices(system, 2)
    handover = hand_over(
        system,
        devices,
        kind="loan",
        due_on=due_in(30),
        person_id=person.pk,
        recipient_name="Lotte Claes",
        connectivity_note="Lotte's neighbour shares Wi-Fi",
    )
    data = person_gdpr_export(actor=system, person_id=person.pk)["lending"]
    assert data["handovers"][0]["devices"] == [d.label for d in devices]
    assert data["handovers"][0]["identity_document"] == "eid"
    assert {loan["device"] for loan in data["loans"]} == {d.label for d in devices}
    person_anonymise(actor=system, person_id=person.pk)
    handover.refresh_from_db()
    assert handover.recipient_label == "" and handover.connectivity_note == ""
    assert bytes(handover.signature_png) == b"" and bytes(handover.agreement_pdf) == b""
    assert handover.pdf_sha256 == ""
    # The figures survive: kind, date, devices, connectivity, the loans.
    assert (handover.kind, handover.connectivity) == ("loan", "social_tariff")
    assert handover.items.count() == 2 and Loan.objects.filter(handover=handover).count() == 2


# --- two counters at once ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_counters_handing_over_one_device_at_once_one_wins(system: Actor) -> None:
    """On PostgreSQL, two clerks press "hand over" for the same laptop (with other devices)
    at the same moment: the device row locks let exactly one hand-over through."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers anyway")
    shared, mine, yours = ready_devices(system, 3)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def counter(devices: list[Device]) -> None:
        try:
            barrier.wait()
            hand_over(system, devices)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=counter, args=([shared, mine],)),
        threading.Thread(target=counter, args=([yours, shared],)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already_handed_over", "ok"]
    assert HandOver.objects.count() == 1
    assert DeviceEvent.objects.filter(device=shared, kind="handed_over").count() == 1
    assert HandOverDevice.objects.filter(device=shared).count() == 1


def test_the_demo_part_hands_over_each_kind_with_overdue_loans(
    system: Actor, make_person: Any
) -> None:
    from buurtkit.core import clock
    from buurtkit.lending import demo_handovers

    for n in range(3):
        make_person(system, first_name=f"Demo{n}", phone=f"0470 55 66 7{n}")
    devices = ready_devices(system, 12)
    made = demo_handovers.load(
        system.community, now=clock.now(), device_ids=[d.pk for d in devices]
    )
    kinds = set(HandOver.objects.filter(pk__in=made["handovers"]).values_list("kind", flat=True))
    assert kinds == {"gift", "loan", "sale"}
    overdue = Loan.objects.filter(state="open", due_on__lt=clock.now().date())
    assert overdue.count() >= 2
    assert AgreementText.objects.filter(kind="loan", language="nl").count() == 2
    assert made["devices_left"] == [devices[-1].pk]  # the plan hands over 11


def test_the_counter_form_hands_over_once_on_a_double_click(
    community: Any, system: Actor, login_client: Any
) -> None:
    import base64

    devices = ready_devices(system, 2)
    client = login_client(community, "counter_clerk")
    page = client.get("/rabot/lending/counter/", {"q": "Latitude"})
    assert page.status_code == 200
    html = page.content.decode()
    assert devices[0].label in html and "data-signature-pad" in html
    assert "<script>" not in html and "style=" not in html  # CSP: static files only
    form = {
        "device_ids": [str(d.pk) for d in devices],
        "kind": "loan",
        "due_on": due_in(30).isoformat(),
        "recipient_name": "Fatima El Amrani",
        "identity_checked": "on",
        "identity_document": "eid",
        "language": "nl",
        "connectivity": "own",
        "signature": "data:image/png;base64," + base64.b64encode(signature()).decode(),
        "idempotency_key": uuid.uuid4().hex,
    }
    first = client.post("/rabot/lending/counter/", form)
    second = client.post("/rabot/lending/counter/", form)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert HandOver.objects.count() == 1 and Loan.objects.count() == 2
    result = client.get(first["Location"])
    assert b"agreement.pdf" in result.content
    pdf = client.get(first["Location"] + "agreement.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    unsigned = client.post(
        "/rabot/lending/counter/", {**form, "signature": "", "idempotency_key": "k2"}
    )
    assert unsigned.status_code == 422 and b"sign" in unsigned.content.lower()
    loans = client.get("/rabot/lending/loans/")  # all open loans (due in 30 days)
    assert devices[0].label in loans.content.decode()
    loan = Loan.objects.order_by("pk").first()
    client.post(f"/rabot/lending/loans/{loan.pk}/extend/", {"due_on": due_in(60).isoformat()})
    loan.refresh_from_db()
    assert loan.due_on == due_in(60) and loan.extensions == 1
