"""The same task code runs on the database queue and on RQ; enqueued only after commit."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from buurtkit.core.actor import Actor
from buurtkit.core.services import community_create
from buurtkit.messaging.models import Message, Status
from buurtkit.messaging.providers import MemorySmsProvider
from buurtkit.messaging.services import notify
from buurtkit.people.services import person_create

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
RQ_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}


def _queue_sms(slug: str) -> Message:
    community = community_create(name=slug, slug=slug)
    actor = Actor.system(community, label="test")
    person = person_create(
        actor=actor,
        first_name="Mia",
        phone="0470 12 34 56",
        preferred_language="fr",
        consents={"contact_sms": True},
    )
    return notify(
        actor=actor, person_id=person.pk, template="welcome", idempotency_key=f"welcome-{slug}"
    )


@pytest.fixture
def memory_sms() -> Any:
    MemorySmsProvider.outbox.clear()
    with override_settings(SMS_PROVIDER="memory"):
        yield MemorySmsProvider.outbox


@pytest.mark.django_db(transaction=True)
def test_database_queue_worker_sends_after_commit(memory_sms: list[dict[str, str]]) -> None:
    with override_settings(TASKS=DB_TASKS):
        message = _queue_sms("dbq")
        assert Message.objects.get(pk=message.pk).status == Status.QUEUED
        assert memory_sms == []
        call_command("worker", batch=True)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert memory_sms == [{"to": "+32470123456", "body": message.body}]


@pytest.mark.django_db(transaction=True)
def test_rq_queue_worker_sends_after_commit(
    memory_sms: list[dict[str, str]], redis_url: str
) -> None:
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    queues = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 60}}
    with override_settings(TASKS=RQ_TASKS, RQ_QUEUES=queues):
        queue = django_rq.get_queue("default", job_class=Job)
        queue.empty()
        message = _queue_sms("rqq")
        assert queue.count == 1
        assert memory_sms == []
        SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert memory_sms[0]["to"] == "+32470123456"
