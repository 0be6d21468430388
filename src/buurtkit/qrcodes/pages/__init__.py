"""The QR codes' pages: the staff pages (codes, routes, batches, forms, webhooks, statistics,
import) under ``/<slug>/qr/`` and the public scan at ``/q/<code>`` and ``/Q/<CODE>``.
``urls.py`` lists the routes; ``register()`` tells web's shared pages about them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from buurtkit.web import registry
    from buurtkit.web.registry import Link

    registry.register_module_pages("qrcodes")
    registry.register_menu_link(
        Link(
            key="qrcodes",
            module="qrcodes",
            url_name="web:qr_codes",
            label=_("QR codes"),
            permission="qrcodes.view",
            order=10,
        )
    )
