"""Background work of the currency: thin wrappers that load by id and call a service."""

from __future__ import annotations

from django_tasks import task

from buurtkit.ledger.services import payment_receipt_send


@task()
def send_payment_receipt(transfer_id: int) -> None:
    payment_receipt_send(transfer_id=transfer_id)
