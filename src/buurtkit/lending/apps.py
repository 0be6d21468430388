from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LendingConfig(AppConfig):
    name = "buurtkit.lending"
    label = "lending"
    verbose_name = _("Device bank")

    def ready(self) -> None:
        from buurtkit.lending import indicators

        indicators.register()  # what monitoring counts (core.indicators)
        from buurtkit.core import scheduler
        from buurtkit.core.demo import register_demo_loader, register_demo_logins
        from buurtkit.core.permissions import register
        from buurtkit.lending import calls, demo, gdpr, pages, permissions, qr
        from buurtkit.people.hooks import declare_no_personal_data, register_person_data

        register(permissions.PERMISSIONS, permissions.GRANTS, module="lending")
        calls.register()  # the automated reminder call for people without a mobile phone
        # Loan reminders before, on and after the due date (``buurtkit jobs run loans_remind``).
        scheduler.register(
            "loans_remind",
            scheduler.daily_at("09:30"),
            "buurtkit.lending.services.loans_remind",
            title=_("Remind residents of loans that are due"),
            lease=timedelta(minutes=30),
        )
        declare_no_personal_data(
            "lending.Donation",
            "lending.Device",
            "lending.DeviceEvent",
            "lending.StockCount",
            "lending.ReferralCap",
            "lending.AgreementText",
            "lending.HandOverDevice",
            reason="the stock, caps per partner and agreement texts: donors and partners are "
            "organisations, events name the staff who did them",
        )
        declare_no_personal_data(
            "lending.DevicePhoto",
            reason="photos of devices (their state, damage, serial plate), stored without their "
            "metadata (no location); staff are asked to keep people out of the picture",
        )
        register_person_data(
            "lending",
            models=("lending.Referral", "lending.HandOver", "lending.Loan", "lending.RepairTicket"),
            export=gdpr.export,
            anonymise=gdpr.anonymise,
        )
        qr.register()  # a device's QR label: staff open its page, anyone else a return page
        pages.register()  # the whole lending menu, the dashboard tiles, audit verbs
        register_demo_loader("lending", 20, demo.load)
        register_demo_logins(demo.LOGINS)
