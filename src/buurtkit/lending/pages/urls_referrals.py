"""Routes of the referral pages under ``/<slug>/lending/referrals/``."""

from django.urls import path

from buurtkit.lending.pages import views_referrals as views

community_urlpatterns = [
    path("lending/referrals/", views.referrals, name="lending_referrals"),
    path("lending/referrals/new/", views.referral_new, name="lending_referral_new"),
    path("lending/referrals/queue/", views.referral_queue, name="lending_referral_queue"),
    path("lending/referrals/caps/", views.referral_caps, name="lending_referral_caps"),
    path("lending/referrals/<int:referral_id>/", views.referral_detail, name="lending_referral"),
    path(
        "lending/referrals/<int:referral_id>/cancel/",
        views.referral_cancel,
        name="lending_referral_cancel",
    ),
    path(
        "lending/referrals/<int:referral_id>/approve/",
        views.referral_approve,
        name="lending_referral_approve",
    ),
    path(
        "lending/referrals/<int:referral_id>/refuse/",
        views.referral_refuse,
        name="lending_referral_refuse",
    ),
    path(
        "lending/referrals/<int:referral_id>/match/",
        views.referral_match,
        name="lending_referral_match",
    ),
    path(
        "lending/referrals/<int:referral_id>/invite/",
        views.referral_invite,
        name="lending_referral_invite",
    ),
]
root_urlpatterns: list = []
