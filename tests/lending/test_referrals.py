"""Referrals: partners ask devices for households within their caps, see only their own
requests (and only residents they entered), queue in order, and staff approve, refuse, set a
device aside and invite, with nothing done twice."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from buurtkit.audit.models import AuditEvent
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.permissions import permissions_for_roles
from buurtkit.lending import selectors, services
from buurtkit.lending.models import Device, Referral
from buurtkit.lending.periods import next_period_start, period_start
from buurtkit.messaging.models import Message
from buurtkit.people import services as people_services
from buurtkit.people.models import Organisation, Person
from buurtkit.people.selectors import person_export_data
from buurtkit.places import services as places_services

pytestmark = pytest.mark.django_db
EVIDENCE = {"method": "NIST 800-88 purge", "tool": "nwipe", "operator": "Sofie",
            "wiped_on": "2026-12-01"}  # fmt: skip
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def _org(system: Actor, slug: str) -> Organisation:
    return people_services.organisation_create(
        actor=system, name=f"Partner {slug}", slug=slug, kind="social_welfare"
    )


def _actor(system: Actor, role: str, *orgs: Organisation) -> Actor:
    return Actor(
        community=system.community,
        label=f"{role} login",
        user_id=None,
        permissions=permissions_for_roles({role}),
        roles=frozenset({role}),
        organisation_ids=frozenset(o.pk for o in orgs),
    )


@pytest.fixture
def orgs(system: Actor) -> tuple[Organisation, Organisation]:
    return _org(system, "ocmw"), _org(system, "buurtwerk")


@pytest.fixture
def referrer(system: Actor, orgs: tuple[Organisation, Organisation]) -> Actor:
    return _actor(system, "referrer", orgs[0])


@pytest.fixture
def other_referrer(system: Actor, orgs: tuple[Organisation, Organisation]) -> Actor:
    return _actor(system, "referrer", orgs[1])


@pytest.fixture
def staff(system: Actor) -> Actor:
    return _actor(system, "staff")


def _file(actor: Actor, **extra: Any) -> Referral:
    values: dict[str, Any] = {
        "kind": "laptop",
        "purpose": "School work for two children",
        "eligibility": "low_income",
        "client_ref": "DOS-2026-0042",
        "household_size": 4,
    }
    values.update(extra)
    return services.referral_file(actor=actor, **values)


def _available(system: Actor, n: int = 1, kind: str = "laptop") -> list[Device]:
    donation = services.donation_receive(
        actor=system,
        received_on=date(2026, 12, 1),
        donor_name="Barco",
        devices=[{"kind": kind} for _ in range(n)],
    )
    devices = list(donation.devices.order_by("label"))
    for device in devices:
        services.device_record_event(
            actor=system, device_id=device.pk, kind="wiped", evidence=EVIDENCE
        )
        for step in ("checked", "available"):
            services.device_record_event(actor=system, device_id=device.pk, kind=step)
    return devices


def _place(system: Actor) -> int:
    return places_services.place_create(
        actor=system, name="Bibliotheek", kind="library_store", street="Rabotstraat 1"
    ).pk


# --- filing and scope ----------------------------------------------------------------------


def test_a_referrer_files_for_their_own_organisation(referrer: Actor, orgs: Any) -> None:
    referral = _file(referrer)
    assert referral.organisation == orgs[0] and referral.state == "waiting"
    assert referral.filed_by_label == "referrer login"
    assert AuditEvent.objects.filter(verb="lending.referral_filed").count() == 1


def test_a_referrer_cannot_file_for_another_partner(referrer: Actor, orgs: Any) -> None:
    with pytest.raises(PermissionDenied):
        _file(referrer, organisation_id=orgs[1].pk)
    without_org = _actor(referrer, "referrer")
    with pytest.raises(PermissionDenied):
        _file(without_org)
    clerk = _actor(referrer, "counter_clerk")
    with pytest.raises(PermissionDenied):
        _file(clerk, organisation_id=orgs[0].pk)
    assert not Referral.objects.exists()


def test_staff_file_on_behalf_of_a_partner(staff: Actor, orgs: Any) -> None:
    with pytest.raises(ValidationFailed):
        _file(staff)  # which partner?
    assert _file(staff, organisation_id=orgs[1].pk).organisation == orgs[1]


def test_bad_input_is_refused_with_the_field(referrer: Actor) -> None:
    for extra, field in (
        ({"kind": "toaster"}, "kind"),
        ({"purpose": " "}, "purpose"),
        ({"client_ref": ""}, "client_ref"),
        ({"eligibility": "other"}, "eligibility_note"),
        ({"household_size": 0}, "household_size"),
        ({"wished": "rent"}, "wished"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            _file(referrer, **extra)
        assert field in refused.value.fields, extra
    assert not Referral.objects.exists()


def test_a_double_submit_files_once(referrer: Actor) -> None:
    first = _file(referrer, idempotency_key="form-1")
    again = _file(referrer, idempotency_key="form-1")
    assert again.pk == first.pk and getattr(again, "replayed", False)
    assert Referral.objects.count() == 1
    with pytest.raises(Conflict):
        _file(referrer, idempotency_key="form-1", purpose="Something else")


def test_a_resident_is_entered_only_for_a_loan(referrer: Actor) -> None:
    resident = {"first_name": "Fatima", "last_name": "Benali", "phone": "0470 11 22 33"}
    with pytest.raises(ValidationFailed) as refused:
        _file(referrer, resident=resident)  # a gift needs no name
    assert "resident" in refused.value.fields
    assert not Person.objects.exists()
    referral = _file(referrer, wished="loan", resident={**resident, "contact_sms": True})
    person = referral.person
    assert person is not None and person.full_name == "Fatima Benali"
    assert referral.person_by_referrer
    assert person.phone_kind == "mobile"


def test_a_referrer_cannot_link_a_resident_they_did_not_enter(
    system: Actor, referrer: Actor
) -> None:
    known = people_services.person_create(actor=system, first_name="Known", last_name="Person")
    with pytest.raises(PermissionDenied):
        _file(referrer, wished="loan", person_id=known.pk)


def test_a_referrer_sees_only_their_organisation_and_only_residents_they_entered(
    system: Actor, referrer: Actor, other_referrer: Actor, staff: Actor, orgs: Any
) -> None:
    own = _file(
        referrer,
        wished="loan",
        client_ref="OWN-1",
        resident={"first_name": "Entered", "last_name": "ByPartner"},
    )
    known = people_services.person_create(actor=system, first_name="Linked", last_name="ByStaff")
    linked = _file(
        staff, organisation_id=orgs[0].pk, wished="loan", client_ref="OWN-2", person_id=known.pk
    )
    theirs = _file(other_referrer, client_ref="OTHER-1")

    mine = list(selectors.referrals_for(referrer))
    assert {r.pk for r in mine} == {own.pk, linked.pk}
    names = {r.pk: selectors.resident_name(r) for r in mine}
    assert names == {own.pk: "Entered ByPartner", linked.pk: ""}
    assert list(selectors.referrals_for(referrer, q="Linked")) == []
    assert [r.pk for r in selectors.referrals_for(referrer, q="Entered")] == [own.pk]
    with pytest.raises(NotFound):
        selectors.referral_get(actor=referrer, referral_id=theirs.pk)
    with pytest.raises(NotFound):
        services.referral_cancel(actor=referrer, referral_id=theirs.pk)
    assert {r.pk for r in selectors.referrals_for(other_referrer)} == {theirs.pk}
    # Staff see everything, residents included.
    everything = {r.pk: selectors.resident_name(r) for r in selectors.referrals_for(staff)}
    assert everything[linked.pk] == "Linked ByStaff" and theirs.pk in everything


def test_another_community_sees_nothing(
    referrer: Actor, other_system: Actor, system: Actor
) -> None:
    referral = _file(referrer)
    with pytest.raises(NotFound):
        services.referral_approve(actor=other_system, referral_id=referral.pk)
    assert list(selectors.referrals_for(other_system)) == []


# --- caps ----------------------------------------------------------------------------------


def test_periods_start_at_midnight_in_brussels() -> None:
    new_year_in_brussels = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert period_start("year", new_year_in_brussels).year == 2027
    assert period_start("quarter", datetime(2026, 5, 20, tzinfo=UTC)).month == 4
    assert next_period_start("quarter", datetime(2026, 11, 2, tzinfo=UTC)).month == 1
    assert period_start("month", datetime(2026, 3, 31, 22, 30, tzinfo=UTC)).month == 4


def test_a_request_beyond_the_cap_is_refused(
    system: Actor, referrer: Actor, staff: Actor, orgs: Any
) -> None:
    services.cap_set(actor=staff, organisation_id=orgs[0].pk, period="month", max_referrals=2)
    with clock.frozen(NOW):
        first = _file(referrer, client_ref="A")
        _file(referrer, client_ref="B")
        with pytest.raises(Conflict) as refused:
            _file(referrer, client_ref="C")
        assert refused.value.code == "cap_reached"
        assert "01/01/2027" in str(refused.value.detail)
        assert Referral.objects.count() == 2
        # Another partner has no cap; a cancelled request no longer counts.
        _file(staff, organisation_id=orgs[1].pk, client_ref="D")
        services.referral_cancel(actor=referrer, referral_id=first.pk)
        _file(referrer, client_ref="C")
        usage = selectors.cap_usage(actor=referrer)
        assert [(u.used, u.left) for u in usage] == [(2, 0)]
    with clock.frozen(datetime(2027, 1, 1, 0, 30, tzinfo=UTC)):  # 01:30 in Brussels
        _file(referrer, client_ref="E")  # a new month


def test_every_cap_of_a_partner_counts(referrer: Actor, staff: Actor, orgs: Any) -> None:
    services.cap_set(actor=staff, organisation_id=orgs[0].pk, period="month", max_referrals=5)
    services.cap_set(actor=staff, organisation_id=orgs[0].pk, period="year", max_referrals=1)
    _file(referrer)
    with pytest.raises(Conflict):
        _file(referrer, client_ref="again")
    services.cap_set(actor=staff, organisation_id=orgs[0].pk, period="year", max_referrals=None)
    _file(referrer, client_ref="again")


def test_only_triage_sets_caps(referrer: Actor, orgs: Any, staff: Actor) -> None:
    with pytest.raises(PermissionDenied):
        services.cap_set(
            actor=referrer, organisation_id=orgs[0].pk, period="month", max_referrals=9
        )
    with pytest.raises(ValidationFailed):
        services.cap_set(actor=staff, organisation_id=orgs[0].pk, period="week", max_referrals=9)


# --- the queue -----------------------------------------------------------------------------


def test_positions_are_first_come_first_served_per_kind(
    system: Actor, referrer: Actor, staff: Actor
) -> None:
    made = []
    for i, kind in enumerate(("laptop", "tablet", "laptop", "laptop")):
        with clock.frozen(NOW + timedelta(minutes=i)):
            made.append(_file(referrer, kind=kind, client_ref=f"R{i}"))
    positions = {r.pk: r.position for r in selectors.referrals_for(referrer)}
    assert [positions[r.pk] for r in made] == [1, 1, 2, 3]
    assert selectors.waiting_position(made[3]) == 3
    services.referral_approve(actor=staff, referral_id=made[2].pk)  # approved keeps its place
    assert selectors.referral_get(actor=referrer, referral_id=made[2].pk).position == 2
    _available(system, 1)
    services.referral_match(actor=staff, referral_id=made[0].pk)
    positions = {r.pk: r.position for r in selectors.referrals_for(referrer)}
    assert [positions[r.pk] for r in made] == [None, 1, 1, 2]


def test_the_average_wait_counts_until_a_device_is_set_aside(
    system: Actor, referrer: Actor, staff: Actor
) -> None:
    _available(system, 2)
    with clock.frozen(NOW):
        a = _file(referrer, client_ref="a")
        b = _file(referrer, client_ref="b")
        _file(referrer, client_ref="c")
    with clock.frozen(NOW + timedelta(days=2)):
        services.referral_match(actor=staff, referral_id=a.pk)
    with clock.frozen(NOW + timedelta(days=4)):
        services.referral_match(actor=staff, referral_id=b.pk)
        stats = selectors.referral_wait_stats(actor=staff)
    assert stats["average_wait_days"] == 3.0 and stats["matched"] == 2
    assert stats["waiting"] == 1 and stats["by_kind"] == {"laptop": {"waiting": 1}}


# --- deciding ------------------------------------------------------------------------------


def test_approve_refuse_and_cancel(referrer: Actor, staff: Actor) -> None:
    a, b, c = (_file(referrer, client_ref=ref) for ref in "abc")
    with pytest.raises(PermissionDenied):
        services.referral_approve(actor=referrer, referral_id=a.pk)
    services.referral_approve(actor=staff, referral_id=a.pk)
    assert services.referral_approve(actor=staff, referral_id=a.pk).state == "approved"
    assert AuditEvent.objects.filter(verb="lending.referral_approved").count() == 1
    with pytest.raises(ValidationFailed):
        services.referral_refuse(actor=staff, referral_id=b.pk, reason="")
    refused = services.referral_refuse(actor=staff, referral_id=b.pk, reason="Already has one")
    assert refused.state == "refused" and refused.refusal_reason == "Already has one"
    with pytest.raises(Conflict):
        services.referral_approve(actor=staff, referral_id=b.pk)
    cancelled = services.referral_cancel(actor=referrer, referral_id=c.pk, reason="Moved away")
    assert cancelled.state == "cancelled" and cancelled.cancelled_by_label == "referrer login"
    with pytest.raises(Conflict):
        services.referral_cancel(actor=referrer, referral_id=b.pk)


def test_matching_sets_the_longest_waiting_device_of_the_kind_aside(
    system: Actor, referrer: Actor, staff: Actor
) -> None:
    tablet = _available(system, 1, kind="tablet")[0]
    with clock.frozen(NOW):
        first = _available(system, 1)[0]
    with clock.frozen(NOW + timedelta(hours=1)):
        _available(system, 1)
    referral = _file(referrer)
    with pytest.raises(ValidationFailed):
        services.referral_match(actor=staff, referral_id=referral.pk, device_id=tablet.pk)
    matched = services.referral_match(actor=staff, referral_id=referral.pk)
    assert matched.state == "matched" and matched.device_id == first.pk
    assert matched.decided_at is not None  # matching a waiting request approves it
    first.refresh_from_db()
    assert first.state == "reserved"
    assert first.events.order_by("-seq").first().note.endswith(str(referral.pk))
    other = _file(referrer, client_ref="other")
    with pytest.raises(Conflict) as taken:
        services.referral_match(actor=staff, referral_id=other.pk, device_id=first.pk)
    assert taken.value.code == "device_taken"
    # The referrer may not withdraw once a device is set aside; staff may, and it goes back.
    with pytest.raises(Conflict):
        services.referral_cancel(actor=referrer, referral_id=referral.pk)
    services.referral_cancel(actor=staff, referral_id=referral.pk)
    first.refresh_from_db()
    assert first.state == "available"


def test_no_device_of_the_kind_keeps_the_request_waiting(referrer: Actor, staff: Actor) -> None:
    referral = _file(referrer, kind="smartphone")
    with pytest.raises(Conflict) as refused:
        services.referral_match(actor=staff, referral_id=referral.pk)
    assert refused.value.code == "no_device"
    referral.refresh_from_db()
    assert referral.state == "waiting"


# --- the invitation ------------------------------------------------------------------------


def test_an_invitation_goes_by_text_message_once(
    system: Actor, referrer: Actor, staff: Actor
) -> None:
    _available(system, 1)
    place_id = _place(system)
    referral = _file(
        referrer,
        wished="loan",
        resident={"first_name": "Els", "phone": "0470 99 88 77", "contact_sms": True},
    )
    pickup = clock.now() + timedelta(days=3)
    invited = services.referral_invite(
        actor=staff, referral_id=referral.pk, place_id=place_id, pickup_at=pickup
    )
    assert invited.state == "invited" and invited.invited_via == "sms"
    assert invited.device_id is not None  # set aside on the way
    message = Message.objects.get()
    assert message.channel == "sms" and "Bibliotheek" in message.body
    again = services.referral_invite(
        actor=staff, referral_id=referral.pk, place_id=place_id, pickup_at=pickup
    )
    assert getattr(again, "replayed", False) and Message.objects.count() == 1
    services.referral_invite(
        actor=staff, referral_id=referral.pk, place_id=place_id, pickup_at=pickup + timedelta(1)
    )
    assert Message.objects.count() == 2


def test_without_a_reachable_resident_the_partner_tells_them(
    system: Actor, referrer: Actor, staff: Actor
) -> None:
    _available(system, 2)
    place_id = _place(system)
    pickup = clock.now() + timedelta(days=3)
    anonymous = _file(referrer, client_ref="anon")
    no_consent = _file(
        referrer,
        wished="loan",
        client_ref="nc",
        resident={"first_name": "Jos", "phone": "0470 12 12 12"},
    )
    for referral in (anonymous, no_consent):
        invited = services.referral_invite(
            actor=staff, referral_id=referral.pk, place_id=place_id, pickup_at=pickup
        )
        assert invited.invited_via == "referrer"
    assert not Message.objects.exists()
    with pytest.raises(ValidationFailed):
        services.referral_invite(
            actor=staff,
            referral_id=anonymous.pk,
            place_id=place_id,
            pickup_at=clock.now() - timedelta(hours=1),
        )


def test_only_triage_invites(system: Actor, referrer: Actor) -> None:
    referral = _file(referrer)
    with pytest.raises(PermissionDenied):
        services.referral_invite(
            actor=referrer,
            referral_id=referral.pk,
            place_id=_place(system),
            pickup_at=clock.now() + timedelta(days=1),
        )


# --- GDPR ----------------------------------------------------------------------------------


def test_export_and_anonymise_cover_referrals(system: Actor, referrer: Actor) -> None:
    referral = _file(
        referrer,
        wished="loan",
        client_ref="DOS-77",
        eligibility="other",
        eligibility_note="Lieve lost her job",
        purpose="Lieve needs it to apply for jobs",
        resident={"first_name": "Lieve", "last_name": "Claes"},
    )
    person = referral.person
    exported = person_export_data(person=person)["lending"]["referrals"]
    assert exported[0]["client_ref"] == "DOS-77" and exported[0]["kind"] == "laptop"
    people_services.person_anonymise(actor=system, person_id=person.pk)
    referral.refresh_from_db()
    assert referral.client_ref == "" and referral.eligibility_note == ""
    assert "Lieve" not in referral.purpose
    assert referral.state == "waiting" and referral.kind == "laptop"  # figures survive


# --- PostgreSQL: two people setting the same device aside at once ---------------------------


@pytest.mark.django_db(transaction=True)
def test_two_matches_of_one_device_at_once_one_wins(system: Actor, orgs: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers anyway")
    staff = _actor(system, "staff")
    device = _available(system, 1)[0]
    referrals = [_file(staff, organisation_id=orgs[0].pk, client_ref=f"c{i}") for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def match(referral_id: int, device_id: int | None) -> None:
        try:
            barrier.wait()
            services.referral_match(actor=staff, referral_id=referral_id, device_id=device_id)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    for device_id in (device.pk, None):  # the device named, then picked automatically
        outcomes.clear()
        threads = [threading.Thread(target=match, args=(r.pk, device_id)) for r in referrals]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["conflict", "ok"]
        assert Referral.objects.filter(device=device, state="matched").count() == 1
        assert Device.objects.get(pk=device.pk).state == "reserved"
        holder = Referral.objects.get(device=device, state="matched")
        services.referral_cancel(actor=staff, referral_id=holder.pk)  # back on the shelf
        referrals = [_file(staff, organisation_id=orgs[0].pk, client_ref=f"d{i}") for i in range(2)]


# --- the API: a partner's key ------------------------------------------------------------------


def test_a_partners_api_key_reaches_its_own_organisation_only(
    system: Actor, staff: Actor, orgs: Any
) -> None:
    from django.test import Client

    known = people_services.person_create(actor=system, first_name="Linked", last_name="ByStaff")
    linked = _file(staff, organisation_id=orgs[0].pk, wished="loan", person_id=known.pk)
    theirs = _file(staff, organisation_id=orgs[1].pk, client_ref="THEIRS")
    _key, raw = people_services.apikey_create(
        actor=system, name="ocmw", roles=["referrer"], organisation_id=orgs[0].pk
    )
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    listed = client.get("/api/v1/lending/referrals").json()["items"]
    assert [r["id"] for r in listed] == [linked.pk]
    assert listed[0]["resident_id"] is None and listed[0]["resident_name"] == ""
    assert listed[0]["position"] == 1
    assert client.get(f"/api/v1/lending/referrals/{theirs.pk}").status_code == 404
    filed = client.post(
        "/api/v1/lending/referrals",
        {
            "client_ref": "API-1",
            "kind": "tablet",
            "purpose": "Videobellen",
            "eligibility": "senior",
            "wished": "loan",
            "resident": {"first_name": "Agnes", "phone": "0470 31 31 31", "contact_sms": True},
        },
        content_type="application/json",
        headers={"Idempotency-Key": "api-1"},
    )
    assert filed.status_code == 201, filed.content
    assert (
        filed.json()["resident_name"] == "Agnes" and filed.json()["organisation_id"] == orgs[0].pk
    )
    again = client.post(
        "/api/v1/lending/referrals",
        {
            "client_ref": "API-1",
            "kind": "tablet",
            "purpose": "Videobellen",
            "eligibility": "senior",
            "wished": "loan",
            "resident": {"first_name": "Agnes", "phone": "0470 31 31 31", "contact_sms": True},
        },
        content_type="application/json",
        headers={"Idempotency-Key": "api-1"},
    )
    assert again.status_code == 200 and again.json()["id"] == filed.json()["id"]
    refused = client.post(f"/api/v1/lending/referrals/{linked.pk}/approve")
    assert refused.status_code == 403
