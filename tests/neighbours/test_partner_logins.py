"""Issue 17 item 13: partners follow their own Buurbel participants.

A partner's login (role ``referrer``, ``neighbours.refer``) registers residents for its own
organisation, sees only its own participants (how far each one is, never the other
neighbour), and marks who needs follow-up; staff work through the follow-up list and see
figures per partner on the Buurbel dashboard.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from buurtkit.audit.models import AuditEvent
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.neighbours import selectors, services
from buurtkit.neighbours.models import Match, MatchRun, Participant, ProposedPair, RuleVersion
from buurtkit.people import services as people_services
from buurtkit.people.models import Organisation
from buurtkit.telephony.models import Call

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PASSWORD = "a-long-test-password"
_seq = itertools.count(1)
_phones = itertools.count(100)


def _phone() -> str:
    return f"+32472{next(_phones):06d}"


@pytest.fixture
def ocmw(system: Actor) -> Organisation:
    return people_services.organisation_create(
        actor=system, name="OCMW Gent", slug="ocmw", kind="social_welfare"
    )


@pytest.fixture
def caw(system: Actor) -> Organisation:
    return people_services.organisation_create(
        actor=system, name="CAW Gent", slug="caw", kind="association"
    )


def _partner_login(community: Community, org: Organisation | None) -> Any:
    username = f"partner-{next(_seq)}"
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    people_services.membership_grant(
        actor=Actor.system(community, label="test"),
        username=username,
        roles=["referrer"],
        organisation_id=org.pk if org else None,
    )
    return user


def _partner_client(community: Community, org: Organisation | None) -> Client:
    client = Client()
    client.force_login(_partner_login(community, org))
    return client


def _partner_actor(community: Community, org: Organisation | None) -> Actor:
    from buurtkit.core.permissions import ROLE_PERMISSIONS

    return Actor(
        community=community,
        label="partner",
        permissions=frozenset(ROLE_PERMISSIONS["referrer"]),
        roles=frozenset({"referrer"}),
        organisation_ids=frozenset({org.pk} if org else set()),
    )


def _register(actor: Actor, **overrides: Any) -> Participant:
    values: dict[str, Any] = {
        "first_name": f"Resident{next(_seq)}",
        "last_name": "Partnerwijk",
        "phone": _phone(),
        "consent": True,
        "language": "nl",
        "call_windows": [{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"}],
        "activities": ["coffee"],
        "neighbourhood": "rabot",
        "lat": 51.060,
        "lon": 3.710,
    }
    values.update(overrides)
    return services.partner_participant_register(actor=actor, **values)


# --- services and selectors ---------------------------------------------------------------------


def test_a_partner_registers_for_its_own_organisation_and_sees_only_its_own(
    community: Community, system: Actor, ocmw: Organisation, caw: Organisation
) -> None:
    as_ocmw, as_caw = _partner_actor(community, ocmw), _partner_actor(community, caw)
    mine = _register(as_ocmw, first_name="Mine")
    theirs = _register(as_caw, first_name="Theirs")
    assert (mine.organisation_id, theirs.organisation_id) == (ocmw.pk, caw.pk)
    assert mine.person.phone and mine.person.first_name == "Mine"

    assert list(selectors.partner_participants(actor=as_ocmw)) == [mine]
    assert list(selectors.partner_participants(actor=as_caw)) == [theirs]
    with pytest.raises(NotFound):  # another partner's participant: as if it did not exist
        selectors.partner_participant_get(actor=as_ocmw, participant_id=theirs.pk)
    with pytest.raises(NotFound):
        services.partner_follow_up(
            actor=as_ocmw, participant_id=theirs.pk, needs_follow_up=True, note="x"
        )
    # Staff who see Buurbel see every partner's.
    assert set(selectors.partner_participants(actor=system)) == {mine, theirs}


def test_the_organisation_comes_from_the_login_never_from_the_form(
    community: Community, ocmw: Organisation, caw: Organisation
) -> None:
    as_ocmw = _partner_actor(community, ocmw)
    with pytest.raises(PermissionDenied):
        _register(as_ocmw, organisation_id=caw.pk)
    nobody = _partner_actor(community, None)
    with pytest.raises(PermissionDenied):  # a referrer of no organisation may not register
        _register(nobody)
    with pytest.raises(PermissionDenied):
        selectors.partner_participants(actor=nobody)
    assert not Participant.objects.filter(community=community).exists()


def test_registering_needs_consent_and_a_real_number_and_is_done_once_per_key(
    community: Community, ocmw: Organisation
) -> None:
    actor = _partner_actor(community, ocmw)
    with pytest.raises(ValidationFailed) as refused:
        _register(actor, consent=False)
    assert "consent" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        _register(actor, phone="12")
    assert "phone" in refused.value.fields
    first = _register(actor, first_name="Once", phone="+32472999001", idempotency_key="k-1")
    again = _register(actor, first_name="Once", phone="+32472999001", idempotency_key="k-1")
    assert again.pk == first.pk and getattr(again, "replayed", False)
    assert Participant.objects.filter(community=community).count() == 1


def test_the_follow_up_flag_is_set_with_a_note_and_done_by_staff_audited(
    community: Community, system: Actor, ocmw: Organisation
) -> None:
    partner = _partner_actor(community, ocmw)
    p = _register(partner)
    with pytest.raises(ValidationFailed) as refused:  # marking says why
        services.partner_follow_up(actor=partner, participant_id=p.pk, needs_follow_up=True)
    assert "note" in refused.value.fields
    services.partner_follow_up(
        actor=partner, participant_id=p.pk, needs_follow_up=True, note="Lives alone"
    )
    assert list(selectors.follow_up_list(actor=system)) == [p]
    assert list(selectors.follow_up_list(actor=system, organisation_id=ocmw.pk + 999)) == []
    services.participant_follow_up(actor=system, participant_id=p.pk, needs_follow_up=False)
    p.refresh_from_db()
    assert (p.needs_follow_up, p.follow_up_note) == (False, "")
    verbs = list(
        AuditEvent.objects.filter(community=community, object_id=str(p.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs[-2:] == ["neighbours.follow_up_set", "neighbours.follow_up_done"]
    with pytest.raises(PermissionDenied):  # a partner's login is not staff
        services.participant_follow_up(actor=partner, participant_id=p.pk, needs_follow_up=False)


def _introduce(system: Actor, a: Participant, b: Participant, **match: Any) -> Match:
    """A pair being introduced by phone (a Match of a run's proposed pair)."""
    a, b = sorted((a, b), key=lambda p: p.pk)  # the lower id is called first
    now = clock.now()
    rules = RuleVersion.objects.filter(community=system.community).first()
    assert rules is not None
    run = MatchRun.objects.create(
        community=system.community, rule_version=rules, started_at=now, actor_label="test"
    )
    pair = ProposedPair.objects.create(
        community=system.community, run=run, participant_a=a, participant_b=b, score=1
    )
    return Match.objects.create(
        community=system.community,
        proposed_pair=pair,
        participant_a=a,
        participant_b=b,
        created_at=now,
        state_changed_at=now,
        actor_label="test",
        **match,
    )


def _answered_call(community: Community, number: str, at: dt.datetime) -> Call:
    return Call.objects.create(
        community=community,
        direction="out",
        from_number="+3293000000",
        to_number=number,
        provider="simulator",
        purpose="buurbel.first",
        status="completed",
        created_at=at,
        answered_at=at,
    )


def test_the_partner_view_says_how_far_each_one_is(
    community: Community,
    system: Actor,
    ocmw: Organisation,
    caw: Organisation,
    default_rules: RuleVersion,
) -> None:
    partner = _partner_actor(community, ocmw)
    waiting = _register(partner, first_name="Waiting")
    _register(partner, first_name="Unverified")
    introduced = _register(partner, first_name="Introduced")
    other = _register(_partner_actor(community, caw), first_name="Neighbour")
    for p in (waiting, introduced, other):
        services.participant_mark_verified(actor=system, participant_id=p.pk)
    _introduce(system, introduced, other, state="completed", met=True)
    _answered_call(community, introduced.person.phone, clock.now() - dt.timedelta(days=2))

    def by_status(status: str) -> list[str]:
        rows = selectors.partner_participants(actor=partner, status=status)
        return [p.person.first_name for p in rows]

    assert by_status("waiting") == ["Waiting"]
    assert by_status("not_verified") == ["Unverified"]
    assert by_status("introduced") == ["Introduced"]
    seen = selectors.partner_participant_get(actor=partner, participant_id=introduced.pk)
    assert selectors.partner_state(seen) == "introduced"
    assert (seen.introductions, seen.latest_state, seen.calls) == (1, "completed", 1)  # type: ignore[attr-defined]
    assert seen.last_contact is not None  # type: ignore[attr-defined]
    rows = selectors.partner_introductions(actor=partner, participant=seen)
    assert [(r["state"], r["met"]) for r in rows] == [("completed", True)]
    assert "Neighbour" not in json.dumps(rows, default=str)
    with pytest.raises(ValidationFailed):
        selectors.partner_participants(actor=partner, status="everyone")


def test_figures_per_partner_count_a_hand_built_world(
    community: Community,
    system: Actor,
    ocmw: Organisation,
    caw: Organisation,
    default_rules: RuleVersion,
) -> None:
    as_ocmw, as_caw = _partner_actor(community, ocmw), _partner_actor(community, caw)
    o1, o2, o3 = (_register(as_ocmw) for _ in range(3))
    c1 = _register(as_caw)
    for p in (o1, o2):
        services.partner_follow_up(
            actor=as_ocmw, participant_id=p.pk, needs_follow_up=True, note="x"
        )
    services.participant_opt_out(actor=system, participant_id=o2.pk)  # not open any more
    _introduce(system, o3, c1, met=True)
    figures = {f["name"]: f for f in selectors.partner_figures(actor=system)}
    assert {k: figures["OCMW Gent"][k] for k in ("participants", "introduced", "follow_up")} == {
        "participants": 3,
        "introduced": 1,
        "follow_up": 1,
    }
    assert {k: figures["CAW Gent"][k] for k in ("participants", "introduced", "follow_up")} == {
        "participants": 1,
        "introduced": 1,
        "follow_up": 0,
    }


# --- pages ----------------------------------------------------------------------------------------


def test_partner_pages_show_only_their_own_people(
    community: Community, ocmw: Organisation, caw: Organisation
) -> None:
    mine = _register(_partner_actor(community, ocmw), first_name="Minnie")
    theirs = _register(_partner_actor(community, caw), first_name="Theodora")
    client = _partner_client(community, ocmw)
    page = client.get("/rabot/buurbel/partner/", **EN)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Minnie" in body and "Theodora" not in body
    assert client.get(f"/rabot/buurbel/partner/{mine.pk}/", **EN).status_code == 200
    assert client.get(f"/rabot/buurbel/partner/{theirs.pk}/", **EN).status_code == 404
    # The staff pages stay closed to a partner.
    assert client.get("/rabot/buurbel/participants/", **EN).status_code == 403
    assert client.get(f"/rabot/buurbel/participants/{mine.pk}/", **EN).status_code == 403
    assert client.get("/rabot/buurbel/follow-up/", **EN).status_code == 403
    # The menu leads there.
    assert 'href="/rabot/buurbel/partner/"' in client.get("/rabot/", **EN).content.decode()


def test_partner_list_searches_and_pages(community: Community, ocmw: Organisation) -> None:
    actor = _partner_actor(community, ocmw)
    for n in range(27):
        _register(actor, first_name=f"Many{n:02d}", last_name="Zeta")
    _register(actor, first_name="Solo", last_name="Alpha")
    client = _partner_client(community, ocmw)
    first = client.get("/rabot/buurbel/partner/", **EN).content.decode()
    assert "Solo" in first and 'href="?page=2"' in first
    found = client.get("/rabot/buurbel/partner/?q=solo", **EN).content.decode()
    assert "Solo" in found and "Many00" not in found


def test_partner_registers_on_the_page_and_the_form_keeps_what_was_typed(
    community: Community, ocmw: Organisation, caw: Organisation
) -> None:
    client = _partner_client(community, ocmw)
    form = client.get("/rabot/buurbel/partner/new/", **EN)
    assert form.status_code == 200 and 'name="organisation' not in form.content.decode()
    key = form.context["form"].initial["key"]
    data = {
        "key": key,
        "first_name": "Griet",
        "last_name": "Vermeulen",
        "phone": "12",
        "language": "nl",
        "wish": "social",
        "max_distance_m": "1000",
        "activities": ["coffee", "walk"],
        "win0_days": ["1", "3"],
        "win0_from": "10:00",
        "win0_to": "12:00",
        "neighbourhood": "rabot",
        "needs_follow_up": "on",
        "follow_up_note": "Hoort slecht",
        "consent": "on",
        "organisation_id": str(caw.pk),  # not a field: ignored, the login decides
    }
    refused = client.post("/rabot/buurbel/partner/new/", data, **EN)
    assert refused.status_code == 422
    body = refused.content.decode()
    assert 'value="Griet"' in body and 'value="Hoort slecht"' in body
    assert refused.context["form"].errors["phone"]
    assert not Participant.objects.filter(community=community).exists()

    data["phone"] = "0472 12 34 56"
    done = client.post("/rabot/buurbel/partner/new/", data, **EN)
    assert done.status_code == 302
    p = Participant.objects.get(community=community)
    assert (p.organisation_id, p.needs_follow_up, p.follow_up_note) == (
        ocmw.pk,
        True,
        "Hoort slecht",
    )
    assert p.activities == ["coffee", "walk"] and p.person.full_name == "Griet Vermeulen"
    assert done["Location"] == f"/rabot/buurbel/partner/{p.pk}/"
    # A double click with the same form registers nobody twice.
    assert client.post("/rabot/buurbel/partner/new/", data, **EN).status_code == 302
    assert Participant.objects.filter(community=community).count() == 1


def test_a_referrer_without_organisation_is_told_so(community: Community) -> None:
    client = _partner_client(community, None)
    response = client.get("/rabot/buurbel/partner/new/", **EN)
    assert response.status_code == 403
    assert "not linked to a partner organisation" in response.content.decode()


def test_partner_marks_and_unmarks_follow_up_on_the_participant_page(
    community: Community,
    system: Actor,
    ocmw: Organisation,
    caw: Organisation,
    default_rules: RuleVersion,
) -> None:
    p = _register(_partner_actor(community, ocmw), first_name="Followed")
    other = _register(_partner_actor(community, caw), first_name="Secretneighbour")
    _introduce(system, p, other, state="appointment")
    client = _partner_client(community, ocmw)
    page = client.get(f"/rabot/buurbel/partner/{p.pk}/", **EN).content.decode()
    assert "appointment agreed" in page
    assert "Secretneighbour" not in page and other.person.phone[-6:] not in page

    empty = client.post(f"/rabot/buurbel/partner/{p.pk}/", {"needs_follow_up": "on"}, **EN)
    assert empty.status_code == 422 and empty.context["form"].errors["note"]
    marked = client.post(
        f"/rabot/buurbel/partner/{p.pk}/", {"needs_follow_up": "on", "note": "Ziek"}, **EN
    )
    assert marked.status_code == 302
    p.refresh_from_db()
    assert (p.needs_follow_up, p.follow_up_note) == (True, "Ziek")
    assert client.post(f"/rabot/buurbel/partner/{p.pk}/", {"note": ""}, **EN).status_code == 302
    p.refresh_from_db()
    assert not p.needs_follow_up
    # Another partner cannot change it.
    other_client = _partner_client(community, caw)
    response = other_client.post(
        f"/rabot/buurbel/partner/{p.pk}/", {"needs_follow_up": "on", "note": "x"}, **EN
    )
    assert response.status_code == 404
    p.refresh_from_db()
    assert not p.needs_follow_up


def test_staff_follow_up_list_filters_by_partner_shows_last_contact_and_done(
    community: Community,
    system: Actor,
    ocmw: Organisation,
    caw: Organisation,
    login_client: Callable[..., Client],
) -> None:
    a = _register(
        _partner_actor(community, ocmw), needs_follow_up=True, follow_up_note="Woont alleen"
    )
    b = _register(_partner_actor(community, caw), needs_follow_up=True, follow_up_note="Ziek")
    _register(_partner_actor(community, caw), first_name="Fine")
    called = dt.datetime(2026, 11, 20, 10, 30, tzinfo=dt.UTC)
    _answered_call(community, a.person.phone, called)
    staff = login_client(community, "staff")
    page = staff.get("/rabot/buurbel/follow-up/", **EN)
    assert page.status_code == 200
    rows = [r["id"] for r in page.context["rows"]]
    assert rows == [b.pk, a.pk]  # never reached first
    body = page.content.decode()
    assert "Woont alleen" in body and "Ziek" in body and "Fine" not in body
    assert page.context["rows"][1]["last_contact"] == called
    only_ocmw = staff.get(f"/rabot/buurbel/follow-up/?partner={ocmw.pk}", **EN)
    assert [r["id"] for r in only_ocmw.context["rows"]] == [a.pk]

    done = staff.post(f"/rabot/buurbel/follow-up/{a.pk}/done/", {"partner": str(ocmw.pk)}, **EN)
    assert done.status_code == 302 and done["Location"].endswith(f"?partner={ocmw.pk}")
    a.refresh_from_db()
    assert not a.needs_follow_up
    assert AuditEvent.objects.filter(
        community=community, verb="neighbours.follow_up_done", object_id=str(a.pk)
    ).exists()
    # A volunteer sees the list but may not take people off it.
    volunteer = login_client(community, "volunteer")
    assert volunteer.get("/rabot/buurbel/follow-up/", **EN).status_code == 200
    assert volunteer.post(f"/rabot/buurbel/follow-up/{b.pk}/done/", **EN).status_code == 403
    b.refresh_from_db()
    assert b.needs_follow_up


def test_dashboard_and_csv_show_figures_per_partner(
    community: Community,
    system: Actor,
    ocmw: Organisation,
    caw: Organisation,
    login_client: Callable[..., Client],
) -> None:
    _register(_partner_actor(community, ocmw), needs_follow_up=True, follow_up_note="x")
    _register(_partner_actor(community, ocmw))
    _register(_partner_actor(community, caw))
    staff = login_client(community, "staff")
    page = staff.get("/rabot/buurbel/", **EN)
    figures = {f["name"]: f for f in page.context["partner_figures"]}
    assert (figures["OCMW Gent"]["participants"], figures["OCMW Gent"]["follow_up"]) == (2, 1)
    assert "Per partner" in page.content.decode()
    response = staff.get("/rabot/buurbel/partners.csv", **EN)
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][0] == "partner"
    assert ["CAW Gent", "1", "0", "0", "0", "0"] in lines
    assert ["OCMW Gent", "2", "0", "0", "0", "1"] in lines


