"""The referral pages: a partner sees only their organisation's requests (and only residents
they entered), files a request that keeps its input on an error and is filed once on a
second click; staff approve, set a device aside and invite from the queue; limits."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.lending import services
from buurtkit.lending.models import Referral, ReferralCap
from buurtkit.people import services as people_services
from buurtkit.people.models import Organisation
from buurtkit.places import services as places_services

pytestmark = pytest.mark.django_db
EVIDENCE = {"method": "NIST 800-88 purge", "tool": "nwipe", "operator": "Sofie",
            "wiped_on": "2026-12-01"}  # fmt: skip
_seq = itertools.count(1)


def _org(system: Actor, slug: str) -> Organisation:
    return people_services.organisation_create(
        actor=system, name=f"Partner {slug}", slug=slug, kind="social_welfare"
    )


def _partner_client(system: Actor, org: Organisation) -> Client:
    username = f"referrer-{next(_seq)}"
    user = get_user_model().objects.create_user(username=username, password="x-long-password-1")
    people_services.membership_grant(
        actor=system, username=username, roles=["referrer"], organisation_id=org.pk
    )
    client = Client()
    client.force_login(user)
    return client


def _file(system: Actor, org: Organisation, **extra: Any) -> Referral:
    values: dict[str, Any] = {
        "organisation_id": org.pk,
        "kind": "laptop",
        "purpose": "Homework",
        "eligibility": "pupil",
        "client_ref": f"REF-{next(_seq)}",
    }
    values.update(extra)
    return services.referral_file(actor=system, **values)


def _form(org: Organisation, **extra: str) -> dict[str, str]:
    data = {
        "idempotency_key": "form-key-1",
        "organisation": str(org.pk),
        "client_ref": "DOS-1",
        "kind": "laptop",
        "purpose": "School work",
        "eligibility": "low_income",
        "household_size": "3",
        "wished": "gift",
    }
    data.update(extra)
    return data


@pytest.fixture
def orgs(system: Actor) -> tuple[Organisation, Organisation]:
    return _org(system, "ocmw"), _org(system, "buurtwerk")


def test_a_partner_sees_only_their_own_requests(system: Actor, orgs: Any) -> None:
    ours = _file(system, orgs[0], client_ref="OURS-1")
    known = people_services.person_create(actor=system, first_name="Hidden", last_name="Name")
    _file(system, orgs[0], client_ref="OURS-2", wished="loan", person_id=known.pk)
    theirs = _file(system, orgs[1], client_ref="THEIRS-1")
    client = _partner_client(system, orgs[0])

    page = client.get("/rabot/lending/referrals/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "OURS-1" in body and "OURS-2" in body and "THEIRS-1" not in body
    assert client.get(f"/rabot/lending/referrals/{theirs.pk}/").status_code == 404
    detail = client.get(f"/rabot/lending/referrals/{ours.pk}/").content.decode()
    assert "Withdraw" in detail or "Intrekken" in detail
    # A resident the device bank linked stays hidden from the partner, in the list and search.
    linked = Referral.objects.get(client_ref="OURS-2")
    assert "Hidden" not in client.get(f"/rabot/lending/referrals/{linked.pk}/").content.decode()
    assert "OURS-2" not in client.get("/rabot/lending/referrals/?q=Hidden").content.decode()
    # Staff pages are not theirs.
    assert client.get("/rabot/lending/referrals/queue/").status_code == 403
    assert client.post(f"/rabot/lending/referrals/{ours.pk}/approve/").status_code == 403


def test_the_form_keeps_the_input_and_files_once(system: Actor, orgs: Any) -> None:
    client = _partner_client(system, orgs[0])
    refused = client.post("/rabot/lending/referrals/new/", _form(orgs[0], purpose=""))
    assert refused.status_code == 400
    assert 'value="DOS-1"' in refused.content.decode()
    assert 'value="form-key-1"' in refused.content.decode()  # the same key on the next try
    # A resident for a gift is refused next to the fields; nothing is filed.
    refused = client.post(
        "/rabot/lending/referrals/new/", _form(orgs[0], first_name="Els", phone="0470 12 34 56")
    )
    assert refused.status_code == 400 and 'value="Els"' in refused.content.decode()
    assert not Referral.objects.exists()

    first = client.post("/rabot/lending/referrals/new/", _form(orgs[0]))
    second = client.post("/rabot/lending/referrals/new/", _form(orgs[0]))  # a second click
    referral = Referral.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/rabot/lending/referrals/{referral.pk}/"
    assert referral.organisation == orgs[0] and referral.household_size == 3
    # Another partner's id in the form is refused.
    other = client.post(
        "/rabot/lending/referrals/new/", _form(orgs[1], idempotency_key="form-key-2")
    )
    assert other.status_code == 400 and Referral.objects.count() == 1


def test_a_loan_with_the_residents_name_shows_it_to_the_partner(system: Actor, orgs: Any) -> None:
    client = _partner_client(system, orgs[0])
    response = client.post(
        "/rabot/lending/referrals/new/",
        _form(orgs[0], wished="loan", first_name="Fatima", last_name="Benali", contact_sms="on"),
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.person_by_referrer and referral.person.full_name == "Fatima Benali"
    assert "Fatima Benali" in client.get(response["Location"]).content.decode()


def test_a_request_beyond_the_limit_says_why(system: Actor, orgs: Any) -> None:
    services.cap_set(actor=system, organisation_id=orgs[0].pk, period="month", max_referrals=1)
    _file(system, orgs[0])
    client = _partner_client(system, orgs[0])
    home = client.get("/rabot/lending/referrals/").content.decode()
    assert "1 of 1" in home or "1 van 1" in home
    response = client.post(
        "/rabot/lending/referrals/new/", _form(orgs[0]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "has used all 1 requests" in response.content.decode()
    assert Referral.objects.count() == 1


def test_staff_approve_set_aside_and_invite_from_the_pages(
    system: Actor, orgs: Any, login_client: Callable[..., Client], community: Community
) -> None:
    donation = services.donation_receive(
        actor=system,
        received_on=date(2026, 12, 1),
        donor_name="Barco",
        devices=[{"kind": "laptop"}],
    )
    device = donation.devices.get()
    services.device_record_event(actor=system, device_id=device.pk, kind="wiped", evidence=EVIDENCE)
    for step in ("checked", "available"):
        services.device_record_event(actor=system, device_id=device.pk, kind=step)
    place = places_services.place_create(actor=system, name="Bib De Krook", kind="library_store")
    referral = _file(system, orgs[0])
    staff = login_client(community, "staff")

    queue = staff.get("/rabot/lending/referrals/queue/")
    assert queue.status_code == 200 and referral.client_ref in queue.content.decode()
    url = f"/rabot/lending/referrals/{referral.pk}"
    assert staff.post(f"{url}/approve/", {"next": "queue"})["Location"].endswith("/queue/")
    staff.post(f"{url}/match/", {"device": str(device.pk)})
    referral.refresh_from_db()
    assert referral.state == "matched" and referral.device_id == device.pk
    day = (clock.now() + timedelta(days=2)).date().isoformat()
    bad = staff.post(
        f"{url}/invite/", {"place": place.pk, "day": "", "time": "14:00", "channel": "auto"}
    )
    assert bad.status_code == 400
    done = staff.post(
        f"{url}/invite/", {"place": place.pk, "day": day, "time": "14:00", "channel": "auto"}
    )
    assert done.status_code == 302
    referral.refresh_from_db()
    assert referral.state == "invited" and referral.invited_via == "referrer"
    local = referral.pickup_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Brussels"))
    assert local.strftime("%H:%M") == "14:00"
    # The partner sees where and when, and that they must tell the household.
    partner_page = _partner_client(system, orgs[0]).get(f"{url}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Bib De Krook" in partner_page.content.decode()
    assert "please tell them" in partner_page.content.decode()


def test_refusing_needs_a_reason(
    system: Actor, orgs: Any, login_client: Callable[..., Client], community: Community
) -> None:
    referral = _file(system, orgs[0])
    staff = login_client(community, "staff")
    url = f"/rabot/lending/referrals/{referral.pk}/refuse/"
    assert staff.post(url, {"reason": ""}).status_code == 400
    staff.post(url, {"reason": "Has one already"})
    referral.refresh_from_db()
    assert referral.state == "refused" and referral.refusal_reason == "Has one already"


def test_staff_set_a_partners_limit(
    orgs: Any, login_client: Callable[..., Client], community: Community
) -> None:
    staff = login_client(community, "staff")
    response = staff.post(
        "/rabot/lending/referrals/caps/",
        {"organisation": orgs[1].pk, "period": "quarter", "max_referrals": "15"},
    )
    assert response.status_code == 302
    cap = ReferralCap.objects.get()
    assert (cap.organisation, cap.period, cap.max_referrals) == (orgs[1], "quarter", 15)
    page = staff.get("/rabot/lending/referrals/caps/").content.decode()
    assert "Partner buurtwerk" in page


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_pages_speak_the_users_language(
    system: Actor,
    orgs: Any,
    language: str,
    login_client: Callable[..., Client],
    community: Community,
) -> None:
    referral = _file(system, orgs[0])
    staff = login_client(community, "staff")
    words = {"nl": "Wachtrij", "fr": "File d", "en": "Request queue"}[language]
    for url in (
        "/rabot/lending/referrals/",
        "/rabot/lending/referrals/new/",
        "/rabot/lending/referrals/queue/",
        "/rabot/lending/referrals/caps/",
        f"/rabot/lending/referrals/{referral.pk}/",
    ):
        response = staff.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        assert response["Content-Language"] == language
    queue = staff.get("/rabot/lending/referrals/queue/", HTTP_ACCEPT_LANGUAGE=language)
    assert words in queue.content.decode()
