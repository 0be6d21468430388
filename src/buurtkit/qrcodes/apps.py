from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QrcodesConfig(AppConfig):
    name = "buurtkit.qrcodes"
    label = "qrcodes"
    verbose_name = _("QR codes")

    def ready(self) -> None:
        from buurtkit.qrcodes import indicators

        indicators.register()  # what monitoring counts (core.indicators)
        from buurtkit.core import scheduler
        from buurtkit.core.demo import register_demo_loader
        from buurtkit.core.permissions import register
        from buurtkit.qrcodes import (  # noqa: F401 - actions registers the actions
            actions,
            demo,
            gdpr,
            pages,
            permissions,
            presence_actions,
        )

        register(permissions.PERMISSIONS, permissions.GRANTS, module="qrcodes")
        # After the people (organisations) and the ledger (the bakery's counter code, order 25).
        register_demo_loader("qrcodes", 30, demo.load)
        presence_actions.register()  # route actions "reserve" and "checkin"
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
        # No-shows after a slot, everyone still in checked out after the day (ADR 0014).
        scheduler.register(
            "qr_presence",
            scheduler.every(minutes=15),
            "buurtkit.qrcodes.services.presence_tick",
            title=_("Mark no-shows of QR bookings and check out last night's visitors"),
        )
        scheduler.register(
            "qr_retention",
            scheduler.daily_at("03:30"),
            "buurtkit.qrcodes.services.personal_data_expire",
            title=_("Anonymise QR bookings, check-ins and form answers past their retention"),
            lease=timedelta(hours=1),
        )
