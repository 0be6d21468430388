"""Routes of Buurbel's pages, all under ``/<slug>/buurbel/`` (the root URLconf adds them to
the ``web`` namespace, so the names stay ``web:buurbel`` and so on)."""

from django.urls import path

from buurtkit.neighbours.pages import (
    views_announcements,
    views_dashboard,
    views_intros,
    views_participants,
    views_partner,
    views_rules,
)

community_urlpatterns = [
    path("buurbel/", views_dashboard.buurbel, name="buurbel"),
    path(
        "buurbel/dashboard.csv",
        views_dashboard.buurbel_dashboard_csv,
        name="buurbel_dashboard_csv",
    ),
    path(
        "buurbel/partners.csv",
        views_dashboard.buurbel_partners_csv,
        name="buurbel_partners_csv",
    ),
    path("buurbel/costs/", views_dashboard.buurbel_costs, name="buurbel_costs"),
    path(
        "buurbel/call-settings/",
        views_dashboard.buurbel_call_settings,
        name="buurbel_call_settings",
    ),
    path("buurbel/prices/", views_dashboard.buurbel_prices, name="buurbel_prices"),
    path(
        "buurbel/announcements/",
        views_announcements.announcement_list,
        name="buurbel_announcements",
    ),
    path(
        "buurbel/announcements/new/",
        views_announcements.announcement_new,
        name="buurbel_announcement_new",
    ),
    path(
        "buurbel/announcements/<int:announcement_id>/",
        views_announcements.announcement_edit,
        name="buurbel_announcement_edit",
    ),
    path(
        "buurbel/announcements/<int:announcement_id>/deactivate/",
        views_announcements.announcement_deactivate,
        name="buurbel_announcement_deactivate",
    ),
    path("buurbel/rules/", views_rules.rule_list, name="buurbel_rules"),
    path("buurbel/rules/new/", views_rules.rule_new, name="buurbel_rule_new"),
    path("buurbel/rules/<int:rule_version_id>/", views_rules.rule_detail, name="buurbel_rule"),
    path(
        "buurbel/rules/<int:rule_version_id>/edit/",
        views_rules.rule_edit,
        name="buurbel_rule_edit",
    ),
    path(
        "buurbel/rules/<int:rule_version_id>/test/",
        views_rules.rule_test,
        name="buurbel_rule_test",
    ),
    path(
        "buurbel/rules/<int:rule_version_id>/copy/",
        views_rules.rule_copy,
        name="buurbel_rule_copy",
    ),
    path(
        "buurbel/rules/<int:rule_version_id>/activate/",
        views_rules.rule_activate,
        name="buurbel_rule_activate",
    ),
    path("buurbel/runs/", views_rules.run_list, name="buurbel_runs"),
    path("buurbel/runs/start/", views_rules.run_start, name="buurbel_run_start"),
    path("buurbel/runs/<int:match_run_id>/", views_rules.run_detail, name="buurbel_run"),
    path(
        "buurbel/runs/<int:match_run_id>/introductions/",
        views_intros.run_start_introductions,
        name="buurbel_run_introductions",
    ),
    path(
        "buurbel/introductions/",
        views_intros.introduction_list,
        name="buurbel_introductions",
    ),
    path(
        "buurbel/introductions/<int:match_id>/",
        views_intros.introduction_detail,
        name="buurbel_introduction",
    ),
    path(
        "buurbel/introductions/<int:match_id>/stop/",
        views_intros.introduction_cancel,
        name="buurbel_introduction_cancel",
    ),
    path("buurbel/callbacks/", views_intros.callback_list, name="buurbel_callbacks"),
    path(
        "buurbel/participants/",
        views_participants.participant_list,
        name="buurbel_participants",
    ),
    path(
        "buurbel/participants/export.csv",
        views_participants.participant_csv,
        name="buurbel_participants_csv",
    ),
    path(
        "buurbel/participants/new/",
        views_participants.participant_new,
        name="buurbel_participant_new",
    ),
    path(
        "buurbel/participants/<int:participant_id>/",
        views_participants.participant_detail,
        name="buurbel_participant",
    ),
    path(
        "buurbel/participants/<int:participant_id>/edit/",
        views_participants.participant_edit,
        name="buurbel_participant_edit",
    ),
    path(
        "buurbel/participants/<int:participant_id>/send-code/",
        views_participants.participant_send_code,
        name="buurbel_participant_send_code",
    ),
    path(
        "buurbel/participants/<int:participant_id>/check-code/",
        views_participants.participant_check_code,
        name="buurbel_participant_check_code",
    ),
    path(
        "buurbel/participants/<int:participant_id>/verified-in-person/",
        views_participants.participant_verified_in_person,
        name="buurbel_participant_verified",
    ),
    path(
        "buurbel/participants/<int:participant_id>/opt-out/",
        views_participants.participant_opt_out,
        name="buurbel_participant_opt_out",
    ),
    path(
        "buurbel/participants/<int:participant_id>/opt-in/",
        views_participants.participant_opt_in,
        name="buurbel_participant_opt_in",
    ),
    path("buurbel/join/", views_participants.join, name="buurbel_join"),
    path("buurbel/partner/", views_partner.partner_list, name="buurbel_partner"),
    path("buurbel/partner/new/", views_partner.partner_new, name="buurbel_partner_new"),
    path(
        "buurbel/partner/<int:participant_id>/",
        views_partner.partner_detail,
        name="buurbel_partner_participant",
    ),
    path("buurbel/follow-up/", views_partner.follow_up_list, name="buurbel_follow_up"),
    path(
        "buurbel/follow-up/<int:participant_id>/done/",
        views_partner.follow_up_done,
        name="buurbel_follow_up_done",
    ),
]
