"""Messages are part of a person's data: exported with it, scrubbed when they are anonymised."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from buurtkit.core.errors import PermissionDenied
from buurtkit.messaging.models import Message, Status
from buurtkit.messaging.providers import MemorySmsProvider
from buurtkit.messaging.services import message_send, notify
from buurtkit.people.services import person_anonymise, person_gdpr_export


@pytest.fixture
def sent_sms(system: Any, make_person: Any, django_capture_on_commit_callbacks: Any) -> Message:
    MemorySmsProvider.outbox.clear()
    person = make_person(
        system, first_name="Godelieve", phone="0470 11 22 33", consents={"contact_sms": True}
    )
    with override_settings(SMS_PROVIDER="memory"), django_capture_on_commit_callbacks(execute=True):
        message = notify(
            actor=system, person_id=person.pk, template="welcome", idempotency_key="w1"
        )
    message.refresh_from_db()
    assert message.status == Status.SENT
    return message


def test_export_includes_messages(system: Any, sent_sms: Message) -> None:
    data = person_gdpr_export(actor=system, person_id=sent_sms.person_id)
    assert data["messages"][0]["to"] == "+32470112233"
    assert "Godelieve" in data["messages"][0]["body"]


def test_anonymise_scrubs_messages_but_keeps_the_count(system: Any, sent_sms: Message) -> None:
    person_anonymise(actor=system, person_id=sent_sms.person_id)
    sent_sms.refresh_from_db()
    assert (sent_sms.to, sent_sms.body, sent_sms.subject) == ("", "", "")
    assert sent_sms.status == Status.SENT
    assert Message.objects.filter(person_id=sent_sms.person_id).count() == 1


def test_notify_needs_permission(
    login_client: Any, community: Any, make_person: Any, system: Any
) -> None:
    from buurtkit.core.actor import Actor

    person = make_person(system, phone="0470 11 22 44")
    volunteer = Actor(community=community, label="vol", roles=frozenset({"volunteer"}))
    with pytest.raises(PermissionDenied):
        notify(actor=volunteer, person_id=person.pk, template="welcome", idempotency_key="x")
    assert not Message.objects.exists()


class _Broken:
    def send_sms(self, *, to: str, body: str) -> Any:
        raise ConnectionError("provider down")


def test_provider_failure_is_recorded_and_marked_failed_when_no_retry_possible(
    system: Any, make_person: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from buurtkit.messaging import providers

    person = make_person(system, phone="0470 11 22 55", consents={"contact_sms": True})
    with (
        providers.SMS_PROVIDERS.override("broken", _Broken),
        override_settings(SMS_PROVIDER="broken"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = notify(actor=system, person_id=person.pk, template="welcome", idempotency_key="b")
    message.refresh_from_db()
    # The immediate backend used in tests cannot run a task later, so no silent "queued" forever.
    assert message.status == Status.FAILED
    assert "provider down" in message.error
    assert message.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_provider_failure_is_retried_later_on_the_database_queue(make_person: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    from buurtkit.core.actor import Actor
    from buurtkit.core.services import community_create
    from buurtkit.messaging import providers

    community = community_create(name="Retry", slug="retry")
    actor = Actor.system(community, label="test")
    person = make_person(actor, phone="0470 11 22 66", consents={"contact_sms": True})
    db_tasks = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    with (
        providers.SMS_PROVIDERS.override("broken", _Broken),
        override_settings(TASKS=db_tasks, SMS_PROVIDER="broken"),
    ):
        message = notify(actor=actor, person_id=person.pk, template="welcome", idempotency_key="r")
        message_send(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.attempts == 1
    from datetime import timedelta

    from django.utils import timezone

    soon = timezone.now() + timedelta(seconds=30)
    assert DBTaskResult.objects.count() == 2  # the first send and its retry
    # (the queue stores "no delay" as a far-future sentinel, hence the upper bound)
    retries = DBTaskResult.objects.filter(
        run_after__gt=soon, run_after__lt=timezone.now() + timedelta(hours=1)
    )
    assert retries.count() == 1
    assert retries.get().args_kwargs["args"] == [message.pk]


def test_resident_downloads_own_data_from_their_home_page(community: Any, make_login: Any) -> None:
    from django.test import Client

    user = make_login(community, "resident")
    client = Client()
    client.force_login(user)
    home = client.get("/rabot/")
    assert "/rabot/me/export.json" in home.content.decode()
    response = client.get("/rabot/me/export.json")
    assert response.status_code == 200
    data = response.json()
    assert data["login"]["username"] == user.username
    assert data["person"]["last_name"] == user.username


def test_a_message_claimed_by_a_dead_worker_is_sent_again(
    system: Any, make_person: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from datetime import timedelta

    from buurtkit.core import clock
    from buurtkit.messaging.services import messages_requeue_stale

    MemorySmsProvider.outbox.clear()
    person = make_person(system, phone="0470 11 22 77", consents={"contact_sms": True})
    with override_settings(SMS_PROVIDER="memory"):
        message = notify(actor=system, person_id=person.pk, template="welcome", idempotency_key="d")
        # A worker claimed it and died before sending: it stays "sending" ...
        Message.objects.filter(pk=message.pk).update(status=Status.SENDING, claimed_at=clock.now())
        assert message_send(message_id=message.pk).status == Status.SENDING  # not sent twice
        assert MemorySmsProvider.outbox == []
        # ... until the lease runs out and the sweeper puts it back.
        with django_capture_on_commit_callbacks(execute=True):
            assert messages_requeue_stale() == 0
            with clock.frozen(clock.now() + timedelta(minutes=11)):
                assert messages_requeue_stale() == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(MemorySmsProvider.outbox) == 1


def test_api_page_size_is_capped(community: Any, api: Any) -> None:
    client = api(community, ["staff"])
    assert client.get("/api/v1/people?limit=200").status_code == 200
    too_many = client.get("/api/v1/people?limit=100000")
    assert too_many.status_code == 422
    assert "limit" in too_many.json()["fields"]
