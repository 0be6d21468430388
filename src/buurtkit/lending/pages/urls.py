"""Routes of the device bank's pages under ``/<slug>/lending/`` (module-gated: ``lending``)."""

from django.urls import path

from buurtkit.lending.pages import views_photos as photos
from buurtkit.lending.pages import views_stock as stock

community_urlpatterns = [
    # stock: devices
    path("lending/devices/", stock.device_list, name="lending_devices"),
    path("lending/devices/<int:device_id>/", stock.device_page, name="lending_device"),
    path("lending/devices/<int:device_id>/step/", stock.device_step, name="lending_device_step"),
    path(
        "lending/devices/<int:device_id>/certificates/<int:seq>.pdf",
        stock.device_certificate,
        name="lending_device_certificate",
    ),
    path("lending/devices/<int:device_id>/label/", stock.device_label, name="lending_device_label"),
    path(
        "lending/devices/<int:device_id>/label.pdf",
        stock.device_label_pdf,
        name="lending_device_label_pdf",
    ),
    path(
        "lending/devices/<int:device_id>/photos/",
        photos.device_photo_add,
        name="lending_device_photo_add",
    ),
    path(
        "lending/devices/<int:device_id>/photos/<int:photo_id>.jpg",
        photos.device_photo,
        name="lending_device_photo",
    ),
    path(
        "lending/devices/<int:device_id>/photos/<int:photo_id>/remove/",
        photos.device_photo_remove,
        name="lending_device_photo_remove",
    ),
    path("lending/label/<str:label>/", stock.device_by_label, name="lending_device_by_label"),
    # stock: donations
    path("lending/donations/", stock.donation_list, name="lending_donations"),
    path("lending/donations/new/", stock.donation_new, name="lending_donation_new"),
    path("lending/donations/<int:donation_id>/", stock.donation_page, name="lending_donation"),
    path(
        "lending/donations/<int:donation_id>/receipt.pdf",
        stock.donation_receipt,
        name="lending_donation_receipt",
    ),
    path(
        "lending/donations/<int:donation_id>/certificates.pdf",
        stock.donation_certificates,
        name="lending_donation_certificates",
    ),
    path(
        "lending/donations/<int:donation_id>/labels/",
        stock.donation_labels,
        name="lending_donation_labels",
    ),
    path(
        "lending/donations/<int:donation_id>/labels.pdf",
        stock.donation_labels_pdf,
        name="lending_donation_labels_pdf",
    ),
    # public: what anyone who scans a device's label sees
    path("lending/return/<str:label>/", stock.device_return, name="lending_return"),
]
root_urlpatterns: list = []
