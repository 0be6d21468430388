"""A report snapshot: what was sent to a funder or a steering group, kept for good.

A snapshot stores the figures it was made of (JSON: counts, never names) and the files made
from them (under ``BUURTKIT_DATA_DIR/reports/``, with their sha256). Once finished (done or
failed) a snapshot is never changed: the service refuses it and a database trigger refuses any
UPDATE (both engines) and DELETE (PostgreSQL) of a finished row. A new report is a new snapshot.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped, community_key


class ReportKind(models.TextChoices):
    FUNDER = "funder", _("funder's summary report")
    STEERING = "steering", _("steering group report (quarter)")
    OPEN_STATISTICS = "open_statistics", _("open statistics")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("waiting")
    RUNNING = "running", _("being made")
    DONE = "done", _("ready")
    FAILED = "failed", _("failed")


#: Statuses after which a snapshot never changes.
FINISHED = (ReportStatus.DONE.value, ReportStatus.FAILED.value)


class ReportSnapshot(CommunityScoped):
    community = community_key(db_index=False)
    plan = models.ForeignKey(
        "monitoring.Plan", on_delete=models.PROTECT, related_name="report_snapshots"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices)
    language = models.CharField(_("language"), max_length=5)
    first_month = models.DateField(_("from"))
    last_month = models.DateField(_("until"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    step = models.CharField(max_length=20, blank=True)  # rules of services.STEPS
    #: The figures the files were made of (counts only, small counts already "< 5").
    figures = models.JSONField(default=dict)
    #: [{"format": "xlsx", "name": "…", "path": "<relative to DATA_DIR/reports>",
    #:   "sha256": "…", "size": 1234}, …]
    files = models.JSONField(default=list)
    error = models.CharField(max_length=300, blank=True)
    requested_at = models.DateTimeField()
    requested_by_label = models.CharField(max_length=150, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("report snapshot")
        verbose_name_plural = _("report snapshots")
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(
                fields=["community", "plan", "-requested_at"], name="monitoring_report_idx"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="monitoring_report_idempotency",
            ),
            models.CheckConstraint(
                condition=Q(last_month__gte=F("first_month")), name="monitoring_report_period"
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="monitoring_report_progress"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.first_month:%Y-%m}–{self.last_month:%Y-%m}"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED
