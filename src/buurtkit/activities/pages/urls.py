"""Routes of activities' pages under ``/<slug>/activities/``."""

from django.urls import path

from buurtkit.activities.pages import (
    views,
    views_checkin,
    views_evaluations,
    views_figures,
    views_onbehalf,
    views_referrals,
    views_staff,
    views_volunteers,
)

community_urlpatterns = [
    path("activities/", views.programme, name="activities_programme"),
    path("activities/sessions/<int:session_id>/", views.session_page, name="activities_session"),
    path("activities/manage/", views_staff.week, name="activities_manage"),
    path(
        "activities/manage/sessions/<int:session_id>/",
        views_staff.session_detail,
        name="activities_manage_session",
    ),
    path(
        "activities/manage/sessions/<int:session_id>/check-in/",
        views_staff.check_in,
        name="activities_check_in",
    ),
    path(
        "activities/manage/sessions/<int:session_id>/attendance.pdf",
        views_staff.attendance_list,
        name="activities_attendance_pdf",
    ),
    # act-ops (issue 13): on someone's behalf, partner referrals.
    path(
        "activities/manage/sessions/<int:session_id>/sign-up/",
        views_onbehalf.sign_up,
        name="activities_sign_up",
    ),
    path(
        "activities/manage/registrations/<int:registration_id>/",
        views_onbehalf.registration,
        name="activities_registration",
    ),
    path(
        "activities/manage/registrations/<int:registration_id>/slip/",
        views_onbehalf.slip,
        name="activities_slip",
    ),
    path(
        "activities/manage/registrations/<int:registration_id>/cancel/",
        views_onbehalf.cancel,
        name="activities_cancel_for",
    ),
    path("activities/referrals/", views_referrals.referrals, name="activities_referrals"),
    path("activities/manage/settings/", views_onbehalf.settings_page, name="activities_settings"),
    path(
        "activities/offer/<int:offer_id>/<str:offer_secret>/",
        views.offer_page,
        name="activities_offer",
    ),
    path(
        "activities/cancel/<int:registration_id>/<str:secret>/",
        views.cancel_page,
        name="activities_cancel",
    ),
    # --- check-in by QR, the paper list, evaluations (act-eval) ---
    path(
        "activities/my/<int:registration_id>/<str:secret>/",
        views_checkin.my_registration,
        name="activities_my",
    ),
    path(
        "activities/my/<int:registration_id>/<str:secret>/before/",
        views_evaluations.self_assessment_before,
        name="activities_self_assessment",
    ),
    path(
        "activities/check-in/<int:registration_id>/<str:checkin_code>/",
        views_checkin.checkin_scan,
        name="activities_checkin_scan",
    ),
    path(
        "activities/evaluate/<int:registration_id>/<str:evaluate_code>/",
        views_evaluations.evaluate_link,
        name="activities_evaluate",
    ),
    path(
        "activities/manage/sessions/<int:session_id>/paper-list/",
        views_checkin.attendance_paper,
        name="activities_attendance_paper",
    ),
    path(
        "activities/manage/sessions/<int:session_id>/self-assessment/",
        views_evaluations.self_assessment_entry,
        name="activities_self_assessment_entry",
    ),
    path(
        "activities/manage/sessions/<int:session_id>/evaluation/",
        views_evaluations.evaluation_entry,
        name="activities_evaluation_entry",
    ),
    path(
        "activities/manage/series/<int:series_id>/evaluations/",
        views_evaluations.evaluation_summary,
        name="activities_evaluations",
    ),
]
# act-buddy (issue 13): the digibuddy register and a volunteer's own schedule.
community_urlpatterns += [
    path("activities/volunteers/", views_volunteers.volunteers_list, name="activities_volunteers"),
    path(
        "activities/volunteers/new/",
        views_volunteers.volunteer_new,
        name="activities_volunteer_new",
    ),
    path("activities/volunteers/gaps/", views_volunteers.gaps, name="activities_volunteer_gaps"),
    path(
        "activities/volunteers/gaps/ask/",
        views_volunteers.gap_ask,
        name="activities_volunteer_gap_ask",
    ),
    path(
        "activities/volunteers/<int:volunteer_id>/",
        views_volunteers.volunteer_detail,
        name="activities_volunteer",
    ),
    path(
        "activities/volunteers/<int:volunteer_id>/duties/",
        views_volunteers.volunteer_assign,
        name="activities_volunteer_assign",
    ),
    path(
        "activities/volunteers/<int:volunteer_id>/certify/",
        views_volunteers.volunteer_certify,
        name="activities_volunteer_certify",
    ),
    path("activities/duties/", views_volunteers.my_duties, name="activities_my_duties"),
    path(
        "activities/duties/calendar.ics",
        views_volunteers.my_duties_ics,
        name="activities_my_duties_ics",
    ),
    path("activities/duties/fill/", views_volunteers.gap_fill, name="activities_gap_fill"),
    path(
        "activities/duties/<int:duty_id>/cancel/",
        views_volunteers.duty_cancel,
        name="activities_duty_cancel",
    ),
    path(
        "activities/duties/<int:duty_id>/swap/",
        views_volunteers.duty_swap,
        name="activities_duty_swap",
    ),
    path(
        "activities/duties/<int:duty_id>/take/",
        views_volunteers.duty_take,
        name="activities_duty_take",
    ),
]
# act-figures: the staff overview, its exports and the public monthly brochure.
community_urlpatterns += [
    path("activities/figures/", views_figures.overview, name="activities_figures"),
    path(
        "activities/figures/export/attendance/",
        views_figures.export_attendance,
        name="activities_export_attendance",
    ),
    path(
        "activities/figures/export/figures/",
        views_figures.export_figures,
        name="activities_export_figures",
    ),
    path(
        "activities/figures/export/evaluations/",
        views_figures.export_evaluations,
        name="activities_export_evaluations",
    ),
    path(
        "activities/figures/export/names/",
        views_figures.export_names,
        name="activities_export_names",
    ),
    path("activities/brochure.pdf", views_figures.brochure, name="activities_brochure"),
]
root_urlpatterns: list = []
