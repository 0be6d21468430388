"""notify(): language, channel choice, idempotency, enqueue after commit, the real task queue."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from buurtkit.audit.models import AuditEvent
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.messaging.models import Message, Status
from buurtkit.messaging.providers import MemorySmsProvider
from buurtkit.messaging.services import notify
from buurtkit.people import services
from buurtkit.people.models import Person


@pytest.fixture
def make_person(make_person: Callable[..., Person]) -> Callable[..., Person]:
    """People here agreed to be contacted, unless a test says otherwise."""

    def make(actor: Actor, **values: Any) -> Person:
        values.setdefault("consents", {"contact_sms": True, "contact_email": True})
        return make_person(actor, **values)

    return make


@pytest.fixture(autouse=True)
def memory_sms(settings: Any) -> Iterator[list[dict[str, str]]]:
    settings.SMS_PROVIDER = "memory"
    MemorySmsProvider.outbox.clear()
    yield MemorySmsProvider.outbox
    MemorySmsProvider.outbox.clear()


def _welcome_subject(language: str, community: Community) -> str:
    with translation.override(language):
        return gettext("Welcome to %(name)s") % {"name": community.name}


def _notify(actor: Actor, person: Person, key: str = "", **kwargs: Any) -> Message:
    return notify(
        actor=actor,
        person_id=person.pk,
        template="welcome",
        idempotency_key=key or f"welcome-{person.pk}",
        **kwargs,
    )


# --- language -------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_message_is_rendered_in_the_persons_language(
    system: Actor, make_person: Callable[..., Person], language: str
) -> None:
    person = make_person(
        system, first_name="Nadia", preferred_language=language, email="nadia@example.org"
    )
    with translation.override("nl"):  # the staff member's own language does not matter
        message = _notify(system, person)
    assert message.language == language
    assert message.channel == "email"
    assert message.subject == _welcome_subject(language, system.community)
    assert "Nadia" in message.body
    assert "Rabot" in message.body


def test_english_text_comes_from_the_template(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    person = make_person(system, first_name="Grace", preferred_language="en", phone="0470123456")
    message = _notify(system, person)
    assert message.channel == "sms"
    assert message.body.startswith("Welcome to Rabot")
    assert "Hello Grace, you are now registered with Rabot." in message.body


def test_french_and_english_messages_differ_when_french_is_translated(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    fr = make_person(system, first_name="Jean", preferred_language="fr", email="j@example.org")
    en = make_person(system, first_name="John", preferred_language="en", email="e@example.org")
    fr_subject = _notify(system, fr).subject
    en_subject = _notify(system, en).subject
    if _welcome_subject("fr", system.community) == _welcome_subject("en", system.community):
        pytest.skip("the French catalogue has no translation for this message yet")
    assert fr_subject != en_subject


# --- channel choice -------------------------------------------------------------------------------------


def test_mobile_with_sms_consent_gets_an_sms(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    person = make_person(
        system, phone="0470 12 34 56", email="x@example.org", consents={"contact_sms": True}
    )
    message = _notify(system, person)
    assert (message.channel, message.to) == ("sms", "+32470123456")
    assert message.body.splitlines()[0] == message.subject  # an SMS carries the whole text


def test_mobile_without_sms_consent_gets_an_email(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    person = make_person(
        system,
        phone="0470123456",
        email="x@example.org",
        consents={"contact_sms": False, "contact_email": True},
    )
    message = _notify(system, person)
    assert (message.channel, message.to) == ("email", "x@example.org")


def test_landline_gets_an_email(system: Actor, make_person: Callable[..., Person]) -> None:
    person = make_person(system, phone="092123456", email="landline@example.org")
    assert _notify(system, person).channel == "email"


def test_withdrawn_sms_consent_after_giving_it_counts(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    person = make_person(
        system,
        phone="0470123456",
        email="x@example.org",
        consents={"contact_sms": True, "contact_email": True},
    )
    services.person_record_consent(
        actor=system, person_id=person.pk, kind="contact_sms", granted=False
    )
    assert _notify(system, person).channel == "email"


def test_unreachable_person_is_refused_clearly(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    person = make_person(system, first_name="Frans", last_name="Wouters", phone="092123456")
    with pytest.raises(ValidationFailed) as exc:
        _notify(system, person)
    assert exc.value.code == "unreachable"
    assert "Frans Wouters" in str(exc.value.detail)
    assert not Message.objects.exists()
    assert not AuditEvent.objects.filter(verb="message.queued").exists()


def test_email_refused_when_email_consent_withdrawn(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    person = make_person(system, email="x@example.org", consents={"contact_email": False})
    with pytest.raises(ValidationFailed):
        _notify(system, person)


def test_explicit_channel_that_does_not_fit_is_refused(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    person = make_person(system, email="only-mail@example.org")
    with pytest.raises(ValidationFailed):
        _notify(system, person, channel="sms")
    assert _notify(system, person, channel="email").channel == "email"


def test_person_of_another_community_cannot_be_notified(
    system: Actor, other_system: Actor, make_person: Callable[..., Person]
) -> None:
    theirs = make_person(other_system, email="theirs@example.org")
    with pytest.raises(NotFound):
        _notify(system, theirs)
    assert not Message.objects.exists()


# --- idempotency ---------------------------------------------------------------------------------


def test_same_idempotency_key_returns_the_first_message(
    system: Actor,
    make_person: Callable[..., Person],
    django_capture_on_commit_callbacks: Any,
) -> None:
    person = make_person(system, phone="0470123456")
    other = make_person(system, email="other@example.org")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = _notify(system, person, key="welcome-once")
        again = _notify(system, person, key="welcome-once")
        with pytest.raises(Conflict):
            _notify(system, other, key="welcome-once")
    assert first.pk == again.pk
    assert Message.objects.count() == 1
    assert len(callbacks) == 1
    assert len(MemorySmsProvider.outbox) == 1


def test_idempotency_keys_are_per_community(
    system: Actor, other_system: Actor, make_person: Callable[..., Person]
) -> None:
    mine = make_person(system, email="a@example.org")
    theirs = make_person(other_system, email="b@example.org")
    a = _notify(system, mine, key="same-key")
    b = _notify(other_system, theirs, key="same-key")
    assert a.pk != b.pk
    assert (a.to, b.to) == ("a@example.org", "b@example.org")


# --- after commit ----------------------------------------------------------------------------------------


def test_send_is_enqueued_only_after_commit(
    system: Actor,
    make_person: Callable[..., Person],
    django_capture_on_commit_callbacks: Any,
) -> None:
    person = make_person(system, phone="0470123456", preferred_language="en")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = _notify(system, person)
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert MemorySmsProvider.outbox == []

    for callback in callbacks:  # the commit happens: the (immediate) backend sends
        callback()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.sent_at is not None
    assert message.provider_id.startswith("memory:")
    assert MemorySmsProvider.outbox == [{"to": "+32470123456", "body": message.body}]


def test_nothing_is_sent_when_the_transaction_rolls_back(
    system: Actor,
    make_person: Callable[..., Person],
    django_capture_on_commit_callbacks: Any,
) -> None:
    person = make_person(system, phone="0470123456", email="x@example.org")

    class Abort(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Abort),
        transaction.atomic(),
    ):
        _notify(system, person)
        raise Abort
    assert callbacks == []
    assert not Message.objects.exists()
    assert MemorySmsProvider.outbox == []
    assert mail.outbox == []


def test_email_is_sent_with_subject_and_body(
    system: Actor,
    make_person: Callable[..., Person],
    django_capture_on_commit_callbacks: Any,
) -> None:
    person = make_person(system, first_name="Sarah", preferred_language="en", email="s@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        message = _notify(system, person)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["s@example.org"]
    assert sent.subject == "Welcome to Rabot"
    assert "Hello Sarah" in sent.body
    assert MemorySmsProvider.outbox == []


def test_sending_twice_sends_once(
    system: Actor,
    make_person: Callable[..., Person],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from buurtkit.messaging.services import message_send

    person = make_person(system, phone="0470123456")
    with django_capture_on_commit_callbacks(execute=True):
        message = _notify(system, person)
    message_send(message_id=message.pk)  # a retried task
    assert len(MemorySmsProvider.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1


# --- the real database task queue -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_database_queue_and_worker_send_the_message(
    settings: Any, make_person: Callable[..., Person]
) -> None:
    from django_tasks_db.models import DBTaskResult

    from buurtkit.core.services import community_create

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    community = community_create(name="Rabot", slug="rabot")
    system = Actor.system(community, label="test")
    person = make_person(system, phone="0470 12 34 56", preferred_language="fr")

    message = _notify(system, person)  # commits on its own: no surrounding transaction

    message.refresh_from_db()
    assert message.status == Status.QUEUED  # nothing sent inside the request
    assert MemorySmsProvider.outbox == []
    assert DBTaskResult.objects.count() == 1
    assert DBTaskResult.objects.get().args_kwargs["args"] == [message.pk]

    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 1
    assert MemorySmsProvider.outbox == [{"to": "+32470123456", "body": message.body}]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_buurtkit_worker_command_runs_the_queue(
    settings: Any, make_person: Callable[..., Person]
) -> None:
    from buurtkit.core.services import community_create

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    community = community_create(name="Rabot", slug="rabot")
    system = Actor.system(community, label="test")
    person = make_person(system, preferred_language="en", email="worker@example.org")
    message = _notify(system, person)
    assert message.status == Status.QUEUED
    assert mail.outbox == []

    call_command("worker", "--batch", verbosity=0)

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert [m.to for m in mail.outbox] == [["worker@example.org"]]


def test_consent_not_asked_yet_is_not_a_yes(
    system: Actor, make_person: Callable[..., Person]
) -> None:
    person = make_person(system, phone="0470123456", email="x@example.org", consents={})
    with pytest.raises(ValidationFailed):
        _notify(system, person)
    assert not Message.objects.exists()


def test_text_messages_are_not_html_escaped(
    system: Actor, make_person: Callable[..., Person], django_capture_on_commit_callbacks: Any
) -> None:
    person = make_person(
        system, first_name="M'hamed & Co", phone="0470123456", preferred_language="en"
    )
    with django_capture_on_commit_callbacks(execute=True):
        message = _notify(system, person)
    assert "M'hamed & Co" in message.body
    assert "&#x27;" not in MemorySmsProvider.outbox[-1]["body"]