# --- the API --------------------------------------------------------------------------------------


def _partner_api(community: Community, org: Organisation) -> Client:
    _key, raw = people_services.apikey_create(
        actor=Actor.system(community, label="test"),
        name="partner key",
        roles=["referrer"],
        organisation_id=org.pk,
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_api_keeps_partners_apart(
    community: Community, ocmw: Organisation, caw: Organisation
) -> None:
    client = _partner_api(community, ocmw)
    body = {
        "first_name": "Api",
        "last_name": "Resident",
        "phone": "0472 55 66 77",
        "consent": True,
        "language": "fr",
        "call_windows": [{"days": [2], "from": "14:00", "to": "16:00"}],
        "needs_follow_up": True,
        "follow_up_note": "Slechtziend",
    }
    create = client.post(
        "/api/v1/buurbel/partner/participants",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="reg-1",
    )
    assert create.status_code == 201, create.content
    out = create.json()
    assert (out["organisation_id"], out["state"], out["needs_follow_up"]) == (
        ocmw.pk,
        "not_verified",
        True,
    )
    retry = client.post(
        "/api/v1/buurbel/partner/participants",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="reg-1",
    )
    assert retry.status_code == 200 and retry.json()["id"] == out["id"]
    no_key = client.post(
        "/api/v1/buurbel/partner/participants", json.dumps(body), content_type="application/json"
    )
    assert no_key.status_code == 422
    other_org = client.post(
        "/api/v1/buurbel/partner/participants",
        json.dumps({**body, "organisation_id": caw.pk}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="reg-2",
    )
    assert other_org.status_code == 403

    theirs = _register(_partner_actor(community, caw), first_name="Hidden")
    listed = client.get("/api/v1/buurbel/partner/participants").json()
    assert [r["id"] for r in listed["items"]] == [out["id"]]
    assert client.get(f"/api/v1/buurbel/partner/participants/{theirs.pk}").status_code == 404
    refused = client.post(
        f"/api/v1/buurbel/partner/participants/{theirs.pk}/follow-up",
        json.dumps({"needs_follow_up": True, "note": "x"}),
        content_type="application/json",
    )
    assert refused.status_code == 404
    done = client.post(
        f"/api/v1/buurbel/partner/participants/{out['id']}/follow-up",
        json.dumps({"needs_follow_up": False}),
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["needs_follow_up"] is False
    # The staff API stays closed to a partner's key.
    assert client.get("/api/v1/buurbel/participants").status_code == 403
    assert client.get("/api/v1/buurbel/partner/participants?status=bogus").status_code == 422


def test_the_partner_and_the_note_are_exported_and_anonymised(
    community: Community, system: Actor, ocmw: Organisation
) -> None:
    p = _register(
        _partner_actor(community, ocmw), needs_follow_up=True, follow_up_note="Hoort slecht"
    )
    export = json.dumps(
        people_services.person_gdpr_export(actor=system, person_id=p.person_id), default=str
    )
    assert "Hoort slecht" in export and "OCMW Gent" in export
    people_services.person_anonymise(actor=system, person_id=p.person_id)
    p.refresh_from_db()
    assert (p.needs_follow_up, p.follow_up_note) == (False, "")
    assert p.organisation_id == ocmw.pk  # the partner's figures still count them


def test_staff_registering_as_a_partner_name_the_partner_or_get_their_own(
    community: Community, system: Actor, ocmw: Organisation, caw: Organisation
) -> None:
    assert _register(system, organisation_id=caw.pk).organisation_id == caw.pk
    assert _register(system).organisation_id is None  # the system actor has no organisation
    import dataclasses

    staff_of_ocmw = dataclasses.replace(system, organisation_ids=frozenset({ocmw.pk}))
    assert _register(staff_of_ocmw).organisation_id == ocmw.pk
