from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpexchangeConfig(AppConfig):
    name = "buurtkit.helpexchange"
    label = "helpexchange"
    verbose_name = _("Help exchange")

    def ready(self) -> None:
        from buurtkit.helpexchange import indicators

        indicators.register()  # what monitoring counts (core.indicators)
        from buurtkit.core import scheduler
        from buurtkit.core.demo import register_demo_loader
        from buurtkit.core.permissions import register
        from buurtkit.helpexchange import demo, gdpr, pages, permissions
        from buurtkit.people.hooks import declare_no_personal_data, register_person_data
        from buurtkit.web.registry import register_sessionless

        register(permissions.PERMISSIONS, permissions.GRANTS, module="helpexchange")
        # Expire open posts and forgotten deals (releasing held rewards), remind both sides of
        # a deal to confirm, anonymise old posts (``buurtkit jobs run helpexchange_sweep``).
        scheduler.register(
            "helpexchange_sweep",
            scheduler.daily_at("03:10"),
            "buurtkit.helpexchange.services.helpexchange_sweep",
            title=_("Close expired help exchange posts and remind people to confirm"),
            lease=timedelta(minutes=30),
        )
        declare_no_personal_data(
            "helpexchange.Settings",
            reason="per community: how long posts stay open and are kept, the counter's number",
        )
        declare_no_personal_data(
            "helpexchange.Report",
            reason="a report's reason is about the post; the reporter is a staff-style label",
        )
        register_person_data(
            "helpexchange",
            models=(
                "helpexchange.Post",
                "helpexchange.Response",
                "helpexchange.Deal",
                "helpexchange.Block",
            ),
            export=gdpr.export,
            anonymise=gdpr.anonymise,
        )
        pages.register()
        # The embed and the feeds are the same for everyone and served from the cache: no
        # session, no login, no flash messages on the way (web.middleware).
        register_sessionless(r"^/[^/]+/helpexchange/(embed/|feed\.json|feed\.rss)$")
        register_demo_loader("helpexchange", 60, demo.load)
