from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "buurtkit.ledger"
    label = "ledger"
    verbose_name = _("Neighbourhood currency")

    def ready(self) -> None:
        from buurtkit.ledger import indicators

        indicators.register()  # what monitoring counts (core.indicators)
        from buurtkit.core.demo import register_demo_loader, register_demo_logins
        from buurtkit.core.permissions import register
        from buurtkit.ledger import demo, gdpr, pages, permissions, qr

        register(permissions.PERMISSIONS, permissions.GRANTS, module="ledger")
        qr.register()  # pay a shop by scanning the QR code on its counter
        register_demo_loader("ledger", 20, demo.load)
        register_demo_loader("ledger-qr", 25, demo.shop_codes)
        register_demo_loader("ledger-four-eyes", 26, demo.four_eyes)
        # A partner login who issues from their own organisation's budget only (issue 16).
        register_demo_loader("ledger-partner", 27, demo.partner_issuer)
        register_demo_logins([("trusted_volunteer", demo.PARTNER_LOGIN)])
        gdpr.register()  # its part of a person's data export and anonymisation
        pages.register()  # the dashboard tiles, the resident's pay button, the person page's card
