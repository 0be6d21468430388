from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NeighboursConfig(AppConfig):
    name = "buurtkit.neighbours"
    label = "neighbours"
    verbose_name = _("Buurbel")

    def ready(self) -> None:
        from buurtkit.neighbours import indicators

        indicators.register()  # what monitoring counts (core.indicators)
        from buurtkit.core import scheduler
        from buurtkit.core.demo import register_demo_loader
        from buurtkit.core.permissions import register
        from buurtkit.neighbours import (
            announcements,
            demo,
            gdpr,
            introductions,
            pages,
            permissions,
            verification,
        )

        register(permissions.PERMISSIONS, permissions.GRANTS, module="neighbours")
        introductions.register()
        register_demo_loader("neighbours", 45, demo.load)
        # Run by ``buurtkit worker`` (every 10 seconds in ``buurtkit demo``); once by hand:
        # ``buurtkit buurbel_calls``.
        scheduler.register(
            "buurbel_calls",
            scheduler.every(minutes=1),
            "buurtkit.neighbours.services.introductions_tick",
            title=_("Place the Buurbel introduction calls that are due"),
            lease=timedelta(minutes=5),
            demo_every=10,
        )
        announcements.register()
        verification.register()
        gdpr.register()  # its part of a person's data export and anonymisation
        pages.register()  # the main menu's link, the resident's "meet a neighbour" button
