"""notify_many(): a batch of messages at once, each as notify() would make it (consents,
channel, language, idempotency), written in one go and sent by one task per batch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from buurtkit.audit.models import AuditEvent
from buurtkit.core.actor import Actor
from buurtkit.messaging.models import Message, Status
from buurtkit.messaging.providers import MemorySmsProvider
from buurtkit.messaging.services import Notice, notify, notify_many
from buurtkit.people.models import Person


@pytest.fixture(autouse=True)
def memory_sms(settings: Any) -> Iterator[list[dict[str, str]]]:
    settings.SMS_PROVIDER = "memory"
    MemorySmsProvider.outbox.clear()
    yield MemorySmsProvider.outbox
    MemorySmsProvider.outbox.clear()


@pytest.fixture
def folks(system: Actor, make_person: Callable[..., Person]) -> dict[str, Person]:
    return {
        "sms": make_person(
            system, phone="0470 61 22 33", preferred_language="fr",
            consents={"contact_sms": True},
        ),
        "email": make_person(
            system, email="eva@example.org", preferred_language="en",
            consents={"contact_email": True},
        ),
        "none": make_person(system, phone="0470 61 22 55", email="nora@example.org"),
    }  # fmt: skip


def _notices(folks: dict[str, Person], tag: str = "a") -> list[Notice]:
    return [Notice(person_id=p.pk, idempotency_key=f"w-{tag}-{name}") for name, p in folks.items()]


@pytest.mark.django_db
def test_a_batch_makes_each_message_as_notify_would(
    system: Actor, folks: dict[str, Person], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answers = notify_many(actor=system, template="welcome", notices=_notices(folks))
    assert len(callbacks) == 1  # one send task for the whole batch
    sms, email, none = answers
    assert none is None  # no consent: refused, the others still go
    assert sms is not None and email is not None
    assert (sms.channel, sms.language, sms.to) == ("sms", "fr", "+32470612233")
    assert (email.channel, email.language, email.to) == ("email", "en", "eva@example.org")
    # The very text notify() makes for the same person and template.
    single = notify(
        actor=system, person_id=folks["sms"].pk, template="welcome", idempotency_key="single"
    )
    assert (sms.subject, sms.body) == (single.subject, single.body)
    assert {m.status for m in Message.objects.filter(pk__in=[sms.pk, email.pk])} == {Status.SENT}
    assert AuditEvent.objects.filter(verb="message.queued", object_id=str(sms.pk)).count() == 1


@pytest.mark.django_db
def test_a_batch_run_twice_queues_each_message_once(
    system: Actor, folks: dict[str, Person], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = notify_many(actor=system, template="welcome", notices=_notices(folks))
    with django_capture_on_commit_callbacks(execute=True) as again_callbacks:
        again = notify_many(actor=system, template="welcome", notices=_notices(folks))
    assert again_callbacks == []  # nothing new to send
    assert [m.pk if m else None for m in again] == [m.pk if m else None for m in first]
    assert Message.objects.count() == 2 and len(MemorySmsProvider.outbox) == 1
    # A key repeated inside one batch is one message too.
    twice = [Notice(person_id=folks["sms"].pk, idempotency_key="dup")] * 2
    one, two = notify_many(actor=system, template="welcome", notices=twice)
    assert one is not None and two is not None and one.pk == two.pk
    assert Message.objects.filter(idempotency_key="dup").count() == 1


@pytest.mark.django_db
def test_a_key_used_for_another_message_is_refused_in_the_batch(
    system: Actor, folks: dict[str, Person]
) -> None:
    notify(actor=system, person_id=folks["sms"].pk, template="welcome", idempotency_key="k1")
    other = Notice(person_id=folks["email"].pk, idempotency_key="k1")  # same key, other person
    fine = Notice(person_id=folks["email"].pk, idempotency_key="k2")
    refused, queued = notify_many(actor=system, template="welcome", notices=[other, fine])
    assert refused is None and queued is not None
    assert Message.objects.get(idempotency_key="k1").person_id == folks["sms"].pk


@pytest.mark.django_db
def test_people_of_another_community_are_not_reached(
    system: Actor, other_system: Actor, make_person: Callable[..., Person]
) -> None:
    stranger = make_person(other_system, phone="0470 61 88 77", consents={"contact_sms": True})
    (answer,) = notify_many(
        actor=system,
        template="welcome",
        notices=[Notice(person_id=stranger.pk, idempotency_key="x")],
    )
    assert answer is None and not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_one_queued_task_sends_the_whole_batch(settings: Any, make_person: Any) -> None:
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from buurtkit.core.services import community_create

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    community = community_create(name="Rabot", slug="rabot")
    system = Actor.system(community, label="test")
    people = [
        make_person(system, phone=f"0470 61 34 {i:02d}", consents={"contact_sms": True})
        for i in range(5)
    ]
    notices = [Notice(person_id=p.pk, idempotency_key=f"b-{p.pk}") for p in people]
    answers = notify_many(actor=system, template="welcome", notices=notices)
    assert DBTaskResult.objects.count() == 1
    assert sorted(DBTaskResult.objects.get().args_kwargs["args"][0]) == sorted(
        m.pk for m in answers if m
    )
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    assert set(Message.objects.values_list("status", flat=True)) == {Status.SENT}
    assert len(MemorySmsProvider.outbox) == 5
