"""Reads of reports: a plan's snapshots, one snapshot, and its files (checked against the
sha256 stored when they were made)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from buurtkit.core import exports
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound
from buurtkit.core.scoping import get_scoped, scoped
from buurtkit.monitoring.models import Plan, ReportSnapshot, ReportStatus
from buurtkit.monitoring.reports.services import reports_dir

CONTENT_TYPES = {
    "xlsx": exports.XLSX_CONTENT_TYPE,
    "pdf": "application/pdf",
    "csv": exports.CSV_CONTENT_TYPE,
}


def reports_list(*, actor: Actor, plan_id: int | None = None) -> QuerySet[ReportSnapshot]:
    actor.require("monitoring.view")
    found = scoped(ReportSnapshot, actor.community).select_related("plan")
    if plan_id is not None:
        get_scoped(Plan, actor.community, pk=plan_id)
        found = found.filter(plan_id=plan_id)
    return found.order_by("-requested_at", "-pk")


def report_get(*, actor: Actor, snapshot_id: int, plan_id: int | None = None) -> ReportSnapshot:
    actor.require("monitoring.view")
    lookup: dict[str, Any] = {"pk": snapshot_id}
    if plan_id is not None:
        lookup["plan_id"] = plan_id
    return get_scoped(ReportSnapshot, actor.community, **lookup)


@dataclass(frozen=True)
class ReportFile:
    name: str
    content_type: str
    data: bytes


def report_file(
    *, actor: Actor, snapshot_id: int, fmt: str, plan_id: int | None = None
) -> ReportFile:
    """One file of a finished snapshot, exactly as it was made (its sha256 is checked)."""
    snapshot = report_get(actor=actor, snapshot_id=snapshot_id, plan_id=plan_id)
    if snapshot.status != ReportStatus.DONE:
        raise Conflict(_("This report is not ready yet."), code="not_ready")
    for entry in snapshot.files:
        if entry["format"] == fmt:
            data = (reports_dir() / entry["path"]).read_bytes()
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise Conflict(
                    _("The stored file differs from what was made: it was changed."),
                    code="file_changed",
                )
            return ReportFile(entry["name"], CONTENT_TYPES[fmt], data)
    raise NotFound(_("This report has no such file."))
