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

# Reach per target group, profiles, the digital track and surveys (monitoring/pages/reach_views).
from buurtkit.monitoring.pages import reach_views as rv  # noqa: E402

S = "monitoring/surveys/<int:survey_id>/"
community_urlpatterns += [
    path("monitoring/reach/", rv.reach_page, name="monitoring_reach"),
    path("monitoring/reach/figures/", rv.reach_figures, name="monitoring_reach_figures"),
    path("monitoring/people/<int:person_id>/profile/", rv.profile, name="monitoring_profile"),
    path("monitoring/people/<int:person_id>/track/", rv.track, name="monitoring_track"),
    path("monitoring/surveys/", rv.surveys_page, name="monitoring_surveys"),
    path(S, rv.survey_report, name="monitoring_survey"),
    path(S + "enter/", rv.survey_enter, name="monitoring_survey_enter"),
    path(S + "kiosk/", rv.survey_kiosk, name="monitoring_survey_kiosk"),
    path(S + "send/", rv.survey_send, name="monitoring_survey_send"),
    path("monitoring/s/<str:survey_link_token>/", rv.survey_link, name="monitoring_survey_link"),
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
