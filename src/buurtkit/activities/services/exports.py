"""The log entry of an export with participants' names (act-figures)."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from buurtkit.audit.services import audit_record
from buurtkit.core.actor import Actor


@transaction.atomic
def names_export_record(
    *, actor: Actor, period: str, first: date, municipality_id: int | None, fmt: str
) -> None:
    """Write in the log who downloaded the attendance with names, for which period."""
    actor.require("activities.export_names")
    audit_record(
        actor=actor,
        verb="activities.names_exported",
        data={
            "period": period,
            "first": first.isoformat(),
            "municipality_id": municipality_id,
            "format": fmt,
        },
    )
