"""Routes of the QR codes' pages: the staff pages under ``/<slug>/`` and the public scan
(``/q/<code>``, ``/Q/<CODE>`` on printed codes) at the root. The root URLconf adds both to the
``web`` namespace, so the names stay ``web:qr_codes``, ``web:scan`` and so on."""

from django.urls import path

from buurtkit.qrcodes.pages import (
    views_batches,
    views_codes,
    views_exports,
    views_forms,
    views_import,
    views_reservations,
    views_routes,
    views_scan,
    views_stats,
)

community_urlpatterns = [
    path("qr/", views_codes.code_list, name="qr_codes"),
    path("qr/new/", views_codes.code_create, name="qr_code_create"),
    path("qr/scan/", views_codes.code_scan, name="qr_scan"),
    path("qr/claim/<str:code>/", views_codes.code_claim, name="qr_claim"),
    path("qr/codes/<int:code_id>/", views_codes.code_detail, name="qr_code"),
    path("qr/codes/<int:code_id>/status/", views_codes.code_status, name="qr_code_status"),
    path("qr/codes/<int:code_id>/routes/", views_routes.code_routes, name="qr_routes"),
    path("qr/batches/", views_batches.batch_list, name="qr_batches"),
    path("qr/batches/<int:batch_id>/", views_batches.batch_detail, name="qr_batch"),
    path("qr/batches/<int:batch_id>/print/", views_exports.batch_print, name="qr_batch_print"),
    path(
        "qr/batches/<int:batch_id>/export.<str:fmt>",
        views_exports.batch_export,
        name="qr_batch_export",
    ),
    path(
        "qr/codes/<int:code_id>/download.<str:fmt>",
        views_exports.code_download,
        name="qr_download",
    ),
    path("qr/export/", views_exports.selection_export, name="qr_export"),
    path("qr/forms/", views_forms.form_list, name="qr_forms"),
    path("qr/forms/new/", views_forms.form_create, name="qr_form_create"),
    path("qr/forms/<int:form_id>/", views_forms.form_edit, name="qr_form"),
    path("qr/forms/<int:form_id>/answers/", views_forms.submission_list, name="qr_submissions"),
    path(
        "qr/forms/<int:form_id>/answers.csv",
        views_forms.submissions_csv,
        name="qr_submissions_csv",
    ),
    path(
        "qr/forms/<int:form_id>/answers.xlsx",
        views_forms.submissions_xlsx,
        name="qr_submissions_xlsx",
    ),
    path("qr/webhooks/", views_forms.webhook_list, name="qr_webhooks"),
    path(
        "qr/webhooks/<int:webhook_id>/rotate/",
        views_forms.webhook_rotate,
        name="qr_webhook_rotate",
    ),
    path(
        "qr/webhooks/<int:webhook_id>/active/",
        views_forms.webhook_active,
        name="qr_webhook_active",
    ),
    path("qr/stats/", views_stats.qr_stats, name="qr_stats"),
    path("qr/stats.csv", views_stats.qr_stats_csv, name="qr_stats_csv"),
    path("qr/codes/<int:code_id>/stats/", views_stats.qr_code_stats, name="qr_code_stats"),
    path("qr/import/", views_import.qr_import, name="qr_import"),
    path("qr/resources/", views_reservations.resource_list, name="qr_resources"),
    path(
        "qr/resources/<int:resource_id>/",
        views_reservations.resource_detail,
        name="qr_resource",
    ),
    path(
        "qr/resources/<int:resource_id>/bookings.csv",
        views_reservations.resource_csv,
        name="qr_resource_csv",
    ),
    path(
        "qr/resources/<int:resource_id>/bookings.xlsx",
        views_reservations.resource_xlsx,
        name="qr_resource_xlsx",
    ),
    path("qr/entrances/", views_reservations.point_list, name="qr_points"),
    path("qr/entrances/<int:point_id>/", views_reservations.point_detail, name="qr_point"),
    # Public, phone first, no login: reached from a code's "reserve" or "checkin" route.
    path("book/<int:resource_id>/", views_reservations.book, name="qr_book"),
    path("booking/<str:booking_token>/", views_reservations.booking_page, name="qr_booking"),
    path("checkin/<int:point_id>/", views_reservations.checkin, name="qr_checkin"),
]

root_urlpatterns = [
    path("q/<str:code>", views_scan.scan, name="scan"),
    path("Q/<str:code>", views_scan.scan, name="scan_print"),
]
