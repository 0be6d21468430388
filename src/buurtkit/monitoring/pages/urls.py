"""Routes of monitoring's pages under ``/<slug>/monitoring/``."""

from django.urls import path

from buurtkit.monitoring.pages import views

P = "monitoring/plans/<int:plan_id>/"

community_urlpatterns = [
    path("monitoring/", views.plans, name="monitoring_plans"),
    path("monitoring/indicators/", views.indicators, name="monitoring_indicators"),
    path("monitoring/recount/", views.recount, name="monitoring_recount"),
    path("monitoring/plans/new/", views.plan_new, name="monitoring_plan_new"),
    path(P, views.dashboard, name="monitoring_plan"),
    path(P + "edit/", views.plan_edit, name="monitoring_plan_edit"),
    path(P + "objectives/new/", views.objective_new, name="monitoring_objective_new"),
    path(P + "targets/new/", views.target_new, name="monitoring_target_new"),
    path(P + "targets/<int:target_id>/", views.target_edit, name="monitoring_target_edit"),
    path(P + "budget/new/", views.budget_line_new, name="monitoring_budget_line_new"),
    path(P + "budget/<int:line_id>/spending/", views.spending_add, name="monitoring_spending_add"),
    path(P + "milestones/new/", views.milestone_new, name="monitoring_milestone_new"),
    path(
        P + "milestones/<int:milestone_id>/", views.milestone_edit, name="monitoring_milestone_edit"
    ),
]

# The reports (monitoring/reports/views.py).
from buurtkit.monitoring.reports import views as reports  # noqa: E402

community_urlpatterns += [
    path(P + "reports/", reports.reports, name="monitoring_reports"),
    path(P + "reports/new/", reports.report_new, name="monitoring_report_new"),
    path(P + "reports/<int:report_id>/", reports.report, name="monitoring_report"),
    path(
        P + "reports/<int:report_id>/files/<str:fmt>/",
        reports.report_file,
        name="monitoring_report_file",
    ),
]
