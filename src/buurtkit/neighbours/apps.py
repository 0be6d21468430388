from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NeighboursConfig(AppConfig):
    name = "buurtkit.neighbours"
    label = "neighbours"
    verbose_name = _("Buurbel")

    def ready(self) -> None:
        from buurtkit.core.demo import register_demo_job, register_demo_loader
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
        from buurtkit.people.hooks import register_person_data

        register(permissions.PERMISSIONS, permissions.GRANTS, module="neighbours")
        introductions.register()
        register_demo_loader("neighbours", 45, demo.load)
        # In production: ``buurtkit buurbel_calls --loop 60`` (or cron every minute).
        register_demo_job("buurbel_calls", 10, demo.place_due_calls)
        announcements.register()
        verification.register()
        register_person_data("buurbel", export=gdpr.export, anonymise=gdpr.anonymise)
        pages.register()  # the main menu's link, the resident's "meet a neighbour" button
