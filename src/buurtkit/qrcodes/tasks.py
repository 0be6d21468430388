from __future__ import annotations

from django_tasks import task

from buurtkit.qrcodes import services


@task()
def run_batch(batch_id: int) -> None:
    services.batch_run(batch_id=batch_id)


@task()
def deliver_webhook(delivery_id: int) -> None:
    services.delivery_attempt(delivery_id=delivery_id)
