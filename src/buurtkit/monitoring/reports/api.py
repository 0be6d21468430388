"""The API of report snapshots, under ``/api/v1/monitoring/`` (mounted by ``monitoring.api``).

Reading needs ``monitoring.view``; asking for a report ``monitoring.manage`` (send an
Idempotency-Key: a retry gets the same snapshot back).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from buurtkit.core.apitools import (
    MONTH_PATTERN,
    Id,
    In,
    actor_of,
    idempotency_key_header,
    one_of,
    paged,
)
from buurtkit.monitoring.models import ReportSnapshot
from buurtkit.monitoring.reports import selectors
from buurtkit.monitoring.reports import services as reports

Language = one_of(code for code, _name in settings.LANGUAGES)


class MonitoringReportFileOut(Schema):
    format: str
    name: str
    sha256: str
    size: int


class MonitoringReportOut(Schema):
    id: int
    plan_id: int
    kind: str = Field(..., description="funder, steering or open_statistics.")
    language: str
    first_month: str = Field(..., description="YYYY-MM")
    last_month: str = Field(..., description="YYYY-MM")
    status: str = Field(..., description="queued, running, done or failed.")
    progress: int = Field(..., description="Percent made.")
    step: str
    error: str
    requested_at: datetime
    finished_at: datetime | None
    files: list[MonitoringReportFileOut]

    @staticmethod
    def resolve_first_month(obj: ReportSnapshot) -> str:
        return obj.first_month.strftime("%Y-%m")

    @staticmethod
    def resolve_last_month(obj: ReportSnapshot) -> str:
        return obj.last_month.strftime("%Y-%m")


class MonitoringReportDetailOut(MonitoringReportOut):
    figures: dict[str, Any] = Field(
        ..., description="The figures the files were made of: counts only, small ones “< 5”."
    )


class MonitoringReportIn(In):
    kind: Literal["funder", "steering", "open_statistics"]
    first_month: str | None = Field(None, pattern=MONTH_PATTERN, description="YYYY-MM")
    last_month: str | None = Field(None, pattern=MONTH_PATTERN, description="YYYY-MM")
    language: Language = "nl"  # type: ignore[valid-type]


def _month(text: str | None) -> date | None:
    return date.fromisoformat(text + "-01") if text else None


_FILE_TYPES = {
    content.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
    for content in selectors.CONTENT_TYPES.values()
}


def register(router: Router) -> None:
    """Add the report routes to monitoring's router (called by ``monitoring.api``)."""

    @router.get(
        "/plans/{plan_id}/reports",
        response=list[MonitoringReportOut],
        summary="A plan's report snapshots, newest first",
    )
    @paged
    def list_reports(request: HttpRequest, plan_id: Id) -> Any:
        return selectors.reports_list(actor=actor_of(request), plan_id=plan_id)

    @router.post(
        "/plans/{plan_id}/reports",
        response={200: MonitoringReportOut, 202: MonitoringReportOut},
        summary="Ask for a report (made in the background; send an Idempotency-Key)",
    )
    def generate_report(
        request: HttpRequest,
        plan_id: Id,
        payload: MonitoringReportIn,
        idempotency_key: str | None = idempotency_key_header("report"),
    ) -> Any:
        snapshot = reports.report_generate(
            actor=actor_of(request),
            plan_id=plan_id,
            kind=payload.kind,
            first_month=_month(payload.first_month),
            last_month=_month(payload.last_month),
            language=payload.language,
            idempotency_key=idempotency_key,
        )
        snapshot.refresh_from_db()  # it may have been made already (tasks run at once)
        return Status(200 if getattr(snapshot, "replayed", False) else 202, snapshot)

    @router.get(
        "/reports/{report_id}",
        response=MonitoringReportDetailOut,
        summary="A report snapshot: status, progress, files and figures",
    )
    def get_report(request: HttpRequest, report_id: Id) -> Any:
        return selectors.report_get(actor=actor_of(request), snapshot_id=report_id)

    @router.get(
        "/reports/{report_id}/files/{file_format}",
        summary="A file of a finished report, exactly as it was made (xlsx, pdf or csv)",
        openapi_extra={"responses": {200: {"description": "The file", "content": _FILE_TYPES}}},
    )
    def download_report(
        request: HttpRequest, report_id: Id, file_format: Literal["xlsx", "pdf", "csv"]
    ) -> HttpResponse:
        found = selectors.report_file(
            actor=actor_of(request), snapshot_id=report_id, fmt=file_format
        )
        response = HttpResponse(found.data, content_type=found.content_type)
        response["Content-Disposition"] = f'attachment; filename="{found.name}"'
        return response
