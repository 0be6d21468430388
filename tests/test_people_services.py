"""People services: validation, consent, GDPR export and anonymise, permissions, roles, keys."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from buurtkit.audit.models import AuditEvent
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.people import selectors, services
from buurtkit.people.models import ApiKey, Consent, Membership, Person

User = get_user_model()


@pytest.fixture
def actor_as(make_login: Callable[..., Any]) -> Callable[..., Actor]:
    """The actor a fresh login with ``role`` is in ``community`` (as the pages build it)."""

    def make(community: Community, role: str) -> Actor:
        user = make_login(community, role)
        actor = selectors.actor_for_user(user=user, community=community)
        assert actor is not None
        return actor

    return make


def _events(obj_id: int, verb: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type="people.person", object_id=str(obj_id), verb=verb)
    )


# --- create / update -------------------------------------------------------------------------


def test_person_create_stores_mobile_in_e164(system: Actor) -> None:
    person = services.person_create(actor=system, first_name="Jan", phone="0470 12 34 56")
    person.refresh_from_db()
    assert person.phone == "+32470123456"
    assert person.phone_kind == "mobile"


def test_person_create_detects_belgian_landline(system: Actor) -> None:
    person = services.person_create(actor=system, first_name="Agnes", phone="092123456")
    person.refresh_from_db()
    assert person.phone == "+3292123456"
    assert person.phone_kind == "landline"


def test_phone_region_defaults_to_belgium_but_foreign_numbers_work(system: Actor) -> None:
    be = services.person_create(actor=system, first_name="A", phone="0470123456")
    nl = services.person_create(actor=system, first_name="B", phone="+31 6 12345678")
    assert be.phone.startswith("+32")
    assert nl.phone == "+31612345678"
    assert nl.phone_kind == "mobile"


@pytest.mark.parametrize("bad", ["12345", "0470", "not a number", "+32 0000"])
def test_invalid_phone_is_refused_with_a_field_error(system: Actor, bad: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(actor=system, first_name="Jan", phone=bad)
    assert "phone" in exc.value.fields
    assert "0470" in str(exc.value.fields["phone"])  # the message shows an example
    assert not Person.objects.exists()
    assert not AuditEvent.objects.filter(verb="person.created").exists()


def test_person_create_validates_other_fields(system: Actor) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(actor=system, first_name="", email="not-an-email")
    assert {"first_name", "email"} <= set(exc.value.fields)
    with pytest.raises(ValidationFailed):
        services.person_create(actor=system, first_name="Jan", shoe_size=44)
    assert not Person.objects.exists()


def test_person_create_defaults_to_community_language_and_normalises(
    system: Actor, other_system: Actor
) -> None:
    nl = services.person_create(actor=system, first_name="  Jan ", email=" Jan@Example.ORG ")
    fr = services.person_create(actor=other_system, first_name="Jean")
    assert nl.preferred_language == "nl"
    assert fr.preferred_language == "fr"
    assert nl.first_name == "Jan"
    assert nl.email == "jan@example.org"


def test_person_update_changes_phone_and_audits_changed_fields(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    person = make_person(system, phone="092123456")
    services.person_update(actor=system, person_id=person.pk, phone="0470123456", postcode="9000")
    person.refresh_from_db()
    assert (person.phone, person.phone_kind, person.postcode) == ("+32470123456", "mobile", "9000")
    [event] = _events(person.pk, "person.updated")
    assert sorted(event.data["fields"]) == ["phone", "postcode"]


def test_person_update_with_invalid_phone_changes_nothing(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    person = make_person(system, phone="092123456", postcode="9000")
    with pytest.raises(ValidationFailed) as exc:
        services.person_update(actor=system, person_id=person.pk, postcode="9032", phone="123")
    assert "phone" in exc.value.fields
    person.refresh_from_db()
    assert (person.phone, person.postcode) == ("+3292123456", "9000")
    assert not _events(person.pk, "person.updated")


def test_person_update_cannot_reach_another_community(
    system: Actor, other_system: Actor, make_person: Callable[..., Person]
) -> None:
    theirs = make_person(other_system, first_name="Chantal")
    with pytest.raises(NotFound):
        services.person_update(actor=system, person_id=theirs.pk, first_name="Hacked")
    theirs.refresh_from_db()
    assert theirs.first_name == "Chantal"


# --- consent -------------------------------------------------------------------------------------


def test_consents_are_kept_with_timestamps_and_the_newest_wins(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    person = make_person(system)
    t1 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    t2 = t1 + timedelta(days=30)
    with clock.frozen(t1):
        services.person_record_consent(
            actor=system, person_id=person.pk, kind="contact_sms", granted=True
        )
    assert selectors.current_consents(person=person) == {"contact_sms": True}
    with clock.frozen(t2):
        services.person_record_consent(
            actor=system, person_id=person.pk, kind="contact_sms", granted=False
        )
    assert selectors.current_consents(person=person) == {"contact_sms": False}
    history = list(Consent.objects.filter(person=person).order_by("at"))
    assert [(c.at, c.granted) for c in history] == [(t1, True), (t2, False)]
    assert all(c.recorded_by == "test" for c in history)


def test_newest_by_time_wins_even_when_recorded_later(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    person = make_person(system)
    with clock.frozen(datetime(2025, 6, 1, tzinfo=UTC)):
        services.person_record_consent(
            actor=system, person_id=person.pk, kind="photos", granted=False
        )
    with clock.frozen(datetime(2025, 1, 1, tzinfo=UTC)):  # a paper form typed in late
        services.person_record_consent(
            actor=system, person_id=person.pk, kind="photos", granted=True
        )
    assert selectors.current_consents(person=person) == {"photos": False}


def test_unknown_consent_kind_is_refused(system: Actor, make_person: Callable[..., Person]) -> None:
    person = make_person(system)
    with pytest.raises(ValidationFailed):
        services.person_record_consent(
            actor=system, person_id=person.pk, kind="sell_my_data", granted=True
        )
    assert not Consent.objects.exists()


def test_resident_records_own_consent_but_not_someone_elses(
    system: Actor, make_login: Callable[..., Any], make_person: Callable[..., Person]
) -> None:
    user = make_login(system.community, "resident")
    me = selectors.actor_for_user(user=user, community=system.community)
    assert me is not None and me.person_id is not None
    services.person_record_consent(actor=me, person_id=me.person_id, kind="photos", granted=True)
    neighbour = make_person(system)
    with pytest.raises(PermissionDenied):
        services.person_record_consent(
            actor=me, person_id=neighbour.pk, kind="photos", granted=True
        )
    assert not Consent.objects.filter(person=neighbour).exists()


# --- GDPR export ---------------------------------------------------------------------------------


def test_gdpr_export_contains_everything_and_is_audited(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    org = services.organisation_create(actor=system, name="Bib Rabot", slug="bib", kind="library")
    person = make_person(
        system,
        first_name="Fatima",
        last_name="Benali",
        phone="0470123456",
        email="fatima@example.org",
        postcode="9000",
        neighbourhood="Rabot",
        birth_year=1961,
        has_smartphone=True,
        consents={"data_processing": True},
    )
    services.person_give_login(
        actor=system, person_id=person.pk, username="fatima", password="a-long-test-password"
    )
    services.membership_grant(
        actor=system, username="fatima", roles=["volunteer"], organisation_id=org.pk
    )
    services.person_update(actor=system, person_id=person.pk, postcode="9032")

    data = services.person_gdpr_export(actor=system, person_id=person.pk)

    p = data["person"]
    assert p["id"] == person.pk
    assert (p["first_name"], p["last_name"]) == ("Fatima", "Benali")
    assert p["phone"] == "+32470123456" and p["phone_kind"] == "mobile"
    assert p["email"] == "fatima@example.org"
    assert (p["postcode"], p["neighbourhood"], p["birth_year"]) == ("9032", "Rabot", 1961)
    assert p["has_smartphone"] is True
    assert data["community"]["slug"] == "rabot"
    assert data["login"]["username"] == "fatima"
    assert [(c["kind"], c["granted"]) for c in data["consents"]] == [("data_processing", True)]
    assert data["consents"][0]["at"]
    assert data["memberships"] == [
        {"organisation": "Bib Rabot", "roles": ["volunteer"], "active": True}
    ]
    verbs = [a["verb"] for a in data["activity"]]
    assert verbs[:1] == ["person.created"]
    assert {"person.consent", "person.login_created", "person.updated"} <= set(verbs)
    import json

    json.dumps(data)  # JSON-ready as it is
    [event] = _events(person.pk, "person.exported")
    assert event.actor_label == "test"


def test_gdpr_export_needs_permission_except_for_yourself(
    system: Actor,
    actor_as: Callable[..., Actor],
    make_login: Callable[..., Any],
    make_person: Callable[..., Person],
) -> None:
    person = make_person(system)
    staff = actor_as(system.community, "staff")  # staff may manage people but not export them
    with pytest.raises(PermissionDenied):
        services.person_gdpr_export(actor=staff, person_id=person.pk)
    assert not _events(person.pk, "person.exported")

    resident_user = make_login(system.community, "resident")
    me = selectors.actor_for_user(user=resident_user, community=system.community)
    assert me is not None
    mine = services.person_gdpr_export(actor=me, person_id=me.person_id)
    assert mine["login"]["username"] == resident_user.username


def test_gdpr_export_of_another_community_is_not_found(
    system: Actor, other_system: Actor, make_person: Callable[..., Person]
) -> None:
    theirs = make_person(other_system)
    with pytest.raises(NotFound):
        services.person_gdpr_export(actor=system, person_id=theirs.pk)


# --- anonymise -----------------------------------------------------------------------------------


def test_anonymise_clears_personal_data_keeps_row_and_deactivates_login(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    person = make_person(
        system,
        first_name="Roger",
        last_name="Vermeulen",
        phone="0470123456",
        email="roger@example.org",
        postcode="9032",
        birth_year=1947,
        consents={"data_processing": True},
    )
    user = services.person_give_login(
        actor=system, person_id=person.pk, username="roger", password="a-long-test-password"
    )
    pk, user_pk = person.pk, user.pk

    services.person_anonymise(actor=system, person_id=pk)

    person = Person.objects.get(pk=pk)
    assert person.first_name != "Roger" and "Vermeulen" not in person.last_name
    assert (person.phone, person.email) == ("", "")
    assert person.postcode == "90"  # region only, for statistics
    assert person.birth_year == 1940  # decade only
    assert person.anonymised_at is not None
    assert person.user_id == user_pk
    user = User.objects.get(pk=user_pk)
    assert not user.is_active
    assert not user.has_usable_password()
    assert "roger" not in user.username.lower()
    assert (user.first_name, user.last_name, user.email) == ("", "", "")
    assert Consent.objects.filter(person_id=pk).count() == 1  # history for statistics stays
    assert selectors.actor_for_user(user=user, community=system.community) is None
    [event] = _events(pk, "person.anonymised")
    assert event.data == {}  # no personal data in the log
    assert person.full_name not in ("", "Roger Vermeulen")


def test_anonymise_is_idempotent(system: Actor, make_person: Callable[..., Person]) -> None:
    person = make_person(system, first_name="Godelieve")
    first = services.person_anonymise(actor=system, person_id=person.pk)
    again = services.person_anonymise(actor=system, person_id=person.pk)
    assert again.anonymised_at == first.anonymised_at
    assert len(_events(person.pk, "person.anonymised")) == 1
    assert Person.objects.filter(pk=person.pk).count() == 1


def test_anonymised_person_cannot_be_changed(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    person = make_person(system)
    services.person_anonymise(actor=system, person_id=person.pk)
    with pytest.raises(Conflict):
        services.person_update(actor=system, person_id=person.pk, first_name="Back")


def test_anonymise_needs_gdpr_permission(
    system: Actor, actor_as: Callable[..., Actor], make_person: Callable[..., Person]
) -> None:
    person = make_person(system, first_name="Emiel")
    for role in ("staff", "counter_clerk", "volunteer", "auditor", "resident"):
        with pytest.raises(PermissionDenied):
            services.person_anonymise(actor=actor_as(system.community, role), person_id=person.pk)
    person.refresh_from_db()
    assert person.first_name == "Emiel" and person.anonymised_at is None
    coordinator = actor_as(system.community, "coordinator")
    services.person_anonymise(actor=coordinator, person_id=person.pk)
    person.refresh_from_db()
    assert person.anonymised_at is not None


# --- permissions in services ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["volunteer", "counter_clerk", "auditor", "merchant", "resident"])
def test_roles_without_people_manage_cannot_create_or_change_people(
    system: Actor, actor_as: Callable[..., Actor], make_person: Callable[..., Person], role: str
) -> None:
    actor = actor_as(system.community, role)
    existing = make_person(system, first_name="Stijn")
    count = Person.objects.count()
    with pytest.raises(PermissionDenied):
        services.person_create(actor=actor, first_name="Sneaky")
    with pytest.raises(PermissionDenied):
        services.person_update(actor=actor, person_id=existing.pk, first_name="Sneaky")
    with pytest.raises(PermissionDenied):
        services.organisation_create(actor=actor, name="X", slug="x", kind="school")
    assert Person.objects.count() == count
    existing.refresh_from_db()
    assert existing.first_name == "Stijn"


def test_staff_can_create_people_and_organisations(
    system: Actor, actor_as: Callable[..., Actor]
) -> None:
    staff = actor_as(system.community, "staff")
    person = services.person_create(actor=staff, first_name="Nele")
    org = services.organisation_create(actor=staff, name="School", slug="school", kind="school")
    assert person.community_id == org.community_id == system.community.pk
    assert AuditEvent.objects.filter(verb="person.created", actor_user_id=staff.user_id).exists()


def test_people_search_needs_view_permission(system: Actor, actor_as: Callable[..., Actor]) -> None:
    with pytest.raises(PermissionDenied):
        selectors.people_search(actor=actor_as(system.community, "merchant"))
    assert selectors.people_search(actor=actor_as(system.community, "volunteer")) is not None


# --- memberships and escalation ------------------------------------------------------------------


def _manager_without_coordinator(community: Community) -> Actor:
    """An actor allowed to manage memberships and keys who is not a coordinator."""
    return Actor(
        community=community,
        label="role-manager",
        user_id=None,
        roles=frozenset({"staff"}),
        permissions=frozenset({"memberships.manage", "apikeys.manage"}),
    )


def _accept(username: str, invitation: Any) -> Membership:
    """The invited login accepts (roles are given by invitation: issue 18, item 9)."""
    return services.invitation_accept(
        user=User.objects.get(username=username), invitation_id=invitation.pk
    )


def test_only_coordinators_manage_memberships(
    system: Actor, actor_as: Callable[..., Actor]
) -> None:
    User.objects.create_user(username="newbie", password="x-long-password-1")
    for role in ("staff", "counter_clerk", "volunteer", "auditor"):
        with pytest.raises(PermissionDenied):
            services.membership_invite(
                actor=actor_as(system.community, role), username="newbie", roles=["volunteer"]
            )
    assert not Membership.objects.filter(user__username="newbie").exists()
    coordinator = actor_as(system.community, "coordinator")
    invitation = services.membership_invite(
        actor=coordinator, username="newbie", roles=["volunteer"]
    )
    m = _accept("newbie", invitation)
    assert m.roles == ["volunteer"]


def test_a_direct_grant_is_for_the_system_actor_only(
    system: Actor, actor_as: Callable[..., Actor]
) -> None:
    """The direct grant told whether a login name exists; people are invited instead."""
    User.objects.create_user(username="direct", password="x-long-password-1")
    with pytest.raises(PermissionDenied):
        services.membership_grant(
            actor=actor_as(system.community, "coordinator"), username="direct", roles=["staff"]
        )
    with pytest.raises(PermissionDenied):
        services.membership_grant(
            actor=actor_as(system.community, "coordinator"), username="nobody", roles=["staff"]
        )
    assert services.membership_grant(actor=system, username="direct", roles=["staff"]).pk


def test_non_coordinator_cannot_make_a_coordinator(system: Actor) -> None:
    manager = _manager_without_coordinator(system.community)
    User.objects.create_user(username="climber", password="x-long-password-1")
    with pytest.raises(PermissionDenied):
        services.membership_invite(
            actor=manager, username="climber", roles=["volunteer", "coordinator"]
        )
    assert not Membership.objects.filter(user__username="climber").exists()
    invitation = services.membership_invite(actor=manager, username="climber", roles=["volunteer"])
    m = _accept("climber", invitation)
    with pytest.raises(PermissionDenied):
        services.membership_update(actor=manager, membership_id=m.pk, roles=["coordinator"])
    m.refresh_from_db()
    assert m.roles == ["volunteer"]


def test_non_coordinator_cannot_demote_or_deactivate_a_coordinator(
    system: Actor, make_login: Callable[..., Any]
) -> None:
    boss = make_login(system.community, "coordinator")
    membership = Membership.objects.get(user=boss)
    manager = _manager_without_coordinator(system.community)
    with pytest.raises(PermissionDenied):
        services.membership_update(actor=manager, membership_id=membership.pk, roles=["volunteer"])
    with pytest.raises(PermissionDenied):
        services.membership_update(actor=manager, membership_id=membership.pk, active=False)
    membership.refresh_from_db()
    assert membership.roles == ["coordinator"] and membership.active


def test_coordinator_can_make_a_coordinator(system: Actor, actor_as: Callable[..., Actor]) -> None:
    coordinator = actor_as(system.community, "coordinator")
    User.objects.create_user(username="deputy", password="x-long-password-1")
    invitation = services.membership_invite(
        actor=coordinator, username="deputy", roles=["coordinator"]
    )
    m = _accept("deputy", invitation)
    assert m.roles == ["coordinator"]
    assert AuditEvent.objects.filter(verb="membership.granted", object_id=str(m.pk)).exists()


def test_membership_grant_rejects_bad_input(
    system: Actor, other_system: Actor, make_login: Callable[..., Any]
) -> None:
    User.objects.create_user(username="someone", password="x-long-password-1")
    with pytest.raises(ValidationFailed) as exc:
        services.membership_grant(actor=system, username="someone", roles=["emperor"])
    assert "roles" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.membership_grant(actor=system, username="someone", roles=[])
    assert "roles" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.membership_grant(actor=system, username="nobody-here", roles=["staff"])
    assert "username" in exc.value.fields
    their_org = services.organisation_create(
        actor=other_system, name="Theirs", slug="theirs", kind="school"
    )
    with pytest.raises(NotFound):
        services.membership_grant(
            actor=system, username="someone", roles=["staff"], organisation_id=their_org.pk
        )
    services.membership_grant(actor=system, username="someone", roles=["staff"])
    with pytest.raises(Conflict):
        services.membership_grant(actor=system, username="someone", roles=["volunteer"])
    assert Membership.objects.filter(user__username="someone").count() == 1


def test_membership_in_one_community_gives_nothing_in_another(
    system: Actor, other_system: Actor, make_login: Callable[..., Any]
) -> None:
    user = make_login(system.community, "coordinator")
    assert selectors.actor_for_user(user=user, community=other_system.community) is None


def test_inactive_membership_gives_no_access(system: Actor, make_login: Callable[..., Any]) -> None:
    user = make_login(system.community, "staff")
    m = Membership.objects.get(user=user)
    services.membership_update(actor=system, membership_id=m.pk, active=False)
    assert selectors.actor_for_user(user=user, community=system.community) is None


# --- passwords set by staff -------------------------------------------------------------------

# These share little with the generated usernames ("resident-rabot-772"): Django's similarity
# check refused a password ending in "77" for a login numbered 77x.
NEW_PASSWORD = "plum-jugglery-fox-9Q"
OTHER_PASSWORD = "muggy-plum-waltz-6K"


def test_staff_sets_a_residents_password(
    system: Actor, actor_as: Callable[..., Actor], make_login: Callable[..., Any]
) -> None:
    resident = make_login(system.community, "resident")
    staff = actor_as(system.community, "staff")
    services.password_set_by_staff(actor=staff, user_id=resident.pk, password=NEW_PASSWORD)
    resident.refresh_from_db()
    assert resident.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(verb="login.password_reset", object_id=str(resident.pk))


def test_staff_of_another_community_cannot_set_a_password(
    system: Actor,
    other_system: Actor,
    actor_as: Callable[..., Actor],
    make_login: Callable[..., Any],
) -> None:
    resident = make_login(system.community, "resident")
    outsider = actor_as(other_system.community, "staff")
    with pytest.raises(PermissionDenied):
        services.password_set_by_staff(actor=outsider, user_id=resident.pk, password=NEW_PASSWORD)
    resident.refresh_from_db()
    assert not resident.check_password(NEW_PASSWORD)


def test_staff_cannot_take_over_a_coordinators_login(
    system: Actor, actor_as: Callable[..., Actor], make_login: Callable[..., Any]
) -> None:
    """Resetting the password of someone with more rights would be a way to get those rights."""
    boss = make_login(system.community, "coordinator")
    staff = actor_as(system.community, "staff")
    with pytest.raises(PermissionDenied):
        services.password_set_by_staff(actor=staff, user_id=boss.pk, password=NEW_PASSWORD)
    boss.refresh_from_db()
    assert not boss.check_password(NEW_PASSWORD)
    # Not even another coordinator: a coordinator's password is reset by e-mail only.
    coordinator = actor_as(system.community, "coordinator")
    with pytest.raises(PermissionDenied):
        services.password_set_by_staff(actor=coordinator, user_id=boss.pk, password=NEW_PASSWORD)
    # A coordinator may reset a team member's password; staff may reset a resident's.
    clerk = make_login(system.community, "counter_clerk")
    services.password_set_by_staff(actor=coordinator, user_id=clerk.pk, password=NEW_PASSWORD)
    clerk.refresh_from_db()
    assert clerk.check_password(NEW_PASSWORD)
    with pytest.raises(PermissionDenied):
        services.password_set_by_staff(actor=staff, user_id=clerk.pk, password=OTHER_PASSWORD)
    resident = make_login(system.community, "resident")
    services.password_set_by_staff(actor=staff, user_id=resident.pk, password=OTHER_PASSWORD)
    resident.refresh_from_db()
    assert resident.check_password(OTHER_PASSWORD)


def test_staff_cannot_reset_a_login_that_also_works_in_another_community(
    system: Actor,
    other_system: Actor,
    actor_as: Callable[..., Actor],
    make_login: Callable[..., Any],
) -> None:
    """A resident here who is a coordinator elsewhere: a reset here would open the other one."""
    user = make_login(other_system.community, "coordinator")
    here = services.person_create(actor=system, first_name="Double")
    Person.objects.filter(pk=here.pk).update(user=user)
    staff = actor_as(system.community, "staff")
    with pytest.raises(PermissionDenied):
        services.password_set_by_staff(actor=staff, user_id=user.pk, password=NEW_PASSWORD)
    user.refresh_from_db()
    assert not user.check_password(NEW_PASSWORD)


def test_weak_password_is_refused(
    system: Actor, actor_as: Callable[..., Actor], make_login: Callable[..., Any]
) -> None:
    resident = make_login(system.community, "resident")
    with pytest.raises(ValidationFailed) as exc:
        services.password_set_by_staff(
            actor=actor_as(system.community, "staff"), user_id=resident.pk, password="123"
        )
    assert "password" in exc.value.fields


# --- API keys ----------------------------------------------------------------------------------


def test_apikey_create_returns_raw_key_and_stores_only_its_hash(system: Actor) -> None:
    key, raw = services.apikey_create(actor=system, name="Import script", roles=["staff"])
    stored = ApiKey.objects.get(pk=key.pk)
    assert raw.startswith(f"bk_{stored.prefix}_")
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    secret_part = raw.split("_", 2)[2]
    for value in (stored.key_hash, stored.prefix, stored.name, stored.created_by_label):
        assert secret_part not in value
    assert raw not in str(list(AuditEvent.objects.values_list("data", flat=True)))
    actor = selectors.actor_for_api_key(raw)
    assert actor is not None and actor.community == system.community
    assert actor.has("people.manage") and not actor.has("apikeys.manage")


def test_apikey_wrong_secret_and_revoked_key_do_not_authenticate(system: Actor) -> None:
    key, raw = services.apikey_create(actor=system, name="Script", roles=["staff"])
    forged = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    assert selectors.actor_for_api_key(forged) is None
    services.apikey_revoke(actor=system, apikey_id=key.pk)
    assert selectors.actor_for_api_key(raw) is None
    assert AuditEvent.objects.filter(verb="apikey.revoked", object_id=str(key.pk)).count() == 1


def test_apikey_permissions_and_escalation(
    system: Actor, other_system: Actor, actor_as: Callable[..., Actor]
) -> None:
    with pytest.raises(PermissionDenied):
        services.apikey_create(actor=actor_as(system.community, "staff"), name="k", roles=["staff"])
    manager = _manager_without_coordinator(system.community)
    with pytest.raises(PermissionDenied):
        services.apikey_create(actor=manager, name="k", roles=["coordinator"])
    with pytest.raises(ValidationFailed) as exc:
        services.apikey_create(actor=system, name="  ", roles=["staff"])
    assert "name" in exc.value.fields
    their_key, _raw = services.apikey_create(actor=other_system, name="theirs", roles=["staff"])
    with pytest.raises(NotFound):
        services.apikey_revoke(actor=system, apikey_id=their_key.pk)
    their_key.refresh_from_db()
    assert their_key.revoked_at is None
    assert not ApiKey.objects.filter(community=system.community).exists()
