"""Monitoring: plans with objectives, targets, budget lines and milestones; and the roll-up of
the modules' indicators that every figure is read from (ADR 0016).

The roll-up tables hold counts and ids, never names: ``IndicatorCount`` adds up what happened
(and the changes of a stock) per month, place, municipality, neighbourhood and breakdown;
``IndicatorSubject`` lists who or what was counted per month, so a period's unique people are
one ``COUNT(DISTINCT)``. ``IndicatorRun`` says how far each indicator has been counted.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped, community_key
from buurtkit.places.models import Municipality


class Plan(CommunityScoped):
    """A community's plan (a digibank's project, a currency circle's year): whole months."""

    community = community_key(db_index=False)
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    funder = models.CharField(_("funder"), max_length=150, blank=True)
    starts_on = models.DateField(_("starts on"))  # the first day of a month
    ends_on = models.DateField(_("ends on"))  # the last day of a month
    municipalities = models.ManyToManyField(
        Municipality, blank=True, related_name="+", verbose_name=_("municipalities")
    )
    created_at = models.DateTimeField()
    created_by_label = models.CharField(max_length=150, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="monitoring_plan_name"),
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")), name="monitoring_plan_dates"
            ),
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="monitoring_plan_idempotency",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Objective(CommunityScoped):
    """One of a plan's objectives ("1. Access to digital technology")."""

    community = community_key(db_index=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="objectives")
    position = models.PositiveSmallIntegerField(_("number"), default=1)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class Target(CommunityScoped):
    """What a plan aims for: a value of an indicator (optionally one breakdown of it, such as
    the IT cafés among the sessions) in a period of whole months inside the plan. A target
    without an indicator is kept with a note saying how it will be measured."""

    community = community_key(db_index=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="targets")
    objective = models.ForeignKey(
        Objective,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("objective"),
    )
    title = models.CharField(_("title"), max_length=200)
    indicator = models.CharField(_("indicator"), max_length=60, blank=True)
    #: ``"kind:it_cafe"``: only this breakdown of the indicator; empty: all of it.
    breakdown = models.CharField(_("only"), max_length=80, blank=True)
    value = models.PositiveIntegerField(_("target"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["position", "starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")), name="monitoring_target_dates"
            ),
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="monitoring_target_idempotency",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class BudgetCategory(models.TextChoices):
    WAGES = "wages", _("wages")
    RUNNING = "running", _("running costs")
    SERVICES = "services", _("outside services")
    INVESTMENTS = "investments", _("investments")


class BudgetLine(CommunityScoped):
    """A line of a plan's budget: what was planned; what was spent is its spending entries."""

    community = community_key(db_index=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="budget_lines")
    category = models.CharField(_("category"), max_length=12, choices=BudgetCategory.choices)
    title = models.CharField(_("title"), max_length=200)
    planned_cents = models.BigIntegerField(_("planned"))

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["category", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_cents__gte=0), name="monitoring_budget_planned"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Spending(CommunityScoped):
    """Money spent on a budget line, entered by staff. Never changed: a mistake is corrected
    by a new entry with a negative amount."""

    community = community_key(db_index=False)
    line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, related_name="spending")
    spent_on = models.DateField(_("date"))
    amount_cents = models.BigIntegerField(_("amount"))
    note = models.CharField(_("what for"), max_length=200, blank=True)
    entered_at = models.DateTimeField()
    entered_by_label = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = _("spending")
        verbose_name_plural = _("spending")
        ordering = ["spent_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_cents=0), name="monitoring_spending_amount")
        ]


class Milestone(CommunityScoped):
    """Something a plan promises by a date (a coordinator hired, a steering-group meeting)."""

    community = community_key(db_index=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.title


# --- the roll-up ----------------------------------------------------------------------------


class IndicatorCount(CommunityScoped):
    """An indicator's value in one month at one place (municipality, neighbourhood), in total
    (``breakdown`` "") or for one breakdown ("kind:it_cafe"). Kept by ``rollup.recount``."""

    community = community_key(db_index=False)
    indicator = models.CharField(max_length=60)
    month = models.DateField()
    breakdown = models.CharField(max_length=80, blank=True)
    place_id = models.BigIntegerField(null=True)
    municipality_id = models.BigIntegerField(null=True)
    neighbourhood = models.CharField(max_length=100, blank=True)
    value = models.BigIntegerField()

    class Meta:
        verbose_name = _("indicator count")
        verbose_name_plural = _("indicator counts")
        indexes = [
            models.Index(
                fields=["community", "indicator", "breakdown", "month"],
                name="monitoring_count_idx",
            )
        ]


class IndicatorSubject(CommunityScoped):
    """Who or what an indicator that counts once counted in a month (a person's id, an
    account's id), where, and in which breakdown. Ids only: no names."""

    community = community_key(db_index=False)
    indicator = models.CharField(max_length=60)
    month = models.DateField()
    breakdown = models.CharField(max_length=80, blank=True)
    subject_id = models.BigIntegerField()
    place_id = models.BigIntegerField(null=True)
    municipality_id = models.BigIntegerField(null=True)
    neighbourhood = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("indicator subject")
        verbose_name_plural = _("indicator subjects")
        indexes = [
            models.Index(
                fields=["community", "indicator", "breakdown", "month", "subject_id"],
                name="monitoring_subject_idx",
            )
        ]


class IndicatorRun(CommunityScoped):
    """How far an indicator has been counted in a community."""

    community = community_key(db_index=False)
    indicator = models.CharField(max_length=60)
    counted_at = models.DateTimeField()
    #: The first month the last recount started at (None: from the beginning).
    recounted_from = models.DateField(null=True)
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("indicator run")
        verbose_name_plural = _("indicator runs")
        constraints = [
            models.UniqueConstraint(fields=["community", "indicator"], name="monitoring_run_unique")
        ]


# Reach per target group and surveys live in their own file (issue 15, second part).
from buurtkit.monitoring.reach_models import (  # noqa: E402
    SENIOR_BANDS,
    AgeBand,
    GroupFigure,
    JobSeeking,
    Profile,
    Survey,
    SurveyAnswer,
    SurveyChannel,
    SurveyLink,
    SurveyPhase,
    SurveyQuestion,
    SurveyResponse,
    TargetGroup,
)

__all__ = [
    "SENIOR_BANDS",
    "AgeBand",
    "GroupFigure",
    "JobSeeking",
    "Profile",
    "Survey",
    "SurveyAnswer",
    "SurveyChannel",
    "SurveyLink",
    "SurveyPhase",
    "SurveyQuestion",
    "SurveyResponse",
    "TargetGroup",
]


# --- report snapshots (monitoring/reports/: what was sent to a funder, kept for good) -------
#
# A snapshot stores the figures it was made of (JSON: counts, never names) and the files made
# from them (under ``BUURTKIT_DATA_DIR/reports/``, with their sha256). Once finished (done or
# failed) a snapshot is never changed: the service refuses it and a database trigger refuses any
# UPDATE (both engines) and DELETE (PostgreSQL) of a finished row. A new report is a new snapshot.


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
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="report_snapshots")
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
