"""Monitoring's background tasks: thin wrappers that load by id and call a service."""

from __future__ import annotations

from django_tasks import task

from buurtkit.monitoring.reports import services as reports


@task()
def report_build(snapshot_id: int) -> None:
    """Make a queued report snapshot's figures and files (idempotent)."""
    reports.report_build(snapshot_id=snapshot_id)
