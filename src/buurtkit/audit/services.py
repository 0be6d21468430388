"""Writing the audit log. Call from inside a service's transaction."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from buurtkit.audit.models import AuditEvent
from buurtkit.core import clock
from buurtkit.core.actor import Actor


def audit_record(
    *,
    actor: Actor,
    verb: str,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the service's transaction")
    return AuditEvent.objects.create(
        community=actor.community,
        at=clock.now(),
        verb=verb,
        actor_label=actor.label[:150],
        actor_user_id=actor.user_id,
        actor_api_key_id=actor.api_key_id,
        on_behalf_of_id=actor.on_behalf_of_id,
        channel=actor.channel,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data or {},
    )


def audit_record_many(
    *, actor: Actor, verb: str, rows: list[tuple[models.Model, dict[str, Any]]]
) -> None:
    """One audit event per (object, data), written in one statement (a batch of messages)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many must run inside the service's transaction")
    at = clock.now()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                community=actor.community,
                at=at,
                verb=verb,
                actor_label=actor.label[:150],
                actor_user_id=actor.user_id,
                actor_api_key_id=actor.api_key_id,
                on_behalf_of_id=actor.on_behalf_of_id,
                channel=actor.channel,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                data=data,
            )
            for obj, data in rows
        ],
        batch_size=500,
    )
