"""The device bank's pages. ``urls.py`` lists the routes (the root URLconf puts them under
``/<slug>/`` in the ``web`` namespace); ``register()`` tells web's shared pages about them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from buurtkit.web import registry
    from buurtkit.web.registry import Link

    registry.register_module_pages("lending")
    registry.register_menu_link(
        Link(
            key="lending.devices",
            module="lending",
            url_name="web:lending_devices",
            label=_("Device bank"),
            permission="lending.view",
            order=30,
        )
    )
    registry.register_dashboard_tile(
        Link(
            key="lending.stock",
            module="lending",
            url_name="web:lending_devices",
            label=_("Device bank stock"),
            summary=_("Devices per kind and state; take in a donation, print QR labels."),
            permission="lending.view",
            order=30,
        )
    )
    registry.register_audit_verbs(
        {
            "lending.donation_received": _("donated devices taken in"),
            "lending.device_event": _("device step recorded"),
            "lending.labels_made": _("QR labels made for devices"),
        }
    )
