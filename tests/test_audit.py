"""The audit log is append-only (ORM on both databases, triggers on PostgreSQL) and is
written in the same transaction as the service that records it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from buurtkit.audit.models import AuditEvent, AuditImmutable
from buurtkit.audit.services import audit_record
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.people import services
from buurtkit.people.models import Consent, Person


@pytest.fixture
def event(system: Actor, make_person: Callable[..., Person]) -> AuditEvent:
    person = make_person(system)
    return AuditEvent.objects.get(verb="person.created", object_id=str(person.pk))


def _require_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the append-only triggers exist on PostgreSQL only")


# --- ORM guard (both databases) ---------------------------------------------------------------


def test_saving_an_existing_event_again_is_refused(event: AuditEvent) -> None:
    event.verb = "person.deleted"
    with pytest.raises(AuditImmutable):
        event.save()
    event.refresh_from_db()
    assert event.verb == "person.created"


def test_deleting_an_event_is_refused(event: AuditEvent) -> None:
    with pytest.raises(AuditImmutable):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_is_refused(event: AuditEvent) -> None:
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(verb="changed")
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.update(actor_label="someone else")
    event.refresh_from_db()
    assert event.verb == "person.created"


def test_queryset_delete_is_refused(event: AuditEvent) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == before


def test_bulk_update_is_refused(event: AuditEvent) -> None:
    event.verb = "changed"
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.bulk_update([event], ["verb"])
    assert AuditEvent.objects.get(pk=event.pk).verb == "person.created"


# --- database guard (PostgreSQL) -------------------------------------------------------------


@pytest.mark.postgres_only
def test_raw_sql_update_is_refused_by_postgres(event: AuditEvent) -> None:
    _require_postgres()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET verb = %s WHERE id = %s", ["forged", event.pk])
    event.refresh_from_db()
    assert event.verb == "person.created"


@pytest.mark.postgres_only
def test_raw_sql_delete_is_refused_by_postgres(event: AuditEvent) -> None:
    _require_postgres()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres_only
def test_raw_sql_update_of_all_rows_is_refused_by_postgres(event: AuditEvent) -> None:
    _require_postgres()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET data = '{}'::jsonb")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres_only
def test_raw_sql_insert_still_works_on_postgres(system: Actor) -> None:
    """Append-only, not read-only: new rows go in."""
    _require_postgres()
    with transaction.atomic():
        audit_record(actor=system, verb="test.appended")
    assert AuditEvent.objects.filter(verb="test.appended").count() == 1


# --- same transaction as the service -----------------------------------------------------------


def test_audit_row_and_service_row_are_written_together(system: Actor) -> None:
    person = services.person_create(actor=system, first_name="Godelieve", last_name="Maes")
    event = AuditEvent.objects.get(object_type="people.person", object_id=str(person.pk))
    assert event.verb == "person.created"
    assert event.community_id == system.community.pk
    assert event.actor_label == "test"
    assert event.channel == "system"


def test_service_failing_after_validation_leaves_no_row_and_no_audit(system: Actor) -> None:
    """person_create saves the person and audits it, then a bad consent fails: all rolls back."""
    events_before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(
            actor=system,
            first_name="Half",
            last_name="Written",
            consents={"data_processing": True, "not_a_consent": True},
        )
    assert "consents" in exc.value.fields
    assert not Person.objects.filter(first_name="Half").exists()
    assert not Consent.objects.exists()
    assert AuditEvent.objects.count() == events_before


def test_outer_rollback_takes_the_audit_row_with_it(system: Actor) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        services.person_create(actor=system, first_name="Rolled", last_name="Back")
        assert AuditEvent.objects.filter(verb="person.created").count() == 1
        raise Boom
    assert not Person.objects.filter(first_name="Rolled").exists()
    assert not AuditEvent.objects.filter(verb="person.created").exists()


@pytest.mark.django_db(transaction=True)
def test_audit_record_refuses_to_run_outside_a_transaction() -> None:
    from buurtkit.core.services import community_create

    community = community_create(name="Rabot", slug="rabot")
    actor = Actor.system(community)
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        audit_record(actor=actor, verb="loose.event")
    assert not AuditEvent.objects.filter(verb="loose.event").exists()


# --- on behalf ---------------------------------------------------------------------------------


def test_on_behalf_action_records_person_and_channel(
    system: Actor, make_person: Callable[..., Person], make_login: Callable[..., Any]
) -> None:
    from buurtkit.people.selectors import actor_for_user

    resident = make_person(system, first_name="Roger")
    clerk_user = make_login(system.community, "staff")
    clerk = actor_for_user(user=clerk_user, community=system.community)
    assert clerk is not None
    on_behalf = clerk.acting_for(resident.pk, channel="counter")

    consent = services.person_record_consent(
        actor=on_behalf, person_id=resident.pk, kind="contact_sms", granted=True
    )

    event = AuditEvent.objects.get(verb="person.consent", object_id=str(resident.pk))
    assert event.on_behalf_of_id == resident.pk
    assert event.channel == "counter"
    assert event.actor_user_id == clerk_user.pk
    assert event.actor_label == clerk_user.username
    assert event.data == {"kind": "contact_sms", "granted": True}
    assert consent.channel == "counter"


def test_own_action_has_no_on_behalf(system: Actor, make_person: Callable[..., Person]) -> None:
    person = make_person(system)
    services.person_record_consent(actor=system, person_id=person.pk, kind="photos", granted=False)
    event = AuditEvent.objects.get(verb="person.consent", object_id=str(person.pk))
    assert event.on_behalf_of_id is None
    assert event.channel == "system"


def test_audit_events_are_scoped_to_their_community(
    system: Actor, other_system: Actor, make_person: Callable[..., Person]
) -> None:
    from buurtkit.audit.selectors import audit_events

    mine = make_person(system)
    theirs = make_person(other_system)
    seen = {e.object_id for e in audit_events(actor=system)}
    assert str(mine.pk) in seen
    assert str(theirs.pk) not in seen
