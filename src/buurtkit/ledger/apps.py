from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "buurtkit.ledger"
    label = "ledger"
    verbose_name = _("Neighbourhood currency")

    def ready(self) -> None:
        from buurtkit.core.demo import register_demo_loader
        from buurtkit.core.permissions import register
        from buurtkit.ledger import demo, permissions

        register(permissions.PERMISSIONS, permissions.GRANTS)
        register_demo_loader("ledger", 20, demo.load)
