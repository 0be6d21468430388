"""The helpdesk's ticket core: categories and teams, deadlines and late marks (frozen clock),
the allowed status transitions, replies through messaging in the person's language, notes,
idempotency, filing for someone at the counter, who sees what, search, home help,
retention and GDPR."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from buurtkit.activities import services as activities
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.permissions import permissions_for_roles
from buurtkit.helpdesk import selectors, services
from buurtkit.helpdesk.deadlines import LATE, VERY_LATE
from buurtkit.helpdesk.models import Category, MessageKind, Status, Ticket, TicketMessage
from buurtkit.messaging.models import Message
from buurtkit.people import services as people_services
from buurtkit.people.models import Person
from buurtkit.people.selectors import person_export_data

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
_n = itertools.count(1)


def _category(system: Actor, key: str = "itsme-eid") -> Category:
    services.categories_ensure_defaults(actor=system)
    return Category.objects.get(community=system.community, key=key)


def _person(system: Actor, **values: Any) -> Person:
    values.setdefault("first_name", f"Rita{next(_n)}")
    values.setdefault("last_name", "Peeters")
    return people_services.person_create(actor=system, **values)


def _ticket(system: Actor, **values: Any) -> Ticket:
    values.setdefault("channel", "phone")
    values.setdefault("subject", "itsme werkt niet")
    values.setdefault("body", "Mijn itsme vraagt een code die ik niet heb.")
    if "person_id" not in values and "contact" not in values:
        values["contact"] = services.Contact(name="Jan", phone="0470 11 22 33")
    return services.ticket_create(actor=system, **values)


def _actor(community: Community, role: str, **extra: Any) -> Actor:
    return Actor(
        community=community,
        label=role,
        roles=frozenset({role}),
        permissions=frozenset(permissions_for_roles({role}, community.enabled_modules)),
        **extra,
    )


def test_seeded_categories_are_the_seeds_topics_routed_to_teams(system: Actor) -> None:
    categories = services.categories_ensure_defaults(actor=system)
    keys = {c.key for c in categories}
    assert {
        "itsme-eid",
        "citizen-profile",
        "banking-phishing",
        "health-insurer",
        "tax-on-web",
        "school-apps",
        "device-problems",
        "other",
    } == keys
    assert all(c.team_id for c in categories)
    devices = Category.objects.get(community=system.community, key="device-problems")
    assert devices.team.key == "devices"
    # Once: a second call adds nothing and keeps edits.
    services.category_save(
        actor=system,
        category_id=devices.pk,
        name={"nl": "Toestellen"},
        team_id=devices.team_id,
        first_response_hours=2,
        resolution_hours=10,
    )
    services.categories_ensure_defaults(actor=system)
    devices.refresh_from_db()
    assert devices.name == {"nl": "Toestellen"} and devices.first_response_hours == 2


def test_only_coordinators_edit_categories(community: Community, system: Actor) -> None:
    category = _category(system)
    for role in ("staff", "counter_clerk", "volunteer"):
        with pytest.raises(PermissionDenied):
            services.category_save(
                actor=_actor(community, role), category_id=category.pk, name={"nl": "x"}
            )
    with pytest.raises(ValidationFailed) as refused:
        services.category_save(
            actor=system,
            category_id=category.pk,
            name={"nl": "x"},
            first_response_hours=10,
            resolution_hours=5,
        )
    assert "resolution_hours" in refused.value.fields


def test_a_ticket_is_routed_and_gets_late_then_very_late(system: Actor) -> None:
    category = _category(system)  # first answer 8 h, solved 72 h
    with clock.frozen(NOW):
        ticket = _ticket(system, category_id=category.pk)
    assert ticket.team.key == "frontdesk" and ticket.status == Status.NEW
    assert ticket.first_response_due_at == NOW + timedelta(hours=8)
    assert ticket.messages.get().kind == MessageKind.INCOMING
    for hours, expected in ((7, ""), (8, LATE), (15, LATE), (16, VERY_LATE)):
        with clock.frozen(NOW + timedelta(hours=hours)):
            assert selectors.late_mark(ticket) == expected, hours
            late = selectors.queue(actor=system, late=LATE)
            assert list(late) == ([ticket] if expected else []), hours
            very = selectors.queue(actor=system, late=VERY_LATE)
            assert list(very) == ([ticket] if expected == VERY_LATE else []), hours
    # The first answer stops the first-response clock; the resolution one still runs.
    with clock.frozen(NOW + timedelta(hours=9)):
        services.message_add(actor=system, ticket_id=ticket.pk, kind="reply", body="Ok", via="told")
    ticket.refresh_from_db()
    with clock.frozen(NOW + timedelta(hours=20)):
        assert selectors.late_mark(ticket) == ""
    with clock.frozen(NOW + timedelta(hours=73)):
        assert selectors.late_mark(ticket) == LATE
    # Waiting for the resident: no mark.
    services.ticket_transition(actor=system, ticket_id=ticket.pk, status="waiting")
    ticket.refresh_from_db()
    with clock.frozen(NOW + timedelta(hours=200)):
        assert selectors.late_mark(ticket) == ""
        assert not selectors.queue(actor=system, late=LATE).exists()


def test_status_moves_only_along_the_allowed_transitions(system: Actor) -> None:
    ticket = _ticket(system)
    with pytest.raises(ValidationFailed) as wrong:
        services.ticket_transition(actor=system, ticket_id=ticket.pk, status="new")
    assert wrong.value.code == "transition_not_allowed"
    with pytest.raises(ValidationFailed) as to_whom:
        services.ticket_transition(actor=system, ticket_id=ticket.pk, status="handed_over")
    assert "handover_to" in to_whom.value.fields
    for status in ("open", "waiting", "open", "resolved", "closed"):
        services.ticket_transition(actor=system, ticket_id=ticket.pk, status=status)
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.closed_at and ticket.resolved_at
    with pytest.raises(ValidationFailed):
        services.ticket_transition(actor=system, ticket_id=ticket.pk, status="open")
    with pytest.raises(ValidationFailed):
        services.message_add(actor=system, ticket_id=ticket.pk, kind="note", body="x")


def test_a_handover_to_a_digibuddy_shows_it_only_to_that_digibuddy(
    community: Community, other_community: Community, system: Actor
) -> None:
    rita = activities.volunteer_create(
        actor=system, person={"first_name": "Rita", "last_name": "B"}
    )
    omar = activities.volunteer_create(
        actor=system, person={"first_name": "Omar", "last_name": "B"}
    )
    theirs, other = _ticket(system), _ticket(system, subject="Tax-on-web")
    services.ticket_transition(
        actor=system,
        ticket_id=theirs.pk,
        status="handed_over",
        handover_to="digibuddy",
        volunteer_id=rita.pk,
    )
    rita_actor = _actor(community, "volunteer", person_id=rita.person_id)
    omar_actor = _actor(community, "volunteer", person_id=omar.person_id)
    assert list(selectors.queue(actor=rita_actor)) == [theirs]
    assert list(selectors.queue(actor=omar_actor)) == []
    with pytest.raises(NotFound):
        selectors.ticket_get(actor=omar_actor, ticket_id=theirs.pk)
    with pytest.raises(NotFound):
        selectors.ticket_get(actor=rita_actor, ticket_id=other.pk)
    # Rita works on hers: a note, waiting for the resident, resolved.
    services.message_add(actor=rita_actor, ticket_id=theirs.pk, kind="note", body="Bezocht")
    services.ticket_transition(actor=rita_actor, ticket_id=theirs.pk, status="resolved")
    with pytest.raises(NotFound):
        services.message_add(actor=omar_actor, ticket_id=theirs.pk, kind="note", body="x")
    # Another community never sees it.
    with pytest.raises(NotFound):
        selectors.ticket_get(actor=Actor.system(other_community), ticket_id=theirs.pk)


def test_a_resident_reads_only_their_own_tickets_without_notes(
    community: Community, system: Actor
) -> None:
    person = _person(system)
    own = _ticket(system, person_id=person.pk)
    _ticket(system)
    services.message_add(actor=system, ticket_id=own.pk, kind="note", body="intern")
    resident = Actor(community=community, label="r", person_id=person.pk)
    assert list(selectors.queue(actor=resident)) == [own]
    kinds = [m.kind for m in selectors.thread(actor=resident, ticket=own)]
    assert kinds == ["incoming"]
    with pytest.raises(PermissionDenied):
        selectors.queue(actor=Actor(community=community, label="nobody"))


def test_a_reply_goes_by_sms_in_the_persons_language_and_is_recorded(system: Actor) -> None:
    person = _person(
        system, phone="0470 98 76 54", preferred_language="fr", consents={"contact_sms": True}
    )
    ticket = _ticket(system, person_id=person.pk, channel="phone")
    with clock.frozen(NOW):
        reply = services.message_add(
            actor=system, ticket_id=ticket.pk, kind="reply", body="Allez au digipunt."
        )
    message = Message.objects.get(pk=reply.outbound_id)
    assert (message.channel, message.language, message.person_id) == ("sms", "fr", person.pk)
    assert "Allez au digipunt." in message.body and f"#{ticket.number}" in message.body
    assert "Réponse" in message.body or "question" in message.body
    ticket.refresh_from_db()
    assert (ticket.status, ticket.first_response_at, reply.via) == ("open", NOW, "sms")
    # A note is never sent.
    note = services.message_add(actor=system, ticket_id=ticket.pk, kind="note", body="Intern")
    assert note.outbound_id is None and Message.objects.count() == 1


def test_a_reply_to_an_email_ticket_goes_by_email(system: Actor) -> None:
    person = _person(system, email="an@example.org", consents={"contact_email": True})
    ticket = _ticket(system, person_id=person.pk, channel="email")
    reply = services.message_add(
        actor=system, ticket_id=ticket.pk, kind="reply", body="Zie bijlage"
    )
    assert reply.via == "email" and reply.outbound.channel == "email"


def test_a_reply_that_cannot_be_sent_is_refused_and_leaves_no_trace(system: Actor) -> None:
    no_phone = _person(system)  # no smartphone, no e-mail
    ticket = _ticket(system, person_id=no_phone.pk)
    with pytest.raises(ValidationFailed) as refused:
        services.message_add(actor=system, ticket_id=ticket.pk, kind="reply", body="Hallo")
    assert "via" in refused.value.fields
    assert TicketMessage.objects.filter(kind="reply").count() == 0
    contact_only = _ticket(system)
    with pytest.raises(ValidationFailed):
        services.message_add(actor=system, ticket_id=contact_only.pk, kind="reply", body="Hoi")
    told = services.message_add(
        actor=system, ticket_id=contact_only.pk, kind="reply", body="Gebeld", via="told"
    )
    assert (told.via, told.outbound_id) == ("told", None)


def test_creating_twice_with_one_key_makes_one_ticket(system: Actor) -> None:
    first = _ticket(system, idempotency_key="k-1")
    again = _ticket(system, idempotency_key="k-1")
    assert again.pk == first.pk and getattr(again, "replayed", False)
    with pytest.raises(Conflict):
        _ticket(system, idempotency_key="k-1", subject="iets anders")
    assert Ticket.objects.count() == 1
    one = services.message_add(
        actor=system, ticket_id=first.pk, kind="note", body="a", idempotency_key="m-1"
    )
    two = services.message_add(
        actor=system, ticket_id=first.pk, kind="note", body="a", idempotency_key="m-1"
    )
    assert one.pk == two.pk and TicketMessage.objects.filter(kind="note").count() == 1


def test_numbers_count_per_community(system: Actor, other_system: Actor) -> None:
    assert [_ticket(system).number for _ in range(3)] == [1, 2, 3]
    assert _ticket(other_system).number == 1


def test_a_ticket_needs_someone_to_answer(system: Actor) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.ticket_create(actor=system, channel="counter", subject="Vraag")
    assert "person" in refused.value.fields
    with pytest.raises(ValidationFailed) as bad:
        services.ticket_create(
            actor=system, channel="fax", subject="Vraag", contact=services.Contact(name="X")
        )
    assert "channel" in bad.value.fields


def test_filing_at_the_counter_finds_or_adds_a_person_without_smartphone(
    community: Community, system: Actor
) -> None:
    clerk = _actor(community, "counter_clerk")
    new = services.NewPerson(first_name="Maria", last_name="Janssens", phone="09 266 10 10")
    with pytest.raises(ValidationFailed) as no_consent:
        services.ticket_file(actor=clerk, subject="eBox", new_person=new)
    assert "consent" in no_consent.value.fields
    assert not Person.objects.filter(first_name="Maria").exists()
    first = services.ticket_file(
        actor=clerk, subject="eBox", new_person=new, consent_aloud=True, idempotency_key="f-1"
    )
    maria = first.person
    assert (maria.first_name, maria.phone_kind, maria.email) == ("Maria", "landline", "")
    assert (
        services.ticket_file(
            actor=clerk, subject="eBox", new_person=new, consent_aloud=True, idempotency_key="f-1"
        ).pk
        == first.pk
    )
    second = services.ticket_file(actor=clerk, subject="Tax", new_person=new, consent_aloud=True)
    assert second.person_id == maria.pk  # found again, not added twice
    bare = services.ticket_file(
        actor=clerk,
        subject="Hulp",
        new_person=services.NewPerson(first_name="Fons"),
        consent_aloud=True,
        channel="phone",
    )
    assert bare.person.phone == "" and bare.channel == "phone"
    # A digibuddy files too, and keeps the ticket.
    buddy = activities.volunteer_create(
        actor=system, person={"first_name": "Ali", "last_name": "B"}
    )
    buddy_actor = _actor(community, "volunteer", person_id=buddy.person_id)
    filed = services.ticket_file(actor=buddy_actor, subject="Itsme", person_id=maria.pk)
    assert filed.assigned_volunteer_id == buddy.pk
    assert list(selectors.queue(actor=buddy_actor)) == [filed]
    for role in ("auditor", "merchant", "referrer"):
        with pytest.raises(PermissionDenied):
            services.ticket_file(actor=_actor(community, role), subject="x", person_id=maria.pk)


def test_search_by_number_name_and_words(system: Actor) -> None:
    person = _person(system, first_name="Godelieve", last_name="Vermeulen")
    wanted = _ticket(system, person_id=person.pk, subject="Phishing mail van de bank")
    _ticket(system, subject="Schoolapp Smartschool")
    assert list(selectors.queue(actor=system, q=f"#{wanted.number}")) == [wanted]
    assert list(selectors.queue(actor=system, q="godel verm")) == [wanted]
    assert list(selectors.queue(actor=system, q="phishing")) == [wanted]
    assert list(selectors.queue(actor=system, q="Smartschool phishing")) == []
    assert selectors.queue(actor=system, q="'); drop table --").count() == 0


def test_queue_filters(community: Community, system: Actor, make_login: Any) -> None:
    category = _category(system, "tax-on-web")
    by_mail = _ticket(system, channel="email", category_id=category.pk)
    by_phone = _ticket(system, channel="phone")
    assert list(selectors.queue(actor=system, channel="email")) == [by_mail]
    assert list(selectors.queue(actor=system, category_id=category.pk)) == [by_mail]
    assert list(selectors.queue(actor=system, team_id=category.team_id)) == [by_mail]
    user = make_login(community, "staff")
    services.ticket_assign(actor=system, ticket_id=by_phone.pk, user_id=user.pk)
    staff = _actor(community, "staff", user_id=user.pk)
    assert list(selectors.queue(actor=staff, mine=True)) == [by_phone]
    services.ticket_transition(actor=system, ticket_id=by_phone.pk, status="resolved")
    assert list(selectors.queue(actor=system)) == [by_mail]
    assert list(selectors.queue(actor=system, status="resolved")) == [by_phone]
    merchant = make_login(community, "merchant")
    with pytest.raises(ValidationFailed):
        services.ticket_assign(actor=system, ticket_id=by_mail.pk, user_id=merchant.pk)


def test_links_and_a_new_category_reset_the_deadlines(system: Actor) -> None:
    with clock.frozen(NOW):
        ticket = _ticket(system)
    assert ticket.resolve_due_at is None
    phishing = _category(system, "banking-phishing")  # 4 h, 48 h
    person = _person(system)
    services.ticket_update(
        actor=system, ticket_id=ticket.pk, category_id=phishing.pk, person_id=person.pk
    )
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == NOW + timedelta(hours=4)
    assert ticket.team.key == "frontdesk" and ticket.person_id == person.pk
    assert list(selectors.queue(actor=system, q=person.first_name)) == [ticket]


def test_home_help_is_a_child_ticket(system: Actor) -> None:
    person = _person(system)
    question = _ticket(system, person_id=person.pk, category_id=_category(system).pk)
    child = services.home_help_request(
        actor=system, parent_id=question.pk, body="Kan niet komen: rolstoel. eID-lezer installeren."
    )
    assert (child.kind, child.parent_id, child.person_id) == ("home_help", question.pk, person.pk)
    assert list(selectors.children(ticket=question)) == [child]
    with pytest.raises(ValidationFailed):
        services.home_help_request(actor=system, parent_id=child.pk, body="x")


def test_retention_anonymises_closed_tickets_and_keeps_the_counts(
    system: Actor, community: Community
) -> None:
    services.helpdesk_settings_update(actor=system, retention_days=30)
    category = _category(system)
    person = _person(system)
    with clock.frozen(NOW - timedelta(days=40)):
        old = _ticket(system, person_id=person.pk, category_id=category.pk)
        services.ticket_transition(actor=system, ticket_id=old.pk, status="closed")
    with clock.frozen(NOW - timedelta(days=10)):
        recent = _ticket(system, person_id=person.pk, category_id=category.pk)
        services.ticket_transition(actor=system, ticket_id=recent.pk, status="closed")
    still_open = _ticket(system, person_id=person.pk)
    assert services.retention_sweep_community(community, now=NOW) == 1
    old.refresh_from_db()
    assert (old.person_id, old.contact_name, old.contact_phone, old.search_text) == (
        None,
        "",
        "",
        "",
    )
    assert old.category_id == category.pk and old.channel == "phone" and old.anonymised_at
    assert set(old.messages.values_list("body", flat=True)) == {""}
    recent.refresh_from_db()
    still_open.refresh_from_db()
    assert recent.person_id == person.pk and still_open.person_id == person.pk
    assert Ticket.objects.filter(community=community).count() == 3
    assert services.retention_sweep_community(community, now=NOW) == 0  # nothing more


def test_gdpr_export_and_anonymise(system: Actor) -> None:
    person = _person(system, phone="0470 55 66 77")
    mine = _ticket(system, person_id=person.pk, subject="Mijn eBox")
    contact_only = _ticket(system, contact=services.Contact(name="?", phone="0470556677"))
    exported = person_export_data(person=person)["helpdesk"]
    assert {t["number"] for t in exported["tickets"]} == {mine.number, contact_only.number}
    people_services.person_anonymise(actor=system, person_id=person.pk)
    mine.refresh_from_db()
    contact_only.refresh_from_db()
    assert mine.anonymised_at and contact_only.contact_phone == ""
    assert not TicketMessage.objects.filter(ticket=mine).exclude(body="").exists()


def test_the_nightly_job_anonymises_past_the_default_year(
    system: Actor, other_system: Actor
) -> None:
    from buurtkit.core import scheduler

    assert "helpdesk_retention" in scheduler.JOBS
    tickets = []
    for actor in (system, other_system):
        with clock.frozen(NOW - timedelta(days=400)):
            ticket = _ticket(actor)
            services.ticket_transition(actor=actor, ticket_id=ticket.pk, status="closed")
        tickets.append(ticket)
    with clock.frozen(NOW):
        assert services.retention_sweep() == 2
    assert all(Ticket.objects.get(pk=t.pk).anonymised_at for t in tickets)
