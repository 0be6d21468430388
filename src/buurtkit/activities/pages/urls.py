"""Routes of activities' pages under ``/<slug>/activities/``."""

from django.urls import path

from buurtkit.activities.pages import views

community_urlpatterns = [
    path("activities/", views.programme, name="activities_programme"),
    path("activities/sessions/<int:session_id>/", views.session_page, name="activities_session"),
    path(
        "activities/cancel/<int:registration_id>/<str:secret>/",
        views.cancel_page,
        name="activities_cancel",
    ),
]
root_urlpatterns: list = []
