from __future__ import annotations

from django.db.models import QuerySet

from buurtkit.audit.models import AuditEvent
from buurtkit.core.actor import Actor


def audit_events(
    *, actor: Actor, object_type: str = "", object_id: str = ""
) -> QuerySet[AuditEvent]:
    actor.require("audit.view")
    qs = AuditEvent.objects.in_community(actor.community)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs


def audit_events_about(
    *, community_id: int, object_type: str, object_id: str
) -> QuerySet[AuditEvent]:
    """Events about one object, for exports the caller has already authorised."""
    return AuditEvent.objects.in_community(community_id).filter(
        object_type=object_type, object_id=object_id
    )


def audit_events_on_behalf_of(*, community_id: int, person_id: int) -> QuerySet[AuditEvent]:
    """What staff did in this person's name, for exports the caller has already authorised."""
    return AuditEvent.objects.in_community(community_id).filter(on_behalf_of_id=person_id)
