from __future__ import annotations

from django_tasks import task

from buurtkit.messaging.services import message_send


@task()
def send_message(message_id: int) -> None:
    message_send(message_id=message_id)


@task()
def send_messages(message_ids: list[int]) -> None:
    """A batch queued at once (``notify_many``): each message is claimed and sent on its own,
    so a message another worker took already is not sent twice."""
    for message_id in message_ids:
        message_send(message_id=message_id)
