from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LendingConfig(AppConfig):
    name = "buurtkit.lending"
    label = "lending"
    verbose_name = _("Device bank")

    def ready(self) -> None:
        from buurtkit.core import scheduler
        from buurtkit.core.demo import register_demo_loader, register_demo_logins
        from buurtkit.core.permissions import register
        from buurtkit.lending import calls, demo, gdpr, pages, permissions, qr
        from buurtkit.lending.pages import menu_handovers, menu_ops, menu_referrals
        from buurtkit.people.hooks import declare_no_personal_data, register_person_data

        register(permissions.PERMISSIONS, permissions.GRANTS, module="lending")
        calls.register()  # the automated reminder call for people without a mobile phone
        menu_handovers.register()  # the menu's "Hand over", the loans tile, audit verbs
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
        register_person_data(
            "lending",
            models=("lending.Referral", "lending.HandOver", "lending.Loan", "lending.RepairTicket"),
            export=gdpr.export,
            anonymise=gdpr.anonymise,
        )
        qr.register()  # a device's QR label: staff open its page, anyone else a return page
        pages.register()  # the staff menu's "Device bank", a dashboard tile, audit verbs
        menu_referrals.register()  # the menu's "Device requests" and "Request queue"
        menu_ops.register()  # the overview and the repairs in the staff menu
        register_demo_loader("lending", 20, demo.load)
        register_demo_logins(demo.LOGINS)
