"""A code's history: every change bumps ``version``, appends a :class:`CodeEvent` with the code
and its routes afterwards, is audited, and drops the code from the scan cache once committed.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.qrcodes import cache
from buurtkit.qrcodes.models import (
    Code,
    CodeEvent,
)


def snapshot(code: Code) -> dict[str, Any]:
    """The code and its routes as they are now (kept in its history)."""
    return {
        "code": code.code,
        "slug": code.slug or "",
        "title": code.title,
        "description": code.description,
        "status": code.status,
        "owner": code.owner_id,
        "contact": code.contact,
        "link": {"type": code.link_type, "id": code.link_id} if code.link_type else None,
        "tags": sorted(t.name for t in code.tags.all()),
        "version": code.version,
        "routes": [
            {"name": r.name, "conditions": r.conditions, "action": r.action, "params": r.params}
            for r in code.routes.order_by("position")
        ],
    }


def _changed(actor: Actor, code: Code, verb: str, old_slug: str | None = None) -> None:
    code.version += 1
    code.updated_at = clock.now()
    code.save()
    CodeEvent.objects.create(
        community=actor.community,
        code=code,
        at=code.updated_at,
        verb=verb,
        actor_label=actor.label[:150],
        snapshot=snapshot(code),
    )
    audit_record(actor=actor, verb=f"qrcodes.{verb}", obj=code, data={"code": code.code})
    forget = [code.code, code.slug or "", old_slug or ""]
    cache.forget(*forget)  # now for this process, and again once committed (a scan in between
    transaction.on_commit(lambda: cache.forget(*forget))  # may have cached the old version)
