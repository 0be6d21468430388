"""Routes of places' pages under ``/<slug>/places/``: public ones first, then staff ones."""

from django.urls import path

from buurtkit.places.pages import views

community_urlpatterns = [
    path("places/", views.directory, name="places_directory"),
    path("places/directory.json", views.directory_json, name="places_directory_json"),
    path("places/poster.pdf", views.directory_poster, name="places_poster"),
    path("places/<int:place_id>/", views.place_page, name="place_public"),
    path("places/<int:place_id>/poster.pdf", views.place_poster, name="place_poster"),
    path("places/manage/", views.manage, name="places_manage"),
    path("places/manage/new/", views.place_new, name="place_new"),
    path("places/manage/<int:place_id>/", views.place_detail, name="place"),
    path("places/manage/<int:place_id>/edit/", views.place_edit, name="place_edit"),
    path("places/manage/<int:place_id>/hours/", views.place_hours, name="place_hours"),
    path(
        "places/manage/<int:place_id>/exceptions/",
        views.place_exception_add,
        name="place_exception_add",
    ),
    path(
        "places/manage/<int:place_id>/exceptions/<int:exception_id>/remove/",
        views.place_exception_remove,
        name="place_exception_remove",
    ),
    path("places/manage/<int:place_id>/checklist/", views.place_tick, name="place_tick"),
    path("places/manage/<int:place_id>/status/", views.place_status, name="place_status"),
]
root_urlpatterns: list = []
