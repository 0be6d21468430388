from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QrcodesConfig(AppConfig):
    name = "buurtkit.qrcodes"
    label = "qrcodes"
    verbose_name = _("QR codes")

    def ready(self) -> None:
        from buurtkit.core import scheduler
        from buurtkit.core.demo import register_demo_loader
        from buurtkit.core.permissions import register
        from buurtkit.qrcodes import (  # noqa: F401 - actions registers the actions
            actions,
            demo,
            gdpr,
            pages,
            permissions,
        )

        register(permissions.PERMISSIONS, permissions.GRANTS, module="qrcodes")
        # After the people (organisations) and the ledger (the bakery's counter code, order 25).
        register_demo_loader("qrcodes", 30, demo.load)
        pages.register()  # the main menu's link
        gdpr.register()  # form answers in a person's export and anonymisation
        # Run by ``buurtkit worker`` every night; once by hand: ``buurtkit qr_rollup``.
        scheduler.register(
            "qr_rollup",
            scheduler.daily_at("02:00"),
            "buurtkit.qrcodes.services.scans_rollup_and_prune",
            title=_("Sum yesterday's QR code scans and delete old single scans"),
            lease=timedelta(hours=2),
        )
