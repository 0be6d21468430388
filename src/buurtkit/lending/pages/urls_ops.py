"""Routes of the device bank's overview, exports and repairs under ``/<slug>/lending/``."""

from django.urls import path

from buurtkit.lending.pages import views_overview, views_repairs

community_urlpatterns = [
    path("lending/", views_overview.overview, name="lending_overview"),
    path("lending/export/devices/", views_overview.export_devices, name="lending_export_devices"),
    path(
        "lending/export/handovers/",
        views_overview.export_handovers,
        name="lending_export_handovers",
    ),
    path("lending/export/loans/", views_overview.export_loans, name="lending_export_loans"),
    path("lending/export/repairs/", views_overview.export_repairs, name="lending_export_repairs"),
    path("lending/repairs/", views_repairs.repairs, name="lending_repairs"),
    path("lending/repairs/new/", views_repairs.repair_new, name="lending_repair_new"),
    path("lending/repairs/<int:ticket_id>/", views_repairs.repair_detail, name="lending_repair"),
    path(
        "lending/repairs/<int:ticket_id>/start/",
        views_repairs.repair_start,
        name="lending_repair_start",
    ),
    path(
        "lending/repairs/<int:ticket_id>/close/",
        views_repairs.repair_close,
        name="lending_repair_close",
    ),
    path(
        "lending/devices/<int:device_id>/repair/",
        views_repairs.device_repair,
        name="lending_device_repair",
    ),
]
root_urlpatterns: list = []
